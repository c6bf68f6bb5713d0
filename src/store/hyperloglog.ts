// HyperLogLog as Redis 7 stores it: a string value with a 16-byte header ("HYLL", an
// encoding byte, 3 unused bytes, an 8-byte little-endian cached cardinality whose top
// bit marks the cache invalid) followed by 16384 registers, either dense (6 bits each,
// least significant bits first) or sparse (run-length opcodes):
//
//   ZERO   00xxxxxx           xxxxxx+1 registers (1-64) at 0
//   XZERO  01xxxxxx yyyyyyyy  14-bit length+1 registers (1-16384) at 0
//   VAL    1vvvvvxx           xx+1 registers (1-4) at vvvvv+1 (1-32)
//
// Elements are hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick a
// register, and the position of the first set bit among the other 50 (plus one) is the
// register's candidate value. The cardinality comes from the register histogram with
// Otmar Ertl's estimator ("New cardinality estimation algorithms for HyperLogLog
// sketches", 2017). Every step, including how the sparse form is split, merged and
// promoted, follows what Redis 7.0 produces byte for byte.

import { hashHigh, murmurHash64A } from "./murmur_wasm.ts";

/** Number of index bits and registers. */
export const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
/** Bits left for the run of zeros. */
const HLL_Q = 64 - HLL_P;
export const HLL_HEADER = 16;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** Bytes of a dense HLL (header included). */
export const HLL_DENSE_SIZE = HLL_HEADER + Math.floor((HLL_REGISTERS * 6 + 7) / 8);
const SPARSE_VAL_MAX = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.721347520444481703680;

/** Thrown for a sparse HLL whose opcodes do not cover exactly 16384 registers. */
export class CorruptHll extends Error {}

// The register and value of the last element hashed, in PATTERN_INDEX/PATTERN_COUNT.
let PATTERN_INDEX = 0, PATTERN_COUNT = 0;
function pattern(element: Uint8Array | string): void {
  const lo = murmurHash64A(element) >>> 0;
  PATTERN_INDEX = lo & (HLL_REGISTERS - 1);
  // The 50 bits above the index, with bit 50 set so the count stops there.
  const low18 = lo >>> HLL_P; // 18 bits
  if (low18 !== 0) PATTERN_COUNT = 31 - Math.clz32(low18 & -low18) + 1;
  else {
    // Bits 18..49 are the high word; bit 50 is the forced stop.
    const hi = hashHigh();
    PATTERN_COUNT = hi === 0 ? HLL_Q + 1 : 18 + 31 - Math.clz32(hi & -hi) + 1;
  }
}

/** MurmurHash64A of bytes with Redis's HLL seed, as [high 32 bits, low 32 bits]. */
export function murmur64a(data: Uint8Array | string): [number, number] {
  const low = murmurHash64A(data) >>> 0;
  return [hashHigh(), low];
}

/** The register an element falls in and the value it proposes (1-51). */
export function patternOf(element: Uint8Array | string): [number, number] {
  pattern(element);
  return [PATTERN_INDEX, PATTERN_COUNT];
}

// ---------------------------------------------------------------------------------------
// Registers.
// ---------------------------------------------------------------------------------------

/** A dense register (registers start at HLL_HEADER). */
export function denseGet(bytes: Uint8Array, index: number): number {
  const bit = index * 6, b = HLL_HEADER + (bit >> 3), fb = bit & 7;
  const b1 = b + 1 < bytes.length ? bytes[b + 1] : 0;
  return ((bytes[b] >> fb) | (b1 << (8 - fb))) & 63;
}

function denseSetRaw(bytes: Uint8Array, index: number, value: number): void {
  const bit = index * 6, b = HLL_HEADER + (bit >> 3), fb = bit & 7;
  bytes[b] = (bytes[b] & ~(63 << fb)) | (value << fb);
  if (fb > 2) bytes[b + 1] = (bytes[b + 1] & ~(63 >> (8 - fb))) | (value >> (8 - fb));
}

