import assert from "node:assert/strict";
import { hashKey, StringTable } from "../../src/store/string_table.ts";

// A small deterministic generator, so a failure can be replayed.
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

Deno.test("a string table agrees with a Map under random sets, deletes and lookups", () => {
  const random = rng(7);
  const table = new StringTable<number>();
  const model = new Map<string, number>();
  for (let step = 0; step < 60_000; step++) {
    // Keys over all byte values, so binary keys are covered.
    const key = String.fromCharCode(Math.floor(random() * 256), Math.floor(random() * 40));
    const roll = random();
    if (roll < 0.5) {
      table.set(key, step);
      model.set(key, step);
    } else if (roll < 0.8) {
      assert.equal(table.delete(key), model.delete(key));
    } else {
      assert.equal(table.get(key), model.get(key));
      assert.equal(table.has(key), model.has(key));
    }
    assert.equal(table.size, model.size);
  }
  assert.deepEqual(new Map(table.entries()), model);
  assert.deepEqual([...table.keys()].sort(), [...model.keys()].sort());
  assert.deepEqual([...table.values()].sort(), [...model.values()].sort());
});

Deno.test("a string table grows and shrinks without losing entries", () => {
  const table = new StringTable<string>();
  for (let i = 0; i < 100_000; i++) table.set(`key:${i}`, `v${i}`);
  assert.equal(table.size, 100_000);
  for (let i = 0; i < 100_000; i += 1) if (i % 10 !== 0) assert.ok(table.delete(`key:${i}`));
  assert.equal(table.size, 10_000);
  for (let i = 0; i < 100_000; i += 10) assert.equal(table.get(`key:${i}`), `v${i}`);
  assert.equal(table.get("key:1"), undefined);
  table.clear();
  assert.equal(table.size, 0);
  assert.equal(table.get("key:0"), undefined);
});

Deno.test("a string table with room reserved holds and finds what is added", () => {
  const table = new StringTable<number>();
  table.set("before", 1);
  table.reserve(5000);
  for (let i = 0; i < 10_000; i++) table.set(`k${i}`, i);
  assert.equal(table.size, 10_001);
  assert.equal(table.get("before"), 1);
  for (let i = 0; i < 10_000; i++) assert.equal(table.get(`k${i}`), i);
  assert.equal([...table.keys()].length, 10_001);
});

Deno.test("a string table's iterator visits every entry present throughout exactly once", () => {
  const table = new StringTable<number>();
  for (let i = 0; i < 2000; i++) table.set(`k${i}`, i);
  const seen = new Map<string, number>();
  let added = 0;
  for (const key of table.keys()) {
    seen.set(key, (seen.get(key) ?? 0) + 1);
    // Change the table as the walk goes: deletes ahead and behind, and new keys
    // (which reuse freed places and make the table grow).
    const n = Number(key.slice(1));
    if (n < 2000 && n % 3 === 0) table.delete(`k${(n + 1000) % 2000}`);
    if (n < 2000 && n % 2 === 0) table.set(`new${added++}`, n);
  }
  for (let i = 0; i < 2000; i++) {
    const key = `k${i}`;
    if (table.has(key)) assert.equal(seen.get(key), 1, key);
  }
  for (const count of seen.values()) assert.equal(count, 1);
});

Deno.test("an entry's aux integer stays with its key", () => {
  const table = new StringTable<string>();
  const entry = table.insertNew("a", "x", 42);
  table.insertNew("b", "y", 7);
  assert.equal(table.entryOf("a"), entry);
  assert.equal(table.auxAt(entry), 42);
  table.setAuxAt(entry, 43);
  table.setValueAt(entry, "z");
  assert.equal(table.get("a"), "z");
  assert.equal(table.auxAt(table.entryOf("a")), 43);
  table.updateAux((key, aux) => key === "b" ? aux + 1 : aux);
  assert.equal(table.auxAt(table.entryOf("b")), 8);
  assert.equal(table.entryOf("missing"), -1);
  // A freed place that is reused starts with the new key's aux.
  table.delete("a");
  const reused = table.insertNew("c", "w", 5);
  assert.equal(reused, entry);
  assert.equal(table.auxAt(reused), 5);
});

Deno.test("keys that differ only in high bytes or length hash apart", () => {
  assert.notEqual(hashKey("a"), hashKey("a\x00"));
  assert.notEqual(hashKey("\xff"), hashKey("\x7f"));
  const hashes = new Set<number>();
  for (let i = 0; i < 256; i++) hashes.add(hashKey(String.fromCharCode(i)));
  assert.equal(hashes.size, 256);
});
