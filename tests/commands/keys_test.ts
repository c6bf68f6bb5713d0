// End-to-end tests of the generic key commands through ioredis: the whole family's round
// trips, SCAN's guarantee while the keyspace changes under it (and ioredis' scanStream),
// COPY's deep copies, what each write propagates, RANDOMKEY's reach, SWAPDB with
// clients on both databases, and OBJECT's access tracking. Reply bytes are compared
// with real Redis by the scenarios in tests/compat/scenarios/keys_*.txt.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { HashValue } from "../../src/store/hash.ts";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { ioredis } from "../_ioredis.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withServer(
  fn: (t: InProcessServer, client: Redis) => Promise<void>,
  directives: [string, string[]][] = [],
): Promise<void> {
  const t = await startInProcess(directives);
  const client = ioredis(t.port);
  await client.connect();
  try {
    await fn(t, client);
  } finally {
    client.disconnect();
    await t.stop();
  }
}

// A full SCAN iteration; `between` runs after every call.
async function scanAll(
  client: Redis,
  args: string[] = [],
  between: () => Promise<void> = async () => {},
): Promise<string[]> {
  const seen: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, ...(args as []));
    assert.equal(typeof next, "string");
    seen.push(...keys);
    cursor = next;
    await between();
  } while (cursor !== "0");
  return seen;
}

Deno.test("the generic key commands round-trip through ioredis", () =>
  withServer(async (_t, client) => {
    await client.mset("a", "1", "b", "2", "c", "3");
    await client.hset("h", "f", "v");
    assert.equal(await client.exists("a", "b", "missing", "a"), 3);
    assert.equal(await client.type("a"), "string");
    assert.equal(await client.type("h"), "hash");
    assert.equal(await client.type("missing"), "none");
    assert.equal(await client.touch("a", "h", "missing"), 2);
    assert.deepEqual((await client.keys("*")).sort(), ["a", "b", "c", "h"]);
    assert.deepEqual((await client.keys("[ab]")).sort(), ["a", "b"]);
    assert.equal(await client.rename("a", "a2"), "OK");
    await assert.rejects(client.rename("a", "x"), /ERR no such key/);
    assert.equal(await client.renamenx("a2", "b"), 0);
    assert.equal(await client.renamenx("a2", "a3"), 1);
    assert.equal(await client.copy("a3", "a4"), 1);
    assert.equal(await client.copy("a3", "a4"), 0);
    assert.equal(await client.copy("a3", "a4", "REPLACE"), 1);
    assert.equal(await client.copy("a3", "elsewhere", "DB", 2), 1);
    assert.equal(await client.move("a4", 3), 1);
    assert.equal(await client.move("a4", 3), 0);
    await assert.rejects(client.move("b", 0), /source and destination objects are the same/);
    assert.equal(await client.del("b", "missing"), 1);
    assert.equal(await client.unlink("c", "a3"), 2);
    assert.equal(await client.randomkey(), "h");
    assert.equal(await client.object("ENCODING", "h"), "listpack");
    assert.equal(await client.object("REFCOUNT", "h"), 1);
    assert.equal(await client.object("IDLETIME", "h"), 0);
    assert.equal(await client.object("ENCODING", "missing"), null);
    assert.equal(await client.wait(0, 0), 0);
    assert.equal(await client.swapdb(0, 2), "OK");
    assert.equal(await client.get("elsewhere"), "1");
    assert.equal(await client.exists("h"), 0);
    assert.equal(await client.del("elsewhere"), 1);
    assert.equal(await client.randomkey(), null);
  }));

Deno.test("binary keys survive every generic command", () =>
  withServer(async (_t, client) => {
    const key = Buffer.from([0, 255, 13, 10, 128]);
    const other = Buffer.from([1, 0, 254]);
    await client.set(key, "v");
    assert.equal(await client.exists(key), 1);
    assert.deepEqual(await client.keysBuffer("*"), [key]);
    const [, found] = await client.callBuffer("SCAN", "0", "MATCH", Buffer.from([0, 42])) as [
      Buffer,
      Buffer[],
    ];
    assert.deepEqual(found, [key]);
    assert.deepEqual(await client.randomkeyBuffer(), key);
    assert.equal(await client.rename(key, other), "OK");
    assert.equal(await client.copy(other, key), 1);
    assert.equal(await client.expire(key, 100), 1);
    assert.equal(await client.ttl(key), 100);
    assert.deepEqual((await client.keysBuffer("*")).sort(Buffer.compare), [key, other]);
  }));

