// Interoperability with real Redis 7.0: Redeno's dump.rdb passes redis-check-rdb and
// loads into redis-server with identical contents; redis-server's dump.rdb (with
// every encoding it writes) loads into Redeno with identical contents; DUMP payloads
// are byte-identical and RESTORE takes Redis's.

import assert from "node:assert/strict";
import { encodingLimits } from "../../src/persistence/load_settings.ts";
import { Crc64 } from "../../src/persistence/crc64.ts";
import { loadSnapshot, saveSnapshotSync } from "../../src/persistence/snapshot.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import {
  assertSameData,
  Client,
  datasetCommands,
  describe,
  noise,
  run,
  startQuiet,
} from "./_client.ts";

async function populate(port: number, commands = datasetCommands()): Promise<void> {
  const c = await Client.connect(port);
  try {
    const replies = await c.pipeline(commands);
    for (const [i, r] of replies.entries()) {
      assert.ok(!(r instanceof Error), `${commands[i][0]}: ${(r as Error)?.message}`);
    }
  } finally {
    c.close();
  }
}

Deno.test("Redeno's dump.rdb passes redis-check-rdb and loads into redis-server unchanged", async () => {
  if (skipWithout("redis-server", "redis-check-rdb")) return;
  const dir = Deno.makeTempDirSync();
  const redeno = await startQuiet();
  try {
    await populate(redeno.port);
    const expected = await describe(redeno.port);
    const result = saveSnapshotSync(redeno.server.keyspace, `${dir}/dump.rdb`);
    assert.equal(result.keys, expected.length);
    const check = await run("redis-check-rdb", [`${dir}/dump.rdb`]);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /RDB looks OK/);
    const redis = await startRedis(freePort(), ["--dir", dir, "--dbfilename", "dump.rdb"]);
    try {
      assertSameData(await describe(redis.port), expected);
    } finally {
      await redis.stop();
    }
  } finally {
    await redeno.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("redis-server's dump.rdb with every encoding loads into Redeno unchanged", async () => {
  if (skipWithout("redis-server")) return;
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis(freePort(), [
    "--dir",
    dir,
    "--dbfilename",
    "dump.rdb",
    "--enable-debug-command",
    "yes",
  ]);
  const redeno = await startQuiet();
  try {
    const extra: (string | number)[][] = [
      // Compressed quicklist nodes (written as LZF blobs) and plain nodes.
      ["CONFIG", "SET", "list-compress-depth", "1"],
      ["RPUSH", "list:compressed", ...Array.from({ length: 4000 }, (_, i) => `c${i % 100}`)],
      ["CONFIG", "SET", "list-compress-depth", "0"],
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"],
      ["RPUSH", "list:plain", "small", "p".repeat(500), "also small", "q".repeat(200)],
      ["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1073741824"],
      ["CONFIG", "SET", "rdbcompression", "no"],
      ["SET", "str:uncompressed-later", "z".repeat(100)],
    ];
    await populate(redis.port, [...datasetCommands(), ...extra]);
    const c = await Client.connect(redis.port);
    // Save once uncompressed and once compressed: both must load.
    assert.equal(await c.call("SAVE"), "OK");
    const plain = Deno.readFileSync(`${dir}/dump.rdb`);
    await c.call("CONFIG", "SET", "rdbcompression", "yes");
    assert.equal(await c.call("SAVE"), "OK");
    c.close();
    const expected = await describe(redis.port);
    const limits = encodingLimits(redeno.server.config);
    const loaded = loadSnapshot(redeno.server.keyspace, `${dir}/dump.rdb`, { limits })!;
    assert.equal(loaded.keys, expected.length);
    assert.equal(loaded.aux.get("redis-ver"), "7.0.15");
    assertSameData(await describe(redeno.port), expected);
    // The uncompressed file holds the same data.
    Deno.writeFileSync(`${dir}/plain.rdb`, plain);
    redeno.server.keyspace.flushAll();
    loadSnapshot(redeno.server.keyspace, `${dir}/plain.rdb`, { limits });
    assertSameData(await describe(redeno.port), expected);
  } finally {
    await redeno.stop();
    await redis.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DUMP gives Redis's exact bytes for strings, listpacks, intsets, tail-built lists, skiplists", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const redeno = await startQuiet();
  const a = await Client.connect(redis.port);
  const b = await Client.connect(redeno.port);
  try {
    const commands: (string | number)[][] = [];
    const keys: string[] = [];
    // Strings of every shape LZF meets: runs, repeats at every distance, text, noise.
    for (let i = 0; i < 400; i++) {
      const n = 15 + ((i * 37) % 700);
      let v: string;
      switch (i % 5) {
        case 0:
          v = noise(n, i, 2);
          break;
        case 1:
          v = noise(n, i, 4);
          break;
        case 2:
          v = noise(n, i, 26);
          break;
        case 3:
          v = noise(Math.max(1, n >> 4), i).repeat(20).slice(0, n);
          break;
        default:
          v = noise(n, i);
      }
      keys.push(`s${i}`);
      commands.push(["SET", `s${i}`, v]);
    }
    commands.push(["SET", "long", noise(9000, 1, 3).repeat(40)]);
    keys.push("long");
    commands.push(["HSET", "h", "a", "1", "b", noise(60, 3, 5), "c", "-99999"]);
    commands.push(["SADD", "is", "5", "-70000", "3"]);
    commands.push(["ZADD", "z", 1.25, "a", 3, "b", -1e100, "c", 4503599627370495, "d"]);
    commands.push(["RPUSH", "l", ...Array.from({ length: 300 }, (_, i) => noise(i % 40, i, 8))]);
    // A list of many nodes, filled at the tail: nodes split where Redis splits them.
    commands.push(["RPUSH", "biglist", ...Array.from({ length: 5000 }, (_, i) => `item-${i}`)]);
    commands.push(["RPUSH", "mixed", ...Array.from({ length: 3000 }, (_, i) => noise(i % 90, i))]);
    commands.push([
      "ZADD",
      "bigz",
      ...Array.from({ length: 300 }, (_, i) => [i / 3, `m${i}`]).flat(),
    ]);
    keys.push("h", "is", "z", "l", "biglist", "mixed", "bigz");
    // Interior nodes held compressed (list-compress-depth) are written compressed.
    commands.push(["CONFIG", "SET", "list-compress-depth", "1"]);
    for (const n of [2, 3, 5]) {
      commands.push([
        "RPUSH",
        `deep${n}`,
        ...Array.from({ length: n * 3000 }, (_, i) => `e${i % 300}`),
      ]);
      keys.push(`deep${n}`);
    }
    commands.push(["RPUSH", "noisy", ...Array.from({ length: 2000 }, (_, i) => noise(12, i))]);
    keys.push("noisy");
    await a.pipeline(commands);
    await b.pipeline(commands);
    const da = await a.pipeline(keys.map((k) => ["DUMP", k]));
    const db = await b.pipeline(keys.map((k) => ["DUMP", k]));
    for (let i = 0; i < keys.length; i++) assert.equal(db[i], da[i], `DUMP ${keys[i]}`);
  } finally {
    a.close();
    b.close();
    await redeno.stop();
    await redis.stop();
  }
});

Deno.test("RESTORE takes Redis's payloads of every type and encoding", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const redeno = await startQuiet();
  const a = await Client.connect(redis.port);
  const b = await Client.connect(redeno.port);
  try {
    await populate(redis.port);
    const expected = await describe(redis.port, 1);
    for (const { key } of expected) {
      const payload = await a.call("DUMP", key);
      assert.equal(typeof payload, "string");
      const pttl = (await a.call("PTTL", key)) as number;
      const reply = await b.call("RESTORE", key, pttl > 0 ? pttl : 0, payload as string);
      assert.equal(reply, "OK", `RESTORE ${key}`);
    }
    assertSameData(await describe(redeno.port, 1), expected);
  } finally {
    a.close();
    b.close();
    await redeno.stop();
    await redis.stop();
  }
});

Deno.test("loaded values take the encodings Redis gives them under the loader's thresholds", async () => {
  if (skipWithout("redis-server")) return;
  const dir = Deno.makeTempDirSync();
  const high = [
    "--hash-max-listpack-entries",
    "1000",
    "--hash-max-listpack-value",
    "1000",
    "--zset-max-listpack-entries",
    "1000",
    "--zset-max-listpack-value",
    "1000",
    "--set-max-intset-entries",
    "1000",
  ];
  const low = high.map((a) => (a === "1000" ? "10" : a));
  const writer = await startRedis(freePort(), ["--dir", dir, ...high]);
  try {
    const c = await Client.connect(writer.port);
    const ok = await c.pipeline([
      ["HSET", "bigHash", ...Array.from({ length: 20 }, (_, i) => [`f${i}`, "v"]).flat()],
      ["HSET", "longHash", "f", "v".repeat(100)],
      ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
      ["HSET", "plainHash", "f", "v".repeat(100)],
      ["HSET", "smallPlainHash", "f", "v"],
      ["CONFIG", "SET", "hash-max-listpack-entries", "1000"],
      ["SADD", "ints", ...Array.from({ length: 20 }, (_, i) => String(i))],
      ["SADD", "fewInts", "1", "2"],
      ["CONFIG", "SET", "zset-max-listpack-entries", "0"],
      ["ZADD", "zsmall", 1, "a"],
      ["ZADD", "zsmallLong", 1, "m".repeat(100)],
      ["CONFIG", "SET", "zset-max-listpack-entries", "1000"],
      ["ZADD", "zlong", 1, "m".repeat(100)],
      ["ZADD", "zmany", ...Array.from({ length: 20 }, (_, i) => [i, `m${i}`]).flat()],
      ["SAVE"],
    ]);
    assert.ok(ok.every((r) => !(r instanceof Error)), JSON.stringify(ok));
    c.close();
  } finally {
    await writer.stop();
  }
  const reader = await startRedis(freePort(), ["--dir", dir, ...low]);
  const redeno = await startQuiet(
    [...Array(low.length / 2).keys()].map((i) => [low[2 * i].slice(2), [low[2 * i + 1]]]),
  );
  try {
    const expected = await describe(reader.port);
    assert.equal(expected.length, 10);
    loadSnapshot(redeno.server.keyspace, `${dir}/dump.rdb`, {
      limits: encodingLimits(redeno.server.config),
    });
    assertSameData(await describe(redeno.port), expected);
  } finally {
    await redeno.stop();
    await reader.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

// Encoders for the formats Redis 7.0 no longer writes but still loads.
function le(n: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => Math.floor(n / 2 ** (8 * i)) & 0xff);
}

function ziplist(items: (string | number)[]): number[] {
  const entries: number[][] = [];
  let prev = 0;
  for (const item of items) {
    const body = typeof item === "number"
      ? [0xc0, ...le(item & 0xffff, 2)]
      : [item.length, ...Array.from(item, (ch) => ch.charCodeAt(0))];
    const entry = [prev, ...body];
    entries.push(entry);
    prev = entry.length;
  }
  const tail = 10 + entries.slice(0, -1).reduce((n, e) => n + e.length, 0);
  const flat = entries.flat();
  return [...le(10 + flat.length + 1, 4), ...le(tail, 4), ...le(items.length, 2), ...flat, 0xff];
}

function zipmap(pairs: [string, string][]): number[] {
  const out = [pairs.length];
  for (const [f, v] of pairs) {
    out.push(f.length, ...Array.from(f, (ch) => ch.charCodeAt(0)));
    out.push(v.length, 0, ...Array.from(v, (ch) => ch.charCodeAt(0)));
  }
  out.push(0xff);
  return out;
}

function str(s: string): number[] {
  return [s.length, ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

function blob(bytes: number[]): number[] {
  return bytes.length < 64
    ? [bytes.length, ...bytes]
    : [0x40 | (bytes.length >> 8), bytes.length & 0xff, ...bytes];
}

Deno.test("an RDB file in the encodings of older Redis versions loads as Redis loads it", async () => {
  if (skipWithout("redis-server", "redis-check-rdb")) return;
  const future = Math.floor(Date.now() / 1000) + 3600;
  const body = [
    ...Array.from("REDIS0006", (ch) => ch.charCodeAt(0)),
    0xfa,
    ...str("some-future-field"),
    ...str("ignored"),
    0xfe,
    0,
    0xfd,
    ...le(future, 4),
    0,
    ...str("expiring"),
    ...str("in an hour"),
    1,
    ...str("list"),
    3,
    ...str("a"),
    ...str("b"),
    0xc0,
    7,
    2,
    ...str("set"),
    3,
    ...str("x"),
    ...str("y"),
    ...str("z"),
    3,
    ...str("zset"),
    3,
    ...str("a"),
    ...str("1.5"),
    ...str("b"),
    254,
    ...str("c"),
    ...str("-2"),
    4,
    ...str("hash"),
    2,
    ...str("f1"),
    ...str("v1"),
    ...str("f2"),
    0xc1,
    ...le(1000, 2),
    0xf8,
    50,
    9,
    ...str("zipmap"),
    ...blob(zipmap([["name", "Ada"], ["lang", "C"]])),
    0xf9,
    7,
    10,
    ...str("ziplist"),
    ...blob(ziplist(["one", 2, "three", -4])),
    12,
    ...str("zset-zl"),
    ...blob(ziplist(["m3", -30, "m1", 1, "m2", "2.5"])),
    13,
    ...str("hash-zl"),
    ...blob(ziplist(["a", "1", "b", 2])),
    14,
    ...str("quicklist"),
    2,
    ...blob(ziplist(["n1a", "n1b"])),
    ...blob(ziplist([5, "n2b"])),
    0xfe,
    3,
    0,
    ...str("db3"),
    ...str("value"),
    0xff,
  ];
  const bytes = new Uint8Array(body);
  const crc = new Crc64().update(bytes).bytesLE();
  const file = new Uint8Array([...bytes, ...crc]);
  const dir = Deno.makeTempDirSync();
  Deno.writeFileSync(`${dir}/dump.rdb`, file);
  const check = await run("redis-check-rdb", [`${dir}/dump.rdb`]);
  assert.equal(check.code, 0, check.out);
  const redis = await startRedis(freePort(), ["--dir", dir]);
  const redeno = await startQuiet();
  try {
    const expected = await describe(redis.port);
    assert.equal(expected.length, 11);
    const loaded = loadSnapshot(redeno.server.keyspace, `${dir}/dump.rdb`, {
      limits: encodingLimits(redeno.server.config),
    })!;
    assert.equal(loaded.version, 6);
    assert.equal(loaded.aux.get("some-future-field"), "ignored");
    assertSameData(await describe(redeno.port), expected);
  } finally {
    await redeno.stop();
    await redis.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
