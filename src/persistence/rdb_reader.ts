// Reads RDB files (versions 1 to 10) and DUMP payloads: everything Redis 7.0.15
// writes, and the older encodings it still loads (ziplists, zipmaps, the first
// quicklist format, text scores). Any truncation or corruption is an RdbError naming
// the byte offset where it was found.

import type { ExpireTime } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import { Crc64 } from "./crc64.ts";
import { decodeIntset } from "./intset.ts";
import { decodeListpack } from "./listpack.ts";
import {
  ByteReader,
  latin1,
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME,
  OP_EXPIRETIME_MS,
  OP_FREQ,
  OP_FUNCTION2,
  OP_FUNCTION_PRE_GA,
  OP_IDLE,
  OP_MODULE_AUX,
  OP_RESIZEDB,
  OP_SELECTDB,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_VERSION,
  RdbError,
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_HASH_ZIPLIST,
  TYPE_HASH_ZIPMAP,
  TYPE_LIST,
  TYPE_LIST_QUICKLIST,
  TYPE_LIST_QUICKLIST_2,
  TYPE_LIST_ZIPLIST,
  TYPE_MODULE_2,
  TYPE_MODULE_PRE_GA,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_STREAM_LISTPACKS,
  TYPE_STREAM_LISTPACKS_2,
  TYPE_STRING,
  TYPE_ZSET,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  TYPE_ZSET_ZIPLIST,
} from "./rdb_format.ts";
import {
  buildValue,
  DEFAULT_LIMITS,
  type EncodingLimits,
  objectSize,
  type RdbObject,
  ValueError,
} from "./rdb_values.ts";
import { decodeZiplist, decodeZipmap } from "./ziplist.ts";

/** One key read from a file. */
export interface LoadedKey {
  db: number;
  key: string;
  value: Value;
  /** Absolute expiry time in Unix ms (a bigint past 2^53), or undefined. */
  expireAt: ExpireTime | undefined;
  /** Seconds idle (IDLE opcode), when the file has it. */
  idleSeconds?: number;
  /** The LFU counter (FREQ opcode), when the file has it. */
  frequency?: number;
}

/** How a file is read. */
export interface ReadOptions {
  /** Encoding thresholds deciding how loaded values are encoded (Redis's defaults). */
  limits?: EncodingLimits;
  /** Skip keys whose time has run out, as a master does (default true). */
  skipExpired?: boolean;
  /** "Now" for skipping expired keys (default Date.now()). */
  now?: number;
  /** Check the trailing CRC64 (rdbchecksum; default true). 0 stored = not computed. */
  verifyChecksum?: boolean;
  /** Number of databases: a SELECTDB beyond it is an error. */
  databases?: number;
  /**
   * Loads one FUNCTION library (its code, shebang included), in file order: null when
   * it loaded, else why not (as Redis words it, without "ERR "), which fails the read
   * as it fails Redis's load. Without it, a file holding libraries is refused.
   */
  onFunction?(code: string): string | null;
}

/** What reading a file found besides its keys. */
export interface ReadSummary {
  version: number;
  /** AUX fields, values as one-byte strings. */
  aux: Map<string, string>;
  keys: number;
  expiredSkipped: number;
  emptySkipped: number;
  /** Bytes consumed, checksum included. */
  bytes: number;
  /** RESIZEDB hints seen, per database. */
  sizeHints: Map<number, { keys: number; expires: number }>;
  /** FUNCTION libraries loaded (through `onFunction`). */
  functions: number;
}

/**
 * Reads a whole RDB file, calling `onKey` for each live key in file order (`onKey`
 * returns false when the key is already there: a corrupt file). Throws an
 * RdbError (with the byte offset) on truncation, corruption, a bad checksum, or data
 * Redeno cannot hold (streams, modules; functions without `onFunction`). Libraries
 * come after the AUX fields and before the first database, as Redis writes them.
 */
