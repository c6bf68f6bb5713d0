// Generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, the EXPIRE and TTL families,
// PERSIST, KEYS, SCAN, RENAME, RENAMENX, COPY, MOVE, SWAPDB, RANDOMKEY and WAIT.
//
// Lookups follow Redis's flavours: a read (EXISTS, TYPE, TTL, TOUCH, COPY's source)
// counts a keyspace hit or miss; a write lookup (EXPIRE, RENAME, MOVE ...) does not.
// TYPE, EXISTS and the TTL family do not count as an access (OBJECT IDLETIME).

import {
  ERR_DB_INDEX,
  ERR_INT_RANGE,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  errInvalidExpire,
} from "../protocol/errors.ts";
import { NOTIFY } from "../config/mod.ts";
import type { Database } from "../store/keyspace.ts";
import { cloneValue, freeEffort, typeOf, type Value } from "../store/value.ts";
import { collectSoon } from "../util/gc.ts";
import { globMatch } from "../util/glob.ts";
import { matches, parseScanCursor, parseScanOptions, registryCursor, replyScan } from "./_scan.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";
import { isWord } from "./_parse.ts";
import { INT64_MAX, INT64_MIN, parseInt64 } from "../util/int64.ts";
import { cString } from "../util/latin1.ts";

const ERR_SAME_OBJECT = "ERR source and destination objects are the same";
const ERR_NX_AND_OTHERS = "ERR NX and XX, GT or LT options at the same time are not compatible";
const ERR_GT_AND_LT = "ERR GT and LT options at the same time are not compatible";

/** An argument in an `ERR ... %s` message: ends at a NUL, newlines become spaces. */
function formatArg(text: string): string {
  return cString(text).replace(/[\r\n]/g, " ");
}

// A read lookup (Redis's lookupKeyRead with LOOKUP_NOTOUCH): counts a hit or a miss,
// and a miss fires `keymiss`.
function readNoTouch(s: Session, key: string): Value | undefined {
  const value = s.db.peek(key);
  if (value === undefined) keyMiss(s, key);
  else s.server.stats.keyspaceHits++;
  return value;
}

// A read lookup that found nothing.
function keyMiss(s: Session, key: string): void {
  s.server.stats.keyspaceMisses++;
  s.notify(NOTIFY.KEY_MISS, "keymiss", key);
}

// A signed 32-bit integer (getIntFromObjectOrReply); replies and returns null otherwise.
function intArg(s: Session, text: string, message?: string): number | null {
  const n = parseInt64(text);
  if (n === null) {
    s.reply.error(message ?? ERR_NOT_INTEGER);
    return null;
  }
  if (n < -2147483648n || n > 2147483647n) {
    s.reply.error(message ?? ERR_INT_RANGE);
    return null;
  }
  return Number(n);
}

// The database with this index, or null (after replying) when out of range.
function databaseAt(s: Session, index: number): Database | null {
  const db = s.server.keyspace.databases[index];
  if (index < 0 || db === undefined) {
    s.reply.error(ERR_DB_INDEX);
    return null;
  }
  return db;
}

/** DEL key [key ...] and UNLINK key [key ...] (values are freed by the GC either way). */
function del(s: Session, argv: string[]): void {
  if (s.server.config.bool("lazyfree-lazy-user-del")) {
    unlink(s, argv);
    return;
  }
  let removed = 0;
  for (let i = 1; i < argv.length; i++) {
    if (!s.db.delete(argv[i])) continue;
    removed++;
    s.keyChanged(argv[i]);
    s.notify(NOTIFY.GENERIC, "del", argv[i]);
  }
  s.server.dirty += removed;
  s.reply.integer(removed);
}

// Above this much freeing work, Redis frees a value in the background.
const LAZYFREE_THRESHOLD = 64;

