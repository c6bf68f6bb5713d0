// Hash commands: HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN,
// HEXISTS, HSTRLEN, HDEL, HINCRBY, HINCRBYFLOAT, HSCAN, HRANDFIELD.

import { NOTIFY, perConfigChange } from "../config/mod.ts";
import {
  ERR_HASH_NOT_FLOAT,
  ERR_HASH_NOT_INTEGER,
  ERR_INCR_NAN_OR_INF,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_VALUE_NAN_OR_INF,
  errWrongArity,
} from "../protocol/errors.ts";
import { type HashLimits, HashValue } from "../store/hash.ts";
import { CursorRegistry } from "../store/scan.ts";
import { matches, parseScanCursor, parseScanOptions, replyScan, scanPage } from "./_scan.ts";
import { parseRandomCount } from "./_random_count.ts";
import { readTyped, writeTyped } from "./_lookup.ts";
import type { CommandSpec, Session } from "./context.ts";
import { familySpec, keyAt } from "./table.ts";
import { type FloatIncrReason, hashIncrementFailure, hincrByFloat } from "../util/long_double.ts";
import { INT64_MAX, INT64_MIN, parseInt64 } from "../util/int64.ts";

/** Open HSCAN iterations over hashtable-encoded hashes. */
const cursors = new CursorRegistry();

/** The limits a hashtable-encoded hash no longer needs (it never converts back). */
const NO_LIMITS: HashLimits = { maxListpackEntries: Infinity, maxListpackValue: Infinity };

// ---------------------------------------------------------------------------------
// Lookups: the hash at a key, undefined when missing, null (after replying WRONGTYPE)
// when the key holds another type. Reads count keyspace hits and misses as Redis's
// lookupKeyRead does; writes do not.

function readHash(s: Session, key: string): HashValue | undefined | null {
  return readTyped(s, key, HashValue);
}

function writeHash(s: Session, key: string): HashValue | undefined | null {
  return writeTyped(s, key, HashValue);
}

/** The hash at a key, created empty when missing; null after replying WRONGTYPE. */
function writeHashOrCreate(s: Session, key: string): HashValue | null {
  const hash = writeHash(s, key);
  if (hash !== undefined) return hash;
  const created = new HashValue();
  s.db.set(key, created);
  return created;
}

const listpackLimits = perConfigChange((config): HashLimits => ({
  maxListpackEntries: config.number("hash-max-listpack-entries"),
  maxListpackValue: config.number("hash-max-listpack-value"),
}));

// The listpack limits in force (hash-max-listpack-*), read once per config change.
function limits(s: Session, hash: HashValue): HashLimits {
  return hash.hashtable ? NO_LIMITS : listpackLimits(s.server.config);
}

// HRANDFIELD's reply: fields alone, or field/value pairs (see ReplyWriter.pairsLen).
function pairsHeader(s: Session, n: number, withValues: boolean): void {
  if (withValues) s.reply.pairsLen(n);
  else s.reply.arrayLen(n);
}

function pairReply(s: Session, field: string, value: string | undefined): void {
  if (value === undefined) {
    s.reply.bulk(field);
    return;
  }
  s.reply.pairStart();
  s.reply.bulk(field);
  s.reply.bulk(value);
}

// ---------------------------------------------------------------------------------
// Writes

// Sets the field/value pairs of HSET and HMSET; answers how many fields were new, or
// null after replying with an error.
function setFields(s: Session, argv: string[], name: string): number | null {
  if (argv.length % 2 !== 0) {
    s.reply.error(errWrongArity(name));
    return null;
  }
  const hash = writeHashOrCreate(s, argv[1]);
  if (hash === null) return null;
  const lim = limits(s, hash);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.set(argv[i], argv[i + 1], lim)) added++;
  }
  s.server.dirty += (argv.length - 2) / 2;
  s.notify(NOTIFY.HASH, "hset", argv[1]);
  return added;
}

/** HSET key field value [field value ...] */
function hset(s: Session, argv: string[]): void {
  const added = setFields(s, argv, "hset");
  if (added !== null) s.reply.integer(added);
}

/** HMSET key field value [field value ...]: HSET's old form, answering OK. */
function hmset(s: Session, argv: string[]): void {
  if (setFields(s, argv, "hmset") !== null) s.reply.ok();
}

/** HSETNX key field value */
function hsetnx(s: Session, argv: string[]): void {
  const hash = writeHashOrCreate(s, argv[1]);
  if (hash === null) return;
  if (hash.has(argv[2])) {
    s.reply.integer(0);
    return;
  }
  hash.set(argv[2], argv[3], limits(s, hash));
  s.server.dirty++;
  s.notify(NOTIFY.HASH, "hset", argv[1]);
  s.reply.integer(1);
}

