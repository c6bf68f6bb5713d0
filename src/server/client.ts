// Per-connection state: the decoder and reply buffers, the selected database, and the
// facts CLIENT LIST reports. Implements the Session interface commands work with.

import type { ServerApi, Session, SessionFacts } from "../commands/context.ts";
import type { User } from "../acl/acl.ts";
import type { Capas, ReplicaPeer } from "../replication/replication.ts";
import { type ClientMemory, clientMemory } from "./client_memory.ts";
import type { OutputBufferLimit } from "../config/mod.ts";
import type { KeyspaceNotifier } from "../messaging/keyspace_events.ts";
import type { Subscriptions } from "../messaging/pubsub.ts";
import { RequestDecoder } from "../protocol/decoder.ts";
import { ERR_EXECABORT } from "../protocol/errors.ts";
import { ReplyWriter } from "../protocol/reply_writer.ts";
import type { Database } from "../store/keyspace.ts";
import type { CallStack } from "./call.ts";
import type { BlockedState, KeyEvents } from "./key_events.ts";
import { isLoopbackAddress } from "../util/loopback.ts";
import { directSocket, sendNow } from "./direct_send.ts";

/** Pending output at least this large is set aside while a send is in flight. */
const QUEUE_ABOVE = 64 * 1024;

/** What a client needs from the server to run transactions and blocking commands. */
export interface ClientHost {
  readonly keyEvents: KeyEvents;
  /** The running commands, whose frames take a handler's reports. */
  readonly calls: CallStack;
  readonly notifier: KeyspaceNotifier;
  /** The output buffer limits of the normal and pubsub classes. */
  outputLimit(kind: "normal" | "replica" | "pubsub"): OutputBufferLimit;
  /** Adds (true) or removes (false) a client from MONITOR's audience. */
  setMonitor(client: Client, on: boolean): void;
  /** Drops every subscription and tracking state of a client (RESET). */
  forgetClient(client: Client): void;
  /** Runs one command for the client without queueing it (EXEC, blocked retries). */
  execute(client: Client, argv: string[]): void;
  /** A blocked client timed out or was released: serve what it has buffered since. */
  resume(client: Client): void;
  /** The running command's slow part starts (Session.slowPart). */
  slowPart(): void;
}

/** Where a client connected from and to. */
export interface Endpoints {
  addr: string;
  laddr: string;
  fd: number;
  /** Connected through the Unix socket (addr and laddr are then "<path>:0"). */
  unix?: boolean;
}

// Shared defaults: a closure or promise of its own would cost every idle client.
const NO_FLAGS = (): string => "";
const NOTHING = (): void => {};
/** What flush() returns when everything was sent at once. */
export const SETTLED: Promise<void> = Promise.resolve();

