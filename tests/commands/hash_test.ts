// End-to-end tests of the hash commands: ioredis round trips, HSCAN's guarantee on a
// big hash that changes under it, HRANDFIELD's properties, propagated writes, keyspace
// statistics, and the listpack → hashtable conversions compared with real Redis.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { HashValue } from "../../src/store/hash.ts";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { ioredis } from "../_ioredis.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { encodeCommand, type Reply, ReplyReader } from "../compat/harness.ts";

/** A raw connection that sends one command and reads exactly one parsed reply. */
class RawClient {
  #conn: Deno.Conn;
  #reader: ReplyReader;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new ReplyReader(conn);
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async call(...args: string[]): Promise<Reply> {
    await this.#conn.write(encodeCommand(args));
    return await this.#reader.read();
  }

  close(): void {
    this.#conn.close();
  }
}

/** The text of each bulk string in a flat array reply (nil as null). */
function bulks(reply: Reply): (string | null)[] {
  assert.equal(reply.type, "*", `not an array: ${reply.raw}`);
  return reply.children!.map((child) => {
    if (child.type === "_" || child.raw === "$-1\r\n") return null;
    assert.equal(child.type, "$", `not a bulk string: ${child.raw}`);
    const header = child.raw.indexOf("\r\n");
    return child.raw.slice(header + 2, child.raw.length - 2);
  });
}

/** The text of a bulk string reply. */
function text(reply: Reply): string {
  assert.equal(reply.type, "$", `not a bulk string: ${reply.raw}`);
  return reply.raw.slice(reply.raw.indexOf("\r\n") + 2, reply.raw.length - 2);
}

/** Runs `fn` with an in-process server and a raw client connected to it. */
async function withServer(
  fn: (server: InProcessServer, call: (...args: string[]) => Promise<string>) => Promise<void>,
): Promise<void> {
  const server = await startInProcess();
  const client = await RawClient.connect(server.port);
  try {
    await fn(server, async (...args) => (await client.call(...args)).raw);
  } finally {
    client.close();
    await server.stop();
  }
}

async function withIoredis(port: number, fn: (client: Redis) => Promise<void>): Promise<void> {
  const client = ioredis(port);
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.quit();
  }
}

Deno.test("every hash command round-trips through ioredis", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      assert.equal(await c.hset("h", "a", "1", "b", "2"), 2);
      assert.equal(await c.hsetnx("h", "a", "x"), 0);
      assert.equal(await c.hsetnx("h", "c", "3"), 1);
      assert.equal(await c.hmset("h", { d: "4", e: "" }), "OK");
      assert.equal(await c.hget("h", "d"), "4");
      assert.deepEqual(await c.hmget("h", "a", "nope", "e"), ["1", null, ""]);
      assert.deepEqual(await c.hgetall("h"), { a: "1", b: "2", c: "3", d: "4", e: "" });
      assert.deepEqual(await c.hkeys("h"), ["a", "b", "c", "d", "e"]);
      assert.deepEqual(await c.hvals("h"), ["1", "2", "3", "4", ""]);
      assert.equal(await c.hlen("h"), 5);
      assert.equal(await c.hexists("h", "a"), 1);
      assert.equal(await c.hexists("h", "z"), 0);
      assert.equal(await c.hstrlen("h", "d"), 1);
      assert.equal(await c.hstrlen("h", "z"), 0);
      assert.equal(await c.hincrby("h", "a", 41), 42);
      assert.equal(await c.hincrby("h", "n", -5), -5);
      assert.equal(await c.hincrbyfloat("h", "f", "0.1"), "0.1");
      assert.equal(await c.hincrbyfloat("h", "f", "0.2"), "0.3");
      await assert.rejects(c.hincrby("h", "f", 1), /ERR hash value is not an integer/);
      await assert.rejects(c.hincrbyfloat("h", "b", "x"), /ERR value is not a valid float/);
      await assert.rejects(
        c.hincrby("h", "a", "9223372036854775807"),
        /ERR increment or decrement would overflow/,
      );
      const [cursor, items] = await c.hscan("h", "0", "MATCH", "[ab]");
      assert.equal(cursor, "0");
      assert.deepEqual(items, ["a", "42", "b", "2"]);
      assert.ok(["a", "b", "c", "d", "e", "n", "f"].includes(await c.hrandfield("h") as string));
      assert.equal(await c.hdel("h", "a", "b", "nope"), 2);
      assert.equal(await c.hdel("h", "c", "d", "e", "n", "f"), 5);
      assert.equal(await c.exists("h"), 0);
      await c.set("s", "v");
      await assert.rejects(c.hlen("s"), /^ReplyError: WRONGTYPE/);
    })
  ));