/** Raises a dense register to `value` when lower; true when it changed. */
export function denseSet(bytes: Uint8Array, index: number, value: number): boolean {
  if (denseGet(bytes, index) >= value) return false;
  denseSetRaw(bytes, index, value);
  return true;
}

/** A new empty sparse HLL with the cache marked invalid (as PFADD creates it). */
export function newHll(): Uint8Array {
  const bytes = new Uint8Array(HLL_HEADER + 2);
  bytes.set([72, 89, 76, 76, HLL_SPARSE]);
  bytes[15] = 0x80;
  bytes[16] = 0x40 | ((SPARSE_XZERO_MAX_LEN - 1) >> 8);
  bytes[17] = (SPARSE_XZERO_MAX_LEN - 1) & 0xff;
  return bytes;
}

/** Redis's check for an HLL string: the magic, a known encoding, a dense size. */
export function isHll(bytes: Uint8Array): boolean {
  if (bytes.length < HLL_HEADER) return false;
  if (bytes[0] !== 72 || bytes[1] !== 89 || bytes[2] !== 76 || bytes[3] !== 76) return false;
  if (bytes[4] > HLL_SPARSE) return false;
  return bytes[4] !== HLL_DENSE || bytes.length === HLL_DENSE_SIZE;
}

/** Marks the cached cardinality invalid. */
export function invalidateCache(bytes: Uint8Array): void {
  bytes[15] |= 0x80;
}

/**
 * The cached cardinality, or null when marked invalid. A damaged or crafted header may
 * hold any 63-bit value: past 2^53 it is a bigint, so that it prints exactly.
 */
export function cachedCount(bytes: Uint8Array): number | bigint | null {
  if (bytes[15] & 0x80) return null;
  if (bytes[15] !== 0 || bytes[14] >= 0x20) {
    let big = 0n;
    for (let i = 15; i >= 8; i--) big = big * 256n + BigInt(bytes[i]);
    return big;
  }
  let n = 0;
  for (let i = 14; i >= 8; i--) n = n * 256 + bytes[i];
  return n;
}

/** Stores a cardinality in the cache (valid). */
export function setCachedCount(bytes: Uint8Array, count: number): void {
  let n = count;
  for (let i = 8; i < 16; i++) {
    bytes[i] = n % 256;
    n = Math.floor(n / 256);
  }
}

// Calls `onRun` for each run of the sparse opcodes (first register, length, value),
// throwing CorruptHll when they do not cover exactly 16384 registers.
function sparseForEach(
  bytes: Uint8Array,
  onRun: (first: number, len: number, value: number) => void,
): void {
  let index = 0, p = HLL_HEADER;
  const end = bytes.length;
  while (p < end) {
    const op = bytes[p];
    let len: number, value = 0;
    if ((op & 0xc0) === 0) {
      len = (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      len = (((op & 0x3f) << 8) | (p + 1 < end ? bytes[p + 1] : 0)) + 1;
      p += 2;
    } else {
      len = (op & 3) + 1;
      value = ((op >> 2) & 0x1f) + 1;
      p++;
    }
    // Past the last register: Redis stops (or overshoots) and calls the HLL corrupted.
    if (index + len > HLL_REGISTERS) throw new CorruptHll();
    onRun(index, len, value);
    index += len;
  }
  if (index !== HLL_REGISTERS) throw new CorruptHll();
}

/** The 16384 register values of an HLL (throws CorruptHll for a bad sparse one). */
export function registersOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HLL_REGISTERS);
  mergeInto(out, bytes);
  return out;
}

/** max-merges an HLL's registers into `max`; throws CorruptHll for a bad sparse one. */
export function mergeInto(max: Uint8Array, bytes: Uint8Array): void {
  if (bytes[4] === HLL_DENSE) {
    // Four 6-bit registers in every three bytes.
    for (let i = 0, b = HLL_HEADER; i < HLL_REGISTERS; i += 4, b += 3) {
      const b0 = bytes[b], b1 = bytes[b + 1], b2 = bytes[b + 2];
      const r0 = b0 & 63, r1 = ((b0 >> 6) | (b1 << 2)) & 63;
      const r2 = ((b1 >> 4) | (b2 << 4)) & 63, r3 = b2 >> 2;
      if (r0 > max[i]) max[i] = r0;
      if (r1 > max[i + 1]) max[i + 1] = r1;
      if (r2 > max[i + 2]) max[i + 2] = r2;
      if (r3 > max[i + 3]) max[i + 3] = r3;
    }
    return;
  }
  sparseForEach(bytes, (first, len, value) => {
    if (value === 0) return;
    for (let i = first; i < first + len; i++) if (value > max[i]) max[i] = value;
  });
}

