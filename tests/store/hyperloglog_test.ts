// Unit tests of the HyperLogLog encoding: the WebAssembly MurmurHash64A against a
// BigInt model (short elements, and long ones copied to the module a page at a time), byte layouts Redis 7.0.15 produced for known inputs, the sparse form
// against a plain register model under random updates, promotion to dense, corrupt
// sparse strings, and the estimator.

import assert from "node:assert/strict";
import {
  cachedCount,
  CorruptHll,
  countOf,
  denseGet,
  estimate,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  isHll,
  murmur64a,
  newHll,
  patternOf,
  registersOf,
  setCachedCount,
  sparseSet,
  sparseToDense,
} from "../../src/store/hyperloglog.ts";
import { CHUNK } from "../../src/store/murmur_wasm.ts";
import { rng } from "../_random.ts";

const M = 0xc6a4a7935bd1e995n;
const MASK = (1n << 64n) - 1n;

// MurmurHash64A written plainly with BigInt.
function murmurModel(data: Uint8Array, seed = 0xadc83b19n): bigint {
  let h = (seed ^ (BigInt(data.length) * M)) & MASK;
  const blocks = data.length - (data.length & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data[i + j]);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const rest = data.length & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(data[blocks + j]) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function fromLatin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

Deno.test("murmur64a equals a BigInt MurmurHash64A", () => {
  const random = rng(7);
  for (let n = 0; n < 2000; n++) {
    const bytes = new Uint8Array(Math.floor(random() * 40));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    const [hi, lo] = murmur64a(bytes);
    const expected = murmurModel(bytes);
    assert.equal((BigInt(hi) << 32n) | BigInt(lo), expected);
    assert.deepEqual(murmur64a(latin1(bytes)), [hi, lo]);
    // The register and run length, as Redis derives them from the hash.
    const [index, count] = patternOf(bytes);
    assert.equal(BigInt(index), expected & 16383n);
    let rest = (expected >> 14n) | (1n << 50n), c = 1;
    while ((rest & 1n) === 0n) {
      c++;
      rest >>= 1n;
    }
    assert.equal(count, c);
  }
});

Deno.test("murmur64a of elements longer than the module's page equals the model", () => {
  const random = rng(19);
  for (const length of [CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 8, 3 * CHUNK + 5]) {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
    const expected = murmurModel(bytes);
    const [hi, lo] = murmur64a(bytes);
    assert.equal((BigInt(hi) << 32n) | BigInt(lo), expected, `bytes, ${length}`);
    let text = "";
    for (let i = 0; i < length; i += 4096) text += latin1(bytes.subarray(i, i + 4096));
    assert.deepEqual(murmur64a(text), [hi, lo], `string, ${length}`);
    assert.equal(BigInt(patternOf(text)[0]), expected & 16383n);
  }
});

Deno.test("PFADD's bytes match Redis 7.0.15 for known elements", () => {
  const empty = newHll();
  assert.equal(latin1(empty), "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff");
  let bytes = empty;
  for (const e of ["a", "b", "c"]) bytes = hllAdd(bytes, e, 3000).bytes;
  bytes[15] |= 0x80;
  assert.equal(
    latin1(bytes),
    "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ",
  );
  assert.equal(countOf(bytes), 3);
  assert.equal(countOf(empty), 0);
});

Deno.test("sparse updates keep the registers of a plain model, then promote", () => {
  const random = rng(11);
  for (const maxBytes of [3000, 200, 40]) {
    let bytes = newHll();
    const model = new Uint8Array(HLL_REGISTERS);
    for (let n = 0; n < 3000; n++) {
      // Clustered indexes exercise splits and VAL merges.
      const index = Math.floor(random() * 64) * 256 + Math.floor(random() * 8);
      const count = 1 + Math.floor(random() * 32);
      const before = bytes[4];
      const result = sparseSet(bytes, index, count, maxBytes);
      assert.equal(result.changed, count > model[index] || before !== result.bytes[4]);
      bytes = result.bytes;
      if (count > model[index]) model[index] = count;
      if (bytes[4] === HLL_DENSE) break;
      assert.ok(bytes.length <= maxBytes || bytes.length === 18);
      assert.deepEqual(registersOf(bytes), model);
    }
    if (maxBytes < 3000) assert.equal(bytes[4], HLL_DENSE);
    assert.deepEqual(registersOf(bytes), model);
  }
});

Deno.test("a value above 32 turns a sparse HLL dense", () => {
  const result = sparseSet(newHll(), 100, 40, 3000);
  assert.equal(result.changed, true);
  assert.equal(result.bytes[4], HLL_DENSE);
  assert.equal(result.bytes.length, HLL_DENSE_SIZE);
  assert.equal(denseGet(result.bytes, 100), 40);
  assert.equal(denseGet(result.bytes, 99), 0);
  assert.equal(isHll(result.bytes), true);
});

Deno.test("dense and sparse forms estimate the same cardinality", () => {
  let bytes = newHll();
  for (let i = 0; i < 1500; i++) bytes = hllAdd(bytes, `e${i}`, 1 << 30).bytes;
  assert.equal(bytes[4], HLL_SPARSE);
  const dense = sparseToDense(bytes);
  assert.equal(dense[4], HLL_DENSE);
  assert.equal(countOf(dense), countOf(bytes));
  assert.deepEqual(registersOf(dense), registersOf(bytes));
  const n = countOf(bytes);
  assert.ok(Math.abs(n - 1500) < 60, `estimate ${n}`);
});

Deno.test("sparse strings that miss or pass 16384 registers are corrupt", () => {
  const header = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";
  for (const body of ["\x7f\xfe", "\x7f\xff\x00", "", "\x7f\xfe\x83"]) {
    const bytes = fromLatin1(header + body);
    assert.throws(() => countOf(bytes), CorruptHll);
    assert.throws(() => sparseToDense(bytes), CorruptHll);
  }
  assert.equal(isHll(fromLatin1("HYLL")), false);
  assert.equal(isHll(fromLatin1("HYLL\x00" + "\x00".repeat(11) + "\x7f\xff")), false);
  assert.equal(isHll(fromLatin1("HYLL\x02" + "\x00".repeat(11) + "\x7f\xff")), false);
});

Deno.test("the estimator: empty is 0, all registers at 1 is 23637 as in Redis", () => {
  const histo = new Float64Array(64);
  histo[0] = HLL_REGISTERS;
  assert.equal(estimate(histo), 0);
  histo[0] = 0;
  histo[1] = HLL_REGISTERS;
  assert.equal(estimate(histo), 23637);
});

Deno.test("the cached count is read whole: past 2^53 as a bigint, exactly", () => {
  const hll = newHll();
  setCachedCount(hll, 123456);
  assert.equal(cachedCount(hll), 123456);
  // A header set by SETRANGE may hold any 63-bit value.
  hll.set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x64], 8);
  assert.equal(cachedCount(hll), 0x6406050403020100n);
  hll.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00], 8);
  assert.equal(cachedCount(hll), 2 ** 53 - 1);
  hll[15] |= 0x80;
  assert.equal(cachedCount(hll), null);
});
