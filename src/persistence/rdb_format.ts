// The RDB file format's building blocks: opcodes and type numbers, the length and
// string encodings, and a growable byte writer and a bounds-checked byte reader that
// name the file offset of whatever goes wrong.
//
// Lengths: 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits, big-endian), 0x80 + 32-bit
// big-endian, 0x81 + 64-bit big-endian; 11xxxxxx marks a specially encoded string:
// 0xC0/0xC1/0xC2 an 8/16/32-bit little-endian integer, 0xC3 an LZF-compressed string.

import { Buffer } from "node:buffer";
import { latin1 as byteText, type Latin1Buffer } from "../protocol/byte_strings.ts";
import { parseInteger } from "../util/int64.ts";
import { lzfCompress, lzfDecompress, LzfError } from "./lzf.ts";

/** The RDB version Redis 7.0 writes (and the newest it reads). */
export const RDB_VERSION = 10;

// Opcodes.
export const OP_FUNCTION2 = 0xf5;
export const OP_FUNCTION_PRE_GA = 0xf6;
export const OP_MODULE_AUX = 0xf7;
export const OP_IDLE = 0xf8;
export const OP_FREQ = 0xf9;
export const OP_AUX = 0xfa;
export const OP_RESIZEDB = 0xfb;
export const OP_EXPIRETIME_MS = 0xfc;
export const OP_EXPIRETIME = 0xfd;
export const OP_SELECTDB = 0xfe;
export const OP_EOF = 0xff;

// Value types.
export const TYPE_STRING = 0;
export const TYPE_LIST = 1;
export const TYPE_SET = 2;
export const TYPE_ZSET = 3;
export const TYPE_HASH = 4;
export const TYPE_ZSET_2 = 5;
export const TYPE_MODULE_PRE_GA = 6;
export const TYPE_MODULE_2 = 7;
export const TYPE_HASH_ZIPMAP = 9;
export const TYPE_LIST_ZIPLIST = 10;
export const TYPE_SET_INTSET = 11;
export const TYPE_ZSET_ZIPLIST = 12;
export const TYPE_HASH_ZIPLIST = 13;
export const TYPE_LIST_QUICKLIST = 14;
export const TYPE_STREAM_LISTPACKS = 15;
export const TYPE_HASH_LISTPACK = 16;
export const TYPE_ZSET_LISTPACK = 17;
export const TYPE_LIST_QUICKLIST_2 = 18;
export const TYPE_STREAM_LISTPACKS_2 = 19;

const TYPE_NAMES: Record<number, string> = {
  [TYPE_STRING]: "string",
  [TYPE_LIST]: "list",
  [TYPE_SET]: "set",
  [TYPE_ZSET]: "zset",
  [TYPE_HASH]: "hash",
  [TYPE_ZSET_2]: "zset (binary scores)",
  [TYPE_MODULE_PRE_GA]: "module (pre-GA)",
  [TYPE_MODULE_2]: "module",
  [TYPE_HASH_ZIPMAP]: "hash zipmap",
  [TYPE_LIST_ZIPLIST]: "list ziplist",
  [TYPE_SET_INTSET]: "set intset",
  [TYPE_ZSET_ZIPLIST]: "zset ziplist",
  [TYPE_HASH_ZIPLIST]: "hash ziplist",
  [TYPE_LIST_QUICKLIST]: "list quicklist (ziplist nodes)",
  [TYPE_STREAM_LISTPACKS]: "stream",
  [TYPE_HASH_LISTPACK]: "hash listpack",
  [TYPE_ZSET_LISTPACK]: "zset listpack",
  [TYPE_LIST_QUICKLIST_2]: "list quicklist",
  [TYPE_STREAM_LISTPACKS_2]: "stream (v2)",
};

/** A value type byte's name, for messages. */
export function rdbTypeName(type: number): string {
  return TYPE_NAMES[type] ?? "unknown type";
}

/** Quicklist node containers in LIST_QUICKLIST_2. */
export const QUICKLIST_NODE_PLAIN = 1;
export const QUICKLIST_NODE_PACKED = 2;

// Special string encodings (after the 11 marker bits).
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

