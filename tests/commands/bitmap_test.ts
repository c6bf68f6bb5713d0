// Tests of the bitmap commands beyond reply bytes (which the scenarios in
// tests/compat/scenarios/bitmap_*.txt compare with real Redis): the bit helpers against
// naive references, what is propagated and counted as dirty (compared command by
// command with a real redis-server), keyspace statistics, TTLs, values held as bytes,
// the largest offsets, growth that stays linear, and ioredis round trips.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { countBits, findBit, popcount, readField, writeField } from "../../src/commands/bitmap.ts";
import type { StringValue } from "../../src/store/string.ts";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

/** An in-process server with a connection that reads exactly one reply per command. */
interface Harness {
  server: InProcessServer["server"];
  port: number;
  propagated: string[][];
  call(...argv: string[]): Promise<string>;
  /** Sends many commands in one write and returns their raw replies. */
  pipeline(commands: string[][]): Promise<string[]>;
}

// Deno's write may take only part of a large buffer.
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await conn.write(data.subarray(written));
  }
}

async function withServer(fn: (t: Harness) => Promise<void>): Promise<void> {
  const inProcess = await startInProcess();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inProcess.port });
  const reader = new ReplyReader(conn);
  const t: Harness = {
    server: inProcess.server,
    port: inProcess.port,
    propagated: inProcess.propagated,
    async call(...argv: string[]): Promise<string> {
      await writeAll(conn, encodeCommand(argv));
      return (await reader.read()).raw;
    },
    async pipeline(commands: string[][]): Promise<string[]> {
      const parts = commands.map(encodeCommand);
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      const writing = writeAll(conn, all);
      const replies: string[] = [];
      for (let i = 0; i < commands.length; i++) replies.push((await reader.read()).raw);
      await writing;
      return replies;
    },
  };
  try {
    await fn(t);
  } finally {
    conn.close();
    await inProcess.stop();
  }
}

function db0(t: Harness) {
  return t.server.keyspace.databases[0];
}

// Deterministic pseudo-random numbers, so a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const r = next();
    // Long runs of 0x00 and 0xff exercise the word-at-a-time scans.
    out[i] = r < 0.35 ? 0 : r < 0.7 ? 0xff : Math.floor(next() * 256);
  }
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function bitOf(bytes: Uint8Array, pos: number): number {
  const byte = Math.floor(pos / 8);
  return byte < bytes.length ? (bytes[byte] >> (7 - (pos % 8))) & 1 : 0;
}

// ---------------------------------------------------------------------------------------
// The bit helpers against bit-by-bit references.
// ---------------------------------------------------------------------------------------

Deno.test("bit counting and bit search agree with a bit-by-bit reference on text and bytes", () => {
  const next = random(7);
  for (let round = 0; round < 300; round++) {
    const bytes = randomBytes(next, 1 + Math.floor(next() * 90));
    // The same bytes as text, as an aligned array, and as a view at an odd offset.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const forms: StringValue[] = [latin1(bytes), bytes, shifted.subarray(3)];
    const bits = bytes.length * 8;
    for (let k = 0; k < 20; k++) {
      const from = Math.floor(next() * bits);
      const to = from + Math.floor(next() * (bits - from));
      let ones = 0, firstOne = -1, firstZero = -1;
      for (let p = from; p <= to; p++) {
        const b = bitOf(bytes, p);
        ones += b;
        if (b === 1 && firstOne < 0) firstOne = p;
        if (b === 0 && firstZero < 0) firstZero = p;
      }
      const fromByte = Math.floor(from / 8), toByte = Math.floor(to / 8);
      let byteOnes = 0;
      for (let i = fromByte; i < toByte; i++) {
        for (let j = 0; j < 8; j++) byteOnes += (bytes[i] >> j) & 1;
      }
      for (const form of forms) {
        assert.equal(countBits(form, from, to), ones, `count ${from}..${to}`);
        assert.equal(findBit(form, 1, from, to), firstOne, `first 1 in ${from}..${to}`);
        assert.equal(findBit(form, 0, from, to), firstZero, `first 0 in ${from}..${to}`);
        assert.equal(popcount(form, fromByte, toByte), byteOnes);
      }
    }
  }
});

