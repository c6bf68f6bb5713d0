// A growable listpack in Redis's byte layout, edited in place: the storage of one
// stream node. Holding stream entries the way Redis holds them keeps a small entry
// at Redis's size (a few bytes besides its values) and lets the RDB file carry a
// node's bytes unchanged.
//
// Layout: total bytes (u32 LE), element count (u16 LE, 65535 once too many to count),
// the elements, a 0xFF terminator. An element is an encoding byte (7-bit uint, 13-bit
// int, 16/24/32/64-bit int, or a string with a 6, 12 or 32-bit length), its data, and
// its own size again in 1-5 bytes ("backlen"). Strings that read as 64-bit integers
// are stored as integers, as Redis stores them.

import { looksLikeInt64 } from "../util/int64.ts";

const HEADER = 6;
const COUNT_UNKNOWN = 65535;

/** Bytes a backlen takes for an element of `size` bytes. */
export function backlenSize(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

/** Bytes the encoding byte(s) and data of an integer element take. */
function intDataSize(v: number | bigint): number {
  if (typeof v === "bigint") {
    if (v >= -2147483648n && v <= 2147483647n) return intDataSize(Number(v));
    return 9;
  }
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

function strDataSize(len: number): number {
  return len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
}

/** A listpack's bytes: `bytes.subarray(0, size)`; the rest is room to grow. */
export class Listpack {
  bytes: Uint8Array;
  size: number;
  count = 0;
  /** Counts edits that moved elements: offsets taken before a change are stale after. */
  moves = 0;

  constructor(capacity = 64) {
    this.bytes = new Uint8Array(Math.max(capacity, HEADER + 1));
    this.bytes[HEADER] = 0xff;
    this.size = HEADER + 1;
    this.#writeHeader();
  }

  /** A listpack over bytes read from a file (already checked by the caller). */
  static wrap(bytes: Uint8Array, count: number): Listpack {
    const lp = new Listpack(1);
    lp.bytes = bytes;
    lp.size = bytes.length;
    lp.count = count;
    return lp;
  }

  /** Offset of the first element. */
  get first(): number {
    return HEADER;
  }

  /** Offset of the terminator (the end of the elements). */
  get end(): number {
    return this.size - 1;
  }

  /** The listpack's bytes, exactly. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.size);
  }

  /**
   * Drops the spare room of a node that will not grow again, when it is worth a copy:
   * over 64 bytes and over an eighth of the size (a node sized from the one before
   * it wastes less, and copying it would cost more than it saves).
   */
  shrink(): void {
    const spare = this.bytes.length - this.size;
    if (spare > 64 && spare > this.size >> 3) this.bytes = this.bytes.slice(0, this.size);
  }

  #writeHeader(): void {
    const b = this.bytes;
    const total = this.size;
    b[0] = total & 0xff;
    b[1] = (total >>> 8) & 0xff;
    b[2] = (total >>> 16) & 0xff;
    b[3] = (total >>> 24) & 0xff;
    const count = this.count < COUNT_UNKNOWN ? this.count : COUNT_UNKNOWN;
    b[4] = count & 0xff;
    b[5] = count >>> 8;
  }

  #reserve(extra: number): void {
    const need = this.size + extra;
    if (need <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < need) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.size));
    this.bytes = grown;
  }

  /** Appends a string element (an integer when it reads as one). */
  append(value: string): void {
    const len = value.length;
    if (len > 0 && len <= 20 && looksLikeInt64(value)) {
      this.appendInt(len <= 15 ? Number(value) : BigInt(value));
      return;
    }
    this.#reserve(strDataSize(len) + 5);
    const b = this.bytes;
    let pos = this.size - 1;
    const start = pos;
    if (len < 64) b[pos++] = 0x80 | len;
    else if (len < 4096) {
      b[pos++] = 0xe0 | (len >> 8);
      b[pos++] = len & 0xff;
    } else {
      b[pos++] = 0xf0;
      b[pos++] = len & 0xff;
      b[pos++] = (len >>> 8) & 0xff;
      b[pos++] = (len >>> 16) & 0xff;
      b[pos++] = (len >>> 24) & 0xff;
    }
    for (let i = 0; i < len; i++) b[pos++] = value.charCodeAt(i);
    this.#finishAppend(start, pos);
  }

  /** Appends an integer element. */
  appendInt(v: number | bigint): void {
    this.#reserve(14);
    const start = this.size - 1;
    const pos = writeInt(this.bytes, start, v);
    this.#finishAppend(start, pos);
  }

  #finishAppend(start: number, pos: number): void {
    pos = writeBacklen(this.bytes, pos, pos - start);
    this.bytes[pos] = 0xff;
    this.size = pos + 1;
    this.count++;
    this.#writeHeader();
  }

  /** Replaces the integer element at `offset` by `v` (later elements move if needed). */
  replaceInt(offset: number, v: number | bigint): void {
    const old = this.sizeAt(offset);
    const size = intDataSize(v);
    const fresh = size + backlenSize(size);
    if (fresh !== old) {
      this.moves++;
      this.#reserve(fresh - old);
      this.bytes.copyWithin(offset + fresh, offset + old, this.size);
      this.size += fresh - old;
      this.#writeHeader();
    }
    const pos = writeInt(this.bytes, offset, v);
    writeBacklen(this.bytes, pos, pos - offset);
  }

  /** Total bytes of the element at `offset`, backlen included. */
  sizeAt(offset: number): number {
    const b = this.bytes;
    const e = b[offset];
    let size: number;
    if ((e & 0x80) === 0) size = 1;
    else if ((e & 0xc0) === 0x80) size = 1 + (e & 0x3f);
    else if ((e & 0xe0) === 0xc0) size = 2;
    else if ((e & 0xf0) === 0xe0) size = 2 + (((e & 0x0f) << 8) | b[offset + 1]);
    else if (e === 0xf0) size = 5 + readU32(b, offset + 1);
    else if (e === 0xf1) size = 3;
    else if (e === 0xf2) size = 4;
    else if (e === 0xf3) size = 5;
    else size = 9;
    return size + backlenSize(size);
  }

  /** Offset of the element after the one at `offset`. */
  next(offset: number): number {
    return offset + this.sizeAt(offset);
  }

  /** True when the element at `offset` is an integer. */
  isInt(offset: number): boolean {
    const e = this.bytes[offset];
    return (e & 0x80) === 0 || (e & 0xe0) === 0xc0 || (e >= 0xf1 && e <= 0xf4);
  }

  /** The integer element at `offset` as a number (exact below 2^53). */
  int(offset: number): number {
    const v = this.intExact(offset);
    return typeof v === "bigint" ? Number(v) : v;
  }

  /** The integer element at `offset`: a bigint only when it is outside ±2^53. */
  intExact(offset: number): number | bigint {
    const b = this.bytes;
    const e = b[offset];
    if ((e & 0x80) === 0) return e;
    if ((e & 0xe0) === 0xc0) {
      const v = ((e & 0x1f) << 8) | b[offset + 1];
      return v >= 4096 ? v - 8192 : v;
    }
    if (e === 0xf1) {
      const v = b[offset + 1] | (b[offset + 2] << 8);
      return v >= 0x8000 ? v - 0x10000 : v;
    }
    if (e === 0xf2) {
      const v = b[offset + 1] | (b[offset + 2] << 8) | (b[offset + 3] << 16);
      return v >= 0x800000 ? v - 0x1000000 : v;
    }
    if (e === 0xf3) return readU32(b, offset + 1) | 0;
    const big = new DataView(b.buffer, b.byteOffset + offset + 1, 8).getBigInt64(0, true);
    return big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : big;
  }

  /** The element at `offset` as a one-byte string (integers in decimal). */
  string(offset: number): string {
    const b = this.bytes;
    const e = b[offset];
    let start: number;
    let len: number;
    if ((e & 0xc0) === 0x80) {
      start = offset + 1;
      len = e & 0x3f;
    } else if ((e & 0xf0) === 0xe0) {
      start = offset + 2;
      len = ((e & 0x0f) << 8) | b[offset + 1];
    } else if (e === 0xf0) {
      start = offset + 5;
      len = readU32(b, offset + 1);
    } else return String(this.intExact(offset));
    return latin1(b, start, start + len);
  }
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