/** The longest JS string V8 holds; string values past it stay bytes. */
export const MAX_JS_STRING = 536_870_888;

/** A problem in RDB data, with the offset (from the start of the file or payload). */
export class RdbError extends Error {
  /** What was wrong, without the offset. */
  readonly problem: string;
  /** In an RDB file: the key whose value was being read, and the value's type byte. */
  key?: string;
  type?: number;

  constructor(message: string, readonly offset: number) {
    super(`${message} at byte offset ${offset}`);
    this.name = "RdbError";
    this.problem = message;
  }
}

/**
 * The message of an RdbError found inside an encoded structure (listpack, ziplist,
 * intset, zipmap ...) named `what`, as Redis words the failure of its deep check.
 */
export function integrityFailure(what: string, problem: string): string {
  return `${what} integrity check failed: ${problem}`;
}

// ---------------------------------------------------------------------------
// Bytes <-> one-byte strings

/**
 * Bytes as a one-byte (latin1) string, each byte one char. The string is flat: built
 * up by concatenation, a key would be rebuilt (flattened) when first hashed, and a
 * value would keep the pieces.
 */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start <= 16) return end > start ? byteText(bytes as Latin1Buffer, start, end) : "";
  return byteText(latin1Buffer(bytes), start, end);
}

// The same memory as a Buffer, for its native latin1Slice.
function latin1Buffer(bytes: Uint8Array): Latin1Buffer {
  return (bytes instanceof Buffer
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Latin1Buffer;
}

// ---------------------------------------------------------------------------
// Writing

/** A Buffer, for its native latin1Write. */
type Latin1Writable = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
};

/** Strings longer than this are copied by the native latin1Write, shorter ones in JS. */
const NATIVE_LATIN1 = 64;

/** A growable output buffer. `take()` hands out what was written and starts afresh. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  #capacity: number;

  constructor(capacity = 64 * 1024) {
    this.#capacity = capacity;
    this.buf = Buffer.alloc(capacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + n));
      grown.set(this.buf.subarray(0, this.pos));
      this.buf = grown;
    }
  }

  /** The bytes written since the last `take`, and a fresh buffer for what follows. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.alloc(this.#capacity);
    this.pos = 0;
    return out;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A one-byte string's chars as bytes. */
  latin1(text: string): void {
    const n = text.length;
    this.ensure(n);
    if (n > NATIVE_LATIN1) {
      this.pos += (this.buf as Latin1Writable).latin1Write(text, this.pos, n);
      return;
    }
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  u16le(v: number): void {
    this.ensure(2);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.pos++] = v & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 24) & 0xff;
  }

  /** A signed 64-bit little-endian integer. */
  i64le(v: number | bigint): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setBigInt64(this.pos, BigInt(v), true);
    this.pos += 8;
  }

  /** An IEEE 754 double, little-endian (ZSET_2 scores). */
  f64le(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** An RDB length. */
  length(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) {
      b[this.pos++] = n;
    } else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >>> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b[this.pos++] = n >>> 24;
      b[this.pos++] = (n >>> 16) & 0xff;
      b[this.pos++] = (n >>> 8) & 0xff;
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = 0x81;
      const hi = Math.floor(n / 0x100000000);
      const lo = n >>> 0;
      b[this.pos++] = hi >>> 24;
      b[this.pos++] = (hi >>> 16) & 0xff;
      b[this.pos++] = (hi >>> 8) & 0xff;
      b[this.pos++] = hi & 0xff;
      b[this.pos++] = lo >>> 24;
      b[this.pos++] = (lo >>> 16) & 0xff;
      b[this.pos++] = (lo >>> 8) & 0xff;
      b[this.pos++] = lo & 0xff;
    }
  }
}

/**
 * The integer a short string encodes exactly (strict decimal, as Redis checks it) when
 * it fits 32 bits, or null: such strings are stored as 1, 2 or 4 byte integers.
 */
