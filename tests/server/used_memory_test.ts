// used_memory end to end: after any mix of commands the server's running dataset total
// equals a fresh measurement of every key, and INFO and MEMORY STATS report it.

import assert from "node:assert/strict";
import { startInProcess } from "../_inprocess.ts";
import { valueBytes } from "../../src/persistence/codecs/mod.ts";
import type { Keyspace } from "../../src/store/keyspace.ts";
import { stringBytes } from "../../src/store/memory.ts";
import { STARTUP_BYTES } from "../../src/server/used_memory.ts";
import { rng } from "../_random.ts";

function fresh(ks: Keyspace): number {
  let total = 0;
  for (const db of ks.databases) {
    if (db.size === 0) continue;
    for (const [key, value] of db.data) total += stringBytes(key.length) + valueBytes(value);
    total += db.mainTableBytes + db.expiresTableBytes;
  }
  return total;
}

for (const policy of ["noeviction", "allkeys-lfu"]) {
  Deno.test(`the running dataset total matches a fresh measurement after thousands of random commands (${policy})`, async () => {
    await randomWorkload(policy);
  });
}

// Access frequencies are kept under an LFU policy: their table counts too.
async function randomWorkload(policy: string): Promise<void> {
  const t = await startInProcess([["maxmemory-policy", [policy]]]);
  const ks = t.server.keyspace;
  const random = rng(11);
  const n = (limit: number) => Math.floor(random() * limit);
  const k = () => "k" + n(30);
  const commands: (() => string[])[] = [
    () => ["SET", k(), "v".repeat(n(50))],
    () => ["APPEND", k(), "xyz".repeat(n(20))],
    () => ["SETRANGE", k(), String(n(100)), "abc"],
    () => ["SETBIT", k(), String(n(1000)), "1"],
    () => ["INCR", k()],
    () => ["HSET", k(), "f" + n(20), "v".repeat(n(30))],
    () => ["HDEL", k(), "f" + n(20)],
    () => ["HINCRBY", k(), "n", "3"],
    () => ["LPUSH", k(), "a".repeat(n(20)), "b"],
    () => ["RPOP", k()],
    () => ["LSET", k(), "0", "z".repeat(15)],
    () => ["LTRIM", k(), "1", "3"],
    () => ["LMOVE", k(), k(), "LEFT", "RIGHT"],
    () => ["SADD", k(), String(n(100)), "m" + n(100)],
    () => ["SREM", k(), "m" + n(100)],
    () => ["SPOP", k()],
    () => ["SMOVE", k(), k(), "m" + n(100)],
    () => ["SUNIONSTORE", k(), k(), k()],
    () => ["ZADD", k(), String(n(100) / 7), "m" + n(100)],
    () => ["ZREM", k(), "m" + n(100)],
    () => ["ZPOPMIN", k()],
    () => ["ZUNIONSTORE", k(), "2", k(), k()],
    () => ["XADD", k(), "*", "f", "v".repeat(n(30))],
    () => ["XTRIM", k(), "MAXLEN", String(n(5))],
    () => ["PFADD", k(), "e" + n(1000)],
    () => ["SORT", k(), "STORE", k()],
    () => ["DEL", k()],
    () => ["UNLINK", k()],
    () => ["GETDEL", k()],
    () => ["RENAME", k(), k()],
    () => ["COPY", k(), k(), "REPLACE"],
    () => ["MOVE", k(), String(n(3))],
    () => ["SELECT", String(n(3))],
    () => ["SWAPDB", String(n(3)), String(n(3))],
    () => ["PEXPIRE", k(), String(n(5))],
    () => [
      "EVAL",
      "redis.call('hset', KEYS[1], 'x', ARGV[1]) return 1",
      "1",
      k(),
      "y".repeat(n(40)),
    ],
    () => n(100) === 0 ? ["FLUSHDB"] : ["HGET", k(), "f1"],
  ];
  try {
    for (let i = 0; i < 4000; i++) {
      if (n(40) === 0) {
        await t.call("MULTI");
        await t.call(...commands[n(commands.length)]());
        await t.call(...commands[n(commands.length)]());
        await t.call("EXEC");
      } else {
        const argv = commands[n(commands.length)]();
        await t.call(...argv);
      }
      // Let short TTLs run out and the active expiry cycle run now and then.
      if (i % 400 === 0) await new Promise((r) => setTimeout(r, 10));
      assert.equal(ks.datasetBytes, fresh(ks), `after command ${i}`);
    }
    assert.ok(ks.size > 0);
  } finally {
    await t.stop();
  }
}

Deno.test("INFO used_memory is the baseline plus the dataset plus client buffers", async () => {
  const t = await startInProcess();
  const info = async () => {
    const raw = await t.call("INFO", "memory");
    const field = (name: string) => Number(raw.match(new RegExp(`^${name}:(\\d+)`, "m"))![1]);
    return {
      used: field("used_memory"),
      dataset: field("used_memory_dataset"),
      startup: field("used_memory_startup"),
      peak: field("used_memory_peak"),
      clients: field("mem_clients_normal"),
    };
  };
  try {
    const empty = await info();
    assert.equal(empty.startup, STARTUP_BYTES);
    assert.equal(empty.dataset, 0);
    assert.ok(empty.used >= STARTUP_BYTES + empty.clients);
    await t.call("SET", "big", "x".repeat(100000));
    const full = await info();
    assert.ok(full.dataset >= 100000 && full.dataset < 101000, `dataset ${full.dataset}`);
    await t.call("DEL", "big");
    const after = await info();
    // Freed at once: the estimate does not wait for the garbage collector.
    assert.equal(after.dataset, 0);
    assert.ok(after.peak >= full.used);
    await t.call("CONFIG", "RESETSTAT");
    assert.ok((await info()).peak < full.used);
  } finally {
    await t.stop();
  }
});