Deno.test("a full SCAN returns every key that existed throughout, while keys come and go", () =>
  withServer(async (t, client) => {
    const stable = new Set<string>();
    const pipeline = client.pipeline();
    for (let i = 0; i < 3000; i++) {
      stable.add(`stable:${i}`);
      pipeline.set(`stable:${i}`, "v");
      pipeline.set(`churn:${i}`, "v");
    }
    await pipeline.exec();
    let round = 0;
    const added = new Set<string>();
    const seen = await scanAll(client, ["COUNT", "37"], async () => {
      // Delete some keys not yet visited and some already visited, add new ones, and
      // overwrite stable ones (an overwrite must not move a key in the iteration).
      const batch = client.pipeline();
      for (let j = 0; j < 40; j++) {
        const n = (round * 40 + j) % 3000;
        batch.del(`churn:${n}`);
        batch.set(`new:${round}:${j}`, "v");
        added.add(`new:${round}:${j}`);
        batch.set(`stable:${(n * 7) % 3000}`, `w${round}`);
      }
      await batch.exec();
      round++;
    });
    // More keys are added per call than COUNT visits, yet the iteration ends: it stops
    // after as many steps as there were keys at the start.
    assert.ok(round > 50 && round < 200, `${round} SCAN calls`);
    const counts = new Map<string, number>();
    for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const key of stable) {
      assert.equal(counts.get(key), 1, `${key} returned ${counts.get(key) ?? 0} times`);
    }
    for (const key of counts.keys()) {
      assert.ok(
        stable.has(key) || key.startsWith("churn:") || added.has(key),
        `SCAN returned ${key}, which never existed`,
      );
    }
    assert.equal(t.server.keyspace.databases[0].size, await client.dbsize());
  }));

Deno.test("SCAN's MATCH and TYPE filter, COUNT is a hint, and cursors are independent", () =>
  withServer(async (_t, client) => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 500; i++) {
      pipeline.set(`s:${i}`, "v");
      pipeline.hset(`h:${i}`, "f", "v");
    }
    await pipeline.exec();
    const hashes = await scanAll(client, ["TYPE", "hash", "COUNT", "20"]);
    assert.equal(hashes.length, 500);
    assert.ok(hashes.every((k) => k.startsWith("h:")));
    const matched = await scanAll(client, ["MATCH", "s:1*"]);
    assert.deepEqual(
      matched.sort(),
      Array.from({ length: 500 }, (_, i) => `s:${i}`).filter((k) => k.startsWith("s:1")).sort(),
    );
    const [cursor, first] = await client.scan("0", "COUNT", "100");
    assert.notEqual(cursor, "0");
    assert.ok(first.length >= 100, "COUNT 100 gives at least 100 keys when no filter applies");
    // Two iterations interleaved do not disturb each other.
    const a: string[] = [];
    const b: string[] = [];
    let ca = "0", cb = "0";
    do {
      if (ca !== "0" || a.length === 0) {
        const [next, keys] = await client.scan(ca, "COUNT", "7");
        a.push(...keys);
        ca = next;
      }
      const [next, keys] = await client.scan(cb, "COUNT", "13");
      b.push(...keys);
      cb = next;
    } while (cb !== "0" || ca !== "0");
    assert.equal(new Set(a).size, 1000);
    assert.equal(new Set(b).size, 1000);
    // An unknown cursor starts over rather than failing.
    const restarted = await scanAll(client, ["COUNT", "1000"]);
    assert.equal(new Set(restarted).size, 1000);
    const [, again] = await client.scan("123456789", "COUNT", "5000");
    assert.equal(new Set(again).size, 1000);
  }));

Deno.test("ioredis scanStream walks every key", () =>
  withServer(async (_t, client) => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.set(`k:${i}`, "v");
    for (let i = 0; i < 100; i++) pipeline.hset(`other:${i}`, "f", "v");
    await pipeline.exec();
    const collect = (options: { match?: string; count?: number; type?: string }) =>
      new Promise<string[]>((resolve, reject) => {
        const keys: string[] = [];
        const stream = client.scanStream(options);
        stream.on("data", (batch: string[]) => keys.push(...batch));
        stream.on("end", () => resolve(keys));
        stream.on("error", reject);
      });
    assert.equal(new Set(await collect({ count: 100 })).size, 2600);
    const matched = await collect({ match: "other:*", count: 50 });
    assert.equal(new Set(matched).size, 100);
    assert.equal(new Set(await collect({ type: "hash" })).size, 100);
  }));

