// Tests of the geo commands beyond reply bytes (which the scenarios in
// tests/compat/scenarios/geo_*.txt compare with real Redis): what is propagated and
// counted, command by command, against a real redis-server's AOF; the side effects of
// the STORE forms (blocked clients, WATCH); binary member names; and random points and
// searches compared with real Redis.

import assert from "node:assert/strict";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";

// ---------------------------------------------------------------------------------
// Helpers

interface Client {
  call(...argv: string[]): Promise<string>;
  send(...argv: string[]): Promise<void>;
  read(): Promise<string>;
  close(): void;
}

async function connect(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  const read = async () => (await reader.read()).raw;
  return {
    async call(...argv) {
      await conn.write(encodeCommand(argv));
      return await read();
    },
    async send(...argv) {
      await conn.write(encodeCommand(argv));
    },
    read,
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
  fn: (server: InProcessServer, open: () => Promise<Client>) => Promise<void>,
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

/** A small seeded generator (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------
// Propagation and counters compared with real Redis

/** Commands whose replies, dirty counts, keyspace hits/misses and AOF records are compared. */
const SCRIPT: string[][] = [
  ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
  ["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
  ["GEOADD", "g", "CH", "XX", "13", "38", "Palermo", "1", "1", "nope"],
  ["GEOADD", "g", "nx", "ch", "13.361389", "38.115556", "Palermo", "14", "37", "Syracuse"],
  ["GEOADD", "g", "1", "1", "bad", "1", "100", "worse"],
  ["GEOADD", "missing", "XX", "1", "1", "a"],
  ["GEOPOS", "g", "Palermo", "nope"],
  ["GEOPOS", "missing", "a"],
  ["GEOHASH", "g", "Catania"],
  ["GEOHASH", "missing", "a"],
  ["GEODIST", "g", "Palermo", "Catania", "km"],
  ["GEODIST", "missing", "a", "b"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST"],
  ["GEORADIUS", "missing", "15", "37", "200", "km"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "dst"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "dst", "COUNT", "1"],
  ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst"],
  ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "dst"],
  ["GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "STORE", "a", "STOREDIST", "b"],
  ["GEORADIUSBYMEMBER", "missing", "Palermo", "300", "km", "STORE", "b"],
  ["GEORADIUSBYMEMBER_RO", "g", "Palermo", "300", "km", "ASC"],
  ["GEORADIUS_RO", "g", "15", "37", "200", "km", "COUNT", "1", "ANY"],
  ["GEOSEARCH", "g", "FROMMEMBER", "Catania", "BYBOX", "400", "400", "km", "ASC"],
  ["GEOSEARCH", "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
  ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"],
  ["GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
  ["GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
  ["GEOSEARCHSTORE", "g2", "g", "FROMMEMBER", "Palermo", "BYBOX", "1000", "10", "km", "DESC"],
  ["SET", "str", "v"],
  ["GEOADD", "str", "1", "1", "a"],
  ["GEOPOS", "str", "a"],
  ["GEOSEARCH", "str", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
  ["GEOSEARCHSTORE", "str", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
  ["ZRANGE", "str", "0", "-1", "WITHSCORES"],
];

Deno.test("geo writes are propagated as Redis records them in its AOF, and dirty counts and keyspace hits/misses match Redis command by command", async () => {
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
// Side effects of the STORE forms

Deno.test("GEOSEARCHSTORE into a key a client waits on in BZPOPMIN serves that client", async () => {
  await withServer(async (server, open) => {
    const a = await open();
    const b = await open();
    await a.call(
      "GEOADD",
      "src",
      "13.361389",
      "38.115556",
      "Palermo",
      "15.087269",
      "37.502669",
      "Catania",
    );
    await b.send("BZPOPMIN", "dst", "0");
    await until(() => server.server.blockedClients === 1);
    drain(server);
    assert.equal(
      await a.call(
        "GEOSEARCHSTORE",
        "dst",
        "src",
        "FROMMEMBER",
        "Palermo",
        "BYRADIUS",
        "500",
        "km",
        "STOREDIST",
      ),
      ":2\r\n",
    );
    assert.equal(await b.read(), "*3\r\n$3\r\ndst\r\n$7\r\nPalermo\r\n$1\r\n0\r\n");
    assert.deepEqual(drain(server).map((entry) => entry.slice(1, 3)), [
      ["GEOSEARCHSTORE", "dst"],
      ["ZPOPMIN", "dst"],
    ]);
    assert.equal(await a.call("ZCARD", "dst"), ":1\r\n");
  });
});

Deno.test("GEORADIUS STORE wakes a client blocked in BZMPOP on the destination", async () => {
  await withServer(async (server, open) => {
    const a = await open();
    const b = await open();
    await a.call("GEOADD", "src", "1", "1", "x", "1.001", "1", "y");
    await b.send("BZMPOP", "0", "1", "dst", "MAX", "COUNT", "5");
    await until(() => server.server.blockedClients === 1);
    assert.equal(
      await a.call("GEORADIUS", "src", "1", "1", "10", "km", "STOREDIST", "dst"),
      ":2\r\n",
    );
    const served = await b.read();
    assert.ok(served.startsWith("*2\r\n$3\r\ndst\r\n*2\r\n*2\r\n$1\r\ny\r\n"), served);
    assert.equal(await a.call("EXISTS", "dst"), ":0\r\n");
  });
});

Deno.test("a STORE form invalidates a WATCH on the key it writes, and only on that key", async () => {
  await withServer(async (_server, open) => {
    const a = await open();
    const b = await open();
    await a.call("GEOADD", "src", "1", "1", "x");
    // With both STORE and STOREDIST, only the last one's key is written.
    await a.call("WATCH", "first");
    await b.call("GEORADIUS", "src", "1", "1", "10", "km", "STORE", "first", "STOREDIST", "second");
    await a.call("MULTI");
    await a.call("PING");
    assert.equal(await a.call("EXEC"), "*1\r\n+PONG\r\n");
    assert.equal(await a.call("EXISTS", "first", "second"), ":1\r\n");

    await a.call("WATCH", "second");
    await b.call("GEOSEARCHSTORE", "second", "src", "FROMMEMBER", "x", "BYRADIUS", "1", "km");
    await a.call("MULTI");
    await a.call("PING");
    assert.equal(await a.call("EXEC"), "*-1\r\n");

    // An empty result deletes the destination: that is a change too.
    await a.call("WATCH", "second");
    await b.call(
      "GEOSEARCHSTORE",
      "second",
      "src",
      "FROMLONLAT",
      "50",
      "50",
      "BYRADIUS",
      "1",
      "km",
    );
    await a.call("MULTI");
    await a.call("PING");
    assert.equal(await a.call("EXEC"), "*-1\r\n");

    // A search that stores nothing into a missing key changes nothing.
    await a.call("WATCH", "second");
    await b.call(
      "GEOSEARCHSTORE",
      "second",
      "src",
      "FROMLONLAT",
      "50",
      "50",
      "BYRADIUS",
      "1",
      "km",
    );
    await b.call("GEORADIUS", "src", "1", "1", "10", "km");
    await a.call("MULTI");
    await a.call("PING");
    assert.equal(await a.call("EXEC"), "*1\r\n+PONG\r\n");
  });
});

Deno.test("members are binary-safe: any bytes name a point, and come back as they went in", async () => {
  await withServer(async (_server, open) => {
    const c = await open();
    const name = "\x00\xff\r\nüñí";
    assert.equal(await c.call("GEOADD", "bin", "2", "3", name, "2.1", "3", "plain"), ":2\r\n");
    assert.equal(
      await c.call("GEOSEARCH", "bin", "FROMMEMBER", name, "BYRADIUS", "1", "km"),
      `*1\r\n$${name.length}\r\n${name}\r\n`,
    );
    assert.equal(await c.call("GEOHASH", "bin", name), "*1\r\n$11\r\ns093jd0k720\r\n");
    assert.equal(await c.call("GEODIST", "bin", name, "plain"), "$10\r\n11107.1776\r\n");
  });
});

// ---------------------------------------------------------------------------------
// Random points and searches

function randomCommands(rnd: () => number, count: number): string[][] {
  const uniform = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const pick = <T>(items: T[]) => items[Math.floor(rnd() * items.length)];
  const lon = () => pick([uniform(-180, 180), uniform(-180, 180), pick([-180, 180, 0, 179.99])]);
  const lat = () =>
    pick([uniform(-85.05112878, 85.05112878), uniform(-70, 70), pick([85.05112878, -85, 0])]);
  const out: string[][] = [];
  const size = 300;
  const add = ["GEOADD", "g"];
  for (let i = 0; i < size; i++) add.push(String(lon()), String(lat()), `m${i}`);
  out.push(add);
  for (let i = 0; i < count; i++) {
    const unit = pick(["m", "km", "mi", "ft"]);
    const perUnit = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 }[unit]!;
    const meters = pick([uniform(0, 300e3), uniform(0, 3000e3), uniform(0, 20000e3)]);
    const size1 = String(meters / perUnit);
    const size2 = String(meters * uniform(0.2, 3) / perUnit);
    const options: string[] = [];
    if (rnd() < 0.5) options.push(pick(["ASC", "DESC"]));
    if (rnd() < 0.4) {
      options.push("COUNT", String(1 + Math.floor(rnd() * 20)));
      if (rnd() < 0.4) options.push("ANY");
    }
    const from = rnd() < 0.6
      ? ["FROMLONLAT", String(lon()), String(lat())]
      : ["FROMMEMBER", `m${Math.floor(rnd() * size)}`];
    const by = rnd() < 0.5 ? ["BYRADIUS", size1, unit] : ["BYBOX", size1, size2, unit];
    switch (Math.floor(rnd() * 5)) {
      case 0:
        out.push([
          "GEOSEARCH",
          "g",
          ...from,
          ...by,
          ...options,
          "WITHDIST",
          "WITHCOORD",
          "WITHHASH",
        ]);
        break;
      case 1:
        out.push(["GEOSEARCHSTORE", "d", "g", ...from, ...by, ...options]);
        out.push(["ZRANGE", "d", "0", "-1", "WITHSCORES"]);
        break;
      case 2:
        out.push([
          "GEORADIUS",
          "g",
          String(lon()),
          String(lat()),
          size1,
          unit,
          ...options,
          "WITHDIST",
        ]);
        break;
      case 3:
        out.push([
          "GEORADIUSBYMEMBER",
          "g",
          `m${Math.floor(rnd() * size)}`,
          size1,
          unit,
          ...options,
        ]);
        break;
      default:
        out.push([
          "GEODIST",
          "g",
          `m${Math.floor(rnd() * size)}`,
          `m${Math.floor(rnd() * size)}`,
          unit,
        ]);
        out.push(["GEOPOS", "g", `m${Math.floor(rnd() * size)}`, `m${Math.floor(rnd() * size)}`]);
    }
  }
  return out;
}

Deno.test("600 random geo searches over random points get the same replies as from Redis", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const theirs = await connect(redis.port);
  try {
    await withServer(async (_server, open) => {
      const ours = await open();
      for (const [i, argv] of randomCommands(random(42), 600).entries()) {
        const expected = await theirs.call(...argv);
        assert.equal(await ours.call(...argv), expected, `command ${i}: ${argv.join(" ")}`);
      }
    });
  } finally {
    theirs.close();
    await redis.stop();
  }
});
