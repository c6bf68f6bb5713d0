// End-to-end tests of the set commands: ioredis round trips, binary members, SPOP and
// SRANDMEMBER's properties, SSCAN under mutation, propagated writes, keyspace
// statistics, a randomized comparison with real Redis, the SetValue type itself, and
// 1M-member timings.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { SetValue } from "../../src/store/set.ts";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
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

/** The text of each bulk string in an array or set reply (nil as null). */
function bulks(reply: Reply): (string | null)[] {
  assert.ok(reply.type === "*" || reply.type === "~", `not an array: ${reply.raw}`);
  return reply.children!.map((child) => {
    if (child.type === "_" || child.raw === "$-1\r\n") return null;
    assert.equal(child.type, "$", `not a bulk string: ${child.raw}`);
    const header = child.raw.indexOf("\r\n");
    return child.raw.slice(header + 2, child.raw.length - 2);
  });
}

/** Runs `fn` with an in-process server and a raw client connected to it. */
async function withServer(
  fn: (server: InProcessServer, call: (...args: string[]) => Promise<string>) => Promise<void>,
  directives: [string, string[]][] = [],
): Promise<void> {
  const server = await startInProcess(directives);
  const client = await RawClient.connect(server.port);
  try {
    await fn(server, async (...args) => (await client.call(...args)).raw);
  } finally {
    client.close();
    await server.stop();
  }
}

async function withIoredis(port: number, fn: (client: Redis) => Promise<void>): Promise<void> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.quit();
  }
}

const sorted = (items: readonly (string | null)[]) => [...items].sort();

Deno.test("every set command round-trips through ioredis", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      assert.equal(await c.sadd("s", "3", "1", "2", "1"), 3);
      assert.equal(await c.sadd("s", "2"), 0);
      assert.equal(await c.scard("s"), 3);
      assert.deepEqual(await c.smembers("s"), ["1", "2", "3"]);
      assert.equal(await c.sismember("s", "2"), 1);
      assert.equal(await c.sismember("s", "02"), 0);
      assert.deepEqual(await c.smismember("s", "1", "9", "3"), [1, 0, 1]);
      assert.equal(await c.sadd("t", "3", "4", "x"), 3);
      assert.deepEqual(await c.sinter("s", "t"), ["3"]);
      assert.equal(await c.sintercard(2, "s", "t"), 1);
      assert.equal(await c.call("SINTERCARD", "2", "s", "s", "LIMIT", "2"), 2);
      assert.deepEqual(await c.sunion("s", "t").then(sorted), ["1", "2", "3", "4", "x"]);
      assert.deepEqual(await c.sdiff("s", "t"), ["1", "2"]);
      assert.equal(await c.sinterstore("i", "s", "t"), 1);
      assert.equal(await c.sunionstore("u", "s", "t"), 5);
      assert.equal(await c.sdiffstore("d", "t", "s"), 2);
      assert.deepEqual(await c.smembers("d").then(sorted), ["4", "x"]);
      assert.equal(await c.smove("d", "i", "x"), 1);
      assert.equal(await c.smove("d", "i", "x"), 0);
      assert.deepEqual(await c.smembers("i").then(sorted), ["3", "x"]);
      assert.ok(["1", "2", "3"].includes(await c.srandmember("s") as string));
      assert.deepEqual(await c.srandmember("s", 10), ["1", "2", "3"]);
      assert.equal((await c.srandmember("s", -7)).length, 7);
      const [cursor, members] = await c.sscan("u", "0", "MATCH", "[1x]", "COUNT", "100");
      assert.equal(cursor, "0");
      assert.deepEqual(sorted(members), ["1", "x"]);
      const popped = await c.spop("s") as string;
      assert.ok(["1", "2", "3"].includes(popped));
      assert.equal(await c.scard("s"), 2);
      assert.equal((await c.spop("s", 5)).length, 2);
      assert.equal(await c.exists("s"), 0);
      assert.equal(await c.spop("s"), null);
      assert.deepEqual(await c.spop("s", 3), []);
      assert.equal(await c.srem("u", "1", "2", "nope"), 2);
      assert.equal(await c.srem("u", "3", "4", "x", "after"), 3);
      assert.equal(await c.exists("u"), 0);
      await c.set("str", "v");
      await assert.rejects(c.sadd("str", "a"), /^ReplyError: WRONGTYPE/);
      await assert.rejects(c.spop("str", -1), /ERR value is out of range, must be positive/);
      await assert.rejects(c.call("SINTERCARD", "0", "t"), /ERR numkeys should be greater than 0/);
    })
  ));