Deno.test("bit fields read and write any width at any offset like a bit-by-bit reference", () => {
  const next = random(11);
  for (let round = 0; round < 2000; round++) {
    const bytes = randomBytes(next, 12);
    const bits = 1 + Math.floor(next() * 64);
    const offset = Math.floor(next() * (96 - bits + 1));
    let expected = 0n;
    for (let p = offset; p < offset + bits; p++) {
      expected = (expected << 1n) | BigInt(bitOf(bytes, p));
    }
    assert.equal(readField(bytes, offset, bits), expected);
    assert.equal(readField(latin1(bytes), offset, bits), expected);
    // Past the end reads zeros.
    assert.equal(readField(bytes.subarray(0, 1), 8, bits), 0n);
    assert.equal(readField(undefined, offset, bits), 0n);

    const field = BigInt.asUintN(64, BigInt(Math.floor(next() * 2 ** 53)) << 11n);
    const written = bytes.slice();
    writeField(written, offset, bits, field);
    for (let p = 0; p < 96; p++) {
      const inside = p >= offset && p < offset + bits;
      const want = inside
        ? Number((BigInt.asUintN(bits, field) >> BigInt(offset + bits - 1 - p)) & 1n)
        : bitOf(bytes, p);
      assert.equal(bitOf(written, p), want, `bit ${p} after writing u${bits} at ${offset}`);
    }
  }
});

// ---------------------------------------------------------------------------------------
// Propagation, dirty counts and keyspace statistics.
// ---------------------------------------------------------------------------------------

// Commands whose dirty count, keyspace hits and misses are compared with real Redis.
const ACCOUNTED: string[][] = [
  ["SETBIT", "a", "3", "1"],
  ["SETBIT", "a", "3", "1"],
  ["SETBIT", "a", "3", "0"],
  ["SETBIT", "a", "3", "0"],
  ["SETBIT", "a", "20", "0"],
  ["SETBIT", "new", "0", "0"],
  ["SETBIT", "a", "x", "1"],
  ["GETBIT", "a", "3"],
  ["GETBIT", "missing", "3"],
  ["BITCOUNT", "a"],
  ["BITCOUNT", "missing", "0", "1"],
  ["BITPOS", "a", "1"],
  ["BITPOS", "missing", "0"],
  ["BITFIELD", "b", "GET", "u8", "0"],
  ["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"],
  ["BITFIELD", "b", "SET", "u8", "0", "0"],
  ["BITFIELD", "b", "SET", "u8", "0", "1", "SET", "u8", "0", "1"],
  ["BITFIELD", "c", "SET", "u8", "0", "1", "SET", "u8", "0", "1"],
  ["BITFIELD", "c", "SET", "u8", "0", "1", "SET", "u8", "8", "0"],
  ["BITFIELD", "c", "GET", "u8", "0", "SET", "u4", "0", "0", "INCRBY", "u4", "4", "0"],
  ["BITFIELD", "c", "OVERFLOW", "SAT", "INCRBY", "u8", "8", "300", "INCRBY", "u8", "8", "1"],
  ["BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u8", "8", "1", "GET", "u8", "8"],
  ["BITFIELD_RO", "c", "GET", "u8", "0"],
  ["BITFIELD_RO", "missing", "GET", "u8", "0"],
  ["BITFIELD_RO", "c", "SET", "u8", "0", "1"],
  ["BITFIELD", "missing"],
  ["BITOP", "AND", "d", "missing"],
  ["SET", "d", "x"],
  ["BITOP", "AND", "d", "missing"],
  ["BITOP", "AND", "d", "missing"],
  ["BITOP", "OR", "d", "a"],
  ["BITOP", "OR", "d", "a"],
  ["BITOP", "XOR", "d", "a", "missing", "c"],
  ["BITOP", "NOT", "d", "a", "c"],
  ["HSET", "h", "f", "v"],
  ["GETBIT", "h", "0"],
  ["BITCOUNT", "h"],
  ["BITPOS", "h", "1"],
  ["BITFIELD", "h", "GET", "u8", "0"],
  ["BITFIELD", "h", "SET", "u8", "0", "1"],
  ["BITOP", "OR", "d", "a", "h"],
  ["BITOP", "OR", "h", "a"],
  ["SETBIT", "h", "0", "1"],
];

