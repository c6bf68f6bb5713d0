// Set commands: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SPOP, SRANDMEMBER,
// SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN.
//
// Replies that walk a whole set come out in the set's own order: numeric for an
// intset-encoded set (so they match Redis byte for byte), the table's order otherwise.
// SUNION and SDIFF build their result as a set first, as Redis does, so an all-integer
// result is listed in numeric order too.

import { NOTIFY, perConfigChange } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONG_TYPE, errValueRange } from "../protocol/errors.ts";
import { CursorRegistry } from "../store/scan.ts";
import { SetValue } from "../store/set.ts";
import { matches, parseScanCursor, parseScanOptions, replyScan, scanPage } from "./_scan.ts";
import { readTyped, writeTyped } from "./_lookup.ts";
import type { CommandSpec, Session } from "./context.ts";
import { familySpec } from "./table.ts";
import { isWord } from "./_parse.ts";
import { INT64_MAX, parseInt64 } from "../util/int64.ts";

// Error replies only the set commands give (spelled as Redis 7.0 spells them).
const ERR_MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
const ERR_NUMKEYS = "ERR numkeys should be greater than 0";
const ERR_NUMKEYS_ARGS = "ERR Number of keys can't be greater than number of args";
const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

/**
 * Redis's SPOP pops most of a set by choosing the members to keep instead, once the
 * count is at least 5 times what remains; the kept members become a freshly encoded
 * set (observable: a hashtable of integers can become an intset again).
 */
const SPOP_MOVE_STRATEGY_MUL = 5;

/** Open SSCAN iterations over hashtable-encoded sets. */
const cursors = new CursorRegistry();

// ---------------------------------------------------------------------------------
// Lookups: the set at a key, undefined when missing, null (after replying WRONGTYPE)
// when the key holds another type. Reads count keyspace hits and misses as Redis's
// lookupKeyRead does (the STORE forms read their sources that way too); writes do not.

function readSet(s: Session, key: string): SetValue | undefined | null {
  return readTyped(s, key, SetValue);
}

function writeSet(s: Session, key: string): SetValue | undefined | null {
  return writeTyped(s, key, SetValue);
}

/** Reads every key as a set (missing ones as undefined); null after a WRONGTYPE reply. */
function readSets(s: Session, keys: readonly string[]): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const set = readSet(s, key);
    if (set === null) return null;
    sets.push(set);
  }
  return sets;
}

const readMaxIntset = perConfigChange((config) => config.number("set-max-intset-entries"));

// set-max-intset-entries, read once per config change.
function maxIntset(s: Session): number {
  return readMaxIntset(s.server.config);
}

/** A set reply: `~n` in RESP3, an array in RESP2. */
function replyMembers(s: Session, members: readonly string[]): void {
  s.reply.setLen(members.length);
  for (const member of members) s.reply.bulk(member);
}

/** Builds a new set from members, encoded as Redis would encode it from scratch. */
function newSet(s: Session, members: Iterable<string>): SetValue {
  const set = new SetValue();
  const max = maxIntset(s);
  for (const member of members) set.add(member, max);
  return set;
}

// ---------------------------------------------------------------------------------
// Writes

/** SADD key member [member ...] */
function sadd(s: Session, argv: string[]): void {
  let set = writeSet(s, argv[1]);
  if (set === null) return;
  if (set === undefined) {
    set = new SetValue();
    s.db.set(argv[1], set);
  }
  const max = maxIntset(s);
  let added = 0;
  for (let i = 2; i < argv.length; i++) {
    if (set.add(argv[i], max)) added++;
  }
  if (added > 0) {
    s.server.dirty += added;
    s.notify(NOTIFY.SET, "sadd", argv[1]);
  }
  s.reply.integer(added);
}

