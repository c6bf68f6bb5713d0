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
// `expireAt` (absolute Unix milliseconds) is present only for keys with a TTL; past
// 2^53 it is a string of digits. Keys come database by database, sorted by their bytes.

import { HashValue } from "../store/hash.ts";
import type { Database, ExpireTime, Keyspace } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import { toLatin1 } from "../store/string.ts";
import { isString, type TypeName, type Value } from "../store/value.ts";
import { SortedSetValue } from "../store/zset.ts";
import {
  buildValue,
  type EncodingLimits,
  objectSize,
  type RdbObject,
  ValueError,
} from "./rdb_values.ts";

/** A byte string as written: text, or base64 when the bytes are not UTF-8. */
export type JsonText = string | { base64: string };

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

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
// Any byte past 0x7f means the text needs UTF-8 handling.
const NOT_ASCII = /[\u0080-\uffff]/;

/** A one-byte string (the store's bytes) as JSON text. */
export function toJsonText(bytes: string): JsonText {
  if (!NOT_ASCII.test(bytes)) return bytes;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = bytes.charCodeAt(i);
  try {
    return utf8Decoder.decode(raw);
  } catch {
    return { base64: btoa(bytes) };
  }
}

/** JSON text back to a one-byte string; null when it is neither form. */
export function fromJsonText(text: unknown): string | null {
  if (typeof text === "string") {
    if (!NOT_ASCII.test(text)) return text;
    const raw = utf8Encoder.encode(text);
    let out = "";
    for (let i = 0; i < raw.length; i += 8192) {
      out += String.fromCharCode(...raw.subarray(i, Math.min(raw.length, i + 8192)));
    }
    return out;
  }
  if (
    typeof text === "object" && text !== null && Object.keys(text).length === 1 &&
    typeof (text as { base64: unknown }).base64 === "string"
  ) {
    try {
      return atob((text as { base64: string }).base64);
    } catch {
      return null;
    }
  }
  return null;
}

function scoreJson(score: number): number | string {
  if (score === Infinity) return "inf";
  if (score === -Infinity) return "-inf";
  if (Object.is(score, -0)) return "-0";
  return score;
}

function scoreFromJson(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (value === "inf") return Infinity;
  if (value === "-inf") return -Infinity;
  if (value === "-0") return -0;
  return null;
}

/** The JSON form of one value. */
function valueJson(value: Value): { type: TypeName; value: unknown } {
  if (isString(value)) {
    return {
      type: "string",
      value: toJsonText(typeof value === "string" ? value : toLatin1(value)),
    };
  }
  if (value instanceof ListValue) return { type: "list", value: value.toArray().map(toJsonText) };
  if (value instanceof SetValue) return { type: "set", value: value.toArray().map(toJsonText) };
  if (value instanceof SortedSetValue) {
    const out: [JsonText, number | string][] = [];
    for (const [member, score] of value.entries()) out.push([toJsonText(member), scoreJson(score)]);
    return { type: "zset", value: out };
  }
  const hash = value as HashValue;
  const out: [JsonText, JsonText][] = [];
  for (const [field, v] of hash.fields) out.push([toJsonText(field), toJsonText(v)]);
  return { type: "hash", value: out };
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
  const texts = (items: unknown, what: string): string[] => {
    if (!Array.isArray(items)) return fail(`a ${type} value must be an array of ${what}`);
    return items.map((item) => fromJsonText(item) ?? fail(`bad ${what} in the ${type} value`));
  };
  const pairs = (items: unknown, what: string): [unknown, unknown][] => {
    if (!Array.isArray(items)) return fail(`a ${type} value must be an array of ${what}`);
    for (const pair of items) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        fail(`a ${type} value must be an array of ${what}`);
      }
    }
    return items as [unknown, unknown][];
  };
  let obj: RdbObject;
  switch (type) {
    case "string": {
      const s = fromJsonText(value);
      if (s === null) return fail(`a string value must be a string or {"base64": ...}`);
      obj = { kind: "string", value: s };
      break;
    }
    case "list":
      obj = { kind: "list", items: texts(value, "elements") };
      break;
    case "set":
      obj = { kind: "set", members: texts(value, "members") };
      break;
    case "zset": {
      const entries = pairs(value, "[member, score] pairs");
      const members: string[] = [];
      const scores: number[] = [];
      for (const [member, score] of entries) {
        members.push(fromJsonText(member) ?? fail("bad member in the zset value"));
        const n = scoreFromJson(score);
        if (n === null) fail(`bad score ${JSON.stringify(score)} in the zset value`);
        scores.push(n!);
      }
      obj = { kind: "zset", members, scores, packed: false };
      break;
    }
    case "hash": {
      const flat: string[] = [];
      for (const [field, v] of pairs(value, "[field, value] pairs")) {
        flat.push(fromJsonText(field) ?? fail("bad field in the hash value"));
        flat.push(fromJsonText(v) ?? fail("bad value in the hash value"));
      }
      obj = { kind: "hash", pairs: flat, packed: false };
      break;
    }
    default:
      return fail(`unknown type ${JSON.stringify(type)}`);
  }
  if (objectSize(obj) === 0) return fail(`an empty ${type} (Redis never stores one)`);
  const db: Database = keyspace.databases[dbId];
  if (db.data.has(key)) {
    return fail(`key ${JSON.stringify(record.key)} appears twice in db ${dbId}`);
  }
  if (expireAt !== undefined && Number(expireAt) <= now) return "expired";
  let stored: Value;
  try {
    stored = buildValue(obj, limits);
  } catch (error) {
    if (error instanceof ValueError) return fail(error.message);
    throw error;
  }
  db.set(key, stored);
  if (expireAt !== undefined) db.setExpire(key, expireAt);
  return "loaded";
}