export function readRdb(
  bytes: Uint8Array,
  onKey: (entry: LoadedKey) => boolean | void,
  options: ReadOptions = {},
): ReadSummary {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const skipExpired = options.skipExpired ?? true;
  const now = options.now ?? Date.now();
  const r = new ByteReader(bytes);
  if (bytes.length < 9 || latin1(bytes, 0, 5) !== "REDIS") {
    r.fail("not an RDB file (no REDIS signature)", 0);
  }
  const versionText = latin1(bytes, 5, 9);
  if (!/^[0-9]{4}$/.test(versionText)) r.fail(`bad RDB version "${versionText}"`, 5);
  const version = Number(versionText);
  if (version < 1 || version > RDB_VERSION) {
    r.fail(`can't handle RDB format version ${version}`, 5);
  }
  r.pos = 9;
  const summary: ReadSummary = {
    version,
    aux: new Map(),
    keys: 0,
    expiredSkipped: 0,
    emptySkipped: 0,
    bytes: 0,
    sizeHints: new Map(),
    functions: 0,
  };
  let db = 0;
  let expireAt: ExpireTime | undefined;
  let idleSeconds: number | undefined;
  let frequency: number | undefined;
  while (true) {
    const opStart = r.pos;
    const type = r.u8();
    if (type === OP_EXPIRETIME) {
      expireAt = r.i32le() * 1000;
      continue;
    }
    if (type === OP_EXPIRETIME_MS) {
      const ms = r.i64le();
      expireAt = ms >= -BigInt(Number.MAX_SAFE_INTEGER) && ms <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(ms)
        : ms;
      continue;
    }
    if (type === OP_FREQ) {
      frequency = r.u8();
      continue;
    }
    if (type === OP_IDLE) {
      idleSeconds = r.length();
      continue;
    }
    if (type === OP_EOF) break;
    if (type === OP_SELECTDB) {
      db = r.length();
      if (options.databases !== undefined && db >= options.databases) {
        r.fail(
          `the file uses database ${db}, but only ${options.databases} are configured`,
          opStart,
        );
      }
      continue;
    }
    if (type === OP_RESIZEDB) {
      const keys = r.length();
      const expires = r.length();
      summary.sizeHints.set(db, { keys, expires });
      continue;
    }
    if (type === OP_AUX) {
      const name = r.string();
      const value = r.string();
      summary.aux.set(name, value);
      continue;
    }
    if (type === OP_MODULE_AUX) {
      r.fail("the file holds module data (MODULE_AUX), which Redeno cannot load", opStart);
    }
    if (type === OP_FUNCTION2 || type === OP_FUNCTION_PRE_GA) {
      const onFunction = options.onFunction;
      if (onFunction === undefined) {
        return r.fail(
          "the file holds functions (FUNCTION LOAD libraries), which Redeno cannot load here",
          opStart,
        );
      }
      const record = readFunctionRecord(r, type);
      const problem = "error" in record ? record.error : onFunction(record.code);
      if (problem !== null) r.fail(`Failed loading library, ${problem}`, opStart);
      summary.functions++;
      continue;
    }
    const key = r.string();
    const entryExpire = expireAt;
    const entryIdle = idleSeconds;
    const entryFreq = frequency;
    expireAt = idleSeconds = frequency = undefined;
    let value: Value;
    if (type === TYPE_STRING) {
      // The common case, without the intermediate form.
      value = r.stringValue();
    } else {
      const obj = readObject(r, type, opStart);
      if (objectSize(obj) === 0) {
        summary.emptySkipped++;
        continue;
      }
      if (skipExpired && entryExpire !== undefined && entryExpire < now) {
        summary.expiredSkipped++;
        continue;
      }
      try {
        value = buildValue(obj, limits);
      } catch (error) {
        if (error instanceof ValueError) r.fail(error.message, opStart);
        throw error;
      }
    }
    if (skipExpired && entryExpire !== undefined && entryExpire < now) {
      summary.expiredSkipped++;
      continue;
    }
    summary.keys++;
    const entry: LoadedKey = { db, key, value, expireAt: entryExpire };
    if (entryIdle !== undefined) entry.idleSeconds = entryIdle;
    if (entryFreq !== undefined) entry.frequency = entryFreq;
    if (onKey(entry) === false) r.fail(`duplicate key "${key}" in database ${db}`, opStart);
  }
  if (version >= 5) {
    const crcAt = r.pos;
    r.need(8);
    if (options.verifyChecksum ?? true) {
      const stored = r.view(8);
      if (stored.some((b) => b !== 0)) {
        const crc = new Crc64().update(bytes.subarray(0, crcAt));
        if (!crc.matchesLE(stored, 0)) {
          const got = new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0, true);
          r.fail(
            `wrong RDB checksum: expected ${hex(got)}, computed ${hex(crc.value())}`,
            crcAt,
          );
        }
      }
    } else {
      r.pos += 8;
    }
  }
  summary.bytes = r.pos;
  return summary;
}