Deno.test("COPY makes deep copies: hashes and byte strings share nothing", () =>
  withServer(async (t, client) => {
    const db = t.server.keyspace.databases[0];
    await client.hset("h", "a", "1", "b", "2");
    assert.equal(await client.copy("h", "h2"), 1);
    assert.notEqual(db.data.get("h2"), db.data.get("h"));
    assert.ok(db.data.get("h2") instanceof HashValue);
    await client.hset("h2", "c", "3");
    await client.hdel("h2", "a");
    assert.deepEqual(await client.hgetall("h"), { a: "1", b: "2" });
    assert.deepEqual(await client.hgetall("h2"), { b: "2", c: "3" });
    // A value changed in place is held as bytes: the copy needs its own.
    await client.setrange("bytes", 0, "hello");
    assert.ok(db.data.get("bytes") instanceof Uint8Array);
    assert.equal(await client.copy("bytes", "bytes2"), 1);
    assert.notEqual(db.data.get("bytes2"), db.data.get("bytes"));
    await client.setrange("bytes2", 0, "J");
    await client.append("bytes", "!");
    assert.equal(await client.get("bytes"), "hello!");
    assert.equal(await client.get("bytes2"), "Jello");
    // Into another database, with the TTL.
    await client.pexpireat("h", 4102444800000);
    assert.equal(await client.copy("h", "h", "DB", 5), 1);
    assert.equal(t.server.keyspace.databases[5].getExpire("h"), 4102444800000);
    assert.notEqual(t.server.keyspace.databases[5].data.get("h"), db.data.get("h"));
  }));

Deno.test("the generic writes propagate as Redis 7.0 does, and only when they change something", () =>
  withServer(async (t, client) => {
    await client.mset("a", "1", "b", "2");
    drain(t);
    await client.del("a", "missing");
    await client.del("missing");
    await client.unlink("b");
    await client.unlink("b");
    assert.deepEqual(drain(t), [["0", "del", "a", "missing"], ["0", "unlink", "b"]]);

    await client.set("k", "v");
    drain(t);
    await client.rename("k", "k2");
    await client.rename("k2", "k2");
    await assert.rejects(client.rename("k", "x"));
    await client.renamenx("k2", "k3");
    await client.set("other", "v");
    drain(t);
    await client.renamenx("k3", "other");
    assert.deepEqual(drain(t), []);
    await client.copy("k3", "c1");
    await client.copy("k3", "c1");
    await client.copy("k3", "c2", "DB", "4", "REPLACE");
    await client.move("c1", 6);
    await client.move("missing", 6);
    await client.swapdb(1, 2);
    assert.deepEqual(drain(t), [
      ["0", "copy", "k3", "c1"],
      ["0", "copy", "k3", "c2", "DB", "4", "REPLACE"],
      ["0", "move", "c1", "6"],
      ["0", "swapdb", "1", "2"],
    ]);
    // Reads never propagate.
    await client.exists("k3");
    await client.type("k3");
    await client.touch("k3");
    await client.keys("*");
    await client.scan("0");
    await client.randomkey();
    await client.ttl("k3");
    await client.object("ENCODING", "k3");
    assert.deepEqual(drain(t), []);
  }));

Deno.test("RANDOMKEY reaches every key of a large database and never an expired one", () =>
  withServer(async (t, client) => {
    const pipeline = client.pipeline();
    for (let i = 0; i < 2000; i++) pipeline.set(`k:${i}`, "v");
    for (let i = 0; i < 2000; i++) pipeline.set(`gone:${i}`, "v", "PX", 10);
    await pipeline.exec();
    await sleep(30);
    const seen = new Set<string>();
    for (let round = 0; round < 40 && seen.size < 2000; round++) {
      const batch = client.pipeline();
      for (let i = 0; i < 1000; i++) batch.randomkey();
      for (const [, key] of (await batch.exec())!) {
        assert.ok(String(key).startsWith("k:"), `RANDOMKEY answered ${key}`);
        seen.add(String(key));
      }
    }
    assert.equal(seen.size, 2000);
    assert.ok(t.server.stats.expiredKeys > 0);
  }, [["hz", ["1"]]]));

