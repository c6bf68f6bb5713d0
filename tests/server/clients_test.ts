// Round trips through the two common Node.js clients, ioredis and node-redis v5: what
// real applications send, including binary Buffers, pipelines, databases and RESP3.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createClient, RESP_TYPES } from "npm:redis@5";
import { bytes, exchange, freePort, type RunningServer, startRedeno } from "../_server.ts";
import { ioredis } from "../_ioredis.ts";

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Number of connections the server lists in CLIENT LIST (the asking one included). */
async function connectedClients(port: number): Promise<number> {
  const reply = await exchange(port, bytes("CLIENT LIST\r\n"), 200);
  return reply.split("\n").filter((line) => line.includes("id=")).length;
}

/** Polls until only the asking connection is left; fails after a second. */
async function expectNoOtherClients(port: number): Promise<void> {
  let count = 0;
  for (let i = 0; i < 20; i++) {
    count = await connectedClients(port);
    if (count === 1) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(count, 1, "a client's connection is still open after it quit");
}

async function withRedeno(fn: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startRedeno(freePort());
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "ioredis connects, pings and sets strings with every expiry option",
  fn: () =>
    withRedeno(async (server) => {
      const client = ioredis(server.port);
      await client.connect();
      try {
        assert.equal(await client.ping(), "PONG");
        assert.equal(await client.ping("hi"), "hi");
        assert.equal(await client.set("k", "v"), "OK");
        assert.equal(await client.get("k"), "v");
        assert.equal(await client.get("missing"), null);
        assert.equal(await client.set("ex", "v", "EX", 100), "OK");
        assert.equal(await client.set("px", "v", "PX", 100000), "OK");
        assert.equal(await client.set("exat", "v", "EXAT", 9999999999), "OK");
        assert.equal(await client.set("pxat", "v", "PXAT", 9999999999000), "OK");
        assert.equal(await client.set("ex", "w", "KEEPTTL"), "OK");
        assert.equal(await client.set("nx", "first", "NX"), "OK");
        assert.equal(await client.set("nx", "second", "NX"), null);
        assert.equal(await client.set("absent", "v", "XX"), null);
        assert.equal(await client.set("nx", "third", "GET"), "first");
        assert.equal(await client.set("short", "v", "PX", 30), "OK");
        await new Promise((r) => setTimeout(r, 80));
        assert.equal(await client.get("short"), null);
        await assert.rejects(client.set("k", "v", "EX", 0), /invalid expire time in 'set'/);
        assert.equal(await client.exists("k", "ex", "missing"), 2);
        assert.equal(await client.del("k", "ex", "missing"), 2);
        assert.equal(await client.dbsize(), 4);
      } finally {
        assert.equal(await client.quit(), "OK");
      }
      await expectNoOtherClients(server.port);
    }),
});

Deno.test({
  name: "ioredis reads and writes hashes",
  fn: () =>
    withRedeno(async (server) => {
      const client = ioredis(server.port);
      await client.connect();
      try {
        assert.equal(await client.hset("user", { name: "Ada", lang: "en" }), 2);
        assert.equal(await client.hset("user", "lang", "fr", "year", "1815"), 1);
        assert.equal(await client.hget("user", "lang"), "fr");
        assert.equal(await client.hget("user", "missing"), null);
        assert.deepEqual(await client.hgetall("user"), { name: "Ada", lang: "fr", year: "1815" });
        assert.deepEqual(await client.hgetall("missing"), {});
        await client.set("s", "v");
        await assert.rejects(client.hget("s", "f"), /^ReplyError: WRONGTYPE/);
      } finally {
        await client.quit();
      }
    }),
});

Deno.test({
  name: "ioredis round-trips every byte value in keys, values and fields as Buffers",
  fn: () =>
    withRedeno(async (server) => {
      const client = ioredis(server.port);
      await client.connect();
      try {
        assert.equal(await client.set(ALL_BYTES, ALL_BYTES), "OK");
        assert.deepEqual(await client.getBuffer(ALL_BYTES), ALL_BYTES);
        assert.equal(await client.hset("hb", ALL_BYTES, ALL_BYTES), 1);
        assert.deepEqual(await client.hgetBuffer("hb", ALL_BYTES), ALL_BYTES);
        assert.deepEqual(await client.callBuffer("HGETALL", "hb"), [ALL_BYTES, ALL_BYTES]);
        // Each byte alone, as key and value.
        const writes = client.pipeline();
        for (let b = 0; b < 256; b++) writes.set(Buffer.from([b]), Buffer.from([b, 255 - b]));
        await writes.exec();
        const reads = client.pipeline();
        for (let b = 0; b < 256; b++) reads.getBuffer(Buffer.from([b]));
        const results = (await reads.exec())!;
        for (let b = 0; b < 256; b++) {
          assert.deepEqual(results[b], [null, Buffer.from([b, 255 - b])], `byte ${b}`);
        }
        const big = Buffer.alloc(1024 * 1024 + 7);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
        await client.set("big", big);
        assert.deepEqual(await client.getBuffer("big"), big);
      } finally {
        await client.quit();
      }
    }),
});

Deno.test({
  name: "ioredis pipelines 1000 commands and gets every reply in order",
  fn: () =>
    withRedeno(async (server) => {
      const client = ioredis(server.port);
      await client.connect();
      try {
        const pipeline = client.pipeline();
        for (let i = 0; i < 500; i++) pipeline.set(`key:${i}`, `value:${i}`);
        for (let i = 0; i < 499; i++) pipeline.get(`key:${i}`);
        pipeline.hget(`key:0`, "f"); // A wrong type error in the middle of the batch.
        const results = (await pipeline.exec())!;
        assert.equal(results.length, 1000);
        for (let i = 0; i < 500; i++) assert.deepEqual(results[i], [null, "OK"]);
        for (let i = 0; i < 499; i++) assert.deepEqual(results[500 + i], [null, `value:${i}`]);
        assert.match(String(results[999][0]), /WRONGTYPE/);
        assert.equal(await client.dbsize(), 500);
      } finally {
        await client.quit();
      }
    }),
});

