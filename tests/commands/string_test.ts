// End-to-end tests of the string commands: what they propagate (the deterministic
// forms Redis 7.0 writes to its AOF), how values are held (bytes once changed in
// place, canonical integers after INCR), keyspace statistics, TTL handling, and round
// trips through ioredis with binary and multi-megabyte values. Reply bytes are
// compared with real Redis by the scenarios in tests/compat/scenarios/strings_*.txt.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { copyString, stringEncoding, type StringValue } from "../../src/store/string.ts";
import type { Value } from "../../src/store/value.ts";
import { drain, type InProcessServer, startInProcess } from "../_inprocess.ts";
import { ioredis } from "../_ioredis.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";

/** An in-process server and a connection that reads exactly one reply per command. */
interface Harness {
  server: InProcessServer["server"];
  port: number;
  propagated: string[][];
  /** Sends a command and returns its raw reply. */
  call(...argv: string[]): Promise<string>;
}

async function withServer(fn: (t: Harness) => Promise<void>): Promise<void> {
  // No save points: stopping the server must not leave a dump.rdb behind.
  const inProcess = await startInProcess([["save", [""]], ["appendonly", ["no"]]]);
  // Our own connection: a reply reader that never drops bytes between commands.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: inProcess.port });
  const reader = new ReplyReader(conn);
  const t: Harness = {
    server: inProcess.server,
    port: inProcess.port,
    propagated: inProcess.propagated,
    async call(...argv: string[]): Promise<string> {
      await conn.write(encodeCommand(argv));
      return (await reader.read()).raw;
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

function valueOf(t: Harness, key: string): Value | undefined {
  return db0(t).data.get(key);
}

// Asserts an absolute time in ms (as text) lies within [from + ttl, to + ttl].
function assertAbsolute(text: string, from: number, to: number, ttlMs: number): void {
  const at = Number(text);
  assert.ok(at >= from + ttlMs && at <= to + ttlMs, `${text} not within ${ttlMs} ms of now`);
}

Deno.test("relative expiry times are propagated as absolute SET ... PXAT and PEXPIREAT", () =>
  withServer(async (t) => {
    const from = Date.now();
    assert.equal(await t.call("SET", "a", "1", "EX", "100"), "+OK\r\n");
    assert.equal(await t.call("SET", "b", "1", "PX", "100000", "NX", "GET"), "$-1\r\n");
    assert.equal(await t.call("SETEX", "c", "100", "v"), "+OK\r\n");
    assert.equal(await t.call("PSETEX", "d", "100000", "v"), "+OK\r\n");
    assert.equal(await t.call("GETEX", "c", "EX", "200"), "$1\r\nv\r\n");
    assert.equal(await t.call("GETEX", "c", "PX", "300000"), "$1\r\nv\r\n");
    const to = Date.now();
    const p = drain(t);
    assert.deepEqual(p.map((argv) => argv.slice(0, 5)), [
      ["0", "SET", "a", "1", "PXAT"],
      ["0", "SET", "b", "1", "PXAT"],
      ["0", "SET", "c", "v", "PXAT"],
      ["0", "SET", "d", "v", "PXAT"],
      ["0", "PEXPIREAT", "c", p[4][3]],
      ["0", "PEXPIREAT", "c", p[5][3]],
    ]);
    assertAbsolute(p[0][5], from, to, 100_000);
    assertAbsolute(p[1][5], from, to, 100_000);
    assertAbsolute(p[2][5], from, to, 100_000);
    assertAbsolute(p[3][5], from, to, 100_000);
    assertAbsolute(p[4][3], from, to, 200_000);
    assertAbsolute(p[5][3], from, to, 300_000);
    assert.equal(db0(t).getExpire("c"), Number(p[5][3]));
  }));

Deno.test("absolute expiry times are propagated as given, in the same canonical forms", () =>
  withServer(async (t) => {
    await t.call("SET", "a", "1", "EXAT", "99999999999");
    await t.call("SET", "b", "1", "pxat", "99999999999000", "nx");
    await t.call("GETEX", "a", "EXAT", "99999999998");
    await t.call("GETEX", "a", "PXAT", "99999999997000");
    assert.deepEqual(drain(t), [
      ["0", "SET", "a", "1", "PXAT", "99999999999000"],
      ["0", "SET", "b", "1", "PXAT", "99999999999000"],
      ["0", "PEXPIREAT", "a", "99999999998000"],
      ["0", "PEXPIREAT", "a", "99999999997000"],
    ]);
  }));

Deno.test("SET without a TTL is propagated as sent, minus its GET tokens", () =>
  withServer(async (t) => {
    await t.call("set", "a", "1");
    await t.call("set", "a", "2", "KEEPTTL", "GET");
    await t.call("SET", "b", "v", "get", "NX", "GET");
    await t.call("SET", "c", "get", "GET");
    await t.call("SET", "b", "w", "NX"); // not set: nothing propagated
    await t.call("SET", "missing", "w", "XX", "GET"); // not set either
    await t.call("SET", "d", "v", "GET\x00junk");
    assert.deepEqual(drain(t), [
      ["0", "set", "a", "1"],
      ["0", "set", "a", "2", "KEEPTTL"],
      ["0", "SET", "b", "v", "NX"],
      ["0", "SET", "c", "get"],
      ["0", "SET", "d", "v"],
    ]);
  }));

Deno.test("GETEX, GETDEL, GETSET and INCRBYFLOAT are propagated as the writes they make", () =>
  withServer(async (t) => {
    await t.call("SET", "k", "v", "EX", "100");
    drain(t);
    assert.equal(await t.call("GETEX", "k"), "$1\r\nv\r\n");
    assert.equal(await t.call("GETEX", "k", "PERSIST"), "$1\r\nv\r\n");
    assert.equal(await t.call("GETEX", "k", "PERSIST"), "$1\r\nv\r\n"); // no TTL: no write
    assert.equal(await t.call("GETEX", "missing", "EX", "10"), "$-1\r\n");
    assert.equal(await t.call("GETEX", "k", "EXAT", "1"), "$1\r\nv\r\n"); // past: deleted
    assert.equal(db0(t).has("k"), false);
    await t.call("SET", "g", "old");
    assert.equal(await t.call("GETDEL", "g"), "$3\r\nold\r\n");
    assert.equal(await t.call("GETDEL", "g"), "$-1\r\n");
    assert.equal(await t.call("GETSET", "s", "new"), "$-1\r\n");
    assert.equal(await t.call("INCRBYFLOAT", "f", "1.5"), "$3\r\n1.5\r\n");
    assert.equal(await t.call("INCRBYFLOAT", "f", "0.1"), "$3\r\n1.6\r\n");
    assert.equal(await t.call("INCRBYFLOAT", "f", "abc"), "-ERR value is not a valid float\r\n");
    assert.deepEqual(drain(t), [
      ["0", "PERSIST", "k"],
      ["0", "DEL", "k"],
      ["0", "SET", "g", "old"],
      ["0", "DEL", "g"],
      ["0", "SET", "s", "new"],
      ["0", "SET", "f", "1.5", "KEEPTTL"],
      ["0", "SET", "f", "1.6", "KEEPTTL"],
    ]);
  }));

Deno.test("the other writes are propagated as sent, and only when something changed", () =>
  withServer(async (t) => {
    await t.call("SETNX", "n", "1");
    await t.call("SETNX", "n", "2");
    await t.call("MSET", "a", "1", "b", "2");
    await t.call("MSETNX", "a", "1", "c", "3");
    await t.call("MSETNX", "c", "3", "d", "4");
    await t.call("APPEND", "c", "x");
    await t.call("APPEND", "c", "");
    await t.call("SETRANGE", "c", "0", "");
    await t.call("SETRANGE", "nothing", "5", "");
    await t.call("SETRANGE", "c", "1", "y");
    await t.call("INCR", "i");
    await t.call("DECR", "i");
    await t.call("INCRBY", "i", "0");
    await t.call("DECRBY", "i", "5");
    await t.call("INCR", "c"); // an error: nothing propagated
    const dirty = t.server.dirty;
    await t.call("LCS", "a", "b");
    await t.call("MGET", "a", "b");
    assert.equal(t.server.dirty, dirty);
    assert.deepEqual(drain(t), [
      ["0", "SETNX", "n", "1"],
      ["0", "MSET", "a", "1", "b", "2"],
      ["0", "MSETNX", "c", "3", "d", "4"],
      ["0", "APPEND", "c", "x"],
      ["0", "APPEND", "c", ""],
      ["0", "SETRANGE", "c", "1", "y"],
      ["0", "INCR", "i"],
      ["0", "DECR", "i"],
      ["0", "INCRBY", "i", "0"],
      ["0", "DECRBY", "i", "5"],
    ]);
  }));

Deno.test("values changed in place are held as bytes and report the raw encoding", () =>
  withServer(async (t) => {
    await t.call("APPEND", "a", "12");
    assert.equal(valueOf(t, "a"), "12");
    assert.equal(stringEncoding(valueOf(t, "a") as string), "int");
    await t.call("APPEND", "a", "3");
    assert.ok(valueOf(t, "a") instanceof Uint8Array);
    assert.equal(stringEncoding(valueOf(t, "a") as Uint8Array), "raw");
    assert.equal(await t.call("GET", "a"), "$3\r\n123\r\n");
    // Even an empty APPEND unshares the value, as in Redis.
    await t.call("SET", "e", "short");
    await t.call("APPEND", "e", "");
    assert.equal(stringEncoding(valueOf(t, "e") as Uint8Array), "raw");
    // An empty SETRANGE changes nothing.
    await t.call("SET", "s", "short");
    await t.call("SETRANGE", "s", "0", "");
    assert.equal(valueOf(t, "s"), "short");
    await t.call("SETRANGE", "s", "0", "S");
    assert.ok(valueOf(t, "s") instanceof Uint8Array);
    assert.equal(await t.call("GET", "s"), "$5\r\nShort\r\n");
    await t.call("SETRANGE", "new", "3", "x");
    assert.deepEqual(valueOf(t, "new"), new Uint8Array([0, 0, 0, 120]));
  }));

Deno.test("an INCRBYFLOAT result that reads as an integer is an embstr, as in Redis", () =>
  withServer(async (t) => {
    assert.equal(await t.call("INCRBYFLOAT", "f", "3"), "$1\r\n3\r\n");
    const value = valueOf(t, "f") as StringValue;
    assert.equal(stringEncoding(value), "embstr");
    assert.equal(stringEncoding(copyString(value)), "embstr");
    assert.equal(await t.call("GET", "f"), "$1\r\n3\r\n");
    assert.equal(await t.call("SETRANGE", "f", "0", "4"), ":1\r\n");
    assert.equal(stringEncoding(valueOf(t, "f") as StringValue), "raw");
    assert.equal(await t.call("INCRBYFLOAT", "f", "0.5"), "$3\r\n4.5\r\n");
    assert.equal(valueOf(t, "f"), "4.5");
    assert.equal(await t.call("INCRBYFLOAT", "f", "0.5"), "$1\r\n5\r\n");
    assert.equal(await t.call("INCR", "f"), ":6\r\n");
    assert.equal(stringEncoding(valueOf(t, "f") as StringValue), "int");
  }));

Deno.test("counters store canonical integers and work on values held as bytes", () =>
  withServer(async (t) => {
    await t.call("INCRBY", "n", "-9223372036854775807");
    assert.equal(valueOf(t, "n"), "-9223372036854775807");
    assert.equal(await t.call("DECR", "n"), ":-9223372036854775808\r\n");
    assert.equal(await t.call("DECR", "n"), "-ERR increment or decrement would overflow\r\n");
    assert.equal(valueOf(t, "n"), "-9223372036854775808");
    await t.call("APPEND", "b", "4");
    await t.call("APPEND", "b", "1");
    assert.ok(valueOf(t, "b") instanceof Uint8Array);
    assert.equal(await t.call("INCR", "b"), ":42\r\n");
    assert.equal(valueOf(t, "b"), "42");
    assert.equal(stringEncoding(valueOf(t, "b") as string), "int");
    await t.call("SETRANGE", "long", "0", "1".repeat(21));
    assert.equal(await t.call("INCR", "long"), "-ERR value is not an integer or out of range\r\n");
    await t.call("SET", "f", "5");
    assert.equal(await t.call("INCRBYFLOAT", "f", "0.5"), "$3\r\n5.5\r\n");
    await t.call("APPEND", "f", "0");
    assert.equal(await t.call("INCRBYFLOAT", "f", "1"), "$3\r\n6.5\r\n");
    assert.equal(await t.call("INCRBY", "big", "9007199254740993"), ":9007199254740993\r\n");
    assert.equal(await t.call("INCRBY", "big", "2"), ":9007199254740995\r\n");
    assert.equal(valueOf(t, "big"), "9007199254740995");
  }));

Deno.test("counters and in-place writes keep the TTL; GETSET, MSET and SET clear it", () =>
  withServer(async (t) => {
    const db = db0(t);
    for (const key of ["i", "f", "a", "r", "g", "m", "s"]) {
      await t.call("SETEX", key, "100", "1");
    }
    await t.call("INCR", "i");
    await t.call("INCRBYFLOAT", "f", "1");
    await t.call("APPEND", "a", "2");
    await t.call("SETRANGE", "r", "3", "x");
    await t.call("GETSET", "g", "2");
    await t.call("MSET", "m", "2");
    await t.call("SET", "s", "2");
    for (const key of ["i", "f", "a", "r"]) assert.notEqual(db.getExpire(key), undefined, key);
    for (const key of ["g", "m", "s"]) assert.equal(db.getExpire(key), undefined, key);
  }));

Deno.test("read lookups count keyspace hits and misses as Redis does", () =>
  withServer(async (t) => {
    const stats = t.server.stats;
    await t.call("SET", "s", "v");
    await t.call("HSET", "h", "f", "v");
    const hits = stats.keyspaceHits, misses = stats.keyspaceMisses;
    await t.call("GET", "s"); // hit
    await t.call("GET", "h"); // hit (then WRONGTYPE)
    await t.call("GET", "x"); // miss
    await t.call("MGET", "s", "h", "x"); // 2 hits, 1 miss
    await t.call("STRLEN", "x"); // miss
    await t.call("GETRANGE", "s", "0", "-1"); // hit
    await t.call("LCS", "s", "x"); // hit, miss
    await t.call("SET", "s", "w", "GET"); // hit
    await t.call("SET", "s", "w"); // no lookup
    await t.call("INCR", "n"); // write lookups are not counted
    await t.call("APPEND", "s", "x");
    assert.equal(stats.keyspaceHits - hits, 7);
    assert.equal(stats.keyspaceMisses - misses, 4);
  }));

Deno.test("a value of 512 MB is held as bytes; anything longer is refused", () =>
  withServer(async (t) => {
    const max = 512 * 1024 * 1024;
    assert.equal(await t.call("SETRANGE", "huge", String(max - 1), "!"), `:${max}\r\n`);
    assert.equal(await t.call("STRLEN", "huge"), `:${max}\r\n`);
    assert.equal(await t.call("GETRANGE", "huge", "-2", "-1"), "$2\r\n\x00!\r\n");
    const tooBig = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    assert.equal(await t.call("APPEND", "huge", "x"), tooBig);
    assert.equal(await t.call("SETRANGE", "huge", String(max - 1), "xy"), tooBig);
    assert.equal(await t.call("SETRANGE", "huge", "9223372036854775807", "x"), tooBig);
    assert.equal(await t.call("APPEND", "huge", ""), `:${max}\r\n`);
    assert.equal(await t.call("DEL", "huge"), ":1\r\n");
  }));

Deno.test("ioredis drives the whole string family with text and Buffers", () =>
  withServer(async (t) => {
    const client = ioredis(t.port);
    await client.connect();
    try {
      assert.equal(await client.setnx("nx", "1"), 1);
      assert.equal(await client.setnx("nx", "2"), 0);
      assert.equal(await client.setex("ex", 100, "v"), "OK");
      assert.equal(await client.psetex("px", 100000, "v"), "OK");
      assert.equal(await client.getex("ex", "PERSIST"), "v");
      assert.equal(await client.getex("ex", "EX", 50), "v");
      assert.equal(await client.getex("missing", "EX", 50), null);
      assert.equal(await client.getdel("px"), "v");
      assert.equal(await client.getdel("px"), null);
      assert.equal(await client.getset("gs", "a"), null);
      assert.equal(await client.getset("gs", "b"), "a");
      assert.equal(await client.mset({ m1: "1", m2: "2" }), "OK");
      assert.deepEqual(await client.mget("m1", "missing", "m2"), ["1", null, "2"]);
      assert.equal(await client.msetnx("m1", "x", "m3", "3"), 0);
      assert.equal(await client.msetnx("m3", "3", "m4", "4"), 1);
      assert.equal(await client.append("ap", "Hello"), 5);
      assert.equal(await client.append("ap", " World"), 11);
      assert.equal(await client.strlen("ap"), 11);
      assert.equal(await client.getrange("ap", -5, -1), "World");
      assert.equal(await client.substr("ap", 0, 4), "Hello");
      assert.equal(await client.setrange("ap", 6, "Redis"), 11);
      assert.equal(await client.get("ap"), "Hello Redis");
      assert.equal(await client.incr("n"), 1);
      assert.equal(await client.incrby("n", 41), 42);
      assert.equal(await client.decr("n"), 41);
      assert.equal(await client.decrby("n", 40), 1);
      assert.equal(await client.incrbyfloat("n", "0.5"), "1.5");
      await assert.rejects(client.incr("ap"), /ERR value is not an integer or out of range/);
      await assert.rejects(client.decrby("n", "x"), /ERR value is not an integer/);
      await client.mset("lcs1", "ohmytext", "lcs2", "mynewtext");
      assert.equal(await client.call("LCS", "lcs1", "lcs2"), "mytext");
      assert.equal(await client.call("LCS", "lcs1", "lcs2", "LEN"), 6);
      assert.deepEqual(await client.call("LCS", "lcs1", "lcs2", "IDX", "WITHMATCHLEN"), [
        "matches",
        [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]],
        "len",
        6,
      ]);
      await client.hset("h", "f", "v");
      await assert.rejects(client.getdel("h"), /^ReplyError: WRONGTYPE/);
      await assert.rejects(client.call("LCS", "h", "lcs1"), /must contain string values/);

      // Binary keys and values, every byte.
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      assert.equal(await client.append(all, all), 256);
      assert.equal(await client.append(all, all), 512);
      assert.deepEqual(
        await client.getrangeBuffer(all, 250, 261),
        Buffer.concat([all.subarray(250), all.subarray(0, 6)]),
      );
      assert.equal(await client.setrange(all, 510, Buffer.from([0xff, 0x00, 0x80])), 513);
      assert.deepEqual(
        await client.getdelBuffer(all),
        Buffer.concat([all, all.subarray(0, 254), Buffer.from([0xff, 0x00, 0x80])]),
      );
      assert.deepEqual(await client.mgetBuffer("missing", "m1"), [null, Buffer.from("1")]);
      assert.deepEqual(await client.getsetBuffer("bin", all), null);
      assert.deepEqual(await client.getexBuffer("bin", "PX", 100000), all);
    } finally {
      await client.quit();
    }
  }));

Deno.test("ioredis appends and patches values of several megabytes", () =>
  withServer(async (t) => {
    const client = ioredis(t.port);
    await client.connect();
    try {
      const chunk = Buffer.alloc(1024 * 1024 + 3);
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7 + 3) & 255;
      let expected = Buffer.alloc(0);
      for (let i = 0; i < 3; i++) {
        expected = Buffer.concat([expected, chunk]);
        assert.equal(await client.append("big", chunk), expected.length);
      }
      assert.deepEqual(await client.getBuffer("big"), expected);
      const patch = Buffer.from("\x00patched\xff", "latin1");
      const at = 2 * chunk.length - 4;
      assert.equal(await client.setrange("big", at, patch), expected.length);
      patch.copy(expected, at);
      assert.deepEqual(await client.getBuffer("big"), expected);
      assert.deepEqual(
        await client.getrangeBuffer("big", at - 10, at + 20),
        expected.subarray(at - 10, at + 21),
      );
      assert.equal(await client.strlen("big"), expected.length);
      // SETRANGE far past the end zero-pads.
      assert.equal(await client.setrange("pad", 2_000_000, "end"), 2_000_003);
      const padded = await client.getBuffer("pad");
      assert.equal(padded!.length, 2_000_003);
      assert.equal(padded!.subarray(0, 2_000_000).every((b) => b === 0), true);
      assert.equal(padded!.subarray(2_000_000).toString(), "end");
      // MSET / MGET of large values, and GETDEL of one.
      assert.equal(await client.mset("x1", chunk, "x2", expected), "OK");
      assert.deepEqual(await client.mgetBuffer("x1", "x2"), [chunk, expected]);
      assert.deepEqual(await client.getdelBuffer("x2"), expected);
      assert.equal(await client.exists("x2"), 0);
    } finally {
      await client.quit();
    }
  }));