async function redisCall(reader: ReplyReader, conn: Deno.Conn, argv: string[]): Promise<string> {
  await writeAll(conn, encodeCommand(argv));
  return (await reader.read()).raw;
}

function infoField(info: string, name: string): number {
  const match = info.match(new RegExp(`${name}:(\\d+)`));
  assert.ok(match, `INFO has no ${name}`);
  return Number(match[1]);
}

Deno.test("dirty counts and keyspace hits and misses match Redis command by command, and a write is propagated as given exactly when it dirtied", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: redis.port });
  const reader = new ReplyReader(conn);
  try {
    await withServer(async (t) => {
      const redisCounters = async () => {
        const info = await redisCall(reader, conn, ["INFO", "everything"]);
        return [
          infoField(info, "rdb_changes_since_last_save"),
          infoField(info, "keyspace_hits"),
          infoField(info, "keyspace_misses"),
        ];
      };
      const ourCounters = () => [
        t.server.dirty,
        t.server.stats.keyspaceHits,
        t.server.stats.keyspaceMisses,
      ];
      let before = await redisCounters();
      let ours = ourCounters();
      drain(t);
      for (const argv of ACCOUNTED) {
        const expectedReply = await redisCall(reader, conn, argv);
        assert.equal(await t.call(...argv), expectedReply, argv.join(" "));
        const after = await redisCounters();
        const oursAfter = ourCounters();
        const what = ["dirty", "hits", "misses"];
        for (let i = 0; i < 3; i++) {
          assert.equal(
            oursAfter[i] - ours[i],
            after[i] - before[i],
            `${what[i]}: ${argv.join(" ")}`,
          );
        }
        const propagated = drain(t);
        if (argv[0] !== "SET" && argv[0] !== "HSET") {
          assert.deepEqual(
            propagated,
            oursAfter[0] > ours[0] ? [["0", ...argv]] : [],
            `propagated by ${argv.join(" ")}`,
          );
        }
        // INFO itself counts nothing, but read the counters fresh for the next round.
        before = await redisCounters();
        ours = ourCounters();
      }
    });
  } finally {
    conn.close();
    await redis.stop();
  }
});

Deno.test("BITFIELD counts one change per altered field and propagates the whole command", async () => {
  await withServer(async (t) => {
    const dirty = t.server.dirty;
    assert.equal(
      await t.call("BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u8", "0", "SET", "u8", "8", "2"),
      "*3\r\n:0\r\n:1\r\n:0\r\n",
    );
    assert.equal(t.server.dirty - dirty, 2);
    assert.deepEqual(drain(t), [[
      "0",
      "BITFIELD",
      "k",
      "SET",
      "u8",
      "0",
      "1",
      "GET",
      "u8",
      "0",
      "SET",
      "u8",
      "8",
      "2",
    ]]);
    // Only GETs: neither dirty nor propagated.
    assert.equal(await t.call("BITFIELD", "k", "GET", "u16", "0"), "*1\r\n:258\r\n");
    assert.equal(await t.call("BITFIELD_RO", "k", "GET", "u16", "0"), "*1\r\n:258\r\n");
    // A write that changes nothing is not propagated either.
    assert.equal(await t.call("BITFIELD", "k", "SET", "u8", "0", "1"), "*1\r\n:1\r\n");
    assert.deepEqual(drain(t), []);
    // FAIL creates the key without counting it as a change, as Redis does.
    assert.equal(
      await t.call("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"),
      "*1\r\n$-1\r\n",
    );
    assert.equal(await t.call("EXISTS", "f"), ":1\r\n");
    assert.deepEqual(drain(t), []);
  });
});

