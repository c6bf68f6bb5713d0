// String commands: SET and GET and their variants (SETNX, SETEX, PSETEX, GETEX, GETDEL,
// GETSET), MSET/MSETNX/MGET, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, the integer
// and float counters (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT) and LCS.
//
// Every write propagates the deterministic form Redis 7.0 writes to its AOF: a
// relative TTL becomes an absolute one (SET ... PXAT, PEXPIREAT), GETSET becomes SET,
// GETDEL becomes DEL and INCRBYFLOAT becomes SET with the final value and KEEPTTL.

import {
  ERR_INCR_NAN_OR_INF,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  ERR_WRONG_TYPE,
  errInvalidExpire,
  errWrongArity,
} from "../protocol/errors.ts";
import { NOTIFY } from "../config/mod.ts";
import { incrByFloat } from "../util/long_double.ts";
import { INT64_MAX, INT64_MIN, parseInt64, parseInteger } from "../util/int64.ts";
import {
  appendTo,
  mutableBytes,
  plainString,
  type StringValue,
  toBytes,
  toLatin1,
} from "../store/string.ts";
import { isString, type Value } from "../store/value.ts";
import type { ArgDoc, CommandSpec, KeySpec, Session } from "./context.ts";
import { familySpec, keyAt } from "./table.ts";
import { lookupRead } from "./_lookup.ts";
import { cString } from "../util/latin1.ts";

// Replies only these commands give (the shared ones live in protocol/errors.ts).
const ERR_STRING_TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const ERR_OFFSET_RANGE = "ERR offset is out of range";
const ERR_DECREMENT_OVERFLOW = "ERR decrement would overflow";
const ERR_LCS_NOT_STRINGS = "ERR The specified keys must contain string values";
const ERR_LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX.";
const ERR_LCS_TOO_LONG = "ERR String too long for LCS";
const ERR_LCS_OVER_LIMIT =
  "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
const ERR_LCS_NO_MEMORY = "ERR Insufficient memory, failed allocating transient memory for LCS";

/* ---- Lookups ---- */

// The string at a key (undefined when missing); null after replying WRONGTYPE.
function readString(s: Session, key: string): StringValue | undefined | null {
  const value = lookupRead(s, key);
  if (value === undefined || isString(value)) return value;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}

// Same as readString for commands that write (no hit/miss accounting, as in Redis).
function writeString(s: Session, key: string): StringValue | undefined | null {
  const value = s.db.get(key);
  if (value === undefined || isString(value)) return value;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}

// Redis compares option keywords as C strings: "nx\0junk" reads as NX.
function keyword(arg: string): string {
  return cString(arg).toLowerCase();
}

/* ---- Expiry arguments ---- */

type ExpireUnit = "" | "ex" | "px" | "exat" | "pxat";

// The absolute expiry time in ms for EX/PX/EXAT/PXAT, or the error to reply.
function expireTime(unit: ExpireUnit, text: string, command: string): number | string {
  let n = parseInt64(text);
  if (n === null) return ERR_NOT_INTEGER;
  const seconds = unit === "ex" || unit === "exat";
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) return errInvalidExpire(command);
  if (seconds) n *= 1000n;
  if (unit === "ex" || unit === "px") n += BigInt(Date.now());
  // Redis adds in 64 bits; a sum past the maximum wraps negative and is refused.
  if (n > INT64_MAX) return errInvalidExpire(command);
  return Number(n);
}

function isExpireUnit(option: string): option is ExpireUnit {
  return option === "ex" || option === "px" || option === "exat" || option === "pxat";
}

/* ---- GET, SET and their variants ---- */

