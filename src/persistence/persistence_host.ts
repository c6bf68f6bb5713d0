// What the persistence manager needs from the server it runs in (PersistenceHost): the
// keyspace, the configuration, the log, the FUNCTION libraries, the hooks it installs;
// and the RDB file start-up reads ahead (PrefetchedFile).

import type { Keyspace } from "../store/keyspace.ts";
import type { WriteGuard } from "./snapshot.ts";
import type { ReplicationAux } from "./rdb_writer.ts";

/** The configuration as the manager reads it (the server's Config fits). */
export interface ConfigView {
  string(name: string): string;
  number(name: string): number;
  saveRules(): { seconds: number; changes: number }[];
  onChange(name: string, fn: (value: string, name: string) => string | void | null): unknown;
}

/** The log as the manager writes to it. */
export interface LogView {
  notice(message: string): void;
  warning(message: string): void;
  verbose(message: string): void;
}

/**
 * The FUNCTION libraries as persistence sees them (the server's FunctionLibraries
 * fits): their code for snapshots and AOF rewrites, and loading them from files.
 */
export interface FunctionsView {
  /** Every library's code (shebang included), in load order. */
  codes(): string[];
  /** Compiles and adds libraries: null, or the error reply text (nothing changed). */
  restore(
    codes: readonly string[],
    policy: "append" | "replace" | "flush",
    wording?: "restore" | "load",
  ): string | null;
}

/** What the manager needs from the server. */
export interface PersistenceHost {
  readonly keyspace: Keyspace;
  /**
   * The FUNCTION libraries, saved in RDB files and AOF rewrites and loaded from them
   * (without it, none are saved and a file holding some is refused).
   */
  readonly functions?: FunctionsView;
  readonly config: ConfigView;
  readonly log: LogView;
  /** Writes since the last save. */
  dirty: number;
  /** The dispatch hook a background snapshot installs. */
  beforeWrite: WriteGuard | null;
  /**
   * Run by each connection before it sends the replies of a batch, while the AOF is
   * on: writes the log to the OS, and with appendfsync always waits for the fsync.
   */
  beforeReplies: (() => Promise<void> | void) | null;
  /** True while `beforeReplies` waits for the disk (appendfsync always). */
  repliesWaitForDisk: boolean;
  /**
   * The write stream: every propagated write goes to each of these (an EXEC's writes
   * wrapped in MULTI/EXEC, db -1 meaning no SELECT).
   */
  readonly replicationFeed: ((db: number, argv: string[], replicasOnly?: boolean) => void)[];
  /** Runs one command read from a file (see ReplayTarget.run). */
  replay(db: number, argv: string[]): string | null;
  /** DEBUG AOF-FLUSH-SLEEP: microseconds to wait before each write of the AOF (tests). */
  readonly debug?: { readonly aofFlushSleepMicros: number };
  /** used_memory, for an RDB's used-mem field (without it: the process's RSS). */
  usedMemory?(): number;
  /** The replication AUX fields an RDB records, or null when there is no stream. */
  replicationAux?(): ReplicationAux | null;
  /**
   * Resolves once the clients have been served (a start-up load pauses for it every
   * loading-process-events-interval-bytes); without it the load does not pause.
   */
  serveClients?(): Promise<void>;
}

/** The RDB file, being read while the rest of start-up goes on (src/main.ts). */
export interface PrefetchedFile {
  /** Its path, as `dir` and `dbfilename` make it. */
  path: string;
  /**
   * Its bytes, or null when it could not be read (the load then reads it itself). Once
   * only: the file then lets go of them.
   */
  take(): Promise<Uint8Array | null>;
}