/** SREM key member [member ...]: a set left empty is removed (later members are ignored). */
function srem(s: Session, argv: string[]): void {
  const set = writeSet(s, argv[1]);
  if (set === null) return;
  let removed = 0;
  let emptied = false;
  if (set !== undefined) {
    for (let i = 2; i < argv.length; i++) {
      if (!set.remove(argv[i])) continue;
      removed++;
      if (set.size === 0) {
        s.db.delete(argv[1]);
        emptied = true;
        break;
      }
    }
  }
  if (removed > 0) {
    s.server.dirty += removed;
    s.notify(NOTIFY.SET, "srem", argv[1]);
    if (emptied) s.notify(NOTIFY.GENERIC, "del", argv[1]);
  }
  s.reply.integer(removed);
}

/**
 * SMOVE source destination member. A missing source answers 0 before either type is
 * checked; moving within one set changes nothing and only says whether it is there.
 * A destination that already has the member is left alone: no `sadd`, no change.
 */
function smove(s: Session, argv: string[]): void {
  const [, srcKey, dstKey, member] = argv;
  const src = s.db.get(srcKey);
  const dst = s.db.get(dstKey);
  if (src === undefined) {
    s.reply.integer(0);
    return;
  }
  if (!(src instanceof SetValue) || (dst !== undefined && !(dst instanceof SetValue))) {
    s.reply.error(ERR_WRONG_TYPE);
    return;
  }
  if (src === dst) {
    s.reply.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.remove(member)) {
    s.reply.integer(0);
    return;
  }
  s.notify(NOTIFY.SET, "srem", srcKey);
  if (src.size === 0) {
    s.db.delete(srcKey);
    s.notify(NOTIFY.GENERIC, "del", srcKey);
  }
  s.keyChanged(srcKey);
  s.server.dirty++;
  let target = dst;
  if (target === undefined) {
    target = new SetValue();
    s.db.set(dstKey, target);
  }
  if (target.add(member, maxIntset(s))) {
    s.server.dirty++;
    s.keyChanged(dstKey);
    s.notify(NOTIFY.SET, "sadd", dstKey);
  }
  s.reply.integer(1);
}

/**
 * SPOP key [count]: removes random members. Propagated deterministically as Redis 7.0
 * does: one `SREM key member` per popped member, or `DEL key` when the whole set goes.
 */
function spop(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 3) {
    spopWithCount(s, argv);
    return;
  }
  const key = argv[1];
  const set = writeSet(s, key);
  if (set === null) return;
  if (set === undefined) {
    s.reply.null();
    return;
  }
  const member = set.pop();
  s.notify(NOTIFY.SET, "spop", key);
  if (set.size === 0) {
    s.db.delete(key);
    s.notify(NOTIFY.GENERIC, "del", key);
  }
  s.server.dirty++;
  s.propagateAs(["SREM", key, member]);
  s.reply.bulk(member);
}

function spopWithCount(s: Session, argv: string[]): void {
  const key = argv[1];
  const n = parseInt64(argv[2]);
  if (n === null || n < 0n) {
    s.reply.error(ERR_MUST_BE_POSITIVE);
    return;
  }
  const set = writeSet(s, key);
  if (set === null) return;
  if (set === undefined || n === 0n) {
    s.reply.setLen(0);
    return;
  }
  const size = set.size;

  // Everything: the whole set, in its order, and the key goes.
  if (n >= BigInt(size)) {
    const members = set.toArray();
    s.db.delete(key);
    s.notify(NOTIFY.SET, "spop", key);
    s.notify(NOTIFY.GENERIC, "del", key);
    s.server.dirty += size;
    s.propagateAs(["DEL", key]);
    replyMembers(s, members);
    return;
  }

  const count = Number(n);
  let popped: string[];
  const remaining = size - count;
  if (remaining * SPOP_MOVE_STRATEGY_MUL <= count) {
    // Most of the set: pick the few members that stay, answer with the rest in the
    // set's order, and keep the survivors as a set encoded from scratch.
    const keep = new Array<string>(remaining);
    for (let i = 0; i < keep.length; i++) keep[i] = set.pop();
    popped = set.toArray();
    set.rebuild(keep, maxIntset(s));
  } else {
    popped = new Array<string>(count);
    for (let i = 0; i < count; i++) popped[i] = set.pop();
  }
  s.server.dirty += count;
  s.notify(NOTIFY.SET, "spop", key);
  for (const member of popped) s.propagateAs(["SREM", key, member]);
  replyMembers(s, popped);
}