export function smallIntOf(text: string): number | null {
  const n = text.length > 11 ? null : parseInteger(text);
  return n !== null && n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** Writes an integer as RDB's 0xC0/0xC1/0xC2 encoding; `n` must fit 32 bits. */
export function writeEncodedInt(w: ByteWriter, n: number): void {
  w.ensure(5);
  const b = w.buf;
  if (n >= -128 && n <= 127) {
    b[w.pos++] = 0xc0 | ENC_INT8;
    b[w.pos++] = n & 0xff;
  } else if (n >= -32768 && n <= 32767) {
    b[w.pos++] = 0xc0 | ENC_INT16;
    b[w.pos++] = n & 0xff;
    b[w.pos++] = (n >> 8) & 0xff;
  } else {
    b[w.pos++] = 0xc0 | ENC_INT32;
    b[w.pos++] = n & 0xff;
    b[w.pos++] = (n >> 8) & 0xff;
    b[w.pos++] = (n >> 16) & 0xff;
    b[w.pos++] = (n >>> 24) & 0xff;
  }
}

// Scratch space for LZF: the input as bytes and the compressed output.
let lzfIn: Uint8Array = Buffer.alloc(1024);
let lzfOut = new Uint8Array(1024);

/**
 * Writes a string the way Redis does: a short decimal integer as an integer encoding;
 * with `compress`, a string over 20 bytes LZF-compressed when that saves at least
 * four bytes; otherwise its length and bytes.
 */
export function writeString(w: ByteWriter, value: string | Uint8Array, compress: boolean): void {
  const len = value.length;
  if (len <= 11 && len > 0) {
    const text = typeof value === "string" ? value : latin1(value);
    const n = smallIntOf(text);
    if (n !== null) {
      writeEncodedInt(w, n);
      return;
    }
  }
  if (compress && len > 20) {
    let input: Uint8Array;
    if (typeof value === "string") {
      if (lzfIn.length < len) lzfIn = Buffer.alloc(Math.max(len, lzfIn.length * 2));
      if (len > NATIVE_LATIN1) (lzfIn as Latin1Writable).latin1Write(value, 0, len);
      else for (let i = 0; i < len; i++) lzfIn[i] = value.charCodeAt(i);
      input = lzfIn.subarray(0, len);
    } else {
      input = value;
    }
    if (lzfOut.length < len) lzfOut = new Uint8Array(Math.max(len, lzfOut.length * 2));
    const clen = lzfCompress(input, lzfOut, len - 4);
    if (clen > 0) {
      w.ensure(19 + clen);
      w.buf[w.pos++] = 0xc0 | ENC_LZF;
      w.length(clen);
      w.length(len);
      w.buf.set(lzfOut.subarray(0, clen), w.pos);
      w.pos += clen;
      return;
    }
  }
  w.length(len);
  if (typeof value === "string") w.latin1(value);
  else w.bytes(value);
}

/**
 * Writes a quicklist node the way Redis holds it with list-compress-depth: LZF with
 * the output no larger than the node, kept only if it saves more than 8 bytes, and
 * only for nodes of at least 48 bytes. False (nothing written) when not compressed.
 */
export function writeCompressedNode(w: ByteWriter, blob: Uint8Array): boolean {
  const len = blob.length;
  if (len < 48) return false;
  if (lzfOut.length < len) lzfOut = new Uint8Array(Math.max(len, lzfOut.length * 2));
  const clen = lzfCompress(blob, lzfOut, len);
  if (clen === 0 || clen + 8 >= len) return false;
  w.ensure(19 + clen);
  w.buf[w.pos++] = 0xc0 | ENC_LZF;
  w.length(clen);
  w.length(len);
  w.buf.set(lzfOut.subarray(0, clen), w.pos);
  w.pos += clen;
  return true;
}

/** Writes raw bytes as an RDB string (no integer encoding: blobs such as listpacks). */
export function writeBlob(w: ByteWriter, blob: Uint8Array, compress: boolean): void {
  const len = blob.length;
  if (compress && len > 20) {
    if (lzfOut.length < len) lzfOut = new Uint8Array(Math.max(len, lzfOut.length * 2));
    const clen = lzfCompress(blob, lzfOut, len - 4);
    if (clen > 0) {
      w.ensure(19 + clen);
      w.buf[w.pos++] = 0xc0 | ENC_LZF;
      w.length(clen);
      w.length(len);
      w.buf.set(lzfOut.subarray(0, clen), w.pos);
      w.pos += clen;
      return;
    }
  }
  w.length(len);
  w.bytes(blob);
}

// ---------------------------------------------------------------------------
// Reading

/**
 * Thrown by an open ByteReader (one whose bytes are still arriving) for a read past the
 * end of what has arrived: not an error in the data, a request to try again with more.
 */
export class MoreBytesNeeded extends Error {
  /** The length the bytes must reach for the read to succeed. */
  readonly until: number;

  constructor(until: number) {
    super(`the data ends before byte ${until}`);
    this.name = "MoreBytesNeeded";
    this.until = until;
  }
}

/** A cursor over RDB bytes; every read checks bounds and names offsets in errors. */
export class ByteReader {
  buf: Uint8Array;
  pos: number;
  // Made on first use: most readers (one per listpack, say) never need it.
  #dataView: DataView | null = null;
  /** Added to positions in error messages (where `buf` starts in the whole file). */
  readonly base: number;
  /**
   * The encoded structure `buf` holds ("Hash listpack", "Intset" ...), when it is one:
   * errors then say its integrity check failed.
   */
  readonly what: string | undefined;
  // `buf` as a Buffer, made when a long string is read.
  #latin1: Latin1Buffer | null = null;

  /**
   * True while more bytes may come (a snapshot read as it arrives): a read past the end
   * throws MoreBytesNeeded instead of failing.
   */
  open = false;

  constructor(buf: Uint8Array, pos = 0, base = 0, what?: string) {
    this.buf = buf;
    this.pos = pos;
    this.base = base;
    this.what = what;
  }

  /** The same bytes and more: `buf` starts with the bytes read so far. */
  extend(buf: Uint8Array): void {
    this.buf = buf;
    this.#dataView = null;
    this.#latin1 = null;
  }

  #view(): DataView {
    const buf = this.buf;
    return this.#dataView ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Throws an RdbError at the current (or given) position. */
  fail(message: string, at = this.pos): never {
    const what = this.what;
    throw new RdbError(
      what === undefined ? message : integrityFailure(what, message),
      this.base + at,
    );
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.open) throw new MoreBytesNeeded(this.pos + n);
      this.fail(
        `unexpected end of data (needed ${n} more bytes, ${this.buf.length - this.pos} left)`,
      );
    }
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.need(1);
    return this.buf[this.pos++];
  }

  u32le(): number {
    this.need(4);
    const v = this.#view().getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32le(): number {
    this.need(4);
    const v = this.#view().getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i64le(): bigint {
    this.need(8);
    const v = this.#view().getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.#view().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view (no copy). */
  view(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * An RDB length, or -1 - encoding for a specially encoded string (0xC0..0xC3),
   * which only string reads accept.
   */
  lengthOrEncoding(): number {
    const start = this.pos;
    const first = this.u8();
    const kind = first >> 6;
    if (kind === 0) return first & 0x3f;
    if (kind === 1) return ((first & 0x3f) << 8) | this.u8();
    if (kind === 3) return -1 - (first & 0x3f);
    if (first === 0x80) {
      this.need(4);
      const v = this.#view().getUint32(this.pos, false);
      this.pos += 4;
      return v;
    }
    if (first === 0x81) {
      this.need(8);
      const v = this.#view().getBigUint64(this.pos, false);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} too large`, start);
      return Number(v);
    }
    return this.fail(`invalid length encoding 0x${first.toString(16)}`, start);
  }

  /** An RDB length (a special string encoding here is corruption). */
  length(): number {
    const start = this.pos;
    const n = this.lengthOrEncoding();
    if (n < 0) this.fail("unexpected string encoding where a length was expected", start);
    return n;
  }

  /** A count of things that take at least `minBytes` each: more than the data holds is corrupt. */
  count(minBytes: number): number {
    const start = this.pos;
    const n = this.length();
    if (n * minBytes > this.remaining) {
      if (this.open) throw new MoreBytesNeeded(this.pos + n * minBytes);
      this.fail(`count ${n} larger than the data left (${this.remaining} bytes)`, start);
    }
    return n;
  }

  /**
   * A string's bytes: a view into the buffer for a plain string, fresh bytes for an
   * integer-encoded or compressed one.
   */
  stringBytes(): Uint8Array {
    const start = this.pos;
    const n = this.lengthOrEncoding();
    if (n >= 0) return this.view(n);
    const enc = -1 - n;
    if (enc <= ENC_INT32) return asciiBytes(String(this.#encodedInt(enc)));
    if (enc === ENC_LZF) return this.#lzf(start);
    return this.fail(`unknown string encoding ${enc}`, start);
  }

  // The `n` bytes at the cursor (checked to be there) as a one-byte string.
  #text(n: number): string {
    const from = this.pos;
    this.pos += n;
    if (n <= 16) return byteText(this.buf as Latin1Buffer, from, from + n);
    return byteText(this.#latin1 ??= latin1Buffer(this.buf), from, from + n);
  }

  /** A string as a one-byte JS string. */
  string(): string {
    const start = this.pos;
    const n = this.lengthOrEncoding();
    if (n >= 0) {
      if (n > MAX_JS_STRING) this.fail(`string of ${n} bytes too long`, start);
      this.need(n);
      return this.#text(n);
    }
    const enc = -1 - n;
    if (enc <= ENC_INT32) return String(this.#encodedInt(enc));
    if (enc === ENC_LZF) {
      const bytes = this.#lzf(start);
      if (bytes.length > MAX_JS_STRING) {
        this.fail(`string of ${bytes.length} bytes too long`, start);
      }
      return latin1(bytes);
    }
    return this.fail(`unknown string encoding ${enc}`, start);
  }

  /** A string value: a one-byte string, or bytes when too long for a JS string. */
  stringValue(): string | Uint8Array {
    const start = this.pos;
    const n = this.lengthOrEncoding();
    if (n >= 0) {
      this.need(n);
      if (n <= MAX_JS_STRING) return this.#text(n);
      const from = this.pos;
      this.pos += n;
      return this.buf.slice(from, from + n);
    }
    const enc = -1 - n;
    if (enc <= ENC_INT32) return String(this.#encodedInt(enc));
    if (enc === ENC_LZF) {
      const bytes = this.#lzf(start);
      return bytes.length > MAX_JS_STRING ? bytes : latin1(bytes);
    }
    return this.fail(`unknown string encoding ${enc}`, start);
  }

  /** Skips a string without decoding it. */
  skipString(): void {
    const start = this.pos;
    const n = this.lengthOrEncoding();
    if (n >= 0) {
      this.need(n);
      this.pos += n;
      return;
    }
    const enc = -1 - n;
    if (enc <= ENC_INT32) {
      this.#encodedInt(enc);
    } else if (enc === ENC_LZF) {
      const clen = this.length();
      this.length();
      this.need(clen);
      this.pos += clen;
    } else {
      this.fail(`unknown string encoding ${enc}`, start);
    }
  }

  /** ZSET (type 3) score: a length byte then text; 253/254/255 are nan/inf/-inf. */
  textDouble(): number {
    const start = this.pos;
    const len = this.u8();
    if (len === 253) return NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    const text = latin1(this.view(len));
    const v = Number(text);
    if (Number.isNaN(v) && text.trim().toLowerCase() !== "nan") {
      this.fail(`invalid score "${text}"`, start);
    }
    return v;
  }

  #encodedInt(enc: number): number {
    if (enc === ENC_INT8) {
      const v = this.u8();
      return v > 127 ? v - 256 : v;
    }
    if (enc === ENC_INT16) {
      this.need(2);
      const v = this.#view().getInt16(this.pos, true);
      this.pos += 2;
      return v;
    }
    return this.i32le();
  }

  #lzf(start: number): Uint8Array {
    const clen = this.length();
    const len = this.length();
    const dataStart = this.pos;
    const data = this.view(clen);
    if (len === 0) this.fail("compressed string with zero length", start);
    // One LZF back reference (3 bytes) expands to at most 264 bytes.
    if (len > clen * 88 + 32) {
      this.fail(`compressed string claims ${len} bytes from ${clen}`, start);
    }
    try {
      return lzfDecompress(data, len);
    } catch (error) {
      if (error instanceof LzfError) {
        this.fail(`corrupt LZF string (${error.message})`, dataStart + error.offset);
      }
      throw error;
    }
  }
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
