// Server configuration: the directive table, redis.conf and command-line parsing, CONFIG GET/SET semantics.
import { splitArgs } from "./protocol/split_args.ts";
import { globMatch } from "./util/glob.ts";
import { INT64_MAX as LLONG_MAX, INT64_MIN as LLONG_MIN, parseInt64 } from "./util/int64.ts";

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
  /** Accepted and shown, but Redeno does not act on it yet (work in progress elsewhere). */
  ignored?: boolean;
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

/** One `save <seconds> <changes>` rule. */
export interface SaveRule {
  seconds: number;
  changes: number;
}

/** One client class of client-output-buffer-limit; 0 means no limit. */
export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** The client-output-buffer-limit directive, per client class. */
export interface OutputBufferLimits {
  normal: OutputBufferLimit;
  replica: OutputBufferLimit;
  pubsub: OutputBufferLimit;
}

/** What loadConfig found in the command line. */
export type LoadResult =
  | { kind: "help" }
  | { kind: "version" }
  | {
    kind: "config";
    config: Config;
    /** Absolute path of the redis.conf given as first argument, if any (INFO, CONFIG REWRITE). */
    configFile?: string;
  };

/** Bits of the notify-keyspace-events flags (`config.number("notify-keyspace-events")`). */
export const NOTIFY = {
  KEYSPACE: 1 << 0,
  KEYEVENT: 1 << 1,
  GENERIC: 1 << 2,
  STRING: 1 << 3,
  LIST: 1 << 4,
  SET: 1 << 5,
  HASH: 1 << 6,
  ZSET: 1 << 7,
  EXPIRED: 1 << 8,
  EVICTED: 1 << 9,
  STREAM: 1 << 10,
  KEY_MISS: 1 << 11,
  MODULE: 1 << 13,
  NEW: 1 << 14,
  /** What the `A` class stands for. */
  ALL: (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) |
    (1 << 10) | (1 << 13),
} as const;

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const ULLONG_MAX = 18446744073709551615n;
const MB = 1048576n;

// Why a directive takes only its default value (`onlyDefault`) or has no effect
// (`noEffect`), where several directives share the reason. The README's
// "Configuration" section lists the same directives.
const REPLICATION = "replication is not supported by Redeno yet";
const PROC_TITLE = "Deno cannot change the process title";
const ALLOCATOR = "tunes Redis's memory allocator; Redeno's memory is managed by V8";
const LAZY_FREE = "Redeno frees synchronously; only the latency of large deletions differs";
const INCREMENTAL_FSYNC = "paces fsyncs while a file is written; the file is the same";