Deno.test("set members are binary-safe through every command", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const nul = Buffer.from([0]);
      const high = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);
      const empty = Buffer.alloc(0);
      const key = Buffer.from([0, 0xff, 0x20]);
      const byText = (a: Buffer, b: Buffer) => Buffer.compare(a, b);
      assert.equal(await c.sadd(key, all, nul, high, empty), 4);
      assert.deepEqual((await c.smembersBuffer(key)).sort(byText), [empty, nul, all, high]);
      assert.equal(await c.sismember(key, all), 1);
      assert.equal(await c.sismember(key, Buffer.from([0, 0])), 0);
      assert.deepEqual(await c.smismember(key, nul, empty, "x"), [1, 1, 0]);
      assert.equal(await c.sadd("other", nul, "plain"), 2);
      assert.deepEqual(await c.sinterBuffer(key, "other"), [nul]);
      assert.deepEqual(
        (await c.sdiffBuffer(key, "other")).sort(byText),
        [empty, all, high],
      );
      assert.equal((await c.sunionBuffer(key, "other")).length, 5);
      assert.deepEqual(await c.callBuffer("SSCAN", key, "0", "MATCH", Buffer.from([0xff, 0x2a])), [
        Buffer.from("0"),
        [high],
      ]);
      assert.equal(await c.smove(key, "moved", high), 1);
      assert.deepEqual(await c.smembersBuffer("moved"), [high]);
      assert.deepEqual(await c.spopBuffer("moved"), high);
      const random = await c.srandmemberBuffer(key, -20) as unknown as Buffer[];
      assert.equal(random.length, 20);
      for (const m of random) assert.ok([all, nul, empty].some((x) => x.equals(m)));
      assert.deepEqual((await c.spopBuffer(key, 10)).sort(byText), [empty, nul, all]);
      assert.equal(await c.exists(key), 0);
    })
  ));

Deno.test("SRANDMEMBER answers distinct members for a positive count and repeats for a negative one", () =>
  withServer(async (server) => {
    const small = ["a", "b", "c", "d", "e"];
    const ints = Array.from({ length: 100 }, (_, i) => String(i * 3 - 50));
    const big = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    const c = await RawClient.connect(server.port);
    try {
      for (const [key, members] of [["small", small], ["ints", ints], ["big", big]] as const) {
        await c.call("SADD", key, ...members);
        const size = members.length;
        const known = new Set<string>(members);
        for (const count of [1, 2, 3, Math.floor(size / 3), Math.floor(size / 3) + 1, size - 1]) {
          if (count < 1) continue;
          for (let round = 0; round < 10; round++) {
            const picked = bulks(await c.call("SRANDMEMBER", key, String(count)));
            assert.equal(picked.length, count);
            assert.equal(new Set(picked).size, count, `${key} ${count}: distinct`);
            for (const m of picked) assert.ok(known.has(m!), m!);
          }
        }
        // At or past the size: every member, in the set's order (numeric for intsets).
        const whole = bulks(await c.call("SRANDMEMBER", key, String(size + 1)));
        assert.deepEqual(sorted(whole), sorted(members));
        if (key === "ints") {
          assert.deepEqual(whole, [...members].sort((a, b) => Number(a) - Number(b)));
        }
        // Negative: exactly that many, repeats allowed, every member turning up.
        const many = bulks(await c.call("SRANDMEMBER", key, String(-size * 20)));
        assert.equal(many.length, size * 20);
        assert.equal(new Set(many).size, size);
        // Nothing was removed.
        assert.equal((await c.call("SCARD", key)).raw, `:${size}\r\n`);
      }
    } finally {
      c.close();
    }
  }));

