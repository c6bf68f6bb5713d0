// What a command handler sees: the command table's record types, the calling client
// (Session) and the server-wide state (ServerApi). The server implements these
// interfaces, so commands never import from src/server/.

import type {
  Capas,
  ReplicaPeer,
  Replication,
  ReplicationClient,
} from "../replication/replication.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log.ts";
import type { ReplyWriter } from "../protocol/reply_writer.ts";
import type { LatencyMonitor } from "../stats/latency.ts";
import type { SlowLog } from "../stats/slowlog.ts";
import type { PubSub, Subscriber } from "../messaging/pubsub.ts";
import type { Tracking } from "../messaging/tracking.ts";
import type { Database, Keyspace } from "../store/keyspace.ts";
import type { ScriptCache } from "../scripting/script_cache.ts";
import type { FunctionLibraries } from "../scripting/libraries.ts";
import type { ScriptRunOptions } from "../scripting/run_options.ts";
import type { Acl, User } from "../acl/acl.ts";

/** Runs one command; argv[0] is the command name as the client sent it. */
export type Handler = (session: Session, argv: string[]) => void;

/** Redis command flags, as COMMAND INFO lists them. */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_mandatory_keys"
  | "no_async_loading"
  | "no_multi"
  | "allow_busy"
  | "asking";

/** The flags the hot path tests, as bits of CommandSpec.bits. */
export const BIT_WRITE = 1;
export const BIT_FAST = 2;
export const BIT_NO_AUTH = 4;
export const BIT_NO_MULTI = 8;
export const BIT_ALLOW_BUSY = 16;
export const BIT_READONLY = 32;
export const BIT_SKIP_SLOWLOG = 64;
export const BIT_NOSCRIPT = 128;
export const BIT_MAY_REPLICATE = 256;
export const BIT_STALE = 512;
export const BIT_DENYOOM = 1024;
/** CommandSpec.timedWhenSlow (not a Redis flag). */
export const BIT_TIMED_WHEN_SLOW = 2048;

/** The bits of a flag list (see BIT_WRITE...). */
export function flagBits(flags: readonly CommandFlag[]): number {
  let bits = 0;
  for (const flag of flags) {
    if (flag === "write") bits |= BIT_WRITE;
    else if (flag === "fast") bits |= BIT_FAST;
    else if (flag === "no_auth") bits |= BIT_NO_AUTH;
    else if (flag === "no_multi") bits |= BIT_NO_MULTI;
    else if (flag === "allow_busy") bits |= BIT_ALLOW_BUSY;
    else if (flag === "readonly") bits |= BIT_READONLY;
    else if (flag === "skip_slowlog") bits |= BIT_SKIP_SLOWLOG;
    else if (flag === "noscript") bits |= BIT_NOSCRIPT;
    else if (flag === "may_replicate") bits |= BIT_MAY_REPLICATE;
    else if (flag === "stale") bits |= BIT_STALE;
    else if (flag === "denyoom") bits |= BIT_DENYOOM;
  }
  return bits;
}

/** Command groups, as COMMAND DOCS names them. */
export type CommandGroup =
  | "generic"
  | "string"
  | "hash"
  | "list"
  | "set"
  | "sorted-set"
  | "connection"
  | "server"
  | "pubsub"
  | "transactions"
  | "scripting"
  | "bitmap"
  | "hyperloglog"
  | "geo"
  | "stream"
  | "cluster";

/** One argument in COMMAND DOCS (drives redis-cli's hints). */
export interface ArgDoc {
  name: string;
  type:
    | "key"
    | "string"
    | "integer"
    | "double"
    | "pattern"
    | "unix-time"
    | "pure-token"
    | "oneof"
    | "block";
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  /** For type "key" (or a pattern naming keys): the index into the command's key specs. */
  keySpecIndex?: number;
  /** The Redis version that added the argument, when later than the command. */
  since?: string;
  arguments?: readonly ArgDoc[];
}

/**
 * Where a command's keys are and what it does to them, in Redis 7's key-spec model:
 * begin_search finds the first key (a fixed index, or the argument after a keyword),
 * find_keys takes a range from there or reads a key count. Flags are Redis's (RO, RW,
 * OW, RM, access, update, insert, delete, ...): COMMAND INFO shows them, and the keys
 * of a write that are not RO are the ones WATCH and blocked clients hear about.
 */