/** One connected client. */
export class Client implements Session, SessionFacts {
  readonly id: number;
  readonly reply = new ReplyWriter();
  readonly decoder: RequestDecoder;
  readonly server: ServerApi;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  /** Connected through the Unix socket. */
  readonly unixSocket: boolean;
  readonly createdAt = Date.now();
  db: Database;
  name = "";
  authenticated: boolean;
  user: User;
  lastInteraction = this.createdAt;
  /** When the reply buffer's peak was last reset (see DebugSwitches.replyPeakResetMs). */
  replyPeakResetAt = this.createdAt;
  lastCommand = "NULL";
  /** Set once the connection must end after the pending replies are sent. */
  closing = false;
  /** True while one of this client's commands runs. */
  running = false;
  /** The request being run (a blocked command is run again with it). */
  currentArgv: string[] = [];
  /** See Session.mustObey: set on the AOF-loading client. */
  mustObey = false;
  /** Commands queued since MULTI, or null outside a transaction. */
  transaction: string[][] | null = null;
  /** A command was refused while queueing: EXEC must abort. */
  transactionFailed = false;
  /** True while EXEC runs the queued commands (blocking commands must not block). */
  executingTransaction = false;
  /** WATCHed keys as [db, key]. */
  readonly watched: [number, string][] = [];
  /** A watched key changed: EXEC must fail. */
  watchDirty = false;
  /** Set while a blocking command waits for data. */
  blockedState: BlockedState | null = null;
  /** True while a blocked command is being run again after its key changed. */
  retrying = false;
  /** See Session.readyKey. */
  readyKey: string | null = null;
  /** Set when the re-run command found nothing and asked to keep waiting. */
  stillWaiting = false;
  /** Channels, patterns and shard channels subscribed to; null when none. */
  subscriptions: Subscriptions | null = null;
  /** When the output buffer went over the soft limit (0: it is under). */
  softLimitSince = 0;
  replyOff = false;
  replySkipNext = false;
  replySkip = false;
  noEvict = false;
  /** The memory client eviction last measured (src/server/client_memory.ts). */
  memoryCounted = 0;
  /** Its unfinished request's size when used memory was last told (see connection.ts). */
  pendingNoted = 0;
  monitoring = false;
  /** For the client a script's commands run as: the client running the script. */
  scriptCaller: Client | null = null;
  /** Set while this client's command waits for a script that yielded to finish. */
  deferred: Promise<void> | null = null;
  /** A command held back by CLIENT PAUSE, run once the pause ends. */
  postponed: string[] | null = null;
  /** See Session.replica. */
  replica: ReplicaPeer | null = null;
  /** See Session.isMaster. */
  isMaster = false;
  /** See Session.woff. */
  woff = 0;
  /** See Session.replconf (one object per client, made when first asked for). */
  get replconf(): Capas {
    return this.#replconf ??= {
      eof: false,
      psync2: false,
      rdbOnly: false,
      rdbFilter: null,
      listeningPort: 0,
      ip: "",
    };
  }
  #replconf: Capas | null = null;
  /** Extra CLIENT LIST flag letters owned by other parts (tracking: t, R, B). */
  extraFlags: () => string = NO_FLAGS;
  /** Runs requests buffered while the client was blocked (set by the connection). */
  processBuffered: () => void = NOTHING;
  #host: ClientHost | null = null;
  #conn: Deno.Conn | null;
  // The socket's descriptor while replies may be sent on it directly (see
  // direct_send.ts), else -1; cleared with #conn.
  #fd: number;
  #flushing: Promise<void> = SETTLED;
  // True from the start of a drain until the moment it finds nothing more to send. A
  // flush after that moment starts a new drain: the finished one's promise may not have
  // settled yet, and output handed to it then would wait for the next flush.
  #draining = false;
  /** Output moved out of `reply` while a send was in flight, oldest first. */
  #queued: Uint8Array[] = [];
  #queuedBytes = 0;
  // The part of the chunk being written that the socket has not taken yet: a peer that
  // reads nothing leaves it all there, and it counts as output buffer, as in Redis.
  #unsent = 0;
  // appendfsync always: set while only output set aside by holdOutput may be sent (the
  // reply buffer holds output whose writes the disk may not have yet).
  #onlyHeld = false;
  #onBytesOut: (n: number) => void;

  constructor(
    id: number,
    conn: Deno.Conn | null,
    server: ServerApi,
    options: { endpoints: Endpoints; db: Database; onBytesOut?: (n: number) => void },
  ) {
    this.id = id;
    this.#conn = conn;
    this.#fd = conn === null ? -1 : directSocket(conn);
    this.server = server;
    this.addr = options.endpoints.addr;
    this.laddr = options.endpoints.laddr;
    this.fd = options.endpoints.fd;
    this.unixSocket = options.endpoints.unix ?? false;
    this.db = options.db;
    this.#onBytesOut = options.onBytesOut ?? NOTHING;
    this.user = server.acl.defaultUser;
    this.authenticated = this.user.enabled && this.user.nopass;
    this.decoder = new RequestDecoder({
      maxBulkLength: server.config.number("proto-max-bulk-len"),
    });
    this.decoder.unauthenticated = !this.authenticated;
  }

  /** False once the socket is closed. */
  get connected(): boolean {
    return this.#conn !== null;
  }

  get facts(): SessionFacts {
    return this;
  }

  /** Unparsed bytes, plus the running command's own bytes, as Redis counts qbuf. */
  get queryBuffer(): number {
    const decoder = this.decoder;
    return this.running ? decoder.buffered + decoder.consumed - decoder.start : decoder.buffered;
  }

  get partialArgvBytes(): number {
    return this.decoder.partialArgvBytes;
  }

  /** The buffer's room past qbuf (the running command's bytes are still in it, as in Redis). */
  get queryBufferFree(): number {
    return Math.max(0, this.decoder.capacity - this.queryBuffer);
  }

  get replyBufferSize(): number {
    return this.reply.held;
  }

  get replyBufferPeak(): number {
    return this.reply.peak;
  }

  /**
   * Output not sent yet: waiting, set aside, and what the socket has not taken yet. A
   * replica's stream is not in it: that is held once for all replicas in the shared
   * replication buffer (see replicaStreamHeld).
   */
  get outputBuffer(): number {
    return this.reply.length + this.#queuedBytes + this.#unsent;
  }

  /** The part of the shared replication buffer held for this replica (0 for others). */
  get replicaStreamHeld(): number {
    return this.replica?.stream?.held ?? 0;
  }

  get flags(): string {
    let flags = "";
    if (this.monitoring) flags += "O";
    else if (this.replica !== null) flags += "S";
    if (this.isMaster) flags += "M";
    if (this.subscriptions !== null) flags += "P";
    if (this.transaction !== null) flags += "x";
    if (this.blockedState !== null || this.postponed !== null || this.deferred !== null) {
      flags += "b";
    }
    flags += this.extraFlags();
    if (this.watchDirty) flags += "d";
    if (this.closing) flags += "c";
    if (this.unixSocket) flags += "U";
    if (this.noEvict) flags += "e";
    return flags === "" ? "N" : flags;
  }

  /** Redis's islocalClient: the Unix socket, or exactly the IPv4 or IPv6 loopback. */
  get local(): boolean {
    return this.unixSocket || isLoopbackAddress(this.addr);
  }

  get memory(): ClientMemory {
    return clientMemory(this, this.server.tracking.stateOf(this)?.prefixes);
  }

  get queued(): number {
    return this.transaction === null ? -1 : this.transaction.length;
  }

  startMonitor(): void {
    this.monitoring = true;
    this.#host?.setMonitor(this, true);
  }

  reset(): void {
    this.discardTransaction();
    this.#host?.forgetClient(this);
    if (this.monitoring) {
      this.monitoring = false;
      this.#host?.setMonitor(this, false);
    }
    this.replyOff = false;
    this.replySkipNext = false;
    this.replySkip = false;
    this.noEvict = false;
    this.name = "";
    this.db = this.server.keyspace.databases[0];
    this.setProtocol(2);
    this.user = this.server.acl.defaultUser;
    this.authenticated = this.user.enabled && this.user.nopass;
  }

  setProtocol(version: 2 | 3): void {
    this.reply.resp = version;
  }

  /** Connects the client to the server parts that transactions and blocking use. */
  attach(host: ClientHost): void {
    this.#host = host;
  }

  get inMulti(): boolean {
    return this.transaction !== null;
  }

  get inScript(): boolean {
    return this.scriptCaller !== null;
  }

  beginTransaction(): void {
    this.transaction = [];
    this.transactionFailed = false;
  }

  discardTransaction(): void {
    this.transaction = null;
    this.transactionFailed = false;
    this.unwatchAll();
  }

  /** EXEC: aborts, fails (a watched key changed) or runs every queued command. */
  execTransaction(): void {
    const queued = this.transaction ?? [];
    if (this.transactionFailed) {
      this.discardTransaction();
      this.reply.error(ERR_EXECABORT);
      return;
    }
    // A watched key whose time ran out since WATCH counts as changed: looking it up
    // removes it, and the removal touches its watchers.
    for (const [db, key] of this.watched) this.server.keyspace.databases[db]?.get(key);
    const dirty = this.watchDirty;
    this.discardTransaction();
    if (dirty) {
      this.reply.nullArray();
      return;
    }
    this.reply.arrayLen(queued.length);
    this.executingTransaction = true;
    try {
      for (const argv of queued) this.#host!.execute(this, argv);
    } finally {
      this.executingTransaction = false;
    }
  }

  watchKey(key: string): void {
    const db = this.db.id;
    if (this.watched.some(([d, k]) => d === db && k === key)) return;
    this.watched.push([db, key]);
    this.#host!.keyEvents.watch(this, db, key, this.db.isExpired(key));
  }

  unwatchAll(): void {
    for (const [db, key] of this.watched) this.#host?.keyEvents.unwatch(this, db, key);
    this.watched.length = 0;
    this.watchDirty = false;
  }

  /**
   * Blocks the running command until one of `keys` changes or `timeoutMs` passes
   * (0: forever). Returns false where blocking is not allowed (inside EXEC): the
   * handler then answers as for a timeout itself.
   */
  block(keys: string[], timeoutMs: number, onTimeout?: () => void): boolean {
    if (this.executingTransaction || this.#host === null) return false;
    if (this.retrying) {
      // Still nothing to serve: keep the place in line.
      this.stillWaiting = true;
      return true;
    }
    const state: BlockedState = {
      db: this.db.id,
      keys,
      argv: this.currentArgv,
      timer: undefined,
      onTimeout: onTimeout ?? (() => this.reply.nullArray()),
    };
    if (timeoutMs > 0) {
      state.timer = setTimeout(() => {
        if (this.blockedState !== state) return;
        this.unblock();
        state.onTimeout();
        this.#host?.resume(this);
      }, Math.min(timeoutMs, 2 ** 31 - 1)); // setTimeout turns longer delays into 1 ms
    }
    this.blockedState = state;
    this.#host.keyEvents.block(this, state);
    return true;
  }

  defer(done: Promise<void>): void {
    this.deferred = done;
  }

  // ---------------------------------------------------------------------------
  // A handler's reports, kept in the running command's frame (see call.ts).

  propagateAs(argv: string[]): void {
    const frame = this.#host?.calls.current;
    if (frame == null) return;
    (frame.propagated ??= []).push(argv);
  }

  propagateToReplicas(): void {
    const frame = this.#host?.calls.current;
    if (frame == null) return;
    frame.propagated = [frame.argv];
    frame.replicasOnly = true;
  }

  preventPropagation(): void {
    const frame = this.#host?.calls.current;
    if (frame != null) frame.propagated ??= [];
  }

  keyChanged(key: string, db = this.db.id): void {
    const frame = this.#host?.calls.current;
    if (frame == null) return;
    (frame.changed ??= []).push(db, key);
  }

  slowPart(): void {
    this.#host?.slowPart();
  }

  noKeyChanged(): void {
    const frame = this.#host?.calls.current;
    if (frame != null) frame.changed ??= [];
  }

  keyReady(key: string): void {
    this.#host?.keyEvents.ready(this.db.id, key);
  }

  databaseChanged(db: number, other?: number): void {
    const host = this.#host;
    const frame = host?.calls.current;
    if (host == null || frame == null) return;
    if (other === undefined) frame.flushed = true;
    // WATCH must see the data as it is before the change, so this part acts now.
    const databases = this.server.keyspace.databases;
    if (other === undefined) {
      const target = databases[db];
      host.keyEvents.touchDatabase(db, (k) => target.has(k));
      // Blocked XREADGROUP calls learn that their key is gone.
      host.keyEvents.readyAllBlocked(db);
    } else {
      for (const [x, y] of [[db, other], [other, db]]) {
        host.keyEvents.touchDatabase(x, (k) => databases[x].has(k) || databases[y].has(k));
        host.keyEvents.readyAllBlocked(x);
      }
    }
    frame.changed ??= [];
  }

  notify(type: number, event: string, key: string, db = this.db.id): void {
    const host = this.#host;
    const frame = host?.calls.current;
    if (host == null || frame == null || (host.notifier.flags & type) === 0) return;
    (frame.events ??= []).push(type, event, key, db);
  }

  /**
   * True when the pending output is over the hard limit of the client's class, or has
   * stayed over the soft limit for longer than allowed.
   */
  overOutputLimit(): boolean {
    const host = this.#host;
    if (host === null) return false;
    const replica = this.replica !== null;
    const limit = host.outputLimit(
      replica ? "replica" : this.subscriptions !== null ? "pubsub" : "normal",
    );
    let used = this.outputBuffer;
    let hard = limit.hard;
    if (replica) {
      // A replica's share of the shared buffer counts. A hard limit below
      // repl-backlog-size would end every partial resync that sends more than it, so
      // the backlog's size applies then (as in Redis 7.0: the memory is shared anyway).
      used += this.replicaStreamHeld;
      const backlog = this.server.config.number("repl-backlog-size");
      if (hard > 0 && hard < backlog) hard = backlog;
    }
    if (hard > 0 && used >= hard) return true;
    if (limit.soft > 0 && used >= limit.soft) {
      const now = Date.now();
      if (this.softLimitSince === 0) this.softLimitSince = now;
      else if (now - this.softLimitSince >= limit.softSeconds * 1000) return true;
    } else this.softLimitSince = 0;
    return false;
  }

  /** See Session.outputLimitReached. */
  outputLimitReached(): boolean {
    return this.#conn !== null && this.overOutputLimit();
  }

  /** Ends the wait of a blocked command (served, timed out or disconnected). */
  unblock(): void {
    const state = this.blockedState;
    if (state === null) return;
    clearTimeout(state.timer);
    this.blockedState = null;
    this.#host?.keyEvents.unblock(this, state);
  }

  /**
   * Ends the connection. The client running the current command (QUIT) closes after
   * its replies are flushed; any other client (CLIENT KILL) is closed at once.
   */
  close(): void {
    if (this.running) this.closing = true;
    else this.closeNow();
  }

  /** Closes the socket now, dropping unsent replies. */
  closeNow(): void {
    this.closing = true;
    this.unblock();
    this.unwatchAll();
    this.reply.discard();
    this.#queued = [];
    this.#queuedBytes = 0;
    this.#unsent = 0;
    const conn = this.#conn;
    this.#conn = null;
    this.#fd = -1;
    if (conn === null) return;
    // close() lets go of the socket only once the event loop next polls (a read is
    // pending on it): the peer would learn of the end after replies written in this
    // turn (CLIENT KILL of a replica inside MULTI, then EXEC's reply). Shutting the
    // writing side tells it at once, as closing its socket does in Redis.
    conn.closeWrite().catch(() => {});
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * appendfsync always: takes the output so far out of the reply buffer, for
   * `sendHeld` once the disk has the writes before it. Until the next plain `flush`,
   * nothing else is sent: output added meanwhile waits for a later fsync.
   */
  holdOutput(): Uint8Array | null {
    this.#onlyHeld = true;
    if (this.reply.length === 0) return null;
    const taken = this.reply.take();
    const chunk = taken.slice();
    this.reply.release(taken);
    return chunk;
  }

  /** Sends output `holdOutput` set aside, after what was set aside before it. */
  sendHeld(chunk: Uint8Array): Promise<void> {
    this.#queued.push(chunk);
    this.#queuedBytes += chunk.length;
    if (!this.#draining) this.#flushing = this.#drain();
    return this.#flushing;
  }

  /** Resolves once what is being sent has been (starts nothing). */
  sent(): Promise<void> {
    return this.#flushing;
  }

  /** Sends every pending reply; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.#onlyHeld = false;
    if (
      !this.#draining && this.#fd >= 0 && this.#queued.length === 0 && this.replica === null &&
      !this.isMaster
    ) {
      // Nothing of this connection's is on its way: send now what the socket takes. (Not
      // on a replica's link or this server's link to its master: the replication code
      // writes those streams with conn.write, and the two must not interleave.)
      const length = this.reply.length;
      const sent = length === 0 ? 0 : sendNow(this.#fd, this.reply.buffer, length);
      if (sent === length) {
        this.reply.sentInPlace();
        this.#onBytesOut(length);
        return SETTLED;
      }
      if (sent > 0) {
        // The socket is full: the rest goes as a chunk of its own once it has room.
        this.#onBytesOut(sent);
        const taken = this.reply.take();
        this.#queued.push(taken.subarray(sent));
        this.#queuedBytes += length - sent;
      }
    }
    if (!this.#draining) {
      this.#flushing = this.#drain();
    } else if (this.reply.length >= QUEUE_ABOVE) {
      // The peer reads slowly (a subscriber that never reads): set this output aside
      // so the reply buffer starts small again, instead of doubling and copying its
      // way up to the output buffer limit (tens of MB copied at once stall everyone).
      // An exact copy: the buffer itself is twice as large at worst and is reused.
      const taken = this.reply.take();
      const chunk = taken.slice();
      this.reply.release(taken);
      this.#queued.push(chunk);
      this.#queuedBytes += chunk.length;
    }
    return this.#flushing;
  }

  // Sends the client's own output, then (a replica) the stream from the shared
  // replication buffer, until there is nothing left.
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#conn !== null) {
        if (this.#queued.length > 0 || (this.reply.length > 0 && !this.#onlyHeld)) {
          await this.#sendOwn();
          continue;
        }
        const stream = this.replica?.stream;
        const chunk = stream?.peek() ?? null;
        if (chunk === null) break;
        // A view into the shared buffer: the reader moves on as the socket takes it.
        let offset = 0;
        while (offset < chunk.length) {
          const n = await this.#conn.write(chunk.subarray(offset));
          offset += n;
          stream!.advance(n);
        }
        this.#onBytesOut(chunk.length);
      }
    } finally {
      this.#draining = false;
    }
  }

  // Sends the oldest chunk of the client's own output.
  async #sendOwn(): Promise<void> {
    const queued = this.#queued.shift();
    if (queued !== undefined) this.#queuedBytes -= queued.length;
    const chunk = queued ?? this.reply.take();
    this.#unsent = chunk.length;
    try {
      let offset = 0;
      while (offset < chunk.length) {
        offset += await this.#conn!.write(chunk.subarray(offset));
        this.#unsent = chunk.length - offset;
      }
      this.#onBytesOut(chunk.length);
    } finally {
      this.#unsent = 0;
      this.reply.release(chunk);
    }
  }
}