Deno.test("BITOP propagates when it stores or deletes and not when the destination was already absent", async () => {
  await withServer(async (t) => {
    await t.call("SET", "a", "\xf0");
    drain(t);
    assert.equal(await t.call("BITOP", "AND", "dest", "missing"), ":0\r\n");
    assert.deepEqual(drain(t), []);
    assert.equal(await t.call("BITOP", "NOT", "dest", "a"), ":1\r\n");
    assert.deepEqual(drain(t), [["0", "BITOP", "NOT", "dest", "a"]]);
    assert.equal(await t.call("GET", "dest"), "$1\r\n\x0f\r\n");
    assert.equal(await t.call("BITOP", "or", "dest", "missing"), ":0\r\n");
    assert.deepEqual(drain(t), [["0", "BITOP", "or", "dest", "missing"]]);
    assert.equal(await t.call("EXISTS", "dest"), ":0\r\n");
  });
});

// ---------------------------------------------------------------------------------------
// How values are held; TTLs.
// ---------------------------------------------------------------------------------------

Deno.test("SETBIT and BITFIELD change a string in place as bytes and keep its TTL", async () => {
  await withServer(async (t) => {
    await t.call("SET", "k", "abc");
    const at = Date.now() + 100_000;
    db0(t).setExpire("k", at);
    assert.equal(await t.call("SETBIT", "k", "7", "0"), ":1\r\n");
    const value = db0(t).data.get("k");
    assert.ok(value instanceof Uint8Array);
    assert.deepEqual([...value], [0x60, 0x62, 0x63]);
    assert.equal(db0(t).getExpire("k"), at);
    assert.equal(await t.call("BITFIELD", "k", "SET", "u8", "#5", "33"), "*1\r\n:0\r\n");
    assert.equal(await t.call("GET", "k"), "$6\r\n`bc\x00\x00!\r\n");
    assert.equal(db0(t).getExpire("k"), at);
    // Later writes keep working on the same bytes when they fit.
    const held = db0(t).data.get("k");
    await t.call("SETBIT", "k", "0", "1");
    assert.equal(db0(t).data.get("k"), held);
  });
});

Deno.test("BITOP replaces the destination's value and clears its TTL", async () => {
  await withServer(async (t) => {
    await t.call("SET", "a", "\x01\x02");
    await t.call("SET", "dest", "old");
    db0(t).setExpire("dest", Date.now() + 100_000);
    assert.equal(await t.call("BITOP", "XOR", "dest", "a", "missing"), ":2\r\n");
    assert.equal(db0(t).getExpire("dest"), undefined);
    assert.equal(await t.call("GET", "dest"), "$2\r\n\x01\x02\r\n");
    // The result is a copy: changing the source later leaves it alone.
    await t.call("SETBIT", "a", "0", "1");
    assert.equal(await t.call("GET", "dest"), "$2\r\n\x01\x02\r\n");
  });
});

Deno.test("an expired key counts as missing for every bitmap command", async () => {
  await withServer(async (t) => {
    await t.call("SET", "k", "\xff");
    db0(t).setExpire("k", Date.now() - 1);
    assert.equal(await t.call("GETBIT", "k", "0"), ":0\r\n");
    await t.call("SET", "k", "\xff");
    db0(t).setExpire("k", Date.now() - 1);
    assert.equal(await t.call("BITPOS", "k", "0"), ":0\r\n");
    await t.call("SET", "k", "\xff");
    db0(t).setExpire("k", Date.now() - 1);
    assert.equal(await t.call("SETBIT", "k", "1", "1"), ":0\r\n");
    assert.equal(await t.call("GET", "k"), "$1\r\n@\r\n");
    assert.equal(db0(t).getExpire("k"), undefined);
  });
});

// ---------------------------------------------------------------------------------------
// Large offsets and growth.
// ---------------------------------------------------------------------------------------

