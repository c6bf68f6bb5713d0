// SORT and SORT_RO: sort (or just walk) the elements of a list, set or sorted set,
// optionally by the values of other keys (BY), answering them or other keys' values
// (GET), or storing the result as a list (STORE, SORT only).
//
// What Redis 7.0 does, as observed:
// - The options are parsed first (so `SORT stringkey FOO` is a syntax error), then the
//   source is read (a missing key is an empty list; a string, a hash ... WRONGTYPE).
// - A BY pattern without `*` means "don't sort": lists and sorted sets keep their own
//   order (DESC walks them backwards, LIMIT picks the range directly); sets keep the
//   table's order, except with STORE or inside a script, where they are sorted ALPHA
//   (byte order) so that replicas and the AOF get the same result.
// - Numeric sorting reads each value with strtod and answers "One or more scores can't
//   be converted into double" (after sorting) if any is not a whole number, is NaN or
//   out of range; a missing BY key counts as 0, ties are broken by the elements' bytes.
//   ALPHA compares bytes with STORE and strcoll (C strings, so up to a NUL) without;
//   a missing BY key sorts first, and elements whose BY values tie keep their place in a
//   full sort (glibc's qsort is a stable merge sort) but not in a partial one: with BY
//   and a LIMIT that does not cover everything Redis runs its own partial quicksort,
//   which util/partial_sort.ts emulates so ties come out in the same order.
// - A sorted set source is converted to the skiplist encoding, even by SORT_RO.
// - Every key read (the source, BY and GET keys) counts as a keyspace hit or miss and
//   fires `keymiss`, with or without STORE.
// - STORE writes a list (dropping any TTL) and fires `sortstore`, or deletes the
//   destination (`del`) when the result is empty; it answers the number of elements.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONG_TYPE } from "../protocol/errors.ts";
import type { Bytes } from "../protocol/reply_writer.ts";
import { HashValue } from "../store/hash.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { toLatin1 } from "../store/string.ts";
import { SortedSetValue } from "../store/zset.ts";
import type { Value } from "../store/value.ts";
import { parseInteger } from "../util/int64.ts";
import { partialSort } from "../util/partial_sort.ts";
import { strtod } from "./_zset_args.ts";
import type { ArgDoc, CommandSpec, KeySpec, Session } from "./context.ts";
import { familySpec, keyAt, tokenChoice } from "./table.ts";
import { cString } from "../util/latin1.ts";

const ERR_NOT_DOUBLE = "ERR One or more scores can't be converted into double";

/** SORT's options, as parsed. */
interface SortOptions {
  /** The BY pattern (null: sort by the elements themselves). */
  by: string | null;
  /** BY without `*`: keep the source's own order. */
  dontSort: boolean;
  desc: boolean;
  alpha: boolean;
  /** LIMIT offset and count (0 and -1 without LIMIT); clamped to ±2^53. */
  offset: number;
  count: number;
  /** GET patterns, in order. */
  gets: string[];
  /** STORE destination, or null. */
  store: string | null;
}

/** One element being sorted: its bytes, its numeric score, its ALPHA key from BY. */
interface Item {
  value: string;
  score: number;
  /** The BY value for ALPHA sorting (null when the BY key is missing). */
  by: string | null;
}

// strcasecmp stops at a NUL byte: "STORE\0x" is STORE.
function keyword(arg: string): string {
  return cString(arg).toLowerCase();
}

