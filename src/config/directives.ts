// The directive table: every configuration directive Redeno knows, described as data,
// and the lookup of a directive by name or alias.
import { INT64_MAX as LLONG_MAX } from "../util/int64.ts";

/** The kind of value a directive takes. */
export type DirectiveType = "int" | "memory" | "bool" | "enum" | "string" | "special";

/** One configuration directive, described as data. */
export interface Directive {
  /** Canonical name, lower case. */
  name: string;
  type: DirectiveType;
  /** Default in redis.conf syntax (Redis 7.0.15's built-in default, not redis.conf's). */
  default: string;
  /** Whether CONFIG SET may change it. */
  mutable: boolean;
  /** Older names that CONFIG GET/SET and redis.conf also accept. */
  aliases?: string[];
  /** Bounds for `int` and `memory`. */
  min?: bigint;
  max?: bigint;
  /** The C type is unsigned: a value is compared as an unsigned 64-bit number. */
  unsigned?: boolean;
  /** Allowed values of an `enum`, in the order Redis lists them in errors. */
  values?: string[];
  /** Takes several arguments (save, bind, ...). */
  multiArg?: boolean;
  /** CONFIG SET needs enable-protected-configs. */
  protected?: boolean;
  /** Holds a secret (requirepass): callers should not log it. */
  sensitive?: boolean;
  /** A debugging directive: CONFIG GET shows it when named, never for a pattern. */
  hidden?: boolean;
  /**
   * Why Redeno accepts any value although it changes nothing a client can observe
   * (cosmetics, performance tuning of Redis's internals).
   */
  noEffect?: string;
  /**
   * Why only the default value is accepted: the directive changes behaviour Redeno
   * does not have. Any other value is refused at start-up and by CONFIG SET.
   */
  onlyDefault?: string;
}

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const ULLONG_MAX = 18446744073709551615n;
const MB = 1048576n;

// Why a directive takes only its default value (`onlyDefault`) or has no effect
// (`noEffect`), where several directives share the reason. The README's
// "Configuration" section lists the same directives.
const PROC_TITLE = "Deno cannot change the process title";
const ALLOCATOR = "tunes Redis's memory allocator; Redeno's memory is managed by V8";
const LAZY_FREE = "Redeno frees synchronously; only the latency of large deletions differs";
const INCREMENTAL_FSYNC = "paces fsyncs while a file is written; the file is the same";