export interface KeySpec {
  /** COMMAND INFO's notes on the spec, when Redis has any. */
  notes?: string;
  flags: readonly string[];
  /** `unknown`: only the command's `getKeys` finds these keys (COMMAND INFO says so). */
  begin: { index: number } | { keyword: string; startFrom: number } | { unknown: true };
  find:
    /** lastKey: relative to the first key when >= 0, from the end when < 0 (-1 = last). */
    | { range: { lastKey: number; step: number; limit: number } }
    /** keyNumIndex and firstKey relative to the begin index. */
    | { keynum: { keyNumIndex: number; firstKey: number; step: number } }
    | { unknown: true };
  /**
   * For a spec whose flags include "variable_flags": the flags of one call, which
   * depend on its arguments (SET ... GET also reads the old value).
   */
  flagsOf?: (argv: readonly string[]) => readonly string[];
}

/** One record of the command table. */
export interface CommandSpec {
  /** Lowercase name (for a subcommand, just its own part: "get" of CONFIG GET). */
  name: string;
  /** Redis's convention: N means exactly N arguments (name included), -N at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** The flags the hot path tests, as bits; filled in by the CommandTable. */
  bits?: number;
  /** The command's id in the ACL catalog (src/acl/catalog.ts); filled in by the server. */
  aclId?: number;
  /** ACL categories without the '@' (COMMAND INFO), besides those implied by flags. */
  categories?: readonly string[];
  /**
   * Position of the first key argument (0: none), the last (-1: the last argument), and
   * the step: Redis's legacy key positions. Commands whose keys these can't describe
   * (a key count, a destination among sources) also give `keySpecs`.
   */
  firstKey: number;
  lastKey: number;
  step: number;
  group: CommandGroup;
  /** One line in our own words. */
  summary: string;
  /** The Redis version that introduced the command. */
  since: string;
  complexity?: string;
  /** COMMAND DOCS's doc_flags: "deprecated" for a command kept under an old name. */
  docFlags?: readonly ("deprecated" | "syscmd")[];
  /** For a deprecated command: the Redis version that deprecated it. */
  deprecatedSince?: string;
  /** For a deprecated command: what to use instead (COMMAND DOCS's replaced_by). */
  replacedBy?: string;
  /** How the command changed after `since`: [version, what changed], oldest first. */
  history?: readonly (readonly [string, string])[];
  /** Key specs; when absent they are derived from firstKey/lastKey/step. */
  keySpecs?: readonly KeySpec[];
  /**
   * Redis's getkeys_proc: the keys of one call (argument positions and flags, in
   * order), for a command whose key specs can't find them all (SORT's STORE, which
   * may come anywhere among its options). Used instead of the key specs when present.
   */
  getKeys?: (argv: readonly string[]) => { index: number; flags: readonly string[] }[];
  /**
   * The command may change keys beyond its key arguments: whole databases (FLUSHDB,
   * SWAPDB) or keys in another database (MOVE, COPY ... DB). A background snapshot
   * finishes before such a command runs; its handler reports what it changed.
   */
  beyondKeys?: boolean;
  /**
   * A command that is not `fast` but whose calls mostly take constant time here (PFCOUNT
   * of one key whose count is cached; SET, which Redis leaves out of `fast` for the
   * value it frees): the handler calls `Session.slowPart()` when it starts work that is
   * not, and only then is the call timed on its own; a call that never does is timed
   * with the run of fast commands around it (see PendingTimes).
   */
  timedWhenSlow?: boolean;
  /**
   * For the commands that run a script (EVAL, FCALL and their forms): whether this
   * call's script may write, from its flags (CLIENT PAUSE WRITE holds such a call back;
   * the _RO forms never write). Client-side caching also knows script calls by it.
   */
  scriptMayWrite?: (server: ServerApi, argv: readonly string[]) => boolean;
  /**
   * EVAL, FCALL and their kin: true when the script or function declares flags that
   * make it a `denyoom` command (flags without no-writes or allow-oom), so it is
   * refused before it runs while over maxmemory. A script without a shebang is not:
   * its write commands are refused as it calls them.
   */
  scriptDeniesOom?: (server: ServerApi, argv: readonly string[]) => boolean;
  /**
   * EVAL, FCALL and their kin: the flags the script or function declares (a shebang's,
   * a function's), or null for a script without a shebang or one not known: these
   * decide whether the call counts as a write and may run on a stale replica.
   */
  scriptFlags?: (server: ServerApi, argv: readonly string[]) => readonly string[] | null;
  /** COMMAND INFO tips, e.g. "nondeterministic_output". */
  tips?: readonly string[];
  /**
   * The directive (no/yes/local) that must allow the command before it runs, as Redis's
   * protected commands: refused with an error unless it is "yes", or "local" and the
   * client is on the loopback (DEBUG, MODULE).
   */
  protectedBy?: "enable-debug-command" | "enable-module-command";
  args?: readonly ArgDoc[];
  /** Absent for a container command such as CONFIG, which only has subcommands. */
  handler?: Handler;
  subcommands?: readonly CommandSpec[];
}