/** GET key */
function get(s: Session, argv: string[]): void {
  const value = s.db.get(argv[1]);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", argv[1]);
    s.reply.null();
    return;
  }
  s.server.stats.keyspaceHits++;
  if (isString(value)) s.reply.bulk(value);
  else s.reply.error(ERR_WRONG_TYPE);
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL] */
function set(s: Session, argv: string[]): void {
  const key = argv[1];
  const value = argv[2];
  if (argv.length === 3) {
    s.db.set(key, value);
    s.server.dirty++;
    s.notify(NOTIFY.STRING, "set", key);
    s.reply.ok();
    return;
  }
  let nx = false, xx = false, get = false, keepTtl = false;
  let unit: ExpireUnit = "", expireArg = "";
  for (let i = 3; i < argv.length; i++) {
    const option = keyword(argv[i]);
    const hasNext = i + 1 < argv.length;
    if (option === "nx" && !xx) nx = true;
    else if (option === "xx" && !nx) xx = true;
    else if (option === "get") get = true;
    else if (option === "keepttl" && unit === "") keepTtl = true;
    else if (isExpireUnit(option) && (unit === "" || unit === option) && !keepTtl && hasNext) {
      unit = option;
      expireArg = argv[++i];
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let expireAt = -1;
  if (unit !== "") {
    const at = expireTime(unit, expireArg, "set");
    if (typeof at === "string") {
      s.reply.error(at);
      return;
    }
    expireAt = at;
  }
  let old: Value | undefined;
  if (get) {
    old = lookupRead(s, key);
    if (old !== undefined && !isString(old)) {
      s.reply.error(ERR_WRONG_TYPE);
      return;
    }
  } else if (nx || xx) {
    old = s.db.get(key);
  }
  if ((nx && old !== undefined) || (xx && old === undefined)) {
    if (get && old !== undefined) s.reply.bulk(old as StringValue);
    else s.reply.null();
    return;
  }
  s.db.set(key, value, keepTtl);
  s.notify(NOTIFY.STRING, "set", key);
  let propagated = argv;
  if (expireAt >= 0) {
    s.db.setExpire(key, expireAt);
    s.notify(NOTIFY.GENERIC, "expire", key);
    propagated = ["SET", key, value, "PXAT", String(expireAt)];
  } else if (get) {
    // Redis drops the GET tokens and keeps the rest as sent.
    propagated = argv.filter((arg, i) => i < 3 || keyword(arg) !== "get");
  }
  s.server.dirty++;
  s.propagateAs(propagated);
  if (!get) s.reply.ok();
  else if (old === undefined) s.reply.null();
  else s.reply.bulk(old as StringValue);
}

/** SETNX key value: 1 when set, 0 when the key exists. */
function setnx(s: Session, argv: string[]): void {
  if (s.db.get(argv[1]) !== undefined) {
    s.reply.integer(0);
    return;
  }
  s.db.set(argv[1], argv[2]);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "set", argv[1]);
  s.reply.integer(1);
}

// SETEX key seconds value, PSETEX key milliseconds value.
function setWithTtl(s: Session, argv: string[], unit: "ex" | "px"): void {
  const at = expireTime(unit, argv[2], unit === "ex" ? "setex" : "psetex");
  if (typeof at === "string") {
    s.reply.error(at);
    return;
  }
  const key = argv[1];
  s.db.set(key, argv[3]);
  s.db.setExpire(key, at);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "set", key);
  s.notify(NOTIFY.GENERIC, "expire", key);
  s.propagateAs(["SET", key, argv[3], "PXAT", String(at)]);
  s.reply.ok();
}

/** SETEX key seconds value */
function setex(s: Session, argv: string[]): void {
  setWithTtl(s, argv, "ex");
}

/** PSETEX key milliseconds value */
function psetex(s: Session, argv: string[]): void {
  setWithTtl(s, argv, "px");
}

/** GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST] */
function getex(s: Session, argv: string[]): void {
  const key = argv[1];
  let unit: ExpireUnit = "", expireArg = "", persist = false;
  for (let i = 2; i < argv.length; i++) {
    const option = keyword(argv[i]);
    if (option === "persist" && unit === "") persist = true;
    else if (
      isExpireUnit(option) && (unit === "" || unit === option) && !persist &&
      i + 1 < argv.length
    ) {
      unit = option;
      expireArg = argv[++i];
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  // A missing key answers nil before the time is even looked at.
  const value = readString(s, key);
  if (value === null) return;
  if (value === undefined) {
    s.reply.null();
    return;
  }
  let at = -1;
  if (unit !== "") {
    const parsed = expireTime(unit, expireArg, "getex");
    if (typeof parsed === "string") {
      s.reply.error(parsed);
      return;
    }
    at = parsed;
  }
  s.reply.bulk(value);
  // A time already past deletes the key, except while loading the AOF or on a replica
  // (as EXPIRE: see keys.ts).
  if (
    (unit === "exat" || unit === "pxat") && at <= Date.now() && !s.mustObey &&
    !s.server.replication.isReplica
  ) {
    s.db.delete(key);
    s.server.dirty++;
    s.propagateAs(["DEL", key]);
    s.notify(NOTIFY.GENERIC, "del", key);
  } else if (unit !== "") {
    s.db.setExpire(key, at);
    s.server.dirty++;
    s.propagateAs(["PEXPIREAT", key, String(at)]);
    s.notify(NOTIFY.GENERIC, "expire", key);
  } else if (persist && s.db.persist(key)) {
    s.server.dirty++;
    s.propagateAs(["PERSIST", key]);
    s.notify(NOTIFY.GENERIC, "persist", key);
  }
}

/** GETDEL key */
function getdel(s: Session, argv: string[]): void {
  const key = argv[1];
  const value = readString(s, key);
  if (value === null) return;
  if (value === undefined) {
    s.reply.null();
    return;
  }
  s.reply.bulk(value);
  s.db.delete(key);
  s.server.dirty++;
  s.propagateAs(["DEL", key]);
  s.notify(NOTIFY.GENERIC, "del", key);
}

/** GETSET key value: the old value; the new one replaces it and its TTL. */
function getset(s: Session, argv: string[]): void {
  const key = argv[1];
  const old = readString(s, key);
  if (old === null) return;
  if (old === undefined) s.reply.null();
  else s.reply.bulk(old);
  s.db.set(key, argv[2]);
  s.server.dirty++;
  s.propagateAs(["SET", key, argv[2]]);
  s.notify(NOTIFY.STRING, "set", key);
}

/* ---- Several keys ---- */

/** MGET key [key ...]: nil in place of missing keys and of keys of other types. */
function mget(s: Session, argv: string[]): void {
  s.reply.arrayLen(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const value = lookupRead(s, argv[i]);
    if (value !== undefined && isString(value)) s.reply.bulk(value);
    else s.reply.null();
  }
}

// MSET and MSETNX: stores each pair in turn (a key named twice ends with its last value).
function setPairs(s: Session, argv: string[]): void {
  for (let i = 1; i < argv.length; i += 2) {
    s.db.set(argv[i], argv[i + 1]);
    s.notify(NOTIFY.STRING, "set", argv[i]);
  }
  s.server.dirty += (argv.length - 1) / 2;
}

/** MSET key value [key value ...] */
function mset(s: Session, argv: string[]): void {
  if (argv.length % 2 === 0) {
    s.reply.error(errWrongArity("mset"));
    return;
  }
  setPairs(s, argv);
  s.reply.ok();
}

/** MSETNX key value [key value ...]: sets all (1) or, when any key exists, none (0). */
function msetnx(s: Session, argv: string[]): void {
  if (argv.length % 2 === 0) {
    s.reply.error(errWrongArity("msetnx"));
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    if (s.db.get(argv[i]) !== undefined) {
      s.reply.integer(0);
      return;
    }
  }
  setPairs(s, argv);
  s.reply.integer(1);
}

/* ---- Lengths and ranges ---- */

// Refuses a string that would grow past proto-max-bulk-len (replies; returns false).
function lengthAllowed(s: Session, length: number): boolean {
  if (length <= s.server.config.number("proto-max-bulk-len")) return true;
  s.reply.error(ERR_STRING_TOO_BIG);
  return false;
}

/** APPEND key value: the new length. An existing value is changed in place. */
function append(s: Session, argv: string[]): void {
  const key = argv[1];
  const suffix = argv[2];
  const current = writeString(s, key);
  if (current === null) return;
  let length: number;
  if (current === undefined) {
    s.db.set(key, suffix);
    length = suffix.length;
  } else {
    if (!lengthAllowed(s, current.length + suffix.length)) return;
    length = appendTo(s.db, key, current, suffix);
  }
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "append", key);
  s.reply.integer(length);
}

/** STRLEN key */
function strlen(s: Session, argv: string[]): void {
  const value = readString(s, argv[1]);
  if (value === null) return;
  s.reply.integer(value === undefined ? 0 : value.length);
}

/** GETRANGE key start end (and SUBSTR): inclusive, negative indexes count from the end. */
function getrange(s: Session, argv: string[]): void {
  let start = parseInt64(argv[2]);
  let end = parseInt64(argv[3]);
  if (start === null || end === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const value = readString(s, argv[1]);
  if (value === null) return;
  if (value === undefined || (start < 0n && end < 0n && start > end)) {
    s.reply.bulk("");
    return;
  }
  const length = BigInt(value.length);
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) {
    s.reply.bulk("");
    return;
  }
  const from = Number(start), to = Number(end) + 1;
  s.reply.bulk(typeof value === "string" ? value.slice(from, to) : value.subarray(from, to));
}

/** SETRANGE key offset value: overwrites from offset (zero-padding); the new length. */
function setrange(s: Session, argv: string[]): void {
  const key = argv[1];
  const patch = argv[3];
  const offset = parseInt64(argv[2]);
  if (offset === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (offset < 0n) {
    s.reply.error(ERR_OFFSET_RANGE);
    return;
  }
  const current = writeString(s, key);
  if (current === null) return;
  if (patch.length === 0) {
    // Nothing to write: nothing changes, not even the encoding.
    s.reply.integer(current === undefined ? 0 : current.length);
    return;
  }
  // offset is below 2^63, so the sum as a double is far past the limit when it is large.
  const end = Number(offset) + patch.length;
  if (!lengthAllowed(s, end)) return;
  const start = end - patch.length;
  const bytes = mutableBytes(s.db, key, current, end);
  for (let i = 0; i < patch.length; i++) bytes[start + i] = patch.charCodeAt(i);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "setrange", key);
  s.reply.integer(bytes.length);
}

/* ---- Counters ---- */

// An integer argument or stored value: a number when small, else a bigint; null when
// Redis would not read it as a signed 64-bit integer. Integers of at most 15 characters
// are exact as doubles, and so is the sum of two.
function readInteger(text: string): number | bigint | null {
  return text.length <= 15 ? parseInteger(text) : parseInt64(text);
}

// The integer a stored string holds, or null when it does not hold one.
function storedInteger(value: StringValue): number | bigint | null {
  if (typeof value === "string") return readInteger(value);
  return value.length > 20 ? null : readInteger(toLatin1(value));
}

// INCR, DECR, INCRBY, DECRBY: adds `increment` to the integer at `key` (0 when missing).
function incrementBy(s: Session, argv: string[], increment: number | bigint): void {
  const key = argv[1];
  const current = writeString(s, key);
  if (current === null) return;
  const base = current === undefined ? 0 : storedInteger(current);
  if (base === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  let result: number | bigint;
  if (typeof base === "number" && typeof increment === "number") {
    result = base + increment;
  } else {
    const a = BigInt(base), b = BigInt(increment);
    if ((b < 0n && a < 0n && b < INT64_MIN - a) || (b > 0n && a > 0n && b > INT64_MAX - a)) {
      s.reply.error(ERR_OVERFLOW);
      return;
    }
    result = a + b;
  }
  s.db.set(key, String(result), true);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "incrby", key);
  s.reply.integer(result);
}

/** INCR key */
function incr(s: Session, argv: string[]): void {
  incrementBy(s, argv, 1);
}

/** DECR key */
function decr(s: Session, argv: string[]): void {
  incrementBy(s, argv, -1);
}

/** INCRBY key increment */
function incrby(s: Session, argv: string[]): void {
  const increment = readInteger(argv[2]);
  if (increment === null) s.reply.error(ERR_NOT_INTEGER);
  else incrementBy(s, argv, increment);
}

/** DECRBY key decrement */
function decrby(s: Session, argv: string[]): void {
  const decrement = readInteger(argv[2]);
  if (decrement === null) s.reply.error(ERR_NOT_INTEGER);
  else if (decrement === INT64_MIN) s.reply.error(ERR_DECREMENT_OVERFLOW);
  else incrementBy(s, argv, -decrement);
}

/** INCRBYFLOAT key increment: long double arithmetic; propagated as SET ... KEEPTTL. */
function incrbyfloat(s: Session, argv: string[]): void {
  const key = argv[1];
  const current = writeString(s, key);
  if (current === null) return;
  const result = incrByFloat(current ?? null, argv[2]);
  if ("reason" in result) {
    // Redis words an unreadable value and an unreadable increment alike.
    s.reply.error(result.reason === "nan-or-infinity" ? ERR_INCR_NAN_OR_INF : ERR_NOT_FLOAT);
    return;
  }
  // Redis stores the sum without trying the int encoding: `3` is an embstr here.
  s.db.set(key, plainString(result.value), true);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "incrbyfloat", key);
  s.propagateAs(["SET", key, result.value, "KEEPTTL"]);
  s.reply.bulk(result.value);
}