/** Every directive Redeno knows, in the order CONFIG GET lists them. */
export const DIRECTIVES: readonly Directive[] = [
  { name: "port", type: "int", default: "6379", min: 0n, max: 65535n, mutable: true },
  // Every address, as the redis-server binary has it (its shipped redis.conf says
  // "127.0.0.1 -::1"); protected mode keeps other hosts out while there is no password.
  { name: "bind", type: "special", default: "* -::*", multiArg: true, mutable: true },
  {
    name: "bind-source-addr",
    type: "string",
    default: "",
    mutable: true,
  },
  // A Unix domain socket to listen on as well ("": none), and its permissions (octal).
  { name: "unixsocket", type: "string", default: "", mutable: false },
  { name: "unixsocketperm", type: "special", default: "0", mutable: false },
  { name: "protected-mode", type: "bool", default: "yes", mutable: true },
  {
    name: "tcp-backlog",
    type: "int",
    default: "511",
    min: 0n,
    max: INT_MAX,
    mutable: false,
    noEffect: "the listen queue length is left to Deno and the kernel",
  },
  { name: "timeout", type: "int", default: "0", min: 0n, max: INT_MAX, mutable: true },
  { name: "tcp-keepalive", type: "int", default: "300", min: 0n, max: INT_MAX, mutable: true },
  { name: "daemonize", type: "bool", default: "no", mutable: false },
  {
    name: "supervised",
    type: "enum",
    default: "no",
    values: ["upstart", "systemd", "auto", "no"],
    mutable: false,
    onlyDefault: "supervision by upstart or systemd is not supported by Redeno",
  },
  { name: "pidfile", type: "string", default: "", mutable: false },
  {
    name: "loglevel",
    type: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"],
    mutable: true,
  },
  { name: "logfile", type: "string", default: "", mutable: false },
  { name: "databases", type: "int", default: "16", min: 1n, max: INT_MAX, mutable: false },
  {
    name: "always-show-logo",
    type: "bool",
    default: "no",
    mutable: false,
    noEffect: "Redeno prints no logo",
  },
  {
    name: "set-proc-title",
    type: "bool",
    default: "yes",
    mutable: false,
    noEffect: PROC_TITLE,
  },
  {
    name: "proc-title-template",
    type: "string",
    default: "{title} {listen-addr} {server-mode}",
    mutable: true,
    noEffect: PROC_TITLE,
  },
  {
    name: "enable-protected-configs",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  {
    name: "enable-debug-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  {
    name: "enable-module-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
    noEffect: "Redeno has no MODULE command (no modules), so there is nothing to allow",
  },
  {
    name: "save",
    type: "special",
    default: "3600 1 300 100 60 10000",
    multiArg: true,
    mutable: true,
  },
  { name: "stop-writes-on-bgsave-error", type: "bool", default: "yes", mutable: true },
  { name: "rdbcompression", type: "bool", default: "yes", mutable: true },
  { name: "rdbchecksum", type: "bool", default: "yes", mutable: false },
  { name: "dbfilename", type: "string", default: "dump.rdb", mutable: true, protected: true },
  {
    name: "rdb-del-sync-files",
    type: "bool",
    default: "no",
    mutable: true,
  },
  { name: "dir", type: "special", default: ".", mutable: true, protected: true },
  // The master this server replicates ("": none); REPLICAOF changes it, CONFIG SET can't.
  {
    name: "replicaof",
    type: "special",
    default: "",
    aliases: ["slaveof"],
    multiArg: true,
    mutable: false,
  },
  {
    name: "replica-serve-stale-data",
    type: "bool",
    default: "yes",
    aliases: ["slave-serve-stale-data"],
    mutable: true,
  },
  {
    name: "replica-read-only",
    type: "bool",
    default: "yes",
    aliases: ["slave-read-only"],
    mutable: true,
  },
  {
    name: "repl-diskless-sync",
    type: "bool",
    default: "yes",
    mutable: true,
  },
  {
    name: "repl-diskless-sync-delay",
    type: "int",
    default: "5",
    min: 0n,
    max: INT_MAX,
    mutable: true,
  },
  {
    name: "repl-diskless-sync-max-replicas",
    type: "int",
    default: "0",
    min: 0n,
    max: INT_MAX,
    mutable: true,
  },
  {
    name: "repl-diskless-load",
    type: "enum",
    default: "disabled",
    values: ["disabled", "on-empty-db", "swapdb"],
    mutable: true,
  },
  {
    name: "repl-disable-tcp-nodelay",
    type: "bool",
    default: "no",
    mutable: true,
    noEffect: "only how TCP batches the replication stream changes; its bytes are the same",
  },
  {
    name: "repl-backlog-size",
    type: "memory",
    default: "1mb",
    min: 1n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "replica-priority",
    type: "int",
    default: "100",
    min: 0n,
    max: INT_MAX,
    aliases: ["slave-priority"],
    mutable: true,
  },
  { name: "masterauth", type: "string", default: "", mutable: true, sensitive: true },
  { name: "masteruser", type: "string", default: "", mutable: true },
  {
    name: "repl-ping-replica-period",
    type: "int",
    default: "10",
    min: 1n,
    max: INT_MAX,
    aliases: ["repl-ping-slave-period"],
    mutable: true,
  },
  { name: "repl-timeout", type: "int", default: "60", min: 1n, max: INT_MAX, mutable: true },
  {
    name: "repl-backlog-ttl",
    type: "int",
    default: "3600",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "min-replicas-to-write",
    type: "int",
    default: "0",
    min: 0n,
    max: INT_MAX,
    aliases: ["min-slaves-to-write"],
    mutable: true,
  },
  {
    name: "min-replicas-max-lag",
    type: "int",
    default: "10",
    min: 0n,
    max: INT_MAX,
    aliases: ["min-slaves-max-lag"],
    mutable: true,
  },
  {
    name: "replica-announce-ip",
    type: "string",
    default: "",
    aliases: ["slave-announce-ip"],
    mutable: true,
  },
  {
    name: "replica-announce-port",
    type: "int",
    default: "0",
    min: 0n,
    max: 65535n,
    aliases: ["slave-announce-port"],
    mutable: true,
  },
  { name: "replica-announced", type: "bool", default: "yes", mutable: true },
  {
    name: "replica-ignore-maxmemory",
    type: "bool",
    default: "yes",
    aliases: ["slave-ignore-maxmemory"],
    mutable: true,
  },
  { name: "replica-ignore-disk-write-errors", type: "bool", default: "no", mutable: true },
  { name: "requirepass", type: "string", default: "", mutable: true, sensitive: true },
  {
    name: "acllog-max-len",
    type: "int",
    default: "128",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  // Users come from this file (ACL LOAD, ACL SAVE) instead of `user` directives.
  { name: "aclfile", type: "string", default: "", mutable: false },
  {
    name: "acl-pubsub-default",
    type: "enum",
    default: "resetchannels",
    values: ["allchannels", "resetchannels"],
    mutable: true,
  },
  {
    name: "maxclients",
    type: "int",
    default: "10000",
    min: 1n,
    max: UINT_MAX,
    unsigned: true,
    mutable: true,
  },
  {
    name: "maxmemory",
    type: "memory",
    default: "0",
    min: 0n,
    max: ULLONG_MAX,
    unsigned: true,
    mutable: true,
  },
  {
    name: "maxmemory-policy",
    type: "enum",
    default: "noeviction",
    values: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ],
    mutable: true,
  },
  { name: "maxmemory-samples", type: "int", default: "5", min: 1n, max: INT_MAX, mutable: true },
  // Bytes, or a percentage of maxmemory (kept as a negative number, as Redis does).
  {
    name: "maxmemory-clients",
    type: "special",
    default: "0",
    mutable: true,
  },
  {
    name: "maxmemory-eviction-tenacity",
    type: "int",
    default: "10",
    min: 0n,
    max: 100n,
    mutable: true,
  },
  {
    // Microseconds to wait after loading each key of an RDB file (tests of loading use
    // it); negative: wait one microsecond once in that many keys.
    name: "key-load-delay",
    type: "int",
    default: "0",
    min: INT_MIN,
    max: INT_MAX,
    mutable: true,
    hidden: true,
  },
  // Redis's tests ask a crashing server to exit instead of aborting; Redeno answers a
  // failing command with an error and goes on, so there is no panic to change.
  {
    name: "use-exit-on-panic",
    type: "bool",
    default: "no",
    mutable: true,
    hidden: true,
    noEffect: "Redeno does not panic: a command that fails inside answers with an error",
  },
  {
    name: "crash-memcheck-enabled",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: "Redeno does not crash: there is no crash report to run a memory test for",
  },
  {
    // Microseconds to wait after saving each key to an RDB file (tests of saving use
    // it); negative: wait one microsecond once in that many keys.
    name: "rdb-key-save-delay",
    type: "int",
    default: "0",
    min: INT_MIN,
    max: INT_MAX,
    mutable: true,
    hidden: true,
  },
  {
    name: "loading-process-events-interval-bytes",
    type: "int",
    default: "2097152",
    min: 1024n,
    max: INT_MAX,
    mutable: true,
    hidden: true,
    noEffect: "Redeno loads the dataset before it accepts connections: no events wait",
  },
  {
    name: "lazyfree-lazy-eviction",
    type: "bool",
    default: "no",
    mutable: true,
    noEffect: LAZY_FREE,
  },
  {
    name: "lazyfree-lazy-expire",
    type: "bool",
    default: "no",
    mutable: true,
    noEffect: LAZY_FREE,
  },
  {
    name: "lazyfree-lazy-server-del",
    type: "bool",
    default: "no",
    mutable: true,
    noEffect: LAZY_FREE,
  },
  {
    name: "lazyfree-lazy-user-del",
    type: "bool",
    default: "no",
    mutable: true,
  },
  {
    name: "lazyfree-lazy-user-flush",
    type: "bool",
    default: "no",
    mutable: true,
  },
  // Redeno checks every DUMP payload and RDB value whole before it is used, whatever
  // this says: "no" only lets Redis skip deep checks (and crash on a bad payload later).
  {
    name: "sanitize-dump-payload",
    type: "enum",
    default: "no",
    values: ["no", "yes", "clients"],
    mutable: true,
  },
  {
    name: "replica-lazy-flush",
    type: "bool",
    default: "no",
    aliases: ["slave-lazy-flush"],
    mutable: true,
    noEffect: LAZY_FREE,
  },
  {
    name: "io-threads",
    type: "int",
    default: "1",
    min: 1n,
    max: 128n,
    mutable: false,
    noEffect: "Redeno serves clients from one thread; the setting only tunes Redis's throughput",
  },
  {
    name: "oom-score-adj",
    type: "enum",
    default: "no",
    values: ["no", "yes", "relative", "absolute"],
    mutable: true,
  },
  // The first value is the master's; Redeno has no replica or child process for the
  // other two.
  {
    name: "oom-score-adj-values",
    type: "special",
    default: "0 200 800",
    multiArg: true,
    mutable: true,
  },
  {
    name: "disable-thp",
    type: "bool",
    default: "yes",
    mutable: false,
    noEffect: ALLOCATOR,
  },
  { name: "appendonly", type: "bool", default: "no", mutable: true },
  { name: "appendfilename", type: "string", default: "appendonly.aof", mutable: false },
  { name: "appenddirname", type: "string", default: "appendonlydir", mutable: false },
  {
    name: "appendfsync",
    type: "enum",
    default: "everysec",
    values: ["everysec", "always", "no"],
    mutable: true,
  },
  {
    name: "no-appendfsync-on-rewrite",
    type: "bool",
    default: "no",
    mutable: true,
    noEffect: "Redeno keeps fsyncing the AOF during a rewrite, never less safe than asked",
  },
  {
    name: "auto-aof-rewrite-percentage",
    type: "int",
    default: "100",
    min: 0n,
    max: INT_MAX,
    mutable: true,
  },
  {
    name: "auto-aof-rewrite-min-size",
    type: "memory",
    default: "64mb",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  { name: "aof-load-truncated", type: "bool", default: "yes", mutable: true },
  // What an error answered to a command read from the AOF does: "panic" stops the
  // server, as Redis panics (panic-on-replicas only concerns replicas).
  {
    name: "propagation-error-behavior",
    type: "enum",
    default: "ignore",
    values: ["ignore", "panic", "panic-on-replicas"],
    mutable: true,
  },
  { name: "aof-use-rdb-preamble", type: "bool", default: "yes", mutable: true },
  { name: "aof-timestamp-enabled", type: "bool", default: "no", mutable: true },
  {
    name: "busy-reply-threshold",
    type: "int",
    default: "5000",
    min: 0n,
    max: LLONG_MAX,
    aliases: ["lua-time-limit"],
    mutable: true,
  },
  { name: "cluster-enabled", type: "bool", default: "no", mutable: false },
  // What SIGINT and SIGTERM do: default (save when save rules exist), or save, nosave,
  // now, force, as SHUTDOWN's flags.
  {
    name: "shutdown-on-sigint",
    type: "special",
    default: "default",
    multiArg: true,
    mutable: true,
  },
  {
    name: "shutdown-on-sigterm",
    type: "special",
    default: "default",
    multiArg: true,
    mutable: true,
  },
  // How long a shutdown waits for lagging replicas to catch up (seconds; SHUTDOWN NOW
  // and the `now` of shutdown-on-sig* do not wait).
  {
    name: "shutdown-timeout",
    type: "int",
    default: "10",
    min: 0n,
    max: INT_MAX,
    mutable: true,
  },
  {
    name: "slowlog-log-slower-than",
    type: "int",
    default: "10000",
    min: -1n,
    max: LLONG_MAX,
    mutable: true,
  },
  { name: "slowlog-max-len", type: "int", default: "128", min: 0n, max: LLONG_MAX, mutable: true },
  {
    name: "latency-monitor-threshold",
    type: "int",
    default: "0",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  { name: "latency-tracking", type: "bool", default: "yes", mutable: true },
  {
    name: "latency-tracking-info-percentiles",
    type: "special",
    default: "50 99 99.9",
    multiArg: true,
    mutable: true,
  },
  { name: "notify-keyspace-events", type: "special", default: "", mutable: true },
  {
    name: "hash-max-listpack-entries",
    type: "int",
    default: "512",
    min: 0n,
    max: LLONG_MAX,
    aliases: ["hash-max-ziplist-entries"],
    mutable: true,
  },
  {
    name: "hash-max-listpack-value",
    type: "memory",
    default: "64",
    min: 0n,
    max: LLONG_MAX,
    aliases: ["hash-max-ziplist-value"],
    mutable: true,
  },
  {
    name: "list-max-listpack-size",
    type: "int",
    default: "-2",
    min: INT_MIN,
    max: INT_MAX,
    aliases: ["list-max-ziplist-size"],
    mutable: true,
  },
  { name: "list-compress-depth", type: "int", default: "0", min: 0n, max: INT_MAX, mutable: true },
  {
    name: "set-max-intset-entries",
    type: "int",
    default: "512",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "zset-max-listpack-entries",
    type: "int",
    default: "128",
    min: 0n,
    max: LLONG_MAX,
    aliases: ["zset-max-ziplist-entries"],
    mutable: true,
  },
  {
    name: "zset-max-listpack-value",
    type: "memory",
    default: "64",
    min: 0n,
    max: LLONG_MAX,
    aliases: ["zset-max-ziplist-value"],
    mutable: true,
  },
  {
    name: "hll-sparse-max-bytes",
    type: "memory",
    default: "3000",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "stream-node-max-bytes",
    type: "memory",
    default: "4096",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "stream-node-max-entries",
    type: "int",
    default: "100",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "activerehashing",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: "Redeno's hash tables resize themselves",
  },
  {
    name: "client-output-buffer-limit",
    type: "special",
    default: "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60",
    multiArg: true,
    mutable: true,
  },
  {
    name: "client-query-buffer-limit",
    type: "memory",
    default: "1gb",
    min: MB,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "proto-max-bulk-len",
    type: "memory",
    default: "512mb",
    min: MB,
    max: LLONG_MAX,
    mutable: true,
  },
  { name: "hz", type: "int", default: "10", min: 0n, max: INT_MAX, mutable: true },
  {
    name: "dynamic-hz",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: "Redeno's timer always runs at hz",
  },
  {
    name: "aof-rewrite-incremental-fsync",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: INCREMENTAL_FSYNC,
  },
  {
    name: "rdb-save-incremental-fsync",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: INCREMENTAL_FSYNC,
  },
  { name: "lfu-log-factor", type: "int", default: "10", min: 0n, max: INT_MAX, mutable: true },
  { name: "lfu-decay-time", type: "int", default: "1", min: 0n, max: INT_MAX, mutable: true },
  {
    name: "active-expire-effort",
    type: "int",
    default: "1",
    min: 1n,
    max: 10n,
    mutable: true,
    noEffect:
      "Redeno's active expiry has a fixed effort; expired keys are never visible either way",
  },
  {
    name: "tracking-table-max-keys",
    type: "int",
    default: "1000000",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
  },
  {
    name: "jemalloc-bg-thread",
    type: "bool",
    default: "yes",
    mutable: true,
    noEffect: ALLOCATOR,
  },
];

/** Directives of Redis 7.0 that it accepts in redis.conf and ignores, with their argument count. */
export const DEPRECATED: Record<string, number> = {
  "list-max-ziplist-entries": 1,
  "list-max-ziplist-value": 1,
  "lua-replicate-commands": 1,
};

/** Every accepted name (canonical or alias, lower case) → its directive. */
export const BY_NAME = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  BY_NAME.set(d.name, d);
  for (const alias of d.aliases ?? []) BY_NAME.set(alias, d);
}

// The names a CONFIG GET pattern may match: hidden directives only answer to their name.
const SHOWN = DIRECTIVES.filter((d) => !d.hidden);
/** Every name a CONFIG GET pattern may match, canonical names each followed by their aliases. */
export const ALL_NAMES: string[] = SHOWN.flatMap((d) => [d.name, ...(d.aliases ?? [])]);

/**
 * The directive called `name` (canonical or alias, any case), if there is one.
 *
 * @example
 * ```ts
 * findDirective("HASH-MAX-ZIPLIST-ENTRIES")?.name; // "hash-max-listpack-entries"
 * ```
 */
export function findDirective(name: string): Directive | undefined {
  return BY_NAME.get(name.toLowerCase());
}