Deno.test("hash fields and values are binary-safe through every command", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const nul = Buffer.from([0]);
      const high = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
      assert.equal(await c.hset("b", all, high, nul, all, "", ""), 3);
      assert.deepEqual(await c.hgetBuffer("b", all), high);
      assert.deepEqual(await c.hmgetBuffer("b", nul, all, ""), [all, high, Buffer.alloc(0)]);
      assert.deepEqual(await c.hkeysBuffer("b"), [all, nul, Buffer.alloc(0)]);
      assert.deepEqual(await c.hvalsBuffer("b"), [high, all, Buffer.alloc(0)]);
      assert.equal(await c.hstrlen("b", nul), 256);
      assert.equal(await c.hexists("b", Buffer.from([0, 0])), 0);
      assert.deepEqual(await c.callBuffer("HSCAN", "b", "0", "MATCH", "\\\x00"), [
        Buffer.from("0"),
        [nul, all],
      ]);
      assert.equal(await c.hincrby("b", high, 7), 7);
      assert.deepEqual(await c.hgetBuffer("b", high), Buffer.from("7"));
      assert.equal(await c.hdel("b", all, nul, "", high), 4);
      assert.equal(await c.exists("b"), 0);
    })
  ));

Deno.test("HSCAN of a big hash returns every field that stays while fields come and go", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const size = 3000;
      const fields: string[] = [];
      for (let i = 0; i < size; i++) fields.push(`f:${i}`, String(i));
      await c.hset("big", ...fields);
      const seen = new Map<string, number>();
      const everAdded = new Set(Array.from({ length: size }, (_, i) => `f:${i}`));
      const removed = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const [next, items] = await c.hscan("big", cursor, "COUNT", "37");
        for (let i = 0; i < items.length; i += 2) {
          seen.set(items[i], (seen.get(items[i]) ?? 0) + 1);
          const value = items[i].startsWith("f:") ? items[i].slice(2) : "x";
          assert.equal(items[i + 1], value, items[i]);
        }
        // Change the hash between calls: remove fields (seen or not) and add new ones.
        const victim = `f:${(calls * 7919) % size}`;
        if (!removed.has(victim) && (calls * 7919) % size >= 1000) {
          await c.hdel("big", victim);
          removed.add(victim);
        }
        const added = `new:${calls}`;
        await c.hset("big", added, "x");
        everAdded.add(added);
        cursor = next;
        calls++;
        assert.ok(calls < 10_000, "the scan never ends");
      } while (cursor !== "0");
      // Fields present from start to end were returned, exactly once here.
      for (let i = 0; i < 1000; i++) assert.equal(seen.get(`f:${i}`), 1, `f:${i}`);
      for (let i = 1000; i < size; i++) {
        const field = `f:${i}`;
        if (!removed.has(field)) assert.equal(seen.get(field), 1, field);
      }
      // Nothing that never was in the hash.
      for (const field of seen.keys()) assert.ok(everAdded.has(field), field);
      assert.ok(calls > size / 37, `a COUNT 37 scan took only ${calls} calls`);
    })
  ));

