// Listpacks: the compact serialized sequence Redis 7.0 uses for small hashes, small
// sorted sets and quicklist nodes, and which RDB files store as one blob.
//
// Layout: total bytes (u32 LE), element count (u16 LE, 65535 when too many to count),
// the entries, and a 0xFF terminator. An entry is an encoding byte (a small integer,
// an integer of 13/16/24/32/64 bits, or a string with a 6, 12 or 32 bit length), its
// data, then its own length again in 1-5 bytes ("backlen") so it can be walked
// backwards. Strings that read as 64-bit integers are stored as integers.

import { backlenSize, Listpack } from "../store/stream_listpack.ts";
import { ByteReader, latin1 } from "./rdb_format.ts";

/** The element count a listpack header can hold; more is stored as "unknown". */
const COUNT_UNKNOWN = 65535;

/**
 * Builds listpacks entry by entry, for RDB files and DUMP payloads: the store's
 * listpack (the one stream nodes live in) does the encoding.
 */
export class ListpackBuilder {
  readonly #lp: Listpack;

  constructor(capacity = 256) {
    this.#lp = new Listpack(capacity);
  }

  /** Bytes so far including header and terminator (Redis's node->sz after an append). */
  get size(): number {
    return this.#lp.size;
  }

  get count(): number {
    return this.#lp.count;
  }

  /** Appends an element (stored as an integer when it reads as one, like Redis). */
  append(value: string | Uint8Array): void {
    this.#lp.append(typeof value === "string" ? value : latin1(value));
  }

  /** Appends a 64-bit integer element. */
  appendInt(v: number | bigint): void {
    this.#lp.appendInt(v);
  }

  /** The finished listpack bytes. */
  finish(): Uint8Array {
    return this.#lp.view();
  }
}

/** A listpack holding these elements. */
export function encodeListpack(items: Iterable<string | Uint8Array>): Uint8Array {
  const lp = new ListpackBuilder();
  for (const item of items) lp.append(item);
  return lp.finish();
}

/**
 * Every element of a listpack as one-byte strings (integers in decimal). `base` is the
 * blob's offset in the file, for error messages, and `what` names the structure in
 * them ("Hash listpack": its integrity check failed). Checks the header, every entry's
 * bounds and backlen, the element count and the terminator.
 */
export function decodeListpack(blob: Uint8Array, base = 0, what = "Listpack"): string[] {
  const r = new ByteReader(blob, 0, base, what);
  if (blob.length < 7) r.fail("listpack too short");
  const total = r.u32le();
  if (total !== blob.length) {
    r.fail(`listpack header says ${total} bytes, blob has ${blob.length}`, 0);
  }
  const declared = blob[4] | (blob[5] << 8);
  r.pos = 6;
  const out: string[] = [];
  const end = blob.length - 1;
  while (true) {
    const start = r.pos;
    if (start >= blob.length) r.fail("listpack without terminator");
    const b = blob[start];
    if (b === 0xff) {
      if (start !== end) r.fail("listpack terminator before the end");
      break;
    }
    let size: number;
    if ((b & 0x80) === 0) {
      out.push(String(b));
      size = 1;
    } else if ((b & 0xc0) === 0x80) {
      const len = b & 0x3f;
      size = 1 + len;
      if (start + size > end) r.fail("listpack string past the end");
      out.push(latin1(blob, start + 1, start + size));
    } else if ((b & 0xe0) === 0xc0) {
      if (start + 2 > end) r.fail("listpack integer past the end");
      let v = ((b & 0x1f) << 8) | blob[start + 1];
      if (v >= 4096) v -= 8192;
      out.push(String(v));
      size = 2;
    } else if ((b & 0xf0) === 0xe0) {
      if (start + 2 > end) r.fail("listpack string past the end");
      const len = ((b & 0x0f) << 8) | blob[start + 1];
      size = 2 + len;
      if (start + size > end) r.fail("listpack string past the end");
      out.push(latin1(blob, start + 2, start + size));
    } else if (b === 0xf0) {
      if (start + 5 > end) r.fail("listpack string past the end");
      r.pos = start + 1;
      const len = r.u32le();
      size = 5 + len;
      if (start + size > end) r.fail("listpack string past the end", start);
      out.push(latin1(blob, start + 5, start + size));
    } else if (b >= 0xf1 && b <= 0xf4) {
      const width = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      size = 1 + width;
      if (start + size > end) r.fail("listpack integer past the end");
      const dv = new DataView(blob.buffer, blob.byteOffset + start + 1, width);
      if (width === 2) out.push(String(dv.getInt16(0, true)));
      else if (width === 3) {
        let v = dv.getUint16(0, true) | (dv.getUint8(2) << 16);
        if (v >= 0x800000) v -= 0x1000000;
        out.push(String(v));
      } else if (width === 4) out.push(String(dv.getInt32(0, true)));
      else out.push(dv.getBigInt64(0, true).toString());
    } else {
      return r.fail(`invalid listpack entry encoding 0x${b.toString(16)}`, start);
    }
    const bl = backlenSize(size);
    if (start + size + bl > end) r.fail("listpack entry length past the end", start);
    // The backlen must repeat the entry size.
    let decoded = 0;
    for (let k = 0; k < bl; k++) decoded = decoded * 128 + (blob[start + size + k] & 127);
    if (decoded !== size) r.fail("listpack entry with a wrong back length", start + size);
    r.pos = start + size + bl;
  }
  if (declared !== COUNT_UNKNOWN && declared !== out.length) {
    r.fail(`listpack header says ${declared} elements, found ${out.length}`, 4);
  }
  return out;
}
