// Unit tests of eviction's choices: the pool of best candidates, sampling, the policies
// on a keyspace, and the time budget maxmemory-eviction-tenacity gives.

import assert from "node:assert/strict";
import { EvictionPool, Evictor, POOL_SIZE } from "../../src/store/eviction.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { timeBudgetMs } from "../../src/server/evict.ts";

Deno.test("the pool keeps the 16 best candidates in ascending order", () => {
  const pool = new EvictionPool();
  for (let i = 0; i < 40; i++) pool.offer(0, `k${i}`, (i * 17) % 40);
  assert.equal(pool.size, POOL_SIZE);
  const scores = pool.entries().map((c) => c.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => a - b));
  assert.deepEqual(scores, Array.from({ length: 16 }, (_, i) => 24 + i));
  assert.equal(pool.pop()?.score, 39);
});

Deno.test("a full pool turns away a candidate no better than its worst", () => {
  const pool = new EvictionPool();
  for (let i = 0; i < POOL_SIZE; i++) pool.offer(0, `k${i}`, 10 + i);
  assert.equal(pool.offer(0, "tie", 10), false);
  assert.equal(pool.offer(0, "worse", 3), false);
  assert.equal(pool.offer(0, "better", 11), true);
  assert.equal(pool.entries()[0].key, "k1");
});

Deno.test("a key offered again is scored again, not held twice", () => {
  const pool = new EvictionPool();
  pool.offer(0, "a", 5);
  pool.offer(1, "a", 6);
  pool.offer(0, "a", 9);
  assert.deepEqual(pool.entries().map((c) => [c.db, c.key, c.score]), [[1, "a", 6], [0, "a", 9]]);
});

Deno.test("sampling returns distinct keys and sweeps the whole database over calls", () => {
  const db = new Keyspace(1).databases[0];
  for (let i = 0; i < 1000; i++) db.set(`k${i}`, "v");
  const seen = new Set<string>();
  for (let call = 0; call < 1000; call++) {
    const out: string[] = [];
    assert.equal(db.sampleKeys(5, false, out), 5);
    assert.equal(new Set(out).size, 5);
    for (const key of out) seen.add(key);
  }
  assert.ok(seen.size > 950, `${seen.size} keys seen`);
});

Deno.test("volatile sampling only returns keys with a TTL", () => {
  const db = new Keyspace(1).databases[0];
  for (let i = 0; i < 200; i++) {
    db.set(`k${i}`, "v");
    if (i % 10 === 0) db.setExpire(`k${i}`, Date.now() + 100000);
  }
  for (let call = 0; call < 50; call++) {
    const out: string[] = [];
    db.sampleKeys(5, true, out);
    for (const key of out) assert.notEqual(db.getExpire(key), undefined);
  }
  const small: string[] = [];
  assert.equal(db.sampleKeys(50, true, small), 20);
});

Deno.test("volatile policies never pick a key without a TTL, and give up when none has one", () => {
  const keyspace = new Keyspace(2);
  const [db0, db1] = keyspace.databases;
  for (let i = 0; i < 100; i++) db0.set(`plain${i}`, "v");
  db1.set("soon", "v");
  db1.setExpire("soon", Date.now() + 10000);
  const evictor = new Evictor(keyspace);
  for (
    const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const
  ) {
    assert.deepEqual(evictor.pick(policy, 5), { db: db1, key: "soon" });
  }
  db1.delete("soon");
  for (
    const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const
  ) {
    assert.equal(evictor.pick(policy, 5), null);
  }
  assert.equal(evictor.pick("noeviction", 5), null);
  assert.ok(evictor.pick("allkeys-random", 5)?.key.startsWith("plain"));
});

Deno.test("volatile-ttl picks the key whose time runs out first", () => {
  const keyspace = new Keyspace(1);
  const db = keyspace.databases[0];
  const now = Date.now();
  for (let i = 0; i < 10; i++) {
    db.set(`k${i}`, "v");
    db.setExpire(`k${i}`, now + 100000 - i * 1000);
  }
  const evictor = new Evictor(keyspace);
  // Ten keys, ten samples: every key is a candidate.
  assert.equal(evictor.pick("volatile-ttl", 10)?.key, "k9");
});

Deno.test("allkeys-lru picks the key idle longest, allkeys-lfu the one used least", () => {
  const keyspace = new Keyspace(1);
  const db = keyspace.databases[0];
  keyspace.trackFrequencies({ logFactor: 0, decayTime: 1 });
  for (let i = 0; i < 10; i++) db.set(`k${i}`, "v");
  db.setIdleSeconds("k3", 500);
  db.setIdleSeconds("k7", 100);
  const evictor = new Evictor(keyspace);
  assert.equal(evictor.pick("allkeys-lru", 10)?.key, "k3");
  // With lfu-log-factor 0 every access counts: all but k5 are read.
  for (let i = 0; i < 10; i++) if (i !== 5) { for (let n = 0; n < 3; n++) db.get(`k${i}`); }
  evictor.pool.clear();
  assert.equal(evictor.pick("allkeys-lfu", 10)?.key, "k5");
});

Deno.test("a picked key that is gone by now is passed over", () => {
  const keyspace = new Keyspace(1);
  const db = keyspace.databases[0];
  for (let i = 0; i < 10; i++) db.set(`k${i}`, "v");
  db.setIdleSeconds("k1", 900);
  const evictor = new Evictor(keyspace);
  evictor.pool.offer(0, "gone", 1e9);
  assert.equal(evictor.pick("allkeys-lru", 10)?.key, "k1");
});

Deno.test("the eviction time budget follows maxmemory-eviction-tenacity as Redis's does", () => {
  assert.equal(timeBudgetMs(0), 0);
  assert.equal(timeBudgetMs(10), 0.5);
  assert.ok(Math.abs(timeBudgetMs(11) - 0.575) < 1e-9);
  assert.ok(timeBudgetMs(99) > 1000);
  assert.equal(timeBudgetMs(100), Infinity);
});