/**
 * One FUNCTION library record, after its opcode, as Redis 7.0.15 reads it. FUNCTION2
 * (0xF5) holds the library's code, shebang included. The pre-GA format (0xF6, written
 * by the 7.0 release candidates) holds the name, the engine, a description flag (and
 * the description) and the code without a shebang; Redis loads it as the code
 * `#!<engine> name=<name>\n<code>`, dropping the description. Returns the code, or
 * why the record cannot be read (Redis's words, for FUNCTION RESTORE's reply and the
 * load error).
 */
export function readFunctionRecord(
  r: ByteReader,
  type: number,
): { code: string } | { error: string } {
  const read = <T>(what: string, fn: () => T): T | { error: string } => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof RdbError) return { error: `Failed loading ${what}` };
      throw error;
    }
  };
  const failed = (v: unknown): v is { error: string } =>
    typeof v === "object" && v !== null && "error" in v;
  if (type === OP_FUNCTION2) {
    const code = read("library payload", () => r.string());
    return failed(code) ? code : { code };
  }
  const name = read("library name", () => r.string());
  if (failed(name)) return name;
  const engine = read("engine name", () => r.string());
  if (failed(engine)) return engine;
  const described = read("library description", () => r.length());
  if (failed(described)) return described;
  if (described !== 0) {
    const description = read("library description", () => r.string());
    if (failed(description)) return description;
  }
  const code = read("library blob", () => r.string());
  if (failed(code)) return code;
  return { code: `#!${engine} name=${name}\n${code}` };
}

function hex(n: bigint): string {
  return n.toString(16).padStart(16, "0");
}

/**
 * Reads one value body of the given RDB type into its intermediate form. `typeAt` is
 * the offset of the type byte, for errors about the type itself.
 */
