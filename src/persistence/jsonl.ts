// The dataset as JSON Lines: one key a line, readable and diffable, binary-safe.
//
//   {"db":0,"key":"user:1","type":"hash","value":[["name","Ada"],["lang","TS"]]}
//   {"db":0,"key":"session","type":"string","expireAt":1795292166175,"value":"abc"}
//   {"db":2,"key":{"base64":"AP8="},"type":"zset","value":[["a",1.5],["b","inf"]]}
//
// Every byte string (key, value, element, field, member) is written as a JSON string
// when its bytes are valid UTF-8, else as {"base64": "..."}; reading turns either back
// into the exact bytes. Types and their values:
//
//   string  text                 list  [text, ...] head to tail
//   set     [text, ...]          hash  [[field, value], ...] in the hash's order
//   zset    [[member, score], ...] lowest score first; a score is a JSON number, or
//           "inf", "-inf" or "-0"
//
// (Each type's form is written and read by its codec, in codecs/.)
//
// `expireAt` (absolute Unix milliseconds) is present only for keys with a TTL; past
// 2^53 it is a string of digits. Keys come database by database, sorted by their bytes.

import type { Database, ExpireTime, Keyspace } from "../store/keyspace.ts";
import type { TypeName, Value } from "../store/value.ts";
import { type EncodingLimits, ValueError } from "./codecs/codec.ts";
import { codecNamed, codecOf } from "./codecs/mod.ts";
import { fromJsonText, type JsonText, toJsonText } from "./json_text.ts";

export { fromJsonText, type JsonText, toJsonText } from "./json_text.ts";

/** One line, parsed. */
export interface JsonlRecord {
  db: number;
  key: JsonText;
  type: TypeName;
  expireAt?: number | string;
  value: unknown;
}

/** A line that cannot be imported: the message names the line. */
export class JsonlError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
    this.name = "JsonlError";
  }
}

/** The JSON form of one value. */
function valueJson(value: Value): { type: TypeName; value: unknown } {
  const codec = codecOf(value);
  return { type: codec.type, value: codec.toJson(value) };
}

/** One key as a line (without the newline). */
export function keyLine(db: number, key: string, value: Value, expireAt?: ExpireTime): string {
  const { type, value: json } = valueJson(value);
  const record: JsonlRecord = { db, key: toJsonText(key), type, value: json };
  if (expireAt !== undefined) {
    const at = typeof expireAt === "bigint" && expireAt > BigInt(Number.MAX_SAFE_INTEGER)
      ? String(expireAt)
      : Number(expireAt);
    // Keep `value` last: it is the long part of a line.
    return JSON.stringify({ db, key: record.key, type, expireAt: at, value: json });
  }
  return JSON.stringify(record);
}

/**
 * Every live key of the keyspace as lines, database by database, keys sorted by their
 * bytes. Keys whose time has run out by `now` are left out.
 */
export function* exportLines(keyspace: Keyspace, now = Date.now()): Generator<string> {
  for (const db of keyspace.databases) {
    if (db.size === 0) continue;
    const keys = [...db.data.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const at = db.getExpireExact(key);
      if (at !== undefined && Number(at) <= now) continue;
      yield keyLine(db.id, key, db.data.get(key)!, at);
    }
  }
}

/** What importing one line did. */
export type ImportOutcome = "loaded" | "expired";

/**
 * Parses one line and stores its key in the keyspace. Throws JsonlError (naming the
 * line) for bad JSON, unknown types, values of the wrong shape, duplicate keys or
 * elements, empty collections and databases the keyspace does not have.
 */
export function importLine(
  text: string,
  lineNumber: number,
  keyspace: Keyspace,
  limits: EncodingLimits,
  now = Date.now(),
): ImportOutcome {
  const fail = (message: string): never => {
    throw new JsonlError(message, lineNumber);
  };
  let record: JsonlRecord;
  try {
    record = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    return fail("not a JSON object");
  }
  const { db: dbId, type, value } = record;
  if (!Number.isInteger(dbId) || dbId < 0 || dbId >= keyspace.databases.length) {
    return fail(`"db" must be a database number below ${keyspace.databases.length}`);
  }
  const key = fromJsonText(record.key);
  if (key === null) return fail(`"key" must be a string or {"base64": ...}`);
  let expireAt: ExpireTime | undefined;
  if (record.expireAt !== undefined) {
    const at = record.expireAt;
    if (typeof at === "number" && Number.isSafeInteger(at) && at >= 0) expireAt = at;
    else if (typeof at === "string" && /^[0-9]{1,19}$/.test(at)) expireAt = BigInt(at);
    else return fail(`"expireAt" must be Unix milliseconds`);
  }
  const codec = codecNamed(type);
  if (codec === undefined) return fail(`unknown type ${JSON.stringify(type)}`);
  const decoded = codec.fromJson(value, fail);
  if (codec.decodedSize(decoded) === 0) return fail(`an empty ${type} (Redis never stores one)`);
  const db: Database = keyspace.databases[dbId];
  if (db.data.has(key)) {
    return fail(`key ${JSON.stringify(record.key)} appears twice in db ${dbId}`);
  }
  if (expireAt !== undefined && Number(expireAt) <= now) return "expired";
  let stored: Value;
  try {
    stored = codec.build(decoded, limits);
  } catch (error) {
    if (error instanceof ValueError) return fail(error.message);
    throw error;
  }
  db.set(key, stored);
  if (expireAt !== undefined) db.setExpire(key, expireAt);
  return "loaded";
}
