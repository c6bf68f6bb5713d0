// Intsets: the sorted array of integers Redis keeps small all-integer sets in, and
// which RDB files store as one blob: encoding (element width 2, 4 or 8, u32 LE), count
// (u32 LE), then the elements ascending, little-endian signed.

import { ByteReader } from "./rdb_format.ts";

/**
 * The members of an intset blob, as decimal strings in ascending order. An empty
 * intset is corrupt, as Redis sees it (an empty set is never written).
 */
export function decodeIntset(blob: Uint8Array, base = 0, what = "Intset"): string[] {
  const r = new ByteReader(blob, 0, base, what);
  const width = r.u32le();
  if (width !== 2 && width !== 4 && width !== 8) r.fail(`invalid intset encoding ${width}`, 0);
  const count = r.u32le();
  if (count === 0) r.fail("intset without members", 4);
  if (8 + count * width !== blob.length) {
    r.fail(`intset of ${count} x ${width} bytes in a ${blob.length} byte blob`, 4);
  }
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out = new Array<string>(count);
  let previous: bigint | number | null = null;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    const v: number | bigint = width === 2
      ? dv.getInt16(at, true)
      : width === 4
      ? dv.getInt32(at, true)
      : dv.getBigInt64(at, true);
    if (previous !== null && !(v > previous)) r.fail("intset not in ascending order", at);
    previous = v;
    out[i] = v.toString();
  }
  return out;
}

/** An intset blob of these integers (any order; duplicates are an error of the caller). */
export function encodeIntset(values: bigint[]): Uint8Array {
  const sorted = values.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of sorted) {
    if (v < -2147483648n || v > 2147483647n) {
      width = 8;
      break;
    }
    if (v < -32768n || v > 32767n) width = 4;
  }
  const out = new Uint8Array(8 + sorted.length * width);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, width, true);
  dv.setUint32(4, sorted.length, true);
  for (let i = 0; i < sorted.length; i++) {
    const at = 8 + i * width;
    if (width === 2) dv.setInt16(at, Number(sorted[i]), true);
    else if (width === 4) dv.setInt32(at, Number(sorted[i]), true);
    else dv.setBigInt64(at, sorted[i], true);
  }
  return out;
}
