// Tests for the SHA-1 and SHA-256 of src/util/sha.ts, against node:crypto.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha1Hex, sha256Hex } from "../../src/util/sha.ts";

// Node's implementation is the reference (tests may load node:crypto; the server does not).
function reference(algorithm: string, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

Deno.test("SHA-1 and SHA-256 of the standard test messages", () => {
  assert.equal(sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

Deno.test("every length across the block boundaries, every byte value", () => {
  let seed = 7;
  for (let length = 0; length <= 300; length++) {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = seed = (seed * 1103515245 + 12345) & 255;
    const text = String.fromCharCode(...bytes);
    assert.equal(sha1Hex(bytes), reference("sha1", bytes), `sha1, ${length} bytes`);
    assert.equal(sha1Hex(text), sha1Hex(bytes));
    assert.equal(sha256Hex(bytes), reference("sha256", bytes), `sha256, ${length} bytes`);
    assert.equal(sha256Hex(text), sha256Hex(bytes));
  }
});

Deno.test("a megabyte", () => {
  const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 31) ^ (i >> 8));
  assert.equal(sha1Hex(bytes), reference("sha1", bytes));
  assert.equal(sha256Hex(bytes), reference("sha256", bytes));
});