/** Per-client counters and facts, for CLIENT LIST/INFO. */
export interface SessionFacts {
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt: number;
  readonly lastInteraction: number;
  readonly lastCommand: string;
  readonly queryBuffer: number;
  readonly queryBufferFree: number;
  /** The reply buffer's size, and the most it held since its peak was last reset. */
  readonly replyBufferSize: number;
  readonly replyBufferPeak: number;
  readonly outputBuffer: number;
  /** CLIENT LIST's flags letters (N when none). */
  readonly flags: string;
  /**
   * Connected through the Unix socket or from exactly 127.0.0.1 or ::1 (Redis's
   * islocalClient, for the "local" settings of protected commands and configs).
   */
  readonly local: boolean;
  /** Commands queued by MULTI, or -1 outside a transaction. */
  readonly queued: number;
  /** Memory by part (CLIENT LIST's argv-mem, multi-mem, tot-mem), in bytes. */
  readonly memory: { readonly argv: number; readonly multi: number; readonly total: number };
}

/** The client a command runs for. */
export interface Session extends Subscriber, ReplicationClient {
  readonly id: number;
  readonly reply: ReplyWriter;
  readonly server: ServerApi;
  db: Database;
  /** Set once the client is a replica of this server (it ran SYNC or PSYNC). */
  replica: ReplicaPeer | null;
  /** True for the link to the master this server replicates. */
  readonly isMaster: boolean;
  /** The replication offset after this client's last command (WAIT waits for it). */
  woff: number;
  /** What a replica told with REPLCONF before its PSYNC (capabilities, address). */
  readonly replconf: Capas;
  name: string;
  authenticated: boolean;
  /** The ACL user the client runs as (`default` until AUTH). */
  user: User;
  readonly facts: SessionFacts;
  /** Closes the connection once the pending replies are sent (QUIT, CLIENT KILL). */
  close(): void;
  /**
   * True once the output waiting for this client is over its class's output buffer
   * limit: the client is closed when the command ends, so a command answering a huge
   * count (HRANDFIELD key -999999999) stops there, as Redis's loops stop at
   * CLIENT_CLOSE_ASAP. Always false for clients without a connection (scripts).
   */
  outputLimitReached(): boolean;
  /** Switches the protocol version (HELLO). */
  setProtocol(version: 2 | 3): void;
  /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
  replyOff: boolean;
  /** CLIENT REPLY SKIP: the reply of the next command is dropped. */
  replySkipNext: boolean;
  /** Set while the reply of the command being run is dropped (after CLIENT REPLY SKIP). */
  replySkip: boolean;
  /** CLIENT NO-EVICT. */
  noEvict: boolean;
  /** True while the client receives MONITOR's feed. */
  readonly monitoring: boolean;
  /** MONITOR: from now on, every command the server runs is shown to this client. */
  startMonitor(): void;
  /** RESET: back to a fresh connection's state (no MULTI, WATCH, subscriptions ...). */
  reset(): void;
  /** True between MULTI and EXEC/DISCARD. */
  readonly inMulti: boolean;
  /** True while EXEC runs the queued commands (BGSAVE then only schedules). */
  readonly executingTransaction: boolean;
  /**
   * True for a client whose commands are obeyed, not judged: the AOF loader (and a
   * master link). Redis lets such clients send forms it refuses from users.
   */
  readonly mustObey: boolean;
  /** True for the client a script's or function's commands run as (SORT sorts for it). */
  readonly inScript: boolean;
  /** MULTI: start queueing commands. */
  beginTransaction(): void;
  /** DISCARD: drop the queued commands and the watched keys. */
  discardTransaction(): void;
  /** EXEC: abort, fail (a watched key changed) or run the queue, replying for each. */
  execTransaction(): void;
  /** WATCH one key of the selected database. */
  watchKey(key: string): void;
  /** UNWATCH every key. */
  unwatchAll(): void;
  /**
   * Blocks the running command until one of `keys` changes, then runs it again; after
   * `timeoutMs` (0: never) `onTimeout` replies (default: a null array). Returns false
   * when the client may not block (inside EXEC): the handler replies as for a timeout.
   * Called again while the command is re-run and still finds nothing, it keeps the
   * client's place in line.
   */
  block(keys: string[], timeoutMs: number, onTimeout?: () => void): boolean;
  /**
   * While a blocked command runs again: the key whose change woke it (a stream reader
   * then answers for that stream alone, as Redis serves it); null otherwise.
   */
  readonly readyKey: string | null;
  /**
   * The command goes on after the handler returns (a script that yielded past the busy
   * threshold): its reply is written when `done` settles, and the client waits till then.
   */
  defer(done: Promise<void>): void;

