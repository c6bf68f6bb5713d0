// End-to-end tests of the list commands: ioredis round trips, binary elements,
// propagated writes (the deterministic forms Redis 7.0 sends to its AOF), keyspace
// statistics, time to live, and the ring buffer under the list commands checked
// against a plain array model.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@5";
import { ListValue } from "../../src/store/list.ts";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** A raw connection: send a command, read exactly one reply's raw bytes. */
async function rawClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  return {
    async call(...argv: string[]): Promise<string> {
      await conn.write(encodeCommand(argv));
      return (await reader.read()).raw;
    },
    close: () => conn.close(),
  };
}

/** Runs `fn` with an in-process server and a raw client connected to it. */
async function withServer(
  fn: (server: InProcessServer, call: (...args: string[]) => Promise<string>) => Promise<void>,
): Promise<void> {
  const server = await startInProcess();
  const client = await rawClient(server.port);
  try {
    await fn(server, client.call);
  } finally {
    client.close();
    await server.stop();
  }
}

async function withIoredis(fn: (client: Redis) => Promise<void>): Promise<void> {
  const server = await startInProcess();
  const client = new Redis({
    host: "127.0.0.1",
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  await client.connect();
  try {
    await fn(client);
  } finally {
    client.disconnect();
    await server.stop();
  }
}

Deno.test("every list command round-trips through ioredis", () =>
  withIoredis(async (r) => {
    assert.equal(await r.rpush("l", "a", "b", "c"), 3);
    assert.equal(await r.lpush("l", "z"), 4);
    assert.equal(await r.lpushx("missing", "a"), 0);
    assert.equal(await r.rpushx("l", "d"), 5);
    assert.deepEqual(await r.lrange("l", 0, -1), ["z", "a", "b", "c", "d"]);
    assert.equal(await r.llen("l"), 5);
    assert.equal(await r.lindex("l", -1), "d");
    assert.equal(await r.lindex("l", 99), null);
    assert.equal(await r.lset("l", 0, "y"), "OK");
    await assert.rejects(r.lset("l", 99, "x"), /ERR index out of range/);
    await assert.rejects(r.lset("nokey", 0, "x"), /ERR no such key/);
    assert.equal(await r.linsert("l", "BEFORE", "b", "a2"), 6);
    assert.equal(await r.linsert("l", "AFTER", "nope", "x"), -1);
    assert.equal(await r.lpos("l", "b"), 3);
    assert.deepEqual(await r.lpos("l", "a", "COUNT", 0), [1]);
    assert.equal(await r.lrem("l", 0, "a2"), 1);
    assert.equal(await r.ltrim("l", 1, -1), "OK");
    assert.deepEqual(await r.lrange("l", 0, -1), ["a", "b", "c", "d"]);
    assert.equal(await r.lpop("l"), "a");
    assert.deepEqual(await r.lpop("l", 1), ["b"]);
    assert.equal(await r.rpop("l"), "d");
    assert.deepEqual(await r.rpop("l", 5), ["c"]);
    assert.equal(await r.exists("l"), 0);
    assert.equal(await r.lpop("l"), null);
    assert.equal(await r.lpop("l", 2), null);
    await r.rpush("src", "1", "2", "3");
    assert.equal(await r.lmove("src", "dst", "LEFT", "RIGHT"), "1");
    assert.equal(await r.rpoplpush("src", "dst"), "3");
    assert.equal(await r.blmove("src", "dst", "RIGHT", "LEFT", 0), "2");
    assert.equal(await r.brpoplpush("src", "dst", 0.05), null);
    assert.deepEqual(await r.lrange("dst", 0, -1), ["2", "3", "1"]);
    assert.deepEqual(await r.lmpop(2, "nokey", "dst", "LEFT", "COUNT", 2), ["dst", ["2", "3"]]);
    assert.deepEqual(await r.blmpop(0, 1, "dst", "RIGHT"), ["dst", ["1"]]);
    assert.equal(await r.lmpop(1, "dst", "LEFT"), null);
    await r.rpush("q", "x", "y");
    assert.deepEqual(await r.blpop("nokey", "q", 0), ["q", "x"]);
    assert.deepEqual(await r.brpop("q", 0), ["q", "y"]);
    assert.equal(await r.blpop("q", 0.05), null);
    await r.set("s", "v");
    await assert.rejects(r.lpush("s", "a"), /WRONGTYPE/);
    assert.equal(await r.type("dst"), "none");
  }));

Deno.test("list elements and keys are binary-safe through every command", () =>
  withIoredis(async (r) => {
    const key = Buffer.concat([Buffer.from([0, 255]), Buffer.from("key")]);
    const zero = Buffer.from([0]);
    const crlf = Buffer.from("\r\n");
    assert.equal(await r.rpush(key, ALL_BYTES, zero, crlf, Buffer.alloc(0)), 4);
    assert.deepEqual(await r.lrangeBuffer(key, 0, -1), [ALL_BYTES, zero, crlf, Buffer.alloc(0)]);
    assert.deepEqual(await r.lindexBuffer(key, 0), ALL_BYTES);
    assert.equal(await r.lpos(key, crlf), 2);
    assert.equal(await r.linsert(key, "AFTER", zero, ALL_BYTES.subarray(128)), 5);
    assert.deepEqual(await r.lindexBuffer(key, 2), ALL_BYTES.subarray(128));
    assert.equal(await r.lset(key, 1, ALL_BYTES.subarray(0, 3)), "OK");
    assert.equal(await r.lrem(key, 0, ALL_BYTES.subarray(0, 3)), 1);
    const other = Buffer.from([0x80, 0, 0xff]);
    assert.deepEqual(await r.lmoveBuffer(key, other, "LEFT", "LEFT"), ALL_BYTES);
    assert.deepEqual(await r.lpopBuffer(other), ALL_BYTES);
    assert.deepEqual(await r.rpopBuffer(key, 2), [Buffer.alloc(0), crlf]);
    const popped = await r.lmpopBuffer(1, key, "LEFT") as [Buffer, Buffer[]];
    assert.deepEqual(popped, [key, [ALL_BYTES.subarray(128)]]);
    assert.equal(await r.exists(key), 0);
  }));

Deno.test("list writes are propagated as Redis 7.0 propagates them, and only when they change something", () =>
  withServer(async (server, call) => {
    const seen = server.propagated;
    const expect = async (args: string[], propagated: string[][]) => {
      const before = seen.length;
      await call(...args);
      assert.deepEqual(seen.slice(before).map((p) => p.slice(1)), propagated, args.join(" "));
    };
    await expect(["rpush", "l", "a", "b", "c", "d", "e", "f"], [[
      "rpush",
      "l",
      "a",
      "b",
      "c",
      "d",
      "e",
      "f",
    ]]);
    await expect(["lpop", "l", "0"], []);
    await expect(["lpop", "l", "2"], [["lpop", "l", "2"]]);
    await expect(["rpop", "l", "10"], [["rpop", "l", "10"]]);
    await expect(["lpop", "l"], []);
    await expect(["lpushx", "l", "a"], []);
    await expect(["rpush", "l", "a", "b", "c", "d", "e", "f"], [[
      "rpush",
      "l",
      "a",
      "b",
      "c",
      "d",
      "e",
      "f",
    ]]);
    await expect(["lmpop", "1", "l", "LEFT"], [["LPOP", "l", "1"]]);
    await expect(["lmpop", "2", "x", "l", "right", "count", "3"], [["RPOP", "l", "3"]]);
    await expect(["lmpop", "1", "l", "left", "count", "10"], [["LPOP", "l", "2"]]);
    await expect(["lmpop", "1", "l", "left"], []);
    await expect(["rpush", "l", "a", "b", "c"], [["rpush", "l", "a", "b", "c"]]);
    await expect(["lmove", "l", "m", "left", "right"], [["lmove", "l", "m", "left", "right"]]);
    await expect(["rpoplpush", "l", "m"], [["rpoplpush", "l", "m"]]);
    await expect(["lmove", "nokey", "m", "left", "right"], []);
    await expect(["blpop", "nokey", "l", "1"], [["LPOP", "l"]]);
    await expect(["rpush", "l", "a", "b", "c"], [["rpush", "l", "a", "b", "c"]]);
    await expect(["brpop", "l", "1"], [["RPOP", "l"]]);
    await expect(["blmove", "l", "m", "right", "LEFT", "1"], [[
      "LMOVE",
      "l",
      "m",
      "right",
      "LEFT",
    ]]);
    await expect(["brpoplpush", "l", "m", "1"], [["RPOPLPUSH", "l", "m"]]);
    await expect(["blmpop", "1", "1", "m", "RIGHT", "COUNT", "2"], [["RPOP", "m", "2"]]);
    await expect(["rpush", "t", "1", "2", "3"], [["rpush", "t", "1", "2", "3"]]);
    await expect(["ltrim", "t", "0", "-1"], []);
    await expect(["ltrim", "t", "1", "-1"], [["ltrim", "t", "1", "-1"]]);
    await expect(["lrem", "t", "0", "zz"], []);
    await expect(["lrem", "t", "1", "3"], [["lrem", "t", "1", "3"]]);
    await expect(["linsert", "t", "before", "zz", "1"], []);
    await expect(["linsert", "t", "before", "2", "1"], [["linsert", "t", "before", "2", "1"]]);
    await expect(["lset", "t", "0", "x"], [["lset", "t", "0", "x"]]);
    await expect(["ltrim", "t", "5", "1"], [["ltrim", "t", "5", "1"]]);
    await expect(["lset", "t", "0", "x"], []);
    assert.equal(await call("exists", "t"), ":0\r\n");
    // Every propagated write is recorded against the database it ran in.
    await call("select", "3");
    await expect(["rpush", "d3", "a"], [["rpush", "d3", "a"]]);
    assert.equal(seen[seen.length - 1][0], "3");
  }));

Deno.test("list writes count in server.dirty by the elements they change", () =>
  withServer(async (server, call) => {
    const dirty = async (...args: string[]) => {
      const before = server.server.dirty;
      await call(...args);
      return server.server.dirty - before;
    };
    assert.equal(await dirty("rpush", "l", "a", "b", "c", "d"), 4);
    assert.equal(await dirty("lpop", "l", "2"), 2);
    assert.equal(await dirty("lpop", "l", "0"), 0);
    assert.equal(await dirty("lmove", "l", "m", "left", "left"), 1);
    assert.equal(await dirty("rpush", "l", "x", "x", "x"), 3);
    assert.equal(await dirty("lrem", "l", "0", "x"), 3);
    assert.equal(await dirty("ltrim", "l", "5", "6"), 1);
    assert.equal(await dirty("lmpop", "1", "m", "left", "count", "5"), 1);
  }));

Deno.test("list reads count keyspace hits and misses, writes do not", () =>
  withServer(async (server, call) => {
    const stats = server.server.stats;
    await call("rpush", "l", "a", "b");
    const count = async (...args: string[]) => {
      const hits = stats.keyspaceHits, misses = stats.keyspaceMisses;
      await call(...args);
      return [stats.keyspaceHits - hits, stats.keyspaceMisses - misses];
    };
    assert.deepEqual(await count("llen", "l"), [1, 0]);
    assert.deepEqual(await count("llen", "nokey"), [0, 1]);
    assert.deepEqual(await count("lrange", "l", "0", "-1"), [1, 0]);
    assert.deepEqual(await count("lrange", "nokey", "0", "-1"), [0, 1]);
    assert.deepEqual(await count("lindex", "l", "0"), [1, 0]);
    assert.deepEqual(await count("lpos", "nokey", "a"), [0, 1]);
    assert.deepEqual(await count("lrange", "l", "x", "1"), [0, 0]);
    assert.deepEqual(await count("lpush", "l", "a"), [0, 0]);
    assert.deepEqual(await count("lpop", "nokey"), [0, 0]);
    assert.deepEqual(await count("lmove", "l", "m", "left", "left"), [0, 0]);
    assert.deepEqual(await count("blpop", "l", "0"), [0, 0]);
  }));

Deno.test("list writes keep the key's time to live, and emptying the list removes both", () =>
  withServer(async (server, call) => {
    await call("rpush", "l", "a", "b", "c");
    await call("expire", "l", "100");
    await call("lpush", "l", "z");
    await call("lset", "l", "0", "y");
    await call("linsert", "l", "after", "y", "q");
    await call("lrem", "l", "1", "q");
    await call("ltrim", "l", "0", "2");
    await call("lmove", "l", "l", "left", "right");
    assert.match(await call("ttl", "l"), /^:(99|100)\r\n$/);
    await call("lpop", "l", "3");
    assert.equal(await call("exists", "l"), ":0\r\n");
    assert.equal(server.server.keyspace.databases[0].expires.has("l"), false);
    await call("rpush", "l", "a");
    assert.equal(await call("ttl", "l"), ":-1\r\n");
  }));

Deno.test("an expired list is gone for every list command", () =>
  withServer(async (_server, call) => {
    await call("rpush", "l", "a", "b");
    await call("pexpire", "l", "20");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await call("llen", "l"), ":0\r\n");
    await call("rpush", "m", "a");
    await call("pexpire", "m", "20");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await call("lpushx", "m", "x"), ":0\r\n");
    assert.equal(await call("lset", "m", "0", "x"), "-ERR no such key\r\n");
    assert.equal(await call("blpop", "m", "0.01"), "*-1\r\n");
  }));

