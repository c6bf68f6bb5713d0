// Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
// ZCOUNT, ZLEXCOUNT, the ZRANGE family (ZRANGE, ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE,
// ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX), ZREMRANGEBYRANK/SCORE/LEX, the pops
// (ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP), ZRANDMEMBER,
// the set operations (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD) and ZSCAN.

import { NOTIFY } from "../config.ts";
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONG_TYPE } from "../protocol/errors.ts";
import { formatDouble17 } from "../protocol/number_format.ts";
import { CursorRegistry } from "../store/scan.ts";
import { SetValue } from "../store/set.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  SortedSetValue,
  type ZsetLimits,
} from "../store/zset.ts";
import { matches, parseScanCursor, parseScanOptions, replyScan, scanPage } from "./_scan.ts";
import { parseRandomCount } from "./_random_count.ts";
import { lookupRead, readTyped, writeTyped } from "./_lookup.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";
import { countedKeys, familySpec, keyAt } from "./table.ts";
import { isWord } from "./_parse.ts";
import { timeoutOrReply } from "./_timeout.ts";
import { parseDouble, parseLexRange, parseScoreRange } from "./_zset_args.ts";
import { parseInteger } from "../util/int64.ts";

const ERR_NAN_SCORE = "ERR resulting score is not a number (NaN)";
const ERR_XX_NX = "ERR XX and NX options at the same time are not compatible";
const ERR_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible";
const ERR_INCR_PAIR = "ERR INCR option supports a single increment-element pair";
const ERR_SCORE_RANGE = "ERR min or max is not a float";
const ERR_LEX_RANGE = "ERR min or max not valid string range item";
const ERR_LIMIT_RANK =
  "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const ERR_WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
const ERR_POSITIVE = "ERR value is out of range, must be positive";
const ERR_NUMKEYS = "ERR numkeys should be greater than 0";
const ERR_COUNT = "ERR count should be greater than 0";
const ERR_WEIGHT = "ERR weight value is not a float";
const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

function errNoInputKeys(command: string): string {
  return `ERR at least 1 input key is needed for '${command}' command`;
}

/** Open ZSCAN iterations over skiplist-encoded sorted sets. */
const cursors = new CursorRegistry();

// ---------------------------------------------------------------------------------
// Lookups: the sorted set at a key, undefined when missing, null (after replying
// WRONGTYPE) when the key holds another type. Reads count keyspace hits and misses as
// Redis's lookupKeyRead does; writes do not.

function readZset(s: Session, key: string): SortedSetValue | undefined | null {
  return readTyped(s, key, SortedSetValue);
}

function writeZset(s: Session, key: string): SortedSetValue | undefined | null {
  return writeTyped(s, key, SortedSetValue);
}

function limits(s: Session): ZsetLimits {
  return {
    maxListpackEntries: s.server.config.number("zset-max-listpack-entries"),
    maxListpackValue: s.server.config.number("zset-max-listpack-value"),
  };
}

/** Records a write: `n` changes, propagated as `argv`. */
function wrote(s: Session, n: number, argv: string[]): void {
  s.server.dirty += n;
  s.propagateAs(argv);
}

// ---------------------------------------------------------------------------------
// Replies. Members with scores are a flat array in RESP2 and an array of
// [member, score] pairs in RESP3; the only place here that minds the protocol version.

/** Members and their scores, side by side. */
interface Entries {
  members: string[];
  scores: number[];
}

function newEntries(): Entries {
  return { members: [], scores: [] };
}

// Members alone, or member/score pairs (see ReplyWriter.pairsLen).
function replyPairsHeader(s: Session, n: number, withScores: boolean): void {
  if (withScores) s.reply.pairsLen(n);
  else s.reply.arrayLen(n);
}

function replyPair(s: Session, member: string, score: number, withScores: boolean): void {
  if (!withScores) {
    s.reply.bulk(member);
    return;
  }
  s.reply.pairStart();
  s.reply.bulk(member);
  s.reply.double(score);
}

function replyEntries(s: Session, entries: Entries, withScores: boolean): void {
  const { members, scores } = entries;
  replyPairsHeader(s, members.length, withScores);
  for (let i = 0; i < members.length; i++) replyPair(s, members[i], scores[i], withScores);
}

// ---------------------------------------------------------------------------------
// ZADD, ZINCRBY

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY
 * key increment member (which goes through the same option parsing, as in Redis).
 */
function zaddGeneric(s: Session, argv: string[], incrCommand: boolean): void {
  const key = argv[1];
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrCommand;
  let at = 2;
  for (; at < argv.length; at++) {
    const option = argv[at].toLowerCase();
    if (option === "nx") nx = true;
    else if (option === "xx") xx = true;
    else if (option === "ch") ch = true;
    else if (option === "incr") incr = true;
    else if (option === "gt") gt = true;
    else if (option === "lt") lt = true;
    else break;
  }
  const elements = argv.length - at;
  if (elements === 0 || elements % 2 !== 0) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const pairs = elements / 2;
  if (nx && xx) {
    s.reply.error(ERR_XX_NX);
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    s.reply.error(ERR_GT_LT_NX);
    return;
  }
  if (incr && pairs > 1) {
    s.reply.error(ERR_INCR_PAIR);
    return;
  }
  const scores: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const score = parseDouble(argv[at + i * 2]);
    if (score === null) {
      s.reply.error(ERR_NOT_FLOAT);
      return;
    }
    scores.push(score);
  }

  let zset = writeZset(s, key);
  if (zset === null) return;
  let added = 0, updated = 0, processed = 0;
  let result = 0;
  if (zset === undefined && !xx) {
    zset = SortedSetValue.create(argv[at + 1].length, limits(s));
    s.db.set(key, zset);
  }
  if (zset !== undefined) {
    const lim = limits(s);
    for (let i = 0; i < pairs; i++) {
      const member = argv[at + i * 2 + 1];
      let score = scores[i];
      const current = zset.score(member);
      if (current === undefined) {
        if (xx) continue;
        zset.set(member, score, lim);
        added++;
      } else {
        if (nx) continue;
        if (incr) {
          score += current;
          if (Number.isNaN(score)) {
            s.reply.error(ERR_NAN_SCORE);
            return;
          }
        }
        if ((lt && score >= current) || (gt && score <= current)) continue;
        if (score !== current) {
          zset.set(member, score, lim);
          updated++;
        }
      }
      processed++;
      result = score;
    }
  }
  if (added + updated > 0) {
    wrote(s, added + updated, argv);
    s.notify(NOTIFY.ZSET, incr ? "zincr" : "zadd", key);
  }
  if (incr) {
    if (processed > 0) s.reply.double(result);
    else s.reply.null();
  } else {
    s.reply.integer(ch ? added + updated : added);
  }
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
function zadd(s: Session, argv: string[]): void {
  zaddGeneric(s, argv, false);
}

