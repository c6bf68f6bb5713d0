// LZF, the compression RDB files use for long strings and listpack blobs.
//
// The compressor follows liblzf's choices as Redis builds it (16-bit hash table,
// "very fast" mode, a reference never pointing at the first input byte, the same
// output-space checks), so a string compresses to exactly the bytes Redis would
// write and DUMP payloads can match Redis's byte for byte.
//
// Format: a control byte below 32 starts a run of (ctrl + 1) literal bytes; otherwise
// the top three bits are a length (7 = one more length byte follows), the low five bits
// and the next byte an offset back into the output, and (length + 2) bytes are copied.

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

// Positions from earlier calls must not be taken for matches: each call shifts the
// stored positions by a growing base, so anything older reads as negative.
const table = new Float64Array(HSIZE);
let base = 1;

function hashIndex(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - h * 5) & (HSIZE - 1);
}

/**
 * Compresses `input` into `output` (which must be at least `outLimit` long) and returns
 * the number of bytes written, or 0 when the result would not fit in `outLimit` bytes.
 */
export function lzfCompress(input: Uint8Array, output: Uint8Array, outLimit: number): number {
  const inLen = input.length;
  if (inLen === 0) return 0;
  if (base + inLen + 1 > Number.MAX_SAFE_INTEGER / 2) {
    table.fill(0);
    base = 1;
  }
  const shift = base;
  base += inLen + 1;
  const outEnd = outLimit;
  const inEnd = inLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // room for the first literal run's length
  let hval = (input[0] << 8) | input[1];
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
    const slot = hashIndex(hval);
    const ref = table[slot] - shift;
    table[slot] = ip + shift;
    let off: number;
    if (
      ref > 0 && ref < ip && (off = ip - ref - 1) < MAX_OFF &&
      input[ref + 2] === input[ip + 2] && input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outEnd) {
        if (op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
      }
      output[op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // an empty run takes no byte
      // liblzf compares 16 bytes unconditionally when more than 16 may match, so a
      // match may run up to two bytes past maxlen there; the output keeps that.
      let done = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            done = true;
            break;
          }
        }
      }
      if (!done) {
        do len++; while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) {
        output[op++] = (off >> 8) + (len << 5);
      } else {
        output[op++] = (off >> 8) + (7 << 5);
        output[op++] = len - 7;
      }
      output[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
      table[hashIndex(hval)] = ip + shift;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) & 0xffffff;
      table[hashIndex(hval)] = ip + shift;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      output[op++] = input[ip++];
      if (lit === MAX_LIT) {
        output[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inEnd) {
    lit++;
    output[op++] = input[ip++];
    if (lit === MAX_LIT) {
      output[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  output[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op;
}

/** Why decompression failed, with the offset into the compressed data. */
export class LzfError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/**
 * Decompresses `input` into a new array of exactly `outLen` bytes; throws LzfError when
 * the data is corrupt or does not produce exactly that many bytes.
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array {
  const output = new Uint8Array(outLen);
  const inEnd = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen) throw new LzfError("LZF output overflow", ip - 1);
      if (ip + run > inEnd) throw new LzfError("LZF input truncated", ip - 1);
      output.set(input.subarray(ip, ip + run), op);
      op += run;
      ip += run;
    } else {
      const start = ip - 1;
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= inEnd) throw new LzfError("LZF input truncated", start);
        len += input[ip++];
      }
      if (ip >= inEnd) throw new LzfError("LZF input truncated", start);
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
      len += 2;
      if (op + len > outLen) throw new LzfError("LZF output overflow", start);
      if (ref < 0) throw new LzfError("LZF back reference before the start", start);
      if (ref + len <= op) {
        output.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Overlapping copy: byte by byte, as the format intends (runs).
        for (let k = 0; k < len; k++) output[op++] = output[ref + k];
      }
    }
  }
  if (op !== outLen) throw new LzfError(`LZF produced ${op} bytes, expected ${outLen}`, ip);
  return output;
}