// ---------------------------------------------------------------------------------
// Reads

/** SCARD key */
function scard(s: Session, argv: string[]): void {
  const set = readSet(s, argv[1]);
  if (set !== null) s.reply.integer(set?.size ?? 0);
}

/** SISMEMBER key member */
function sismember(s: Session, argv: string[]): void {
  const set = readSet(s, argv[1]);
  if (set !== null) s.reply.integer(set?.has(argv[2]) ? 1 : 0);
}

/** SMISMEMBER key member [member ...]: 1 or 0 for each member. */
function smismember(s: Session, argv: string[]): void {
  const set = readSet(s, argv[1]);
  if (set === null) return;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) s.reply.integer(set?.has(argv[i]) ? 1 : 0);
}

/** SRANDMEMBER key [count] */
function srandmember(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 3) {
    srandmemberWithCount(s, argv);
    return;
  }
  const set = readSet(s, argv[1]);
  if (set === null) return;
  if (set === undefined) s.reply.null();
  else s.reply.bulk(set.random());
}

/**
 * A positive count answers distinct members (the whole set, in its order, when the
 * count reaches its size); a negative one answers that many picks, repeats allowed.
 */
function srandmemberWithCount(s: Session, argv: string[]): void {
  const n = parseInt64(argv[2]);
  if (n === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (n < -INT64_MAX) {
    s.reply.error(errValueRange(-INT64_MAX, INT64_MAX));
    return;
  }
  const set = readSet(s, argv[1]);
  if (set === null) return;
  if (set === undefined || n === 0n) {
    s.reply.arrayLen(0);
    return;
  }
  const size = set.size;
  if (n < 0n || n === 1n) {
    const count = Number(n < 0n ? -n : n);
    s.reply.arrayLen(count);
    for (let i = 0; i < count; i++) {
      s.reply.bulk(set.random());
      // The client is closed once over its output limit: the rest would be wasted.
      if (i % 1000 === 999 && s.outputLimitReached()) break;
    }
    return;
  }
  if (n >= BigInt(size)) {
    const members = set.toArray();
    s.reply.arrayLen(members.length);
    for (const member of members) s.reply.bulk(member);
    return;
  }
  // Distinct positions: a partial Fisher-Yates shuffle over a sparse map of swaps,
  // so the cost is O(count) whatever the size of the set.
  const count = Number(n);
  const swapped = new Map<number, number>();
  s.reply.arrayLen(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const picked = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    s.reply.bulk(set.at(picked));
  }
}

// ---------------------------------------------------------------------------------
// Intersection, union, difference

/**
 * The members in every set, in the order of the smallest one (the first of equals),
 * stopping once `limit` (0: none) are found. Empty when any set is missing.
 */
function intersect(sets: readonly (SetValue | undefined)[], limit = 0): string[] {
  if (sets.some((set) => set === undefined)) return [];
  const ordered = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const [smallest, ...rest] = ordered;
  const out: string[] = [];
  for (const member of smallest.members()) {
    if (rest.every((set) => set === smallest || set.has(member))) {
      out.push(member);
      if (out.length === limit) break;
    }
  }
  return out;
}

/** The union or difference as a new set (so an all-integer result is an intset). */
function combine(s: Session, sets: readonly (SetValue | undefined)[], diff: boolean): SetValue {
  const result = new SetValue();
  const max = maxIntset(s);
  if (!diff) {
    for (const set of sets) {
      if (set === undefined) continue;
      for (const member of set.members()) result.add(member, max);
    }
    return result;
  }
  const [first, ...rest] = sets;
  if (first === undefined) return result;
  for (const member of first.members()) {
    if (rest.every((set) => set === undefined || (set !== first && !set.has(member)))) {
      result.add(member, max);
    }
  }
  return result;
}

/**
 * The STORE forms: the destination (whatever it held, its TTL gone) becomes the
 * result, or is deleted when the result is empty; propagated as given when it changed.
 * `event` is the keyspace event of a stored result (an emptied destination has `del`).
 */
function store(s: Session, argv: string[], result: SetValue, event: string): void {
  const dst = argv[1];
  if (result.size > 0) {
    s.db.set(dst, result);
    s.server.dirty++;
    s.notify(NOTIFY.SET, event, dst);
  } else if (s.db.delete(dst)) {
    s.server.dirty++;
    s.notify(NOTIFY.GENERIC, "del", dst);
  }
  s.reply.integer(result.size);
}

/** SINTER key [key ...]; SMEMBERS key is the same with one key. */
function sinter(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(1));
  if (sets !== null) replyMembers(s, intersect(sets));
}