/** UNLINK key [key ...]: DEL, with large values freed in the background. */
function unlink(s: Session, argv: string[]): void {
  let removed = 0;
  let lazy = 0;
  for (let i = 1; i < argv.length; i++) {
    const value = s.db.get(argv[i]);
    if (value === undefined || !s.db.delete(argv[i])) continue;
    if (freeEffort(value) > LAZYFREE_THRESHOLD) lazy++;
    removed++;
    s.keyChanged(argv[i]);
    s.notify(NOTIFY.GENERIC, "del", argv[i]);
  }
  if (lazy > 0) {
    s.server.stats.lazyfreedObjects += lazy;
    collectSoon();
  }
  s.server.dirty += removed;
  s.reply.integer(removed);
}

/** EXISTS key [key ...]: a key named twice counts twice. */
function exists(s: Session, argv: string[]): void {
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    if (readNoTouch(s, argv[i]) !== undefined) found++;
  }
  s.reply.integer(found);
}

/** TYPE key: a simple string, "none" for a missing key. */
function type(s: Session, argv: string[]): void {
  const value = readNoTouch(s, argv[1]);
  s.reply.simple(value === undefined ? "none" : typeOf(value));
}

/** TOUCH key [key ...]: counts the existing keys, refreshing their access time. */
function touch(s: Session, argv: string[]): void {
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    if (s.db.get(argv[i]) !== undefined) {
      s.server.stats.keyspaceHits++;
      found++;
    } else {
      keyMiss(s, argv[i]);
    }
  }
  s.reply.integer(found);
}

const EXPIRE_NX = 1, EXPIRE_XX = 2, EXPIRE_GT = 4, EXPIRE_LT = 8;

// NX | XX | GT | LT after EXPIRE's first two arguments; null after replying an error.
function expireFlags(s: Session, argv: string[]): number | null {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (option === "nx") flags |= EXPIRE_NX;
    else if (option === "xx") flags |= EXPIRE_XX;
    else if (option === "gt") flags |= EXPIRE_GT;
    else if (option === "lt") flags |= EXPIRE_LT;
    else {
      s.reply.error(`ERR Unsupported option ${formatArg(argv[i])}`);
      return null;
    }
  }
  if ((flags & EXPIRE_NX) && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
    s.reply.error(ERR_NX_AND_OTHERS);
    return null;
  }
  if ((flags & EXPIRE_GT) && (flags & EXPIRE_LT)) {
    s.reply.error(ERR_GT_AND_LT);
    return null;
  }
  return flags;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT key time [NX | XX | GT | LT]. A time already
 * past deletes the key (propagated as DEL); otherwise the TTL is propagated as
 * PEXPIREAT with the absolute time in ms, options kept.
 */
function expireCommand(name: string, relative: boolean, seconds: boolean) {
  return (s: Session, argv: string[]): void => {
    const key = argv[1];
    const flags = expireFlags(s, argv);
    if (flags === null) return;
    let when = parseInt64(argv[2]);
    if (when === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (seconds) {
      if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
        s.reply.error(errInvalidExpire(name));
        return;
      }
      when *= 1000n;
    }
    const now = Date.now();
    const base = relative ? BigInt(now) : 0n;
    if (when > INT64_MAX - base) {
      s.reply.error(errInvalidExpire(name));
      return;
    }
    when += base;
    if (s.db.get(key) === undefined) {
      s.reply.integer(0);
      return;
    }
    if (flags !== 0) {
      const at = s.db.getExpireExact(key);
      const current = at === undefined ? undefined : BigInt(at);
      if (
        ((flags & EXPIRE_NX) && current !== undefined) ||
        ((flags & EXPIRE_XX) && current === undefined) ||
        ((flags & EXPIRE_GT) && (current === undefined || when <= current)) ||
        ((flags & EXPIRE_LT) && current !== undefined && when >= current)
      ) {
        s.reply.integer(0);
        return;
      }
    }
    s.server.dirty++;
    // A time already past deletes the key, except while loading the AOF or on a
    // replica (Redis's checkAlreadyExpired): there the key keeps the past time and
    // expires as any other, the AOF's later commands or the master deciding until then.
    if (when <= BigInt(now) && !s.mustObey && !s.server.replication.isReplica) {
      s.db.delete(key);
      s.propagateAs(["DEL", key]);
      s.notify(NOTIFY.GENERIC, "del", key);
    } else {
      s.db.setExpire(key, when);
      const command = name === "pexpireat" ? argv[0] : "PEXPIREAT";
      s.propagateAs([command, key, String(when), ...argv.slice(3)]);
      s.notify(NOTIFY.GENERIC, "expire", key);
    }
    s.reply.integer(1);
  };
}

