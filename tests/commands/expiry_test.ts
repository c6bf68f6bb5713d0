// End-to-end tests of expiry: the active cycle reclaiming keys nobody touches (with the
// server still answering), lazy expiry on every access, the EXPIRE family's conditions
// through ioredis, and what expiry propagates (PEXPIREAT with absolute times, DEL for
// keys that expire). Reply bytes are compared with real Redis by the scenarios in
// tests/compat/scenarios/keys_expire.txt.

import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@5";
import { freePort, startRedeno } from "../_server.ts";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { ioredis } from "../_ioredis.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// An in-process server with an ioredis client on it.
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

// Loads 100k keys through a pipeline, then PINGs until DBSIZE is 0: returns the time
// from the end of loading to an empty database and the worst PING round trip.
async function reclaimAll(
  ttl: (loadStart: number) => string[],
): Promise<{ loaded: number; elapsed: number; worst: number; pings: number; expired: string }> {
  // A directory of its own, so no dump.rdb lying around gets loaded.
  const server = await startRedeno(freePort(), ["--dir", Deno.makeTempDirSync()]);
  const loader = ioredis(server.port);
  const prober = ioredis(server.port);
  try {
    await loader.connect();
    await prober.connect();
    await prober.ping();
    const total = 100_000;
    const options = ttl(Date.now());
    for (let start = 0; start < total; start += 10_000) {
      const pipeline = loader.pipeline();
      for (let i = start; i < start + 10_000; i++) {
        pipeline.call("SET", `key:${i}`, "v", ...options);
      }
      await pipeline.exec();
    }
    const loaded = Date.now();
    let worst = 0;
    let pings = 0;
    let size = -1;
    while (size !== 0 && Date.now() - loaded < 5000) {
      const sent = performance.now();
      assert.equal(await prober.ping(), "PONG");
      worst = Math.max(worst, performance.now() - sent);
      pings++;
      size = await prober.dbsize();
      await sleep(1);
    }
    const elapsed = Date.now() - loaded;
    assert.equal(size, 0, `${size} keys left ${elapsed} ms after loading`);
    const info = await prober.info("stats");
    return { loaded, elapsed, worst, pings, expired: /expired_keys:(\d+)/.exec(info)![1] };
  } finally {
    loader.disconnect();
    prober.disconnect();
    await server.stop();
  }
}

Deno.test({
  name: "100k keys with a 100 ms TTL are reclaimed within 2 s while PING stays fast",
  async fn() {
    const r = await reclaimAll(() => ["PX", "100"]);
    console.log(
      `expiry (PX 100): empty ${r.elapsed} ms after loading; ${r.pings} PINGs meanwhile, ` +
        `worst ${r.worst.toFixed(1)} ms`,
    );
    assert.equal(r.expired, "100000");
    assert.ok(r.elapsed < 2000, `reclaiming took ${r.elapsed} ms`);
    // The slice is 25 ms; the bound leaves room for a loaded machine running tests in parallel.
    assert.ok(r.worst < 200, `a PING took ${r.worst.toFixed(1)} ms`);
  },
});

Deno.test({
  name: "100k keys expiring at the same moment after loading are reclaimed in slices",
  async fn() {
    // Every key expires 1.5 s after loading starts (loading takes about 1 s), so the
    // whole reclaim normally happens while the prober is measuring.
    let at = 0;
    const r = await reclaimAll((start) => {
      at = start + 1500;
      return ["PXAT", String(at)];
    });
    const afterExpiry = r.loaded + r.elapsed - Math.max(at, r.loaded);
    console.log(
      `expiry (one PXAT): ${r.pings} PINGs, worst ${r.worst.toFixed(1)} ms, empty about ` +
        `${afterExpiry} ms after the keys expired`,
    );
    assert.equal(r.expired, "100000");
    assert.ok(afterExpiry < 2000, `reclaiming took ${afterExpiry} ms after expiry`);
    assert.ok(r.worst < 200, `a PING took ${r.worst.toFixed(1)} ms`);
  },
});

