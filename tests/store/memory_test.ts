// Unit tests of the memory estimates behind MEMORY USAGE: plausible, growing with the
// data, and sampling large collections.

import assert from "node:assert/strict";
import { HashValue } from "../../src/store/hash.ts";
import { ListValue } from "../../src/store/list.ts";
import { memoryUsage, valueBytes } from "../../src/persistence/codecs/mod.ts";
import { SetValue } from "../../src/store/set.ts";
import { SortedSetValue } from "../../src/store/zset.ts";

const HASH_LIMITS = { maxListpackEntries: 128, maxListpackValue: 64 };
const ZSET_LIMITS = { maxListpackEntries: 128, maxListpackValue: 64 };

function hash(n: number, valueLength = 10): HashValue {
  const h = new HashValue();
  for (let i = 0; i < n; i++) h.set(`field:${i}`, "v".repeat(valueLength), HASH_LIMITS);
  return h;
}

Deno.test("a small string key costs tens of bytes, a larger one its length more", () => {
  const small = memoryUsage("k", "v");
  assert.ok(small > 40 && small < 200, `${small}`);
  assert.equal(memoryUsage("k", "v".repeat(1001)) - memoryUsage("k", "v".repeat(1)), 1000);
  assert.ok(memoryUsage("a-longer-key-name", "v") > small);
});

Deno.test("a byte-array string counts its whole buffer", () => {
  const bytes = new Uint8Array(new ArrayBuffer(4096), 0, 100);
  assert.ok(valueBytes(bytes) >= 4096);
});

Deno.test("collections grow with their number of elements and their sizes", () => {
  assert.ok(valueBytes(hash(100)) > valueBytes(hash(10)));
  assert.ok(valueBytes(hash(10, 100)) > valueBytes(hash(10, 10)));
  assert.ok(valueBytes(ListValue.from(Array(100).fill("x"))) > valueBytes(ListValue.from(["x"])));
  const ints = new SetValue(), words = new SetValue();
  for (let i = 0; i < 50; i++) {
    ints.add(String(i), 512);
    words.add(`member-${i}`, 512);
  }
  assert.ok(valueBytes(ints) > valueBytes(new SetValue()));
  assert.ok(valueBytes(words) > valueBytes(ints));
  const packed = SortedSetValue.fromEntries([["a", 1], ["b", 2]], ZSET_LIMITS);
  const entries: [string, number][] = Array.from({ length: 500 }, (_, i) => [`m${i}`, i / 3]);
  const skiplist = SortedSetValue.fromEntries(entries, ZSET_LIMITS);
  assert.equal(skiplist.encoding, "skiplist");
  assert.ok(valueBytes(skiplist) > valueBytes(packed) * 10);
});

Deno.test("SAMPLES measures that many elements; 0 measures all", () => {
  const h = new HashValue();
  h.set("a", "x".repeat(4000), HASH_LIMITS);
  for (let i = 0; i < 99; i++) h.set(`f${i}`, "y", HASH_LIMITS);
  const one = memoryUsage("h", h, { samples: 1 });
  const all = memoryUsage("h", h, { samples: 0 });
  assert.ok(one > all * 10, `${one} vs ${all}`);
  assert.equal(memoryUsage("h", h, { samples: 100 }), all);
});