Deno.test("SRANDMEMBER and SPOP pick members roughly uniformly", () =>
  withServer(async (server, call) => {
    const c = await RawClient.connect(server.port);
    try {
      for (
        const members of [["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], [
          "a",
          "b",
          "c",
          "d",
          "e",
          "f",
          "g",
          "h",
          "i",
          "j",
        ]]
      ) {
        await c.call("DEL", "u");
        await c.call("SADD", "u", ...members);
        // 50,000 picks with repeats: each of 10 members expects 5,000.
        const counts = new Map<string, number>();
        for (const m of bulks(await c.call("SRANDMEMBER", "u", "-50000"))) {
          counts.set(m!, (counts.get(m!) ?? 0) + 1);
        }
        assert.equal(counts.size, 10);
        for (const [m, n] of counts) assert.ok(n > 4500 && n < 5500, `${m} picked ${n} times`);
        // Distinct picks of 3 out of 10, 3,000 times: each member expects 900.
        const distinct = new Map<string, number>();
        for (let i = 0; i < 3000; i++) {
          for (const m of bulks(await c.call("SRANDMEMBER", "u", "3"))) {
            distinct.set(m!, (distinct.get(m!) ?? 0) + 1);
          }
        }
        for (const [m, n] of distinct) assert.ok(n > 750 && n < 1050, `${m} picked ${n} times`);
        // SPOP then SADD back, 3,000 times: each member expects 300.
        const popped = new Map<string, number>();
        for (let i = 0; i < 3000; i++) {
          const raw = await call("SPOP", "u");
          const m = raw.slice(raw.indexOf("\r\n") + 2, -2);
          popped.set(m, (popped.get(m) ?? 0) + 1);
          await call("SADD", "u", m);
        }
        for (const [m, n] of popped) assert.ok(n > 200 && n < 400, `${m} popped ${n} times`);
      }
    } finally {
      c.close();
    }
  }));

Deno.test("SPOP with a count pops distinct members, leaves the rest and deletes an emptied set", () =>
  withServer(async (server) => {
    const c = await RawClient.connect(server.port);
    const db = server.server.keyspace.databases[0];
    try {
      for (const size of [7, 100, 600, 3000]) {
        for (const count of [1, 2, Math.floor(size / 6), Math.floor(size / 2), size - 1]) {
          if (count < 1) continue;
          for (const kind of ["int", "text"]) {
            const members = Array.from(
              { length: size },
              (_, i) => kind === "int" ? String(i) : `m${i}`,
            );
            await c.call("DEL", "p");
            await c.call("SADD", "p", ...members);
            const popped = bulks(await c.call("SPOP", "p", String(count)));
            assert.equal(popped.length, count);
            assert.equal(new Set(popped).size, count);
            const rest = bulks(await c.call("SMEMBERS", "p"));
            assert.equal(rest.length, size - count);
            assert.deepEqual(sorted([...popped, ...rest]), sorted(members));
            const value = db.get("p") as SetValue;
            // The survivors of a large pop are an intset again when they fit.
            const expectIntset = kind === "int" &&
              (size <= 512 || ((size - count) * 5 <= count && size - count <= 512));
            assert.equal(value.encoding, expectIntset ? "intset" : "hashtable", `${size} ${count}`);
          }
        }
      }
      await c.call("SADD", "all", "a", "b", "1");
      assert.equal(bulks(await c.call("SPOP", "all", "3")).length, 3);
      assert.equal(db.has("all"), false);
    } finally {
      c.close();
    }
  }));

