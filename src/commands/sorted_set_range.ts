// Sorted set range commands: ZCOUNT, ZLEXCOUNT, the ZRANGE family (ZRANGE,
// ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
// ZREVRANGEBYLEX) and ZREMRANGEBYRANK/SCORE/LEX. Assembled in sorted_set.ts.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  type SortedSetValue,
} from "../store/zset.ts";
import type { CommandSpec, Session } from "./context.ts";
import { keyAt } from "./table.ts";
import { isWord } from "./_parse.ts";
import { parseLexRange, parseScoreRange } from "./_zset_args.ts";
import { parseInteger } from "../util/int64.ts";
import {
  type Entries,
  KEY,
  LIMIT,
  newEntries,
  RANGE_OPTIONS,
  readZset,
  replyEntries,
  spec,
  storeResult,
  WITHSCORES,
  writeZset,
  wrote,
} from "./_sorted_set.ts";

const ERR_SCORE_RANGE = "ERR min or max is not a float";
const ERR_LEX_RANGE = "ERR min or max not valid string range item";
const ERR_LIMIT_RANK =
  "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const ERR_WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

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
// The command records

/** The range commands' records, in the order COMMAND lists them. */
export const sortedSetRangeCommands: CommandSpec[] = [
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
];