/** Parses argv[2..]; null after replying with the error. */
function parseOptions(s: Session, argv: string[], readOnly: boolean): SortOptions | null {
  const o: SortOptions = {
    by: null,
    dontSort: false,
    desc: false,
    alpha: false,
    offset: 0,
    count: -1,
    gets: [],
    store: null,
  };
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const word = keyword(argv[j]);
    if (word === "asc") o.desc = false;
    else if (word === "desc") o.desc = true;
    else if (word === "alpha") o.alpha = true;
    else if (word === "limit" && left >= 2) {
      const offset = parseInteger(argv[j + 1]);
      const count = offset === null ? null : parseInteger(argv[j + 2]);
      if (offset === null || count === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      o.offset = offset;
      o.count = count;
      j += 2;
    } else if (word === "store" && left >= 1 && !readOnly) {
      o.store = argv[++j];
    } else if (word === "by" && left >= 1) {
      o.by = argv[++j];
      // strchr: a `*` after a NUL byte is not seen.
      o.dontSort = !cString(o.by).includes("*");
      // A BY pattern reads keys no ACL check has seen: only for users who may read any.
      if (!o.dontSort && !s.user.mayReadAnyKey()) {
        s.reply.error("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return null;
      }
    } else if (word === "get" && left >= 1) {
      if (!s.user.mayReadAnyKey()) {
        s.reply.error("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return null;
      }
      o.gets.push(argv[++j]);
    } else {
      s.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return o;
}

/** A key read: counted as a keyspace hit or miss, firing `keymiss` when missing. */
function readKey(s: Session, key: string): Value | undefined {
  const value = s.db.get(key);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", key);
  } else {
    s.server.stats.keyspaceHits++;
  }
  return value;
}

/**
 * The value a BY or GET pattern names for one element, or null: `#` is the element
 * itself; otherwise the first `*` is replaced by the element, and the key read must be
 * a string, or a hash when the pattern ends in `->field` (after the `*`; a bare `->`
 * at the end is part of the key name). A pattern without `*` names nothing.
 */
function lookupByPattern(s: Session, pattern: string, element: string): Bytes | null {
  const c = cString(pattern);
  if (c === "#") return element;
  const star = c.indexOf("*");
  if (star < 0) return null;
  const arrow = c.indexOf("->", star + 1);
  let key: string;
  let field: string | null = null;
  if (arrow >= 0 && arrow + 2 < c.length) {
    key = pattern.slice(0, star) + element + pattern.slice(star + 1, arrow);
    field = pattern.slice(arrow + 2);
  } else {
    key = pattern.slice(0, star) + element + pattern.slice(star + 1);
  }
  const value = readKey(s, key);
  if (value === undefined) return null;
  if (field !== null) return value instanceof HashValue ? value.get(field) ?? null : null;
  return typeof value === "string" || value instanceof Uint8Array ? value : null;
}

function asString(value: Bytes): string {
  return typeof value === "string" ? value : toLatin1(value);
}

// ---------------------------------------------------------------------------------
// Numbers: strtod as Redis calls it, erring on trailing text (up to a NUL), NaN and
// ERANGE, which glibc also raises for a result below DBL_MIN that is inexact (tininess
// detected after rounding to 53 bits with an unbounded exponent).

const DBL_MIN = 2.2250738585072014e-308;
const TINY_LIMIT = (1n << 54n) - 1n; // (2^54 - 1) * 2^-1076: halfway below DBL_MIN

/** Plain decimal text, which Number() reads exactly as strtod does (when in range). */
const PLAIN_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The score of a value for numeric sorting, or null when Redis refuses it. */
function sortScore(text: string): number | null {
  // Integers of up to 15 digits (the usual elements) are exact doubles.
  const length = text.length;
  if (length !== 0 && length <= 15) {
    const negative = text.charCodeAt(0) === 45;
    let i = negative ? 1 : 0;
    let n = 0;
    for (; i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === length && length > (negative ? 1 : 0)) return negative ? -n : n;
  }
  if (PLAIN_DECIMAL.test(text)) {
    const value = Number(text);
    if (Math.abs(value) > DBL_MIN && value !== Infinity && value !== -Infinity) return value;
  }
  const c = cString(text);
  const r = strtod(c);
  if (r.end !== c.length || Number.isNaN(r.value) || r.overflow || r.underflow) return null;
  const abs = Math.abs(r.value);
  if (abs !== 0 && abs <= DBL_MIN && tinyAndInexact(c, abs)) return null;
  return r.value;
}

/** The exact value a well-formed strtod text stands for: n * base^exp, sign dropped. */
function exactValue(text: string): { n: bigint; exp: number; base: 2 | 10 } {
  let i = 0;
  while (/[ \t-\r]/.test(text[i] ?? "")) i++;
  if (text[i] === "+" || text[i] === "-") i++;
  const hex = text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X");
  if (hex) i += 2;
  const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
  let digits = "";
  let exp = 0;
  while (digit.test(text[i] ?? "")) digits += text[i++];
  if (text[i] === ".") {
    i++;
    while (digit.test(text[i] ?? "")) {
      digits += text[i++];
      exp -= hex ? 4 : 1;
    }
  }
  const mark = text[i]?.toLowerCase();
  if (mark === (hex ? "p" : "e")) exp += Number(text.slice(i + 1));
  return { n: BigInt((hex ? "0x" : "") + (digits || "0")), exp, base: hex ? 2 : 10 };
}

// n * 2^shift < m (shift of either sign), in integers.
function lessShifted(n: bigint, shift: number, m: bigint): boolean {
  return shift >= 0 ? n << BigInt(shift) < m : n < m << BigInt(-shift);
}

function tinyAndInexact(text: string, abs: number): boolean {
  const f = BigInt(abs * 2 ** 1000 * 2 ** 74); // the result in units of 2^-1074
  const { n, exp, base } = exactValue(text);
  if (base === 2) {
    const tiny = lessShifted(n, exp + 1076, TINY_LIMIT);
    const t = exp + 1074;
    const exact = t >= 0 ? n << BigInt(t) === f : n === f << BigInt(-t);
    return tiny && !exact;
  }
  if (exp >= 0) return false;
  const pow = 10n ** BigInt(-exp);
  return (n << 1076n) < TINY_LIMIT * pow && (n << 1074n) !== f * pow;
}

// ---------------------------------------------------------------------------------
// Comparisons and the two sorts

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C locale: byte order of the C strings (up to the first NUL). */
function collate(a: string, b: string): number {
  if (a.includes("\0")) a = cString(a);
  if (b.includes("\0")) b = cString(b);
  return compareBytes(a, b);
}

function comparator(o: SortOptions, byPattern: boolean): (a: Item, b: Item) => number {
  const strings = o.store !== null ? compareBytes : collate;
  let cmp: (a: Item, b: Item) => number;
  if (!o.alpha) {
    cmp = (a, b) => a.score > b.score ? 1 : a.score < b.score ? -1 : compareBytes(a.value, b.value);
  } else if (byPattern) {
    cmp = (a, b) => {
      if (a.by === null || b.by === null) return a.by === b.by ? 0 : a.by === null ? -1 : 1;
      return strings(a.by, b.by);
    };
  } else {
    cmp = (a, b) => strings(a.value, b.value);
  }
  return o.desc ? (a, b) => -cmp(a, b) : cmp;
}

// Scores and index buffers for `sortByOwnScores`, reused while elements are few.
const REUSE_MAX = 4096;
let SCORES = new Float64Array(128);
let ORDER = new Int32Array(128);
let SPARE = new Int32Array(128);

/**
 * Sorts elements in place by their own numeric values, ties by their bytes (SORT
 * without BY or ALPHA); false when one is not a number. That order is total (equal
 * elements are equal strings), so any correct sort gives Redis's result, and DESC is
 * its reverse: a merge sort of indexes, which avoids an object per element and a
 * comparator call per comparison.
 */
function sortByOwnScores(values: string[], desc: boolean): boolean {
  const n = values.length;
  if (SCORES.length < n) {
    const size = Math.max(n, SCORES.length * 2);
    SCORES = new Float64Array(size);
    ORDER = new Int32Array(size);
    SPARE = new Int32Array(size);
  }
  const scores = SCORES;
  let bad = false;
  for (let i = 0; i < n; i++) {
    const score = sortScore(values[i]);
    if (score === null) bad = true;
    else scores[i] = score;
  }
  if (bad) return false;
  let order = ORDER, spare = SPARE;
  for (let i = 0; i < n; i++) order[i] = i;
  const less = (a: number, b: number) =>
    scores[a] < scores[b] || (scores[a] === scores[b] && values[a] < values[b]);
  // Runs of 16 by insertion, then merged bottom-up, back and forth between the buffers.
  const RUN = 16;
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const x = order[i];
      let j = i - 1;
      while (j >= lo && less(x, order[j])) {
        order[j + 1] = order[j];
        j--;
      }
      order[j + 1] = x;
    }
  }
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n), hi = Math.min(lo + 2 * width, n);
      let i = lo, j = mid, k = lo;
      while (i < mid && j < hi) spare[k++] = less(order[j], order[i]) ? order[j++] : order[i++];
      while (i < mid) spare[k++] = order[i++];
      while (j < hi) spare[k++] = order[j++];
    }
    const t = order;
    order = spare;
    spare = t;
  }
  const sorted = values.slice();
  for (let i = 0; i < n; i++) values[i] = sorted[order[desc ? n - 1 - i : i]];
  if (n > REUSE_MAX) {
    SCORES = new Float64Array(128);
    ORDER = new Int32Array(128);
    SPARE = new Int32Array(128);
  }
  return true;
}

