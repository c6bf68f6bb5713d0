// Reads RDB files (versions 1 to 10) and DUMP payloads: everything Redis 7.0.15
// writes, and the older encodings it still loads (ziplists, zipmaps, the first
// quicklist format, text scores). This file reads the framing (header, AUX fields,
// opcodes, functions, checksum); each value is read by the codec registered for its
// type byte (codecs/). Any truncation or corruption is an RdbError naming the byte
// offset where it was found.

import type { ExpireTime } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import {
  DEFAULT_LIMITS,
  type EncodingLimits,
  type ValueCodec,
  ValueError,
} from "./codecs/codec.ts";
import { codecForRdbType } from "./codecs/mod.ts";
import { Crc64 } from "./crc64.ts";
import {
  ByteReader,
  latin1,
  MoreBytesNeeded,
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
  RDB_VERSION,
  RdbError,
  TYPE_MODULE_2,
  TYPE_MODULE_PRE_GA,
  TYPE_STRING,
} from "./rdb_format.ts";

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
  /** Hears each key skipped because its time had run out (a master feeds a DEL). */
  onExpired?(db: number, key: string): void;
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
  /**
   * Hears a database's RESIZEDB hint: how many keys are coming, bounded by what the
   * bytes left could hold (a corrupt hint must not make the loader reserve gigabytes).
   */
  onSizeHint?(db: number, keys: number): void;
}

