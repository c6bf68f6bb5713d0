// SHA-1 (FIPS 180-4) over one-byte strings and bytes, synchronous and without
// allocating, and the two ways DEBUG DIGEST folds a hash into a running 20-byte
// digest. DEBUG DIGEST hashes every key and element of the dataset, mostly short
// strings, so a small hand-written SHA-1 beats a call into a crypto library per
// element (and WebCrypto's is asynchronous).

const state = new Int32Array(5);
const words = new Int32Array(80);
// The last one or two blocks: the data's tail, the 0x80 marker and the bit length.
const tail = new Uint8Array(128);
const scratch = new Uint8Array(20);

// One 64-byte block, already in words[0..15], into `state`.
function compress(): void {
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

/**
 * The SHA-1 of `data` (a one-byte string's chars are its bytes), written as 20 bytes
 * into `out` at `at` (by default a new array). `out` may be `data` itself.
 */
export function sha1(
  data: string | Uint8Array,
  out: Uint8Array = new Uint8Array(20),
  at = 0,
): Uint8Array {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  state[4] = 0xc3d2e1f0 | 0;
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
  for (let i = 0; i < 5; i++) {
    const v = state[i];
    out[at + 4 * i] = v >>> 24;
    out[at + 4 * i + 1] = (v >>> 16) & 0xff;
    out[at + 4 * i + 2] = (v >>> 8) & 0xff;
    out[at + 4 * i + 3] = v & 0xff;
  }
  return out;
}

/** `digest` ^= SHA-1(data): order-independent (set members, whole keys). */
export function xorDigest(digest: Uint8Array, data: string | Uint8Array): void {
  sha1(data, scratch);
  for (let i = 0; i < 20; i++) digest[i] ^= scratch[i];
}

/** `digest` = SHA-1(digest ^ SHA-1(data)): order-dependent (list elements, a key's parts). */
export function mixDigest(digest: Uint8Array, data: string | Uint8Array): void {
  xorDigest(digest, data);
  sha1(digest, digest);
}

/** A 20-byte digest as 40 lowercase hex digits. */
export function digestHex(digest: Uint8Array): string {
  let out = "";
  for (let i = 0; i < digest.length; i++) out += digest[i].toString(16).padStart(2, "0");
  return out;
}