Deno.test("SSCAN of a big set returns every member that stays while members come and go", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const size = 5000;
      const start = Array.from({ length: size }, (_, i) => `m:${i}`);
      await c.sadd("big", ...start);
      const seen = new Map<string, number>();
      const everAdded = new Set(start);
      const removed = new Set<string>();
      let cursor = "0";
      let calls = 0;
      do {
        const [next, items] = await c.sscan("big", cursor, "COUNT", "41");
        for (const m of items) seen.set(m, (seen.get(m) ?? 0) + 1);
        // Change the set between calls: remove members (seen or not), add new ones, and
        // pop a random one now and then (recorded so it is not expected).
        const n = (calls * 7919) % size;
        if (n >= 1000 && !removed.has(`m:${n}`)) {
          await c.srem("big", `m:${n}`);
          removed.add(`m:${n}`);
        }
        await c.sadd("big", `new:${calls}`, String(calls));
        everAdded.add(`new:${calls}`).add(String(calls));
        if (calls % 10 === 0) {
          const popped = await c.spop("big") as string;
          removed.add(popped);
        }
        cursor = next;
        calls++;
        assert.ok(calls < 10_000, "the scan never ends");
      } while (cursor !== "0");
      for (const m of start) {
        if (!removed.has(m)) assert.equal(seen.get(m), 1, m);
      }
      for (const m of seen.keys()) assert.ok(everAdded.has(m), m);
      assert.ok(calls > size / 41, `a COUNT 41 scan took only ${calls} calls`);
      // MATCH filters after the COUNT members are taken, and finds each match once.
      const found: string[] = [];
      cursor = "0";
      do {
        const [next, items] = await c.sscan("big", cursor, "MATCH", "new:*", "COUNT", "100");
        found.push(...items);
        cursor = next;
      } while (cursor !== "0");
      assert.equal(new Set(found).size, found.length);
      assert.ok(found.every((m) => m.startsWith("new:")));
      // An unknown cursor starts over instead of failing.
      const [, again] = await c.sscan("big", "987654321", "COUNT", "1000");
      assert.equal(again.length, 1000);
    })
  ));

