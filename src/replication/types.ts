// The shapes replication shares with the server and the commands: clients as
// replication sees them, the server it runs in, and what it knows of each replica.

import type { TransferLoad } from "../persistence/dataset_loader.ts";
import type { ReplicationSaveOptions } from "../persistence/rdb_saves.ts";
import type { ArrivingLoad } from "../persistence/snapshot_backend.ts";
import type { Logger } from "../log.ts";
import type { ReplyWriter } from "../protocol/reply_writer.ts";
import type { BacklogReader } from "./backlog.ts";

/** A client connection as replication sees it (the server's Client fits). */
export interface ReplicationClient {
  readonly id: number;
  readonly addr: string;
  readonly reply: ReplyWriter;
  readonly connected: boolean;
  flush(): Promise<void>;
  closeNow(): void;
  /** Set once the client is a replica of this server. */
  replica: ReplicaPeer | null;
}

/** The configuration as replication reads it. */
export interface ReplicationConfig {
  string(name: string): string;
  number(name: string): number;
  onChange(name: string, fn: () => string | void | null): unknown;
  applyDirective(name: string, args: string[]): string | null;
}

/** The master link once the transfer is over: the server serves its stream. */
export interface MasterLinkClient {
  readonly id: number;
  /** Writes bytes to the master (REPLCONF ACK). */
  send(bytes: Uint8Array): void;
  /** Closes the link. */
  close(): void;
}

/** What the server serving the master's stream reports. */
export interface MasterStreamEvents {
  /**
   * A command (or an EXEC'd transaction) was applied: its exact bytes, and the
   * database the stream has selected after it.
   */
  applied(bytes: Uint8Array, db: number): void;
  /** Bytes arrived (the link is alive). */
  touched(): void;
  /** `n` bytes of the stream were read (applied or not yet). */
  read(n: number): void;
  /** The link is gone. */
  closed(): void;
}

/** What replication needs from the server. */
export interface ReplicationHost {
  readonly config: ReplicationConfig;
  readonly log: Logger;
  /** The port this server listens on (REPLCONF listening-port). */
  readonly port: number;
  /** The one write stream (see src/server/server.ts). */
  readonly replicationFeed: ((db: number, argv: string[]) => void)[];
  readonly persistence: {
    readonly busy: boolean;
    /** The AUX fields of the RDB file loaded at start-up, if any. */
    readonly loadedAux: ReadonlyMap<string, string> | null;
    /** The keys the start-up load skipped as expired, as [db, key]. */
    expiredAtLoad: [number, string][];
    replicationSave(options: ReplicationSaveOptions): {
      path: string;
      done: Promise<void>;
      abort(): void;
    } | null;
    loadReplicationPayload(bytes: Uint8Array): Promise<void>;
    loadReplicationAsItArrives(swap: boolean, expected: number): ArrivingLoad;
    restartAofAfterSync(): void;
    /** A full resync loaded as it arrives (INFO loading / async_loading, -LOADING). */
    transferLoad: TransferLoad | null;
  };
  /** Keys in all databases (repl-diskless-load on-empty-db). */
  keyCount(): number;
  /** Sends a client's pending output soon (after the AOF). */
  deliver(client: ReplicationClient): void;
  /** Serves the master's stream on `conn`, `leftover` being bytes already read. */
  adoptMasterLink(
    conn: Deno.Conn,
    leftover: Uint8Array,
    events: MasterStreamEvents,
    db: number,
  ): MasterLinkClient;
  /** The role changed: expired keys stay (replica) or go (master); blocked clients are told. */
  roleChanged(replica: boolean): void;
  /** Holds back (true) or lets go (false) every write (a FAILOVER waiting for a replica). */
  pauseWrites(on: boolean): void;
  /** Counts of full and partial resyncs served (INFO stats). */
  readonly stats: { syncFull: number; syncPartialOk: number; syncPartialErr: number };
}

/** Where a replica of this server stands. */
export type ReplicaState = "wait_bgsave" | "send_bulk" | "online";

/** A replica of this server: its client and what it told us. */
export interface ReplicaPeer {
  client: ReplicationClient;
  state: ReplicaState;
  /** It asked with PSYNC and can take a diskless transfer (capa eof), psync2 IDs. */
  psync: boolean;
  capaEof: boolean;
  capaPsync2: boolean;
  listeningPort: number;
  announcedIp: string;
  /** REPLCONF rdb-only 1: it wants the snapshot alone, and leaves after it. */
  rdbOnly: boolean;
  /** REPLCONF rdb-filter-only: what its snapshot holds besides the AUX fields. */
  rdbFilter: RdbFilter | null;
  /** The offset it acknowledged, and when (ms). */
  ackOffset: number;
  ackTime: number;
  /** When it started to wait for a snapshot (ms). */
  waitingSince: number;
  /**
   * During a diskless transfer: since when a write of the snapshot to it has been
   * waiting for the socket (ms), 0 when none is.
   */
  snapshotWaitingSince?: number;
  /**
   * Its place in the shared replication buffer (backlog.ts), from the snapshot's offset
   * or the PSYNC offset on; null until then, and for an rdb-only replica.
   */
  stream: BacklogReader | null;
}

/**
 * REPLCONF rdb-filter-only: the snapshot holds no keys, and the FUNCTION libraries only
 * when `functions` was asked for.
 */
export interface RdbFilter {
  functions: boolean;
}

/** The capabilities and addresses a replica told with REPLCONF before PSYNC. */
export interface Capas {
  eof: boolean;
  psync2: boolean;
  rdbOnly: boolean;
  /** REPLCONF rdb-filter-only (null: not asked, the whole snapshot). */
  rdbFilter: RdbFilter | null;
  listeningPort: number;
  ip: string;
}
