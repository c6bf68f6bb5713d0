// Replication, Redis's protocol: the replication ID and offset, the backlog, the
// replicas this server feeds (PSYNC/SYNC, full and partial resyncs, acknowledgements,
// WAIT, min-replicas-to-write), and the master this server follows (REPLICAOF; the
// handshake and transfer are in master_connection.ts).
//
// The stream a master sends is every write of the one write path (src/server/call.ts)
// as RESP commands, with a SELECT whenever the database changes, and a PING every
// repl-ping-replica-period seconds. A replica applies its master's stream and passes
// the very same bytes on to its own replicas, so offsets agree along a chain.

import type { TransferLoad } from "../persistence/dataset_loader.ts";
import { encodeRequest } from "../protocol/request.ts";
import type { ReplyWriter } from "../protocol/reply_writer.ts";
import { latin1Bytes } from "../util/latin1.ts";
import { randomHex } from "../util/hex.ts";
import type { ReplicationAux } from "../persistence/rdb_writer.ts";
import type {
  Capas,
  MasterStreamEvents,
  ReplicaPeer,
  ReplicationClient,
  ReplicationHost,
} from "./types.ts";

export type {
  Capas,
  MasterLinkClient,
  MasterStreamEvents,
  ReplicaPeer,
  ReplicaState,
  ReplicationClient,
  ReplicationHost,
} from "./types.ts";
import { ReplicationBacklog } from "./backlog.ts";
import { Failover } from "./failover.ts";
import { peerHost, replicationInfo, replicationRole } from "./report.ts";
import { deleteSyncFiles, MasterConnection, type MasterLinkState } from "./master_connection.ts";

const ZERO_ID = "0".repeat(40);
const CRON_MS = 100;

/** A new random 40-hex-digit replication ID. */
export function newReplicationId(): string {
  return randomHex(40);
}

/** Replication state and both of its roles. */
export class Replication {
  /** The replication ID and the stream offset (master_repl_offset). */
  replid = newReplicationId();
  replid2 = ZERO_ID;
  secondOffset = -1;
  offset = 0;
  #backlog: ReplicationBacklog | null = null;
  readonly replicas = new Set<ReplicaPeer>();
  #master: MasterConnection | null = null;
  // This server's part of the write feed: attached only while there is a stream to
  // feed (a master with a backlog), so that writes cost nothing for it otherwise.
  readonly #listener = (db: number, argv: string[]) => this.#feed(db, argv);
  /** FAILOVER's progress. */
  readonly failover: Failover;
  readonly #host: ReplicationHost;
  // The database the stream last selected (-1: the next write selects).
  #selectedDb = -1;
  // The snapshot being made for replicas waiting in wait_bgsave, and its kind.
  #transfer: Transfer | null = null;
  #cron: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  // When the last replica left (ms; 0 while there are replicas), for repl-backlog-ttl.
  #noReplicasSince = Date.now();
  // WAIT: clients waiting for acknowledgements, and whether to ask replicas for them.
  readonly #waiting = new Map<
    ReplicationClient,
    { offset: number; replicas: number; done: () => void }
  >();
  #askAcks = false;

  constructor(host: ReplicationHost) {
    this.#host = host;
    this.failover = new Failover({
      log: host.log,
      offset: () => this.offset,
      replicas: () =>
        [...this.replicas].map((peer) => ({
          host: peerHost(peer),
          port: peer.listeningPort,
          ackOffset: peer.ackOffset,
          online: peer.state === "online",
        })),
      pauseWrites: (on) => host.pauseWrites(on),
      follow: (h, p) => this.follow(h, p, true, true),
      unfollow: () => this.unfollow(),
    });
    this.#attachFeed();
    host.config.onChange("repl-backlog-size", () => {
      this.backlog?.resize(host.config.number("repl-backlog-size"));
    });
  }

  /** The stream kept for replicas to continue from; null before the first replica. */
  get backlog(): ReplicationBacklog | null {
    return this.#backlog;
  }

  set backlog(backlog: ReplicationBacklog | null) {
    this.#backlog = backlog;
    this.#attachFeed();
  }

  /** The master followed, or null when this server is a master. */
  get master(): MasterConnection | null {
    return this.#master;
  }

  set master(master: MasterConnection | null) {
    this.#master = master;
    this.#attachFeed();
  }