/** Every directive Redeno knows, in the order CONFIG GET lists them. */
export const DIRECTIVES: readonly Directive[] = [
  { name: "port", type: "int", default: "6379", min: 0n, max: 65535n, mutable: true },
  // Loopback only, as Redis's shipped redis.conf has it (the binary's own is "* -::*").
  { name: "bind", type: "special", default: "127.0.0.1 -::1", multiArg: true, mutable: true },
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
    onlyDefault: "modules are not supported by Redeno",
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
    onlyDefault: REPLICATION,
  },
  { name: "dir", type: "special", default: ".", mutable: true, protected: true },
  // Shown by CONFIG GET (empty: this server is a master); CONFIG SET can't change it.
  {
    name: "replicaof",
    type: "special",
    default: "",
    aliases: ["slaveof"],
    multiArg: true,
    mutable: false,
    onlyDefault: REPLICATION,
  },
  {
    name: "replica-serve-stale-data",
    type: "bool",
    default: "yes",
    aliases: ["slave-serve-stale-data"],
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "replica-read-only",
    type: "bool",
    default: "yes",
    aliases: ["slave-read-only"],
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-diskless-sync",
    type: "bool",
    default: "yes",
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-diskless-sync-delay",
    type: "int",
    default: "5",
    min: 0n,
    max: INT_MAX,
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-diskless-sync-max-replicas",
    type: "int",
    default: "0",
    min: 0n,
    max: INT_MAX,
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-diskless-load",
    type: "enum",
    default: "disabled",
    values: ["disabled", "on-empty-db", "swapdb"],
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-disable-tcp-nodelay",
    type: "bool",
    default: "no",
    mutable: true,
    onlyDefault: REPLICATION,
  },
  {
    name: "repl-backlog-size",
    type: "memory",
    default: "1mb",
    min: 1n,
    max: LLONG_MAX,
    mutable: true,
    noEffect: "no replica can attach; INFO shows the size, as Redis without replicas does",
  },
  {
    name: "replica-priority",
    type: "int",
    default: "100",
    min: 0n,
    max: INT_MAX,
    aliases: ["slave-priority"],
    mutable: true,
    onlyDefault: REPLICATION,
  },
  { name: "requirepass", type: "string", default: "", mutable: true, sensitive: true },
  {
    name: "acllog-max-len",
    type: "int",
    default: "128",
    min: 0n,
    max: LLONG_MAX,
    mutable: true,
    onlyDefault: "ACL LOG is not supported by Redeno yet",
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
    onlyDefault: "client eviction is not supported by Redeno yet",
  },
  {
    name: "maxmemory-eviction-tenacity",
    type: "int",
    default: "10",
    min: 0n,
    max: 100n,
    mutable: true,
    ignored: true,
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
  {
    name: "replica-lazy-flush",
    type: "bool",
    default: "no",
    aliases: ["slave-lazy-flush"],
    mutable: true,
    onlyDefault: REPLICATION,
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
    onlyDefault: "changing the OOM score is not supported by Redeno",
  },
  {
    name: "oom-score-adj-values",
    type: "special",
    default: "0 200 800",
    multiArg: true,
    mutable: true,
    noEffect: "read only when oom-score-adj is on, which Redeno refuses",
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
  { name: "aof-use-rdb-preamble", type: "bool", default: "yes", mutable: true },
  {
    name: "aof-timestamp-enabled",
    type: "bool",
    default: "no",
    mutable: true,
    onlyDefault: "AOF timestamp annotations are not supported by Redeno yet",
  },
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
const DEPRECATED: Record<string, number> = {
  "list-max-ziplist-entries": 1,
  "list-max-ziplist-value": 1,
  "lua-replicate-commands": 1,
};

/** Every accepted name (canonical or alias, lower case) → its directive. */
const BY_NAME = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  BY_NAME.set(d.name, d);
  for (const alias of d.aliases ?? []) BY_NAME.set(alias, d);
}

/** Every accepted name, canonical names each followed by their aliases. */
// The names a CONFIG GET pattern may match: hidden directives only answer to their name.
const SHOWN = DIRECTIVES.filter((d) => !d.hidden);
const ALL_NAMES: string[] = SHOWN.flatMap((d) => [d.name, ...(d.aliases ?? [])]);

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

// ---- Value parsing, as Redis does it -------------------------------------------------------

/** A directive value once parsed: its CONFIG GET text plus a typed form. */
interface Parsed {
  text: string;
  num?: number;
  value?: unknown;
}

/**
 * C's strtoll with a check that the whole string was used: optional leading
 * whitespace and sign; saturates on overflow; "" is 0. Returns null if junk follows.
 */
function parseStrtoll(s: string): { value: bigint; overflow: boolean } | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (!m) return s === "" ? { value: 0n, overflow: false } : null;
  let n = BigInt(m[2]);
  if (m[1] === "-") n = -n;
  if (n > LLONG_MAX) return { value: LLONG_MAX, overflow: true };
  if (n < LLONG_MIN) return { value: LLONG_MIN, overflow: true };
  return { value: n, overflow: false };
}

const MEMORY_UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * Redis's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb, any case).
 * Like Redis, an empty number counts as 0, a too-long number saturates and the
 * multiplication wraps at 64 bits.
 */
export function parseMemory(s: string): bigint | null {
  const m = /^([0-9]*)(.*)$/s.exec(s)!;
  const mul = MEMORY_UNITS[m[2].toLowerCase()];
  if (mul === undefined || m[1].length >= 128) return null;
  let n = m[1] === "" ? 0n : BigInt(m[1]);
  if (n > ULLONG_MAX) n = ULLONG_MAX;
  return BigInt.asUintN(64, n * mul);
}

/** Checks a number against a directive's bounds, with Redis's error text. */
function checkBounds(d: Directive, n: bigint): string | null {
  const v = d.unsigned ? BigInt.asUintN(64, n) : BigInt.asIntN(64, n);
  if (v < d.min! || v > d.max!) return `argument must be between ${d.min} and ${d.max} inclusive`;
  return null;
}

/** Redis's yesnotoi. */
function parseBool(s: string): boolean | null {
  const lower = s.toLowerCase();
  return lower === "yes" ? true : lower === "no" ? false : null;
}

/** Parses a value of `d` from its arguments; returns Redis's error text on failure. */
function parseValue(d: Directive, args: string[], runtime: boolean): Parsed | string {
  const special = SPECIAL[d.name];
  if (special) return special(args, runtime);
  const s = args[0];
  switch (d.type) {
    case "int":
    case "memory": {
      const n = d.type === "int" ? parseInt64(s) : parseMemory(s);
      if (n === null) {
        return d.type === "int"
          ? "argument couldn't be parsed into an integer"
          : "argument must be a memory value";
      }
      const err = checkBounds(d, n);
      if (err) return err;
      let v = d.unsigned ? BigInt.asUintN(64, n) : BigInt.asIntN(64, n);
      const adjust = ADJUST[d.name];
      if (adjust) v = adjust(v, runtime);
      return { text: String(v), num: Number(v), value: v };
    }
    case "bool": {
      const b = parseBool(s);
      if (b === null) return "argument must be 'yes' or 'no'";
      const err = CHECK[d.name]?.(b ? "yes" : "no");
      if (err) return err;
      return { text: b ? "yes" : "no", num: b ? 1 : 0 };
    }
    case "enum": {
      const lower = s.toLowerCase();
      const found = d.values!.find((v) => v === lower);
      if (found === undefined) {
        return `argument(s) must be one of the following: ${d.values!.join(", ")}`;
      }
      return { text: found };
    }
    default: {
      const err = CHECK[d.name]?.(s);
      if (err) return err;
      return { text: s };
    }
  }
}