/** The dense form of a sparse HLL (header kept, encoding changed). */
export function sparseToDense(bytes: Uint8Array): Uint8Array {
  if (bytes[4] === HLL_DENSE) return bytes;
  const dense = new Uint8Array(HLL_DENSE_SIZE);
  dense.set(bytes.subarray(0, HLL_HEADER));
  dense[4] = HLL_DENSE;
  sparseForEach(bytes, (first, len, value) => {
    if (value === 0) return;
    for (let i = first; i < first + len; i++) denseSetRaw(dense, i, value);
  });
  return dense;
}

/** The result of setting a register: the HLL (maybe reallocated) and whether it changed. */
export interface SetResult {
  bytes: Uint8Array;
  changed: boolean;
}

function isZero(op: number): boolean {
  return (op & 0xc0) === 0;
}
function isXZero(op: number): boolean {
  return (op & 0xc0) === 0x40;
}
function valOp(value: number, len: number): number {
  return 0x80 | ((value - 1) << 2) | (len - 1);
}

/**
 * Raises register `index` of a sparse HLL to `count` when lower, the way Redis does:
 * splitting the opcode that covers it, merging equal neighbouring VAL opcodes, and
 * turning the HLL dense when the value does not fit a VAL opcode or the string would
 * grow past `maxBytes`. Throws CorruptHll when the opcodes do not reach the register.
 */
