// SHA-1 (script names: EVAL, SCRIPT LOAD, redis.sha1hex) and SHA-256 (ACL password
// hashes), as FIPS 180-4 defines them, over bytes or one-byte strings. Written here
// instead of importing node:crypto, whose loading alone took a tenth of the server's
// start-up; the inputs are short, and hashing them in JavaScript is as fast.

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** The message padded to whole 64-byte blocks, with its bit length at the end. */
function padded(data: Uint8Array | string): Uint8Array {
  const length = data.length;
  const total = ((length + 8) >>> 6) + 1 << 6;
  const block = new Uint8Array(total);
  if (typeof data === "string") {
    for (let i = 0; i < length; i++) block[i] = data.charCodeAt(i);
  } else block.set(data);
  block[length] = 0x80;
  const view = new DataView(block.buffer);
  // The length in bits, as a big-endian 64-bit number.
  view.setUint32(total - 8, Math.floor(length / 0x20000000));
  view.setUint32(total - 4, (length << 3) >>> 0);
  return block;
}

function hexOf(words: Uint32Array | Int32Array): string {
  let out = "";
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    out += HEX[(w >>> 24) & 255] + HEX[(w >>> 16) & 255] + HEX[(w >>> 8) & 255] + HEX[w & 255];
  }
  return out;
}

const sha1Schedule = new Int32Array(80);

/** SHA-1 of bytes (or a one-byte string), as 40 lowercase hex digits. */
export function sha1Hex(data: Uint8Array | string): string {
  const block = padded(data);
  const view = new DataView(block.buffer);
  const w = sha1Schedule;
  const h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  for (let offset = 0; offset < block.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(offset + t * 4);
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (let t = 0; t < 80; t++) {
      let f: number, k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const next = (((a << 5) | (a >>> 27)) + f + e + k + w[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  return hexOf(h);
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
const sha256Schedule = new Int32Array(64);

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/** SHA-256 of bytes (or a one-byte string), as 64 lowercase hex digits. */
export function sha256Hex(data: Uint8Array | string): string {
  const block = padded(data);
  const view = new DataView(block.buffer);
  const w = sha256Schedule;
  const h = Int32Array.from(SHA256_H0);
  for (let offset = 0; offset < block.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getInt32(offset + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15], y = w[t - 2];
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
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
  return hexOf(h);
}
