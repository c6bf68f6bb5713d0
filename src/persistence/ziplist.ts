// Readers for the two encodings older Redis versions wrote and 7.0 still loads:
// ziplists (lists, hashes and sorted sets before listpacks) and zipmaps (hashes
// before 2.6).
//
// Ziplist: total bytes (u32 LE), offset of the last entry (u32 LE), count (u16 LE),
// entries, 0xFF. An entry is the previous entry's length (1 byte, or 0xFE + u32 LE),
// an encoding (a string with a 6/14/32-bit length, or an integer of 8/16/24/32/64
// bits, or 0..12 packed into the encoding byte), then the data.
//
// Zipmap: a count byte, then length-prefixed field and value pairs (lengths below 254
// in one byte, else 254 + u32 LE), each value followed by a byte counting unused
// bytes to skip, and 0xFF at the end.

import { ByteReader, latin1 } from "./rdb_format.ts";

/**
 * Every element of a ziplist blob as one-byte strings (integers in decimal). `base` is
 * the blob's offset in the file and `what` names the structure, for error messages.
 * Checks the header (size, tail offset, count), every entry's bounds, encoding and
 * previous-entry length, and the terminator.
 */
export function decodeZiplist(blob: Uint8Array, base = 0, what = "Ziplist"): string[] {
  const r = new ByteReader(blob, 0, base, what);
  if (blob.length < 11) r.fail("ziplist too short");
  const total = r.u32le();
  if (total !== blob.length) {
    r.fail(`ziplist header says ${total} bytes, blob has ${blob.length}`, 0);
  }
  const tail = r.u32le();
  const declared = blob[8] | (blob[9] << 8);
  r.pos = 10;
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: string[] = [];
  const end = blob.length - 1;
  let previousStart = -1;
  let previousSize = 0;
  while (true) {
    const start = r.pos;
    if (start > end) r.fail("ziplist without terminator");
    if (blob[start] === 0xff) {
      if (start !== end) r.fail("ziplist terminator before the end");
      break;
    }
    // prevlen
    let prevlen = blob[r.pos++];
    if (prevlen === 0xfe) {
      if (r.pos + 4 > end) r.fail("ziplist entry past the end", start);
      prevlen = dv.getUint32(r.pos, true);
      r.pos += 4;
    }
    if (previousStart >= 0 && prevlen !== previousSize) {
      r.fail("ziplist entry with a wrong previous length", start);
    }
    if (r.pos > end) r.fail("ziplist entry past the end", start);
    const enc = blob[r.pos];
    const kind = enc >> 6;
    if (kind === 0) {
      const len = enc & 0x3f;
      r.pos += 1;
      if (r.pos + len > end) r.fail("ziplist string past the end", start);
      out.push(latin1(blob, r.pos, r.pos + len));
      r.pos += len;
    } else if (kind === 1) {
      if (r.pos + 2 > end) r.fail("ziplist string past the end", start);
      const len = ((enc & 0x3f) << 8) | blob[r.pos + 1];
      r.pos += 2;
      if (r.pos + len > end) r.fail("ziplist string past the end", start);
      out.push(latin1(blob, r.pos, r.pos + len));
      r.pos += len;
    } else if (kind === 2) {
      if (enc !== 0x80 || r.pos + 5 > end) r.fail("invalid ziplist string encoding", start);
      const len = dv.getUint32(r.pos + 1, false);
      r.pos += 5;
      if (r.pos + len > end) r.fail("ziplist string past the end", start);
      out.push(latin1(blob, r.pos, r.pos + len));
      r.pos += len;
    } else {
      r.pos += 1;
      let width: number;
      if (enc === 0xc0) width = 2;
      else if (enc === 0xd0) width = 4;
      else if (enc === 0xe0) width = 8;
      else if (enc === 0xf0) width = 3;
      else if (enc === 0xfe) width = 1;
      else if (enc >= 0xf1 && enc <= 0xfd) width = 0;
      else return r.fail(`invalid ziplist entry encoding 0x${enc.toString(16)}`, start);
      if (r.pos + width > end) r.fail("ziplist integer past the end", start);
      const at = r.pos;
      let text: string;
      if (width === 0) text = String((enc & 0x0f) - 1);
      else if (width === 1) text = String(dv.getInt8(at));
      else if (width === 2) text = String(dv.getInt16(at, true));
      else if (width === 3) {
        let v = dv.getUint16(at, true) | (blob[at + 2] << 16);
        if (v >= 0x800000) v -= 0x1000000;
        text = String(v);
      } else if (width === 4) text = String(dv.getInt32(at, true));
      else text = dv.getBigInt64(at, true).toString();
      out.push(text);
      r.pos += width;
    }
    previousStart = start;
    previousSize = r.pos - start;
  }
  if (out.length > 0 && tail !== previousStart) r.fail("ziplist tail offset is wrong", 4);
  if (declared !== 65535 && declared !== out.length) {
    r.fail(`ziplist header says ${declared} elements, found ${out.length}`, 8);
  }
  return out;
}

/**
 * The field and value pairs of a zipmap blob, flattened: [f1, v1, f2, v2, ...]. An
 * empty zipmap is corrupt, as Redis sees it (it never wrote one).
 */
export function decodeZipmap(blob: Uint8Array, base = 0, what = "Zipmap"): string[] {
  const r = new ByteReader(blob, 0, base, what);
  // The pair count, unless 254 or more ("count them").
  const declared = r.u8();
  const out: string[] = [];
  const readLen = (): number => {
    const b = r.u8();
    if (b < 254) return b;
    if (b === 254) return r.u32le();
    return -1; // 255: end
  };
  while (true) {
    const start = r.pos;
    const flen = readLen();
    if (flen < 0) break;
    out.push(latin1(r.view(flen)));
    const vlen = readLen();
    if (vlen < 0) r.fail("zipmap field without a value", start);
    const free = r.u8();
    out.push(latin1(r.view(vlen)));
    r.view(free);
  }
  if (r.pos !== blob.length) r.fail("zipmap data after its end marker");
  if (out.length === 0) r.fail("zipmap without entries", 0);
  if (declared < 254 && declared !== out.length / 2) {
    r.fail(`zipmap header says ${declared} pairs, found ${out.length / 2}`, 0);
  }
  return out;
}