Deno.test("an expired key is invisible to every command before anything reclaims it", () =>
  withServer(async (t, client) => {
    const db = t.server.keyspace.databases[0];
    await client.set("gone", "v", "PX", 20);
    await client.hset("gone-hash", "f", "v");
    await client.pexpire("gone-hash", 20);
    await client.set("kept", "v");
    await sleep(60);
    // hz 1: the active cycle has not run yet, so the keys are still stored...
    assert.equal(db.data.has("gone"), true);
    assert.equal(await client.dbsize(), 3, "DBSIZE counts keys not yet reclaimed, like Redis");
    // ...but no command sees them.
    assert.deepEqual(await client.keys("*"), ["kept"]);
    assert.equal(db.data.has("gone"), true, "KEYS hides expired keys without removing them");
    assert.deepEqual(await client.scan("0", "COUNT", "100"), ["0", ["kept"]]);
    assert.equal(await client.randomkey(), "kept");
    assert.equal(await client.exists("gone", "gone-hash", "kept"), 1);
    assert.equal(await client.get("gone"), null);
    assert.equal(await client.type("gone-hash"), "none");
    assert.equal(await client.ttl("gone"), -2);
    assert.equal(await client.dbsize(), 1);
  }, [["hz", ["1"]]]));

Deno.test("EXPIRE's NX, XX, GT and LT conditions through ioredis", () =>
  withServer(async (_t, client) => {
    await client.set("k", "v");
    assert.equal(await client.expire("k", 100, "XX"), 0);
    assert.equal(await client.expire("k", 100, "GT"), 0, "no TTL counts as infinite for GT");
    assert.equal(await client.expire("k", 100, "LT"), 1, "no TTL counts as infinite for LT");
    assert.equal(await client.expire("k", 200, "NX"), 0);
    assert.equal(await client.expire("k", 200, "GT"), 1);
    assert.equal(await client.expire("k", 300, "LT"), 0);
    assert.equal(await client.ttl("k"), 200);
    assert.equal(await client.call("PEXPIRE", "k", "50000", "XX", "LT"), 1);
    assert.ok((await client.pttl("k")) <= 50_000);
    await assert.rejects(
      client.call("EXPIRE", "k", "1", "NX", "XX"),
      /NX and XX, GT or LT options at the same time are not compatible/,
    );
    await assert.rejects(
      client.call("EXPIRE", "k", "1", "GT", "LT"),
      /GT and LT options at the same time are not compatible/,
    );
    await assert.rejects(
      client.expire("k", "9223372036854775807"),
      /invalid expire time in 'expire' command/,
    );
    await assert.rejects(
      client.pexpire("k", "9223372036854775807"),
      /invalid expire time in 'pexpire' command/,
    );
    assert.equal(await client.persist("k"), 1);
    assert.equal(await client.ttl("k"), -1);
    assert.equal(await client.expireat("k", 4102444800), 1);
    assert.equal(await client.expiretime("k"), 4102444800);
    assert.equal(await client.pexpiretime("k"), 4102444800000);
    assert.equal(await client.expire("k", 0), 1);
    assert.equal(await client.exists("k"), 0);
  }));

Deno.test("expiry times beyond 2^53 ms are kept exactly", () =>
  withServer(async (t) => {
    const client = ioredis(t.port, { stringNumbers: true });
    await client.connect();
    await client.set("far", "v");
    assert.equal(await client.pexpireat("far", "9223372036854775807"), "1");
    assert.equal(await client.call("PEXPIRETIME", "far"), "9223372036854775807");
    assert.equal(await client.call("EXPIRETIME", "far"), "9223372036854776");
    assert.equal(await client.pexpireat("far", "9007199254740993"), "1");
    assert.equal(await client.call("PEXPIRETIME", "far"), "9007199254740993");
    assert.equal(await client.call("PEXPIREAT", "far", "9007199254740993", "GT"), "0");
    assert.equal(await client.call("PEXPIREAT", "far", "9007199254740994", "GT"), "1");
    assert.equal(await client.rename("far", "far2"), "OK");
    assert.equal(await client.call("PEXPIRETIME", "far2"), "9007199254740994");
    client.disconnect();
  }));