Deno.test("set writes are propagated as Redis 7.0 propagates them, and only when they change something", () =>
  withServer(async (server, call) => {
    const { propagated } = server;
    await call("SADD", "s", "1", "2");
    await call("SADD", "s", "1");
    await call("SREM", "s", "9");
    await call("SREM", "nokey", "1");
    await call("SREM", "s", "2", "9");
    await call("SRANDMEMBER", "s", "-3");
    await call("SISMEMBER", "s", "1");
    await call("SMOVE", "s", "s", "1");
    await call("SMOVE", "s", "t", "9");
    await call("SMOVE", "nokey", "t", "1");
    await call("SMOVE", "s", "t", "1");
    await call("SPOP", "t");
    await call("SPOP", "t");
    await call("SPOP", "nokey", "3");
    await call("SADD", "p", "a", "b", "c");
    await call("SPOP", "p", "0");
    await call("SPOP", "p", "5");
    await call("SADD", "a", "x", "y");
    await call("SINTERSTORE", "d", "a", "a");
    await call("SUNIONSTORE", "d", "a");
    await call("SDIFFSTORE", "d", "a", "a");
    await call("SDIFFSTORE", "d", "a", "a");
    await call("SINTERSTORE", "d", "a", "nokey");
    assert.deepEqual(propagated, [
      ["0", "SADD", "s", "1", "2"],
      ["0", "SREM", "s", "2", "9"],
      ["0", "SMOVE", "s", "t", "1"],
      ["0", "SREM", "t", "1"],
      ["0", "SADD", "p", "a", "b", "c"],
      ["0", "DEL", "p"],
      ["0", "SADD", "a", "x", "y"],
      ["0", "SINTERSTORE", "d", "a", "a"],
      ["0", "SUNIONSTORE", "d", "a"],
      ["0", "SDIFFSTORE", "d", "a", "a"],
    ]);
    // A partial SPOP becomes one SREM per popped member, whichever way it pops, in
    // MULTI/EXEC when there are several (as redis-server writes its AOF).
    for (const count of ["2", "9"]) {
      propagated.length = 0;
      await call("DEL", "q");
      await call("SADD", "q", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
      propagated.length = 0;
      const reply = (await call("SPOP", "q", count)).split("\r\n");
      const members = reply.slice(1, -1).filter((_, i) => i % 2 === 1);
      const srems = members.map((m) => ["0", "SREM", "q", m]);
      assert.deepEqual(
        propagated,
        srems.length > 1 ? [["0", "MULTI"], ...srems, ["-1", "EXEC"]] : srems,
      );
    }
  }));

Deno.test("set reads count keyspace hits and misses per key, writes do not", () =>
  withServer(async (server, call) => {
    const stats = server.server.stats;
    await call("SADD", "s", "1", "2");
    await call("SREM", "s", "9");
    await call("SMOVE", "s", "t", "9");
    await call("SPOP", "nokey");
    assert.deepEqual([stats.keyspaceHits, stats.keyspaceMisses], [0, 0]);
    for (const command of ["SCARD", "SMEMBERS", "SRANDMEMBER"]) {
      await call(command, "s");
      await call(command, "nokey");
    }
    for (const command of ["SISMEMBER", "SMISMEMBER", "SRANDMEMBER", "SSCAN"]) {
      await call(command, "s", "0");
      await call(command, "nokey", "0");
    }
    assert.deepEqual([stats.keyspaceHits, stats.keyspaceMisses], [7, 7]);
    // The multi-key reads, STORE forms included, look up every key.
    await call("SINTER", "s", "nokey", "s");
    await call("SUNIONSTORE", "d", "s", "nokey");
    await call("SINTERCARD", "2", "s", "nokey");
    await call("SDIFF", "nokey", "s");
    assert.deepEqual([stats.keyspaceHits, stats.keyspaceMisses], [7 + 5, 7 + 4]);
  }));

Deno.test("set writes keep the key's time to live; the STORE forms replace it", () =>
  withServer(async (server, call) => {
    const db = server.server.keyspace.databases[0];
    await call("SADD", "t", ...Array.from({ length: 20 }, (_, i) => String(i)));
    const at = Date.now() + 100_000;
    db.setExpire("t", at);
    await call("SADD", "t", "x");
    await call("SREM", "t", "x");
    await call("SPOP", "t");
    await call("SPOP", "t", "2");
    await call("SPOP", "t", "14");
    await call("SMOVE", "other", "t", "1");
    await call("SADD", "src", "zz");
    await call("SMOVE", "src", "t", "zz");
    assert.equal(db.getExpire("t"), at);
    await call("SUNIONSTORE", "t", "t");
    assert.equal(db.getExpire("t"), undefined);
    // An expired set reads as missing and is recreated fresh.
    await call("SADD", "gone", "a");
    db.setExpire("gone", Date.now() - 1);
    assert.equal(await call("SCARD", "gone"), ":0\r\n");
    assert.equal(await call("SADD", "gone", "b"), ":1\r\n");
    assert.equal(await call("SMEMBERS", "gone"), "*1\r\n$1\r\nb\r\n");
  }));

Deno.test("random set operations give the same results and encodings as Redis", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort(), ["--set-max-intset-entries", "8"]);
  const ours = await startInProcess([["set-max-intset-entries", ["8"]]]);
  const real = await RawClient.connect(redis.port);
  const mine = await RawClient.connect(ours.port);
  // A small seeded generator, so a failure can be replayed.
  let seed = 20240601;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const keys = ["a", "b", "c", "d"];
  const member = () =>
    rand(5) === 0 ? ["x", "", "\x00", "-0", "01"][rand(5)] : String(rand(24) - 4);
  const canonical = (reply: Reply): string => {
    if (reply.type !== "*" && reply.type !== "~") return reply.raw;
    return reply.type + JSON.stringify(reply.children!.map((r) => r.raw).sort());
  };
  try {
    for (let step = 0; step < 1500; step++) {
      const key = keys[rand(keys.length)];
      const other = keys[rand(keys.length)];
      const members = Array.from({ length: 1 + rand(4) }, member);
      const commands: string[][] = [
        ["SADD", key, ...members],
        ["SADD", key, ...members],
        ["SREM", key, ...members],
        ["SMOVE", key, other, members[0]],
        ["SINTERSTORE", key, other, keys[rand(4)]],
        ["SUNIONSTORE", key, other, keys[rand(4)]],
        ["SDIFFSTORE", key, other, keys[rand(4)]],
        ["SINTER", key, other],
        ["SUNION", key, other, keys[rand(4)]],
        ["SDIFF", key, other],
        ["SINTERCARD", "2", key, other, "LIMIT", String(rand(4))],
        ["SMISMEMBER", key, ...members],
        ["SMEMBERS", key],
        ["SCARD", key],
      ];
      const command = commands[rand(commands.length)];
      const expected = await real.call(...command);
      const got = await mine.call(...command);
      assert.equal(canonical(got), canonical(expected), `step ${step}: ${command.join(" ")}`);
      // Intsets list their members in order: those replies match byte for byte.
      const encoding = await real.call("OBJECT", "ENCODING", key);
      assert.equal((await mine.call("OBJECT", "ENCODING", key)).raw, encoding.raw, `step ${step}`);
      if (encoding.raw.includes("intset")) {
        assert.equal(
          (await mine.call("SMEMBERS", key)).raw,
          (await real.call("SMEMBERS", key)).raw,
        );
      }
    }
  } finally {
    real.close();
    mine.close();
    await ours.stop();
    await redis.stop();
  }
});