  // What a write reports. The post-command stage (src/server/call.ts) turns these
  // reports into the AOF/replica feed, WATCH invalidation, wake-ups, keyspace events
  // and tracking invalidations; handlers never act on those themselves.

  /**
   * Propagates `argv` (in the selected database) instead of the command as received:
   * its deterministic form (`SET k v EX 10` as `SET k v PXAT <ms>`, SPOP as SREM).
   * Call several times for several commands; calling it at all propagates even when
   * the command changed nothing (FLUSHALL on an empty server). Without a call, the
   * command propagates as received when it increased `server.dirty`.
   */
  propagateAs(argv: string[]): void;
  /**
   * The command reaches the AOF and replicas only as what `propagateAs` gives, even
   * when it changed something (XREADGROUP, XCLAIM: they propagate XCLAIMs of their own).
   */
  preventPropagation(): void;
  /** The command goes to replicas as it is, not to the AOF (PUBLISH, as Redis does). */
  propagateToReplicas(): void;
  /**
   * Reports the keys a write changed, when they are fewer than its key arguments
   * (DEL of a missing key), or in another database (MOVE, COPY ... DB). Once called,
   * only the reported keys count as changed; otherwise every key argument of a write
   * that increased `server.dirty` does.
   */
  keyChanged(key: string, db?: number): void;
  /**
   * The write changed no key as WATCH and client-side caching see it: Redis signals no
   * change of a stream's consumer groups (XACK, XCLAIM, XGROUP, XSETID). Its key
   * arguments are then not taken as changed.
   */
  noKeyChanged(): void;
  /** Clients blocked on `key` are served again (they learn their group is gone). */
  keyReady(key: string): void;
  /** The command's work that may take long starts here (see CommandSpec.timedWhenSlow). */
  slowPart(): void;
  /**
   * Reports a whole database about to be emptied (FLUSHDB, FLUSHALL: call before the
   * data goes) or two databases about to be swapped (SWAPDB, with `other`).
   */
  databaseChanged(db: number, other?: number): void;
  /** Reports a keyspace event (`type` is a NOTIFY class bit) on `key` in `db` (default: selected). */
  notify(type: number, event: string, key: string, db?: number): void;
}

/** Server-wide counters reported by INFO stats. */
export interface ServerStats {
  connectionsReceived: number;
  rejectedConnections: number;
  commandsProcessed: number;
  netInputBytes: number;
  netOutputBytes: number;
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  errorReplies: number;
  /** Values freed in the background (UNLINK of a large value, FLUSHDB ASYNC). */
  lazyfreedObjects: number;
  /** Keys removed to get under maxmemory. */
  evictedKeys: number;
  /** Clients disconnected by maxmemory-clients (INFO evicted_clients). */
  evictedClients: number;
  /** Milliseconds used memory spent over maxmemory, before the current stretch. */
  evictionExceededMs: number;
  /** When the current stretch over maxmemory began (performance.now() ms), or 0. */
  evictionExceededSince: number;
  /** Error replies by their first word ("ERR", "WRONGTYPE" ...), for INFO errorstats. */
  errorsByPrefix: Map<string, number>;
  /** calls and time per command full name, for INFO commandstats. */
  commands: Map<string, { calls: number; usec: number; failed: number; rejected: number }>;
  /** Resyncs served to replicas: full, partial accepted, partial refused. */
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
  /** Bytes of the replication stream read from the master and sent to replicas. */
  netReplInputBytes: number;
  netReplOutputBytes: number;
}

