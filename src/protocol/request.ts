// A request as a client sends it: a RESP array of bulk strings. The replication link
// sends its own commands this way, and a master streams its writes this way.

import { Buffer } from "node:buffer";

// A master encodes every write it propagates, where a new ArrayBuffer would cost more
// than the encoding: small requests are written into a shared slab instead, each in
// its own part of it, never reused.
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX_REQUEST = SLAB_SIZE / 16;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

// Arguments longer than this are copied by Buffer's native latin1Write.
const NATIVE_LATIN1 = 256;

type Latin1Writable = Buffer & {
  latin1Write(text: string, offset: number, length: number): number;
};

/** `argv` (one-byte strings) as the bytes of a RESP multibulk request. */
export function encodeRequest(argv: readonly string[]): Uint8Array {
  let size = headerSize(argv.length);
  for (let i = 0; i < argv.length; i++) size += headerSize(argv[i].length) + argv[i].length + 2;
  let out: Uint8Array;
  if (size > SLAB_MAX_REQUEST) out = new Uint8Array(size);
  else {
    if (slabUsed + size > SLAB_SIZE) {
      slab = new Uint8Array(SLAB_SIZE);
      slabUsed = 0;
    }
    out = slab.subarray(slabUsed, slabUsed + size);
    slabUsed += size;
  }
  let at = writeHeader(out, 0, 42, argv.length);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    at = writeHeader(out, at, 36, arg.length);
    at = writeText(out, at, arg);
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

function digits(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}

// `*n\r\n` or `$n\r\n`.
function headerSize(n: number): number {
  return digits(n) + 3;
}

function writeHeader(out: Uint8Array, at: number, type: number, n: number): number {
  out[at++] = type;
  const end = at + digits(n);
  for (let i = end - 1; i >= at; i--) {
    out[i] = 48 + n % 10;
    n = Math.floor(n / 10);
  }
  out[end] = 13;
  out[end + 1] = 10;
  return end + 2;
}

function writeText(out: Uint8Array, at: number, text: string): number {
  const n = text.length;
  if (n > NATIVE_LATIN1) {
    const native = Buffer.from(out.buffer, out.byteOffset, out.length) as Latin1Writable;
    return at + native.latin1Write(text, at, n);
  }
  for (let i = 0; i < n; i++) out[at++] = text.charCodeAt(i);
  return at;
}