// The decoder for short strings; longer ones go through chunks.
function latin1(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 16) {
    let out = "";
    for (let i = start; i < end; i++) out += String.fromCharCode(b[i]);
    return out;
  }
  let out = "";
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode.apply(
      null,
      b.subarray(i, Math.min(end, i + 8192)) as unknown as number[],
    );
  }
  return out;
}

function writeInt(b: Uint8Array, pos: number, v: number | bigint): number {
  if (typeof v === "bigint") {
    if (v >= -2147483648n && v <= 2147483647n) v = Number(v);
    else {
      b[pos] = 0xf4;
      new DataView(b.buffer, b.byteOffset).setBigInt64(pos + 1, v, true);
      return pos + 9;
    }
  }
  if (v >= 0 && v <= 127) b[pos++] = v;
  else if (v >= -4096 && v <= 4095) {
    const u = v < 0 ? v + 8192 : v;
    b[pos++] = 0xc0 | (u >> 8);
    b[pos++] = u & 0xff;
  } else if (v >= -32768 && v <= 32767) {
    b[pos++] = 0xf1;
    b[pos++] = v & 0xff;
    b[pos++] = (v >> 8) & 0xff;
  } else if (v >= -8388608 && v <= 8388607) {
    b[pos++] = 0xf2;
    b[pos++] = v & 0xff;
    b[pos++] = (v >> 8) & 0xff;
    b[pos++] = (v >> 16) & 0xff;
  } else if (v >= -2147483648 && v <= 2147483647) {
    b[pos++] = 0xf3;
    b[pos++] = v & 0xff;
    b[pos++] = (v >> 8) & 0xff;
    b[pos++] = (v >> 16) & 0xff;
    b[pos++] = (v >>> 24) & 0xff;
  } else {
    b[pos] = 0xf4;
    new DataView(b.buffer, b.byteOffset).setBigInt64(pos + 1, BigInt(v), true);
    pos += 9;
  }
  return pos;
}

function writeBacklen(b: Uint8Array, pos: number, size: number): number {
  if (size <= 127) {
    b[pos] = size;
    return pos + 1;
  }
  const n = backlenSize(size);
  for (let k = n - 1; k >= 0; k--) {
    const group = Math.floor(size / 2 ** (7 * k)) & 127;
    b[pos++] = k === n - 1 ? group : group | 128;
  }
  return pos;
}