/** HDEL key field [field ...]: a hash left empty is removed. */
function hdel(s: Session, argv: string[]): void {
  const hash = writeHash(s, argv[1]);
  if (hash === null) return;
  let deleted = 0;
  let emptied = false;
  if (hash !== undefined) {
    for (let i = 2; i < argv.length; i++) {
      if (!hash.delete(argv[i])) continue;
      deleted++;
      if (hash.size === 0) {
        s.db.delete(argv[1]);
        emptied = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    s.server.dirty += deleted;
    s.notify(NOTIFY.HASH, "hdel", argv[1]);
    if (emptied) s.notify(NOTIFY.GENERIC, "del", argv[1]);
  }
  s.reply.integer(deleted);
}

/** HINCRBY key field increment: signed 64-bit, refusing to overflow. */
function hincrby(s: Session, argv: string[]): void {
  const incr = parseInt64(argv[3]);
  if (incr === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const hash = writeHash(s, argv[1]);
  if (hash === null) return;
  let value = 0n;
  const current = hash?.get(argv[2]);
  if (current !== undefined) {
    const parsed = parseInt64(current);
    if (parsed === null) {
      s.reply.error(ERR_HASH_NOT_INTEGER);
      return;
    }
    value = parsed;
  }
  value += incr;
  if (value > INT64_MAX || value < INT64_MIN) {
    s.reply.error(ERR_OVERFLOW);
    return;
  }
  const target = hash ?? writeHashOrCreate(s, argv[1])!;
  target.set(argv[2], value.toString(), limits(s, target));
  s.server.dirty++;
  s.notify(NOTIFY.HASH, "hincrby", argv[1]);
  s.reply.integer(value);
}

/** HINCRBYFLOAT's reply for each way a float increment fails. */
const HASH_FLOAT_ERRORS: Record<FloatIncrReason, string> = {
  "increment-not-float": ERR_NOT_FLOAT,
  "increment-infinite": ERR_VALUE_NAN_OR_INF,
  "value-not-float": ERR_HASH_NOT_FLOAT,
  "nan-or-infinity": ERR_INCR_NAN_OR_INF,
};

/**
 * HINCRBYFLOAT key field increment: long double arithmetic, printed as Redis prints
 * it, and propagated as an HSET of the result so replicas never recompute it.
 */
function hincrbyfloat(s: Session, argv: string[]): void {
  const refused = hashIncrementFailure(argv[3]);
  if (refused !== null) {
    s.reply.error(HASH_FLOAT_ERRORS[refused]);
    return;
  }
  const hash = writeHash(s, argv[1]);
  if (hash === null) return;
  const result = hincrByFloat(hash?.get(argv[2]) ?? null, argv[3]);
  if ("reason" in result) {
    s.reply.error(HASH_FLOAT_ERRORS[result.reason]);
    return;
  }
  const target = hash ?? writeHashOrCreate(s, argv[1])!;
  target.set(argv[2], result.value, limits(s, target));
  s.server.dirty++;
  s.notify(NOTIFY.HASH, "hincrbyfloat", argv[1]);
  s.propagateAs(["HSET", argv[1], argv[2], result.value]);
  s.reply.bulk(result.value);
}

// ---------------------------------------------------------------------------------
// Reads

/** HGET key field */
function hget(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  const value = hash?.get(argv[2]);
  if (value === undefined) s.reply.null();
  else s.reply.bulk(value);
}

/** HMGET key field [field ...]: nil for each missing field. */
function hmget(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const value = hash?.get(argv[i]);
    if (value === undefined) s.reply.null();
    else s.reply.bulk(value);
  }
}

/** HGETALL key: a map in RESP3, a flat array in RESP2. */
function hgetall(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    s.reply.mapLen(0);
    return;
  }
  s.reply.mapLen(hash.size);
  for (const [field, value] of hash.fields) {
    s.reply.bulk(field);
    s.reply.bulk(value);
  }
}

/** HKEYS key */
function hkeys(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    s.reply.arrayLen(0);
    return;
  }
  s.reply.arrayLen(hash.size);
  for (const field of hash.fields.keys()) s.reply.bulk(field);
}

/** HVALS key */
function hvals(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    s.reply.arrayLen(0);
    return;
  }
  s.reply.arrayLen(hash.size);
  for (const value of hash.fields.values()) s.reply.bulk(value);
}

/** HLEN key */
function hlen(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash !== null) s.reply.integer(hash?.size ?? 0);
}

