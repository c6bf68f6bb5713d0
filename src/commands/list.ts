// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET,
// LREM, LTRIM, LINSERT, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP,
// BLMOVE, BRPOPLPUSH, BLMPOP.
//
// Each handler checks its arguments and the key's type in the order Redis 7.0 does,
// since that order decides which error a client sees first. Lists left empty are
// deleted. Writes propagate in Redis's deterministic forms: the blocking commands as
// the plain pop or move they performed (BLPOP → LPOP key, BLMOVE → LMOVE, BRPOPLPUSH →
// RPOPLPUSH), LMPOP and BLMPOP as `LPOP|RPOP key count` with the count actually popped.
//
// Blocking: with nothing to serve, a blocking handler calls `s.block` and replies
// nothing; the server runs the same argv again whenever one of the keys is written.
// Redis 7.0 only wakes such a client when one of its keys becomes a list, so a run
// again that meets a key of another type keeps waiting instead of answering WRONGTYPE
// (`rerun` tells the two runs apart by the identity of their argv).

import { NOTIFY } from "../config/mod.ts";
import {
  ERR_INDEX_OUT_OF_RANGE,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONG_TYPE,
  errWrongArity,
} from "../protocol/errors.ts";
import { ListValue } from "../store/list.ts";
import { readTyped, writeTyped } from "./_lookup.ts";
import type { ArgDoc, CommandSpec, KeySpec, Session } from "./context.ts";
import { familySpec, tokenChoice } from "./table.ts";
import { isWord } from "./_parse.ts";
import { timeoutOrReply } from "./_timeout.ts";
import { INT64_MIN, parseInt64, parseInteger } from "../util/int64.ts";

const ERR_MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
const ERR_NUMKEYS = "ERR numkeys should be greater than 0";
const ERR_COUNT_POSITIVE = "ERR count should be greater than 0";
const ERR_LPOS_RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, " +
  "2 from the second ... or use negative to start from the end of the list";
const ERR_LPOS_COUNT = "ERR COUNT can't be negative";
const ERR_LPOS_MAXLEN = "ERR MAXLEN can't be negative";

/** The argv of blocking calls that are waiting: their next run is a run again. */
const waiting = new WeakSet<string[]>();

// ---------------------------------------------------------------------------------
// Lookups: the list at a key, undefined when missing, null (after replying WRONGTYPE)
// when the key holds another type. Reads count keyspace hits and misses as Redis's
// lookupKeyRead does; writes do not.

function readList(s: Session, key: string): ListValue | undefined | null {
  return readTyped(s, key, ListValue);
}

function writeList(s: Session, key: string): ListValue | undefined | null {
  return writeTyped(s, key, ListValue);
}

/** The list at a key, created empty (sized for `expected` elements) when missing. */
function createList(s: Session, key: string, expected: number): ListValue {
  const list = new ListValue(expected);
  s.db.set(key, list);
  return list;
}

/** Deletes a list that its last write left empty (a `del` event after the write's own). */
function dropIfEmpty(s: Session, key: string, list: ListValue): void {
  if (list.length !== 0) return;
  s.db.delete(key);
  s.notify(NOTIFY.GENERIC, "del", key);
}

/** The keyspace event of a push or pop at one end. */
function pushEvent(head: boolean): string {
  return head ? "lpush" : "rpush";
}

function popEvent(head: boolean): string {
  return head ? "lpop" : "rpop";
}

/** LEFT → head, RIGHT → tail, anything else null (a syntax error). */
function parseSide(text: string): boolean | null {
  if (isWord(text, "left")) return true;
  if (isWord(text, "right")) return false;
  return null;
}

/** Writes `count` elements popped from one end, in the order they were popped. */
function popInto(s: Session, list: ListValue, count: number, head: boolean): void {
  s.reply.arrayLen(count);
  for (let i = 0; i < count; i++) s.reply.bulk(list.pop(head)!);
}

// ---------------------------------------------------------------------------------
// Pushes

/** LPUSH / RPUSH / LPUSHX / RPUSHX key element [element ...] */
function push(s: Session, argv: string[], head: boolean, onlyExisting: boolean): void {
  const key = argv[1];
  let list = writeList(s, key);
  if (list === null) return;
  if (list === undefined) {
    if (onlyExisting) {
      s.reply.integer(0);
      return;
    }
    list = createList(s, key, argv.length - 2);
  }
  for (let i = 2; i < argv.length; i++) list.push(argv[i], head);
  s.server.dirty += argv.length - 2;
  s.notify(NOTIFY.LIST, pushEvent(head), key);
  s.reply.integer(list.length);
}

