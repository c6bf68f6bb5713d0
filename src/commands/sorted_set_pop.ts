// Sorted set pops: ZPOPMIN, ZPOPMAX, ZMPOP, the blocking BZPOPMIN, BZPOPMAX and BZMPOP,
// and ZRANDMEMBER. Assembled in sorted_set.ts.

import { NOTIFY } from "../config/mod.ts";
import { ERR_SYNTAX } from "../protocol/errors.ts";
import { SortedSetValue } from "../store/zset.ts";
import { parseRandomCount } from "./_random_count.ts";
import type { CommandSpec, Session } from "./context.ts";
import { countedKeys, keyAt } from "./table.ts";
import { isWord } from "./_parse.ts";
import { timeoutOrReply } from "./_timeout.ts";
import { parseInteger } from "../util/int64.ts";
import {
  COUNT,
  KEY,
  KEYS,
  MIN_MAX,
  newEntries,
  NUMKEYS,
  readZset,
  replyEntries,
  replyPair,
  replyPairsHeader,
  spec,
  TIMEOUT,
  WITHSCORES,
  writeZset,
  wrote,
} from "./_sorted_set.ts";

const ERR_POSITIVE = "ERR value is out of range, must be positive";
const ERR_NUMKEYS = "ERR numkeys should be greater than 0";
const ERR_COUNT = "ERR count should be greater than 0";

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
      // The client is closed once over its output limit: the rest would be wasted.
      if (i % 1000 === 999 && s.outputLimitReached()) break;
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
// The command records

/** The pop commands' records, in the order COMMAND lists them. */
export const sortedSetPopCommands: CommandSpec[] = [
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
    tips: ["nondeterministic_output"],
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
];