/** HEXISTS key field */
function hexists(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash !== null) s.reply.integer(hash?.has(argv[2]) ? 1 : 0);
}

/** HSTRLEN key field: 0 for a missing field or key. */
function hstrlen(s: Session, argv: string[]): void {
  const hash = readHash(s, argv[1]);
  if (hash !== null) s.reply.integer(hash?.get(argv[2])?.length ?? 0);
}

// ---------------------------------------------------------------------------------
// HSCAN

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-encoded hash comes back
 * whole with cursor 0, as in Redis; a hashtable-encoded one is walked COUNT fields at
 * a time by a live iterator, which returns every field present for the whole scan.
 */
function hscan(s: Session, argv: string[]): void {
  const cursor = parseScanCursor(s, argv[2]);
  if (cursor === null) return;
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) {
    replyScan(s, 0, []);
    return;
  }
  const options = parseScanOptions(s, argv, 3);
  if (options === null) return;
  const page = scanPage(
    cursors,
    hash,
    cursor,
    options.count,
    hash.hashtable ? null : hash.fields,
    () => hash.fields.entries(),
    hash.size,
  );
  const out: string[] = [];
  for (const [field, value] of page.items) {
    if (matches(options, field)) out.push(field, value);
  }
  replyScan(s, page.cursor, out);
}

// ---------------------------------------------------------------------------------
// HRANDFIELD

/** HRANDFIELD key [count [WITHVALUES]] */
function hrandfield(s: Session, argv: string[]): void {
  if (argv.length >= 3) {
    const parsed = parseRandomCount(s, argv, "withvalues");
    if (parsed !== null) hrandfieldWithCount(s, argv[1], parsed.count, parsed.withPairs);
    return;
  }
  const hash = readHash(s, argv[1]);
  if (hash === null) return;
  if (hash === undefined) s.reply.null();
  else s.reply.bulk(hash.randomField());
}

function hrandfieldWithCount(s: Session, key: string, n: bigint, withValues: boolean): void {
  const hash = readHash(s, key);
  if (hash === null) return;
  if (hash === undefined || n === 0n) {
    s.reply.arrayLen(0);
    return;
  }
  const size = hash.size;
  const valueOf = (field: string) => withValues ? hash.fields.get(field) : undefined;

  // Negative: that many picks, repeats allowed, in random order (as is a count of 1).
  if (n < 0n || n === 1n) {
    const count = Number(n < 0n ? -n : n);
    const order = hash.fieldArray();
    pairsHeader(s, count, withValues);
    for (let i = 0; i < count; i++) {
      const field = order[Math.floor(Math.random() * order.length)];
      pairReply(s, field, valueOf(field));
      // The client is closed once over its output limit: the rest would be wasted.
      if (i % 1000 === 999 && s.outputLimitReached()) break;
    }
    return;
  }

  // Asking for the whole hash or more: every field, in the hash's order.
  if (n >= BigInt(size)) {
    pairsHeader(s, size, withValues);
    for (const [field, value] of hash.fields) pairReply(s, field, withValues ? value : undefined);
    return;
  }

  const count = Number(n);
  pairsHeader(s, count, withValues);
  if (!hash.hashtable || count * 3 > size) {
    // Selection sampling: distinct fields, kept in the hash's order (Redis does this
    // for listpacks, and keeps the survivors' order when the count is close to size).
    let needed = count;
    let left = size;
    for (const [field, value] of hash.fields) {
      if (Math.random() * left < needed) {
        pairReply(s, field, withValues ? value : undefined);
        if (--needed === 0) break;
      }
      left--;
    }
    return;
  }
  // A few fields out of many: random distinct picks, in random order.
  const order = hash.fieldArray();
  const picked = new Set<number>();
  while (picked.size < count) {
    const i = Math.floor(Math.random() * order.length);
    if (picked.has(i)) continue;
    picked.add(i);
    pairReply(s, order[i], valueOf(order[i]));
  }
}

// ---------------------------------------------------------------------------------
// The command table

const KEY = { name: "key", type: "key", keySpecIndex: 0 } as const;
const FIELD = { name: "field", type: "string" } as const;
const FIELD_VALUE = {
  name: "field_value",
  type: "block",
  multiple: true,
  arguments: [FIELD, { name: "value", type: "string" }],
} as const;

/** A hash command's record: every one takes its key as the first argument. */
const spec = familySpec("hash");