/** Values Redis silently corrects after accepting them. */
const ADJUST: Record<string, (v: bigint, runtime: boolean) => bigint> = {
  // Redis clamps hz to 1..500 wherever it comes from.
  hz: (v) => v < 1n ? 1n : v > 500n ? 500n : v,
  // Resizing the backlog at run time enforces a 16 KB minimum; the config file does not.
  "repl-backlog-size": (v, runtime) => runtime && v < 16384n ? 16384n : v,
};

/** Whether a path has no directory part (Redis's pathIsBaseName). */
function isBaseName(s: string): boolean {
  return !s.includes("/") && !s.includes("\\");
}

/** Extra checks of individual values, returning Redis's (or our) error text. */
const CHECK: Record<string, (value: string) => string | null> = {
  daemonize: (v) =>
    v === "yes"
      ? "daemonize yes is not supported: Redeno always runs in the foreground " +
        "(let your service manager put it in the background)"
      : null,
  "cluster-enabled": (v) => v === "yes" ? "cluster mode is not supported by Redeno" : null,
  dbfilename: (v) => isBaseName(v) ? null : "dbfilename can't be a path, just a filename",
  appendfilename: (v) =>
    v === ""
      ? "appendfilename can't be empty"
      : isBaseName(v)
      ? null
      : "appendfilename can't be a path, just a filename",
  appenddirname: (v) =>
    v === ""
      ? "appenddirname can't be empty"
      : isBaseName(v)
      ? null
      : "appenddirname can't be a path, just a dirname",
  "proc-title-template": (v) =>
    validProcTitleTemplate(v) ? null : "template format is invalid or contains unknown variables",
};

/**
 * Whether Redis would accept a proc-title-template: only known `{variables}`, `{{` for
 * a brace, and a non-blank result when expanded for a standalone server.
 */
function validProcTitleTemplate(template: string): boolean {
  const values: Record<string, string> = {
    title: "",
    "listen-addr": "*:6379",
    "server-mode": "",
    port: "6379",
    "tls-port": "0",
    unixsocket: "",
    "config-file": "",
  };
  let out = "";
  let p = 0;
  while (p < template.length) {
    const open = template.indexOf("{", p);
    if (open < 0) {
      out += template.slice(p);
      break;
    }
    out += template.slice(p, open);
    if (open + 1 >= template.length) return false;
    if (template[open + 1] === "{") {
      out += "{";
      p = open + 2;
      continue;
    }
    const close = template.indexOf("}", open + 1);
    if (close < 0) return false;
    const value = values[template.slice(open + 1, close)];
    if (value === undefined) return false;
    out += value;
    p = close + 1;
  }
  return out.replace(/^ +| +$/g, "") !== "";
}

/** Directives whose values are not a single int/memory/bool/enum/string. */
const SPECIAL: Record<string, (args: string[], runtime: boolean) => Parsed | string> = {
  save: parseSave,
  bind: parseBind,
  dir: parseDir,
  "notify-keyspace-events": parseNotify,
  "client-output-buffer-limit": parseOutputBufferLimits,
  "oom-score-adj-values": parseOomScoreAdjValues,
  "latency-tracking-info-percentiles": parsePercentiles,
  "maxmemory-clients": parseMemoryOrPercent,
  replicaof: (args) => ({ text: args.length === 1 && args[0] === "" ? "" : args.join(" ") }),
};

/** `save <seconds> <changes> ...`; a single "" means no rules. */
function parseSave(args: string[]): Parsed | string {
  if (args.length === 1 && args[0] === "") args = [];
  const invalid = "Invalid save parameters";
  if (args.length % 2 === 1) return invalid;
  const rules: SaveRule[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const seconds = parseStrtoll(args[i]);
    const changes = parseStrtoll(args[i + 1]);
    if (!seconds || !changes || seconds.value < 1n || changes.value < 0n) return invalid;
    // Redis keeps changes in a C int.
    rules.push({
      seconds: Number(seconds.value),
      changes: Number(BigInt.asIntN(32, changes.value)),
    });
  }
  return { text: rules.map((r) => `${r.seconds} ${r.changes}`).join(" "), value: rules };
}

/** `bind <address> ...`: up to 16 addresses; a single "" means none. */
function parseBind(args: string[]): Parsed | string {
  if (args.length > 16) return "Too many bind addresses specified.";
  if (args.length === 1 && args[0] === "") args = [];
  return { text: args.join(" "), value: [...args] };
}