// ---------------------------------------------------------------------------------
// The command

function sortGeneric(s: Session, argv: string[], readOnly: boolean): void {
  const o = parseOptions(s, argv, readOnly);
  if (o === null) return;
  const source = readKey(s, argv[1]) ?? new ListValue();
  if (
    !(source instanceof ListValue || source instanceof SetValue ||
      source instanceof SortedSetValue)
  ) {
    s.reply.error(ERR_WRONG_TYPE);
    return;
  }
  let sortBy = o.by;
  // An unsorted set would come out in table order: sorted for replicas and scripts.
  if (o.dontSort && source instanceof SetValue && (o.store !== null || s.inScript)) {
    o.dontSort = false;
    o.alpha = true;
    sortBy = null;
  }
  if (source instanceof SortedSetValue && source.encoding !== "skiplist") {
    const skiplist = { maxListpackEntries: 0, maxListpackValue: 0 };
    s.db.set(argv[1], SortedSetValue.fromEntries(source.entries(), skiplist), true);
  }

  const length = source instanceof ListValue ? source.length : source.size;
  let start = o.offset < 0 ? 0 : o.offset;
  let end = o.count < 0 ? length - 1 : Math.min(start + o.count - 1, length - 1);
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  const values = loadValues(source, o, start, end);
  if (o.dontSort && !(source instanceof SetValue)) {
    end -= start; // loadValues picked the range already
    start = 0;
  }
  if (!o.dontSort && sortBy === null && !o.alpha) {
    // By the elements' own numeric values (the common SORT): no per-element objects.
    if (!sortByOwnScores(values, o.desc)) {
      s.reply.error(ERR_NOT_DOUBLE);
      return;
    }
  } else if (!o.dontSort) {
    const items: Item[] = values.map((value) => ({ value, score: 0, by: null }));
    let bad = false;
    for (const item of items) {
      let by: string;
      if (sortBy !== null) {
        const found = lookupByPattern(s, sortBy, item.value);
        if (found === null) continue;
        by = asString(found);
      } else {
        by = item.value;
      }
      if (o.alpha) {
        if (sortBy !== null) item.by = by;
      } else {
        const score = sortScore(by);
        if (score === null) bad = true;
        else item.score = score;
      }
    }
    if (bad) {
      s.reply.error(ERR_NOT_DOUBLE);
      return;
    }
    const cmp = comparator(o, sortBy !== null);
    if (sortBy !== null && (start !== 0 || end !== items.length - 1)) {
      partialSort(items, cmp, start, end);
    } else {
      items.sort(cmp);
    }
    for (let i = 0; i < items.length; i++) values[i] = items[i].value;
  }

  const outputLength = (o.gets.length || 1) * Math.max(0, end - start + 1);
  if (o.store === null) {
    s.reply.arrayLen(outputLength);
    for (let j = start; j <= end; j++) {
      if (o.gets.length === 0) s.reply.bulk(values[j]);
      for (const pattern of o.gets) {
        const value = lookupByPattern(s, pattern, values[j]);
        if (value === null) s.reply.null();
        else s.reply.bulk(value);
      }
    }
    return;
  }
  const result = new ListValue();
  for (let j = start; j <= end; j++) {
    if (o.gets.length === 0) result.pushTail(values[j]);
    for (const pattern of o.gets) {
      const value = lookupByPattern(s, pattern, values[j]);
      result.pushTail(value === null ? "" : asString(value));
    }
  }
  store(s, o.store, result, outputLength);
}