/** Snapshots and the AOF as commands see them (SAVE, BGSAVE, INFO persistence...). */
export interface PersistenceApi {
  /** SAVE: null on success, else why it failed ("in-progress" when a BGSAVE runs). */
  save(): string | null;
  /** BGSAVE [SCHEDULE]. */
  bgsave(
    schedule: boolean,
    inExec: boolean,
  ): "started" | "scheduled" | "in-progress" | "child-active" | "failed";
  /** BGREWRITEAOF. */
  bgrewriteaof(inExec: boolean): "started" | "scheduled" | "in-progress" | "failed";
  /** LASTSAVE: Unix seconds. */
  lastSave(): number;
  /**
   * Before SHUTDOWN: stops background jobs, flushes the AOF, saves when asked (`save`
   * true) or when save rules exist (`save` undefined). False when the save failed and
   * `force` is not set.
   */
  prepareShutdown(options: { save?: boolean; force?: boolean }): boolean;
  /**
   * Set by SIGTERM/SIGINT: the next cron tick shuts the server down (not while DEBUG
   * PAUSE-CRON holds the cron); SHUTDOWN ABORT clears it before then.
   */
  shutdownAsap: boolean;
  /** INFO persistence's fields, in order. */
  info(): [string, string | number][];
  /** A full resync being loaded as it arrives, if any (null: none). */
  readonly transferLoad: { readonly async: boolean } | null;
  /**
   * DEBUG RELOAD: saves the RDB file (unless `save` is false), empties the dataset and
   * the FUNCTION libraries (unless `flush` is false) and loads the file back; with
   * `merge`, keys and libraries from the file replace those of the same name. Null, or
   * which step failed (already logged).
   */
  reload(options: { save: boolean; flush: boolean; merge: boolean }): "save" | "load" | null;
  /**
   * DEBUG LOADAOF: writes out the AOF, empties the dataset and the libraries and
   * replays the AOF files named by the manifest. Resolves to null, or why it failed.
   */
  reloadAof(): Promise<string | null>;
}

/** How a script or function is run. */
export type { ScriptRunOptions };

/** Running Lua, as commands see it. */
export interface ScriptingApi {
  /**
   * Runs a compiled function for a client, replying with its result. Returns a promise
   * when the script yielded past the busy threshold (the caller then defers).
   */
  run(
    session: Session,
    ref: number,
    argv: readonly string[],
    keyCount: number,
    options: ScriptRunOptions,
  ): void | Promise<void>;
  /** SCRIPT KILL / FUNCTION KILL: null when the script stops, else the error reply. */
  kill(): string | null;
  /** Bytes a Lua state uses (INFO used_memory_vm_eval / used_memory_vm_functions). */
  memory(state: "eval" | "functions"): number;
  /** FUNCTION STATS: the function running now (past the busy threshold), or null. */
  runningFunction(): { name: string; argv: string[]; durationMs: number } | null;
}

/** used_memory and its parts, in bytes (estimates: see src/server/used_memory.ts). */
export interface MemoryFigures {
  /** used_memory: everything below. */
  used: number;
  /** The highest `used` seen since start or CONFIG RESETSTAT. */
  peak: number;
  /** The fixed baseline (used_memory_startup). */
  startup: number;
  /** Keys and values (used_memory_dataset). */
  dataset: number;
  /** Everything else: baseline, tables, clients, scripts (used_memory_overhead). */
  overhead: number;
  /** Client buffers but the replicas' (mem_clients_normal). */
  clients: number;
  /** The replicas' client memory (mem_clients_slaves). */
  replicaClients: number;
  /** What eviction leaves out: replicas' pending output (mem_not_counted_for_evict). */
  notCountedForEvict: number;
  /** The replication backlog (mem_replication_backlog). */
  backlog: number;
  /** The script cache and FUNCTION libraries. */
  scripts: number;
  /** Keys in all databases. */
  keys: number;
}

/** The server's memory as INFO memory and MEMORY see it. */
export interface MemoryApi {
  /** Every figure, client buffers summed afresh. */
  figures(): MemoryFigures;
  /** CONFIG RESETSTAT: the peak starts again from now. */
  resetPeak(): void;
}

/** Server behaviour DEBUG can change, as Redis's debug-only switches. */
/** How often a client's reply buffer peak starts again (ms), unless DEBUG changes it. */
export const REPLY_PEAK_RESET_MS = 5000;