Deno.test("HSCAN MATCH on a hashtable-encoded hash finds exactly the matching fields", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const fields: string[] = [];
      for (let i = 0; i < 500; i++) fields.push(i % 5 === 0 ? `user:${i}` : `item:${i}`, "v");
      await c.hset("m", ...fields);
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, items] = await c.hscan("m", cursor, "MATCH", "user:*", "COUNT", "25");
        for (let i = 0; i < items.length; i += 2) found.push(items[i]);
        cursor = next;
      } while (cursor !== "0");
      assert.equal(found.length, 100);
      assert.equal(new Set(found).size, 100);
      assert.ok(found.every((f) => f.startsWith("user:")));
      // An unknown cursor starts over instead of failing.
      const [, again] = await c.hscan("m", "123456789", "COUNT", "1000");
      assert.equal(again.length, 1000);
    })
  ));

Deno.test("HRANDFIELD picks distinct fields for a positive count and allows repeats for a negative one", () =>
  withServer(async (server) => {
    const small = ["a", "b", "c", "d", "e"];
    const bigFields = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const c = await RawClient.connect(server.port);
    try {
      await c.call("HSET", "small", ...small.flatMap((f) => [f, `v${f}`]));
      await c.call("HSET", "big", ...bigFields.flatMap((f) => [f, `v${f}`]));
      for (const [key, fields] of [["small", small], ["big", bigFields]] as const) {
        const size = fields.length;
        for (const count of [1, 2, 3, Math.floor(size / 3) + 1, size - 1]) {
          for (let round = 0; round < 20; round++) {
            const picked = bulks(await c.call("HRANDFIELD", key, String(count)));
            assert.equal(picked.length, count);
            assert.equal(new Set(picked).size, count, `${key} ${count}: ${picked}`);
            for (const f of picked) assert.ok(fields.includes(f!), f!);
          }
        }
        // A count at or past the size answers every field, in the hash's order.
        assert.deepEqual(bulks(await c.call("HRANDFIELD", key, String(size))), fields);
        assert.deepEqual(bulks(await c.call("HRANDFIELD", key, String(size + 10))), fields);
        // Negative: exactly that many, repeats allowed, and every field turns up.
        const many = bulks(await c.call("HRANDFIELD", key, String(-size * 20)));
        assert.equal(many.length, size * 20);
        assert.equal(new Set(many).size, size);
        // WITHVALUES: each value belongs to its field, flat in RESP2.
        const pairs = bulks(await c.call("HRANDFIELD", key, "-50", "WITHVALUES"));
        assert.equal(pairs.length, 100);
        for (let i = 0; i < pairs.length; i += 2) assert.equal(pairs[i + 1], `v${pairs[i]}`);
        const unique = bulks(await c.call("HRANDFIELD", key, "3", "WITHVALUES"));
        assert.equal(unique.length, 6);
        for (let i = 0; i < unique.length; i += 2) assert.equal(unique[i + 1], `v${unique[i]}`);
      }
      // Without a count: one field, and over many calls each of them.
      const singles = new Set<string | null>();
      for (let i = 0; i < 200; i++) {
        singles.add(bulks(await c.call("HRANDFIELD", "small", "-1"))[0]);
      }
      assert.equal(singles.size, small.length);
      const one = await c.call("HRANDFIELD", "small");
      assert.equal(one.type, "$");
      // RESP3: WITHVALUES answers an array of [field, value] pairs.
      await c.call("HELLO", "3");
      for (const count of ["2", "-7", "1", "10"]) {
        const reply = await c.call("HRANDFIELD", "small", count, "WITHVALUES");
        const expected = Math.min(Math.abs(Number(count)), count.startsWith("-") ? 99 : 5);
        assert.equal(reply.children!.length, expected, count);
        for (const pair of reply.children!) {
          const [field, value] = bulks(pair);
          assert.equal(value, `v${field}`);
        }
      }
      assert.deepEqual(bulks(await c.call("HRANDFIELD", "small", "2")).length, 2);
    } finally {
      c.close();
    }
  }));