Deno.test("relative expiry propagates as PEXPIREAT with the absolute time, options kept", () =>
  withServer(async (t, client) => {
    await client.set("k", "v");
    drain(t);
    const from = Date.now();
    await client.expire("k", 100);
    await client.pexpire("k", 200_000, "GT");
    await client.expireat("k", 4102444800, "GT");
    await client.call("pexpireat", "k", "4102444900000");
    const to = Date.now();
    const [a, b, c, d] = drain(t);
    assert.deepEqual([a[0], a[1], a[2]], ["0", "PEXPIREAT", "k"]);
    assert.ok(Number(a[3]) >= from + 100_000 && Number(a[3]) <= to + 100_000);
    assert.deepEqual([b[1], b[2], b[4]], ["PEXPIREAT", "k", "GT"]);
    assert.ok(Number(b[3]) >= from + 200_000 && Number(b[3]) <= to + 200_000);
    assert.deepEqual(c, ["0", "PEXPIREAT", "k", "4102444800000", "GT"]);
    assert.deepEqual(d, ["0", "pexpireat", "k", "4102444900000"]);
  }));

Deno.test("EXPIRE with a time in the past deletes the key and propagates DEL", () =>
  withServer(async (t, client) => {
    await client.set("a", "v");
    await client.set("b", "v");
    await client.set("c", "v");
    drain(t);
    assert.equal(await client.expire("a", -1), 1);
    assert.equal(await client.pexpireat("b", 1), 1);
    assert.equal(await client.expire("c", 0), 1);
    assert.equal(await client.exists("a", "b", "c"), 0);
    assert.deepEqual(drain(t), [["0", "DEL", "a"], ["0", "DEL", "b"], ["0", "DEL", "c"]]);
  }));

Deno.test("writes that change nothing propagate nothing", () =>
  withServer(async (t, client) => {
    await client.set("k", "v");
    drain(t);
    assert.equal(await client.expire("missing", 10), 0);
    assert.equal(await client.expire("k", 10, "XX"), 0);
    assert.equal(await client.persist("k"), 0);
    assert.equal(await client.persist("missing"), 0);
    assert.deepEqual(drain(t), []);
    assert.equal(await client.expire("k", 10), 1);
    drain(t);
    assert.equal(await client.persist("k"), 1);
    assert.deepEqual(drain(t), [["0", "persist", "k"]]);
  }));

Deno.test("keys that expire propagate a DEL, whether met by a command or the active cycle", () =>
  withServer(async (t, client) => {
    await client.select(3);
    await client.set("lazy", "v", "PX", 20);
    drain(t);
    await sleep(40);
    // hz 1: the active cycle first runs a second after start, so this is lazy expiry.
    assert.equal(await client.get("lazy"), null);
    assert.deepEqual(drain(t), [["3", "DEL", "lazy"]], "the DEL comes before the GET's nothing");
    await client.set("active", "v", "PX", 20);
    drain(t);
    for (let i = 0; i < 40 && t.propagated.length === 0; i++) await sleep(50);
    assert.deepEqual(drain(t), [["3", "DEL", "active"]]);
    assert.equal(t.server.stats.expiredKeys, 2);
    // A write that meets an expired key: the DEL goes out before the write itself.
    await client.set("old", "v", "PX", 20);
    await sleep(40);
    drain(t);
    await client.set("old", "new");
    assert.deepEqual(drain(t), [["3", "DEL", "old"], ["3", "set", "old", "new"]]);
    // Even with KEEPTTL the new value is a new key: the stale TTL is gone.
    await client.set("kept", "v", "PX", 20);
    await sleep(40);
    await client.set("kept", "w", "KEEPTTL");
    assert.equal(await client.get("kept"), "w");
    assert.equal(await client.pttl("kept"), -1);
  }, [["hz", ["1"]]]));