/**
 * The elements to sort, in the source's order. Without sorting, a list or sorted set
 * gives just the range start..end, walked backwards for DESC.
 */
function loadValues(
  source: ListValue | SetValue | SortedSetValue,
  o: SortOptions,
  start: number,
  end: number,
): string[] {
  if (source instanceof SetValue) return source.toArray();
  if (!o.dontSort) {
    if (source instanceof ListValue) return source.toArray();
    return Array.from(source.entries(), ([member]) => member);
  }
  const length = source instanceof ListValue ? source.length : source.size;
  const count = Math.max(0, end - start + 1);
  const out: string[] = [];
  if (count === 0) return out;
  const first = o.desc ? length - 1 - start : start;
  if (source instanceof ListValue) {
    for (let i = first; out.length < count && i >= 0 && i < length; i += o.desc ? -1 : 1) {
      out.push(source.at(i));
    }
  } else {
    source.walk(first, o.desc, (member) => {
      out.push(member);
      return out.length < count;
    });
  }
  return out;
}

/** STORE: the result as a list at `key`, or `key` deleted when the result is empty. */
function store(s: Session, key: string, result: ListValue, outputLength: number): void {
  if (outputLength > 0) {
    s.db.set(key, result);
    s.keyChanged(key);
    s.notify(NOTIFY.LIST, "sortstore", key);
    s.server.dirty += outputLength;
  } else if (s.db.delete(key)) {
    s.keyChanged(key);
    s.notify(NOTIFY.GENERIC, "del", key);
    s.server.dirty++;
  }
  s.reply.integer(outputLength);
}