Deno.test("hash writes are propagated as Redis 7.0 propagates them, and only when they change something", () =>
  withServer(async (server, call) => {
    const { propagated } = server;
    const before = server.server.dirty;
    await call("HSET", "h", "a", "1", "b", "2");
    await call("HMSET", "h", "a", "3");
    await call("HSETNX", "h", "a", "x");
    await call("HSETNX", "h", "c", "3");
    await call("HDEL", "h", "nope");
    await call("HDEL", "nokey", "a");
    await call("HDEL", "h", "b", "nope");
    await call("HINCRBY", "h", "n", "5");
    await call("HINCRBY", "h", "a", "x");
    await call("HINCRBY", "h", "max", "9223372036854775807");
    assert.equal(
      await call("HINCRBY", "h", "max", "1"),
      "-ERR increment or decrement would overflow\r\n",
    );
    await call("HINCRBYFLOAT", "h", "f", "1.10");
    await call("HINCRBYFLOAT", "h", "f", "1e1");
    await call("HINCRBYFLOAT", "h", "a", "inf");
    await call("HINCRBYFLOAT", "h", "zz", "abc");
    await call("SELECT", "3");
    await call("HSET", "other", "x", "y");
    await call("HGET", "other", "x");
    await call("HGETALL", "other");
    await call("HDEL", "other", "x", "y");
    assert.deepEqual(propagated, [
      ["0", "HSET", "h", "a", "1", "b", "2"],
      ["0", "HMSET", "h", "a", "3"],
      ["0", "HSETNX", "h", "c", "3"],
      ["0", "HDEL", "h", "b", "nope"],
      ["0", "HINCRBY", "h", "n", "5"],
      ["0", "HINCRBY", "h", "max", "9223372036854775807"],
      ["0", "HSET", "h", "f", "1.1"],
      ["0", "HSET", "h", "f", "11.1"],
      ["3", "HSET", "other", "x", "y"],
      ["3", "HDEL", "other", "x", "y"],
    ]);
    // HSET counts each pair; HDEL each removed field; the others one each.
    assert.equal(server.server.dirty - before, 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1);
  }));

Deno.test("hash reads count keyspace hits and misses per key, writes do not", () =>
  withServer(async (server, call) => {
    const stats = server.server.stats;
    await call("HSET", "h", "a", "1");
    await call("HINCRBY", "h", "a", "1");
    await call("HDEL", "nokey", "a");
    assert.deepEqual([stats.keyspaceHits, stats.keyspaceMisses], [0, 0]);
    for (const command of ["HGET", "HEXISTS", "HSTRLEN", "HMGET"]) {
      await call(command, "h", "missing-field");
      await call(command, "nokey", "a");
    }
    for (const command of ["HGETALL", "HKEYS", "HVALS", "HLEN", "HRANDFIELD"]) {
      await call(command, "h");
      await call(command, "nokey");
    }
    await call("HSCAN", "h", "0");
    await call("HSCAN", "nokey", "0");
    await call("HRANDFIELD", "h", "2");
    await call("HRANDFIELD", "nokey", "2");
    assert.deepEqual([stats.keyspaceHits, stats.keyspaceMisses], [11, 11]);
  }));