/**
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME key: -2 for a missing key, -1 without a TTL.
 * Second replies round to the nearest second.
 */
function ttlCommand(milliseconds: boolean, absolute: boolean) {
  return (s: Session, argv: string[]): void => {
    if (readNoTouch(s, argv[1]) === undefined) {
      s.reply.integer(-2);
      return;
    }
    const at = s.db.getExpireExact(argv[1]);
    if (at === undefined) {
      s.reply.integer(-1);
      return;
    }
    let ttl = absolute ? BigInt(at) : BigInt(at) - BigInt(Date.now());
    if (ttl < 0n) ttl = 0n;
    // Redis's (ttl + 500) / 1000 does not wrap at INT64_MAX on the real server.
    s.reply.integer(milliseconds ? ttl : (ttl + 500n) / 1000n);
  };
}

/** PERSIST key: 1 when a TTL was removed. */
function persist(s: Session, argv: string[]): void {
  if (s.db.get(argv[1]) !== undefined && s.db.persist(argv[1])) {
    s.server.dirty++;
    s.notify(NOTIFY.GENERIC, "persist", argv[1]);
    s.reply.integer(1);
  } else {
    s.reply.integer(0);
  }
}

/** KEYS pattern: every live key matching; expired keys are hidden, not removed. */
function keys(s: Session, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === "*";
  const db = s.db;
  const now = Date.now();
  const found: string[] = [];
  for (const key of db.data.keys()) {
    if ((all || globMatch(pattern, key)) && !db.isExpired(key, now)) found.push(key);
  }
  s.reply.arrayLen(found.length);
  for (const key of found) s.reply.bulk(key);
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. Cursors name live iterators
 * (see CursorRegistry): a key present from the first call to the last is returned.
 * COUNT keys are visited per call and then filtered, so a reply can be short or empty
 * while the iteration goes on.
 */
function scan(s: Session, argv: string[]): void {
  const cursor = parseScanCursor(s, argv[1]);
  if (cursor === null) return;
  const options = parseScanOptions(s, argv, 2, true);
  if (options === null) return;
  const db = s.db;
  const step = db.scan(registryCursor(cursor), options.count);
  const found: string[] = [];
  for (const key of step.items) {
    if (!matches(options, key)) continue;
    const value = db.peek(key);
    if (value === undefined) continue;
    if (options.type !== null && typeOf(value) !== options.type) continue;
    found.push(key);
  }
  replyScan(s, step.cursor, found);
}

/** RENAME key newkey and RENAMENX key newkey: the value moves with its TTL. */
function renameCommand(nx: boolean) {
  return (s: Session, argv: string[]): void => {
    const [, from, to] = argv;
    if (s.db.get(from) === undefined) {
      s.reply.error(ERR_NO_SUCH_KEY);
      return;
    }
    if (from === to) {
      if (nx) s.reply.integer(0);
      else s.reply.ok();
      return;
    }
    if (s.db.get(to) !== undefined) {
      if (nx) {
        s.reply.integer(0);
        return;
      }
      s.db.delete(to);
    }
    // A replaced destination is deleted quietly and created again (`new`, not `del`).
    s.db.put(to, s.db.take(from)!);
    s.server.dirty++;
    s.notify(NOTIFY.GENERIC, "rename_from", from);
    s.notify(NOTIFY.GENERIC, "rename_to", to);
    if (nx) s.reply.integer(1);
    else s.reply.ok();
  };
}

/** COPY source destination [DB destination-db] [REPLACE]: a deep copy, TTL included. */
function copy(s: Session, argv: string[]): void {
  const [, from, to] = argv;
  let replace = false;
  let target = s.db;
  for (let i = 3; i < argv.length; i++) {
    if (isWord(argv[i], "replace")) {
      replace = true;
    } else if (isWord(argv[i], "db") && i + 1 < argv.length) {
      const index = intArg(s, argv[++i]);
      if (index === null) return;
      const db = databaseAt(s, index);
      if (db === null) return;
      target = db;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (target === s.db && from === to) {
    s.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const value = s.db.get(from);
  if (value === undefined) {
    keyMiss(s, from);
    s.reply.integer(0);
    return;
  }
  s.server.stats.keyspaceHits++;
  const expireAt = s.db.getExpireExact(from);
  if (target.get(to) !== undefined) {
    if (!replace) {
      s.reply.integer(0);
      return;
    }
    target.delete(to);
  }
  target.set(to, cloneValue(value));
  if (expireAt !== undefined) target.setExpire(to, expireAt);
  s.server.dirty++;
  s.keyChanged(to, target.id);
  s.notify(NOTIFY.GENERIC, "copy_to", to, target.id);
  s.reply.integer(1);
}

/** MOVE key db: 1 when moved; 0 when missing here or present there. */
function move(s: Session, argv: string[]): void {
  const index = intArg(s, argv[2]);
  if (index === null) return;
  const target = databaseAt(s, index);
  if (target === null) return;
  if (target === s.db) {
    s.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const key = argv[1];
  if (s.db.get(key) === undefined || target.get(key) !== undefined) {
    s.reply.integer(0);
    return;
  }
  target.put(key, s.db.take(key)!);
  s.server.dirty++;
  s.keyChanged(key);
  s.keyChanged(key, target.id);
  s.notify(NOTIFY.GENERIC, "move_from", key);
  s.notify(NOTIFY.GENERIC, "move_to", key, target.id);
  s.reply.integer(1);
}

/** SWAPDB index1 index2: clients stay on their database number and see the other data. */
function swapdb(s: Session, argv: string[]): void {
  const first = intArg(s, argv[1], "ERR invalid first DB index");
  if (first === null) return;
  const second = intArg(s, argv[2], "ERR invalid second DB index");
  if (second === null) return;
  const count = s.server.keyspace.databases.length;
  if (first < 0 || first >= count || second < 0 || second >= count) {
    s.reply.error(ERR_DB_INDEX);
    return;
  }
  // A database swapped with itself: nothing moves, and no watched key is touched (it
  // still counts as a change, as in Redis).
  if (first !== second) {
    s.databaseChanged(first, second);
    s.server.keyspace.swap(first, second);
  }
  s.server.dirty++;
  s.reply.ok();
}

/** RANDOMKEY: a random live key, or nil. */
function randomkey(s: Session): void {
  const key = s.db.randomKey();
  if (key === undefined) s.reply.null();
  else s.reply.bulk(key);
}

// ---- The command table ----

// Key specs as Redis 7.0 declares them (COMMAND INFO; WATCH hears only the keys a write
// does not just read).
type KeySpecs = NonNullable<CommandSpec["keySpecs"]>;
function keyAt(index: number, flags: string[], lastKey = 0): KeySpecs[number] {
  return { flags, begin: { index }, find: { range: { lastKey, step: 1, limit: 0 } } };
}
const MULTI_SHARD = ["request_policy:multi_shard", "response_policy:agg_sum"];

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };
const KEYS_ARG: ArgDoc = { name: "key", type: "key", keySpecIndex: 0, multiple: true };
const oneKey = { firstKey: 1, lastKey: 1, step: 1 } as const;
const allKeys = { firstKey: 1, lastKey: -1, step: 1 } as const;
const noKeys = { firstKey: 0, lastKey: 0, step: 0 } as const;
const EXPIRE_CONDITION: ArgDoc = {
  name: "condition",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "nx", type: "pure-token", token: "NX" },
    { name: "xx", type: "pure-token", token: "XX" },
    { name: "gt", type: "pure-token", token: "GT" },
    { name: "lt", type: "pure-token", token: "LT" },
  ],
};

function expireSpec(
  name: string,
  relative: boolean,
  seconds: boolean,
  summary: string,
  since: string,
): CommandSpec {
  const time: ArgDoc = relative
    ? { name: seconds ? "seconds" : "milliseconds", type: "integer" }
    : { name: seconds ? "unix-time-seconds" : "unix-time-milliseconds", type: "unix-time" };
  return {
    ...oneKey,
    name,
    arity: -3,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    keySpecs: [keyAt(1, ["RW", "update"])],
    args: [KEY, time, EXPIRE_CONDITION],
    handler: expireCommand(name, relative, seconds),
  };
}

function ttlSpec(
  name: string,
  milliseconds: boolean,
  absolute: boolean,
  summary: string,
  since: string,
): CommandSpec {
  return {
    ...oneKey,
    name,
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    keySpecs: [keyAt(1, ["RO", "access"])],
    // A TTL changes with the clock; an absolute expiry time does not.
    tips: absolute ? undefined : ["nondeterministic_output"],
    args: [KEY],
    handler: ttlCommand(milliseconds, absolute),
  };
}

/** The generic key commands. */
export const keyCommands: CommandSpec[] = [
  {
    ...allKeys,
    name: "del",
    keySpecs: [keyAt(1, ["RM", "delete"], -1)],
    tips: MULTI_SHARD,
    arity: -2,
    flags: ["write"],
    // Constant work per key: a removed value is dropped, not freed now (Redis frees it).
    timedWhenSlow: true,
    categories: ["keyspace"],
    group: "generic",
    summary: "Removes keys; answers how many existed.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys, plus the size of each removed value",
    args: [KEYS_ARG],
    handler: del,
  },
  {
    ...allKeys,
    name: "unlink",
    keySpecs: [keyAt(1, ["RM", "delete"], -1)],
    tips: MULTI_SHARD,
    arity: -2,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Removes keys like DEL, leaving the freeing of memory for later.",
    since: "4.0.0",
    complexity: "O(1) per key removed",
    args: [KEYS_ARG],
    handler: unlink,
  },
  {
    ...allKeys,
    name: "exists",
    keySpecs: [keyAt(1, ["RO"], -1)],
    tips: MULTI_SHARD,
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Counts how many of the named keys exist.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys",
    args: [KEYS_ARG],
    handler: exists,
  },
  {
    ...oneKey,
    name: "type",
    keySpecs: [keyAt(1, ["RO"])],
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Answers the type of the value at a key, or none.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: type,
  },
  {
    ...allKeys,
    name: "touch",
    keySpecs: [keyAt(1, ["RO"], -1)],
    tips: MULTI_SHARD,
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Marks keys as just accessed; answers how many exist.",
    since: "3.2.1",
    complexity: "O(N) in the number of keys",
    args: [KEYS_ARG],
    handler: touch,
  },
  expireSpec("expire", true, true, "Gives a key a time to live in seconds.", "1.0.0"),
  expireSpec("pexpire", true, false, "Gives a key a time to live in milliseconds.", "2.6.0"),
  expireSpec("expireat", false, true, "Makes a key expire at a Unix time in seconds.", "1.2.0"),
  expireSpec(
    "pexpireat",
    false,
    false,
    "Makes a key expire at a Unix time in milliseconds.",
    "2.6.0",
  ),
  ttlSpec("ttl", false, false, "Answers a key's remaining time to live in seconds.", "1.0.0"),
  ttlSpec("pttl", true, false, "Answers a key's remaining time to live in milliseconds.", "2.6.0"),
  ttlSpec("expiretime", false, true, "Answers when a key expires, as Unix seconds.", "7.0.0"),
  ttlSpec("pexpiretime", true, true, "Answers when a key expires, as Unix milliseconds.", "7.0.0"),
  {
    ...oneKey,
    name: "persist",
    keySpecs: [keyAt(1, ["RW", "update"])],
    arity: 2,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Removes a key's time to live.",
    since: "2.2.0",
    complexity: "O(1)",
    args: [KEY],
    handler: persist,
  },
  {
    ...noKeys,
    name: "keys",
    tips: ["request_policy:all_shards", "nondeterministic_output_order"],
    arity: 2,
    flags: ["readonly"],
    categories: ["keyspace", "dangerous"],
    group: "generic",
    summary: "Answers every key matching a glob-style pattern.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys",
    args: [{ name: "pattern", type: "pattern" }],
    handler: keys,
  },
  {
    ...noKeys,
    name: "scan",
    tips: ["nondeterministic_output", "request_policy:special"],
    arity: -2,
    flags: ["readonly"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Walks the keys a few at a time with a cursor.",
    since: "2.8.0",
    complexity: "O(1) per call, O(N) for a complete iteration",
    args: [
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
      { name: "type", type: "string", token: "TYPE", optional: true },
    ],
    handler: scan,
  },
  {
    firstKey: 1,
    lastKey: 2,
    step: 1,
    name: "rename",
    keySpecs: [keyAt(1, ["RW", "access", "delete"]), keyAt(2, ["OW", "update"])],
    arity: 3,
    flags: ["write"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Renames a key, replacing any key with the new name.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "newkey", type: "key", keySpecIndex: 1 }],
    handler: renameCommand(false),
  },
  {
    firstKey: 1,
    lastKey: 2,
    step: 1,
    name: "renamenx",
    keySpecs: [keyAt(1, ["RW", "access", "delete"]), keyAt(2, ["OW", "insert"])],
    arity: 3,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Renames a key only when the new name is free.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "newkey", type: "key", keySpecIndex: 1 }],
    handler: renameCommand(true),
  },
  {
    firstKey: 1,
    lastKey: 2,
    step: 1,
    name: "copy",
    beyondKeys: true,
    keySpecs: [keyAt(1, ["RO", "access"]), keyAt(2, ["OW", "update"])],
    arity: -3,
    flags: ["write", "denyoom"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Copies a key's value (and TTL) to another key, possibly in another database.",
    since: "6.2.0",
    complexity: "O(N) in the size of the value",
    args: [
      { name: "source", type: "key", keySpecIndex: 0 },
      { name: "destination", type: "key", keySpecIndex: 1 },
      { name: "destination-db", type: "integer", token: "DB", optional: true },
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
    ],
    handler: copy,
  },
  {
    ...oneKey,
    name: "move",
    beyondKeys: true,
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    arity: 3,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Moves a key to another database.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [KEY, { name: "db", type: "integer" }],
    handler: move,
  },
  {
    ...noKeys,
    name: "swapdb",
    beyondKeys: true,
    arity: 3,
    flags: ["write", "fast"],
    categories: ["keyspace", "dangerous"],
    group: "server",
    summary: "Exchanges the contents of two databases.",
    since: "4.0.0",
    complexity: "O(N) in the number of clients watching or blocked on keys",
    args: [{ name: "index1", type: "integer" }, { name: "index2", type: "integer" }],
    handler: swapdb,
  },
  {
    ...noKeys,
    name: "randomkey",
    tips: ["request_policy:all_shards", "nondeterministic_output"],
    arity: 1,
    flags: ["readonly"],
    categories: ["keyspace"],
    group: "generic",
    summary: "Answers a random key, or nil when the database is empty.",
    since: "1.0.0",
    complexity: "O(1)",
    handler: randomkey,
  },
];