Deno.test({
  name: "ioredis selects databases with the db option and SELECT",
  fn: () =>
    withRedeno(async (server) => {
      const db0 = ioredis(server.port);
      const db2 = ioredis(server.port, { db: 2 });
      await db0.connect();
      await db2.connect();
      try {
        await db2.set("where", "db2");
        assert.equal(await db0.get("where"), null);
        assert.equal(await db2.get("where"), "db2");
        assert.equal(await db0.select(2), "OK");
        assert.equal(await db0.get("where"), "db2");
        await assert.rejects(db0.select(16), /DB index is out of range/);
      } finally {
        await db0.quit();
        await db2.quit();
      }
      await expectNoOtherClients(server.port);
    }),
});

Deno.test({
  name: "node-redis over RESP2 sets, gets and hashes with its option objects",
  fn: () =>
    withRedeno(async (server) => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 2 });
      client.on("error", () => {});
      await client.connect();
      try {
        assert.equal(await client.ping(), "PONG");
        assert.equal(await client.set("k", "v"), "OK");
        assert.equal(await client.get("k"), "v");
        assert.equal(await client.get("missing"), null);
        assert.equal(
          await client.set("ex", "v", { expiration: { type: "EX", value: 100 } }),
          "OK",
        );
        assert.equal(
          await client.set("px", "v", { expiration: { type: "PX", value: 100000 } }),
          "OK",
        );
        assert.equal(await client.set("ex", "w", { expiration: "KEEPTTL" }), "OK");
        assert.equal(await client.set("nx", "first", { condition: "NX" }), "OK");
        assert.equal(await client.set("nx", "second", { condition: "NX" }), null);
        assert.equal(await client.set("nx", "third", { GET: true }), "first");
        assert.equal(
          await client.set("gone", "v", { expiration: { type: "PX", value: 30 } }),
          "OK",
        );
        await new Promise((r) => setTimeout(r, 80));
        assert.equal(await client.exists(["gone", "k", "nx"]), 2);
        assert.equal(await client.hSet("h", { a: "1", b: "2" }), 2);
        assert.equal(await client.hGet("h", "a"), "1");
        assert.deepEqual({ ...(await client.hGetAll("h")) }, { a: "1", b: "2" });
        assert.equal(await client.del(["k", "h"]), 2);
        await assert.rejects(client.set("k", "v", { expiration: { type: "EX", value: 0 } }));
      } finally {
        await client.close();
      }
      await expectNoOtherClients(server.port);
    }),
});

Deno.test({
  name: "node-redis round-trips binary Buffers, pipelines 1000 commands and selects a database",
  fn: () =>
    withRedeno(async (server) => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}/3` });
      client.on("error", () => {});
      await client.connect();
      try {
        const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        assert.equal(await binary.set(ALL_BYTES, ALL_BYTES), "OK");
        assert.deepEqual(await binary.get(ALL_BYTES), ALL_BYTES);
        await binary.hSet("hb", ALL_BYTES, ALL_BYTES);
        assert.deepEqual(await binary.hGet("hb", ALL_BYTES), ALL_BYTES);
        // Commands issued in the same tick travel as one pipeline.
        const sets = Array.from({ length: 500 }, (_, i) => client.set(`key:${i}`, `v${i}`));
        const gets = Array.from({ length: 500 }, (_, i) => client.get(`key:${i}`));
        assert.deepEqual(await Promise.all(sets), Array(500).fill("OK"));
        assert.deepEqual(await Promise.all(gets), Array.from({ length: 500 }, (_, i) => `v${i}`));
        const batch = client.multi();
        for (let i = 0; i < 1000; i++) batch.exists(`key:${i}`);
        const counts = await batch.execAsPipeline();
        assert.equal(counts.filter((n) => Number(n) === 1).length, 500);
        // The URL picked database 3.
        assert.equal(await client.dbSize(), 502);
        await client.select(0);
        assert.equal(await client.dbSize(), 0);
      } finally {
        await client.close();
      }
      await expectNoOtherClients(server.port);
    }),
});

Deno.test({
  name: "node-redis speaks RESP3 after HELLO 3 and gets maps and nulls",
  fn: () =>
    withRedeno(async (server) => {
      const client = createClient({
        url: `redis://127.0.0.1:${server.port}`,
        RESP: 3,
        name: "resp3-client",
      });
      client.on("error", () => {});
      await client.connect();
      try {
        const info = String(await client.sendCommand(["CLIENT", "INFO"]));
        assert.match(info, / resp=3\b/);
        assert.match(info, / name=resp3-client /);
        assert.equal(await client.get("missing"), null);
        await client.hSet("h", { a: "1", b: "2" });
        assert.deepEqual({ ...(await client.hGetAll("h")) }, { a: "1", b: "2" });
        const asMap = client.withTypeMapping({ [RESP_TYPES.MAP]: Map });
        assert.deepEqual(await asMap.hGetAll("h"), new Map([["a", "1"], ["b", "2"]]));
        assert.deepEqual(await asMap.hGetAll("missing"), new Map());
        const hello = await client.hello(3);
        assert.equal(hello.proto, 3);
        assert.equal(hello.server, "redis");
        assert.equal(hello.version, "7.0.15");
      } finally {
        await client.close();
      }
      await expectNoOtherClients(server.port);
    }),
});
