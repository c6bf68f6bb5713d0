// Tests of the sorted set commands beyond reply bytes (which the scenarios in
// tests/compat/scenarios/zsets_*.txt compare with real Redis): what is propagated and
// counted (compared with a real redis-server's AOF, command by command), blocking pops
// (order, several keys, timeouts, MULTI, keys changing type), ZSCAN walks, argument
// parsing, and ioredis round trips with binary members.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { parseDouble, plainDecimal, strtod } from "../../src/commands/_zset_args.ts";
import { SortedSetValue } from "../../src/store/zset.ts";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { rng } from "../_random.ts";

// ---------------------------------------------------------------------------------
// Helpers

interface Client {
  call(...argv: string[]): Promise<string>;
  send(...argv: string[]): Promise<void>;
  read(): Promise<string>;
  /** The next reply, or null when none arrives within `ms`. */
  readWithin(ms: number): Promise<string | null>;
  close(): void;
}

async function connect(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  let pending: Promise<string> | null = null;
  const next = () => {
    pending ??= reader.read().then((r) => r.raw);
    return pending;
  };
  const read = async () => {
    const reply = await next();
    pending = null;
    return reply;
  };
  return {
    async call(...argv) {
      await conn.write(encodeCommand(argv));
      return await read();
    },
    async send(...argv) {
      await conn.write(encodeCommand(argv));
    },
    read,
    async readWithin(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), ms));
      const reply = await Promise.race([next(), timeout]);
      clearTimeout(timer);
      if (reply !== null) pending = null;
      return reply;
    },
    close: () => {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    },
  };
}