/** ZINCRBY key increment member */
function zincrby(s: Session, argv: string[]): void {
  zaddGeneric(s, argv, true);
}

// ---------------------------------------------------------------------------------
// Simple reads and ZREM

/** ZREM key member [member ...]: a set left empty is removed. */
function zrem(s: Session, argv: string[]): void {
  const zset = writeZset(s, argv[1]);
  if (zset === null) return;
  let deleted = 0;
  let emptied = false;
  if (zset !== undefined) {
    for (let i = 2; i < argv.length; i++) {
      if (!zset.delete(argv[i])) continue;
      deleted++;
      if (zset.size === 0) {
        s.db.delete(argv[1]);
        emptied = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    wrote(s, deleted, argv);
    s.notify(NOTIFY.ZSET, "zrem", argv[1]);
    if (emptied) s.notify(NOTIFY.GENERIC, "del", argv[1]);
  }
  s.reply.integer(deleted);
}

/** ZCARD key */
function zcard(s: Session, argv: string[]): void {
  const zset = readZset(s, argv[1]);
  if (zset !== null) s.reply.integer(zset?.size ?? 0);
}

/** ZSCORE key member */
function zscore(s: Session, argv: string[]): void {
  const zset = readZset(s, argv[1]);
  if (zset === null) return;
  const score = zset?.score(argv[2]);
  if (score === undefined) s.reply.null();
  else s.reply.double(score);
}

/** ZMSCORE key member [member ...]: nil for each absent member. */
function zmscore(s: Session, argv: string[]): void {
  const zset = readZset(s, argv[1]);
  if (zset === null) return;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i]);
    if (score === undefined) s.reply.null();
    else s.reply.double(score);
  }
}

function rankGeneric(s: Session, argv: string[], reverse: boolean): void {
  const zset = readZset(s, argv[1]);
  if (zset === null) return;
  const rank = zset?.rank(argv[2], reverse);
  if (rank === undefined) s.reply.null();
  else s.reply.integer(rank);
}

/** ZRANK key member */
function zrank(s: Session, argv: string[]): void {
  rankGeneric(s, argv, false);
}

/** ZREVRANK key member */
function zrevrank(s: Session, argv: string[]): void {
  rankGeneric(s, argv, true);
}

/** ZCOUNT key min max */
function zcount(s: Session, argv: string[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) {
    s.reply.error(ERR_SCORE_RANGE);
    return;
  }
  const zset = readZset(s, argv[1]);
  if (zset !== null) s.reply.integer(zset?.countInScoreRange(range) ?? 0);
}

/** ZLEXCOUNT key min max */
function zlexcount(s: Session, argv: string[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) {
    s.reply.error(ERR_LEX_RANGE);
    return;
  }
  const zset = readZset(s, argv[1]);
  if (zset !== null) s.reply.integer(zset?.countInLexRange(range) ?? 0);
}

// ---------------------------------------------------------------------------------
// The ZRANGE family

type RangeKind = "auto" | "rank" | "score" | "lex";

/** Ranks start..stop (negative counts from the end; reverse counts from the top). */
function collectByRank(
  zset: SortedSetValue,
  start: number,
  end: number,
  reverse: boolean,
  out: Entries,
): void {
  const size = zset.size;
  if (start < 0) start = size + start;
  if (end < 0) end = size + end;
  if (start < 0) start = 0;
  if (start > end || start >= size) return;
  if (end >= size) end = size - 1;
  let left = end - start + 1;
  zset.walk(reverse ? size - 1 - start : start, reverse, (member, score) => {
    out.members.push(member);
    out.scores.push(score);
    return --left > 0;
  });
}

/**
 * Walks from `rank` (the first, or for reverse the last, member in range), skipping
 * `offset` members and taking at most `limit` (negative: no limit) while `inside`
 * holds. A negative offset skips everything, as Redis's countdown does.
 */
function collectFrom(
  zset: SortedSetValue,
  rank: number,
  reverse: boolean,
  offset: number,
  limit: number,
  inside: (member: string, score: number) => boolean,
  out: Entries,
): void {
  if (rank < 0 || offset < 0 || limit === 0) return;
  rank = reverse ? rank - offset : rank + offset;
  zset.walk(rank, reverse, (member, score) => {
    if (!inside(member, score)) return false;
    out.members.push(member);
    out.scores.push(score);
    return --limit !== 0;
  });
}

function collectByScore(
  zset: SortedSetValue,
  range: ScoreRange,
  reverse: boolean,
  offset: number,
  limit: number,
  out: Entries,
): void {
  const rank = reverse ? zset.lastInScoreRange(range) : zset.firstInScoreRange(range);
  const inside = reverse
    ? (_: string, score: number) => scoreGteMin(score, range)
    : (_: string, score: number) => scoreLteMax(score, range);
  collectFrom(zset, rank, reverse, offset, limit, inside, out);
}

function collectByLex(
  zset: SortedSetValue,
  range: LexRange,
  reverse: boolean,
  offset: number,
  limit: number,
  out: Entries,
): void {
  const rank = reverse ? zset.lastInLexRange(range) : zset.firstInLexRange(range);
  const inside = reverse
    ? (member: string) => lexGteMin(member, range.min)
    : (member: string) => lexLteMax(member, range.max);
  collectFrom(zset, rank, reverse, offset, limit, inside, out);
}

