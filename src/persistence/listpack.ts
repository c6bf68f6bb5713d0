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
  return scanListpack(blob, base, what, true) as string[];
}

/**
 * The elements of a listpack, checked as `decodeListpack` checks them, as integers:
 * a number (a bigint past 2^53) for an integer element, null for a string element
 * (whose text is not decoded). For structures of mostly numbers, such as stream nodes.
 */
export function listpackIntegers(
  blob: Uint8Array,
  base = 0,
  what = "Listpack",
): (number | bigint | null)[] {
  return scanListpack(blob, base, what, false) as (number | bigint | null)[];
}

// One pass over a listpack, checking it whole: elements as text, or as integers.
function scanListpack(
  blob: Uint8Array,
  base: number,
  what: string,
  text: boolean,
): (string | number | bigint | null)[] {
  const r = new ByteReader(blob, 0, base, what);
  if (blob.length < 7) r.fail("listpack too short");
  const total = r.u32le();
  if (total !== blob.length) {
    r.fail(`listpack header says ${total} bytes, blob has ${blob.length}`, 0);
  }
  const declared = blob[4] | (blob[5] << 8);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: (string | number | bigint | null)[] = [];
  const end = blob.length - 1;
  let start = 6;
  while (true) {
    if (start >= blob.length) r.fail("listpack without terminator", start);
    const b = blob[start];
    if (b === 0xff) {
      if (start !== end) r.fail("listpack terminator before the end", start);
      break;
    }
    let size: number;
    // A string's text starts at `from`; an integer's value is `value`.
    let from = -1;
    let value: number | bigint = 0;
    if ((b & 0x80) === 0) {
      value = b;
      size = 1;
    } else if ((b & 0xc0) === 0x80) {
      from = start + 1;
      size = 1 + (b & 0x3f);
    } else if ((b & 0xe0) === 0xc0) {
      if (start + 2 > end) r.fail("listpack integer past the end", start);
      const v = ((b & 0x1f) << 8) | blob[start + 1];
      value = v >= 4096 ? v - 8192 : v;
      size = 2;
    } else if ((b & 0xf0) === 0xe0) {
      if (start + 2 > end) r.fail("listpack string past the end", start);
      from = start + 2;
      size = 2 + (((b & 0x0f) << 8) | blob[start + 1]);
    } else if (b === 0xf0) {
      if (start + 5 > end) r.fail("listpack string past the end", start);
      from = start + 5;
      size = 5 + dv.getUint32(start + 1, true);
    } else if (b >= 0xf1 && b <= 0xf4) {
      const at = start + 1;
      size = b === 0xf1 ? 3 : b === 0xf2 ? 4 : b === 0xf3 ? 5 : 9;
      if (start + size > end) r.fail("listpack integer past the end", start);
      if (b === 0xf1) value = dv.getInt16(at, true);
      else if (b === 0xf2) {
        const v = dv.getUint16(at, true) | (blob[at + 2] << 16);
        value = v >= 0x800000 ? v - 0x1000000 : v;
      } else if (b === 0xf3) value = dv.getInt32(at, true);
      else {
        const v = dv.getBigInt64(at, true);
        value = v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(v)
          : v;
      }
    } else {
      return r.fail(`invalid listpack entry encoding 0x${b.toString(16)}`, start);
    }
    if (start + size > end) r.fail("listpack string past the end", start);
    const bl = backlenSize(size);
    if (start + size + bl > end) r.fail("listpack entry length past the end", start);
    // The backlen repeats the entry size, 7 bits a byte, most significant first; every
    // byte but the first has its high bit set (it is read backwards from the next entry).
    let decoded = 0;
    for (let k = 0; k < bl; k++) {
      const byte = blob[start + size + k];
      if ((byte & 128) !== (k === 0 ? 0 : 128)) decoded = -1;
      if (decoded >= 0) decoded = decoded * 128 + (byte & 127);
    }
    if (decoded !== size) r.fail("listpack entry with a wrong back length", start + size);
    if (from >= 0) out.push(text ? latin1(blob, from, start + size) : null);
    else out.push(text ? String(value) : value);
    start += size + bl;
  }
  if (declared !== COUNT_UNKNOWN && declared !== out.length) {
    r.fail(`listpack header says ${declared} elements, found ${out.length}`, 4);
  }
  return out;
}
