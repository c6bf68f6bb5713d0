// The server: listeners and their accept loops, the connected clients, the periodic
// housekeeping (active expiry, idle timeouts) and a clean shutdown.

import { commandTable } from "../commands/mod.ts";
import type { CommandSpec, ServerApi, ServerStats, Session } from "../commands/context.ts";
import { arityAccepts, callTarget, type CommandTable, keysOf } from "../commands/table.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { ERR_MAX_CLIENTS } from "../protocol/errors.ts";
import { Persistence } from "../persistence/persistence.ts";
import { Keyspace } from "../store/keyspace.ts";
import { Client, type ClientHost } from "./client.ts";
import { serveConnection } from "./connection.ts";
import { dispatch } from "./dispatch.ts";
import { KeyEvents } from "./key_events.ts";

/** Called with every write command in its deterministic form (AOF, replicas). */
export type PropagateListener = (db: number, argv: string[]) => void;

const encoder = new TextEncoder();

/** A running Redeno server. */
export class Server implements ServerApi, ClientHost {
  readonly config: Config;
  readonly log: Logger;
  readonly keyspace: Keyspace;
  readonly table: CommandTable;
  readonly stats: ServerStats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    expiredKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    errorReplies: 0,
    errorsByPrefix: new Map(),
    commands: new Map(),
  };
  readonly clients = new Map<number, Client>();
  readonly startedAt = Date.now();
  readonly runId: string;
  readonly configFile: string;
  readonly propagateListeners: PropagateListener[] = [];
  /**
   * The write stream as the AOF (and replicas) take it: the same writes as
   * propagateListeners, except that the writes of an EXEC, when there are several,
   * come wrapped in MULTI ... EXEC (MULTI with the first write's database, EXEC with
   * database -1: no SELECT), as Redis 7.0 propagates them.
   */
  readonly replicationFeed: PropagateListener[] = [];
  /** Snapshots, the AOF, loading at start-up. */
  readonly persistence: Persistence;
  /**
   * Set while the AOF is on: each connection runs it before sending the replies of a
   * batch (the log reaches the OS, or the disk with appendfsync always, first).
   */
  beforeReplies: (() => Promise<void> | void) | null = null;
  readonly keyEvents = new KeyEvents();
  /** See DispatchContext.beforeWrite: installed by a running background snapshot. */
  beforeWrite: ((db: number, spec: CommandSpec, argv: string[]) => void) | null = null;
  dirty = 0;
  port = 0;
  #listeners: Deno.TcpListener[] = [];
  #nextClientId = 1;
  #cron: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<void> | null = null;
  #closed: PromiseWithResolvers<void> = Promise.withResolvers();
  // The writes of the EXEC being run, for the replication feed; null outside EXEC.
  #transaction: [number, string[]][] | null = null;
  #replayClient: Client | null = null;

  constructor(config: Config, log: Logger, options: { configFile?: string } = {}) {
    this.config = config;
    this.log = log;
    this.configFile = options.configFile ?? "";
    this.keyspace = new Keyspace(config.number("databases"), (db, key) => {
      this.stats.expiredKeys++;
      // Replicas and the AOF never expire keys themselves: they are told. Inside EXEC
      // the DEL goes out at once, ahead of the transaction, as in Redis.
      const argv = ["DEL", key];
      for (const listener of this.propagateListeners) listener(db.id, argv);
      for (const listener of this.replicationFeed) listener(db.id, argv);
      if (!this.keyEvents.idle) this.#touchKeys(db.id, argv);
    });
    this.table = commandTable();
    this.persistence = new Persistence(this);
    // Connections read these limits when they start; CONFIG SET updates the live ones.
    config.onChange("proto-max-bulk-len", () => {
      const limit = config.number("proto-max-bulk-len");
      for (const client of this.clients.values()) client.decoder.maxBulkLength = limit;
    });
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    this.runId = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  get commands(): ReadonlyMap<string, CommandSpec> {
    return this.table.byName;
  }

  /** Resolves once the server has shut down. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  *sessions(): Iterable<Session> {
    yield* this.clients.values();
  }

  get blockedClients(): number {
    return this.keyEvents.blockedClients;
  }

  writeRefusal(): string | null {
    return this.persistence.writeRefusal();
  }

  touchKey(db: number, key: string): void {
    this.keyEvents.touch(db, key);
  }

  propagate(db: number, argv: string[]): void {
    for (const listener of this.propagateListeners) listener(db, argv);
    if (this.replicationFeed.length !== 0) {
      if (this.#transaction !== null) this.#transaction.push([db, argv]);
      else for (const listener of this.replicationFeed) listener(db, argv);
    }
    if (!this.keyEvents.idle) this.#touchKeys(db, argv);
  }

  // After EXEC: its writes go to the replication feed, wrapped when there are several.
  #endTransaction(): void {
    const writes = this.#transaction!;
    this.#transaction = null;
    if (writes.length === 0) return;
    const feed = this.replicationFeed;
    const wrap = writes.length > 1;
    if (wrap) { for (const listener of feed) listener(writes[0][0], ["MULTI"]); }
    for (const [db, argv] of writes) for (const listener of feed) listener(db, argv);
    if (wrap) { for (const listener of feed) listener(-1, ["EXEC"]); }
  }

  /**
   * The keys a write command may change (WATCH, blocked clients, a background
   * snapshot's guard): its key specs' keys, except read-only sources such as BITOP's.
   */
  keysOf(spec: CommandSpec, argv: string[]): string[] {
    const keys: string[] = [];
    for (const key of keysOf(spec, argv)) {
      if (!key.flags.includes("RO")) keys.push(argv[key.index]);
    }
    return keys;
  }

  /**
   * Runs a command read from a file at start-up (AOF replay): no client, no reply, no
   * statistics. Returns an error text when the command does not exist or has the
   * wrong number of arguments.
   */
  replay(db: number, argv: string[]): string | null {
    let client = this.#replayClient;
    if (client === null) {
      client = new Client(0, null, this, {
        endpoints: { addr: "", laddr: "", fd: -1 },
        db: this.keyspace.databases[0],
      });
      client.authenticated = true;
      this.#replayClient = client;
    }
    const top = this.table.lookup(argv[0]);
    if (top === undefined) return `Unknown command '${argv[0]}'`;
    const spec = callTarget(top, argv);
    if (spec === undefined) return `Unknown subcommand '${argv[1] ?? ""}' of '${top.name}'`;
    if (!arityAccepts(spec.arity, argv.length)) {
      const fullName = spec === top ? top.name : `${top.name}|${spec.name}`;
      return `Wrong number of arguments for '${fullName}'`;
    }
    client.db = this.keyspace.databases[db];
    client.currentArgv = argv;
    try {
      spec.handler!(client, argv);
    } finally {
      client.reply.discard();
    }
    return null;
  }

  // Tells WATCH and blocked clients which keys a write changed, from the table's key
  // positions; the commands that reach into other databases are spelled out.
  #touchKeys(db: number, argv: string[]): void {
    const name = argv[0].toLowerCase();
    const events = this.keyEvents;
    const databases = this.keyspace.databases;
    if (name === "flushdb" || name === "flushall") {
      // Propagated before the data goes, so only keys that existed count, as in Redis.
      const targets = name === "flushall" ? databases : [databases[db]];
      for (const target of targets) events.touchDatabase(target.id, (k) => target.has(k));
      return;
    }
    if (name === "swapdb") {
      const a = Number(argv[1]), b = Number(argv[2]);
      for (const [x, y] of [[a, b], [b, a]]) {
        events.touchDatabase(x, (k) => databases[x].has(k) || databases[y].has(k));
        events.readyAllBlocked(x);
      }
      return;
    }
    const top = this.table.lookup(name);
    if (top === undefined) return;
    const spec = callTarget(top, argv) ?? top;
    for (const key of this.keysOf(spec, argv)) events.touch(db, key);
    if (name === "move") events.touch(Number(argv[2]), argv[1]);
    if (name === "copy") {
      // COPY src dst DB n: the last DB option wins, as in Redis.
      const at = argv.findLastIndex((a, i) => i > 2 && a.toLowerCase() === "db");
      if (at > 0) events.touch(Number(argv[at + 1]), argv[2]);
    }
  }

  #countError(message: string): void {
    const stats = this.stats;
    stats.errorReplies++;
    const space = message.indexOf(" ");
    const prefix = space < 0 ? message : message.slice(0, space);
    // Like Redis, stop adding new kinds past 128 (a client could invent endless ones).
    const count = stats.errorsByPrefix.get(prefix);
    if (count !== undefined) stats.errorsByPrefix.set(prefix, count + 1);
    else if (stats.errorsByPrefix.size < 128) stats.errorsByPrefix.set(prefix, 1);
  }

  /** Runs one command for a client without MULTI queueing (EXEC, blocked retries). */
  execute(client: Client, argv: string[]): void {
    if (
      client.executingTransaction && this.#transaction === null &&
      this.replicationFeed.length !== 0
    ) {
      this.#transaction = [];
    }
    dispatch(this, client, argv);
  }

  /** After each top-level command: serve clients blocked on the keys it changed. */
  afterCommand(): void {
    if (this.#transaction !== null) this.#endTransaction();
    if (this.keyEvents.blockedClients === 0) return;
    this.keyEvents.serveReady((client) => {
      const state = client.blockedState!;
      client.retrying = true;
      client.stillWaiting = false;
      const db = client.db;
      client.db = this.keyspace.databases[state.db];
      try {
        dispatch(this, client, state.argv);
      } finally {
        client.retrying = false;
        client.db = db;
      }
      if (!client.stillWaiting) {
        client.unblock();
        this.resume(client);
      }
    });
  }

  /** Sends a released client's reply and runs what it sent while it was blocked. */
  resume(client: Client): void {
    const hook = this.beforeReplies;
    const logged = hook === null ? undefined : hook();
    if (logged === undefined) client.flush().catch(() => {});
    else logged.then(() => client.flush()).catch(() => {});
    queueMicrotask(() => client.processBuffered());
  }

  /** Opens the listeners on every bind address; resolves when they accept. */
  listen(): void {
    const wanted = this.config.bindAddresses();
    let port = this.config.number("port");
    for (const entry of wanted) {
      const optional = entry.startsWith("-");
      const hostname = listenHostname(optional ? entry.slice(1) : entry);
      try {
        const listener = Deno.listen({ hostname, port, transport: "tcp" });
        port = (listener.addr as Deno.NetAddr).port;
        this.#listeners.push(listener);
        this.#acceptLoop(listener);
      } catch (error) {
        if (optional) {
          this.log.verbose(`Could not listen on ${hostname}:${port} (optional): ${error}`);
          continue;
        }
        throw new Error(
          `Could not create server TCP listening socket ${hostname}:${port}: ${error}`,
        );
      }
    }
    if (this.#listeners.length === 0) throw new Error("No bind address could be used");
    this.port = port;
    this.#startCron();
    this.config.onChange("hz", () => {
      if (this.#cron !== undefined && this.#stopping === null) this.#startCron();
    });
  }

  // Housekeeping runs hz times a second (CONFIG SET hz re-arms it).
  #startCron(): void {
    clearInterval(this.#cron);
    this.#cron = setInterval(() => this.#housekeeping(), 1000 / this.config.number("hz"));
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    try {
      for await (const conn of listener) this.#accept(conn);
    } catch (error) {
      if (this.#stopping === null) this.log.warning(`Accept loop failed: ${error}`);
    }
  }

  #accept(conn: Deno.TcpConn): void {
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.config.number("maxclients")) {
      this.stats.rejectedConnections++;
      conn.write(encoder.encode(`-${ERR_MAX_CLIENTS}\r\n`)).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch { /* already closed */ }
      });
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(this.config.number("tcp-keepalive") > 0);
    } catch { /* not a TCP socket option the platform supports */ }
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    const id = this.#nextClientId++;
    const client = new Client(id, conn, this, {
      endpoints: { addr: formatAddr(remote), laddr: formatAddr(local), fd: id + 7 },
      db: this.keyspace.databases[0],
      onBytesOut: (n) => {
        this.stats.netOutputBytes += n;
      },
    });
    client.attach(this);
    client.reply.onError = (message) => this.#countError(message);
    this.clients.set(id, client);
    serveConnection(this, client, conn).finally(() => this.clients.delete(id));
  }

  #housekeeping(): void {
    const now = Date.now();
    // Active expiry, like Redis's slow cycle: in each database with TTLs, sample keys
    // in batches of 20 until a batch finds fewer than a quarter of them expired, within
    // a time slice of a quarter of the tick (25 ms at hz 10) shared fairly by the
    // databases that need it. Commands wait at most one slice.
    const volatile = this.keyspace.databases.filter((db) => db.expires.size > 0);
    let left = 250 / Math.max(1, this.config.number("hz"));
    for (let i = 0; i < volatile.length && left > 0; i++) {
      const started = performance.now();
      const deadline = started + left / (volatile.length - i);
      while (performance.now() < deadline) {
        if (volatile[i].expireSample(now, 20) < 5) break;
      }
      left -= performance.now() - started;
    }
    const timeout = this.config.number("timeout");
    if (timeout > 0) {
      for (const client of this.clients.values()) {
        if (now - client.lastInteraction > timeout * 1000) client.closeNow();
      }
    }
  }

  /** Stops accepting, sends what is pending, closes every client. Idempotent. */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    if (!this.persistence.shutdownPrepared) this.log.warning("User requested shutdown...");
    clearInterval(this.#cron);
    await this.persistence.close();
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch { /* already closed */ }
    }
    await Promise.allSettled([...this.clients.values()].map((c) => c.flush()));
    for (const client of this.clients.values()) client.closeNow();
    this.log.warning("Redeno is now ready to exit, bye bye...");
    this.#closed.resolve();
  }
}

// Redis's wildcards: "*" is every IPv4 address, "::*" every IPv6 address.
function listenHostname(address: string): string {
  if (address === "*") return "0.0.0.0";
  if (address === "::*") return "::";
  return address;
}

// Redis writes IPv6 addresses without brackets too ("::1:53422").
function formatAddr(addr: Deno.NetAddr): string {
  return `${addr.hostname}:${addr.port}`;
}