/**
 * Stores a computed result at `dst` (deleting it when empty); replies with its size.
 * `event` is the keyspace event of a stored result (an emptied destination has `del`).
 */
function storeResult(
  s: Session,
  dst: string,
  entries: Iterable<[string, number]>,
  argv: string[],
  event: string,
): void {
  const zset = SortedSetValue.fromEntries(entries, limits(s));
  if (zset.size > 0) {
    s.db.set(dst, zset);
    wrote(s, 1, argv);
    s.notify(NOTIFY.ZSET, event, dst);
  } else if (s.db.delete(dst)) {
    wrote(s, 1, argv);
    s.notify(NOTIFY.GENERIC, "del", dst);
  }
  s.reply.integer(zset.size);
}

function* zipEntries(entries: Entries): Generator<[string, number]> {
  for (let i = 0; i < entries.members.length; i++) {
    yield [entries.members[i], entries.scores[i]];
  }
}

/**
 * ZRANGE and its older forms, and ZRANGESTORE: `kind` and `reverse` are fixed by the
 * older forms (their own tokens are then syntax errors) and "auto"/null for ZRANGE.
 */
function zrangeGeneric(
  s: Session,
  argv: string[],
  store: boolean,
  fixedKind: RangeKind,
  fixedReverse: boolean | null,
): void {
  const keyAt = store ? 2 : 1;
  let kind = fixedKind;
  let reverse = fixedReverse;
  let withScores = false;
  let offset = 0, limit = -1;
  for (let j = keyAt + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const arg = argv[j];
    if (!store && isWord(arg, "withscores")) {
      withScores = true;
    } else if (isWord(arg, "limit") && left >= 2) {
      const o = parseInteger(argv[j + 1]);
      const l = o === null ? null : parseInteger(argv[j + 2]);
      if (o === null || l === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (reverse === null && isWord(arg, "rev")) {
      reverse = true;
    } else if (kind === "auto" && isWord(arg, "bylex")) {
      kind = "lex";
    } else if (kind === "auto" && isWord(arg, "byscore")) {
      kind = "score";
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (reverse === null) reverse = false;
  if (kind === "auto") kind = "rank";
  if (limit !== -1 && kind === "rank") {
    s.reply.error(ERR_LIMIT_RANK);
    return;
  }
  if (withScores && kind === "lex") {
    s.reply.error(ERR_WITHSCORES_LEX);
    return;
  }
  // Score and lex ranges are written max first when reversed.
  let minArg = argv[keyAt + 1], maxArg = argv[keyAt + 2];
  if (reverse && kind !== "rank") [minArg, maxArg] = [maxArg, minArg];

  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (kind === "rank") {
    const a = parseInteger(minArg);
    const b = a === null ? null : parseInteger(maxArg);
    if (a === null || b === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    start = a;
    end = b;
  } else if (kind === "score") {
    scoreRange = parseScoreRange(minArg, maxArg);
    if (scoreRange === null) {
      s.reply.error(ERR_SCORE_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(minArg, maxArg);
    if (lexRange === null) {
      s.reply.error(ERR_LEX_RANGE);
      return;
    }
  }

  const zset = readZset(s, argv[keyAt]);
  if (zset === null) return;
  const out = newEntries();
  if (zset !== undefined) {
    if (kind === "rank") collectByRank(zset, start, end, reverse, out);
    else if (kind === "score") collectByScore(zset, scoreRange!, reverse, offset, limit, out);
    else collectByLex(zset, lexRange!, reverse, offset, limit, out);
  }
  if (store) storeResult(s, argv[1], zipEntries(out), argv, "zrangestore");
  else replyEntries(s, out, withScores);
}

/** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
function zrange(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "auto", null);
}

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
function zrangestore(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, true, "auto", null);
}

/** ZREVRANGE key start stop [WITHSCORES] */
function zrevrange(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "rank", true);
}

/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
function zrangebyscore(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "score", false);
}

/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
function zrevrangebyscore(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "score", true);
}

/** ZRANGEBYLEX key min max [LIMIT offset count] */
function zrangebylex(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "lex", false);
}

/** ZREVRANGEBYLEX key max min [LIMIT offset count] */
function zrevrangebylex(s: Session, argv: string[]): void {
  zrangeGeneric(s, argv, false, "lex", true);
}

// ---------------------------------------------------------------------------------
// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX

function zremrangeGeneric(s: Session, argv: string[], kind: "rank" | "score" | "lex"): void {
  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (kind === "rank") {
    const a = parseInteger(argv[2]);
    const b = a === null ? null : parseInteger(argv[3]);
    if (a === null || b === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    start = a;
    end = b;
  } else if (kind === "score") {
    scoreRange = parseScoreRange(argv[2], argv[3]);
    if (scoreRange === null) {
      s.reply.error(ERR_SCORE_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[2], argv[3]);
    if (lexRange === null) {
      s.reply.error(ERR_LEX_RANGE);
      return;
    }
  }
  const zset = writeZset(s, argv[1]);
  if (zset === null) return;
  if (zset === undefined) {
    s.reply.integer(0);
    return;
  }
  let deleted = 0;
  if (kind === "rank") {
    const size = zset.size;
    if (start < 0) start = size + start;
    if (end < 0) end = size + end;
    if (start < 0) start = 0;
    if (start <= end && start < size) {
      if (end >= size) end = size - 1;
      deleted = zset.deleteRanks(start, end);
    }
  } else if (kind === "score") {
    const first = zset.firstInScoreRange(scoreRange!);
    if (first >= 0) deleted = zset.deleteRanks(first, zset.lastInScoreRange(scoreRange!));
  } else {
    const first = zset.firstInLexRange(lexRange!);
    if (first >= 0) {
      deleted = zset.deleteRanks(first, first + zset.countInLexRange(lexRange!) - 1);
    }
  }
  if (deleted > 0) {
    wrote(s, deleted, argv);
    s.notify(NOTIFY.ZSET, `zremrangeby${kind}`, argv[1]);
    if (zset.size === 0) {
      s.db.delete(argv[1]);
      s.notify(NOTIFY.GENERIC, "del", argv[1]);
    }
  }
  s.reply.integer(deleted);
}

/** ZREMRANGEBYRANK key start stop */
function zremrangebyrank(s: Session, argv: string[]): void {
  zremrangeGeneric(s, argv, "rank");
}

/** ZREMRANGEBYSCORE key min max */
function zremrangebyscore(s: Session, argv: string[]): void {
  zremrangeGeneric(s, argv, "score");
}

/** ZREMRANGEBYLEX key min max */
function zremrangebylex(s: Session, argv: string[]): void {
  zremrangeGeneric(s, argv, "lex");
}

// ---------------------------------------------------------------------------------
// Pops

/**
 * Removes up to `count` (at least 1) members from the low (or, max, high) end; answers
 * them in pop order. Reports the key as changed: the pops that choose among several
 * keys change only this one.
 */
function popEntries(s: Session, key: string, zset: SortedSetValue, max: boolean, count: number) {
  const out = newEntries();
  const size = zset.size;
  const n = Math.min(count, size);
  let left = n;
  zset.walk(max ? size - 1 : 0, max, (member, score) => {
    out.members.push(member);
    out.scores.push(score);
    return --left > 0;
  });
  if (max) zset.deleteRanks(size - n, size - 1);
  else zset.deleteRanks(0, n - 1);
  s.keyChanged(key);
  s.notify(NOTIFY.ZSET, max ? "zpopmax" : "zpopmin", key);
  if (zset.size === 0) {
    s.db.delete(key);
    s.notify(NOTIFY.GENERIC, "del", key);
  }
  return out;
}

// The first key holding a sorted set, or null after replying WRONGTYPE for a key of
// another type met on the way; undefined when none holds one.
function firstZset(
  s: Session,
  keys: readonly string[],
): { key: string; zset: SortedSetValue } | undefined | null {
  for (const key of keys) {
    const zset = writeZset(s, key);
    if (zset === null) return null;
    if (zset !== undefined) return { key, zset };
  }
  return undefined;
}

// Clients blocked in BZPOPMIN, BZPOPMAX or BZMPOP, with the request they wait in: the
// same request run again is a retry after a write to one of its keys. Redis 7.0
// serves a retry only from a key holding a sorted set: a key of another type is
// passed over (no WRONGTYPE) and the client keeps waiting.
const waiting = new WeakMap<Session, string[]>();

// The first non-empty sorted set for a blocking pop: on a retry, keys of other types
// are skipped rather than refused.
function firstZsetFor(s: Session, argv: string[], keys: readonly string[]) {
  if (waiting.get(s) !== argv) return firstZset(s, keys);
  for (const key of keys) {
    const value = s.db.get(key);
    if (value instanceof SortedSetValue) return { key, zset: value };
  }
  return undefined;
}

// Waits for a write to one of `keys`; answers a null array at once inside EXEC.
function blockOn(s: Session, argv: string[], keys: string[], timeout: number): void {
  const blocked = s.block(keys, timeout, () => {
    waiting.delete(s);
    s.reply.nullArray();
  });
  if (blocked) waiting.set(s, argv);
  else s.reply.nullArray();
}

function popName(max: boolean): string {
  return max ? "ZPOPMAX" : "ZPOPMIN";
}

/** ZPOPMIN key [count], ZPOPMAX key [count] */
function zpopGeneric(s: Session, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]);
    if (n === null || n < 0) {
      s.reply.error(ERR_POSITIVE);
      return;
    }
    count = n;
  }
  const found = firstZset(s, [argv[1]]);
  if (found === null) return;
  if (found === undefined || count === 0) {
    s.reply.arrayLen(0);
    return;
  }
  const out = popEntries(s, found.key, found.zset, max, count < 0 ? 1 : count);
  wrote(s, out.members.length, argv);
  if (count < 0) {
    s.reply.arrayLen(2);
    s.reply.bulk(out.members[0]);
    s.reply.double(out.scores[0]);
  } else {
    replyEntries(s, out, true);
  }
}

function zpopmin(s: Session, argv: string[]): void {
  zpopGeneric(s, argv, false);
}

function zpopmax(s: Session, argv: string[]): void {
  zpopGeneric(s, argv, true);
}

/** BZPOPMIN key [key ...] timeout, BZPOPMAX key [key ...] timeout */
function bzpopGeneric(s: Session, argv: string[], max: boolean): void {
  const timeout = timeoutOrReply(s, argv[argv.length - 1]);
  if (timeout === null) return;
  const keys = argv.slice(1, -1);
  const found = firstZsetFor(s, argv, keys);
  if (found === null) return;
  if (found === undefined) {
    blockOn(s, argv, keys, timeout);
    return;
  }
  waiting.delete(s);
  const out = popEntries(s, found.key, found.zset, max, 1);
  wrote(s, 1, [popName(max), found.key]);
  s.reply.arrayLen(3);
  s.reply.bulk(found.key);
  s.reply.bulk(out.members[0]);
  s.reply.double(out.scores[0]);
}

function bzpopmin(s: Session, argv: string[]): void {
  bzpopGeneric(s, argv, false);
}

function bzpopmax(s: Session, argv: string[]): void {
  bzpopGeneric(s, argv, true);
}

/**
 * ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP timeout numkeys ...:
 * pops from the first non-empty key; propagated as ZPOPMIN/ZPOPMAX key <popped>.
 * As in Redis, BZMPOP reads its timeout after numkeys, MIN|MAX and COUNT.
 */
function zmpopGeneric(s: Session, argv: string[], blocking: boolean): void {
  const numkeysAt = blocking ? 2 : 1;
  const numkeys = parseInteger(argv[numkeysAt]);
  if (numkeys === null || numkeys < 1) {
    s.reply.error(ERR_NUMKEYS);
    return;
  }
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  let max: boolean;
  if (isWord(argv[whereAt], "min")) max = false;
  else if (isWord(argv[whereAt], "max")) max = true;
  else {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && isWord(argv[j], "count") && j + 1 < argv.length) {
      const n = parseInteger(argv[++j]);
      if (n === null || n < 1) {
        s.reply.error(ERR_COUNT);
        return;
      }
      count = n;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (count === -1) count = 1;
  const timeout = blocking ? timeoutOrReply(s, argv[1]) : 0;
  if (timeout === null) return;
  const keys = argv.slice(numkeysAt + 1, whereAt);
  const found = blocking ? firstZsetFor(s, argv, keys) : firstZset(s, keys);
  if (found === null) return;
  if (found === undefined) {
    if (blocking) blockOn(s, argv, keys, timeout);
    else s.reply.nullArray();
    return;
  }
  if (blocking) waiting.delete(s);
  const out = popEntries(s, found.key, found.zset, max, count);
  wrote(s, out.members.length, [popName(max), found.key, String(out.members.length)]);
  s.reply.arrayLen(2);
  s.reply.bulk(found.key);
  s.reply.arrayLen(out.members.length);
  for (let i = 0; i < out.members.length; i++) {
    s.reply.arrayLen(2);
    s.reply.bulk(out.members[i]);
    s.reply.double(out.scores[i]);
  }
}

function zmpop(s: Session, argv: string[]): void {
  zmpopGeneric(s, argv, false);
}

function bzmpop(s: Session, argv: string[]): void {
  zmpopGeneric(s, argv, true);
}

// ---------------------------------------------------------------------------------
// ZRANDMEMBER

/** ZRANDMEMBER key [count [WITHSCORES]] */
function zrandmember(s: Session, argv: string[]): void {
  if (argv.length >= 3) {
    const parsed = parseRandomCount(s, argv, "withscores");
    if (parsed !== null) zrandmemberWithCount(s, argv[1], parsed.count, parsed.withPairs);
    return;
  }
  const zset = readZset(s, argv[1]);
  if (zset === null) return;
  if (zset === undefined) s.reply.null();
  else s.reply.bulk(zset.memberAt(Math.floor(Math.random() * zset.size)));
}

function zrandmemberWithCount(s: Session, key: string, n: bigint, withScores: boolean): void {
  const zset = readZset(s, key);
  if (zset === null) return;
  if (zset === undefined || n === 0n) {
    s.reply.arrayLen(0);
    return;
  }
  const size = zset.size;

  // Negative: that many picks, repeats allowed, in random order (as is a count of 1).
  if (n < 0n || n === 1n) {
    const count = Number(n < 0n ? -n : n);
    replyPairsHeader(s, count, withScores);
    for (let i = 0; i < count; i++) {
      const rank = Math.floor(Math.random() * size);
      replyPair(s, zset.memberAt(rank), zset.scoreAt(rank), withScores);
    }
    return;
  }

  // The whole set or more: every member, highest score first (as Redis 7.0 answers).
  if (n >= BigInt(size)) {
    replyPairsHeader(s, size, withScores);
    zset.walk(size - 1, true, (member, score) => {
      replyPair(s, member, score, withScores);
    });
    return;
  }

  const count = Number(n);
  replyPairsHeader(s, count, withScores);
  if (count * 3 > size) {
    // Most of the set: Redis copies it to a table and drops random members, so the
    // survivors come in table order; here, a random subset in random order.
    const ranks = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
      replyPair(s, zset.memberAt(ranks[i]), zset.scoreAt(ranks[i]), withScores);
    }
    return;
  }
  if (zset.encoding === "listpack") {
    // Selection sampling: distinct members, in the set's order (as from a listpack).
    let needed = count;
    let left = size;
    for (const [member, score] of zset.entries()) {
      if (Math.random() * left < needed) {
        replyPair(s, member, score, withScores);
        if (--needed === 0) break;
      }
      left--;
    }
    return;
  }
  // A few members out of many: random distinct picks, in random order.
  const picked = new Set<number>();
  while (picked.size < count) {
    const rank = Math.floor(Math.random() * size);
    if (picked.has(rank)) continue;
    picked.add(rank);
    replyPair(s, zset.memberAt(rank), zset.scoreAt(rank), withScores);
  }
}

// ---------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD

/** An input of a set operation: a sorted set, a set (every member scores 1) or nothing. */
interface Source {
  size: number;
  weight: number;
  score(member: string): number | undefined;
  entries(): Iterable<[string, number]>;
}

function* setEntries(set: SetValue): Generator<[string, number]> {
  for (const member of set.members()) yield [member, 1];
}

function sourceOf(value: SortedSetValue | SetValue | undefined): Source {
  if (value instanceof SortedSetValue) {
    return {
      size: value.size,
      weight: 1,
      score: (member) => value.score(member),
      entries: () => value.entries(),
    };
  }
  if (value instanceof SetValue) {
    return {
      size: value.size,
      weight: 1,
      score: (member) => value.has(member) ? 1 : undefined,
      entries: () => setEntries(value),
    };
  }
  return { size: 0, weight: 1, score: () => undefined, entries: () => [] };
}

type Aggregate = "sum" | "min" | "max";

function aggregate(current: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = current + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === "min") return value < current ? value : current;
  return value > current ? value : current;
}

// A weighted score, where 0 × ±inf counts as 0 rather than NaN.
function weighted(score: number, weight: number): number {
  const value = score * weight;
  return Number.isNaN(value) ? 0 : value;
}

type SetOp = "union" | "inter" | "diff";

/**
 * ZUNION/ZINTER/ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 * [WITHSCORES], the STORE forms (destination first, no WITHSCORES) and ZINTERCARD
 * numkeys key [key ...] [LIMIT limit]. Inputs may be sets, whose members score 1.
 */
function setOpGeneric(s: Session, argv: string[], op: SetOp, store: boolean, cardOnly = false) {
  const numkeysAt = store ? 2 : 1;
  const n = parseInteger(argv[numkeysAt]);
  if (n === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (n < 1) {
    s.reply.error(errNoInputKeys(argv[0].toLowerCase()));
    return;
  }
  if (n > argv.length - numkeysAt - 1) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const sources: Source[] = [];
  let j = numkeysAt + 1;
  for (let i = 0; i < n; i++, j++) {
    const value = lookupRead(s, argv[j]);
    if (
      value !== undefined && !(value instanceof SortedSetValue) && !(value instanceof SetValue)
    ) {
      s.reply.error(ERR_WRONG_TYPE);
      return;
    }
    sources.push(sourceOf(value));
  }
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const arg = argv[j];
    if (op !== "diff" && !cardOnly && remaining >= n + 1 && isWord(arg, "weights")) {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const weight = parseDouble(argv[j]);
        if (weight === null) {
          s.reply.error(ERR_WEIGHT);
          return;
        }
        sources[i].weight = weight;
      }
    } else if (op !== "diff" && !cardOnly && remaining >= 2 && isWord(arg, "aggregate")) {
      const which = argv[j + 1].toLowerCase();
      if (which !== "sum" && which !== "min" && which !== "max") {
        s.reply.error(ERR_SYNTAX);
        return;
      }
      how = which;
      j += 2;
    } else if (cardOnly && remaining >= 2 && isWord(arg, "limit")) {
      const l = parseInteger(argv[j + 1]);
      if (l === null || l < 0) {
        s.reply.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = l;
      j += 2;
    } else if (!store && !cardOnly && isWord(arg, "withscores")) {
      withScores = true;
      j++;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }

  // Smallest inputs first, as Redis orders them (which also fixes the order in which
  // floating-point sums are taken). ZDIFF keeps the first input first.
  if (op !== "diff") sources.sort((a, b) => a.size - b.size);
  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === "inter") {
    const first = sources[0];
    if (first.size > 0) {
      for (const [member, score] of first.entries()) {
        let total = weighted(score, first.weight);
        let everywhere = true;
        for (let i = 1; i < sources.length; i++) {
          const other = sources[i].score(member);
          if (other === undefined) {
            everywhere = false;
            break;
          }
          total = aggregate(total, other * sources[i].weight, how);
        }
        if (!everywhere) continue;
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else {
          result.set(member, total);
        }
      }
    }
  } else if (op === "union") {
    for (const source of sources) {
      if (source.size === 0) continue;
      for (const [member, score] of source.entries()) {
        const value = weighted(score, source.weight);
        const current = result.get(member);
        result.set(member, current === undefined ? value : aggregate(current, value, how));
      }
    }
  } else {
    const first = sources[0];
    for (const [member, score] of first.entries()) {
      let elsewhere = false;
      for (let i = 1; i < sources.length && !elsewhere; i++) {
        elsewhere = sources[i].score(member) !== undefined;
      }
      if (!elsewhere) result.set(member, score);
    }
  }

  if (cardOnly) {
    s.reply.integer(cardinality);
    return;
  }
  if (store) {
    storeResult(s, argv[1], result, argv, `z${op}store`);
    return;
  }
  const sorted = [...result].sort((a, b) =>
    a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
  replyPairsHeader(s, sorted.length, withScores);
  for (const [member, score] of sorted) replyPair(s, member, score, withScores);
}

function zunion(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "union", false);
}

function zinter(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", false);
}

function zdiff(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "diff", false);
}

function zunionstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "union", true);
}

function zinterstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", true);
}

function zdiffstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "diff", true);
}

function zintercard(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", false, true);
}

// ---------------------------------------------------------------------------------
// ZSCAN

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack comes back whole, in
 * order, with cursor 0, as in Redis; a skiplist's table is walked COUNT members at a
 * time by a live iterator. Scores are sent as text, as Redis sends them.
 */
function zscan(s: Session, argv: string[]): void {
  const cursor = parseScanCursor(s, argv[2]);
  if (cursor === null) return;
  const zset = readZset(s, argv[1]);
  if (zset === null) return;
  if (zset === undefined) {
    replyScan(s, 0, []);
    return;
  }
  const options = parseScanOptions(s, argv, 3);
  if (options === null) return;
  const page = scanPage(
    cursors,
    zset,
    cursor,
    options.count,
    zset.encoding === "listpack" ? zset.entries() : null,
    () => zset.unordered()[Symbol.iterator](),
    zset.size,
  );
  const out: string[] = [];
  for (const [member, score] of page.items) {
    if (matches(options, member)) out.push(member, formatScore(score));
  }
  replyScan(s, page.cursor, out);
}

function formatScore(score: number): string {
  return formatDouble17(score);
}

// ---------------------------------------------------------------------------------
// The command table

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
const MEMBER: ArgDoc = { name: "member", type: "string" };
const MEMBERS: ArgDoc = { ...MEMBER, multiple: true };
const NUMKEYS: ArgDoc = { name: "numkeys", type: "integer" };
const KEYS: ArgDoc = { name: "key", type: "key", keySpecIndex: 0, multiple: true };
const TIMEOUT: ArgDoc = { name: "timeout", type: "double" };
const WITHSCORES: ArgDoc = {
  name: "withscores",
  type: "pure-token",
  token: "WITHSCORES",
  optional: true,
};
const LIMIT: ArgDoc = {
  name: "limit",
  type: "block",
  token: "LIMIT",
  optional: true,
  arguments: [{ name: "offset", type: "integer" }, { name: "count", type: "integer" }],
};
const MIN_MAX: ArgDoc = {
  name: "where",
  type: "oneof",
  arguments: [
    { name: "min", type: "pure-token", token: "MIN" },
    { name: "max", type: "pure-token", token: "MAX" },
  ],
};
const COUNT: ArgDoc = { name: "count", type: "integer", token: "COUNT", optional: true };
const WEIGHTS: ArgDoc = {
  name: "weight",
  type: "integer",
  token: "WEIGHTS",
  optional: true,
  multiple: true,
};
const AGGREGATE: ArgDoc = {
  name: "aggregate",
  type: "oneof",
  token: "AGGREGATE",
  optional: true,
  arguments: [
    { name: "sum", type: "pure-token", token: "SUM" },
    { name: "min", type: "pure-token", token: "MIN" },
    { name: "max", type: "pure-token", token: "MAX" },
  ],
};
const RANGE_OPTIONS: ArgDoc[] = [
  {
    name: "sortby",
    type: "oneof",
    optional: true,
    arguments: [
      { name: "byscore", type: "pure-token", token: "BYSCORE" },
      { name: "bylex", type: "pure-token", token: "BYLEX" },
    ],
  },
  { name: "rev", type: "pure-token", token: "REV", optional: true },
  LIMIT,
];