/** SINTERSTORE destination key [key ...] */
function sinterstore(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(2));
  if (sets !== null) store(s, argv, newSet(s, intersect(sets)), "sinterstore");
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] */
function sintercard(s: Session, argv: string[]): void {
  const numkeys = parseInt64(argv[1]);
  if (numkeys === null || numkeys < 1n) {
    s.reply.error(ERR_NUMKEYS);
    return;
  }
  if (numkeys > BigInt(argv.length - 2)) {
    s.reply.error(ERR_NUMKEYS_ARGS);
    return;
  }
  const keysEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let i = keysEnd; i < argv.length; i++) {
    if (isWord(argv[i], "limit") && i + 1 < argv.length) {
      const n = parseInt64(argv[++i]);
      if (n === null || n < 0n) {
        s.reply.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = n > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(n);
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const sets = readSets(s, argv.slice(2, keysEnd));
  if (sets !== null) s.reply.integer(intersect(sets, limit).length);
}

/** SUNION key [key ...] */
function sunion(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(1));
  if (sets !== null) replyMembers(s, combine(s, sets, false).toArray());
}

/** SUNIONSTORE destination key [key ...] */
function sunionstore(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(2));
  if (sets !== null) store(s, argv, combine(s, sets, false), "sunionstore");
}

/** SDIFF key [key ...]: the members of the first set that no other set has. */
function sdiff(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(1));
  if (sets !== null) replyMembers(s, combine(s, sets, true).toArray());
}

/** SDIFFSTORE destination key [key ...] */
function sdiffstore(s: Session, argv: string[]): void {
  const sets = readSets(s, argv.slice(2));
  if (sets !== null) store(s, argv, combine(s, sets, true), "sdiffstore");
}

// ---------------------------------------------------------------------------------
// SSCAN

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]. An intset comes back whole, in
 * numeric order, with cursor 0, as in Redis; a hashtable is walked COUNT members at a
 * time by a live iterator, which returns every member present for the whole scan.
 */
function sscan(s: Session, argv: string[]): void {
  const cursor = parseScanCursor(s, argv[2]);
  if (cursor === null) return;
  const set = readSet(s, argv[1]);
  if (set === null) return;
  if (set === undefined) {
    replyScan(s, 0, []);
    return;
  }
  const options = parseScanOptions(s, argv, 3);
  if (options === null) return;
  const table = set.table;
  const page = scanPage(
    cursors,
    table ?? set,
    cursor,
    options.count,
    table === null ? set.members() : null,
    () => table!.keys(),
    table?.size ?? 0,
  );
  const out: string[] = [];
  for (const member of page.items) if (matches(options, member)) out.push(member);
  replyScan(s, page.cursor, out);
}

// ---------------------------------------------------------------------------------
// The command table

const KEY = { name: "key", type: "key", keySpecIndex: 0 } as const;
const KEYS = { ...KEY, multiple: true } as const;
const MEMBER = { name: "member", type: "string" } as const;
const MEMBERS = { ...MEMBER, multiple: true } as const;
const DESTINATION = { name: "destination", type: "key", keySpecIndex: 0 } as const;
const SOURCE_KEYS = { name: "key", type: "key", keySpecIndex: 1, multiple: true } as const;