/** What reading a file found besides its keys. */
export interface ReadSummary {
  version: number;
  /** AUX fields, values as one-byte strings. */
  aux: Map<string, string>;
  keys: number;
  expiredSkipped: number;
  emptySkipped: number;
  /** The keys of the empty collections skipped, in file order (Redis logs each). */
  emptyKeys: string[];
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
 * Redeno cannot hold (modules; functions without `onFunction`). Libraries
 * come after the AUX fields and before the first database, as Redis writes them.
 */
export function readRdb(
  bytes: Uint8Array,
  onKey: (entry: LoadedKey) => boolean | void,
  options: ReadOptions = {},
): ReadSummary {
  const steps = readRdbInSteps(bytes, onKey, options, Infinity);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/**
 * readRdb, pausing after the key that takes it `every` bytes past its last pause: it
 * yields how far it has read, and the caller resumes it (after serving its clients, as
 * a start-up load does).
 */
export function readRdbInSteps(
  bytes: Uint8Array,
  onKey: (entry: LoadedKey) => boolean | void,
  options: ReadOptions,
  every: number,
): Generator<number, ReadSummary> {
  return readRdbFrom(new ByteReader(bytes), onKey, options, every);
}

/** What readRdbFrom yields when its open reader has run out of bytes. */
export const MORE_BYTES = -1;

/**
 * readRdbInSteps from a reader that may be open (a snapshot still arriving): a record
 * that runs past the bytes so far is read again from its start once the reader has
 * more (its caller extends it and resumes the read, which yields MORE_BYTES meanwhile).
 * Nothing is passed on from a record until the whole record has been read.
 */
export function* readRdbFrom(
  r: ByteReader,
  onKey: (entry: LoadedKey) => boolean | void,
  options: ReadOptions,
  every: number,
): Generator<number, ReadSummary> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const skipExpired = options.skipExpired ?? true;
  const now = options.now ?? Date.now();
  yield* bytesFor(r, 9);
  if (r.buf.length < 9 || latin1(r.buf, 0, 5) !== "REDIS") {
    r.fail("not an RDB file (no REDIS signature)", 0);
  }
  const versionText = latin1(r.buf, 5, 9);
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
    emptyKeys: [],
    bytes: 0,
    sizeHints: new Map(),
    functions: 0,
  };
  let db = 0;
  let pausedAt = 0;
  let expireAt: ExpireTime | undefined;
  let idleSeconds: number | undefined;
  let frequency: number | undefined;
  while (true) {
    const opStart = r.pos;
    try {
      const type = r.u8();
      if (type < OP_FUNCTION2) {
        // A key and its value; a string's decoded form is its store value.
        const key = r.string();
        const entryExpire = expireAt;
        const entryIdle = idleSeconds;
        const entryFreq = frequency;
        let value: Value;
        if (type === TYPE_STRING) {
          try {
            value = r.stringValue();
          } catch (error) {
            throw inKey(error, key, type);
          }
          expireAt = idleSeconds = frequency = undefined;
          if (skipExpired && entryExpire !== undefined && entryExpire < now) {
            summary.expiredSkipped++;
            options.onExpired?.(db, key);
            continue;
          }
        } else {
          let decoded: unknown;
          let codec: ValueCodec;
          try {
            codec = codecFor(r, type, opStart);
            decoded = codec.readRdb(r, type);
          } catch (error) {
            throw inKey(error, key, type);
          }
          expireAt = idleSeconds = frequency = undefined;
          if (codec.decodedSize(decoded) === 0) {
            summary.emptySkipped++;
            summary.emptyKeys.push(key);
            continue;
          }
          if (skipExpired && entryExpire !== undefined && entryExpire < now) {
            summary.expiredSkipped++;
            options.onExpired?.(db, key);
            continue;
          }
          try {
            value = build(r, codec, decoded, limits, opStart);
          } catch (error) {
            throw inKey(error, key, type);
          }
        }
        summary.keys++;
        const entry: LoadedKey = { db, key, value, expireAt: entryExpire };
        if (entryIdle !== undefined) entry.idleSeconds = entryIdle;
        if (entryFreq !== undefined) entry.frequency = entryFreq;
        if (onKey(entry) === false) r.fail(`duplicate key "${key}" in database ${db}`, opStart);
        if (r.pos - pausedAt >= every) yield pausedAt = r.pos;
        continue;
      }
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
        // A key takes at least 3 bytes (type, name length, value); a file still
        // arriving has an unknown rest, so the hint is trusted only so far.
        const most = r.open ? 1 << 20 : Math.floor((r.buf.length - r.pos) / 3);
        options.onSizeHint?.(db, Math.min(keys, most));
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
    } catch (error) {
      if (!(error instanceof MoreBytesNeeded)) throw error;
      r.pos = opStart;
      yield MORE_BYTES;
    }
  }
  if (version >= 5) {
    const crcAt = r.pos;
    yield* bytesFor(r, 8);
    r.need(8);
    if (options.verifyChecksum ?? true) {
      const stored = r.view(8);
      if (stored.some((b) => b !== 0)) {
        const crc = new Crc64().update(r.buf.subarray(0, crcAt));
        if (!crc.matchesLE(stored, 0)) {
          const got = new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0, true);
          // Redis's words ("RDB CRC error" is what tools and tests look for).
          r.fail(
            `wrong RDB checksum: expected ${hex(got)}, computed ${hex(crc.value())} ` +
              "(RDB CRC error)",
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

// Waits (yielding MORE_BYTES) until an open reader has `n` bytes past its position.
function* bytesFor(r: ByteReader, n: number): Generator<number, void> {
  while (r.open && r.remaining < n) yield MORE_BYTES;
}

/**
 * The AUX fields at the start of an RDB stream, from as much of it as has arrived: what
 * a full resync being received can tell before the keys come (used-mem, say).
 */
export function leadingAux(head: Uint8Array): Map<string, string> {
  const aux = new Map<string, string>();
  if (head.length < 9 || latin1(head, 0, 5) !== "REDIS") return aux;
  const r = new ByteReader(head, 9);
  try {
    while (r.pos < head.length && head[r.pos] === OP_AUX) {
      r.pos++;
      const name = r.string();
      aux.set(name, r.string());
    }
  } catch (error) {
    // The head ends inside a field: the fields before it are all there is so far.
    if (!(error instanceof RdbError)) throw error;
  }
  return aux;
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

// An RdbError found in the value of `key` (RDB type `type`), saying so.
function inKey(error: unknown, key: string, type: number): unknown {
  if (error instanceof RdbError) {
    error.key = key;
    error.type = type;
  }
  return error;
}

function hex(n: bigint): string {
  return n.toString(16).padStart(16, "0");
}

/**
 * The codec that reads values of RDB type `type`; types Redeno cannot hold fail at
 * `typeAt`, the offset of the type byte.
 */
function codecFor(r: ByteReader, type: number, typeAt: number): ValueCodec {
  const codec = codecForRdbType(type);
  if (codec !== undefined) return codec;
  switch (type) {
    case TYPE_MODULE_2:
    case TYPE_MODULE_PRE_GA:
      return r.fail("module keys are not supported by Redeno", typeAt);
    default:
      return r.fail(`unknown value type ${type}`, typeAt);
  }
}

// The store value for a decoded one; a duplicate member or field fails at `at`.
function build(
  r: ByteReader,
  codec: ValueCodec,
  decoded: unknown,
  limits: EncodingLimits,
  at: number,
): Value {
  try {
    return codec.build(decoded, limits);
  } catch (error) {
    if (error instanceof ValueError) r.fail(error.message, at);
    throw error;
  }
}

/**
 * True when a DUMP payload's RDB version is one we read and its checksum is right
 * (not checked with `checksum: false`, as after DEBUG SET-SKIP-CHECKSUM-VALIDATION 1).
 */
export function verifyPayload(payload: Uint8Array, options: { checksum?: boolean } = {}): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  if (options.checksum === false) return true;
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
  const codec = codecFor(r, type, 0);
  const decoded = codec.readRdb(r, type);
  if (codec.decodedSize(decoded) === 0) return null;
  return build(r, codec, decoded, limits, 0);
}