/** A sorted set command's record, taking its key as the first argument by default. */
const spec = familySpec("sorted-set", ["sortedset"]);

/** The sorted set commands. */
export const sortedSetCommands: CommandSpec[] = [
  spec({
    name: "zadd",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    summary: "Adds members with scores to a sorted set, or updates their scores; answers " +
      "how many were added (or changed, with CH), or the new score with INCR.",
    since: "1.2.0",
    complexity: "O(log N) per member",
    args: [
      KEY,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      {
        name: "comparison",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "gt", type: "pure-token", token: "GT" },
          { name: "lt", type: "pure-token", token: "LT" },
        ],
      },
      { name: "change", type: "pure-token", token: "CH", optional: true },
      { name: "increment", type: "pure-token", token: "INCR", optional: true },
      {
        name: "data",
        type: "block",
        multiple: true,
        arguments: [{ name: "score", type: "double" }, MEMBER],
      },
    ],
    handler: zadd,
  }),
  spec({
    name: "zincrby",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    summary: "Adds to a member's score (an absent member starts at 0); answers the new score.",
    since: "1.2.0",
    complexity: "O(log N)",
    args: [KEY, { name: "increment", type: "integer" }, MEMBER],
    handler: zincrby,
  }),
  spec({
    name: "zrem",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    summary: "Removes members from a sorted set (and the key once empty); answers how many " +
      "existed.",
    since: "1.2.0",
    complexity: "O(log N) per member",
    args: [KEY, MEMBERS],
    handler: zrem,
  }),
  spec({
    name: "zcard",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    summary: "Answers the number of members in a sorted set.",
    since: "1.2.0",
    complexity: "O(1)",
    args: [KEY],
    handler: zcard,
  }),
  spec({
    name: "zscore",
    arity: 3,
    flags: ["readonly", "fast"],
    summary: "Answers a member's score, or nil.",
    since: "1.2.0",
    complexity: "O(1)",
    args: [KEY, MEMBER],
    handler: zscore,
  }),
  spec({
    name: "zmscore",
    arity: -3,
    flags: ["readonly", "fast"],
    summary: "Answers the scores of several members, nil for each absent one.",
    since: "6.2.0",
    complexity: "O(1) per member",
    args: [KEY, MEMBERS],
    handler: zmscore,
  }),
  spec({
    name: "zrank",
    arity: 3,
    flags: ["readonly", "fast"],
    summary: "Answers a member's position counted from the lowest score, or nil.",
    since: "2.0.0",
    complexity: "O(log N)",
    args: [KEY, MEMBER],
    handler: zrank,
  }),
  spec({
    name: "zrevrank",
    arity: 3,
    flags: ["readonly", "fast"],
    summary: "Answers a member's position counted from the highest score, or nil.",
    since: "2.0.0",
    complexity: "O(log N)",
    args: [KEY, MEMBER],
    handler: zrevrank,
  }),
  spec({
    name: "zcount",
    arity: 4,
    flags: ["readonly", "fast"],
    summary: "Counts the members whose scores fall in a range.",
    since: "2.0.0",
    complexity: "O(log N)",
    args: [KEY, { name: "min", type: "double" }, { name: "max", type: "double" }],
    handler: zcount,
  }),
  spec({
    name: "zlexcount",
    arity: 4,
    flags: ["readonly", "fast"],
    summary: "Counts the members between two names, for a set whose scores are all equal.",
    since: "2.8.9",
    complexity: "O(log N)",
    args: [KEY, { name: "min", type: "string" }, { name: "max", type: "string" }],
    handler: zlexcount,
  }),
  spec({
    name: "zrange",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members in a range of positions, scores or names, optionally " +
      "reversed, paged and with scores.",
    since: "1.2.0",
    complexity: "O(log N + M) for M members answered",
    args: [
      KEY,
      { name: "start", type: "string" },
      { name: "stop", type: "string" },
      ...RANGE_OPTIONS,
      WITHSCORES,
    ],
    handler: zrange,
  }),
  spec({
    name: "zrangestore",
    arity: -5,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), keyAt(2, ["RO", "access"])],
    firstKey: 1,
    lastKey: 2,
    summary: "Stores a range of a sorted set (as ZRANGE selects it) at another key; answers " +
      "its size.",
    since: "6.2.0",
    complexity: "O(log N + M) for M members stored",
    args: [
      { name: "dst", type: "key", keySpecIndex: 0 },
      { name: "src", type: "key", keySpecIndex: 1 },
      { name: "min", type: "string" },
      { name: "max", type: "string" },
      ...RANGE_OPTIONS,
    ],
    handler: zrangestore,
  }),
  spec({
    name: "zrevrange",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members in a range of positions counted from the highest score.",
    since: "1.2.0",
    complexity: "O(log N + M) for M members answered",
    args: [KEY, { name: "start", type: "integer" }, { name: "stop", type: "integer" }, WITHSCORES],
    handler: zrevrange,
  }),
  spec({
    name: "zrangebyscore",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members whose scores fall in a range, lowest first.",
    since: "1.0.5",
    complexity: "O(log N + M) for M members answered",
    args: [
      KEY,
      { name: "min", type: "double" },
      { name: "max", type: "double" },
      WITHSCORES,
      LIMIT,
    ],
    handler: zrangebyscore,
  }),
  spec({
    name: "zrevrangebyscore",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members whose scores fall in a range, highest first.",
    since: "2.2.0",
    complexity: "O(log N + M) for M members answered",
    args: [
      KEY,
      { name: "max", type: "double" },
      { name: "min", type: "double" },
      WITHSCORES,
      LIMIT,
    ],
    handler: zrevrangebyscore,
  }),
  spec({
    name: "zrangebylex",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members between two names, for a set whose scores are all equal.",
    since: "2.8.9",
    complexity: "O(log N + M) for M members answered",
    args: [KEY, { name: "min", type: "string" }, { name: "max", type: "string" }, LIMIT],
    handler: zrangebylex,
  }),
  spec({
    name: "zrevrangebylex",
    arity: -4,
    flags: ["readonly"],
    summary: "Answers the members between two names, last name first.",
    since: "2.8.9",
    complexity: "O(log N + M) for M members answered",
    args: [KEY, { name: "max", type: "string" }, { name: "min", type: "string" }, LIMIT],
    handler: zrevrangebylex,
  }),
  spec({
    name: "zremrangebyrank",
    arity: 4,
    flags: ["write"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    summary: "Removes the members in a range of positions; answers how many.",
    since: "2.0.0",
    complexity: "O(log N + M) for M members removed",
    args: [KEY, { name: "start", type: "integer" }, { name: "stop", type: "integer" }],
    handler: zremrangebyrank,
  }),
  spec({
    name: "zremrangebyscore",
    arity: 4,
    flags: ["write"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    summary: "Removes the members whose scores fall in a range; answers how many.",
    since: "1.2.0",
    complexity: "O(log N + M) for M members removed",
    args: [KEY, { name: "min", type: "double" }, { name: "max", type: "double" }],
    handler: zremrangebyscore,
  }),
  spec({
    name: "zremrangebylex",
    arity: 4,
    flags: ["write"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    summary: "Removes the members between two names; answers how many.",
    since: "2.8.9",
    complexity: "O(log N + M) for M members removed",
    args: [KEY, { name: "min", type: "string" }, { name: "max", type: "string" }],
    handler: zremrangebylex,
  }),
  spec({
    name: "zpopmin",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "delete"])],
    summary: "Removes and answers the members with the lowest scores.",
    since: "5.0.0",
    complexity: "O(log N) per member",
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: zpopmin,
  }),
  spec({
    name: "zpopmax",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "delete"])],
    summary: "Removes and answers the members with the highest scores.",
    since: "5.0.0",
    complexity: "O(log N) per member",
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: zpopmax,
  }),
  spec({
    name: "bzpopmin",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "delete"], -2)],
    lastKey: -2,
    summary: "Pops the lowest-scored member of the first non-empty sorted set, waiting for " +
      "one when all are empty.",
    since: "5.0.0",
    complexity: "O(log N)",
    args: [KEYS, TIMEOUT],
    handler: bzpopmin,
  }),
  spec({
    name: "bzpopmax",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "delete"], -2)],
    lastKey: -2,
    summary: "Pops the highest-scored member of the first non-empty sorted set, waiting for " +
      "one when all are empty.",
    since: "5.0.0",
    complexity: "O(log N)",
    args: [KEYS, TIMEOUT],
    handler: bzpopmax,
  }),
  spec({
    name: "zmpop",
    arity: -4,
    flags: ["write"],
    keySpecs: [countedKeys(1, ["RW", "access", "delete"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Pops members from the low or high end of the first non-empty sorted set named.",
    since: "7.0.0",
    complexity: "O(K + M log N) for K keys named and M members popped",
    args: [NUMKEYS, KEYS, MIN_MAX, COUNT],
    handler: zmpop,
  }),
  spec({
    name: "bzmpop",
    arity: -5,
    flags: ["write", "blocking"],
    keySpecs: [countedKeys(2, ["RW", "access", "delete"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Pops members from the first non-empty sorted set named, waiting for one when " +
      "all are empty.",
    since: "7.0.0",
    complexity: "O(K + M log N) for K keys named and M members popped",
    args: [TIMEOUT, NUMKEYS, KEYS, MIN_MAX, COUNT],
    handler: bzmpop,
  }),
  spec({
    name: "zrandmember",
    arity: -2,
    flags: ["readonly"],
    summary: "Answers random members: distinct for a positive count, repeats allowed for a " +
      "negative one, optionally with scores.",
    since: "6.2.0",
    complexity: "O(N) in the number of members answered",
    args: [
      KEY,
      {
        name: "options",
        type: "block",
        optional: true,
        arguments: [{ name: "count", type: "integer" }, WITHSCORES],
      },
    ],
    handler: zrandmember,
  }),
  spec({
    name: "zunion",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the union of sorted sets (and sets), with weighted, aggregated scores.",
    since: "6.2.0",
    complexity: "O(N) + O(M log M) for N input members and M members answered",
    args: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
    handler: zunion,
  }),
  spec({
    name: "zinter",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the intersection of sorted sets (and sets), with weighted, aggregated " +
      "scores.",
    since: "6.2.0",
    complexity: "O(N K) + O(M log M) for the smallest input's N members and K inputs",
    args: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
    handler: zinter,
  }),
  spec({
    name: "zdiff",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the members of the first sorted set that are in none of the others.",
    since: "6.2.0",
    complexity: "O(N) for N input members",
    args: [NUMKEYS, KEYS, WITHSCORES],
    handler: zdiff,
  }),
  spec({
    name: "zunionstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the union of sorted sets (and sets) at a key; answers its size.",
    since: "2.0.0",
    complexity: "O(N) + O(M log M) for N input members and M members stored",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
      WEIGHTS,
      AGGREGATE,
    ],
    handler: zunionstore,
  }),
  spec({
    name: "zinterstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the intersection of sorted sets (and sets) at a key; answers its size.",
    since: "2.0.0",
    complexity: "O(N K) + O(M log M) for the smallest input's N members and K inputs",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
      WEIGHTS,
      AGGREGATE,
    ],
    handler: zinterstore,
  }),
  spec({
    name: "zdiffstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the members of the first sorted set that are in none of the others; " +
      "answers their number.",
    since: "6.2.0",
    complexity: "O(N) for N input members",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
    ],
    handler: zdiffstore,
  }),
  spec({
    name: "zintercard",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Counts the members common to sorted sets (and sets), stopping at a limit.",
    since: "7.0.0",
    complexity: "O(N K) for the smallest input's N members and K inputs",
    args: [NUMKEYS, KEYS, { name: "limit", type: "integer", token: "LIMIT", optional: true }],
    handler: zintercard,
  }),
  spec({
    name: "zscan",
    arity: -3,
    flags: ["readonly"],
    summary: "Walks the members and scores of a sorted set a few at a time with a cursor.",
    since: "2.8.0",
    complexity: "O(1) per call, O(N) for a whole walk",
    args: [
      KEY,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: zscan,
  }),
];
