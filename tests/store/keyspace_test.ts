// Unit tests of the keyspace: binary keys, lazy and active expiry, databases.

import assert from "node:assert/strict";
import { HashValue } from "../../src/store/hash.ts";
import { FROZEN_AT_START, Keyspace } from "../../src/store/keyspace.ts";
import { typeOf } from "../../src/store/value.ts";

Deno.test("keys and values are binary-safe one-byte strings", () => {
  const db = new Keyspace(1).databases[0];
  const key = "\x00\x80\xff";
  db.set(key, "\r\n\x00");
  assert.equal(db.get(key), "\r\n\x00");
  assert.equal(db.get("\x00\x80"), undefined);
});

Deno.test("an expired key is invisible and removed on access", () => {
  const expired: string[] = [];
  const db = new Keyspace(1, (_db, key) => expired.push(key)).databases[0];
  db.set("a", "1");
  db.setExpire("a", Date.now() - 1);
  assert.equal(db.has("a"), false);
  assert.equal(db.size, 0);
  assert.deepEqual(expired, ["a"]);
});

Deno.test("while a script runs, keys expire by the time it started, read when first needed", () => {
  const ks = new Keyspace(1);
  const db = ks.databases[0];
  db.set("a", "1");
  db.setExpire("a", Date.now() - 20);
  // A script that started 100 ms ago: "a" had 80 ms to live then, so it is still there.
  ks.expiryClock.frozenAt = FROZEN_AT_START;
  ks.expiryClock.startedAt = performance.now() - 100;
  assert.equal(db.has("a"), true);
  const frozen = ks.expiryClock.frozenAt;
  assert.ok(Math.abs(frozen - (Date.now() - 100)) < 10, `frozen at ${Date.now() - frozen} ms ago`);
  // Once the script ends, the current time rules.
  ks.expiryClock.frozenAt = 0;
  assert.equal(db.has("a"), false);
});

Deno.test("SET without KEEPTTL clears the TTL, with it keeps the TTL", () => {
  const db = new Keyspace(1).databases[0];
  db.set("k", "v");
  db.setExpire("k", Date.now() + 10000);
  db.set("k", "w", true);
  assert.ok(db.getExpire("k") !== undefined);
  db.set("k", "x");
  assert.equal(db.getExpire("k"), undefined);
});

Deno.test("active expiry reclaims keys nobody touches", () => {
  const db = new Keyspace(1).databases[0];
  const past = Date.now() - 1;
  for (let i = 0; i < 1000; i++) {
    db.set("k" + i, "v");
    db.setExpire("k" + i, past);
  }
  db.set("live", "v");
  db.setExpire("live", Date.now() + 60000);
  let removed = 0;
  for (let round = 0; round < 100 && db.size > 1; round++) {
    removed += db.expireSample(Date.now(), 20);
  }
  assert.equal(removed, 1000);
  assert.equal(db.size, 1);
  assert.equal(db.get("live"), "v");
});

Deno.test("databases are independent and FLUSHALL empties them all", () => {
  const ks = new Keyspace(16);
  ks.databases[0].set("a", "1");
  ks.databases[15].set("a", "2");
  assert.equal(ks.databases[15].get("a"), "2");
  assert.equal(ks.size, 2);
  ks.flushAll();
  assert.equal(ks.size, 0);
});

Deno.test("a hash remembers when it outgrew the listpack encoding", () => {
  const hash = new HashValue();
  const limits = { maxListpackEntries: 2, maxListpackValue: 8 };
  assert.equal(hash.set("a", "1", limits), true);
  assert.equal(hash.set("a", "2", limits), false);
  assert.equal(hash.encoding, "listpack");
  hash.set("b", "123456789", limits);
  assert.equal(hash.encoding, "hashtable");
  hash.delete("b");
  assert.equal(hash.encoding, "hashtable");
  assert.equal(typeOf(hash), "hash");
  assert.equal(typeOf("x"), "string");
});

Deno.test("adding a key stores it only when it is not there, expired or not", () => {
  const db = new Keyspace(1).databases[0];
  assert.equal(db.add("k", "1"), true);
  assert.equal(db.add("k", "2"), false);
  assert.equal(db.get("k"), "1");
  db.setExpire("k", Date.now() - 1);
  assert.equal(db.add("k", "3"), false);
});

Deno.test("keys a load creates are counted and timed like any others", () => {
  const loaded = new Keyspace(1);
  const set = new Keyspace(1);
  loaded.loading = true;
  for (let i = 0; i < 10; i++) loaded.databases[0].add(`k${i}`, "v");
  loaded.loading = false;
  for (let i = 0; i < 10; i++) set.databases[0].set(`k${i}`, "v");
  const [a, b] = [loaded.databases[0], set.databases[0]];
  assert.equal(a.mainTableBytes, b.mainTableBytes);
  assert.equal(a.bytes, b.bytes);
  assert.equal(a.idleSeconds("k0"), 0);
  a.setIdleSeconds("k1", 100);
  b.setIdleSeconds("k1", 100);
  assert.equal(a.idleSeconds("k1"), 100);
  assert.equal(a.mainTableBytes, b.mainTableBytes);
  a.delete("k2");
  b.delete("k2");
  a.delete("k1");
  b.delete("k1");
  assert.equal(a.mainTableBytes, b.mainTableBytes);
  assert.equal(a.bytes, b.bytes);
  // A key that is not there has been idle for no time, loaded keys or not.
  assert.equal(a.idleTicks("k1"), 0);
  // RENAME and MOVE carry a loaded key's access time.
  a.setIdleSeconds("k3", 50);
  a.put("r3", a.take("k3")!);
  assert.equal(a.idleSeconds("r3"), 50);
  a.put("r4", a.take("k4")!);
  assert.equal(a.idleSeconds("r4"), 0);
  assert.equal(a.mainTableBytes, tableSizeOf(a.size));
});

Deno.test("a later load leaves the keys of an earlier one their time", async () => {
  const ks = new Keyspace(1);
  const db = ks.databases[0];
  ks.loading = true;
  db.add("early", "v");
  ks.loading = false;
  await new Promise((resolve) => setTimeout(resolve, 50));
  ks.loading = true;
  db.add("late", "v");
  ks.loading = false;
  assert.ok(db.idleTicks("early") >= db.idleTicks("late") + 3);
  ks.flushAll();
  assert.equal(db.mainTableBytes, 0);
});

// The main table's bytes for `keys` keys, each with its access time.
function tableSizeOf(keys: number): number {
  const db = new Keyspace(1).databases[0];
  for (let i = 0; i < keys; i++) db.set(`x${i}`, "v");
  return db.mainTableBytes;
}

Deno.test("an access time of -1 (set from an idle time) is not taken for a loaded key's", () => {
  const db = new Keyspace(1).databases[0];
  // Tick 0 reads the clock back; tick -1 is one tick (10 ms) further in the past.
  db.put("zero", { value: "v", expireAt: undefined, lru: 0, lfu: undefined });
  db.put("minus", { value: "v", expireAt: undefined, lru: -1, lfu: undefined });
  const difference = db.idleTicks("minus") - db.idleTicks("zero");
  assert.ok(difference === 1 || difference === 2, `difference ${difference}`);
});