Deno.test("after SWAPDB each connection sees the other database's keys, TTLs included", () =>
  withServer(async (t, client) => {
    const second = ioredis(t.port, { db: 1 });
    await second.connect();
    try {
      await client.set("k", "zero");
      await client.pexpireat("k", 4102444800000);
      await second.set("k", "one");
      await second.set("only-one", "x");
      assert.equal(await client.swapdb(0, 1), "OK");
      assert.equal(await client.get("k"), "one");
      assert.equal(await client.pttl("k"), -1);
      assert.equal(await client.exists("only-one"), 1);
      assert.equal(await second.get("k"), "zero");
      assert.equal(await second.pexpiretime("k"), 4102444800000);
      assert.deepEqual(await second.keys("*"), ["k"]);
      await assert.rejects(client.swapdb(0, 16), /DB index is out of range/);
    } finally {
      second.disconnect();
    }
  }));

Deno.test("OBJECT IDLETIME counts seconds since the last access; TYPE and TTL are not accesses", () =>
  withServer(async (_t, client) => {
    await client.set("k", "v");
    await client.set("other", "v");
    assert.equal(await client.object("IDLETIME", "k"), 0);
    await sleep(2100);
    await client.type("k");
    await client.ttl("k");
    await client.exists("k");
    assert.ok((await client.object("IDLETIME", "k") as number) >= 2);
    await client.get("k");
    assert.equal(await client.object("IDLETIME", "k"), 0);
    assert.ok((await client.object("IDLETIME", "other") as number) >= 2);
    await client.touch("other");
    assert.equal(await client.object("IDLETIME", "other"), 0);
  }));

Deno.test("OBJECT IDLETIME is right the first time it is asked about a key", () =>
  withServer(async (_t, client) => {
    await client.set("k", "v");
    await sleep(1100);
    await client.type("k");
    await client.ttl("k");
    await client.exists("k");
    assert.ok((await client.object("IDLETIME", "k") as number) >= 1);
    await client.swapdb(0, 1);
    await client.select(1);
    assert.ok((await client.object("IDLETIME", "k") as number) >= 1);
    // RENAME looks the key up for writing, which is an access in Redis too.
    await client.rename("k", "renamed");
    assert.equal(await client.object("IDLETIME", "renamed"), 0);
  }));

Deno.test("OBJECT FREQ starts at 5 for a new key and grows with accesses under an LFU policy", () =>
  withServer(async (_t, client) => {
    await client.set("k", "some value");
    await assert.rejects(client.object("FREQ", "k"), /LFU maxmemory policy is not selected/);
    await client.config("SET", "maxmemory-policy", "allkeys-lfu");
    await client.set("k", "some value");
    assert.equal(await client.object("FREQ", "k"), 5);
    await client.get("k");
    assert.equal(await client.object("FREQ", "k"), 6, "the first access always counts");
    const batch = client.pipeline();
    for (let i = 0; i < 2000; i++) batch.get("k");
    await batch.exec();
    const freq = await client.object("FREQ", "k") as number;
    assert.ok(freq > 6 && freq < 255, `FREQ ${freq}`);
    await assert.rejects(client.object("IDLETIME", "k"), /LFU maxmemory policy is selected/);
  }));

Deno.test("WAIT for replicas blocks until its timeout, then answers 0; others are served meanwhile", () =>
  withServer(async (t, client) => {
    const other = ioredis(t.port);
    await other.connect();
    try {
      const started = performance.now();
      const waiting = client.wait(1, 300);
      await sleep(50);
      assert.equal(await other.ping(), "PONG");
      assert.match(await other.info("clients"), /blocked_clients:1/);
      assert.equal(await waiting, 0);
      assert.ok(performance.now() - started >= 290, "WAIT answered before its timeout");
      assert.equal(await client.wait(0, 0), 0);
    } finally {
      other.disconnect();
    }
  }));

Deno.test("OBJECT REFCOUNT reports shared small integers as Redis does", () =>
  withServer(async (_t, client) => {
    await client.set("small", "42");
    await client.set("large", "10000");
    await client.set("text", "hello");
    assert.equal(await client.object("REFCOUNT", "small"), 2147483647);
    assert.equal(await client.object("REFCOUNT", "large"), 1);
    assert.equal(await client.object("REFCOUNT", "text"), 1);
    await client.config("SET", "maxmemory", "100mb");
    await client.config("SET", "maxmemory-policy", "allkeys-lru");
    assert.equal(await client.object("REFCOUNT", "small"), 1);
  }));