/** LINSERT key BEFORE|AFTER pivot element: -1 when the pivot is absent, 0 for no key. */
function linsert(s: Session, argv: string[]): void {
  let after: boolean;
  if (isWord(argv[2], "after")) after = true;
  else if (isWord(argv[2], "before")) after = false;
  else {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const list = writeList(s, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    s.reply.integer(0);
    return;
  }
  const pivot = argv[3];
  const n = list.length;
  let at = 0;
  while (at < n && list.at(at) !== pivot) at++;
  if (at === n) {
    s.reply.integer(-1);
    return;
  }
  list.insert(after ? at + 1 : at, argv[4]);
  s.server.dirty++;
  s.notify(NOTIFY.LIST, "linsert", argv[1]);
  s.reply.integer(list.length);
}

// ---------------------------------------------------------------------------------
// Pops

/**
 * LPOP / RPOP key [count]: one element as a bulk, or with a count an array of up to
 * count elements (count 0: an empty array). A missing key is a nil bulk without a
 * count, a nil array with one (even count 0).
 */
function pop(s: Session, argv: string[], head: boolean): void {
  if (argv.length > 3) {
    s.reply.error(errWrongArity(head ? "lpop" : "rpop"));
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]);
    if (n === null || n < 0) {
      s.reply.error(ERR_MUST_BE_POSITIVE);
      return;
    }
    count = n;
  }
  const key = argv[1];
  const list = writeList(s, key);
  if (list === null) return;
  if (list === undefined) {
    if (count < 0) s.reply.null();
    else s.reply.nullArray();
    return;
  }
  if (count === 0) {
    s.reply.arrayLen(0);
    return;
  }
  let popped = 1;
  if (count < 0) {
    s.reply.bulk(list.pop(head)!);
  } else {
    popped = Math.min(count, list.length);
    popInto(s, list, popped, head);
  }
  s.notify(NOTIFY.LIST, popEvent(head), key);
  dropIfEmpty(s, key, list);
  s.server.dirty += popped;
}

/**
 * The LMPOP/BLMPOP arguments after the timeout: numkeys key [key ...] LEFT|RIGHT
 * [COUNT count]. Null after replying with an error.
 */
function parseMpop(
  s: Session,
  argv: string[],
  numkeysAt: number,
): { keys: string[]; head: boolean; count: number } | null {
  const numkeys = parseInteger(argv[numkeysAt]);
  if (numkeys === null || numkeys < 1) {
    s.reply.error(ERR_NUMKEYS);
    return null;
  }
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) {
    s.reply.error(ERR_SYNTAX);
    return null;
  }
  const head = parseSide(argv[whereAt]);
  if (head === null) {
    s.reply.error(ERR_SYNTAX);
    return null;
  }
  let count = -1;
  for (let i = whereAt + 1; i < argv.length; i++) {
    if (count === -1 && isWord(argv[i], "count") && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]);
      if (n === null || n < 1) {
        s.reply.error(ERR_COUNT_POSITIVE);
        return null;
      }
      count = n;
    } else {
      s.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { keys: argv.slice(numkeysAt + 1, whereAt), head, count: count === -1 ? 1 : count };
}

/**
 * The list a multi-key pop serves from, or null (after replying WRONGTYPE), or
 * undefined when none of the keys holds a list.
 *
 * A first run takes the first key holding a list and refuses a key of another type
 * met on the way, as Redis does. A run again (the client waited) skips other types,
 * and among several lists takes the one created first: Redis 7.0 serves a waiting
 * client from the key that became ready first, and a list this client waits on can
 * only have appeared during the write that woke it, so the oldest list is the key
 * that woke it. (A list renamed or moved in during the same transaction keeps its
 * older creation; Redis would rank it by the move.)
 */
function pickList(
  s: Session,
  keys: string[],
  again: boolean,
): { key: string; list: ListValue } | null | undefined {
  let picked: { key: string; list: ListValue } | undefined;
  for (const key of keys) {
    const value = s.db.get(key);
    if (value === undefined) continue;
    if (!(value instanceof ListValue)) {
      if (again) continue;
      s.reply.error(ERR_WRONG_TYPE);
      return null;
    }
    if (!again) return { key, list: value };
    if (picked === undefined || value.serial < picked.list.serial) picked = { key, list: value };
  }
  return picked;
}