export function readObject(r: ByteReader, type: number, typeAt: number): RdbObject {
  switch (type) {
    case TYPE_STRING:
      return { kind: "string", value: r.stringValue() };
    case TYPE_LIST: {
      const n = r.count(1);
      const items = new Array<string>(n);
      for (let i = 0; i < n; i++) items[i] = r.string();
      return { kind: "list", items };
    }
    case TYPE_SET: {
      const n = r.count(1);
      const members = new Array<string>(n);
      for (let i = 0; i < n; i++) members[i] = r.string();
      return { kind: "set", members };
    }
    case TYPE_ZSET:
    case TYPE_ZSET_2: {
      const n = r.count(2);
      const members = new Array<string>(n);
      const scores = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        members[i] = r.string();
        const at = r.pos;
        scores[i] = type === TYPE_ZSET_2 ? r.f64le() : r.textDouble();
        if (Number.isNaN(scores[i])) r.fail("sorted set score is NaN", at);
      }
      return { kind: "zset", members, scores, packed: false };
    }
    case TYPE_HASH: {
      const n = r.count(2);
      const pairs = new Array<string>(n * 2);
      for (let i = 0; i < n * 2; i++) pairs[i] = r.string();
      return { kind: "hash", pairs, packed: false };
    }
    case TYPE_HASH_ZIPMAP: {
      const [blob, at] = blobOf(r);
      return { kind: "hash", pairs: decodeZipmap(blob, at), packed: true };
    }
    case TYPE_LIST_ZIPLIST: {
      const [blob, at] = blobOf(r);
      return { kind: "list", items: decodeZiplist(blob, at) };
    }
    case TYPE_SET_INTSET: {
      const [blob, at] = blobOf(r);
      return { kind: "set", members: decodeIntset(blob, at) };
    }
    case TYPE_ZSET_ZIPLIST:
    case TYPE_ZSET_LISTPACK: {
      const [blob, at] = blobOf(r);
      const flat = type === TYPE_ZSET_LISTPACK ? decodeListpack(blob, at) : decodeZiplist(blob, at);
      if (flat.length % 2 !== 0) r.fail("sorted set blob with an odd number of elements", at);
      const n = flat.length / 2;
      const members = new Array<string>(n);
      const scores = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        members[i] = flat[2 * i];
        const score = parseScore(flat[2 * i + 1]);
        if (score === null) r.fail(`invalid score "${flat[2 * i + 1]}" in sorted set blob`, at);
        scores[i] = score;
      }
      return { kind: "zset", members, scores, packed: true };
    }
    case TYPE_HASH_ZIPLIST:
    case TYPE_HASH_LISTPACK: {
      const [blob, at] = blobOf(r);
      const pairs = type === TYPE_HASH_LISTPACK
        ? decodeListpack(blob, at)
        : decodeZiplist(blob, at);
      if (pairs.length % 2 !== 0) r.fail("hash blob with an odd number of elements", at);
      return { kind: "hash", pairs, packed: true };
    }
    case TYPE_LIST_QUICKLIST:
    case TYPE_LIST_QUICKLIST_2: {
      const nodes = r.count(2);
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = QUICKLIST_NODE_PACKED;
        if (type === TYPE_LIST_QUICKLIST_2) {
          const at = r.pos;
          container = r.length();
          if (container !== QUICKLIST_NODE_PACKED && container !== QUICKLIST_NODE_PLAIN) {
            r.fail(`invalid quicklist node container ${container}`, at);
          }
        }
        const [blob, at] = blobOf(r);
        if (container === QUICKLIST_NODE_PLAIN) {
          items.push(latin1(blob));
          continue;
        }
        const decoded = type === TYPE_LIST_QUICKLIST_2
          ? decodeListpack(blob, at)
          : decodeZiplist(blob, at);
        // Redis drops empty nodes silently.
        for (const item of decoded) items.push(item);
      }
      return { kind: "list", items };
    }
    case TYPE_STREAM_LISTPACKS:
    case TYPE_STREAM_LISTPACKS_2:
      return r.fail("stream keys are not supported by Redeno", typeAt);
    case TYPE_MODULE_2:
    case TYPE_MODULE_PRE_GA:
      return r.fail("module keys are not supported by Redeno", typeAt);
    default:
      return r.fail(`unknown value type ${type}`, typeAt);
  }
}

// A string holding an encoded blob, and the blob's offset (a raw string is a view into
// the file; a compressed one has no offset of its own, so errors name its start).
function blobOf(r: ByteReader): [Uint8Array, number] {
  const start = r.pos;
  const first = r.buf[start];
  const blob = r.stringBytes();
  const at = first !== undefined && (first >> 6) === 3 ? start : r.pos - blob.length;
  return [blob, r.base + at];
}

/** A score as strtod reads what Redis writes into listpacks, or null. */
export function parseScore(text: string): number | null {
  const v = Number(text);
  if (!Number.isNaN(v) && text.trim() === text && text !== "") return v;
  switch (text.toLowerCase()) {
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Infinity;
    case "-inf":
    case "-infinity":
      return -Infinity;
  }
  return null;
}

/** Reads a DUMP payload's value; null when the version or checksum is wrong. */
export function verifyPayload(payload: Uint8Array): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  const crc = new Crc64().update(payload.subarray(0, payload.length - 8));
  return crc.matchesLE(payload, payload.length - 8);
}

/**
 * The value inside a DUMP payload whose version and checksum were verified
 * (`verifyPayload`). Returns null for an empty collection; throws RdbError on bad data.
 */
export function readPayload(payload: Uint8Array, limits: EncodingLimits): Value | null {
  // Like Redis, read from the whole payload: a value that claims more bytes than its
  // body has runs on into the version and checksum bytes rather than failing.
  const r = new ByteReader(payload);
  const type = r.u8();
  if (type >= OP_FUNCTION2) r.fail(`unknown value type ${type}`, 0);
  const obj = readObject(r, type, 0);
  if (objectSize(obj) === 0) return null;
  try {
    return buildValue(obj, limits);
  } catch (error) {
    if (error instanceof ValueError) r.fail(error.message, 0);
    throw error;
  }
}