/** `dir <path>`: must be an existing directory; shown as an absolute path. */
function parseDir(args: string[]): Parsed | string {
  if (args.length !== 1) return "wrong number of arguments";
  if (args[0] === "") return "No such file or directory";
  try {
    const path = Deno.realPathSync(args[0]);
    if (!Deno.statSync(path).isDirectory) return "Not a directory";
    return { text: path };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "No such file or directory";
    if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
    if (e instanceof Deno.errors.NotADirectory) return "Not a directory";
    return e instanceof Error ? e.message : String(e);
  }
}

const NOTIFY_CHARS: Record<string, number> = {
  A: NOTIFY.ALL,
  g: NOTIFY.GENERIC,
  $: NOTIFY.STRING,
  l: NOTIFY.LIST,
  s: NOTIFY.SET,
  h: NOTIFY.HASH,
  z: NOTIFY.ZSET,
  x: NOTIFY.EXPIRED,
  e: NOTIFY.EVICTED,
  K: NOTIFY.KEYSPACE,
  E: NOTIFY.KEYEVENT,
  t: NOTIFY.STREAM,
  m: NOTIFY.KEY_MISS,
  d: NOTIFY.MODULE,
  n: NOTIFY.NEW,
};

/** notify-keyspace-events: a set of class characters, shown in Redis's canonical order. */
function parseNotify(args: string[]): Parsed | string {
  if (args.length !== 1) return "wrong number of arguments";
  let flags = 0;
  for (const c of args[0].split("\0")[0]) {
    const bit = NOTIFY_CHARS[c];
    if (bit === undefined) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
    flags |= bit;
  }
  let text = "";
  if ((flags & NOTIFY.ALL) === NOTIFY.ALL) {
    // Like Redis, "A" hides an "n" that is also set.
    text = "A";
  } else {
    for (const c of "g$lshzxetdn") if (flags & NOTIFY_CHARS[c]) text += c;
  }
  for (const c of "KEm") if (flags & NOTIFY_CHARS[c]) text += c;
  return { text, num: flags };
}

/** client-output-buffer-limit: groups of `<class> <hard> <soft> <soft-seconds>`. */
function parseOutputBufferLimits(
  args: string[],
  _runtime: boolean,
  base?: OutputBufferLimits,
): Parsed | string {
  if (args.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const limits: OutputBufferLimits = structuredClone(
    base ?? {
      normal: { hard: 0, soft: 0, softSeconds: 0 },
      replica: { hard: 268435456, soft: 67108864, softSeconds: 60 },
      pubsub: { hard: 33554432, soft: 8388608, softSeconds: 60 },
    },
  );
  for (let i = 0; i < args.length; i += 4) {
    const cls = args[i].toLowerCase();
    const key = cls === "normal"
      ? "normal"
      : cls === "slave" || cls === "replica"
      ? "replica"
      : cls === "pubsub"
      ? "pubsub"
      : null;
    if (!key) return "Invalid client class specified in buffer limit configuration.";
    const hard = parseMemory(args[i + 1]);
    const soft = parseMemory(args[i + 2]);
    const seconds = parseStrtoll(args[i + 3]);
    if (hard === null || soft === null || !seconds || seconds.overflow || seconds.value < 0n) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    limits[key] = { hard: Number(hard), soft: Number(soft), softSeconds: Number(seconds.value) };
  }
  return { text: formatOutputBufferLimits(limits), value: limits };
}

/** The CONFIG GET form of client-output-buffer-limit. */
function formatOutputBufferLimits(l: OutputBufferLimits): string {
  const one = (x: OutputBufferLimit) => `${x.hard} ${x.soft} ${x.softSeconds}`;
  return `normal ${one(l.normal)} slave ${one(l.replica)} pubsub ${one(l.pubsub)}`;
}

/**
 * maxmemory-clients: a memory value (wrapping to a signed 64-bit number, as Redis's
 * does) or `<n>%` with n from 0 to 100, kept as -n.
 */
function parseMemoryOrPercent(args: string[]): Parsed | string {
  const s = args[0];
  let n: bigint | null = parseMemory(s);
  if (n !== null) n = BigInt.asIntN(64, n);
  else if (s.length > 1 && s.endsWith("%")) {
    const percent = parseInt64(s.slice(0, -1));
    if (percent !== null && percent >= 0n) n = -percent;
  }
  if (n === null) return "argument must be a memory or percent value";
  if (n < -100n) return "percentage argument must be less or equal to 100";
  return { text: n < 0n ? `${-n}%` : String(n), num: Number(n), value: n };
}

/** oom-score-adj-values: three integers between -2000 and 2000. */
function parseOomScoreAdjValues(args: string[]): Parsed | string {
  if (args.length !== 3) return "wrong number of arguments";
  const values: number[] = [];
  for (const a of args) {
    const n = parseStrtoll(a);
    if (!n || a === "" || n.value < -2000n || n.value > 2000n) {
      return "Invalid oom-score-adj-values, elements must be between -2000 and 2000.";
    }
    values.push(Number(n.value));
  }
  return { text: values.join(" "), value: values };
}

/**
 * latency-tracking-info-percentiles: numbers from 0 to 100 (INFO latencystats), read
 * like Redis's string2d (no spaces, no NaN, no overflow; hex integers and inf accepted
 * by the parser, the latter then out of range), shown as %f without trailing zeros.
 * Hexadecimal fractions, which C's strtod also reads, are refused.
 */
function parsePercentiles(args: string[]): Parsed | string {
  if (args.length === 1 && args[0] === "") args = [];
  const values: number[] = [];
  for (const a of args) {
    let n: number;
    if (/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(a)) {
      n = Number(a);
      const mantissa = a.replace(/[eE].*$/, "");
      if (!Number.isFinite(n) || (n === 0 && /[1-9]/.test(mantissa))) {
        return "Invalid latency-tracking-info-percentiles parameters";
      }
    } else if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(a)) {
      n = (a[0] === "-" ? -1 : 1) * parseInt(a.replace(/^[+-]?0[xX]/, ""), 16);
    } else if (/^[+-]?inf(?:inity)?$/i.test(a)) {
      n = a[0] === "-" ? -Infinity : Infinity;
    } else {
      return "Invalid latency-tracking-info-percentiles parameters";
    }
    if (n > 100 || n < 0) {
      return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
    }
    values.push(n);
  }
  const text = values.map((v) => v.toFixed(6).replace(/\.?0+$/, "")).join(" ");
  return { text, value: values };
}