  // Listens to the write feed exactly while #feed has a stream to append to.
  #attachFeed(): void {
    const feed = this.#host.replicationFeed;
    const at = feed.indexOf(this.#listener);
    const feeding = this.#master === null && this.#backlog !== null;
    if (feeding && at < 0) feed.push(this.#listener);
    else if (!feeding && at >= 0) feed.splice(at, 1);
  }

  /** Starts the cron, and the link to the master `replicaof` names at start-up. */
  start(): void {
    this.#cron = setInterval(() => this.#tick(), CRON_MS);
    Deno.unrefTimer(this.#cron as unknown as number);
    // An RDB written by a server with replication records where the stream stood.
    const aux = this.#host.persistence.loadedAux;
    const id = aux?.get("repl-id") ?? "";
    const offset = Number(aux?.get("repl-offset") ?? NaN);
    const restored = id.length === 40 && Number.isSafeInteger(offset) && offset >= 0
      ? { replid: id, offset }
      : null;
    const replicaof = this.#host.config.string("replicaof");
    if (replicaof !== "") {
      const [host, port] = replicaof.split(" ");
      if (restored !== null) {
        // A replica restarted: it asks its master to continue from there.
        this.replid = restored.replid;
        this.offset = restored.offset;
      }
      this.follow(host, Number(port), false, false, restored);
      if (restored !== null) this.master!.streamDb = Number(aux!.get("repl-stream-db") ?? 0);
    } else if (restored !== null) {
      // A master restarted: its old history continues under a new ID, from a backlog
      // that starts where the file was written, so its replicas continue partially.
      this.replid = restored.replid;
      this.offset = restored.offset;
      this.#shiftId();
      this.backlog = new ReplicationBacklog(
        this.#host.config.number("repl-backlog-size"),
        this.offset,
      );
      // Keys that expired while the master was down: a DEL each, as any expiry.
      for (const [db, key] of this.#host.persistence.expiredAtLoad) this.#feed(db, ["DEL", key]);
    }
    this.#host.persistence.expiredAtLoad = [];
  }

  /** Stops everything (shutdown). */
  stop(): void {
    clearInterval(this.#cron);
    this.master?.close();
  }

  get isReplica(): boolean {
    return this.master !== null;
  }

  /** The replication AUX fields a snapshot records, or null without a stream. */
  aux(): ReplicationAux | null {
    if (this.backlog === null && this.master === null) return null;
    const streamDb = this.master !== null ? this.master.streamDb : Math.max(0, this.#selectedDb);
    return { streamDb, id: this.replid, offset: this.offset };
  }

  // ---------------------------------------------------------------------------
  // The stream

  // A write from the write path. A replica passes on its master's bytes instead, and
  // without a backlog there is nobody to feed.
  #feed(db: number, argv: string[]): void {
    if (this.master !== null || this.backlog === null) return;
    if (db !== -1 && db !== this.#selectedDb) {
      this.#selectedDb = db;
      this.#append(encodeRequest(["SELECT", String(db)]));
    }
    this.#append(encodeRequest(argv));
  }

  /** DEBUG REPLICATE: a command for the replicas only (a master's; a replica passes). */
  inject(db: number, argv: string[]): void {
    this.#feed(db, argv);
  }

  /**
   * Appends bytes to the stream: the shared buffer (backlog.ts) keeps them once, and
   * every replica reading it is sent them (online) or holds them (waiting for its
   * snapshot); either way its output buffer limit is checked.
   */
  #append(bytes: Uint8Array): void {
    this.offset += bytes.length;
    const added = this.backlog?.append(bytes) ?? false;
    for (const peer of this.replicas) {
      if (peer.stream === null) continue;
      if (peer.stream.sending || added) this.#host.deliver(peer.client);
    }
  }

  /**
   * The part of the shared replication buffer counted as the replicas' memory rather
   * than the backlog's: what it holds past repl-backlog-size while replicas read it.
   */
  get pendingBytes(): number {
    return this.backlog?.replicasShare ?? 0;
  }

  // Replies of the protocol (+CONTINUE, the snapshot's framing, keep-alive newlines): the
  // replica's own output, sent ahead of any stream bytes.
  #sendText(peer: ReplicaPeer, text: string): void {
    peer.client.reply.raw(latin1Bytes(text));
    this.#host.deliver(peer.client);
  }

  // ---------------------------------------------------------------------------
  // Serving replicas

  /** Creates the backlog when the first replica comes (a new history, a new ID). */
  #ensureBacklog(): void {
    if (this.backlog !== null) return;
    if (this.master === null) {
      this.replid = newReplicationId();
      this.replid2 = ZERO_ID;
      this.secondOffset = -1;
    }
    this.backlog = new ReplicationBacklog(
      this.#host.config.number("repl-backlog-size"),
      this.offset,
    );
  }

  /**
   * PSYNC replid offset (or SYNC, `replid` null): continues the replica from the
   * backlog, or starts a full resync. The reply is written to the client here.
   */
  sync(client: ReplicationClient, replid: string | null, from: number, capas: Capas): void {
    const log = this.#host.log;
    const peer: ReplicaPeer = {
      client,
      state: "wait_bgsave",
      psync: replid !== null,
      capaEof: capas.eof,
      capaPsync2: capas.psync2,
      listeningPort: capas.listeningPort,
      announcedIp: capas.ip,
      rdbOnly: capas.rdbOnly,
      rdbFilter: capas.rdbFilter,
      ackOffset: 0,
      ackTime: Date.now(),
      waitingSince: Date.now(),
      stream: null,
    };
    const stats = this.#host.stats;
    const name = this.describe(peer);
    if (replid !== null) {
      if (this.#continue(peer, replid, from)) {
        stats.syncPartialOk++;
        return;
      }
      if (replid !== "?") stats.syncPartialErr++;
    } else log.notice(`Replica ${name} asks for synchronization`);
    stats.syncFull++;
    client.replica = peer;
    this.replicas.add(peer);
    this.#noReplicasSince = 0;
    this.#ensureBacklog();
    log.notice(`Full resync requested by replica ${name}`);
    // A disk snapshot starts at once; a diskless one waits repl-diskless-sync-delay for
    // more replicas to share it (the cron starts it), unless that is 0.
    if (!this.#diskless(peer) || this.#host.config.number("repl-diskless-sync-delay") === 0) {
      this.#startTransfer();
    }
  }

  // A partial resync: true when the backlog had what the replica lacks.
  #continue(peer: ReplicaPeer, replid: string, from: number): boolean {
    const log = this.#host.log;
    const backlog = this.backlog;
    const known = replid === this.replid ||
      (replid === this.replid2 && from <= this.secondOffset);
    if (!known) {
      if (replid !== "?") {
        if (replid !== this.replid && replid !== this.replid2) {
          log.notice(
            `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`,
          );
        } else {
          log.notice(
            `Partial resynchronization not accepted: Requested offset for second ID was ${from}, but I can reply up to ${this.secondOffset}`,
          );
        }
      }
      return false;
    }
    if (backlog === null || !backlog.holds(from)) {
      log.notice(
        `Unable to partial resync with replica ${
          this.describe(peer)
        } for lack of backlog (Replica request was: ${from}).`,
      );
      return false;
    }
    const client = peer.client;
    client.replica = peer;
    peer.state = "online";
    this.replicas.add(peer);
    this.#noReplicasSince = 0;
    // The reply goes ahead of the stream: the client sends its own output first.
    peer.stream = backlog.reader(from);
    peer.stream.sending = true;
    this.#sendText(peer, peer.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : "+CONTINUE\r\n");
    log.notice(
      `Partial resynchronization request from ${this.describe(peer)} accepted. Sending ${
        backlog.end + 1 - from
      } bytes of backlog starting from offset ${from}.`,
    );
    return true;
  }