Deno.test("SETBIT reaches bit 2^32-1 (a 512 MB string) and refuses the next one", async () => {
  await withServer(async (t) => {
    assert.equal(await t.call("SETBIT", "big", "4294967295", "1"), ":0\r\n");
    const value = db0(t).data.get("big");
    assert.ok(value instanceof Uint8Array);
    assert.equal(value.length, 512 * 1024 * 1024);
    assert.equal(await t.call("GETBIT", "big", "4294967295"), ":1\r\n");
    assert.equal(await t.call("BITCOUNT", "big"), ":1\r\n");
    assert.equal(await t.call("BITPOS", "big", "1"), ":4294967295\r\n");
    assert.equal(
      await t.call("SETBIT", "big", "4294967296", "1"),
      "-ERR bit offset is not an integer or out of range\r\n",
    );
    assert.equal(
      await t.call("BITFIELD", "big", "GET", "u8", "4294967288", "SET", "u63", "4294967295", "1"),
      "*2\r\n:1\r\n:4611686018427387904\r\n",
    );
    // BITFIELD may write up to 63 bits past the last addressable offset.
    assert.equal((db0(t).data.get("big") as Uint8Array).length, 512 * 1024 * 1024 + 8);
    assert.equal(await t.call("DEL", "big"), ":1\r\n");
  });
});

Deno.test("SETBIT growing a string one byte at a time stays linear", async () => {
  await withServer(async (t) => {
    // 400,000 SETBITs, each growing the string by a byte: copying the whole string on
    // every growth would move about 80 GB; amortized growth takes a few seconds.
    const n = 400_000;
    const commands: string[][] = [];
    for (let i = 0; i < n; i++) commands.push(["SETBIT", "grow", String(i * 8 + 7), "1"]);
    const started = performance.now();
    const replies = await t.pipeline(commands);
    const elapsed = performance.now() - started;
    assert.ok(replies.every((r) => r === ":0\r\n"));
    assert.equal(await t.call("BITCOUNT", "grow"), `:${n}\r\n`);
    assert.equal(await t.call("BITPOS", "grow", "1"), ":7\r\n");
    assert.ok(elapsed < 15_000, `400k growing SETBITs took ${elapsed.toFixed(0)} ms`);
    // The bytes keep spare room for the next growth.
    const held = db0(t).data.get("grow") as Uint8Array;
    assert.equal(held.length, n);
    assert.ok(held.buffer.byteLength > held.length);
  });
});

Deno.test("BITCOUNT, BITPOS and BITOP handle multi-megabyte values exactly", async () => {
  await withServer(async (t) => {
    const next = random(3);
    const a = randomBytes(next, 3 * 1024 * 1024 + 5);
    const b = randomBytes(next, 2 * 1024 * 1024 + 3);
    await t.call("SET", "a", latin1(a));
    await t.call("SET", "b", latin1(b));
    let ones = 0;
    for (const byte of a) for (let j = 0; j < 8; j++) ones += (byte >> j) & 1;
    assert.equal(await t.call("BITCOUNT", "a"), `:${ones}\r\n`);
    assert.equal(await t.call("BITOP", "AND", "and", "a", "b"), `:${a.length}\r\n`);
    assert.equal(await t.call("BITOP", "XOR", "xor", "a", "b"), `:${a.length}\r\n`);
    assert.equal(await t.call("BITOP", "OR", "or", "b", "missing", "a"), `:${a.length}\r\n`);
    assert.equal(await t.call("BITOP", "NOT", "not", "a"), `:${a.length}\r\n`);
    const and = db0(t).data.get("and") as Uint8Array;
    const xor = db0(t).data.get("xor") as Uint8Array;
    const or = db0(t).data.get("or") as Uint8Array;
    const not = db0(t).data.get("not") as Uint8Array;
    for (let i = 0; i < a.length; i++) {
      const other = i < b.length ? b[i] : 0;
      if (
        and[i] !== (a[i] & other) || xor[i] !== (a[i] ^ other) || or[i] !== (a[i] | other) ||
        not[i] !== (~a[i] & 0xff)
      ) {
        assert.fail(`byte ${i}: and ${and[i]}, xor ${xor[i]}, or ${or[i]}, not ${not[i]}`);
      }
    }
    // A long run of set bits, then a clear one far in: found with BITPOS 0.
    await t.call("SET", "run", "\xff".repeat(4 * 1024 * 1024));
    await t.call("SETBIT", "run", String(4 * 1024 * 1024 * 8 - 3), "0");
    assert.equal(await t.call("BITPOS", "run", "0"), `:${4 * 1024 * 1024 * 8 - 3}\r\n`);
    assert.equal(
      await t.call("BITPOS", "run", "0", "1", "-1", "BIT"),
      `:${4 * 1024 * 1024 * 8 - 3}\r\n`,
    );
  });
});