// ---- Errors --------------------------------------------------------------------------------

/**
 * A configuration that cannot be loaded. The message is ready to print on stderr,
 * in the spirit of Redis's "*** FATAL CONFIG FILE ERROR ***" block.
 */
export class ConfigError extends Error {
  /** The file path, "stdin" or "command line". */
  readonly source: string;
  /** 1-based line number in the file (or option number on the command line); 0 if none. */
  readonly line: number;
  /** The offending line or option, as read. */
  readonly text: string;
  /** Why it is wrong. */
  readonly reason: string;

  constructor(source: string, line: number, text: string, reason: string) {
    const where = source === "command line"
      ? `Reading the command line, at option ${line}`
      : `Reading the configuration file ${source}, at line ${line}`;
    super(
      line > 0
        ? `\n*** FATAL CONFIG FILE ERROR (Redeno) ***\n${where}\n>>> '${text}'\n${reason}`
        : reason,
    );
    this.name = "ConfigError";
    this.source = source;
    this.line = line;
    this.text = text;
    this.reason = reason;
  }
}

// ---- The configuration ---------------------------------------------------------------------

/** Options of Config.set. */
export interface SetOptions {
  /** The client is connected from the local host (for enable-protected-configs local). */
  local?: boolean;
}

/** Called after CONFIG SET changed a directive; returning a string fails and undoes the SET. */
export type ChangeListener = (value: string, name: string) => string | void | null;

const DEFAULTS = new Map<string, Parsed>();

/** For a directive that takes only its default value, why `parsed` is refused; else null. */
function refuseNonDefault(d: Directive, parsed: Parsed): string | null {
  if (d.onlyDefault === undefined) return null;
  const text = DEFAULTS.get(d.name)!.text;
  if (parsed.text === text) return null;
  return text === "" ? d.onlyDefault : `${d.onlyDefault} (only the default '${text}' is accepted)`;
}

/**
 * The server's configuration: typed values for every directive of DIRECTIVES,
 * starting from Redis 7.0.15's defaults.
 *
 * @example
 * ```ts
 * const config = new Config();
 * config.set([["maxmemory", "100mb"]]); // null: success
 * config.number("maxmemory"); // 104857600
 * config.get("save"); // "3600 1 300 100 60 10000"
 * ```
 */
/** A `rename-command` line: applied to the command table when the server starts. */
export interface CommandRename {
  from: string;
  /** The new name; "" disables the command. */
  to: string;
  /** Where it was read, for the start-up error when it cannot be applied. */
  source: string;
  line: number;
  text: string;
}

export class Config {
  /** The `rename-command` lines, in the order read. */
  readonly renames: CommandRename[] = [];
  #values = new Map<string, Parsed>();
  #numbers = new Map<string, number>();
  #listeners = new Map<string, ChangeListener[]>();

  constructor() {
    for (const d of DIRECTIVES) {
      let parsed = d.name === "dir" ? undefined : DEFAULTS.get(d.name);
      if (!parsed) {
        const args = d.multiArg ? (d.default === "" ? [] : d.default.split(" ")) : [d.default];
        const result = parseValue(d, args, false);
        if (typeof result === "string") throw new Error(`bad default for ${d.name}: ${result}`);
        parsed = result;
        if (d.name !== "dir") DEFAULTS.set(d.name, parsed);
      }
      this.#values.set(d.name, parsed);
      this.#numbers.clear();
    }
  }

  /** CONFIG GET's text for a directive (any case, aliases too), or undefined if unknown. */
  get(name: string): string | undefined {
    const d = findDirective(name);
    return d ? this.#values.get(d.name)!.text : undefined;
  }