Deno.test("SetValue keeps integers sorted in an intset and converts exactly at the limit", () => {
  const set = new SetValue();
  assert.equal(set.encoding, "intset");
  for (const m of ["5", "-3", "9223372036854775807", "-9223372036854775808", "0", "5"]) {
    set.add(m, 5);
  }
  assert.equal(set.size, 5);
  assert.deepEqual(set.toArray(), ["-9223372036854775808", "-3", "0", "5", "9223372036854775807"]);
  assert.equal(set.has("5"), true);
  assert.equal(set.has("05"), false);
  assert.equal(set.has("9223372036854775808"), false);
  assert.equal(set.remove("0"), true);
  assert.equal(set.remove("0"), false);
  assert.equal(set.remove("x"), false);
  assert.equal(set.encoding, "intset");
  set.add("1", 5);
  set.add("2", 5);
  assert.equal(set.encoding, "hashtable");
  assert.equal(set.size, 6);
  set.remove("2");
  assert.equal(set.encoding, "hashtable");
  assert.deepEqual([...set.members()].sort(), [
    "-3",
    "-9223372036854775808",
    "1",
    "5",
    "9223372036854775807",
  ]);
  // Removing from the middle of the dense array keeps every member reachable.
  for (const m of ["-3", "5"]) set.remove(m);
  const picks = new Set<string>();
  for (let i = 0; i < 200; i++) picks.add(set.random());
  assert.deepEqual([...picks].sort(), ["-9223372036854775808", "1", "9223372036854775807"]);
  // A copy shares nothing and keeps the encoding; rebuild re-encodes from scratch.
  const copy = set.clone();
  copy.add("new", 5);
  assert.equal(set.has("new"), false);
  assert.equal(copy.encoding, "hashtable");
  set.rebuild(["3", "1"], 5);
  assert.equal(set.encoding, "intset");
  assert.deepEqual(set.toArray(), ["1", "3"]);
  const small = new SetValue();
  small.add("7", 0);
  assert.equal(small.encoding, "hashtable");
  const intCopy = set.clone();
  intCopy.add("2", 5);
  assert.deepEqual(set.toArray(), ["1", "3"]);
  assert.deepEqual(intCopy.toArray(), ["1", "2", "3"]);
});

/** Milliseconds per million operations of `fn(i)` for i in [0, n). */
function perMillion(n: number, fn: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (performance.now() - start) * 1_000_000 / n;
}

Deno.test("a 1M-member set adds, finds and removes members in constant time", () => {
  const n = 1_000_000;
  const name = (i: number) => `member:${i}`;
  const set = new SetValue();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const add = perMillion(n, (i) => set.add(name(i), 512));
  const heapAfter = Deno.memoryUsage().heapUsed;
  assert.equal(set.size, n);
  const has = perMillion(n, (i) => assert.ok(set.has(name(i))));
  const random = perMillion(n, () => set.random());
  const remove = perMillion(n, (i) => set.remove(name(i)));
  assert.equal(set.size, 0);
  // The same operations on a 10k-member set: per-operation costs must be comparable.
  const small = new SetValue();
  const smallAdd = perMillion(10_000, (i) => small.add(name(i), 512));
  const smallHas = perMillion(10_000, (i) => small.has(name(i)));
  const smallRemove = perMillion(10_000, (i) => small.remove(name(i)));
  // An intset of 512 integers (the default limit) against a hashtable.
  const ints = new SetValue();
  const intAdd = perMillion(512, (i) => ints.add(String(i * 1000), 512));
  const intHas = perMillion(100_000, (i) => ints.has(String((i % 512) * 1000)));
  console.log(
    `SetValue, 1M members: SADD ${add.toFixed(0)} ms/M, SISMEMBER ${has.toFixed(0)} ms/M, ` +
      `SRANDMEMBER ${random.toFixed(0)} ms/M, SREM ${remove.toFixed(0)} ms/M; ` +
      `~${Math.round((heapAfter - heapBefore) / n)} heap bytes/member (strings included)\n` +
      `  10k members: SADD ${smallAdd.toFixed(0)}, SISMEMBER ${smallHas.toFixed(0)}, ` +
      `SREM ${smallRemove.toFixed(0)} ms/M; 512-int intset: SADD ${intAdd.toFixed(0)}, ` +
      `SISMEMBER ${intHas.toFixed(0)} ms/M`,
  );
  assert.ok(add < smallAdd * 10 + 2000, `SADD at 1M: ${add} vs ${smallAdd} ms/M at 10k`);
  assert.ok(has < smallHas * 10 + 2000, `SISMEMBER at 1M: ${has} vs ${smallHas} ms/M at 10k`);
  assert.ok(remove < smallRemove * 10 + 2000, `SREM at 1M: ${remove} vs ${smallRemove}`);
});