// ---------------------------------------------------------------------------------------
// ioredis round trips.
// ---------------------------------------------------------------------------------------

Deno.test("ioredis round trips every bitmap command with binary values", async () => {
  await withServer(async (t) => {
    const client = new Redis({
      host: "127.0.0.1",
      port: t.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    try {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      assert.equal(await client.set(Buffer.from([0, 0xff]), all), "OK");
      assert.equal(await client.bitcount(Buffer.from([0, 0xff])), 1024);
      assert.equal(await client.bitcount(Buffer.from([0, 0xff]), 1, 1), 1);
      assert.equal(await client.bitcount("missing"), 0);
      assert.equal(await client.setbit("bits", 7, 1), 0);
      assert.equal(await client.setbit("bits", 7, 1), 1);
      assert.equal(await client.getbit("bits", 7), 1);
      assert.equal(await client.getbit("bits", 6), 0);
      assert.equal(await client.bitpos("bits", 1), 7);
      assert.equal(await client.bitpos("bits", 0, 0, -1), 0);
      assert.deepEqual(await client.getBuffer("bits"), Buffer.from([1]));
      assert.equal(await client.bitop("NOT", "inverse", Buffer.from([0, 0xff])), 256);
      const inverse = await client.getBuffer("inverse");
      assert.deepEqual(inverse, Buffer.from(all.map((b) => 255 - b)));
      assert.equal(await client.bitop("XOR", "zero", "inverse", "inverse"), 256);
      assert.equal(await client.bitcount("zero"), 0);
      assert.deepEqual(await client.bitfield("f", "SET", "i8", 0, -1), [0]);
      assert.deepEqual(
        await client.call("BITFIELD", "f", "INCRBY", "u4", "#3", 20, "GET", "u16", 0),
        [4, 0xff04],
      );
      assert.deepEqual(
        await client.call(
          "BITFIELD",
          "f",
          "OVERFLOW",
          "FAIL",
          "INCRBY",
          "u4",
          "#3",
          20,
          "GET",
          "i8",
          0,
        ),
        [null, -1],
      );
      // 0xff04 followed by zeros, read as a signed 64-bit integer (exact in a double).
      assert.deepEqual(
        await client.call("BITFIELD_RO", "f", "GET", "u8", 0, "GET", "i64", 0),
        [255, -0xfc * 2 ** 48],
      );
      await assert.rejects(
        client.call("BITFIELD_RO", "f", "SET", "u8", 0, 1),
        /BITFIELD_RO only supports the GET subcommand/,
      );
      await assert.rejects(client.setbit("bits", 4294967296, 1), /bit offset is not an integer/);
      await client.hset("h", "f", "v");
      await assert.rejects(client.getbit("h", 0), /WRONGTYPE/);
    } finally {
      client.disconnect();
    }
  });
});

// ---------------------------------------------------------------------------------------
// Random differential run against real Redis.
// ---------------------------------------------------------------------------------------

// A random bitmap command over a few keys (one a hash), with arguments drawn around the
// edges: negative and huge indexes, every type width, bad keywords, # offsets.
function randomCommand(next: () => number): string[] {
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[int(0, xs.length - 1)];
  const key = pick(["a", "b", "c", "h", "missing", "e"]);
  const index = () =>
    pick([
      String(int(-20, 20)),
      String(int(-500, 500)),
      String(int(-3000, 3000)),
      "-1",
      "9223372036854775807",
      "-9223372036854775808",
      "x",
    ]);
  const unit = () => pick(["BIT", "BYTE", "bit", "byte", "foo"]);
  const type = () => pick(["i", "u"]) + pick([String(int(1, 16)), String(int(1, 64)), "0", "65"]);
  const offset = (write: boolean) =>
    pick([String(int(0, 100)), `#${int(0, 10)}`, "-1", "x", write ? "4294967296" : "4294967295"]);
  const operand = () =>
    pick([
      String(int(-300, 300)),
      "9223372036854775807",
      "-9223372036854775808",
      String(2 ** int(0, 62)),
      String(-(2 ** int(0, 62))),
      "abc",
    ]);
  switch (int(0, 9)) {
    case 0: {
      let value = "";
      for (let run = int(1, 5); run > 0; run--) {
        const byte = pick([0, 0xff, -1]);
        for (let n = int(0, 60); n > 0; n--) {
          value += String.fromCharCode(byte < 0 ? int(0, 255) : byte);
        }
      }
      return ["SET", pick(["a", "b", "c", "e"]), value];
    }
    case 1:
      return ["SETBIT", key, pick([String(int(0, 4000)), index()]), pick(["0", "1", "2"])];
    case 2:
      return ["GETBIT", key, pick([String(int(0, 4000)), index()])];
    case 3: {
      const argv = ["BITCOUNT", key];
      const n = pick([0, 2, 2, 3, 3, 1, 4]);
      if (n >= 1) argv.push(index());
      if (n >= 2) argv.push(index());
      if (n >= 3) argv.push(unit());
      if (n >= 4) argv.push("x");
      return argv;
    }
    case 4:
    case 5: {
      const argv = ["BITPOS", key, pick(["0", "1", "0", "1", "2"])];
      const n = int(0, 4);
      if (n >= 1) argv.push(index());
      if (n >= 2) argv.push(index());
      if (n >= 3) argv.push(unit());
      if (n >= 4) argv.push("x");
      return argv;
    }
    case 6: {
      const op = pick(["AND", "OR", "XOR", "NOT", "nope"]);
      const argv = ["BITOP", op, pick(["a", "b", "c", "d", "h"])];
      for (let n = op === "NOT" ? pick([1, 1, 2]) : int(1, 4); n > 0; n--) {
        argv.push(pick(["a", "b", "c", "h", "missing", "e"]));
      }
      return argv;
    }
    default: {
      const argv = [pick(["BITFIELD", "BITFIELD", "BITFIELD_RO"]), key];
      for (let n = int(0, 5); n > 0; n--) {
        const which = int(0, 4);
        if (which === 0) argv.push("GET", type(), offset(false));
        else if (which === 1) argv.push("SET", type(), offset(true), operand());
        else if (which === 2) argv.push("INCRBY", type(), offset(true), operand());
        else if (which === 3) argv.push("OVERFLOW", pick(["WRAP", "SAT", "FAIL", "bad"]));
        else argv.push(pick(["GET", "SET", "FOO"]));
      }
      return argv;
    }
  }
}

Deno.test("thousands of random bitmap commands get the same replies from Redeno as from Redis", async () => {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: redis.port });
  const reader = new ReplyReader(conn);
  try {
    await withServer(async (t) => {
      const next = random(2024);
      for (
        const argv of [
          ["HSET", "h", "f", "v"],
          ...Array.from({ length: 4000 }, () => randomCommand(next)),
        ]
      ) {
        const expected = await redisCall(reader, conn, argv);
        assert.equal(await t.call(...argv), expected, argv.join(" "));
      }
      for (const key of ["a", "b", "c", "d", "e"]) {
        assert.equal(await t.call("GET", key), await redisCall(reader, conn, ["GET", key]));
      }
    });
  } finally {
    conn.close();
    await redis.stop();
  }
});