/** The hash commands. */
export const hashCommands: CommandSpec[] = [
  spec({
    name: "hset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    categories: ["hash"],
    summary: "Sets one or more fields of a hash; answers how many fields were new.",
    since: "2.0.0",
    complexity: "O(1) per field",
    args: [KEY, FIELD_VALUE],
    handler: hset,
  }),
  spec({
    name: "hsetnx",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "insert"])],
    categories: ["hash"],
    summary: "Sets a field of a hash only when the field is absent.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY, FIELD, { name: "value", type: "string" }],
    handler: hsetnx,
  }),
  spec({
    name: "hmset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    categories: ["hash"],
    summary: "Sets one or more fields of a hash and answers OK (the old form of HSET).",
    since: "2.0.0",
    complexity: "O(1) per field",
    args: [KEY, FIELD_VALUE],
    handler: hmset,
  }),
  spec({
    name: "hget",
    arity: 3,
    flags: ["readonly", "fast"],
    categories: ["hash"],
    summary: "Answers the value of one field of a hash, or nil.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY, FIELD],
    handler: hget,
  }),
  spec({
    name: "hmget",
    arity: -3,
    flags: ["readonly", "fast"],
    categories: ["hash"],
    summary: "Answers the values of the named fields of a hash, nil for each absent one.",
    since: "2.0.0",
    complexity: "O(1) per field",
    args: [KEY, { ...FIELD, multiple: true }],
    handler: hmget,
  }),
  spec({
    name: "hgetall",
    arity: 2,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    summary: "Answers every field and value of a hash.",
    since: "2.0.0",
    complexity: "O(N) in the size of the hash",
    tips: ["nondeterministic_output_order"],
    args: [KEY],
    handler: hgetall,
  }),
  spec({
    name: "hkeys",
    arity: 2,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    summary: "Answers every field name of a hash.",
    since: "2.0.0",
    complexity: "O(N) in the size of the hash",
    tips: ["nondeterministic_output_order"],
    args: [KEY],
    handler: hkeys,
  }),
  spec({
    name: "hvals",
    arity: 2,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    summary: "Answers every value of a hash.",
    since: "2.0.0",
    complexity: "O(N) in the size of the hash",
    tips: ["nondeterministic_output_order"],
    args: [KEY],
    handler: hvals,
  }),
  spec({
    name: "hlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    categories: ["hash"],
    summary: "Answers the number of fields in a hash.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: hlen,
  }),
  spec({
    name: "hexists",
    arity: 3,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    categories: ["hash"],
    summary: "Answers 1 when a hash has the field, 0 otherwise.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY, FIELD],
    handler: hexists,
  }),
  spec({
    name: "hstrlen",
    arity: 3,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    categories: ["hash"],
    summary: "Answers the length in bytes of one field's value, 0 when absent.",
    since: "3.2.0",
    complexity: "O(1)",
    args: [KEY, FIELD],
    handler: hstrlen,
  }),
  spec({
    name: "hdel",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    categories: ["hash"],
    summary: "Removes fields from a hash (and the key once empty); answers how many existed.",
    since: "2.0.0",
    complexity: "O(1) per field",
    args: [KEY, { ...FIELD, multiple: true }],
    handler: hdel,
  }),
  spec({
    name: "hincrby",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    categories: ["hash"],
    summary: "Adds an integer to a field of a hash (absent counts as 0); answers the sum.",
    since: "2.0.0",
    complexity: "O(1)",
    args: [KEY, FIELD, { name: "increment", type: "integer" }],
    handler: hincrby,
  }),
  spec({
    name: "hincrbyfloat",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    categories: ["hash"],
    summary: "Adds a decimal number to a field of a hash (absent counts as 0); answers the sum.",
    since: "2.6.0",
    complexity: "O(1)",
    args: [KEY, FIELD, { name: "increment", type: "double" }],
    handler: hincrbyfloat,
  }),
  spec({
    name: "hscan",
    arity: -3,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    summary: "Walks the fields and values of a hash a few at a time with a cursor.",
    since: "2.8.0",
    complexity: "O(1) per call, O(N) for a whole walk",
    tips: ["nondeterministic_output"],
    args: [
      KEY,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: hscan,
  }),
  spec({
    name: "hrandfield",
    arity: -2,
    flags: ["readonly"],
    categories: ["hash", "slow"],
    summary: "Answers random fields of a hash: distinct for a positive count, repeats allowed " +
      "for a negative one, optionally with their values.",
    since: "6.2.0",
    complexity: "O(N) in the number of fields answered",
    tips: ["nondeterministic_output"],
    args: [
      KEY,
      {
        name: "options",
        type: "block",
        optional: true,
        arguments: [
          { name: "count", type: "integer" },
          { name: "withvalues", type: "pure-token", token: "WITHVALUES", optional: true },
        ],
      },
    ],
    handler: hrandfield,
  }),
];
