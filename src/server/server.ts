// The server: listeners and their accept loops, the connected clients, the periodic
// housekeeping (active expiry, idle timeouts) and a clean shutdown.

import { GiveWay } from "./give_way.ts";
import { commandTable } from "../commands/mod.ts";
import { aclCatalogOf } from "../commands/acl.ts";
import { describeClient } from "../commands/client.ts";
import { Acl } from "../acl/acl.ts";
import {
  BIT_FAST,
  BIT_READONLY,
  BIT_SKIP_SLOWLOG,
  BIT_TIMED_WHEN_SLOW,
  BIT_WRITE,
  type CommandSpec,
  type DebugSwitches,
  REPLY_PEAK_RESET_MS,
  type ServerApi,
  type ServerStats,
  type Session,
} from "../commands/context.ts";
import { arityAccepts, callTarget, type CommandTable, fullNameOf } from "../commands/table.ts";
import {
  type Config,
  ConfigError,
  NOTIFY,
  type OutputBufferLimit,
  type OutputBufferLimits,
} from "../config/mod.ts";
import type { Logger } from "../log.ts";
import { KeyspaceNotifier } from "../messaging/keyspace_events.ts";
import { PubSub } from "../messaging/pubsub.ts";
import { Tracking } from "../messaging/tracking.ts";
import { ERR_DENIED_PROTECTED_MODE, ERR_LOADING, ERR_MAX_CLIENTS } from "../protocol/errors.ts";
import { Persistence } from "../persistence/persistence.ts";
import type { PrefetchedFile } from "../persistence/persistence_host.ts";
import { LatencyMonitor } from "../stats/latency.ts";
import { secretArguments, SlowLog } from "../stats/slowlog.ts";
import { Keyspace } from "../store/keyspace.ts";
import { type CallFrame, CallStack, PendingTimes } from "./call.ts";
import { Client, type ClientHost, SETTLED } from "./client.ts";
import { serveConnection } from "./connection.ts";
import { dispatch } from "./dispatch.ts";
import { ScriptRunner } from "./scripting.ts";
import { ScriptCache } from "../scripting/script_cache.ts";
import { FunctionLibraries } from "../scripting/libraries.ts";
import { fsPath, latin1Text } from "../util/latin1.ts";
// MONITOR shows arguments as Redis's sdscatrepr quotes them.
import { quoted } from "../util/quoted.ts";
import { KeyEvents } from "./key_events.ts";
import { ClientEviction, clientMemory } from "./client_memory.ts";
import { valueBytes } from "../persistence/codecs/mod.ts";
import type { Database } from "../store/keyspace.ts";
import { MaxMemory } from "./evict.ts";
import { UsedMemory } from "./used_memory.ts";
import { isLoopbackHost } from "../util/loopback.ts";
import {
  type MasterLinkClient,
  type MasterStreamEvents,
  Replication,
} from "../replication/replication.ts";
import type { ReplicationAux } from "../persistence/rdb_writer.ts";
import { serveMasterLink } from "./master_link.ts";
import { formatAddr, Listeners, plainHost } from "./listeners.ts";
import { randomHex } from "../util/hex.ts";
import { monotonicNow } from "../util/clock.ts";

export { ListenError } from "./listeners.ts";

/**
 * Called with every write in its deterministic form, as the AOF and replicas take it:
 * the writes of an EXEC, when there are several, come wrapped in MULTI ... EXEC (MULTI
 * with the first write's database, EXEC with database -1: no SELECT).
 */
/** Hears each propagated write; `replicasOnly` for what the AOF leaves out (PUBLISH). */
export type PropagateListener = (db: number, argv: string[], replicasOnly?: boolean) => void;

const encoder = new TextEncoder();