/* ---- LCS ---- */

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
function lcs(s: Session, argv: string[]): void {
  const first = lookupRead(s, argv[1]);
  const second = lookupRead(s, argv[2]);
  if ((first !== undefined && !isString(first)) || (second !== undefined && !isString(second))) {
    s.reply.error(ERR_LCS_NOT_STRINGS);
    return;
  }
  let wantLen = false, wantIdx = false, withMatchLen = false, minMatchLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = keyword(argv[i]);
    if (option === "idx") wantIdx = true;
    else if (option === "len") wantLen = true;
    else if (option === "withmatchlen") withMatchLen = true;
    else if (option === "minmatchlen" && i + 1 < argv.length) {
      const n = parseInt64(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      minMatchLen = n < 0n ? 0 : Number(n);
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (wantIdx && wantLen) {
    s.reply.error(ERR_LCS_LEN_AND_IDX);
    return;
  }
  const a = bytesOf(first), b = bytesOf(second);
  if (a.length >= 0xfffffffe || b.length >= 0xfffffffe) {
    s.reply.error(ERR_LCS_TOO_LONG);
    return;
  }
  const width = b.length + 1;
  const cells = (a.length + 1) * width;
  if (cells * 4 > s.server.config.number("proto-max-bulk-len")) {
    s.reply.error(ERR_LCS_OVER_LIMIT);
    return;
  }
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    s.reply.error(ERR_LCS_NO_MEMORY);
    return;
  }
  // table[i * width + j]: length of the LCS of a[0..i) and b[0..j).
  for (let i = 1; i <= a.length; i++) {
    const row = i * width, above = row - width, ai = a[i - 1];
    for (let j = 1; j < width; j++) {
      if (ai === b[j - 1]) table[row + j] = table[above + j - 1] + 1;
      else {
        const up = table[above + j], left = table[row + j - 1];
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const total = table[a.length * width + b.length];
  if (wantLen) {
    s.reply.integer(total);
    return;
  }
  const { text, ranges } = walkBack(a, b, table, total);
  if (!wantIdx) {
    s.reply.bulk(text);
    return;
  }
  const kept = minMatchLen === 0 ? ranges : ranges.filter((r) => r[1] - r[0] + 1 >= minMatchLen);
  s.reply.mapLen(2);
  s.reply.bulk("matches");
  s.reply.arrayLen(kept.length);
  for (const [aStart, aEnd, bStart, bEnd] of kept) {
    s.reply.arrayLen(withMatchLen ? 3 : 2);
    s.reply.arrayLen(2);
    s.reply.integer(aStart);
    s.reply.integer(aEnd);
    s.reply.arrayLen(2);
    s.reply.integer(bStart);
    s.reply.integer(bEnd);
    if (withMatchLen) s.reply.integer(aEnd - aStart + 1);
  }
  s.reply.bulk("len");
  s.reply.integer(total);
}

function bytesOf(value: StringValue | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  return typeof value === "string" ? toBytes(value) : value;
}

/**
 * Walks the LCS table back from the end: the common subsequence, and its runs of
 * consecutive matches as [aStart, aEnd, bStart, bEnd], last run first (Redis's order).
 * On a tie the walk moves along b first, as Redis does, so the runs are the same.
 */
function walkBack(
  a: Uint8Array,
  b: Uint8Array,
  table: Uint32Array,
  total: number,
): { text: Uint8Array; ranges: [number, number, number, number][] } {
  const width = b.length + 1;
  const text = new Uint8Array(total);
  const ranges: [number, number, number, number][] = [];
  let fill = total;
  let i = a.length, j = b.length;
  let open = false, aStart = 0, aEnd = 0, bStart = 0, bEnd = 0;
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      text[--fill] = a[i - 1];
      if (!open) {
        open = true;
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else {
        // After a match the walk steps diagonally, so the run always extends.
        aStart--;
        bStart--;
      }
      i--;
      j--;
      if (aStart === 0 || bStart === 0) {
        ranges.push([aStart, aEnd, bStart, bEnd]);
        open = false;
      }
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (open) {
        ranges.push([aStart, aEnd, bStart, bEnd]);
        open = false;
      }
    }
  }
  return { text, ranges };
}

/* ---- The command table ---- */

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
const VALUE: ArgDoc = { name: "value", type: "string" };
const KEY_VALUE_PAIRS: ArgDoc = {
  name: "key_value",
  type: "block",
  multiple: true,
  arguments: [KEY, VALUE],
};
const RANGE_ARGS: ArgDoc[] = [
  KEY,
  { name: "start", type: "integer" },
  { name: "end", type: "integer" },
];

// SET only overwrites its key, unless GET (anywhere after the value) also reads it.
const SET_KEY: KeySpec[] = [{
  ...keyAt(1, ["RW", "access", "update", "variable_flags"]),
  flagsOf: (argv) => {
    for (let i = 3; i < argv.length; i++) {
      if (argv[i].toLowerCase() === "get") return ["RW", "access", "update"];
    }
    return ["OW", "update"];
  },
}];

// Most string commands act on one key at position 1.
const oneKey = familySpec("string", ["string"]);

/** The string commands. */
export const stringCommands: CommandSpec[] = [
  oneKey({
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "Answers the string stored at a key, or nil.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: get,
  }),
  oneKey({
    name: "set",
    arity: -3,
    flags: ["write", "denyoom"],
    // Not fast in Redis, where the value it replaces is freed at once; here dropping
    // it takes constant time (the collector frees it later), so every call is.
    timedWhenSlow: true,
    keySpecs: SET_KEY,
    summary: "Stores a string at a key, with optional conditions and time to live.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [
      KEY,
      VALUE,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "get", type: "pure-token", token: "GET", optional: true },
      {
        name: "expiration",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "seconds", type: "integer", token: "EX" },
          { name: "milliseconds", type: "integer", token: "PX" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
          { name: "keepttl", type: "pure-token", token: "KEEPTTL" },
        ],
      },
    ],
    handler: set,
  }),
  oneKey({
    name: "setnx",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["OW", "insert"])],
    summary: "Stores a string only when the key does not exist yet; answers 1 or 0.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, VALUE],
    handler: setnx,
  }),
  oneKey({
    name: "setex",
    arity: 4,
    flags: ["write", "denyoom"],
    // Constant work, as SET's.
    timedWhenSlow: true,
    keySpecs: [keyAt(1, ["OW", "update"])],
    summary: "Stores a string with a time to live in seconds.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "seconds", type: "integer" }, VALUE],
    handler: setex,
  }),
  oneKey({
    name: "psetex",
    arity: 4,
    flags: ["write", "denyoom"],
    // Constant work, as SET's.
    timedWhenSlow: true,
    keySpecs: [keyAt(1, ["OW", "update"])],
    summary: "Stores a string with a time to live in milliseconds.",
    since: "2.6.0",
    complexity: "O(1)",
    args: [KEY, { name: "milliseconds", type: "integer" }, VALUE],
    handler: psetex,
  }),
  oneKey({
    name: "getex",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Answers the string at a key and optionally changes or removes its time to live.",
    since: "6.2.0",
    complexity: "O(1)",
    args: [
      KEY,
      {
        name: "expiration",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "seconds", type: "integer", token: "EX" },
          { name: "milliseconds", type: "integer", token: "PX" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
          { name: "persist", type: "pure-token", token: "PERSIST" },
        ],
      },
    ],
    handler: getex,
  }),
  oneKey({
    name: "getdel",
    arity: 2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "delete"])],
    summary: "Answers the string at a key and removes the key.",
    since: "6.2.0",
    complexity: "O(1)",
    args: [KEY],
    handler: getdel,
  }),
  oneKey({
    name: "getset",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Stores a string and answers the one it replaced (older form of SET ... GET).",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, VALUE],
    handler: getset,
  }),
  {
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["string"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "string",
    summary: "Answers the strings at several keys, nil for missing keys and other types.",
    since: "1.0.0",
    complexity: "O(N) for N keys",
    tips: ["request_policy:multi_shard"],
    args: [{ ...KEY, multiple: true }],
    handler: mget,
  },
  {
    name: "mset",
    arity: -3,
    flags: ["write", "denyoom"],
    // Constant work per key, as MGET's, which Redis flags fast.
    timedWhenSlow: true,
    tips: ["request_policy:multi_shard", "response_policy:all_succeeded"],
    keySpecs: [keyAt(1, ["OW", "update"], -1, 2)],
    categories: ["string"],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    group: "string",
    summary: "Stores several strings at once.",
    since: "1.0.1",
    complexity: "O(N) for N keys",
    args: [KEY_VALUE_PAIRS],
    handler: mset,
  },
  {
    name: "msetnx",
    arity: -3,
    flags: ["write", "denyoom"],
    // Constant work per key, as MGET's, which Redis flags fast.
    timedWhenSlow: true,
    tips: ["request_policy:multi_shard", "response_policy:agg_min"],
    keySpecs: [keyAt(1, ["OW", "insert"], -1, 2)],
    categories: ["string"],
    firstKey: 1,
    lastKey: -1,
    step: 2,
    group: "string",
    summary: "Stores several strings only when none of the keys exists; answers 1 or 0.",
    since: "1.0.1",
    complexity: "O(N) for N keys",
    args: [KEY_VALUE_PAIRS],
    handler: msetnx,
  },
  oneKey({
    name: "append",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "insert"])],
    summary: "Adds bytes to the end of a string (creating it when missing); answers the length.",
    since: "2.0.0",
    complexity: "O(1) amortized for a short suffix",
    args: [KEY, VALUE],
    handler: append,
  }),
  oneKey({
    name: "strlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    summary: "Answers the length in bytes of the string at a key (0 when missing).",
    since: "2.2.0",
    complexity: "O(1)",
    args: [KEY],
    handler: strlen,
  }),
  oneKey({
    name: "getrange",
    arity: 4,
    flags: ["readonly"],
    summary: "Answers the bytes of a string between two inclusive offsets.",
    since: "2.4.0",
    complexity: "O(N) for N bytes returned",
    args: RANGE_ARGS,
    handler: getrange,
  }),
  oneKey({
    name: "substr",
    arity: 4,
    flags: ["readonly"],
    summary: "Old name of GETRANGE.",
    since: "1.0.0",
    complexity: "O(N) for N bytes returned",
    args: RANGE_ARGS,
    handler: getrange,
  }),
  oneKey({
    name: "setrange",
    arity: 4,
    flags: ["write", "denyoom"],
    summary: "Overwrites a string from an offset, padding with zero bytes; answers the length.",
    since: "2.2.0",
    complexity: "O(M) for M bytes written (plus padding)",
    args: [KEY, { name: "offset", type: "integer" }, VALUE],
    handler: setrange,
  }),
  oneKey({
    name: "incr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Adds one to the integer stored at a key.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: incr,
  }),
  oneKey({
    name: "decr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Subtracts one from the integer stored at a key.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: decr,
  }),
  oneKey({
    name: "incrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Adds an integer to the integer stored at a key.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "increment", type: "integer" }],
    handler: incrby,
  }),
  oneKey({
    name: "decrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Subtracts an integer from the integer stored at a key.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "decrement", type: "integer" }],
    handler: decrby,
  }),
  oneKey({
    name: "incrbyfloat",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Adds a floating-point number to the number stored at a key.",
    since: "2.6.0",
    complexity: "O(1)",
    args: [KEY, { name: "increment", type: "double" }],
    handler: incrbyfloat,
  }),
  {
    name: "lcs",
    arity: -3,
    flags: ["readonly"],
    categories: ["string"],
    firstKey: 1,
    lastKey: 2,
    step: 1,
    group: "string",
    summary: "Finds the longest common subsequence of two strings, its length or its matches.",
    since: "7.0.0",
    complexity: "O(N*M) for strings of lengths N and M",
    args: [
      { name: "key1", type: "key", keySpecIndex: 0 },
      { name: "key2", type: "key", keySpecIndex: 0 },
      { name: "len", type: "pure-token", token: "LEN", optional: true },
      { name: "idx", type: "pure-token", token: "IDX", optional: true },
      { name: "len", type: "integer", token: "MINMATCHLEN", optional: true },
      { name: "withmatchlen", type: "pure-token", token: "WITHMATCHLEN", optional: true },
    ],
    handler: lcs,
  },
];