export function sparseSet(
  bytes: Uint8Array,
  index: number,
  count: number,
  maxBytes: number,
): SetResult {
  if (count > SPARSE_VAL_MAX) return promote(bytes, index, count);
  let end = bytes.length;
  let p = HLL_HEADER, prev = -1, first = 0, span = 0, oplen = 1;
  while (p < end) {
    const op = bytes[p];
    oplen = 1;
    if (isZero(op)) span = (op & 0x3f) + 1;
    else if (isXZero(op)) {
      span = (((op & 0x3f) << 8) | (p + 1 < end ? bytes[p + 1] : 0)) + 1;
      oplen = 2;
    } else span = (op & 3) + 1;
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) throw new CorruptHll();
  const next = p + oplen >= end ? -1 : p + oplen;
  const op = bytes[p];
  const zero = isZero(op), xzero = isXZero(op), val = !zero && !xzero;
  const runlen = span;
  let out = bytes;
  if (val) {
    const old = ((op >> 2) & 0x1f) + 1;
    if (old >= count) return { bytes, changed: false };
    if (runlen === 1) {
      bytes[p] = valOp(count, 1);
      return { bytes: mergeValues(bytes, prev, end), changed: true };
    }
  }
  if (zero && runlen === 1) {
    bytes[p] = valOp(count, 1);
    return { bytes: mergeValues(bytes, prev, end), changed: true };
  }
  const seq: number[] = [];
  const last = first + span - 1;
  const zeroRun = (len: number) => {
    if (len > SPARSE_ZERO_MAX_LEN) seq.push(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
    else seq.push(len - 1);
  };
  if (zero || xzero) {
    if (index !== first) zeroRun(index - first);
    seq.push(valOp(count, 1));
    if (index !== last) zeroRun(last - index);
  } else {
    const cur = ((op >> 2) & 0x1f) + 1;
    if (index !== first) seq.push(valOp(cur, index - first));
    seq.push(valOp(count, 1));
    if (index !== last) seq.push(valOp(cur, last - index));
  }
  const oldlen = xzero ? 2 : 1;
  const delta = seq.length - oldlen;
  if (delta > 0 && bytes.length + delta > maxBytes) return promote(bytes, index, count);
  if (delta !== 0) {
    out = new Uint8Array(bytes.length + delta);
    out.set(bytes.subarray(0, p));
    if (next >= 0) out.set(bytes.subarray(next), p + seq.length);
    end += delta;
  }
  out.set(seq, p);
  return { bytes: mergeValues(out, prev, end), changed: true };
}

// Redis's step after a change: from the opcode before the changed one, scan up to 5
// opcodes and merge two adjacent VAL opcodes of one value when their runs fit in one.
function mergeValues(bytes: Uint8Array, prev: number, endAt: number): Uint8Array {
  let p = prev >= 0 ? prev : HLL_HEADER;
  let end = endAt;
  let scan = 5;
  let shrunk = false;
  while (p < end && scan-- > 0) {
    const op = bytes[p];
    if (isXZero(op)) {
      p += 2;
      continue;
    }
    if (isZero(op)) {
      p++;
      continue;
    }
    if (p + 1 < end && (bytes[p + 1] & 0x80)) {
      const v1 = (op >> 2) & 0x1f, v2 = (bytes[p + 1] >> 2) & 0x1f;
      if (v1 === v2) {
        const len = (op & 3) + 1 + (bytes[p + 1] & 3) + 1;
        if (len <= SPARSE_VAL_MAX_LEN) {
          bytes[p + 1] = valOp(v1 + 1, len);
          bytes.copyWithin(p, p + 1, end);
          end--;
          shrunk = true;
          continue;
        }
      }
    }
    p++;
  }
  return shrunk ? bytes.slice(0, end) : bytes;
}

function promote(bytes: Uint8Array, index: number, count: number): SetResult {
  const dense = sparseToDense(bytes);
  denseSet(dense, index, count);
  return { bytes: dense, changed: true };
}

/** Adds one element to a dense HLL; true when a register changed. */
export function denseAdd(bytes: Uint8Array, element: string): boolean {
  pattern(element);
  return denseSet(bytes, PATTERN_INDEX, PATTERN_COUNT);
}

/** Adds one element; the HLL may be reallocated (sparse growth or promotion). */
export function hllAdd(bytes: Uint8Array, element: string, maxBytes: number): SetResult {
  if (bytes[4] === HLL_DENSE) return { bytes, changed: denseAdd(bytes, element) };
  pattern(element);
  return sparseSet(bytes, PATTERN_INDEX, PATTERN_COUNT, maxBytes);
}

// ---------------------------------------------------------------------------------------
// Estimation.
// ---------------------------------------------------------------------------------------

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The cardinality estimate from a register histogram (histo[v] = registers at v). */
export function estimate(histo: ArrayLike<number>): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  return Math.round(ALPHA_INF * m * m / z);
}

/** The histogram of an HLL's registers (throws CorruptHll for a bad sparse one). */
export function histogramOf(bytes: Uint8Array): Float64Array {
  const histo = new Float64Array(64);
  if (bytes[4] === HLL_DENSE) {
    // Four 6-bit registers in every three bytes.
    for (let b = HLL_HEADER; b < HLL_DENSE_SIZE; b += 3) {
      const b0 = bytes[b], b1 = bytes[b + 1], b2 = bytes[b + 2];
      histo[b0 & 63]++;
      histo[((b0 >> 6) | (b1 << 2)) & 63]++;
      histo[((b1 >> 4) | (b2 << 4)) & 63]++;
      histo[b2 >> 2]++;
    }
  } else sparseForEach(bytes, (_first, len, value) => histo[value] += len);
  return histo;
}

/** The histogram of raw register values. */
export function histogramOfRegisters(registers: Uint8Array): Float64Array {
  const histo = new Float64Array(64);
  for (let i = 0; i < registers.length; i++) histo[registers[i]]++;
  return histo;
}

/** The cardinality estimate of an HLL (throws CorruptHll for a bad sparse one). */
export function countOf(bytes: Uint8Array): number {
  return estimate(histogramOf(bytes));
}