// ---------------------------------------------------------------------------------
// The command table

// Redis's key specs say little: the source, keys named by BY/GET and the STORE
// destination; the last two can't be located from the arguments alone ("unknown").
const BY_GET_KEYS: KeySpec = {
  notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names " +
    "derive from the content of the key we sort",
  flags: ["RO", "access"],
  begin: { unknown: true },
  find: { unknown: true },
};
const STORE_KEY: KeySpec = {
  notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can " +
    "appear anywhere in the argument array",
  flags: ["OW", "update"],
  begin: { unknown: true },
  find: { unknown: true },
};

/**
 * SORT's keys as Redis extracts them: the source, and the argument after the last
 * STORE that has one, skipping the arguments of LIMIT (2), BY and GET (1) but not
 * STORE's own, so `STORE STORE x` names x.
 */
function sortKeys(argv: readonly string[]): { index: number; flags: readonly string[] }[] {
  const keys = [{ index: 1, flags: ["RO", "access"] }];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const word = keyword(argv[i]);
    if (word === "limit") i += 2;
    else if (word === "get" || word === "by") i++;
    else if (word === "store" && i + 1 < argv.length) store = i + 1;
  }
  if (store > 0) keys.push({ index: store, flags: ["OW", "update"] });
  return keys;
}

function sortArgs(withStore: boolean): ArgDoc[] {
  const args: ArgDoc[] = [
    { name: "key", type: "key", keySpecIndex: 0 },
    { name: "pattern", type: "pattern", keySpecIndex: 1, token: "BY", optional: true },
    {
      name: "offset_count",
      type: "block",
      token: "LIMIT",
      optional: true,
      arguments: [{ name: "offset", type: "integer" }, { name: "count", type: "integer" }],
    },
    {
      name: "pattern",
      type: "pattern",
      keySpecIndex: 1,
      token: "GET",
      optional: true,
      multiple: true,
      multipleToken: true,
    },
    tokenChoice("order", ["ASC", "DESC"], { optional: true }),
    { name: "sorting", type: "pure-token", token: "ALPHA", optional: true },
  ];
  if (withStore) {
    args.push({
      name: "destination",
      type: "key",
      keySpecIndex: 2,
      token: "STORE",
      optional: true,
    });
  }
  return args;
}

const COMPLEXITY = "O(N+M*log(M)) for N elements in the source and M elements answered; " +
  "O(N) without sorting";

const spec = familySpec("generic", ["set", "sortedset", "list", "dangerous"]);

/** SORT and SORT_RO. */
export const sortCommands: CommandSpec[] = [
  spec({
    name: "sort",
    arity: -2,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["RO", "access"]), BY_GET_KEYS, STORE_KEY],
    getKeys: sortKeys,
    summary: "Sorts a list, set or sorted set, or looks up keys named after its elements.",
    since: "1.0.0",
    complexity: COMPLEXITY,
    args: sortArgs(true),
    handler: (s, argv) => sortGeneric(s, argv, false),
  }),
  spec({
    name: "sort_ro",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"]), BY_GET_KEYS],
    getKeys: () => [{ index: 1, flags: ["RO", "access"] }],
    summary: "SORT without STORE, for read-only contexts.",
    since: "7.0.0",
    complexity: COMPLEXITY,
    args: sortArgs(false),
    handler: (s, argv) => sortGeneric(s, argv, true),
  }),
];