async function withServer(
  fn: (server: InProcessServer, connect: () => Promise<Client>) => Promise<void>,
): Promise<void> {
  const server = await startInProcess();
  const clients: Client[] = [];
  try {
    await fn(server, async () => {
      const c = await connect(server.port);
      clients.push(c);
      return c;
    });
  } finally {
    for (const c of clients) c.close();
    await server.stop();
  }
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Reads the commands of a RESP stream (an AOF file).
function parseAof(text: string): string[][] {
  const out: string[][] = [];
  let i = 0;
  const line = () => {
    const end = text.indexOf("\r\n", i);
    const s = text.slice(i, end);
    i = end + 2;
    return s;
  };
  while (i < text.length) {
    const n = Number(line().slice(1));
    const argv: string[] = [];
    for (let k = 0; k < n; k++) {
      const len = Number(line().slice(1));
      argv.push(text.slice(i, i + len));
      i += len + 2;
    }
    out.push(argv);
  }
  return out;
}

function infoField(info: string, name: string): number {
  const match = new RegExp(`^${name}:(\\d+)`, "m").exec(info);
  assert.ok(match, `INFO has no ${name}`);
  return Number(match[1]);
}

function bulkText(raw: string): string {
  return raw.slice(raw.indexOf("\r\n") + 2, -2);
}

// ---------------------------------------------------------------------------------
// Propagation and counters compared with real Redis

/** Commands whose replies, dirty counts, keyspace hits/misses and AOF records are compared. */
const SCRIPT: string[][] = [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "z", "1", "a"],
  ["ZADD", "z", "GT", "0", "a"],
  ["ZADD", "z", "CH", "5", "a", "6", "d"],
  ["ZADD", "z", "INCR", "1", "a"],
  ["ZADD", "z", "INCR", "0", "a"],
  ["ZADD", "z", "NX", "INCR", "1", "a"],
  ["ZADD", "z", "XX", "1", "nope"],
  ["ZADD", "missing", "XX", "1", "a"],
  ["ZADD", "z", "abc", "a"],
  ["ZINCRBY", "z", "0.5", "b"],
  ["ZINCRBY", "z", "inf", "b"],
  ["ZINCRBY", "z", "-inf", "b"],
  ["ZINCRBY", "z2", "1", "x"],
  ["ZREM", "z2", "x"],
  ["ZREM", "z", "nope"],
  ["ZREM", "missing", "a"],
  ["ZCARD", "z"],
  ["ZCARD", "missing"],
  ["ZSCORE", "z", "a"],
  ["ZMSCORE", "z", "a", "nope"],
  ["ZRANK", "z", "c"],
  ["ZREVRANK", "missing", "c"],
  ["ZCOUNT", "z", "-inf", "+inf"],
  ["ZLEXCOUNT", "z", "-", "+"],
  ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "missing", "0", "-1"],
  ["ZRANGEBYSCORE", "z", "1", "10"],
  ["ZREVRANGEBYLEX", "z", "+", "-"],
  ["ZRANGESTORE", "dst", "z", "0", "1"],
  ["ZRANGESTORE", "dst", "z", "10", "20"],
  ["ZRANGESTORE", "dst", "z", "10", "20"],
  ["ZRANGESTORE", "dst", "missing", "0", "-1"],
  ["ZADD", "w", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
  ["ZREMRANGEBYRANK", "w", "0", "0"],
  ["ZREMRANGEBYRANK", "w", "10", "20"],
  ["ZREMRANGEBYSCORE", "w", "2", "3"],
  ["ZREMRANGEBYSCORE", "w", "100", "200"],
  ["ZREMRANGEBYLEX", "w", "-", "(e"],
  ["ZREMRANGEBYLEX", "w", "-", "+"],
  ["ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["ZPOPMIN", "p"],
  ["ZPOPMAX", "p", "2"],
  ["ZPOPMIN", "p", "0"],
  ["ZPOPMIN", "missing"],
  ["ZMPOP", "2", "missing", "p", "MIN", "COUNT", "10"],
  ["ZMPOP", "1", "p", "MIN"],
  ["ZADD", "p", "1", "a", "2", "b", "3", "c"],
  ["ZMPOP", "1", "p", "MAX"],
  ["BZPOPMIN", "missing", "p", "0"],
  ["BZPOPMAX", "p", "0"],
  ["ZADD", "p", "1", "a", "2", "b", "3", "c"],
  ["BZMPOP", "0", "1", "p", "MIN", "COUNT", "2"],
  ["BZMPOP", "0", "1", "p", "MAX", "COUNT", "5"],
  ["ZADD", "u1", "1", "a", "2", "b"],
  ["ZADD", "u2", "10", "b", "20", "c"],
  ["ZUNIONSTORE", "out", "2", "u1", "u2", "WEIGHTS", "1", "2"],
  ["ZINTERSTORE", "out", "2", "u1", "u2", "AGGREGATE", "MAX"],
  ["ZDIFFSTORE", "out", "2", "u1", "u2"],
  ["ZINTERSTORE", "out", "2", "u1", "missing"],
  ["ZINTERSTORE", "out", "2", "u1", "missing"],
  ["ZUNIONSTORE", "none", "1", "missing"],
  ["ZUNION", "2", "u1", "u2", "WITHSCORES"],
  ["ZINTER", "2", "u1", "u2"],
  ["ZDIFF", "2", "u1", "u2"],
  ["ZINTERCARD", "2", "u1", "u2"],
  ["ZSCAN", "u1", "0"],
  ["SET", "str", "v"],
  ["ZADD", "str", "1", "a"],
  ["ZRANGE", "str", "0", "-1"],
  ["ZUNIONSTORE", "out", "2", "u1", "str"],
];

Deno.test("writes are propagated as Redis records them in its AOF, and dirty counts and keyspace hits/misses match Redis command by command", async () => {
  if (skipWithout("redis-server")) return;
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis(freePort(), [
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
  ]);
  const theirs = await connect(redis.port);
  try {
    await withServer(async (server, open) => {
      const ours = await open();
      const redisCounters = async () => {
        const info = bulkText(await theirs.call("INFO", "everything"));
        return [
          infoField(info, "rdb_changes_since_last_save"),
          infoField(info, "keyspace_hits"),
          infoField(info, "keyspace_misses"),
        ];
      };
      const ourCounters = () => [
        server.server.dirty,
        server.server.stats.keyspaceHits,
        server.server.stats.keyspaceMisses,
      ];
      for (const argv of SCRIPT) {
        const before = await redisCounters();
        const oursBefore = ourCounters();
        const expected = await theirs.call(...argv);
        assert.equal(await ours.call(...argv), expected, argv.join(" "));
        const after = await redisCounters();
        const oursAfter = ourCounters();
        ["dirty", "hits", "misses"].forEach((what, i) => {
          assert.equal(oursAfter[i] - oursBefore[i], after[i] - before[i], `${what}: ${argv}`);
        });
      }
      const aofDir = `${dir}/appendonlydir`;
      const incr = [...Deno.readDirSync(aofDir)].find((e) => e.name.endsWith(".incr.aof"))!;
      const recorded = parseAof(Deno.readTextFileSync(`${aofDir}/${incr.name}`))
        .filter((argv) => argv[0] !== "SELECT");
      assert.deepEqual(drain(server).map((entry) => entry.slice(1)), recorded);
    });
  } finally {
    theirs.close();
    await redis.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------
// Blocking pops

Deno.test("BZPOPMIN serves blocked clients in the order they blocked, one member each", async () => {
  await withServer(async (server, open) => {
    const [c1, c2, c3, writer] = [await open(), await open(), await open(), await open()];
    await c1.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 1);
    await c2.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 2);
    await c3.send("BZPOPMIN", "other", "k", "0");
    await until(() => server.server.blockedClients === 3);
    drain(server);
    assert.equal(await writer.call("ZADD", "k", "2", "b", "1", "a"), ":2\r\n");
    assert.equal(await c1.read(), "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert.equal(await c2.read(), "*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n2\r\n");
    assert.equal(await c3.readWithin(50), null);
    assert.equal(server.server.blockedClients, 1);
    assert.equal(await writer.call("EXISTS", "k"), ":0\r\n");
    assert.equal(await writer.call("ZADD", "k", "3", "c"), ":1\r\n");
    assert.equal(await c3.read(), "*3\r\n$1\r\nk\r\n$1\r\nc\r\n$1\r\n3\r\n");
    assert.deepEqual(drain(server), [
      ["0", "ZADD", "k", "2", "b", "1", "a"],
      ["0", "ZPOPMIN", "k"],
      ["0", "ZPOPMIN", "k"],
      ["0", "ZADD", "k", "3", "c"],
      ["0", "ZPOPMIN", "k"],
    ]);
    assert.equal(server.server.blockedClients, 0);
  });
});

Deno.test("a client blocked on several keys is served from the one that gets members", async () => {
  await withServer(async (server, open) => {
    const [waiter, writer] = [await open(), await open()];
    await waiter.send("BZPOPMAX", "a", "b", "c", "0");
    await until(() => server.server.blockedClients === 1);
    await writer.call("ZADD", "b", "1", "x", "9", "y");
    assert.equal(await waiter.read(), "*3\r\n$1\r\nb\r\n$1\r\ny\r\n$1\r\n9\r\n");
    assert.equal(await writer.call("ZRANGE", "b", "0", "-1"), "*1\r\n$1\r\nx\r\n");
  });
});

Deno.test("BZMPOP served after blocking pops up to COUNT and propagates ZPOPMAX with the number popped", async () => {
  await withServer(async (server, open) => {
    const [waiter, writer] = [await open(), await open()];
    await waiter.send("BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "10");
    await until(() => server.server.blockedClients === 1);
    drain(server);
    await writer.call("ZADD", "b", "1", "x", "2", "y", "3", "z");
    assert.equal(
      await waiter.read(),
      "*2\r\n$1\r\nb\r\n*3\r\n*2\r\n$1\r\nz\r\n$1\r\n3\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n" +
        "*2\r\n$1\r\nx\r\n$1\r\n1\r\n",
    );
    assert.deepEqual(drain(server), [
      ["0", "ZADD", "b", "1", "x", "2", "y", "3", "z"],
      ["0", "ZPOPMAX", "b", "3"],
    ]);
  });
});

Deno.test("blocking pops time out with a null array after about the timeout given", async () => {
  await withServer(async (server, open) => {
    const c = await open();
    for (
      const argv of [["BZPOPMIN", "k", "0.1"], ["BZPOPMAX", "k", "j", "0.1"], [
        "BZMPOP",
        "0.1",
        "1",
        "k",
        "MIN",
      ]]
    ) {
      const start = performance.now();
      assert.equal(await c.call(...argv), "*-1\r\n", argv.join(" "));
      const elapsed = performance.now() - start;
      assert.ok(elapsed >= 90 && elapsed < 1000, `${argv.join(" ")} took ${elapsed} ms`);
    }
    await c.call("HELLO", "3");
    assert.equal(await c.call("BZPOPMIN", "k", "0.05"), "_\r\n");
    assert.equal(server.server.blockedClients, 0);
    assert.deepEqual(drain(server), []);
  });
});

Deno.test("members added inside MULTI/EXEC wake a blocked client after EXEC, which sees them all", async () => {
  await withServer(async (server, open) => {
    const [waiter, writer] = [await open(), await open()];
    await waiter.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 1);
    await writer.call("MULTI");
    await writer.call("ZADD", "k", "5", "x");
    await writer.call("ZADD", "k", "1", "y");
    assert.equal(await waiter.readWithin(30), null);
    assert.equal(await writer.call("EXEC"), "*2\r\n:1\r\n:1\r\n");
    assert.equal(await waiter.read(), "*3\r\n$1\r\nk\r\n$1\r\ny\r\n$1\r\n1\r\n");
  });
});

Deno.test("a key that turns into another type leaves the blocked client waiting, as in Redis 7.0", async () => {
  await withServer(async (server, open) => {
    const [waiter, writer] = [await open(), await open()];
    await waiter.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 1);
    await writer.call("SET", "k", "text");
    assert.equal(await waiter.readWithin(50), null);
    assert.equal(server.server.blockedClients, 1);
    await writer.call("DEL", "k");
    await writer.call("ZADD", "k", "7", "m");
    assert.equal(await waiter.read(), "*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n7\r\n");
    // Asked afresh, the same command refuses the wrong type at once.
    await writer.call("SET", "k", "text");
    assert.match(await waiter.call("BZPOPMIN", "k", "0"), /^-WRONGTYPE/);
  });
});

Deno.test("a blocked client that disconnects is forgotten and the next one is served", async () => {
  await withServer(async (server, open) => {
    const [gone, waiter, writer] = [await open(), await open(), await open()];
    await gone.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 1);
    await waiter.send("BZPOPMIN", "k", "0");
    await until(() => server.server.blockedClients === 2);
    gone.close();
    await until(() => server.server.blockedClients === 1);
    await writer.call("ZADD", "k", "1", "a");
    assert.equal(await waiter.read(), "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert.equal(await writer.call("ZCARD", "k"), ":0\r\n");
  });
});

// ---------------------------------------------------------------------------------
// ZSCAN, encodings, sets as inputs

Deno.test("ZSCAN walks every member of a skiplist once, COUNT at a time, scores as text", async () => {
  await withServer(async (server, open) => {
    const c = await open();
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(String(i / 4), `m${i}`);
    await c.call("ZADD", "z", ...args);
    assert.equal(await c.call("OBJECT", "ENCODING", "z"), "$8\r\nskiplist\r\n");
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const raw = await c.call("ZSCAN", "z", cursor, "COUNT", "50");
      const parts = raw.split("\r\n");
      cursor = parts[2];
      const items = parts.slice(4).filter((_, i) => i % 2 === 1);
      for (let i = 0; i + 1 < items.length; i += 2) {
        assert.ok(!seen.has(items[i]), `${items[i]} twice`);
        seen.set(items[i], items[i + 1]);
      }
      calls++;
    } while (cursor !== "0");
    assert.equal(seen.size, 1000);
    assert.ok(calls >= 20, `only ${calls} calls`);
    assert.equal(seen.get("m1"), "0.25");
    assert.equal(seen.get("m999"), "249.75");
    assert.ok(server.server.keyspace.databases[0].get("z") instanceof SortedSetValue);
  });
});

// ---------------------------------------------------------------------------------
// Argument parsing

Deno.test("scores are read like C's strtod: decimal, hex floats, infinities, no spaces, no NaN", () => {
  assert.equal(parseDouble("1.5"), 1.5);
  assert.equal(parseDouble("+5"), 5);
  assert.equal(parseDouble(".5"), 0.5);
  assert.equal(parseDouble("5."), 5);
  assert.equal(parseDouble("1e3"), 1000);
  assert.equal(parseDouble("0x10"), 16);
  assert.equal(parseDouble("0x1.8p1"), 3);
  assert.equal(parseDouble("-0x.8"), -0.5);
  assert.equal(parseDouble("0x1p-1074"), 5e-324);
  assert.equal(parseDouble("0x1.fffffffffffff8p1023"), null); // rounds up past the largest
  assert.equal(parseDouble("0x1.fffffffffffffp1023"), Number.MAX_VALUE);
  assert.equal(parseDouble("0x1.00000000000008p0"), 1); // a tie rounds to even
  assert.equal(parseDouble("0x1.00000000000018p0"), 1 + 2 * Number.EPSILON);
  assert.equal(parseDouble("inf"), Infinity);
  assert.equal(parseDouble("-Infinity"), -Infinity);
  assert.equal(parseDouble("4e-320"), 4e-320);
  for (
    const bad of ["", " 1", "1 ", "nan", "NaN(1)", "1e400", "1e-400", "infin", "0x", "1e", "abc"]
  ) {
    assert.equal(parseDouble(bad), null, JSON.stringify(bad));
  }
  assert.equal(parseDouble("0e400"), 0);
  assert.deepEqual(strtod("  12abc").end, 4);
  assert.deepEqual(strtod("0x").end, 1);
  assert.deepEqual(strtod("1e+").end, 1);
  assert.deepEqual(strtod("infinit").end, 3);
  assert.deepEqual(strtod("nan(abc)x").end, 8);
  assert.deepEqual(strtod("-").end, 0);
});

// ---------------------------------------------------------------------------------
// ioredis

Deno.test("ioredis round-trips sorted sets, scores as strings and binary members as Buffers", async () => {
  await withServer(async (server) => {
    const client = new Redis({
      host: "127.0.0.1",
      port: server.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    try {
      assert.equal(await client.zadd("board", 10, "ada", 20, "bob", 15, "cy"), 3);
      assert.deepEqual(await client.zrange("board", 0, -1, "WITHSCORES"), [
        "ada",
        "10",
        "cy",
        "15",
        "bob",
        "20",
      ]);
      assert.equal(await client.zincrby("board", 0.1, "ada"), "10.1");
      assert.equal(await client.zscore("board", "cy"), "15");
      assert.equal(await client.zscore("board", "nobody"), null);
      assert.equal(await client.zrank("board", "bob"), 2);
      assert.deepEqual(await client.zrangebyscore("board", "(10.1", "+inf", "LIMIT", 0, 1), [
        "cy",
      ]);
      assert.deepEqual(await client.zrevrange("board", 0, 0), ["bob"]);
      assert.deepEqual(await client.zpopmin("board"), ["ada", "10.1"]);
      assert.deepEqual(await client.bzpopmax("board", 1), ["board", "bob", "20"]);
      assert.equal(await client.zunionstore("u", 2, "board", "board", "WEIGHTS", 1, 2), 1);
      assert.deepEqual(await client.zrange("u", 0, -1, "WITHSCORES"), ["cy", "45"]);
      assert.equal(await client.zrandmember("u"), "cy");
      assert.equal(await client.bzpopmin("empty", 0.05), null);

      const members = [Buffer.from([0, 255]), Buffer.from([13, 10]), Buffer.from([128])];
      assert.equal(
        await client.zadd(Buffer.from([1, 2]), 1, members[0], 2, members[1], 3, members[2]),
        3,
      );
      const back = await client.zrangeBuffer(Buffer.from([1, 2]), 0, -1);
      assert.deepEqual(back, members);
      assert.equal(await client.zscore(Buffer.from([1, 2]), Buffer.from([128])), "3");
      await client.set("text", "v");
      await assert.rejects(client.zadd("text", 1, "a"), /^ReplyError: WRONGTYPE/);
      await assert.rejects(client.zadd("board", "NX", "XX", 1, "a"), /XX and NX options/);
    } finally {
      await client.quit();
    }
  });
});

// ---------------------------------------------------------------------------------
// Random commands against real Redis

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCommand(rnd: () => number): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const member = () => pick(["a", "b", "c", "\x00", "\xff", "m"]) + String(int(0, 40));
  const score = () =>
    pick(["0", "1", "1.5", "-2", "0.1", "inf", "-inf", "3e2", String(int(-20, 20))]);
  const bound = () => pick(["", "("]) + pick(["0", "1", "-2", "1.5", "5", "-inf", "+inf"]);
  const lexBound = () => pick(["-", "+", `[${member()}`, `(${member()}`, "[a", "(m"]);
  const key = () => pick(["z1", "z2", "z3"]);
  const n = () => String(int(-8, 8));
  const flags = () =>
    pick([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["XX", "GT", "CH"], ["LT", "CH"]]);
  const pairs = () => {
    const out: string[] = [];
    for (let i = int(1, 4); i > 0; i--) out.push(score(), member());
    return out;
  };
  const limit = () => rnd() < 0.3 ? ["LIMIT", n(), n()] : [];
  const rev = () => rnd() < 0.3 ? ["REV"] : [];
  const withScores = () => rnd() < 0.5 ? ["WITHSCORES"] : [];
  switch (int(0, 21)) {
    case 0:
    case 1:
    case 2:
      return ["ZADD", key(), ...flags(), ...pairs()];
    case 3:
      return ["ZINCRBY", key(), score(), member()];
    case 4:
      return ["ZREM", key(), member(), member()];
    case 5:
      return ["ZRANGE", key(), n(), n(), ...rev(), ...withScores()];
    case 6:
      return ["ZRANGE", key(), bound(), bound(), "BYSCORE", ...rev(), ...limit(), ...withScores()];
    case 7:
      return ["ZRANGE", "lex", lexBound(), lexBound(), "BYLEX", ...rev(), ...limit()];
    case 8:
      return ["ZADD", "lex", "0", member(), "0", member()];
    case 9:
      return [pick(["ZCOUNT", "ZREMRANGEBYSCORE"]), key(), bound(), bound()];
    case 10:
      return [pick(["ZLEXCOUNT", "ZREMRANGEBYLEX"]), "lex", lexBound(), lexBound()];
    case 11:
      return [pick(["ZRANK", "ZREVRANK", "ZSCORE"]), key(), member()];
    case 12:
      return ["ZMSCORE", key(), member(), member(), member()];
    case 13:
      return ["ZREMRANGEBYRANK", key(), n(), n()];
    case 14:
      return [pick(["ZPOPMIN", "ZPOPMAX"]), key(), String(int(0, 3))];
    case 15:
      return [
        pick(["ZUNION", "ZINTER"]),
        "2",
        key(),
        key(),
        "WEIGHTS",
        score(),
        score(),
        "AGGREGATE",
        pick(["SUM", "MIN", "MAX"]),
        "WITHSCORES",
      ];
    case 16:
      return ["ZDIFF", "2", key(), key(), "WITHSCORES"];
    case 17:
      return [pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), key(), "2", key(), key()];
    case 18:
      return ["ZRANGESTORE", key(), key(), bound(), bound(), "BYSCORE", ...rev(), ...limit()];
    case 19:
      return ["OBJECT", "ENCODING", pick(["z1", "z2", "z3", "lex"])];
    case 20:
      return ["ZCARD", key()];
    default:
      return ["ZMPOP", "2", key(), key(), pick(["MIN", "MAX"]), "COUNT", String(int(1, 5))];
  }
}

Deno.test("4,000 random sorted set commands get the same replies as from Redis, across listpack-to-skiplist conversions", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort(), ["--zset-max-listpack-entries", "24"]);
  const theirs = await connect(redis.port);
  try {
    const server = await startInProcess([["zset-max-listpack-entries", ["24"]]]);
    const ours = await connect(server.port);
    try {
      const rnd = random(7);
      const encodings = new Set<string>();
      for (let i = 0; i < 4000; i++) {
        const argv = randomCommand(rnd);
        const expected = await theirs.call(...argv);
        assert.equal(await ours.call(...argv), expected, `command ${i}: ${JSON.stringify(argv)}`);
        if (argv[0] === "OBJECT") encodings.add(expected);
      }
      // Both encodings were met along the way.
      assert.ok(encodings.has("$8\r\nlistpack\r\n") && encodings.has("$8\r\nskiplist\r\n"));
      for (const key of ["z1", "z2", "z3", "lex"]) {
        assert.equal(
          await ours.call("ZRANGE", key, "0", "-1", "WITHSCORES"),
          await theirs.call("ZRANGE", key, "0", "-1", "WITHSCORES"),
        );
      }
    } finally {
      ours.close();
      await server.stop();
    }
  } finally {
    theirs.close();
    await redis.stop();
  }
});

Deno.test("plain decimals read as Number() reads them, other text as NaN", () => {
  const random = rng(11);
  const samples = ["0", "-0", "+0", ".5", "5.", "-.5", "13.361389", "85.05112878", "0.1"];
  samples.push(
    "123456789012345",
    "1234567890123456",
    "9007199254740993",
    "0.000000000000000000001",
  );
  samples.push("1e5", "", ".", "-", "+", "1.2.3", "0x10", " 1", "1 ", "inf", "--1");
  for (let t = 0; t < 20000; t++) {
    const length = 1 + Math.floor(random() * 24);
    const pointAt = Math.floor(random() * (length + 1));
    let text = random() < 0.3 ? "-" : "";
    for (let i = 0; i < length; i++) text += (i === pointAt ? "." : "") + Math.floor(random() * 10);
    samples.push(text);
  }
  for (const text of samples) {
    const expected = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : NaN;
    assert.ok(Object.is(plainDecimal(text), expected), JSON.stringify(text));
  }
});
