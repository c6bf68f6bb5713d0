// What the sorted set files share (sorted_set.ts, sorted_set_range.ts, sorted_set_pop.ts,
// sorted_set_setops.ts):
// typed lookups, the encoding limits, the write report, the replies of members with
// scores, storing a computed result, and the argument docs of the command records.

import { NOTIFY, perConfigChange } from "../config/mod.ts";
import { SortedSetValue, type ZsetLimits } from "../store/zset.ts";
import { readTyped, writeTyped } from "./_lookup.ts";
import type { ArgDoc, Session } from "./context.ts";
import { familySpec } from "./table.ts";

// ---------------------------------------------------------------------------------
// Lookups: the sorted set at a key, undefined when missing, null (after replying
// WRONGTYPE) when the key holds another type. Reads count keyspace hits and misses as
// Redis's lookupKeyRead does; writes do not.

/** The sorted set at `key` for a read command. */
export function readZset(s: Session, key: string): SortedSetValue | undefined | null {
  return readTyped(s, key, SortedSetValue);
}

/** The sorted set at `key` for a write command. */
export function writeZset(s: Session, key: string): SortedSetValue | undefined | null {
  return writeTyped(s, key, SortedSetValue);
}

const readLimits = perConfigChange((config): ZsetLimits => ({
  maxListpackEntries: config.number("zset-max-listpack-entries"),
  maxListpackValue: config.number("zset-max-listpack-value"),
}));

/** The listpack limits from the configuration (zset-max-listpack-*); not to be changed. */
export function limits(s: Session): ZsetLimits {
  return readLimits(s.server.config);
}

/** Records a write: `n` changes, propagated as `argv`. */
export function wrote(s: Session, n: number, argv: string[]): void {
  s.server.dirty += n;
  s.propagateAs(argv);
}

// ---------------------------------------------------------------------------------
// Replies. Members with scores are a flat array in RESP2 and an array of
// [member, score] pairs in RESP3; the only place here that minds the protocol version.

/** Members and their scores, side by side. */
export interface Entries {
  members: string[];
  scores: number[];
}

/** An empty Entries. */
export function newEntries(): Entries {
  return { members: [], scores: [] };
}

/** The header of `n` members alone, or of member/score pairs (see ReplyWriter.pairsLen). */
export function replyPairsHeader(s: Session, n: number, withScores: boolean): void {
  if (withScores) s.reply.pairsLen(n);
  else s.reply.arrayLen(n);
}

/** One member, or one member/score pair. */
export function replyPair(s: Session, member: string, score: number, withScores: boolean): void {
  if (!withScores) {
    s.reply.bulk(member);
    return;
  }
  s.reply.pairStart();
  s.reply.bulk(member);
  s.reply.double(score);
}

/** Members, with their scores when `withScores`. */
export function replyEntries(s: Session, entries: Entries, withScores: boolean): void {
  const { members, scores } = entries;
  replyPairsHeader(s, members.length, withScores);
  for (let i = 0; i < members.length; i++) replyPair(s, members[i], scores[i], withScores);
}

// ---------------------------------------------------------------------------------
// Stored results (ZRANGESTORE, ZUNIONSTORE ...)

/**
 * Stores a computed result at `dst` (deleting it when empty); replies with its size.
 * `event` is the keyspace event of a stored result (an emptied destination has `del`).
 */
export function storeResult(
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

// ---------------------------------------------------------------------------------
// Argument docs shared by the command records

export const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
export const MEMBER: ArgDoc = { name: "member", type: "string" };
export const MEMBERS: ArgDoc = { ...MEMBER, multiple: true };
export const NUMKEYS: ArgDoc = { name: "numkeys", type: "integer" };
export const KEYS: ArgDoc = { name: "key", type: "key", keySpecIndex: 0, multiple: true };
export const TIMEOUT: ArgDoc = { name: "timeout", type: "double" };
export const WITHSCORES: ArgDoc = {
  name: "withscores",
  type: "pure-token",
  token: "WITHSCORES",
  optional: true,
};
export const LIMIT: ArgDoc = {
  name: "limit",
  type: "block",
  token: "LIMIT",
  optional: true,
  arguments: [{ name: "offset", type: "integer" }, { name: "count", type: "integer" }],
};
export const MIN_MAX: ArgDoc = {
  name: "where",
  type: "oneof",
  arguments: [
    { name: "min", type: "pure-token", token: "MIN" },
    { name: "max", type: "pure-token", token: "MAX" },
  ],
};
export const COUNT: ArgDoc = { name: "count", type: "integer", token: "COUNT", optional: true };
export const WEIGHTS: ArgDoc = {
  name: "weight",
  type: "integer",
  token: "WEIGHTS",
  optional: true,
  multiple: true,
};
export const AGGREGATE: ArgDoc = {
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
export const RANGE_OPTIONS: ArgDoc[] = [
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
export const spec = familySpec("sorted-set", ["sortedset"]);