Deno.test("hash writes keep the key's time to live, and emptying the hash removes both", () =>
  withServer(async (server, call) => {
    const db = server.server.keyspace.databases[0];
    await call("HSET", "t", "a", "1", "b", "2");
    const at = Date.now() + 100_000;
    db.setExpire("t", at);
    await call("HSET", "t", "c", "3");
    await call("HMSET", "t", "c", "4");
    await call("HSETNX", "t", "d", "4");
    await call("HINCRBY", "t", "e", "1");
    await call("HINCRBYFLOAT", "t", "f", "1.5");
    await call("HDEL", "t", "a");
    assert.equal(db.getExpire("t"), at);
    assert.equal(await call("HDEL", "t", "b", "c", "d", "e", "f"), ":5\r\n");
    assert.equal(db.has("t"), false);
    assert.equal(db.getExpire("t"), undefined);
    // An expired hash reads as missing.
    await call("HSET", "gone", "a", "1");
    db.setExpire("gone", Date.now() - 1);
    assert.equal(await call("HLEN", "gone"), ":0\r\n");
    assert.equal(await call("HSETNX", "gone", "b", "2"), ":1\r\n");
    assert.equal(await call("HGETALL", "gone"), "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
  }));

Deno.test("hash encodings switch from listpack to hashtable exactly when Redis's do", async () => {
  if (skipWithout("redis-server")) return;
  const limits = ["--hash-max-listpack-entries", "4", "--hash-max-listpack-value", "8"];
  const redis = await startRedis(freePort(), limits);
  const ours = await startInProcess([
    ["hash-max-listpack-entries", ["4"]],
    ["hash-max-listpack-value", ["8"]],
  ]);
  const real = await RawClient.connect(redis.port);
  const mine = await RawClient.connect(ours.port);
  try {
    const steps: string[][] = [
      ["HSET", "a", "f1", "1", "f2", "2", "f3", "3", "f4", "4"],
      ["HSET", "a", "f5", "5"],
      ["HDEL", "a", "f5", "f4", "f3", "f2"],
      ["HSET", "b", "12345678", "12345678"],
      ["HSET", "b", "x", "123456789"],
      ["HSET", "c", "123456789", "x"],
      ["HSETNX", "d", "f", "1"],
      ["HSETNX", "d", "f", "123456789"],
      ["HSETNX", "d", "g", "123456789"],
      ["HINCRBY", "e", "f", "99999999"],
      ["HINCRBY", "e", "f", "1"],
      ["HINCRBY", "g", "123456789", "1"],
      ["HINCRBYFLOAT", "i", "f", "1.234567"],
      ["HINCRBYFLOAT", "i", "f", "0.0000001"],
      ["HMSET", "j", "a", "1", "a", "123456789", "a", "1"],
      ["HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4", "a", "5", "b", "6"],
      ["HSET", "k", "b", "7"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "1"],
      ["HSET", "l", "a", "1"],
      ["HSET", "l", "b", "2"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
      ["HSET", "m", "a", "1"],
      ["CONFIG", "SET", "hash-max-listpack-value", "0"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "10"],
      ["HSET", "n", "", ""],
      ["HSET", "n", "a", ""],
    ];
    const db = ours.server.keyspace.databases[0];
    for (const step of steps) {
      assert.equal((await mine.call(...step)).raw, (await real.call(...step)).raw, step.join(" "));
      if (step[0] === "CONFIG") continue;
      const expected = text(await real.call("OBJECT", "ENCODING", step[1]));
      const value = db.get(step[1]);
      assert.ok(value instanceof HashValue);
      assert.equal(value.encoding, expected, step.join(" "));
    }
  } finally {
    real.close();
    mine.close();
    await ours.stop();
    await redis.stop();
  }
});

Deno.test("a hash's random-pick array follows additions and deletions", () => {
  const hash = new HashValue();
  const limits = { maxListpackEntries: 128, maxListpackValue: 64 };
  hash.set("a", "1", limits);
  hash.set("b", "2", limits);
  assert.deepEqual(hash.fieldArray(), ["a", "b"]);
  hash.set("c", "3", limits);
  hash.set("a", "4", limits);
  assert.deepEqual(hash.fieldArray(), ["a", "b", "c"]);
  hash.delete("a");
  assert.deepEqual(hash.fieldArray(), ["b", "c"]);
  hash.fields.set("d", "5");
  assert.deepEqual(hash.fieldArray(), ["b", "c", "d"]);
  for (let i = 0; i < 50; i++) assert.ok(["b", "c", "d"].includes(hash.randomField()));
});