/**
 * Pops up to `count` elements from the list `pickList` chooses and replies
 * [key, [elements...]]; propagated as LPOP/RPOP key n. Answers false when no key
 * holds a list (nothing replied), true once replied (WRONGTYPE included).
 */
function popFromFirstList(
  s: Session,
  keys: string[],
  head: boolean,
  count: number,
  again: boolean,
): boolean {
  const picked = pickList(s, keys, again);
  if (picked === null) return true;
  if (picked === undefined) return false;
  const { key, list } = picked;
  const n = Math.min(count, list.length);
  s.reply.arrayLen(2);
  s.reply.bulk(key);
  popInto(s, list, n, head);
  s.notify(NOTIFY.LIST, popEvent(head), key);
  dropIfEmpty(s, key, list);
  s.server.dirty += n;
  s.keyChanged(key);
  s.propagateAs([head ? "LPOP" : "RPOP", key, String(n)]);
  return true;
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function lmpop(s: Session, argv: string[]): void {
  const args = parseMpop(s, argv, 1);
  if (args === null) return;
  if (!popFromFirstList(s, args.keys, args.head, args.count, false)) s.reply.nullArray();
}

// ---------------------------------------------------------------------------------
// Reads

/** LLEN key */
function llen(s: Session, argv: string[]): void {
  const list = readList(s, argv[1]);
  if (list !== null) s.reply.integer(list?.length ?? 0);
}

/**
 * Clamps Redis's inclusive [start, stop] (negative counts from the end) to the list;
 * null when the range is empty.
 */
function clampRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

/** LRANGE key start stop */
function lrange(s: Session, argv: string[]): void {
  const start = parseInteger(argv[2]);
  const stop = parseInteger(argv[3]);
  if (start === null || stop === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const list = readList(s, argv[1]);
  if (list === null) return;
  const range = list === undefined ? null : clampRange(start, stop, list.length);
  if (range === null) {
    s.reply.arrayLen(0);
    return;
  }
  s.reply.arrayLen(range[1] - range[0] + 1);
  for (let i = range[0]; i <= range[1]; i++) s.reply.bulk(list!.at(i));
}

/** LINDEX key index: nil when out of range. The key is looked up before the index is read. */
function lindex(s: Session, argv: string[]): void {
  const list = readList(s, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    s.reply.null();
    return;
  }
  let index = parseInteger(argv[2]);
  if (index === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) s.reply.null();
  else s.reply.bulk(list.at(index));
}

/**
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the
 * rank-th match (negative rank: counting from the tail), or with COUNT an array of up
 * to that many matches (0: all); MAXLEN bounds the elements compared.
 */
function lpos(s: Session, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let i = 3; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (more && isWord(argv[i], "rank")) {
      const n = parseInt64(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n === 0n) {
        s.reply.error(ERR_LPOS_RANK_ZERO);
        return;
      }
      // Redis negates the most negative rank without noticing it overflows: it stays
      // negative and every match qualifies, which is rank -1.
      rank = n === INT64_MIN ? -1 : Number(n);
    } else if (more && isWord(argv[i], "count")) {
      const n = parseInteger(argv[++i]);
      if (n === null || n < 0) {
        s.reply.error(ERR_LPOS_COUNT);
        return;
      }
      count = n;
    } else if (more && isWord(argv[i], "maxlen")) {
      const n = parseInteger(argv[++i]);
      if (n === null || n < 0) {
        s.reply.error(ERR_LPOS_MAXLEN);
        return;
      }
      maxlen = n;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const list = readList(s, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) s.reply.arrayLen(0);
    else s.reply.null();
    return;
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const element = argv[2];
  const n = list.length;
  const limit = maxlen === 0 ? n : Math.min(maxlen, n);
  const found: number[] = [];
  let matches = 0;
  for (let i = 0; i < limit; i++) {
    const at = fromTail ? n - 1 - i : i;
    if (list.at(at) !== element || ++matches < rank) continue;
    found.push(at);
    if (count === -1 || (count !== 0 && found.length >= count)) break;
  }
  if (count !== -1) {
    s.reply.arrayLen(found.length);
    for (const at of found) s.reply.integer(at);
  } else if (found.length > 0) {
    s.reply.integer(found[0]);
  } else {
    s.reply.null();
  }
}

// ---------------------------------------------------------------------------------
// In-place writes

/** LSET key index element */
function lset(s: Session, argv: string[]): void {
  const list = writeList(s, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    s.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  let index = parseInteger(argv[2]);
  if (index === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) {
    s.reply.error(ERR_INDEX_OUT_OF_RANGE);
    return;
  }
  list.set(index, argv[3]);
  s.server.dirty++;
  s.notify(NOTIFY.LIST, "lset", argv[1]);
  s.reply.ok();
}

/** LTRIM key start stop: keeps only that range; an empty range deletes the key. */
function ltrim(s: Session, argv: string[]): void {
  const start = parseInteger(argv[2]);
  const stop = parseInteger(argv[3]);
  if (start === null || stop === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const list = writeList(s, argv[1]);
  if (list === null) return;
  if (list !== undefined) {
    const n = list.length;
    const range = clampRange(start, stop, n);
    const fromHead = range === null ? n : range[0];
    const fromTail = range === null ? 0 : n - 1 - range[1];
    // Redis counts an LTRIM as a change (WATCH, the `ltrim` event) even when nothing goes.
    if (fromHead + fromTail > 0) list.trim(fromHead, fromTail);
    s.notify(NOTIFY.LIST, "ltrim", argv[1]);
    dropIfEmpty(s, argv[1], list);
    s.server.dirty += fromHead + fromTail;
    s.keyChanged(argv[1]);
  }
  s.reply.ok();
}

/** LREM key count element: count > 0 from the head, < 0 from the tail, 0 all. */
function lrem(s: Session, argv: string[]): void {
  const count = parseInteger(argv[2]);
  if (count === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const list = writeList(s, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    s.reply.integer(0);
    return;
  }
  const removed = list.removeAll(argv[3], Math.abs(count), count < 0);
  if (removed > 0) {
    s.notify(NOTIFY.LIST, "lrem", argv[1]);
    dropIfEmpty(s, argv[1], list);
    s.server.dirty += removed;
  }
  s.reply.integer(removed);
}

// ---------------------------------------------------------------------------------
// Moves

/**
 * Pops from one end of `src` and pushes onto one end of `dst` (the same list rotates),
 * replying with the element and propagating `propagated`. Answers false, having
 * replied nothing, when `src` does not exist; true once replied (WRONGTYPE included).
 */
function moveElement(
  s: Session,
  src: string,
  dst: string,
  ends: { fromHead: boolean; toHead: boolean },
  propagated: string[],
): boolean {
  const source = writeList(s, src);
  if (source === null) return true;
  if (source === undefined) return false;
  const target = writeList(s, dst);
  if (target === null) return true;
  // Redis's order of events: the push on the destination, then the pop on the source.
  const value = source.pop(ends.fromHead)!;
  (target ?? createList(s, dst, 1)).push(value, ends.toHead);
  s.notify(NOTIFY.LIST, pushEvent(ends.toHead), dst);
  s.notify(NOTIFY.LIST, popEvent(ends.fromHead), src);
  dropIfEmpty(s, src, source);
  s.server.dirty++;
  s.propagateAs(propagated);
  s.reply.bulk(value);
  return true;
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
function lmove(s: Session, argv: string[]): void {
  const fromHead = parseSide(argv[3]);
  const toHead = parseSide(argv[4]);
  if (fromHead === null || toHead === null) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (!moveElement(s, argv[1], argv[2], { fromHead, toHead }, argv)) s.reply.null();
}

/** RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT. */
function rpoplpush(s: Session, argv: string[]): void {
  const ends = { fromHead: false, toHead: true };
  if (!moveElement(s, argv[1], argv[2], ends, argv)) s.reply.null();
}

// ---------------------------------------------------------------------------------
// Blocking commands

/** True when this run of a blocking call is a run again after it blocked. */
function rerun(argv: string[]): boolean {
  return waiting.has(argv);
}

/**
 * Blocks on `keys` (or keeps the place when already waiting). Inside EXEC, where
 * blocking is not allowed, replies with `refused` instead, as Redis does.
 */
function blockOrRefuse(
  s: Session,
  argv: string[],
  keys: string[],
  timeoutMs: number,
  refused: () => void,
): void {
  if (s.block(keys, timeoutMs)) waiting.add(argv);
  else refused();
}

/** BLPOP / BRPOP key [key ...] timeout: [key, element] from the first non-empty list. */
function bpop(s: Session, argv: string[], head: boolean): void {
  const timeout = timeoutOrReply(s, argv[argv.length - 1]);
  if (timeout === null) return;
  const keys = argv.slice(1, -1);
  const picked = pickList(s, keys, rerun(argv));
  if (picked === null) return;
  if (picked !== undefined) {
    const { key, list } = picked;
    s.reply.arrayLen(2);
    s.reply.bulk(key);
    s.reply.bulk(list.pop(head)!);
    s.notify(NOTIFY.LIST, popEvent(head), key);
    dropIfEmpty(s, key, list);
    s.server.dirty++;
    s.keyChanged(key);
    s.propagateAs([head ? "LPOP" : "RPOP", key]);
    waiting.delete(argv);
    return;
  }
  blockOrRefuse(s, argv, keys, timeout, () => s.reply.nullArray());
}

/**
 * BLMOVE / BRPOPLPUSH: LMOVE, or a wait while the source does not exist. Inside EXEC
 * the answer is a nil bulk (a timeout is a nil array, as for every blocking list
 * command).
 */
function bmove(
  s: Session,
  argv: string[],
  ends: { fromHead: boolean; toHead: boolean },
  timeoutText: string,
  propagated: string[],
): void {
  const timeout = timeoutOrReply(s, timeoutText);
  if (timeout === null) return;
  const src = argv[1];
  const source = s.db.get(src);
  const stillEmpty = source !== undefined && !(source instanceof ListValue) && rerun(argv);
  if (!stillEmpty && moveElement(s, src, argv[2], ends, propagated)) {
    waiting.delete(argv);
    return;
  }
  blockOrRefuse(s, argv, [src], timeout, () => s.reply.null());
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
function blmove(s: Session, argv: string[]): void {
  const fromHead = parseSide(argv[3]);
  const toHead = parseSide(argv[4]);
  if (fromHead === null || toHead === null) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  // Served after waiting, Redis spells the ends in lowercase whatever the client sent.
  const ends = rerun(argv)
    ? [fromHead ? "left" : "right", toHead ? "left" : "right"]
    : [argv[3], argv[4]];
  bmove(s, argv, { fromHead, toHead }, argv[5], ["LMOVE", argv[1], argv[2], ...ends]);
}

/** BRPOPLPUSH source destination timeout */
function brpoplpush(s: Session, argv: string[]): void {
  const ends = { fromHead: false, toHead: true };
  bmove(s, argv, ends, argv[3], ["RPOPLPUSH", argv[1], argv[2]]);
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function blmpop(s: Session, argv: string[]): void {
  const args = parseMpop(s, argv, 2);
  if (args === null) return;
  const timeout = timeoutOrReply(s, argv[1]);
  if (timeout === null) return;
  if (popFromFirstList(s, args.keys, args.head, args.count, rerun(argv))) {
    waiting.delete(argv);
    return;
  }
  blockOrRefuse(s, argv, args.keys, timeout, () => s.reply.nullArray());
}

// ---------------------------------------------------------------------------------
// The command table

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
const KEYS: ArgDoc = { ...KEY, multiple: true };
const ELEMENT: ArgDoc = { name: "element", type: "string" };
const ELEMENTS: ArgDoc = { ...ELEMENT, multiple: true };
const TIMEOUT: ArgDoc = { name: "timeout", type: "double" };
const SOURCE: ArgDoc = { name: "source", type: "key", keySpecIndex: 0 };
const DESTINATION: ArgDoc = { name: "destination", type: "key", keySpecIndex: 1 };

/** Redis's key spec for the one key at `index`, with its flags. */
function keyAt(index: number, ...flags: string[]): KeySpec {
  return { flags, begin: { index }, find: { range: { lastKey: 0, step: 1, limit: 0 } } };
}

/** The source and destination of the moves. */
const MOVE_KEYS: KeySpec[] = [keyAt(1, "RW", "access", "delete"), keyAt(2, "RW", "insert")];

/** Keys counted by the argument at `index` (LMPOP, BLMPOP). */
function countedKeys(index: number): KeySpec[] {
  return [{
    flags: ["RW", "access", "delete"],
    begin: { index },
    find: { keynum: { keyNumIndex: 0, firstKey: 1, step: 1 } },
  }];
}

/** Every argument but the last (the timeout) is a key (BLPOP, BRPOP). */
const KEYS_BEFORE_TIMEOUT: KeySpec[] = [{
  flags: ["RW", "access", "delete"],
  begin: { index: 1 },
  find: { range: { lastKey: -2, step: 1, limit: 0 } },
}];

function sides(name: string): ArgDoc {
  return tokenChoice(name, ["LEFT", "RIGHT"]);
}

const MPOP_ARGS: ArgDoc[] = [
  { name: "numkeys", type: "integer" },
  KEYS,
  sides("where"),
  { name: "count", type: "integer", token: "COUNT", optional: true },
];

/** A list command's record: one key at argument 1 unless said otherwise. */
const spec = familySpec("list", ["list"]);

/** The list commands. */
export const listCommands: CommandSpec[] = [
  spec({
    name: "lpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, "RW", "insert")],
    summary: "Adds elements at the head of a list, creating it if needed; answers its length.",
    since: "1.0.0",
    complexity: "O(1) per element",
    args: [KEY, ELEMENTS],
    handler: (s, argv) => push(s, argv, true, false),
  }),
  spec({
    name: "rpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, "RW", "insert")],
    summary: "Adds elements at the tail of a list, creating it if needed; answers its length.",
    since: "1.0.0",
    complexity: "O(1) per element",
    args: [KEY, ELEMENTS],
    handler: (s, argv) => push(s, argv, false, false),
  }),
  spec({
    name: "lpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, "RW", "insert")],
    summary: "Adds elements at the head of a list only when the list exists.",
    since: "2.2.0",
    complexity: "O(1) per element",
    args: [KEY, ELEMENTS],
    handler: (s, argv) => push(s, argv, true, true),
  }),
  spec({
    name: "rpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, "RW", "insert")],
    summary: "Adds elements at the tail of a list only when the list exists.",
    since: "2.2.0",
    complexity: "O(1) per element",
    args: [KEY, ELEMENTS],
    handler: (s, argv) => push(s, argv, false, true),
  }),
  spec({
    name: "lpop",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, "RW", "access", "delete")],
    summary: "Removes and answers the first element of a list, or the first count elements.",
    since: "1.0.0",
    complexity: "O(N) in the number of elements answered",
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: (s, argv) => pop(s, argv, true),
  }),
  spec({
    name: "rpop",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, "RW", "access", "delete")],
    summary: "Removes and answers the last element of a list, or the last count elements.",
    since: "1.0.0",
    complexity: "O(N) in the number of elements answered",
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: (s, argv) => pop(s, argv, false),
  }),
  spec({
    name: "llen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, "RO")],
    summary: "Answers the number of elements in a list (0 when absent).",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: llen,
  }),
  spec({
    name: "lrange",
    arity: 4,
    flags: ["readonly"],
    keySpecs: [keyAt(1, "RO", "access")],
    summary: "Answers the elements between two indexes of a list, both included.",
    since: "1.0.0",
    complexity: "O(S+N): S the offset of start from the nearer end, N the elements answered",
    args: [KEY, { name: "start", type: "integer" }, { name: "stop", type: "integer" }],
    handler: lrange,
  }),
  spec({
    name: "lindex",
    arity: 3,
    flags: ["readonly"],
    keySpecs: [keyAt(1, "RO", "access")],
    summary: "Answers the element at an index of a list (negative counts from the tail).",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "index", type: "integer" }],
    handler: lindex,
  }),
  spec({
    name: "lset",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, "RW", "update")],
    summary: "Replaces the element at an index of a list.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "index", type: "integer" }, ELEMENT],
    handler: lset,
  }),
  spec({
    name: "lrem",
    arity: 4,
    flags: ["write"],
    keySpecs: [keyAt(1, "RW", "delete")],
    summary: "Removes elements equal to a value from a list: count from the head (positive), " +
      "from the tail (negative) or all (0); answers how many went.",
    since: "1.0.0",
    complexity: "O(N) in the length of the list",
    args: [KEY, { name: "count", type: "integer" }, ELEMENT],
    handler: lrem,
  }),
  spec({
    name: "ltrim",
    arity: 4,
    flags: ["write"],
    keySpecs: [keyAt(1, "RW", "delete")],
    summary: "Keeps only the elements between two indexes of a list, both included.",
    since: "1.0.0",
    complexity: "O(N) in the number of elements removed",
    args: [KEY, { name: "start", type: "integer" }, { name: "stop", type: "integer" }],
    handler: ltrim,
  }),
  spec({
    name: "linsert",
    arity: 5,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, "RW", "insert")],
    summary: "Inserts an element before or after the first occurrence of a pivot in a list.",
    since: "2.2.0",
    complexity: "O(N) in the elements passed before the pivot",
    args: [
      KEY,
      {
        name: "where",
        type: "oneof",
        arguments: [
          { name: "before", type: "pure-token", token: "BEFORE" },
          { name: "after", type: "pure-token", token: "AFTER" },
        ],
      },
      { name: "pivot", type: "string" },
      ELEMENT,
    ],
    handler: linsert,
  }),
  spec({
    name: "lpos",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [keyAt(1, "RO", "access")],
    summary: "Answers the index of matching elements in a list, optionally the rank-th " +
      "match, several matches, or within the first elements only.",
    since: "6.0.6",
    complexity: "O(N) in the elements compared",
    args: [
      KEY,
      ELEMENT,
      { name: "rank", type: "integer", token: "RANK", optional: true },
      { name: "num-matches", type: "integer", token: "COUNT", optional: true },
      { name: "len", type: "integer", token: "MAXLEN", optional: true },
    ],
    handler: lpos,
  }),
  spec({
    name: "lmove",
    arity: 5,
    flags: ["write", "denyoom"],
    lastKey: 2,
    keySpecs: MOVE_KEYS,
    summary: "Moves an element from one end of a list to one end of another (or the same) " +
      "list and answers it.",
    since: "6.2.0",
    complexity: "O(1)",
    args: [SOURCE, DESTINATION, sides("wherefrom"), sides("whereto")],
    handler: lmove,
  }),
  spec({
    name: "rpoplpush",
    arity: 3,
    flags: ["write", "denyoom"],
    lastKey: 2,
    keySpecs: MOVE_KEYS,
    summary: "Moves the last element of a list to the head of another (or the same) list " +
      "and answers it.",
    since: "1.2.0",
    complexity: "O(1)",
    args: [SOURCE, DESTINATION],
    handler: rpoplpush,
  }),
  spec({
    name: "lmpop",
    arity: -4,
    flags: ["write"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    keySpecs: countedKeys(1),
    summary: "Pops one or more elements from the first non-empty list among several keys " +
      "and answers the key with the elements.",
    since: "7.0.0",
    complexity: "O(N+M): N keys looked at, M elements answered",
    args: MPOP_ARGS,
    handler: lmpop,
  }),
  spec({
    name: "blpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    lastKey: -2,
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary: "Pops the first element of the first non-empty list among several keys, " +
      "waiting up to a timeout for one to be pushed.",
    since: "2.0.0",
    complexity: "O(N) in the number of keys",
    args: [KEYS, TIMEOUT],
    handler: (s, argv) => bpop(s, argv, true),
  }),
  spec({
    name: "brpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    lastKey: -2,
    keySpecs: KEYS_BEFORE_TIMEOUT,
    summary: "Pops the last element of the first non-empty list among several keys, " +
      "waiting up to a timeout for one to be pushed.",
    since: "2.0.0",
    complexity: "O(N) in the number of keys",
    args: [KEYS, TIMEOUT],
    handler: (s, argv) => bpop(s, argv, false),
  }),
  spec({
    name: "blmove",
    arity: 6,
    flags: ["write", "denyoom", "noscript", "blocking"],
    lastKey: 2,
    keySpecs: MOVE_KEYS,
    summary: "LMOVE that waits up to a timeout for the source list to get an element.",
    since: "6.2.0",
    complexity: "O(1)",
    args: [SOURCE, DESTINATION, sides("wherefrom"), sides("whereto"), TIMEOUT],
    handler: blmove,
  }),
  spec({
    name: "brpoplpush",
    arity: 4,
    flags: ["write", "denyoom", "noscript", "blocking"],
    lastKey: 2,
    keySpecs: MOVE_KEYS,
    summary: "RPOPLPUSH that waits up to a timeout for the source list to get an element.",
    since: "2.2.0",
    complexity: "O(1)",
    args: [SOURCE, DESTINATION, TIMEOUT],
    handler: brpoplpush,
  }),
  spec({
    name: "blmpop",
    arity: -5,
    flags: ["write", "blocking"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    keySpecs: countedKeys(2),
    summary: "LMPOP that waits up to a timeout for one of the lists to get an element.",
    since: "7.0.0",
    complexity: "O(N+M): N keys looked at, M elements answered",
    args: [TIMEOUT, ...MPOP_ARGS],
    handler: blmpop,
  }),
];
