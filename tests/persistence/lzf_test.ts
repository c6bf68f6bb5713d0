// LZF: round trips of all kinds of data, Redis's exact output, and corrupt input.

import assert from "node:assert/strict";
import { lzfCompress, lzfDecompress, LzfError } from "../../src/persistence/lzf.ts";
import { bytes } from "../_server.ts";

function compress(input: Uint8Array, limit = input.length - 4): Uint8Array | null {
  const out = new Uint8Array(Math.max(limit, 0) + 16);
  const n = lzfCompress(input, out, limit);
  return n === 0 ? null : out.slice(0, n);
}

function random(n: number, seed: number, alphabet = 256): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = (x >>> 16) % alphabet;
  }
  return out;
}

Deno.test("lzf compresses 66 'a's to the bytes Redis writes", () => {
  // From DUMP of SET c <66 x 'a'> on redis-server 7.0.15: 0xC3, 9, 66, then these.
  assert.deepEqual(compress(bytes("a".repeat(66))), bytes("\x01aa\xe05\x00\x01aa"));
});

Deno.test("lzf round-trips repetitive, text-like and random data of many sizes", () => {
  const inputs: Uint8Array[] = [];
  for (const n of [21, 22, 50, 100, 255, 256, 1000, 8191, 8192, 8193, 70000, 300000]) {
    inputs.push(bytes("x".repeat(n)));
    inputs.push(bytes("abcdefghij".repeat(Math.ceil(n / 10)).slice(0, n)));
    inputs.push(random(n, n, 4));
    inputs.push(random(n, n + 1, 26));
    inputs.push(random(n, n + 2));
  }
  for (const input of inputs) {
    const packed = compress(input, input.length * 2);
    assert.ok(packed !== null, `length ${input.length}`);
    assert.deepEqual(lzfDecompress(packed, input.length), input);
  }
});

Deno.test("lzf gives up when the output would not be 4 bytes smaller", () => {
  const noise = random(1000, 99);
  assert.equal(compress(noise), null);
  // The same data is still compressible into a bigger budget (as literals).
  const packed = compress(noise, 2000)!;
  assert.deepEqual(lzfDecompress(packed, 1000), noise);
});

Deno.test("lzf output never depends on what was compressed before", () => {
  const a = bytes("hello hello hello hello hello world");
  const first = compress(a);
  compress(bytes("world hello world hello world hello"));
  assert.deepEqual(compress(a), first);
});

Deno.test("lzf decompression refuses corrupt input with an offset", () => {
  // A back reference before the start of the output.
  assert.throws(() => lzfDecompress(bytes("\x00a\xe0\x40\x00"), 20), LzfError);
  // A literal run longer than the input.
  assert.throws(() => lzfDecompress(bytes("\x05ab"), 6), (e: unknown) => {
    assert.ok(e instanceof LzfError);
    assert.equal(e.offset, 0);
    return true;
  });
  // Output shorter than announced.
  assert.throws(() => lzfDecompress(bytes("\x01ab"), 5), LzfError);
  // Output longer than announced.
  assert.throws(() => lzfDecompress(bytes("\x02abc"), 2), LzfError);
});