/** A running Redeno server. */
export class Server implements ServerApi, ClientHost {
  readonly config: Config;
  readonly log: Logger;
  readonly keyspace: Keyspace;
  readonly table: CommandTable;
  readonly acl: Acl;
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
    lazyfreedObjects: 0,
    evictedKeys: 0,
    evictedClients: 0,
    evictionExceededMs: 0,
    evictionExceededSince: 0,
    errorsByPrefix: new Map(),
    commands: new Map(),
    syncFull: 0,
    syncPartialOk: 0,
    syncPartialErr: 0,
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
  };
  readonly clients = new Map<number, Client>();
  /** Called when the server becomes a replica or a master (oom-score-adj follows). */
  readonly roleWatchers: (() => void)[] = [];
  readonly startedAt = Date.now();
  readonly runId: string;
  /** See ServerApi.shutdownDeadline. */
  shutdownDeadline = 0;
  // SHUTDOWNs waiting for lagging replicas (INFO blocked_clients counts them).
  #shutdownWaiters = 0;
  /** Replication: the replicas fed, the master followed. */
  readonly replication: Replication;
  readonly debug: DebugSwitches = {
    activeExpire: true,
    pauseCron: false,
    scriptsRunAnyCommand: false,
    aofFlushSleepMicros: 0,
    quicklistPackedThreshold: 1 << 30,
    skipChecksumValidation: false,
    replyPeakResetMs: REPLY_PEAK_RESET_MS,
    replyBufferResizing: true,
  };
  readonly configFile: string;
  /** The one write stream: the AOF, replicas and test observers all listen here. */
  readonly replicationFeed: PropagateListener[] = [];
  /** The commands running now, innermost last (EXEC and blocked retries nest). */
  readonly calls = new CallStack();
  /** Where a connection that kept the event loop busy waits its turn (give_way.ts). */
  readonly giveWay = new GiveWay();
  readonly pubsub = new PubSub((subscriber) => this.deliver(subscriber as Client));
  readonly notifier = new KeyspaceNotifier(this.pubsub);
  readonly tracking = new Tracking({
    lookup: (id) => this.clients.get(id),
    // A script's commands run for its caller.
    current: () => {
      const client = this.calls.current?.client ?? null;
      return client?.scriptCaller ?? client;
    },
    deliver: (client) => this.deliver(client as Client),
    maxKeys: () => this.config.number("tracking-table-max-keys"),
    hz: () => this.config.number("hz"),
  });
  /** Runs EVAL scripts and FUNCTION libraries on the Lua VM. */
  readonly scripting: ScriptRunner;
  readonly scripts = new ScriptCache(() => this.scripting.vm);
  readonly functions = new FunctionLibraries(() => this.scripting.vm);
  /** False while a script's redis.set_repl keeps its writes out of the feed. */
  propagating = true;

  /** See ServerApi.replicating. */
  get replicating(): boolean {
    return this.replicationFeed.length !== 0 && this.propagating;
  }
  /** Clients that ran MONITOR. */
  readonly monitors = new Set<Client>();
  // CLIENT PAUSE: until when (Unix ms), whether only writes wait, and who waits.
  #pausedUntil = 0;
  #pauseWritesOnly = false;
  #pauseTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #postponed: Client[] = [];
  /** Snapshots, the AOF, loading at start-up. */
  readonly persistence: Persistence;
  /** used_memory, as INFO, MEMORY and eviction see it. */
  readonly memory: UsedMemory;
  /** The maxmemory limit: eviction before commands, the OOM refusal. */
  readonly maxmemory: MaxMemory;
  /** maxmemory-clients: the biggest clients are disconnected when clients use too much. */
  readonly clientEviction: ClientEviction;
  /**
   * Set while the AOF is on: runs before replies are sent (the log reaches the OS, or
   * the disk with appendfsync always, first).
   */
  beforeReplies: (() => Promise<void> | void) | null = null;
  /**
   * appendfsync always: a connection sends its replies as soon as its batch has run,
   * and reads on once the disk has them. Otherwise the replies of every client served
   * in one turn of the event loop go out in one flush after them all.
   */
  repliesWaitForDisk = false;
  readonly keyEvents = new KeyEvents((db, key) => this.keyspace.databases[db].data.has(key));
  readonly slowlog = new SlowLog(this);
  readonly latency = new LatencyMonitor(this);
  /** See DispatchContext.beforeWrite: installed by a running background snapshot. */
  beforeWrite: ((db: number, keys: readonly string[] | null) => void) | null = null;
  dirty = 0;
  port = 0;
  // Clients with output other than their own replies (messages, wake-ups), sent by
  // the next flushPending.
  readonly #pending = new Set<Client>();
  #flushScheduled = false;
  // Reading the clock is an op call (about 100 ns on a VM): a command's end time is
  // the next one's start time while commands run back to back, until the task ends.
  #clock = 0;
  #clockFresh = false;
  readonly #pendingTimes = new PendingTimes();
  #outputLimits: OutputBufferLimits;
  // The TCP and Unix sockets listened on.
  readonly #listeners: Listeners;
  #nextClientId = 1;
  #cron: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<void> | null = null;
  #closed: PromiseWithResolvers<void> = Promise.withResolvers();
  // The writes of the EXEC being run, for the replication feed; null outside EXEC.
  #transaction: [number, string[], boolean][] | null = null;
  #replayClient: Client | null = null;
  // Keys with a TTL that a writable replica's own clients wrote, by database.
  readonly #replicaKeys = new Map<number, Set<string>>();

  constructor(config: Config, log: Logger, options: { configFile?: string } = {}) {
    this.config = config;
    this.log = log;
    this.clientEviction = new ClientEviction({
      clients: this.clients,
      log,
      limit: () => this.#clientMemoryLimit(),
      prefixesOf: (client) => this.tracking.stateOf(client as Client)?.prefixes,
      countEvicted: () => this.stats.evictedClients++,
    });
    this.scripting = new ScriptRunner(this);
    this.configFile = options.configFile ?? "";
    this.keyspace = new Keyspace(
      config.number("databases"),
      (db, key) => this.#keyExpired(db.id, key),
    );
    this.table = commandTable();
    // ACL rules name commands as they were born, whatever rename-command says.
    this.acl = new Acl(
      aclCatalogOf(this.table.byName.values()),
      () => config.string("acl-pubsub-default") === "allchannels",
    );
    this.#loadUsers();
    for (const rename of config.renames) {
      const failure = this.table.rename(rename.from, rename.to);
      if (failure !== null) {
        throw new ConfigError(rename.source, rename.line, rename.text, failure);
      }
    }
    this.persistence = new Persistence(this);
    this.keyspace.meter = (value) => valueBytes(value);
    this.memory = new UsedMemory({
      keyspace: this.keyspace,
      // What CLIENT LIST's tot-mem counts, summed.
      clientBuffers: () => {
        let count = 0, bytes = 0, replicas = 0, replicaBytes = 0, replicaOutput = 0;
        for (const client of this.clients.values()) {
          // A client closed (evicted, killed) holds nothing any more, though it stays
          // listed until its connection loop has seen the end.
          if (client.closing && !client.connected) continue;
          count++;
          const total = clientMemory(client, this.tracking.stateOf(client)?.prefixes).total;
          bytes += total;
          if (client.replica !== null) {
            replicas++;
            replicaBytes += total;
            replicaOutput += client.outputBuffer;
          }
        }
        // The stream kept for replicas waiting for a snapshot is theirs (one shared copy).
        const shared = this.replication?.pendingBytes ?? 0;
        return {
          clients: count,
          bytes: bytes + shared,
          replicas,
          replicaBytes: replicaBytes + shared,
          replicaOutput: replicaOutput + shared,
        };
      },
      backlogBytes: () => this.replication?.backlog?.size ?? 0,
      scriptBytes: () => this.scripts.memory + this.functions.memory,
    });
    this.maxmemory = new MaxMemory(this, this.memory);
    // Connections read these limits when they start; CONFIG SET updates the live ones.
    config.onChange("proto-max-bulk-len", () => {
      const limit = config.number("proto-max-bulk-len");
      for (const client of this.clients.values()) client.decoder.maxBulkLength = limit;
    });
    this.#outputLimits = config.outputBufferLimits();
    config.onChange("client-output-buffer-limit", () => {
      this.#outputLimits = config.outputBufferLimits();
    });
    const notifyChanged = () => {
      const flags = config.number("notify-keyspace-events");
      this.notifier.flags = flags;
      // Redis emits `new` when a key is added, before the command's own event.
      this.keyspace.onNewKey = flags & NOTIFY.NEW
        ? (db, key) => this.calls.current?.client.notify(NOTIFY.NEW, "new", key, db.id)
        : null;
    };
    notifyChanged();
    config.onChange("notify-keyspace-events", notifyChanged);
    this.clientEviction.refresh();
    config.onChange("maxmemory-clients", () => this.clientEviction.refresh());
    config.onChange("maxmemory", () => this.clientEviction.refresh());
    this.runId = randomHex(40);
    this.replication = new Replication(this);
    config.onChange("min-replicas-to-write", () => this.#updateReplicationChecks());
    this.#updateReplicationChecks();
    const isStopping = () => this.#stopping !== null;
    this.#listeners = new Listeners({
      config,
      log,
      get stopping() {
        return isStopping();
      },
      accept: (conn) => this.#accept(conn),
    });
  }

  // The users at start-up: requirepass gives `default` its password, then `user`
  // directives or the ACL file (never both) define the users.
  #loadUsers(): void {
    const config = this.config;
    const applyRequirepass = () => {
      const password = config.string("requirepass");
      const user = this.acl.defaultUser;
      user.apply("resetpass", false);
      user.apply(password === "" ? "nopass" : ">" + password, false);
    };
    applyRequirepass();
    config.onChange("requirepass", applyRequirepass);
    const fail = (message: string) => {
      this.log.warning(message);
      throw new ConfigError("", 0, "", message);
    };
    const aclfile = config.string("aclfile");
    if (aclfile !== "" && config.users.length > 0) {
      fail(
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.",
      );
    }
    if (aclfile !== "") {
      let text: string;
      try {
        text = latin1Text(Deno.readFileSync(fsPath(aclfile)));
      } catch (error) {
        fail(`Error loading ACLs, opening file '${aclfile}': ${(error as Error).message}`);
        return;
      }
      const outcome = this.acl.loadFile(text, aclfile);
      if ("error" in outcome) {
        fail(`Aborting Redis startup because of ACL errors: ${outcome.error}`);
      }
    } else {
      const error = this.acl.loadDirectives(config.users);
      if (error !== null) fail(`${error}\nCritical error while loading ACLs. Exiting.`);
    }
  }

  /** See EvictionHost.evictClients (src/server/evict.ts). */
  evictClients(): void {
    if (this.clientEviction.on) this.clientEviction.refresh();
    this.memory.refresh();
  }

  // maxmemory-clients in bytes: a byte count, or (stored negative) a percentage of
  // maxmemory; 0 when off.
  #clientMemoryLimit(): number {
    const setting = this.config.number("maxmemory-clients");
    if (setting >= 0) return setting;
    return Math.floor(this.config.number("maxmemory") * -setting / 100);
  }

  get commands(): ReadonlyMap<string, CommandSpec> {
    return this.table.byName;
  }

  /** Resolves once the server has shut down. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  clientMemoryBuckets(): { bytes: number; clients: number }[] | null {
    return this.clientEviction.buckets();
  }

  /** The connected clients (one whose socket was just closed is gone already, as in Redis). */
  *sessions(): Iterable<Session> {
    for (const client of this.clients.values()) if (client.connected) yield client;
  }

  get blockedClients(): number {
    return this.keyEvents.blockedClients + this.#postponed.length + this.#shutdownWaiters;
  }

  setMonitor(client: Client, on: boolean): void {
    if (on) this.monitors.add(client);
    else this.monitors.delete(client);
  }

  forgetClient(client: Client): void {
    this.pubsub.forget(client);
    this.tracking.clientClosed(client);
  }

  // ---------------------------------------------------------------------------
  // CLIENT PAUSE and CLIENT UNBLOCK

  pause(untilMs: number, writesOnly: boolean): void {
    // A pause can be extended or widened, never shortened or narrowed by a new one.
    if (this.#pausedUntil > Date.now()) {
      untilMs = Math.max(untilMs, this.#pausedUntil);
      writesOnly = writesOnly && this.#pauseWritesOnly;
    }
    this.#pausedUntil = untilMs;
    this.#pauseWritesOnly = writesOnly;
    this.keyspace.keepExpired = true;
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(
      () => this.unpause(),
      Math.min(Math.max(0, untilMs - Date.now()), 2 ** 31 - 1),
    );
  }

  unpause(): void {
    clearTimeout(this.#pauseTimer);
    this.#pausedUntil = 0;
    this.keyspace.keepExpired = this.replication.isReplica;
    const waiting = this.#postponed.splice(0);
    for (const client of waiting) {
      const argv = client.postponed!;
      client.postponed = null;
      if (!client.connected) continue;
      dispatch(this, client, argv);
      if (client.postponed === null && client.blockedState === null) this.resume(client);
    }
  }

  /**
   * Holds every client's commands (as CLIENT PAUSE ALL does) until the returned function
   * is called: for the final save of a shutdown a signal asked for, which Redis makes
   * while it serves no one. A CLIENT PAUSE in force before then is in force again after.
   */
  holdClients(): () => void {
    const until = this.#pausedUntil;
    const writesOnly = this.#pauseWritesOnly;
    this.pause(Number.MAX_SAFE_INTEGER, false);
    return () => {
      if (until > Date.now()) {
        this.#pausedUntil = 0;
        this.pause(until, writesOnly);
      } else this.unpause();
    };
  }

  /** True when `client` must wait for the pause to end before running this command. */
  mustWait(client: Client, spec: CommandSpec, argv: readonly string[]): boolean {
    if (this.#pausedUntil === 0 || client === this.#replayClient) return false;
    if (Date.now() >= this.#pausedUntil) {
      queueMicrotask(() => this.unpause());
      return false;
    }
    if (!this.#pauseWritesOnly) return true;
    if (this.#mayWrite(spec, argv)) return true;
    // EXEC waits when what it would run may write.
    if (spec.name === "exec" && client.transaction !== null) {
      return client.transaction.some((argv) => {
        const queued = this.table.lookup(argv[0]);
        const target = queued === undefined ? undefined : callTarget(queued, argv);
        return target !== undefined && this.#mayWrite(target, argv);
      });
    }
    return false;
  }

  // Whether a command may write (CLIENT PAUSE WRITE holds it back). A script may, unless
  // it runs read-only (EVAL_RO, FCALL_RO) or declares no-writes.
  #mayWrite(spec: CommandSpec, argv: readonly string[]): boolean {
    if (spec.flags.includes("write") || spec.flags.includes("may_replicate")) return true;
    return spec.scriptMayWrite?.(this, argv) ?? false;
  }

  /** Holds a command back until the pause ends. */
  postpone(client: Client, argv: string[]): void {
    client.postponed = argv;
    this.#postponed.push(client);
  }

  /** While writes are paused, keys are not expired (reads still see them as gone). */
  get expiryPaused(): boolean {
    // A replica never expires keys itself: its master sends a DEL.
    return this.#pausedUntil !== 0 || this.replication.isReplica;
  }

  unblockClient(
    id: number,
    withError: boolean,
    error = "UNBLOCKED client unblocked via CLIENT UNBLOCK",
  ): boolean {
    const client = this.clients.get(id);
    const state = client?.blockedState;
    if (client === undefined || state == null) return false;
    client.unblock();
    if (withError) {
      client.reply.error(error);
      // The blocked command ends in an error: it counts as failed, as in Redis.
      const entry = this.stats.commands.get(client.lastCommand);
      if (entry !== undefined) entry.failed++;
    } else state.onTimeout();
    this.resume(client);
    return true;
  }

  writeRefusal(): string | null {
    return this.persistence.writeRefusal();
  }

  /** See DispatchContext.replicationChecks (kept up to date: it is read per command). */
  replicationChecks = false;
  // Set while the start-up load runs (see load()).
  #loadingAtStart = false;

  #updateReplicationChecks(): void {
    this.replicationChecks = this.#loadingAtStart || this.replication.isReplica ||
      this.config.number("min-replicas-to-write") > 0;
  }

  /** See DispatchContext.replicationRefusal. */
  replicationRefusal(
    client: Client,
    spec: CommandSpec,
    topName: string,
    argv: readonly string[],
  ): string | null {
    // The master's stream, and the AOF being replayed, are obeyed.
    if (client.isMaster || client.mustObey) return null;
    // Whether the call writes and may run on a stale replica: EXEC as its commands do;
    // a script as its flags say (one without flags is no write, and not for a stale
    // replica either).
    let write = (spec.bits! & BIT_WRITE) !== 0;
    let stale = spec.flags.includes("stale");
    if (topName === "exec" && client.transaction !== null) {
      for (const queued of client.transaction) {
        const flags = this.table.lookup(queued[0])?.flags;
        if (flags === undefined) continue;
        if (flags.includes("write")) write = true;
        if (!flags.includes("stale")) stale = false;
      }
    } else if (spec.scriptFlags !== undefined) {
      const declared = spec.scriptFlags(this, argv);
      if (declared === null) stale = false;
      else {
        write = !declared.includes("no-writes");
        stale = declared.includes("allow-stale");
      }
    }
    const replication = this.replication;
    if (write) {
      const refusal = replication.writeRefusal();
      if (refusal !== null) return refusal;
      if (replication.isReplica && this.config.bool("replica-read-only")) {
        return "READONLY You can't write against a read only replica.";
      }
    }
    if (!stale && this.staleReplica) {
      return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
    }
    // A full resync loaded as it arrives: only commands flagged `loading` run meanwhile;
    // while the old dataset is still served (async), all but the `no_async_loading` ones.
    const load = this.persistence.transferLoad;
    if (load !== null && refusedWhileLoading(this.table, spec, topName, client, load.async)) {
      return ERR_LOADING;
    }
    if (
      client.replica !== null &&
      (write || spec.flags.includes("readonly") || spec.flags.includes("may_replicate"))
    ) return "ERR Replica can't interact with the keyspace";
    return null;
  }

  /**
   * A replica's own command (after SYNC/PSYNC) answered `from` onwards: nothing may go
   * back on a replication link, where the replica would read it as stream, so the
   * answer is dropped and the replica disconnected, as Redis does.
   */
  replicaReplied(client: Client, argv: string[], from: number): void {
    const reply = client.reply;
    if (reply.length <= from) return;
    const answer = reply.since(from);
    const top = this.table.lookup(argv[0]);
    const spec = top === undefined ? undefined : callTarget(top, argv);
    const name = spec === undefined ? argv[0].toLowerCase() : fullNameOf(top!, spec);
    if (answer[0] === 45 /* '-' */) {
      const end = answer.indexOf(13);
      const text = latin1Text(answer.subarray(1, end < 0 ? answer.length : end));
      this.log.warning(
        `== CRITICAL == This master is sending an error to its replica: '${text}' after processing the command '${name}'`,
      );
    }
    reply.truncate(from);
    this.log.warning(
      `Replica generated a reply to command '${name}', disconnecting it: ${
        describeClient(client, Date.now()).trimEnd()
      }`,
    );
    client.closing = true;
  }

  /** Keys in all databases. */
  keyCount(): number {
    return this.keyspace.size;
  }

  /** A replica without its master that must not serve stale data (replica-serve-stale-data no). */
  get staleReplica(): boolean {
    const replication = this.replication;
    return replication.isReplica && replication.linkState !== "connected" &&
      !this.config.bool("replica-serve-stale-data");
  }

  // ---------------------------------------------------------------------------
  // The write path: what a command reported, acted on in Redis's order (see call.ts).

  /** Sends one write to the feed; inside EXEC it waits for the transaction's end. */
  feed(db: number, argv: string[], replicasOnly = false): void {
    if (this.replicationFeed.length === 0 || !this.propagating) return;
    if (this.#transaction !== null) this.#transaction.push([db, argv, replicasOnly]);
    else for (const listener of this.replicationFeed) listener(db, argv, replicasOnly);
  }

  // After EXEC: its writes go to the feed, wrapped when there are several.
  #endTransaction(): void {
    const writes = this.#transaction!;
    this.#transaction = null;
    if (writes.length === 0) return;
    const feed = this.replicationFeed;
    const wrap = writes.length > 1;
    // MULTI and EXEC go where the writes go (nowhere in the AOF for PUBLISHes alone).
    const replicasOnly = writes.every((write) => write[2]);
    if (wrap) { for (const listener of feed) listener(writes[0][0], ["MULTI"], replicasOnly); }
    for (const [db, argv, only] of writes) {
      for (const listener of feed) listener(db, argv, only);
    }
    if (wrap) { for (const listener of feed) listener(-1, ["EXEC"], replicasOnly); }
  }

  // A key found expired (on access or by the active cycle): replicas and the AOF never
  // expire keys themselves, they are told with a DEL. Inside EXEC the DEL goes out at
  // once, ahead of the transaction, as in Redis.
  #keyExpired(db: number, key: string): void {
    this.stats.expiredKeys++;
    this.#removedByServer(db, key, ["DEL", key], NOTIFY.EXPIRED, "expired");
  }

  /**
   * Evicts a key (maxmemory), reported as an expired key is: a DEL for the AOF and
   * replicas (deletion is synchronous whatever lazyfree-lazy-eviction says), WATCH, an
   * `evicted` event, tracking. False when the key's time had run out (it went as an
   * expired key).
   */
  evictKey(db: Database, key: string): boolean {
    if (!db.delete(key)) return false;
    this.#removedByServer(db.id, key, ["DEL", key], NOTIFY.EVICTED, "evicted");
    return true;
  }

  /** used_memory now (the RDB header's used-mem). */
  usedMemory(): number {
    return this.memory.used;
  }

  /** True while nothing may be evicted: clients paused, or a script that yielded runs. */
  get evictionPaused(): boolean {
    return this.#pausedUntil !== 0 || this.scripting.running;
  }

  /** See DispatchContext.memoryRefusal. */
  memoryRefusal(client: Client, spec: CommandSpec, topName: string, argv: string[]): string | null {
    return this.maxmemory.refusal(client, spec, topName, argv);
  }

  // A key the server removed on its own (expired, evicted): told to the AOF and
  // replicas, WATCH and blocked clients, keyspace events and client-side caching.
  #removedByServer(db: number, key: string, argv: string[], type: number, event: string): void {
    for (const listener of this.replicationFeed) listener(db, argv);
    if (!this.keyEvents.idle) this.keyEvents.touch(db, key);
    if (this.notifier.flags !== 0) {
      // Found by a command: in line with the command's own events (DEL a b fires
      // `del` for a before `expired` for b); found by the active cycle: at once.
      const frame = this.calls.current;
      if (frame !== null) frame.client.notify(type, event, key, db);
      else this.notifier.emit(type, event, key, db);
    }
    if (this.tracking.enabled) this.tracking.keyChanged(key, null);
  }

  /** Opens the frame of a command about to run. */
  beginCall(client: Client, spec: CommandSpec, fullName: string, argv: string[]): CallFrame {
    const frame = this.calls.push();
    // A command that is not part of a run of fast commands ends that run first.
    const run = this.#pendingTimes;
    const started = run.size !== 0 &&
        ((spec.bits! & (BIT_FAST | BIT_TIMED_WHEN_SLOW)) === 0 || this.calls.depth !== run.depth)
      ? this.#settleTimes()
      : this.#clockFresh
      ? this.#clock
      : this.#readClock();
    frame.reset(client, spec, fullName, argv, this.dirty, started);
    return frame;
  }

  /**
   * The end of a batch of requests: the fast commands not timed yet are, and the next
   * command reads the clock afresh (what runs in between is not a command's time).
   */
  endBatch(): void {
    if (this.#pendingTimes.size !== 0) this.#settleTimes();
    // A WAIT of this batch asks the replicas for their offsets now.
    this.replication.beforeSleep();
    this.#clockFresh = false;
  }

  /** Session.slowPart: the running command is timed on its own from here. */
  slowPart(): void {
    const frame = this.calls.current;
    if (frame === null || frame.slow) return;
    frame.slow = true;
    if (this.#pendingTimes.size !== 0) frame.started = this.#settleTimes();
  }

  /**
   * performance.now(), for a running script's busy check: it also times the run of
   * fast commands the script called so far, so that Lua's own time between checks is
   * all a run can count beyond its commands'.
   */
  scriptClock(): number {
    return this.#pendingTimes.size !== 0 ? this.#settleTimes() : this.#readClock();
  }

  // The clock (monotonicNow), remembered as the current time until the running task ends.
  #readClock(): number {
    if (!this.#clockFresh) {
      this.#clockFresh = true;
      queueMicrotask(this.#clockExpires);
    }
    return this.#clock = monotonicNow();
  }

  // The end of the task that read the clock (one function for every read: no closure).
  readonly #clockExpires = (): void => {
    this.#clockFresh = false;
    if (this.#pendingTimes.size !== 0) this.#settleTimes();
  };

  // Times the run of fast commands (see PendingTimes) and counts each of them; returns
  // the time read.
  #settleTimes(): number {
    const now = this.#readClock();
    const run = this.#pendingTimes;
    const size = run.size;
    const micros = (now - run.started) * 1000 / size;
    // Every command of the run counts the same time: the slow log is asked once, and
    // each stretch of one command (a pipeline's) is counted at once.
    if (this.slowlog.logs(micros)) {
      for (let i = 0; i < size; i++) {
        if (run.logged[i]) this.slowlog.record(run.clients[i], run.argvs[i], micros);
      }
    }
    const names = run.names;
    let i = 0;
    while (i < size) {
      const name = names[i];
      let failed = run.failed[i] ? 1 : 0;
      let j = i + 1;
      for (; j < size && names[j] === name; j++) if (run.failed[j]) failed++;
      this.#countCalls(name, micros, j - i, failed);
      this.latency.commandDone(name, micros, run.fast[i], j - i);
      i = j;
    }
    run.clear();
    return now;
  }

  /**
   * The post-command stage: acts on what the command reported, then closes its frame.
   * `counted` false for a blocked command run again (its call was counted once).
   */
  finishCall(frame: CallFrame, counted: boolean): void {
    try {
      const written = frame.propagated !== null || this.dirty > frame.dirtyBefore;
      const db = frame.db;
      // 0. The memory total follows the collections the command changed in place.
      const keyspace = this.keyspace;
      if (keyspace.handedOut) {
        if (written || (frame.spec.bits! & BIT_WRITE) !== 0) keyspace.settle();
        else keyspace.forgetHandedOut();
      }
      // 1. The AOF and replication feed.
      if (written) {
        const propagated = frame.propagated;
        if (propagated === null) this.feed(db, frame.argv);
        else if (frame.replicasOnly) this.feed(db, propagated[0], true);
        else if (propagated.length > 1 && this.#transaction === null) {
          // Several commands for one (XREADGROUP's XCLAIMs): atomic, like EXEC's.
          if (this.replicationFeed.length !== 0) this.#transaction = [];
          for (const argv of propagated) this.feed(db, argv);
          if (this.#transaction !== null) this.#endTransaction();
        } else for (const argv of propagated) this.feed(db, argv);
      }
      // The keys changed: those reported (flat db, key pairs), or else, for a write,
      // every key argument it may write (in the selected database).
      const reported = frame.changed;
      const implied = reported === null && written && !frame.spec.beyondKeys;
      // 2-3. WATCH and blocked clients.
      const events = this.keyEvents;
      if (!events.idle) {
        if (reported !== null) {
          for (let i = 0; i < reported.length; i += 2) {
            events.touch(reported[i] as number, reported[i + 1] as string);
          }
        } else if (implied) {
          for (const key of frame.writeKeys) events.touch(db, key);
        }
      }
      // A writable replica's own keys with a TTL: it expires those itself (see cron).
      if (written && this.replication.isReplica && !frame.client.isMaster) {
        if (reported !== null) {
          for (let i = 0; i < reported.length; i += 2) {
            this.#noteReplicaKey(reported[i] as number, reported[i + 1] as string);
          }
        } else if (implied) {
          for (const key of frame.writeKeys) this.#noteReplicaKey(db, key);
        }
      }
      // 4. Keyspace notifications.
      const notes = frame.events;
      if (notes !== null) {
        for (let i = 0; i < notes.length; i += 4) {
          this.notifier.emit(
            notes[i] as number,
            notes[i + 1] as string,
            notes[i + 2] as string,
            notes[i + 3] as number,
          );
        }
      }
      // 5. Client-side caching: invalidate what changed, remember what was read. A
      // script's commands count as its caller's; a script that read anything makes its
      // caller track the keys it declared.
      if (this.tracking.enabled) {
        const tracking = this.tracking;
        const caller = frame.client.scriptCaller;
        const client = caller ?? frame.client;
        if (frame.flushed) tracking.flushed(client);
        else if (reported !== null) {
          for (let i = 1; i < reported.length; i += 2) {
            tracking.keyChanged(reported[i] as string, client);
          }
        } else if (implied) {
          for (const key of frame.writeKeys) tracking.keyChanged(key, client);
        }
        const reads = (frame.spec.bits! & BIT_READONLY) !== 0;
        if (caller !== null) {
          if (reads) this.scripting.noteRead();
        } else {
          const script = frame.spec.scriptMayWrite !== undefined;
          if (script ? this.scripting.lastRunRead : reads) {
            tracking.keysRead(client, frame.allKeys());
          }
          tracking.afterCall(client, frame.fullName);
        }
      }
      // 6. Statistics, the slow log, latency histograms, and what MONITOR shows.
      const client = frame.client;
      // WAIT waits for the stream as it was after the client's last command.
      if (this.replication.backlog !== null && this.calls.depth === 1) {
        client.woff = this.replication.offset;
      }
      const bits = frame.spec.bits!;
      const failed = client.reply.errors - frame.errorsBefore - frame.nestedErrors > 0;
      if (counted && this.monitors.size !== 0) this.#feedMonitors(frame);
      const quick = (bits & BIT_FAST) !== 0 ||
        ((bits & BIT_TIMED_WHEN_SLOW) !== 0 && !frame.slow);
      if (counted && quick && client.blockedState === null) {
        // Timed with the run of fast commands it belongs to.
        const run = this.#pendingTimes;
        const depth = this.calls.depth;
        if (run.size !== 0 && run.depth !== depth) this.#settleTimes();
        run.add(
          frame.started,
          depth,
          frame.fullName,
          client,
          frame.argv,
          failed,
          (bits & BIT_SKIP_SLOWLOG) === 0,
          (bits & BIT_FAST) !== 0,
        );
        if (run.size >= PendingTimes.RUN_LIMIT) this.#settleTimes();
      } else {
        // The fast commands it ran (a script's, an EXEC's) are timed with the same read.
        const ended = this.#pendingTimes.size !== 0 ? this.#settleTimes() : this.#readClock();
        const micros = (ended - frame.started) * 1000;
        if (counted) this.#countCalls(frame.fullName, micros, 1, failed ? 1 : 0);
        else if (failed) {
          // A blocked command that ends in an error when run again counts as failed.
          const entry = this.stats.commands.get(frame.fullName);
          if (entry !== undefined) entry.failed++;
        }
        // A command that blocks is timed once, when it is served.
        if (client.retrying ? !client.stillWaiting : client.blockedState === null) {
          if ((bits & BIT_SKIP_SLOWLOG) === 0) this.slowlog.record(client, frame.argv, micros);
          this.latency.commandDone(frame.fullName, micros, (bits & BIT_FAST) !== 0);
        }
      }
    } finally {
      this.calls.pop();
      // What a command run inside another (EXEC) changed, or the errors it answered,
      // are not the outer one's.
      const outer = this.calls.current;
      if (outer !== null) {
        outer.dirtyBefore += this.dirty - frame.dirtyAtStart;
        if (outer.client === frame.client) {
          outer.nestedErrors += frame.client.reply.errors - frame.errorsBefore;
        }
      }
    }
  }

  #feedMonitors(frame: CallFrame): void {
    const flags = frame.spec.flags;
    if (flags.includes("admin") || flags.includes("skip_monitor")) return;
    this.monitorCommand(frame.client, frame.argv);
  }

  /**
   * Shows a command to MONITOR clients. Scripts show their EVAL/FCALL this way before
   * they run, so that the commands they run come after it.
   */
  monitorCommand(client: Client, argv: string[]): void {
    if (this.monitors.size === 0) return;
    const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
    const seconds = Math.floor(micros / 1e6);
    const from = client.scriptCaller !== null
      ? "lua"
      : client.unixSocket
      ? `unix:${this.#listeners.unixPath}`
      : client.addr;
    let line = `${seconds}.${String(micros % 1e6).padStart(6, "0")} [${client.db.id} ${from}]`;
    const secret = secretArguments(argv);
    for (let i = 0; i < argv.length; i++) {
      line += " " + (secret?.has(i) ? '"(redacted)"' : quoted(argv[i]));
    }
    for (const monitor of this.monitors) {
      if (monitor.closing) continue;
      monitor.reply.simple(line);
      this.deliver(monitor);
    }
  }

  // Counts `calls` calls of one command, each taking `micros`, `failed` of them failed.
  #countCalls(fullName: string, micros: number, calls: number, failed: number): void {
    const stats = this.stats;
    stats.commandsProcessed += calls;
    let entry = stats.commands.get(fullName);
    if (entry === undefined) {
      entry = { calls: 0, usec: 0, failed: 0, rejected: 0 };
      stats.commands.set(fullName, entry);
    }
    entry.calls += calls;
    // Kept with its fraction: most commands take less than a microsecond.
    entry.usec += micros * calls;
    entry.failed += failed;
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
      client.user = this.acl.internal;
      client.mustObey = true;
      this.#replayClient = client;
    }
    const top = this.table.lookup(argv[0]);
    if (top === undefined) return `Unknown command '${argv[0]}'`;
    const spec = callTarget(top, argv);
    if (spec === undefined) return `Unknown subcommand '${argv[1] ?? ""}' of '${top.name}'`;
    if (!arityAccepts(spec.arity, argv.length)) {
      const fullName = fullNameOf(top, spec);
      return `Wrong number of arguments for '${fullName}'`;
    }
    client.db = this.keyspace.databases[db];
    client.currentArgv = argv;
    this.beginCall(client, spec, spec.name, argv);
    // No key expires while the file loads (a key past its time is still there for the
    // commands after it), as in Redis.
    const clock = this.keyspace.expiryClock;
    clock.frozenAt = 1;
    try {
      spec.handler!(client, argv);
      // A command that fails while loading is reported, and loading goes on, as in Redis.
      const reply = client.reply;
      if (reply.errors !== 0) {
        const text = reply.takeFirstError();
        const name = fullNameOf(top, spec);
        this.log.warning(
          `== CRITICAL == This server is sending an error to its AOF-loading-client: '${text}' ` +
            `after processing the command '${name}'`,
        );
        // propagation-error-behavior panic: Redis panics here; loading stops with this.
        if (this.config.string("propagation-error-behavior") === "panic") {
          throw new Error(
            "Guru Meditation: This server panicked sending an error to its " +
              `AOF-loading-client after processing the command '${name}'`,
          );
        }
      }
    } finally {
      clock.frozenAt = 0;
      // Loading feeds nothing and counts nothing: the frame is simply dropped.
      this.keyspace.settle();
      this.calls.pop();
      client.reply.discard();
    }
    return null;
  }

  // ---------------------------------------------------------------------------
  // Output to other clients: one set of clients with pending output, one flush.

  /** The client-output-buffer-limit of a class (a master link counts as normal). */
  outputLimit(kind: "normal" | "replica" | "pubsub"): OutputBufferLimit {
    return this.#outputLimits[kind];
  }

  /** A client got output outside its own command (a message, a wake-up): send it soon. */
  deliver(client: Client): void {
    if (!client.connected) {
      client.reply.discard();
      return;
    }
    if (client.overOutputLimit()) {
      this.#closeOverOutputLimit(client);
      return;
    }
    if (this.clientEviction.on && !this.clientEviction.update(client)) return;
    this.#pending.add(client);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushIfScheduled);
    }
  }

  readonly #flushIfScheduled = (): void => {
    if (this.#flushScheduled) this.flushPending();
  };

  #closeOverOutputLimit(client: Client): void {
    this.log.warning(
      `Client id=${client.id} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    client.closeNow();
  }

  /**
   * Sends the output of every client that has some: the AOF first (to the OS, or to
   * the disk with appendfsync always), then the replies. Resolves once the AOF part
   * is done; each client's own send goes on in the background.
   */
  flushPending(): Promise<void> | void {
    this.#flushScheduled = false;
    this.replication.beforeSleep();
    if (this.tracking.enabled) this.tracking.beforeFlush();
    const hook = this.beforeReplies;
    const logged = hook === null ? undefined : hook();
    if (logged === undefined) {
      this.#sendPending();
      return;
    }
    // The fsync covers the writes made so far, so only the output there now may go
    // once it is done: a client served while it runs waits for the next one.
    const held: [Client, Uint8Array | null][] = [];
    for (const client of this.#pending) held.push([client, client.holdOutput()]);
    this.#pending.clear();
    return logged.then(() => {
      for (const [client, chunk] of held) {
        if (chunk !== null) closeWhenSent(client, client.sendHeld(chunk));
      }
    });
  }

  #sendPending(): void {
    for (const client of this.#pending) {
      const sent = client.flush();
      // Sent at once (nearly always): nothing to wait for unless the client is to close.
      if (sent !== SETTLED || client.closing) closeWhenSent(client, sent);
    }
    this.#pending.clear();
  }

  /** Counts an error reply for INFO errorstats. */
  countError(message: string): void {
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

  /**
   * A script starts: the writes it makes go to the feed together when it ends, wrapped
   * in MULTI/EXEC when there are several.
   */
  beginEffects(): void {
    if (this.#transaction === null && this.replicationFeed.length !== 0) this.#transaction = [];
  }

  /** See DispatchContext.busyError (the script's own commands are never refused). */
  busyError(client: Client): { error: string; refused: ReadonlySet<string> } | null {
    const scripting = this.scripting;
    return scripting.busy && client.id !== 0 ? scripting.busyState() : null;
  }

  /** After each top-level command: serve clients blocked on the keys it changed. */
  afterCommand(): void {
    // While a yielded script runs, its writes so far wait for its end.
    if (this.scripting.running) return;
    if (this.#transaction !== null) this.#endTransaction();
    if (this.keyEvents.blockedClients === 0) return;
    this.keyEvents.serveReady((client, key) => {
      const state = client.blockedState!;
      client.retrying = true;
      client.readyKey = key;
      client.stillWaiting = false;
      const db = client.db;
      client.db = this.keyspace.databases[state.db];
      try {
        dispatch(this, client, state.argv);
      } finally {
        client.retrying = false;
        client.readyKey = null;
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
    this.deliver(client);
    queueMicrotask(() => client.processBuffered());
  }

  /**
   * The start-up load (Persistence.start). As in Redis, the listeners may be open
   * already: clients are served meanwhile (see serveClients), and commands not flagged
   * `loading` are refused with -LOADING.
   */
  async load(options: { rdbFile?: PrefetchedFile } = {}): Promise<void> {
    this.#loadingAtStart = true;
    this.#updateReplicationChecks();
    try {
      await this.persistence.start(options);
    } finally {
      this.#loadingAtStart = false;
      this.#updateReplicationChecks();
    }
    // What loading stored was measured as it was stored, complete.
    this.keyspace.forgetHandedOut();
  }

  /**
   * See PersistenceHost.serveClients: one turn of the event loop for every client.
   * Throws once a SHUTDOWN came meanwhile: the load stops there (see `stopping`).
   */
  async serveClients(): Promise<void> {
    await this.giveWay.wait();
    if (this.#stopping !== null) throw new Error("the server is shutting down");
  }

  /** True once the server has begun to shut down. */
  get stopping(): boolean {
    return this.#stopping !== null;
  }

  /**
   * Opens the listeners (see src/server/listeners.ts) and starts the housekeeping;
   * throws a ListenError when a listener cannot open or there is nowhere to listen.
   */
  listen(): void {
    this.giveWay.open();
    const listeners = this.#listeners;
    listeners.open();
    this.port = listeners.port;
    // CONFIG SET port/bind move the listeners; connected clients stay.
    const rebind = (failure: string) => {
      const refused = listeners.rebind(failure);
      this.port = listeners.port;
      return refused;
    };
    this.config.onChange("port", () => rebind("Unable to listen on this port. Check server logs."));
    this.config.onChange("bind", () => rebind("Failed to bind to specified addresses."));
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

  /** The path of the Unix socket the server listens on ("" when none). */
  get unixSocket(): string {
    return this.#listeners.unixPath;
  }

  /** See ServerApi.listenersClosing. */
  listenersClosing(): Promise<void> | null {
    return this.#listeners.closing();
  }

  #accept(conn: Deno.TcpConn | Deno.UnixConn): void {
    // Refused connections are counted as rejected, not received (Redis's figures).
    if (this.clients.size >= this.config.number("maxclients")) {
      this.#refuse(conn, ERR_MAX_CLIENTS);
      return;
    }
    const unix = conn.remoteAddr.transport === "unix";
    const remote = conn.remoteAddr as Deno.NetAddr;
    if (
      !unix && this.config.bool("protected-mode") && this.acl.defaultUser.nopass &&
      !isLoopbackHost(plainHost(remote.hostname))
    ) {
      // Protected mode: without a password, only the loopback may connect. The
      // refused connection uses up a client id, as Redis's does.
      this.#nextClientId++;
      this.#refuse(conn, ERR_DENIED_PROTECTED_MODE);
      return;
    }
    this.stats.connectionsReceived++;
    if (!unix) {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
        (conn as Deno.TcpConn).setKeepAlive(this.config.number("tcp-keepalive") > 0);
      } catch { /* not a TCP socket option the platform supports */ }
    }
    const id = this.#nextClientId++;
    const unixPath = this.#listeners.unixPath;
    // A client of the Unix socket is shown with the socket's path at both ends, as Redis
    // shows it.
    const endpoints = unix ? { addr: `${unixPath}:0`, laddr: `${unixPath}:0`, fd: id + 7, unix } : {
      addr: formatAddr(remote),
      laddr: formatAddr(conn.localAddr as Deno.NetAddr),
      fd: id + 7,
    };
    const client = new Client(id, conn, this, {
      endpoints,
      db: this.keyspace.databases[0],
      onBytesOut: this.#countBytesOut,
    });
    client.attach(this);
    client.reply.onError = this.#countReplyError;
    this.clients.set(id, client);
    serveConnection(this, client, conn, this.#connectionEnded);
  }

  // Shared by every connection (a closure each would cost every idle connection).
  readonly #countBytesOut = (n: number): void => {
    this.stats.netOutputBytes += n;
  };
  readonly #countReplyError = (message: string): void => this.countError(message);
  readonly #connectionEnded = (client: Client): void => {
    this.#replicationClientGone(client);
    this.clients.delete(client.id);
    this.clientEviction.forget(client);
    this.monitors.delete(client);
    this.forgetClient(client);
  };

  // A key a writable replica's client wrote: remembered when it has a TTL.
  #noteReplicaKey(db: number, key: string): void {
    if (this.keyspace.databases[db].getExpire(key) === undefined) return;
    let keys = this.#replicaKeys.get(db);
    if (keys === undefined) this.#replicaKeys.set(db, keys = new Set());
    keys.add(key);
  }

  // The replica's cron: the keys its own clients gave a TTL expire (the master's keys
  // wait for the master's DEL).
  #expireReplicaKeys(): void {
    for (const [id, keys] of this.#replicaKeys) {
      const db = this.keyspace.databases[id];
      for (const key of keys) {
        if (db.getExpire(key) === undefined || db.expireIfDue(key)) keys.delete(key);
      }
      if (keys.size === 0) this.#replicaKeys.delete(id);
    }
  }

  // ---------------------------------------------------------------------------
  // What replication needs (see ReplicationHost)

  /** The replication AUX fields of an RDB (see PersistenceHost.replicationAux). */
  replicationAux(): ReplicationAux | null {
    return this.replication.aux();
  }

  /** Serves the master's stream on `conn` through a client flagged as the master. */
  adoptMasterLink(
    conn: Deno.Conn,
    leftover: Uint8Array,
    events: MasterStreamEvents,
    db: number,
  ): MasterLinkClient {
    const id = this.#nextClientId++;
    let endpoints = { addr: "", laddr: "", fd: id + 7 };
    try {
      endpoints = {
        addr: formatAddr(conn.remoteAddr as Deno.NetAddr),
        laddr: formatAddr(conn.localAddr as Deno.NetAddr),
        fd: id + 7,
      };
    } catch { /* not a TCP connection */ }
    const client = new Client(id, conn, this, { endpoints, db: this.keyspace.databases[db] });
    client.attach(this);
    client.isMaster = true;
    client.authenticated = true;
    client.user = this.acl.internal;
    client.mustObey = true;
    this.clients.set(id, client);
    return serveMasterLink(this, client, conn, leftover, events);
  }

  /** The master link's client is gone. */
  masterLinkClosed(client: Client): void {
    this.clients.delete(client.id);
    this.forgetClient(client);
  }

  /**
   * The role changed. A replica keeps keys whose time ran out (its master says when
   * they go); clients blocked on keys are released with an error, as Redis does.
   */
  roleChanged(replica: boolean): void {
    for (const watcher of this.roleWatchers) watcher();
    this.keyspace.keepExpired = replica || this.#pausedUntil !== 0;
    this.#updateReplicationChecks();
    this.log.role = replica ? "S" : "M";
    for (const client of this.clients.values()) {
      if (client.blockedState === null || client.isMaster) continue;
      this.unblockClient(
        client.id,
        true,
        "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
      );
    }
  }

  /** See ReplicationHost.pauseWrites. */
  pauseWrites(on: boolean): void {
    if (on) this.pause(Date.now() + 2 ** 31 - 1, true);
    else this.unpause();
  }

  // A client left: a replica stops being fed, a WAIT stops waiting.
  #replicationClientGone(client: Client): void {
    if (client.replica !== null) this.replication.replicaGone(client.replica);
    this.replication.cancelWait(client);
  }

  // Answers a connection with an error and closes it.
  #refuse(conn: Deno.Conn, error: string): void {
    this.stats.rejectedConnections++;
    conn.write(encoder.encode(`-${error}\r\n`)).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch { /* already closed */ }
    });
  }

  #housekeeping(): void {
    // DEBUG PAUSE-CRON: nothing periodic runs until it is turned back on.
    if (this.debug.pauseCron) return;
    const now = Date.now();
    // Active expiry, like Redis's slow cycle: in each database with TTLs, sample keys
    // in batches of 20 until a batch finds fewer than a quarter of them expired, within
    // a time slice of a quarter of the tick (25 ms at hz 10) shared fairly by the
    // databases that need it. Commands wait at most one slice.
    const cycleStarted = performance.now();
    // While clients are paused nothing expires (see Database.keepExpired), nor while a
    // script that yielded runs (it must see the keys it saw), nor during the start-up load.
    // DEBUG SET-ACTIVE-EXPIRE 0 turns the cycle off (keys still expire when met).
    const volatile = this.expiryPaused || this.scripting.running || !this.debug.activeExpire ||
        this.#loadingAtStart
      ? []
      : this.keyspace.databases.filter((db) => db.expires.size > 0);
    let left = 250 / Math.max(1, this.config.number("hz"));
    for (let i = 0; i < volatile.length && left > 0; i++) {
      const started = performance.now();
      const deadline = started + left / (volatile.length - i);
      while (performance.now() < deadline) {
        if (volatile[i].expireSample(now, 20) < 5) break;
      }
      left -= performance.now() - started;
    }
    if (volatile.length > 0) {
      this.latency.sampleIfNeeded("expire-cycle", performance.now() - cycleStarted);
    }
    for (const db of this.keyspace.databases) if (db.expires.size === 0) db.avgTtl = 0;
    if (this.#replicaKeys.size !== 0) {
      if (this.replication.isReplica) this.#expireReplicaKeys();
      else this.#replicaKeys.clear();
    }
    // Query and reply buffers: give back what idle (silent over 2 s) or over-sized ones
    // waste. Output over the hard limit, or over the soft limit for longer than allowed,
    // closes the client even when no more output comes (as Redis's clientsCron does).
    const { replyPeakResetMs, replyBufferResizing } = this.debug;
    for (const client of this.clients.values()) {
      const idle = now - client.lastInteraction > 2000;
      client.decoder.shrink(idle);
      if (idle && replyBufferResizing) client.reply.shrinkIdle();
      if (replyPeakResetMs >= 0 && now - client.replyPeakResetAt >= replyPeakResetMs) {
        client.reply.resetPeak();
        client.replyPeakResetAt = now;
      }
      if (!client.closing && client.overOutputLimit()) this.#closeOverOutputLimit(client);
    }
    this.memory.refresh();
    this.clientEviction.refresh();
    const timeout = this.config.number("timeout");
    if (timeout > 0) {
      for (const client of this.clients.values()) {
        // Replication links have their own timeout (repl-timeout).
        if (client.replica !== null || client.isMaster) continue;
        if (now - client.lastInteraction > timeout * 1000) client.closeNow();
      }
    }
  }

  /**
   * Before a shutdown, as Redis 7.0 does: replicas that have not acknowledged the whole
   * stream get up to shutdown-timeout seconds to catch up, writes paused meanwhile.
   * False when SHUTDOWN ABORT called the shutdown off while it waited.
   */
  async waitForLaggingReplicas(byClient = false): Promise<boolean> {
    const timeout = this.config.number("shutdown-timeout") * 1000;
    const replication = this.replication;
    if (timeout <= 0 || replication.laggingReplicas().length === 0) {
      this.#logReplicasAtShutdown();
      return true;
    }
    const persistence = this.persistence;
    this.log.notice("Waiting for replicas before shutting down.");
    // SHUTDOWN ABORT clears the flag.
    persistence.shutdownAsap = true;
    this.pauseWrites(true);
    replication.askAcksNow();
    const deadline = Date.now() + timeout;
    this.shutdownDeadline = deadline;
    if (byClient) this.#shutdownWaiters++;
    try {
      while (persistence.shutdownAsap && Date.now() < deadline) {
        if (replication.laggingReplicas().length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (!persistence.shutdownAsap) return false;
      this.#logReplicasAtShutdown();
      return true;
    } finally {
      if (byClient) this.#shutdownWaiters--;
      this.shutdownDeadline = 0;
      this.pauseWrites(false);
    }
  }

  // As Redis does as it shuts down: a warning for each replica that has not acknowledged
  // the whole stream, then how many are in sync.
  #logReplicasAtShutdown(): void {
    const replication = this.replication;
    const now = Date.now();
    let count = 0, lagging = 0;
    for (const peer of replication.replicas) {
      count++;
      if (peer.ackOffset === replication.offset) continue;
      lagging++;
      const lag = peer.state === "online" ? Math.floor((now - peer.ackTime) / 1000) : 0;
      this.log.warning(
        `Lagging replica ${replication.describe(peer)} reported offset ${
          replication.offset - peer.ackOffset
        } behind master, lag=${lag}, state=${peer.state}.`,
      );
    }
    if (count > 0) {
      this.log.notice(`${count - lagging} of ${count} replicas are in sync when shutting down.`);
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
    this.maxmemory.stop();
    this.replication.stop();
    await this.persistence.close();
    this.#listeners.close();
    this.giveWay.close();
    // Like Redis, no waiting for clients: replies not sent yet are dropped, and a
    // client that does not read cannot hold the exit back.
    for (const client of this.clients.values()) client.closeNow();
    this.log.warning("Redeno is now ready to exit, bye bye...");
    this.#closed.resolve();
  }
}

// Whether a command waits out a dataset being loaded: by its flags, or for EXEC by those
// of the commands it would run.
function refusedWhileLoading(
  table: CommandTable,
  spec: CommandSpec,
  topName: string,
  client: Client,
  async: boolean,
): boolean {
  const refuses = (flags: readonly string[]) =>
    async ? flags.includes("no_async_loading") : !flags.includes("loading");
  if (refuses(spec.flags)) return true;
  if (topName !== "exec" || client.transaction === null) return false;
  return client.transaction.some((queued) => {
    const flags = table.lookup(queued[0])?.flags;
    return flags !== undefined && refuses(flags);
  });
}

// Once a client's output is sent: a client that is closing (QUIT) closes, and so does
// one whose send failed.
function closeWhenSent(client: Client, sent: Promise<void>): void {
  sent.then(() => {
    if (client.closing) client.closeNow();
  }, () => client.closeNow());
}