  // A filtered snapshot always goes to the socket (it is no RDB file to keep).
  #diskless(peer: ReplicaPeer): boolean {
    return peer.capaEof &&
      (peer.rdbFilter !== null || this.#host.config.string("repl-diskless-sync") === "yes");
  }

  // Starts the snapshot for every replica waiting for one (of the kind the first
  // wants), unless one is being made already.
  #startTransfer(): void {
    if (this.#transfer !== null || this.#host.persistence.busy) return;
    const waiting = [...this.replicas].filter((p) => p.state === "wait_bgsave");
    if (waiting.length === 0) return;
    // The replicas that want the same snapshot as the first.
    const diskless = this.#diskless(waiting[0]);
    const filter = waiting[0].rdbFilter;
    const taking = waiting.filter((p) =>
      this.#diskless(p) === diskless && p.rdbFilter?.functions === filter?.functions
    );
    const transfer: Transfer = { diskless, replicas: new Set(taking) };
    // Every replica gets the same snapshot: the stream from here on is theirs, from a
    // SELECT on, held for them in the shared buffer until they are sent it.
    this.#selectedDb = -1;
    for (const peer of taking) {
      if (!peer.rdbOnly) peer.stream = this.backlog!.reader(this.offset + 1);
    }
    const aux = { streamDb: 0, id: this.replid, offset: this.offset };
    const mark = diskless ? newReplicationId() : "";
    let started = false;
    const sink = diskless
      ? async (chunk: Uint8Array) => {
        if (!started) {
          started = true;
          for (const peer of transfer.replicas) {
            peer.state = "send_bulk";
            this.#sendText(peer, `$EOF:${mark}\r\n`);
          }
        }
        const flushes: Promise<void>[] = [];
        for (const peer of transfer.replicas) {
          if (!peer.client.connected) continue;
          peer.client.reply.raw(chunk);
          if (!peer.snapshotWaitingSince) peer.snapshotWaitingSince = Date.now();
          flushes.push(
            peer.client.flush().then(() => {
              peer.snapshotWaitingSince = 0;
            }, () => {}),
          );
        }
        await Promise.all(flushes);
      }
      : undefined;
    // The +FULLRESYNC line goes first: a diskless save writes its first bytes at once.
    this.#transfer = transfer;
    for (const peer of taking) {
      if (peer.psync) this.#sendText(peer, `+FULLRESYNC ${this.replid} ${this.offset}\r\n`);
    }
    const job = this.#host.persistence.replicationSave({
      replication: aux,
      sink,
      only: filter ?? undefined,
    });
    if (job === null) {
      this.#transfer = null;
      this.#host.log.warning("BGSAVE for replication failed");
      for (const peer of taking) peer.client.closeNow();
      return;
    }
    transfer.abort = job.abort;
    job.done.then(async () => {
      if (transfer.aborted) return;
      if (diskless) {
        const up = [...transfer.replicas].filter((peer) => peer.client.connected).length;
        this.#host.log.notice(
          `Diskless rdb transfer, done reading from pipe, ${up} replicas still up.`,
        );
        for (const peer of transfer.replicas) this.#sendText(peer, mark);
      } else {
        await this.#sendFile(job.path, transfer.replicas);
        if (deleteSyncFiles(this.#host.config)) {
          try {
            Deno.removeSync(job.path);
          } catch { /* gone already */ }
        }
      }
      this.#transfer = null;
      for (const peer of transfer.replicas) this.#online(peer);
      this.#startTransfer();
    }, (error) => {
      if (transfer.aborted) return;
      this.#transfer = null;
      this.#host.log.warning(
        `SYNC failed. BGSAVE child returned an error: ${(error as Error)?.message ?? error}`,
      );
      for (const peer of transfer.replicas) peer.client.closeNow();
    });
  }

  // Sends the RDB file to replicas of a disk-based resync.
  async #sendFile(path: string, peers: Set<ReplicaPeer>): Promise<void> {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (error) {
      this.#host.log.warning(`SYNC failed. Can't open/stat DB after BGSAVE: ${error}`);
      for (const peer of peers) peer.client.closeNow();
      peers.clear();
      return;
    }
    try {
      const size = (await file.stat()).size;
      for (const peer of peers) {
        peer.state = "send_bulk";
        this.#sendText(peer, `$${size}\r\n`);
      }
      const chunk = new Uint8Array(1 << 20);
      while (true) {
        const n = await file.read(chunk);
        if (n === null) break;
        const flushes: Promise<void>[] = [];
        for (const peer of peers) {
          if (!peer.client.connected) continue;
          peer.client.reply.raw(chunk.subarray(0, n));
          flushes.push(peer.client.flush().catch(() => {}));
        }
        await Promise.all(flushes);
      }
    } finally {
      file.close();
    }
  }

  // The snapshot is sent: the stream held meanwhile follows, and the replica is online.
  #online(peer: ReplicaPeer): void {
    if (!peer.client.connected) return;
    if (peer.rdbOnly) {
      // The snapshot was all it wanted: the connection ends once it is sent.
      peer.client.flush().finally(() => peer.client.closeNow());
      return;
    }
    peer.state = "online";
    peer.ackTime = Date.now();
    if (peer.stream !== null) peer.stream.sending = true;
    this.#host.deliver(peer.client);
    this.#host.log.notice(
      `Synchronization with replica ${this.describe(peer)} succeeded`,
    );
  }

  /** The replica that says it listens on host:port, or null. */
  findReplica(host: string, port: number): ReplicaPeer | null {
    for (const peer of this.replicas) {
      const ip = peerHost(peer);
      if (ip === host && peer.listeningPort === port) return peer;
    }
    return null;
  }

  /** A replica's connection closed. */
  replicaGone(peer: ReplicaPeer): void {
    if (!this.replicas.delete(peer)) return;
    const transfer = this.#transfer;
    if (transfer !== null && transfer.replicas.delete(peer) && transfer.replicas.size === 0) {
      // A diskless snapshot nobody receives any more stops (Redis kills its child).
      if (transfer.diskless && !transfer.aborted) {
        this.#host.log.warning(
          "Diskless rdb transfer, last replica dropped, killing fork child.",
        );
        transfer.aborted = true;
        transfer.abort?.();
        // The next replica to ask gets a snapshot of its own at once.
        this.#transfer = null;
      }
    }
    // What only this replica still needed of the shared buffer can go.
    peer.stream?.release();
    peer.stream = null;
    this.#host.log.notice(`Connection with replica ${this.describe(peer)} lost.`);
    if (this.replicas.size === 0) this.#noReplicasSince = Date.now();
  }

  /** REPLCONF ACK <offset>. */
  acknowledged(peer: ReplicaPeer, offset: number): void {
    if (offset > peer.ackOffset) peer.ackOffset = offset;
    peer.ackTime = Date.now();
    if (this.#waiting.size !== 0) this.#serveWaiting();
  }

  /** How a replica is named in the log: its address and listening port. */
  describe(peer: ReplicaPeer): string {
    const host = peerHost(peer);
    return `${host}:${peer.listeningPort}`;
  }

  // ---------------------------------------------------------------------------
  // WAIT and min-replicas-to-write

  /** Replicas online that acknowledged `offset` or more. */
  acknowledgedBy(offset: number): number {
    let n = 0;
    for (const peer of this.replicas) {
      if (peer.state === "online" && peer.ackOffset >= offset) n++;
    }
    return n;
  }

  /**
   * WAIT: calls `done` once `replicas` replicas acknowledged `offset`; replicas are
   * asked for their acknowledgements before the server waits for more input.
   */
  wait(client: ReplicationClient, offset: number, replicas: number, done: () => void): void {
    this.#waiting.set(client, { offset, replicas, done });
    this.#askAcks = true;
  }

  /** A WAIT ended by its timeout (or the client left): the count so far. */
  cancelWait(client: ReplicationClient): number {
    const entry = this.#waiting.get(client);
    this.#waiting.delete(client);
    return entry === undefined ? 0 : this.acknowledgedBy(entry.offset);
  }

  #serveWaiting(): void {
    for (const entry of this.#waiting.values()) {
      const n = this.acknowledgedBy(entry.offset);
      if (n >= entry.replicas) entry.done();
    }
  }

  /** Online replicas that have not acknowledged the whole stream (SHUTDOWN waits for them). */
  laggingReplicas(): ReplicaPeer[] {
    return [...this.replicas].filter((p) => p.state === "online" && p.ackOffset < this.offset);
  }

  /** Asks the replicas for their acknowledgements now (REPLCONF GETACK). */
  askAcksNow(): void {
    if (this.backlog !== null && this.replicas.size > 0) {
      this.#append(encodeRequest(["REPLCONF", "GETACK", "*"]));
    }
  }

  /** After the commands of a batch: replicas are asked for acks when a WAIT needs them. */
  beforeSleep(): void {
    if (!this.#askAcks) return;
    this.#askAcks = false;
    if (this.master === null && this.backlog !== null && this.replicas.size > 0) {
      this.#append(encodeRequest(["REPLCONF", "GETACK", "*"]));
    }
  }

  /** Replicas online whose last ack is at most min-replicas-max-lag seconds old. */
  goodReplicas(): number {
    const maxLag = this.#host.config.number("min-replicas-max-lag") * 1000;
    const now = Date.now();
    let n = 0;
    for (const peer of this.replicas) {
      if (peer.state === "online" && now - peer.ackTime <= maxLag) n++;
    }
    return n;
  }

  /** -NOREPLICAS when min-replicas-to-write is not met, else null. */
  writeRefusal(): string | null {
    const needed = this.#host.config.number("min-replicas-to-write");
    if (needed === 0 || this.master !== null) return null;
    if (this.#host.config.number("min-replicas-max-lag") === 0) return null;
    return this.goodReplicas() < needed ? "NOREPLICAS Not enough good replicas to write." : null;
  }

  // ---------------------------------------------------------------------------
  // Following a master

  /**
   * REPLICAOF host port: follows that master (psync from where this server is); false
   * when it follows it already.
   */
  follow(
    host: string,
    port: number,
    fromCommand = true,
    failover = false,
    restored: { replid: string; offset: number } | null = null,
  ): boolean {
    const current = this.master;
    if (current !== null && current.host === host && current.port === port) return false;
    const wasMaster = current === null;
    // What to ask the new master for: this server's own history, or at start-up
    // nothing (a full resync).
    let cached: { replid: string; offset: number } | null = fromCommand
      ? { replid: this.replid, offset: this.offset }
      : restored;
    if (current !== null) {
      cached = current.cachedPosition() ?? cached;
      current.close();
    }
    this.#host.config.applyDirective("replicaof", [host, String(port)]);
    this.master = new MasterConnection(this.#masterHost(), host, port, cached, failover);
    // The stream continues (a partial resync) in the database it had selected: a master
    // sends no SELECT on a +CONTINUE.
    if (current !== null) this.master.streamDb = current.streamDb;
    if (wasMaster) {
      this.#abortTransfer();
      this.#host.roleChanged(true);
    }
    this.master.connectSoon();
    return true;
  }

  /** REPLICAOF NO ONE: this server becomes a master, with a new ID for its history. */
  unfollow(): void {
    const master = this.master;
    if (master === null) return;
    master.close();
    this.master = null;
    this.#host.config.applyDirective("replicaof", ["no", "one"]);
    this.#shiftId();
    // Replicas must hear of the new ID: they come back and continue partially.
    this.#disconnectReplicas();
    this.#selectedDb = -1;
    this.#host.roleChanged(false);
  }

  /** DEBUG CHANGE-REPL-ID: a new ID, and no second one. */
  changeId(): void {
    this.replid = newReplicationId();
    this.replid2 = ZERO_ID;
    this.secondOffset = -1;
  }

  // The current history continues under a new ID (a promotion).
  #shiftId(): void {
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = newReplicationId();
    this.#host.log.notice(
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replid}`,
    );
  }

  #disconnectReplicas(): void {
    for (const peer of [...this.replicas]) peer.client.closeNow();
  }

  #abortTransfer(): void {
    // Replicas in the middle of a resync from this server start over with it later.
    for (const peer of [...this.replicas]) {
      if (peer.state !== "online") peer.client.closeNow();
    }
  }

  // After a full resync: this server continues the master's history.
  #synced(replid: string, offset: number): void {
    this.replid = replid;
    this.replid2 = ZERO_ID;
    this.secondOffset = -1;
    this.offset = offset;
    this.backlog = null;
    this.#ensureBacklog();
    this.#host.persistence.restartAofAfterSync();
  }

  // What the master connection needs from here.
  #masterHost() {
    const host = this.#host;
    return {
      config: host.config,
      log: host.log,
      port: () => host.port,
      // A full resync: the new dataset, the master's ID and offset.
      loaded: async (payload: Uint8Array, replid: string, offset: number) => {
        this.#disconnectReplicas();
        await host.persistence.loadReplicationPayload(payload);
        this.#synced(replid, offset);
      },
      loadAsItArrives: (swap: boolean, expected: number) =>
        host.persistence.loadReplicationAsItArrives(swap, expected),
      synced: (replid: string, offset: number) => {
        this.#disconnectReplicas();
        this.#synced(replid, offset);
      },
      // A partial resync: the stream goes on, maybe under a new ID.
      continued: (replid: string) => {
        if (replid !== "" && replid !== this.replid) {
          this.replid2 = this.replid;
          this.secondOffset = this.offset + 1;
          this.replid = replid;
          this.#disconnectReplicas();
        }
        this.#ensureBacklog();
      },
      // Where to ask a master to continue from.
      position: () => ({ replid: this.replid, offset: this.offset }),
      keyCount: () => host.keyCount(),
      loadingChanged: (load: TransferLoad | null) => {
        host.persistence.transferLoad = load;
      },
      adopt: (conn: Deno.Conn, leftover: Uint8Array, events: MasterStreamEvents, db: number) =>
        host.adoptMasterLink(conn, leftover, events, db),
      // The master's bytes, applied: passed on as they are.
      applied: (bytes: Uint8Array) => this.#append(bytes),
      // The target of a FAILOVER answered the PSYNC ... FAILOVER.
      failoverAnswered: (accepted: boolean) => this.failover.psyncAnswered(accepted),
    };
  }

  // ---------------------------------------------------------------------------
  // Cron

  #tick(): void {
    this.#ticks++;
    const config = this.#host.config;
    const now = Date.now();
    // A diskless transfer starts once repl-diskless-sync-delay has passed for the first
    // replica waiting, or enough replicas wait.
    if (this.#transfer === null) {
      const waiting = [...this.replicas].filter((p) => p.state === "wait_bgsave");
      if (waiting.length > 0) {
        const delay = config.number("repl-diskless-sync-delay") * 1000;
        const max = config.number("repl-diskless-sync-max-replicas");
        const oldest = Math.min(...waiting.map((p) => p.waitingSince));
        if (
          !this.#diskless(waiting[0]) || now - oldest >= delay ||
          (max > 0 && waiting.length >= max)
        ) this.#startTransfer();
      }
    }
    this.failover.update();
    if (this.#ticks % (1000 / CRON_MS) !== 0) return;
    // Once a second, as Redis's replicationCron.
    this.master?.cron();
    const period = config.number("repl-ping-replica-period");
    const seconds = this.#ticks / (1000 / CRON_MS);
    if (
      this.master === null && this.replicas.size > 0 && seconds % period === 0 &&
      this.failover.state === "no-failover"
    ) {
      this.#append(encodeRequest(["PING"]));
    }
    // Replicas waiting for a snapshot hear a newline now and then, to stay connected.
    for (const peer of this.replicas) {
      if (peer.state === "wait_bgsave" && (this.#transfer === null || !this.#transfer.diskless)) {
        this.#sendText(peer, "\n");
      }
    }
    const timeout = config.number("repl-timeout") * 1000;
    for (const peer of [...this.replicas]) {
      // A replica that stopped taking its diskless snapshot holds back the others (not
      // those that took all they were sent and wait for more).
      const waiting = peer.snapshotWaitingSince ?? 0;
      if (
        peer.state === "send_bulk" && this.#transfer?.diskless && waiting !== 0 &&
        now - waiting > timeout
      ) {
        this.#host.log.warning(
          `Disconnecting timedout replica (full sync): ${this.describe(peer)}`,
        );
        peer.client.closeNow();
        continue;
      }
      // A replica that came with SYNC (redis-cli --replica) never acknowledges.
      if (peer.state === "online" && peer.psync && now - peer.ackTime > timeout) {
        this.#host.log.warning(
          `Disconnecting timedout replica (streaming sync): ${this.describe(peer)}`,
        );
        peer.client.closeNow();
      }
    }
    // Without replicas for repl-backlog-ttl seconds a master frees its backlog.
    const ttl = config.number("repl-backlog-ttl") * 1000;
    if (
      this.master === null && this.backlog !== null && this.replicas.size === 0 && ttl > 0 &&
      this.#noReplicasSince !== 0 && now - this.#noReplicasSince > ttl
    ) {
      this.backlog = null;
      this.#host.log.notice(
        `Replication backlog freed after ${ttl / 1000} seconds without connected replicas.`,
      );
    }
  }

  // ---------------------------------------------------------------------------
  // What operators see (src/replication/report.ts)

  /** INFO replication's lines. */
  info(): [string, string | number][] {
    return replicationInfo(this, this.#host.config);
  }

  /** ROLE's reply, written to `out`. */
  role(out: ReplyWriter): void {
    replicationRole(this, out);
  }

  /** The link state, for INFO and the -MASTERDOWN check. */
  get linkState(): MasterLinkState | null {
    return this.master?.state ?? null;
  }
}

// A snapshot being made for replicas (the stream that follows it is held for them in
// the shared buffer).
interface Transfer {
  diskless: boolean;
  replicas: Set<ReplicaPeer>;
  /** Stops the snapshot (a diskless one nobody receives any more). */
  abort?: () => void;
  aborted?: boolean;
}