export interface DebugSwitches {
  /** DEBUG SET-ACTIVE-EXPIRE: false stops the background expiry cycle (lazy expiry goes on). */
  activeExpire: boolean;
  /** DEBUG PAUSE-CRON: true stops the periodic housekeeping altogether. */
  pauseCron: boolean;
  /** DEBUG SET-DISABLE-DENY-SCRIPTS: true lets scripts call `noscript` commands. */
  scriptsRunAnyCommand: boolean;
  /** DEBUG AOF-FLUSH-SLEEP: microseconds the server blocks before each AOF write. */
  aofFlushSleepMicros: number;
  /**
   * DEBUG QUICKLIST-PACKED-THRESHOLD: list elements at least this long get a quicklist
   * node of their own (a "plain" node), as DEBUG OBJECT reports; default 1 GB.
   */
  quicklistPackedThreshold: number;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION: true lets RESTORE take payloads without checking their CRC64. */
  skipChecksumValidation: boolean;
  /**
   * DEBUG REPLYBUFFER PEAK-RESET-TIME: milliseconds between two resets of each client's
   * reply buffer peak (CLIENT LIST's rbp); negative: never.
   */
  replyPeakResetMs: number;
  /** DEBUG REPLYBUFFER RESIZING: false keeps idle clients' reply buffers. */
  replyBufferResizing: boolean;
}

/** The server as commands see it. */
export interface ServerApi {
  readonly config: Config;
  /** The server log (DEBUG LOG writes to it). */
  readonly log: Logger;
  readonly keyspace: Keyspace;
  readonly stats: ServerStats;
  /** SLOWLOG's entries and LATENCY's events and per-command histograms. */
  readonly slowlog: SlowLog;
  readonly latency: LatencyMonitor;
  /** ACL users, their rules and the ACL LOG. */
  readonly acl: Acl;
  /** Commands by lowercase name (the one table). */
  readonly commands: ReadonlyMap<string, CommandSpec>;
  /** Writes since the last save (Redis's server.dirty). */
  dirty: number;
  /**
   * True when something takes the write feed (the AOF, a test observer): a command may
   * skip building the forms it would propagate otherwise.
   */
  readonly replicating: boolean;
  readonly startedAt: number;
  readonly port: number;
  /**
   * After a CONFIG SET of port or bind: resolves once the listeners it moved away from
   * are closed for good; null when none is closing.
   */
  listenersClosing(): Promise<void> | null;
  readonly runId: string;
  /** While a shutdown waits for lagging replicas: when it gives up (Date.now()), else 0. */
  readonly shutdownDeadline: number;
  /** Switches DEBUG turns (active expiry, the cron, scripts' command checks ...). */
  readonly debug: DebugSwitches;
  readonly configFile: string;
  /** All connected clients. */
  sessions(): Iterable<Session>;
  /**
   * While maxmemory-clients is set: the evictable clients' memory, as eviction last
   * measured it, in buckets by size (DEBUG CLIENT-EVICTION); null when it is not set.
   */
  clientMemoryBuckets(): { bytes: number; clients: number }[] | null;
  /** Clients waiting in blocking commands right now. */
  readonly blockedClients: number;
  /** Stops the server (SHUTDOWN). */
  shutdown(): void;
  /**
   * Before a shutdown: waits up to shutdown-timeout for lagging replicas (writes paused);
   * false when SHUTDOWN ABORT called it off meanwhile. `byClient`: a SHUTDOWN waits,
   * and counts as a blocked client meanwhile.
   */
  waitForLaggingReplicas(byClient?: boolean): Promise<boolean>;
  /**
   * CLIENT PAUSE: until `untilMs` (Unix ms), commands of other clients wait (all of
   * them, or with `writesOnly` those that may write); a later call can only extend.
   */
  pause(untilMs: number, writesOnly: boolean): void;
  /** CLIENT UNPAUSE. */
  unpause(): void;
  /**
   * CLIENT UNBLOCK: ends the wait of a client blocked in a blocking command, as a
   * timeout or with an UNBLOCKED error. False when no such client is blocked.
   */
  unblockClient(id: number, withError: boolean): boolean;
  /** Snapshots and the append-only file. */
  readonly persistence: PersistenceApi;
  /** Channel, pattern and shard channel subscriptions. */
  readonly pubsub: PubSub;
  /** Client-side caching: who tracks which keys (CLIENT TRACKING). */
  readonly tracking: Tracking;
  /** EVAL's script cache. */
  readonly scripts: ScriptCache;
  /** FUNCTION libraries. */
  readonly functions: FunctionLibraries;
  /** The Lua VM that runs scripts and functions. */
  readonly scripting: ScriptingApi;
  /** used_memory and its parts. */
  readonly memory: MemoryApi;
  /** Replication: this server's replicas, and the master it follows. */
  readonly replication: Replication;
}