  /** The value of an int, memory or bool (1/0) directive, or the notify-keyspace-events flags. */
  number(name: string): number {
    // Commands read limits on every call: remember answers by the exact name asked.
    const cached = this.#numbers.get(name);
    if (cached !== undefined) return cached;
    const n = this.#parsed(name).num;
    if (n === undefined) throw new Error(`config ${name} is not a number`);
    this.#numbers.set(name, n);
    return n;
  }

  /** The value of a bool directive. */
  bool(name: string): boolean {
    const d = this.#directive(name);
    if (d.type !== "bool") throw new Error(`config ${name} is not a bool`);
    return this.#values.get(d.name)!.num === 1;
  }

  /** The text of a directive (strings and enums; any directive's CONFIG GET form). */
  string(name: string): string {
    return this.#parsed(name).text;
  }

  /** The snapshot rules from `save`. */
  saveRules(): SaveRule[] {
    return (this.#values.get("save")!.value as SaveRule[]).map((r) => ({ ...r }));
  }

  /** The addresses from `bind`, as written (`*`, `-::1`, ...). */
  bindAddresses(): string[] {
    return [...this.#values.get("bind")!.value as string[]];
  }

  /** The client-output-buffer-limit settings per client class. */
  outputBufferLimits(): OutputBufferLimits {
    return structuredClone(
      this.#values.get("client-output-buffer-limit")!.value as OutputBufferLimits,
    );
  }

  /**
   * CONFIG GET: [name, value] pairs for one or more names or glob patterns. A
   * pattern (with `*`, `?` or `[`) is matched without case against every name,
   * aliases included; a plain name is looked up and echoed as given. Each name
   * appears once, in table order for patterns.
   */
  match(patterns: string | string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    for (const pattern of typeof patterns === "string" ? [patterns] : patterns) {
      if (!/[[*?]/.test(pattern)) {
        const key = pattern.toLowerCase();
        const d = BY_NAME.get(key);
        if (d && !seen.has(key)) {
          seen.add(key);
          out.push([pattern, this.#values.get(d.name)!.text]);
        }
        continue;
      }
      for (const name of ALL_NAMES) {
        if (seen.has(name) || !globMatch(pattern, name, true)) continue;
        seen.add(name);
        out.push([name, this.#values.get(BY_NAME.get(name)!.name)!.text]);
      }
    }
    return out;
  }

  /**
   * CONFIG SET with one or more [name, value] pairs, all or nothing. Returns null
   * on success, or Redis's error text (without the leading "-"). Listeners run
   * after every value is in place, and only for values that changed.
   */
  set(pairs: [string, string][], options: SetOptions = {}): string | null {
    const failed = (name: string, why: string) =>
      `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;
    const protectedOk = this.string("enable-protected-configs") === "yes" ||
      (this.string("enable-protected-configs") === "local" && options.local === true);
    const todo: { key: string; d: Directive; value: string }[] = [];
    for (const [name, value] of pairs) {
      const key = name.toLowerCase();
      const d = BY_NAME.get(key);
      if (!d) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (!d.mutable) return failed(name, "can't set immutable config");
      if (d.protected && !protectedOk) return failed(name, "can't set protected config");
      if (todo.some((t) => t.key === key)) return failed(name, "duplicate parameter");
      todo.push({ key, d, value });
    }

    const parsed: Parsed[] = [];
    for (const { key, d, value } of todo) {
      // Redis splits several-argument values on single spaces.
      const args = d.multiArg ? (value === "" ? [] : value.split(" ")) : [value];
      const result = d.name === "client-output-buffer-limit"
        ? parseOutputBufferLimits(args, true, this.outputBufferLimits())
        : parseValue(d, args, true);
      if (typeof result === "string") return failed(key, result);
      const refused = refuseNonDefault(d, result);
      if (refused) return failed(key, refused);
      parsed.push(result);
    }

    const old = new Map<string, Parsed>();
    todo.forEach(({ d }, i) => {
      if (!old.has(d.name)) old.set(d.name, this.#values.get(d.name)!);
      this.#values.set(d.name, parsed[i]);
      this.#numbers.clear();
    });
    const notified: string[] = [];
    for (const { key, d } of todo) {
      if (notified.includes(d.name) || this.#values.get(d.name)!.text === old.get(d.name)!.text) {
        continue;
      }
      notified.push(d.name);
      const error = this.#notify(d.name);
      if (error) {
        // Undo everything, and tell the listeners that already saw a new value.
        for (const [name, value] of old) this.#values.set(name, value);
        this.#numbers.clear();
        for (const name of notified) this.#notify(name);
        return failed(key, error);
      }
    }
    return null;
  }

  /**
   * Registers `fn` to run when CONFIG SET changes `name` (canonical or alias). It
   * may return an error text to refuse the change (for example when a new port
   * cannot be bound); the whole CONFIG SET is then undone. Returns a function that
   * removes the listener.
   */
  onChange(name: string, fn: ChangeListener): () => void {
    const d = this.#directive(name);
    const list = this.#listeners.get(d.name) ?? [];
    list.push(fn);
    this.#listeners.set(d.name, list);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Applies one directive as read from redis.conf or the command line (no listeners,
   * immutable directives allowed). `accumulate` makes `save` add to the rules already
   * set rather than replace them. Returns an error reason, or null.
   */
  applyDirective(name: string, args: string[], accumulate = false): string | null {
    const d = findDirective(name);
    if (!d) return "Bad directive or wrong number of arguments";
    if (!d.multiArg && args.length !== 1) return "wrong number of arguments";
    if (d.multiArg && args.length === 1 && args[0] !== "") {
      // Redis 7 lets a several-argument directive come as one quoted string.
      const split = splitArgs(args[0]);
      if (split === null) return "Unbalanced quotes in configuration line";
      args = split;
    }
    if (d.name === "save" && accumulate && !(args.length === 1 && args[0] === "")) {
      const check = parseSave(args);
      if (typeof check === "string") return check;
      args = [...this.#values.get("save")!.text.split(" ").filter((a) => a !== ""), ...args];
    }
    const result = d.name === "client-output-buffer-limit"
      ? parseOutputBufferLimits(args, false, this.outputBufferLimits())
      : parseValue(d, args, false);
    if (typeof result === "string") return result;
    const refused = refuseNonDefault(d, result);
    if (refused) return refused;
    this.#values.set(d.name, result);
    this.#numbers.clear();
    return null;
  }

  #notify(name: string): string | null {
    const text = this.#values.get(name)!.text;
    for (const fn of this.#listeners.get(name) ?? []) {
      const error = fn(text, name);
      if (typeof error === "string") return error;
    }
    return null;
  }

  #directive(name: string): Directive {
    const d = findDirective(name);
    if (!d) throw new Error(`unknown config ${name}`);
    return d;
  }

  #parsed(name: string): Parsed {
    return this.#values.get(this.#directive(name).name)!;
  }
}

// ---- redis.conf and the command line -------------------------------------------------------

/** One directive line of a configuration text. */
interface ConfigLine {
  name: string;
  args: string[];
  line: number;
  text: string;
}

/** Splits a redis.conf text into directive lines; throws ConfigError on unbalanced quotes. */
function parseLines(text: string, source: string): ConfigLine[] {
  const nul = text.indexOf("\0");
  if (nul >= 0) text = text.slice(0, nul);
  const out: ConfigLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line[0] === "#") continue;
    const args = splitArgs(line);
    if (args === null) {
      throw new ConfigError(source, i + 1, line, "Unbalanced quotes in configuration line");
    }
    if (args.length === 0) continue;
    out.push({ name: args[0].toLowerCase(), args: args.slice(1), line: i + 1, text: line });
  }
  return out;
}

/**
 * Parses redis.conf syntax: one directive per line, `#` comments, blank lines,
 * arguments split like Redis (quotes, escapes). Directive names come back in
 * lower case. Throws ConfigError (naming `source` and the line) on unbalanced quotes.
 *
 * @example
 * ```ts
 * parseConfigText('port 7000\nsave ""\n', "redis.conf"); // [["port", ["7000"]], ["save", [""]]]
 * ```
 */
export function parseConfigText(text: string, source: string): [string, string[]][] {
  return parseLines(text, source).map((l) => [l.name, l.args]);
}

/** Reads a file as a latin1 "one-byte" string. */
async function readLatin1(path: string): Promise<string> {
  return latin1(await Deno.readFile(path));
}

/** Decodes bytes as latin1, one char per byte. */
function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Redis's sdscatrepr: a quoted, escaped form of an argument for error messages. */
function repr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c < 32 || c >= 127) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** Reads and applies configuration lines, handling include and `save` accumulation. */
class Loader {
  #config: Config;
  #saveSeen = false;
  #depth = 0;

  constructor(config: Config) {
    this.#config = config;
  }

  async file(path: string): Promise<void> {
    let text: string;
    try {
      text = await readLatin1(path);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "No such file or directory"
        : e instanceof Deno.errors.PermissionDenied
        ? "Permission denied"
        : e instanceof Error
        ? e.message
        : String(e);
      throw new ConfigError(path, 0, "", `Fatal error, can't open config file '${path}': ${why}`);
    }
    await this.text(text, path);
  }

  async text(text: string, source: string): Promise<void> {
    for (const l of parseLines(text, source)) {
      if (l.name === "include" && l.args.length === 1) {
        if (this.#depth >= 16) {
          throw new ConfigError(source, l.line, l.text, "include nesting is too deep");
        }
        this.#depth++;
        await this.file(l.args[0]);
        this.#depth--;
        continue;
      }
      this.apply(l, source);
    }
  }

  apply(l: ConfigLine, source: string): void {
    const fail = (reason: string) => {
      throw new ConfigError(source, l.line, l.text, reason);
    };
    if (l.name === "rename-command") {
      if (l.args.length !== 2) fail("wrong number of arguments");
      this.#config.renames.push({
        from: l.args[0],
        to: l.args[1],
        source,
        line: l.line,
        text: l.text,
      });
      return;
    }
    if (!findDirective(l.name)) {
      if (DEPRECATED[l.name] === l.args.length) return;
      if (["user", "loadmodule", "sentinel"].includes(l.name)) {
        fail(`${l.name} is not supported by Redeno`);
      }
      fail("Bad directive or wrong number of arguments");
    }
    const isSave = findDirective(l.name)!.name === "save";
    const error = this.#config.applyDirective(l.name, l.args, isSave && this.#saveSeen);
    if (error) fail(error);
    if (isSave) this.#saveSeen = true;
  }
}

/** Groups redis-server style options (`--name value ...`) the way Redis 7.0 does. */
function parseOptions(tokens: string[]): ConfigLine[] {
  const out: ConfigLine[] = [];
  let current: ConfigLine | null = null;
  // A name's first value always belongs to it, even if it starts with "--".
  let hasValue = true;
  for (let j = 0; j < tokens.length; j++) {
    const token = tokens[j];
    if (hasValue && token.startsWith("--")) {
      const parts = splitArgs(token.slice(2));
      if (parts === null || parts.length === 0) {
        throw new ConfigError(
          "command line",
          out.length + 1,
          token,
          "Bad directive or wrong number of arguments",
        );
      }
      current = {
        name: parts[0].toLowerCase(),
        args: parts.slice(1),
        line: out.length + 1,
        text: "",
      };
      out.push(current);
      hasValue = parts.length > 1;
      if (!hasValue && token.toLowerCase() === "--save") {
        // `--save` followed by another option, or last, means `--save ""`.
        const next = tokens[j + 1];
        if (next === undefined || next.startsWith("--")) {
          current.args.push("");
          hasValue = true;
        }
      }
    } else {
      if (!current) {
        current = { name: "", args: [], line: 1, text: "" };
        out.push(current);
      }
      current.args.push(token);
      hasValue = true;
    }
  }
  for (const l of out) l.text = [...(l.name ? [l.name] : []), ...l.args.map(repr)].join(" ");
  return out;
}

/**
 * Reads the configuration the way redis-server reads its arguments: an optional
 * first argument naming a redis.conf file (one not starting with "-"), an optional
 * "-" (first or last) to read more configuration from stdin, then `--name value
 * [value ...]` options, which are applied after the file and so override it.
 * `--help`/`-h` and `--version`/`-v` as the first argument ask for help or the version.
 * Throws ConfigError for an unreadable file, an unknown directive, a wrong number
 * of arguments or a bad value.
 */
export async function loadConfig(argv: string[]): Promise<LoadResult> {
  const first = argv[0];
  if (first === "-v" || first === "--version") return { kind: "version" };
  if (first === "-h" || first === "--help") return { kind: "help" };

  const config = new Config();
  const loader = new Loader(config);
  let j = 0;
  let configFile: string | undefined;
  if (first !== undefined && !first.startsWith("-")) {
    configFile = absolutePath(first);
    await loader.file(first);
    j = 1;
  }
  let rest = argv.slice(j);
  const stdinAt = rest.findIndex((t, i) => t === "-" && (i + j === 0 || i === rest.length - 1));
  if (stdinAt >= 0) {
    rest = rest.filter((_, i) => i !== stdinAt);
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    await loader.text(latin1(bytes), "stdin");
  }
  for (const option of parseOptions(rest)) loader.apply(option, "command line");
  return configFile === undefined
    ? { kind: "config", config }
    : { kind: "config", config, configFile };
}

/** `path` made absolute against the current directory, `.` and `..` resolved (no symlinks). */
function absolutePath(path: string): string {
  const parts: string[] = [];
  const full = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The text for `redeno --help`. */
export function helpText(): string {
  return [
    "Usage: redeno [/path/to/redis.conf] [options] [-]",
    "       redeno -v or --version",
    "       redeno -h or --help",
    "",
    "Redeno reads redis.conf files. Every directive can also be given as an option,",
    "--name value [value ...], applied after the file so that it wins over it.",
    'A lone "-" reads more configuration from standard input.',
    "",
    "Examples:",
    "       redeno                                  (default configuration)",
    "       redeno /etc/redis/redis.conf",
    "       redeno --port 7777",
    "       redeno --port 7777 --dir /data --appendonly yes",
    "       redeno /etc/redeno.conf --loglevel verbose --save 900 1 --save 300 10",
    '       redeno --save ""                        (no RDB snapshots)',
    "       echo 'maxmemory 100mb' | redeno -",
    "",
    "CONFIG GET * lists every directive; CONFIG SET changes the mutable ones.",
    "Directives for features Redeno lacks (replication, client eviction, ...) accept",
    "only their default value; the README lists them.",
  ].join("\n");
}