Deno.test("a 1M-member set over the wire: SADD, SISMEMBER, SPOP and SREM timings", () =>
  withServer((server) =>
    withIoredis(server.port, async (c) => {
      const n = 1_000_000;
      const batch = 1000;
      const time = async (fn: () => Promise<void>) => {
        const start = performance.now();
        await fn();
        return performance.now() - start;
      };
      // SADD in commands of 1,000 members, 100 commands per pipeline.
      const sadd = await time(async () => {
        for (let base = 0; base < n; base += batch * 100) {
          const p = c.pipeline();
          for (let j = base; j < base + batch * 100; j += batch) {
            p.sadd("big", ...Array.from({ length: batch }, (_, k) => `member:${j + k}`));
          }
          await p.exec();
        }
      });
      assert.equal(await c.scard("big"), n);
      // 100k single SISMEMBERs, pipelined 10k at a time.
      const lookups = 100_000;
      let found = 0;
      const sismember = await time(async () => {
        for (let base = 0; base < lookups; base += 10_000) {
          const p = c.pipeline();
          for (let j = base; j < base + 10_000; j++) p.sismember("big", `member:${j * 7 % n}`);
          for (const [, r] of (await p.exec())!) found += r as number;
        }
      });
      assert.equal(found, lookups);
      const spop = await time(async () => {
        assert.equal((await c.spop("big", 10_000)).length, 10_000);
      });
      const srem = await time(async () => {
        for (let base = 0; base < n; base += batch * 100) {
          const p = c.pipeline();
          for (let j = base; j < base + batch * 100; j += batch) {
            p.srem("big", ...Array.from({ length: batch }, (_, k) => `member:${j + k}`));
          }
          await p.exec();
        }
      });
      assert.equal(await c.exists("big"), 0);
      console.log(
        `1M members over TCP: SADD (1,000 per command) ${sadd.toFixed(0)} ms, ` +
          `100k SISMEMBER ${sismember.toFixed(0)} ms, SPOP 10,000 ${spop.toFixed(0)} ms, ` +
          `SREM (1,000 per command) ${srem.toFixed(0)} ms`,
      );
    })
  ));

Deno.test("the reply types of set commands follow Redis under RESP3", () =>
  withServer(async (server) => {
    const c = await RawClient.connect(server.port);
    try {
      await c.call("HELLO", "3");
      await c.call("SADD", "s", "1", "2", "x");
      for (const command of [["SMEMBERS", "s"], ["SINTER", "s"], ["SUNION", "s"], ["SDIFF", "s"]]) {
        assert.equal((await c.call(...command)).type, "~", command.join(" "));
      }
      assert.equal((await c.call("SRANDMEMBER", "s", "2")).type, "*");
      assert.equal((await c.call("SRANDMEMBER", "s", "-2")).type, "*");
      assert.equal((await c.call("SMISMEMBER", "s", "1")).type, "*");
      assert.equal((await c.call("SPOP", "s", "1")).type, "~");
      assert.equal((await c.call("SPOP", "nokey")).raw, "_\r\n");
      assert.equal((await c.call("SRANDMEMBER", "nokey")).raw, "_\r\n");
    } finally {
      c.close();
    }
  }));
