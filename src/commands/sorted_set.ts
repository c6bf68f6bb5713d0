// Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK and
// ZSCAN here, and the one `sortedSetCommands` table, which also takes in the records of
// the range commands (sorted_set_range.ts), the pops (sorted_set_pop.ts) and the set
// operations (sorted_set_setops.ts). What those files share is in _sorted_set.ts.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_FLOAT, ERR_SYNTAX } from "../protocol/errors.ts";
import { formatDouble17 } from "../protocol/number_format.ts";
import { CursorRegistry } from "../store/scan.ts";
import { SortedSetValue } from "../store/zset.ts";
import { matches, parseScanCursor, parseScanOptions, replyScan, scanPage } from "./_scan.ts";
import type { CommandSpec, Session } from "./context.ts";
import { keyAt } from "./table.ts";
import { parseDouble } from "./_zset_args.ts";
import { sortedSetPopCommands } from "./sorted_set_pop.ts";
import { sortedSetRangeCommands } from "./sorted_set_range.ts";
import { sortedSetSetOpCommands } from "./sorted_set_setops.ts";
import { KEY, limits, MEMBER, MEMBERS, readZset, spec, writeZset, wrote } from "./_sorted_set.ts";

const ERR_NAN_SCORE = "ERR resulting score is not a number (NaN)";
const ERR_XX_NX = "ERR XX and NX options at the same time are not compatible";
const ERR_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible";
const ERR_INCR_PAIR = "ERR INCR option supports a single increment-element pair";

/** Open ZSCAN iterations over skiplist-encoded sorted sets. */
const cursors = new CursorRegistry();

// ---------------------------------------------------------------------------------
// ZADD, ZINCRBY

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and ZINCRBY
 * key increment member (which goes through the same option parsing, as in Redis).
 * With `parsed` (GEOADD), the scores come as numbers, and their places in argv are
 * filled in only when the call propagates.
 */
function zaddGeneric(
  s: Session,
  argv: string[],
  incrCommand: boolean,
  parsed?: readonly number[],
): void {
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
  let scores: readonly number[];
  if (parsed !== undefined) scores = parsed;
  else {
    const read: number[] = new Array(pairs);
    for (let i = 0; i < pairs; i++) {
      const score = parseDouble(argv[at + i * 2]);
      if (score === null) {
        s.reply.error(ERR_NOT_FLOAT);
        return;
      }
      read[i] = score;
    }
    scores = read;
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
        zset.addNew(member, score, lim);
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
          zset.rescore(member, current, score);
          updated++;
        }
      }
      processed++;
      result = score;
    }
  }
  if (added + updated > 0) {
    if (parsed !== undefined) {
      for (let i = 0; i < pairs; i++) argv[at + i * 2] = String(parsed[i]);
    }
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
export function zadd(s: Session, argv: string[], scores?: readonly number[]): void {
  zaddGeneric(s, argv, false, scores);
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
  ...sortedSetRangeCommands,
  ...sortedSetPopCommands,
  ...sortedSetSetOpCommands,
  spec({
    name: "zscan",
    arity: -3,
    flags: ["readonly"],
    summary: "Walks the members and scores of a sorted set a few at a time with a cursor.",
    since: "2.8.0",
    complexity: "O(1) per call, O(N) for a whole walk",
    tips: ["nondeterministic_output"],
    args: [
      KEY,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: zscan,
  }),
];