Deno.test("OBJECT ENCODING of a list is quicklist at every size, as in Redis 7.0", () =>
  withServer(async (_server, call) => {
    await call("rpush", "small", "a");
    assert.equal(await call("object", "encoding", "small"), "$9\r\nquicklist\r\n");
    await call("config", "set", "list-max-listpack-size", "1");
    await call("rpush", "l", "x".repeat(10000), "a", "b");
    assert.equal(await call("object", "encoding", "l"), "$9\r\nquicklist\r\n");
    await call("lpop", "l", "2");
    assert.equal(await call("object", "encoding", "l"), "$9\r\nquicklist\r\n");
  }));

Deno.test("the ring buffer behaves like an array under random list operations", () => {
  // A seeded generator keeps any failure reproducible.
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const list = new ListValue();
  const model: string[] = [];
  for (let step = 0; step < 20000; step++) {
    const value = String(random(8));
    const op = random(step % 3000 < 2000 ? 10 : 12); // phases that grow and that shrink
    if (op < 2) {
      list.pushHead(value);
      model.unshift(value);
    } else if (op < 4) {
      list.pushTail(value);
      model.push(value);
    } else if (op === 4) {
      const at = random(model.length + 1);
      list.insert(at, value);
      model.splice(at, 0, value);
    } else if (op === 5 && model.length > 0) {
      const at = random(model.length);
      list.set(at, value);
      model[at] = value;
    } else if (op === 6) {
      const limit = random(3);
      const fromTail = random(2) === 1;
      let removed = 0;
      if (!fromTail) {
        for (let i = 0; i < model.length; i++) {
          if (model[i] === value && (limit === 0 || removed < limit)) {
            model.splice(i--, 1);
            removed++;
          }
        }
      } else {
        for (let i = model.length - 1; i >= 0; i--) {
          if (model[i] === value && (limit === 0 || removed < limit)) {
            model.splice(i, 1);
            removed++;
          }
        }
      }
      assert.equal(list.removeAll(value, limit, fromTail), removed);
    } else if (op === 7 && model.length > 0 && random(20) === 0) {
      const head = random(model.length + 1);
      const tail = random(model.length - head + 1);
      list.trim(head, tail);
      model.splice(0, head);
      model.splice(model.length - tail, tail);
    } else if (op >= 8) {
      assert.equal(
        op % 2 === 0 ? list.popHead() : list.popTail(),
        op % 2 === 0 ? model.shift() : model.pop(),
      );
    }
    assert.equal(list.length, model.length);
    if (step % 97 === 0) {
      assert.deepEqual(list.toArray(), model, `after step ${step}`);
      assert.deepEqual([...list.clone()], model);
    }
  }
  assert.deepEqual(list.toArray(), model);
  assert.deepEqual(ListValue.from(model).toArray(), model);
});
