// Value parsers for directive values, as Redis reads them (memory units, save rules,
// client-output-buffer-limit, maxmemory-clients, enums, booleans ...), and the CONFIG GET
// text each value is shown as.
import { INT64_MAX as LLONG_MAX, INT64_MIN as LLONG_MIN, parseInt64 } from "../util/int64.ts";
import type { Directive } from "./directives.ts";
import { fsPath, utf8Latin1 } from "../util/latin1.ts";

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

const ULLONG_MAX = 18446744073709551615n;

/** A directive value once parsed: its CONFIG GET text plus a typed form. */
export interface Parsed {
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
export function parseValue(d: Directive, args: string[], runtime: boolean): Parsed | string {
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
      return { text: ENUM_SYNONYMS[d.name]?.[found] ?? found };
    }
    default: {
      const err = CHECK[d.name]?.(s);
      if (err) return err;
      return { text: s };
    }
  }
}

/** Enum values Redis shows under another name of the same setting. */
const ENUM_SYNONYMS: Record<string, Record<string, string>> = {
  "oom-score-adj": { relative: "yes" },
};

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
  unixsocketperm: parseOctalPermissions,
  "shutdown-on-sigint": parseShutdownFlags,
  "shutdown-on-sigterm": parseShutdownFlags,
  replicaof: parseReplicaof,
};

/**
 * replicaof <host> <port>, or `no one` (no master, as "" is); Redis's checks of the
 * form come before Redeno's refusal of a master.
 */
function parseReplicaof(args: string[]): Parsed | string {
  if (args.length === 1 && args[0] === "") return { text: "" };
  if (args.length !== 2) return "wrong number of arguments";
  if (args[0].toLowerCase() === "no" && args[1].toLowerCase() === "one") return { text: "" };
  // strtol: leading whitespace and a sign, then digits to the end.
  const port = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(args[1]) ? Number(args[1]) : NaN;
  if (!(port >= 0 && port <= 65535)) return "Invalid master port";
  return { text: args.join(" ") };
}

/**
 * unixsocketperm: file permissions in octal (strtoll base 8 over the whole string, ""
 * being 0) from 0 to 777, shown in octal.
 */
function parseOctalPermissions(args: string[]): Parsed | string {
  if (args.length !== 1) return "wrong number of arguments";
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]+)$/.exec(args[0]);
  if (m === null && args[0] !== "") return "argument couldn't be parsed as an octal number";
  const n = m === null ? 0 : (m[1] === "-" ? -1 : 1) * parseInt(m[2], 8);
  if (n < 0 || n > 0o777) return "argument must be between 0 and 777 inclusive";
  return { text: n.toString(8), num: n };
}

/** The words of shutdown-on-sigint and shutdown-on-sigterm, as Redis orders them. */
const SHUTDOWN_FLAGS = ["save", "nosave", "now", "force"];

/**
 * shutdown-on-sigint / shutdown-on-sigterm: "default", or any of save, nosave, now and
 * force (not save with nosave), any case, shown in that order.
 */
function parseShutdownFlags(args: string[]): Parsed | string {
  const words = args.map((arg) => arg.toLowerCase());
  if (words.length === 0 || words.some((w) => w !== "default" && !SHUTDOWN_FLAGS.includes(w))) {
    return "argument(s) must be one of the following: default, save, nosave, now, force";
  }
  if (words.includes("save") && words.includes("nosave")) {
    return "shutdown options SAVE and NOSAVE can't be used simultaneously";
  }
  const flags = SHUTDOWN_FLAGS.filter((w) => words.includes(w));
  return { text: flags.length === 0 ? "default" : flags.join(" "), value: flags };
}

/** `save <seconds> <changes> ...`; a single "" means no rules. */
export function parseSave(args: string[]): Parsed | string {
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
    const path = Deno.realPathSync(fsPath(args[0]));
    if (!Deno.statSync(path).isDirectory) return "Not a directory";
    return { text: utf8Latin1(path) };
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

/**
 * client-output-buffer-limit: groups of `<class> <hard> <soft> <soft-seconds>`, changing
 * `base` (Redis's defaults if none) for the classes named.
 */
export function parseOutputBufferLimits(
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