// Key specs as Redis 7.0 declares them (COMMAND INFO; WATCH hears only the keys a
// write does not just read).
type Spec = NonNullable<CommandSpec["keySpecs"]>[number];
function keyAt(index: number, flags: string[], lastKey = 0): Spec {
  return { flags, begin: { index }, find: { range: { lastKey, step: 1, limit: 0 } } };
}
const ONE_KEY_SPEC = (flags: string[]) => [keyAt(1, flags)];
const SOURCES_SPEC = (flags: string[]) => [keyAt(1, flags, -1)];
const STORE_SPEC = (destination: string[]) => [
  keyAt(1, destination),
  keyAt(2, ["RO", "access"], -1),
];
const ORDER_TIP = ["nondeterministic_output_order"];
const OUTPUT_TIP = ["nondeterministic_output"];

/** A set command's record: by default one key, the first argument. */
const spec = familySpec("set");

/** The set commands. */
export const setCommands: CommandSpec[] = [
  spec({
    name: "sadd",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    categories: ["set"],
    summary: "Adds members to a set (creating it); answers how many were new.",
    since: "1.0.0",
    complexity: "O(1) per member",
    keySpecs: ONE_KEY_SPEC(["RW", "insert"]),
    args: [KEY, MEMBERS],
    handler: sadd,
  }),
  spec({
    name: "srem",
    arity: -3,
    flags: ["write", "fast"],
    categories: ["set"],
    summary: "Removes members from a set (and the key once empty); answers how many were there.",
    since: "1.0.0",
    complexity: "O(1) per member",
    keySpecs: ONE_KEY_SPEC(["RW", "delete"]),
    args: [KEY, MEMBERS],
    handler: srem,
  }),
  spec({
    name: "scard",
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["set"],
    summary: "Answers the number of members of a set.",
    since: "1.0.0",
    complexity: "O(1)",
    keySpecs: ONE_KEY_SPEC(["RO"]),
    args: [KEY],
    handler: scard,
  }),
  spec({
    name: "sismember",
    arity: 3,
    flags: ["readonly", "fast"],
    categories: ["set"],
    summary: "Answers 1 when the set has the member, 0 otherwise.",
    since: "1.0.0",
    complexity: "O(1)",
    keySpecs: ONE_KEY_SPEC(["RO"]),
    args: [KEY, MEMBER],
    handler: sismember,
  }),
  spec({
    name: "smismember",
    arity: -3,
    flags: ["readonly", "fast"],
    categories: ["set"],
    summary: "Answers 1 or 0 for each named member: whether the set has it.",
    since: "6.2.0",
    complexity: "O(1) per member",
    keySpecs: ONE_KEY_SPEC(["RO", "access"]),
    args: [KEY, MEMBERS],
    handler: smismember,
  }),
  spec({
    name: "smembers",
    arity: 2,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers every member of a set.",
    since: "1.0.0",
    complexity: "O(N) in the size of the set",
    keySpecs: ONE_KEY_SPEC(["RO", "access"]),
    tips: ORDER_TIP,
    args: [KEY],
    handler: sinter,
  }),
  spec({
    name: "spop",
    arity: -2,
    flags: ["write", "fast"],
    categories: ["set"],
    summary: "Removes and answers one random member, or up to count distinct ones.",
    since: "1.0.0",
    complexity: "O(1), or O(N) in the count",
    keySpecs: ONE_KEY_SPEC(["RW", "access", "delete"]),
    tips: OUTPUT_TIP,
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: spop,
  }),
  spec({
    name: "srandmember",
    arity: -2,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers random members without removing them: distinct for a positive count, " +
      "repeats allowed for a negative one.",
    since: "1.0.0",
    complexity: "O(1), or O(N) in the count",
    keySpecs: ONE_KEY_SPEC(["RO", "access"]),
    tips: OUTPUT_TIP,
    args: [KEY, { name: "count", type: "integer", optional: true }],
    handler: srandmember,
  }),
  spec({
    name: "smove",
    arity: 4,
    flags: ["write", "fast"],
    categories: ["set"],
    summary: "Moves a member from one set to another; answers 1 if it was moved.",
    since: "1.0.0",
    complexity: "O(1)",
    lastKey: 2,
    keySpecs: [keyAt(1, ["RW", "access", "delete"]), keyAt(2, ["RW", "insert"])],
    args: [
      { name: "source", type: "key", keySpecIndex: 0 },
      { name: "destination", type: "key", keySpecIndex: 1 },
      MEMBER,
    ],
    handler: smove,
  }),
  spec({
    name: "sinter",
    arity: -2,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers the members present in every one of the sets.",
    since: "1.0.0",
    complexity: "O(N*M) worst case: N the smallest set's size, M the number of sets",
    lastKey: -1,
    keySpecs: SOURCES_SPEC(["RO", "access"]),
    tips: ORDER_TIP,
    args: [KEYS],
    handler: sinter,
  }),
  spec({
    name: "sintercard",
    arity: -3,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers how many members the sets have in common, counting up to an optional limit.",
    since: "7.0.0",
    complexity: "O(N*M) worst case: N the smallest set's size, M the number of sets",
    firstKey: 0,
    lastKey: 0,
    step: 0,
    keySpecs: [{
      flags: ["RO", "access"],
      begin: { index: 1 },
      find: { keynum: { keyNumIndex: 0, firstKey: 1, step: 1 } },
    }],
    args: [
      { name: "numkeys", type: "integer" },
      KEYS,
      { name: "limit", type: "integer", token: "LIMIT", optional: true },
    ],
    handler: sintercard,
  }),
  spec({
    name: "sinterstore",
    arity: -3,
    flags: ["write", "denyoom"],
    categories: ["set", "slow"],
    summary: "Stores the intersection of sets in a key (deleting it when empty); answers its size.",
    since: "1.0.0",
    complexity: "O(N*M) worst case: N the smallest set's size, M the number of sets",
    lastKey: -1,
    keySpecs: STORE_SPEC(["RW", "update"]),
    args: [DESTINATION, SOURCE_KEYS],
    handler: sinterstore,
  }),
  spec({
    name: "sunion",
    arity: -2,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers the members present in any of the sets.",
    since: "1.0.0",
    complexity: "O(N) in the total size of the sets",
    lastKey: -1,
    keySpecs: SOURCES_SPEC(["RO", "access"]),
    tips: ORDER_TIP,
    args: [KEYS],
    handler: sunion,
  }),
  spec({
    name: "sunionstore",
    arity: -3,
    flags: ["write", "denyoom"],
    categories: ["set", "slow"],
    summary: "Stores the union of sets in a key (deleting it when empty); answers its size.",
    since: "1.0.0",
    complexity: "O(N) in the total size of the sets",
    lastKey: -1,
    keySpecs: STORE_SPEC(["OW", "update"]),
    args: [DESTINATION, SOURCE_KEYS],
    handler: sunionstore,
  }),
  spec({
    name: "sdiff",
    arity: -2,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Answers the members of the first set that none of the other sets has.",
    since: "1.0.0",
    complexity: "O(N) in the total size of the sets",
    lastKey: -1,
    keySpecs: SOURCES_SPEC(["RO", "access"]),
    tips: ORDER_TIP,
    args: [KEYS],
    handler: sdiff,
  }),
  spec({
    name: "sdiffstore",
    arity: -3,
    flags: ["write", "denyoom"],
    categories: ["set", "slow"],
    summary: "Stores the difference of sets in a key (deleting it when empty); answers its size.",
    since: "1.0.0",
    complexity: "O(N) in the total size of the sets",
    lastKey: -1,
    keySpecs: STORE_SPEC(["OW", "update"]),
    args: [DESTINATION, SOURCE_KEYS],
    handler: sdiffstore,
  }),
  spec({
    name: "sscan",
    arity: -3,
    flags: ["readonly"],
    categories: ["set", "slow"],
    summary: "Walks the members of a set a few at a time with a cursor.",
    since: "2.8.0",
    complexity: "O(1) per call, O(N) for a whole walk",
    keySpecs: ONE_KEY_SPEC(["RO", "access"]),
    tips: OUTPUT_TIP,
    args: [
      KEY,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: sscan,
  }),
];
