// SHA-1 (script names: EVAL, SCRIPT LOAD, redis.sha1hex; DEBUG DIGEST) and SHA-256 (ACL
// password hashes), as FIPS 180-4 defines them, over bytes or one-byte strings, and
// synchronous (WebCrypto's digest is not). Written here instead of importing
// node:crypto, whose loading took about a tenth of the server's start-up; the inputs are
// short, and hashing them in JavaScript costs less than a call into a library.

import { hexOf } from "./hex.ts";

// Both hashes keep their state in module arrays: they allocate nothing (DEBUG DIGEST
// hashes every key and element of the dataset with SHA-1).
const sha1State = new Int32Array(5);
const sha256State = new Int32Array(8);
// The message schedule; each block's 16 words are loaded into its start.
const words = new Int32Array(80);
// The last one or two blocks: the data's tail, the 0x80 marker and the bit length.
const tail = new Uint8Array(128);

// One 64-byte block, already in words[0..15], into the SHA-1 state.
function compress1(): void {
  const state = sha1State;
  const w = words;
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
  for (let i = 0; i < 80; i++) {
    let f: number, k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
}

function loadBytes(bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    words[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
}

function loadText(text: string, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    words[i] = (text.charCodeAt(at) << 24) | (text.charCodeAt(at + 1) << 16) |
      (text.charCodeAt(at + 2) << 8) | text.charCodeAt(at + 3);
  }
}

// Runs `compress` over each 64-byte block of the padded message (FIPS 180-4 5.1.1: the
// data, a 0x80 byte, zeros, the length in bits as a 64-bit big-endian number), each
// loaded into words[0..15] first.
function hashBlocks(data: string | Uint8Array, compress: () => void): void {
  const n = data.length;
  const full = n - (n % 64);
  if (typeof data === "string") {
    for (let p = 0; p < full; p += 64) {
      loadText(data, p);
      compress();
    }
    for (let p = full; p < n; p++) tail[p - full] = data.charCodeAt(p);
  } else {
    for (let p = 0; p < full; p += 64) {
      loadBytes(data, p);
      compress();
    }
    tail.set(data.subarray(full), 0);
  }
  const rest = n - full;
  const blocks = rest < 56 ? 1 : 2;
  tail[rest] = 0x80;
  tail.fill(0, rest + 1, blocks * 64 - 8);
  const bits = n * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits % 0x100000000;
  const end = blocks * 64;
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = (hi >>> 16) & 0xff;
  tail[end - 6] = (hi >>> 8) & 0xff;
  tail[end - 5] = hi & 0xff;
  tail[end - 4] = lo >>> 24;
  tail[end - 3] = (lo >>> 16) & 0xff;
  tail[end - 2] = (lo >>> 8) & 0xff;
  tail[end - 1] = lo & 0xff;
  for (let b = 0; b < blocks; b++) {
    loadBytes(tail, b * 64);
    compress();
  }
}

// A state's words as big-endian bytes into `out` at `at`.
function writeState(state: Int32Array, out: Uint8Array, at: number): Uint8Array {
  for (let i = 0; i < state.length; i++) {
    const v = state[i];
    out[at + 4 * i] = v >>> 24;
    out[at + 4 * i + 1] = (v >>> 16) & 0xff;
    out[at + 4 * i + 2] = (v >>> 8) & 0xff;
    out[at + 4 * i + 3] = v & 0xff;
  }
  return out;
}

/**
 * The SHA-1 of `data` (a one-byte string's chars are its bytes), written as 20 bytes
 * into `out` at `at` (by default a new array). `out` may be `data` itself.
 */
export function sha1(
  data: string | Uint8Array,
  out: Uint8Array = new Uint8Array(20),
  at = 0,
): Uint8Array {
  sha1State[0] = 0x67452301;
  sha1State[1] = 0xefcdab89 | 0;
  sha1State[2] = 0x98badcfe | 0;
  sha1State[3] = 0x10325476;
  sha1State[4] = 0xc3d2e1f0 | 0;
  hashBlocks(data, compress1);
  return writeState(sha1State, out, at);
}

const digestOut = new Uint8Array(32);

/** SHA-1 of bytes (or a one-byte string), as 40 lowercase hex digits. */
export function sha1Hex(data: Uint8Array | string): string {
  return hexOf(sha1(data, digestOut).subarray(0, 20));
}

// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const SHA256_K = new Int32Array(64);
// ... and of the square roots of the first 8: the initial hash value.
const SHA256_H0 = new Int32Array(8);
{
  const primes: number[] = [];
  for (let n = 2; primes.length < 64; n++) {
    if (primes.every((p) => n % p !== 0)) primes.push(n);
  }
  const fraction = (x: number) => ((x - Math.floor(x)) * 0x100000000) | 0;
  for (let i = 0; i < 64; i++) SHA256_K[i] = fraction(Math.cbrt(primes[i]));
  for (let i = 0; i < 8; i++) SHA256_H0[i] = fraction(Math.sqrt(primes[i]));
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

// One 64-byte block, already in words[0..15], into the SHA-256 state.
function compress256(): void {
  const w = words;
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15], y = w[t - 2];
    const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
    const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
  const h = sha256State;
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let t = 0; t < 64; t++) {
    const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
      SHA256_K[t] + w[t]) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    k = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

/** SHA-256 of bytes (or a one-byte string), as 64 lowercase hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  sha256State.set(SHA256_H0);
  hashBlocks(data, compress256);
  return hexOf(writeState(sha256State, digestOut, 0));
}
