// AOF interoperability with real Redis 7.0, both ways: an appendonlydir written by
// redis-server (RDB or AOF base, incr files after rewrites, transactions) loads into
// Redeno with identical contents; one written by Redeno passes redis-check-aof and
// loads into redis-server with identical contents.

import assert from "node:assert/strict";
import { freePort, skipWithout, startRedeno, startRedis } from "../_server.ts";
import { assertSameData, Client, datasetCommands, describe, run } from "./_client.ts";
import { listDir } from "./_aof.ts";

// The dataset, a rewrite in the middle, transactions and more writes after it, so the
// directory holds a base and an incr file with every kind of entry.
async function writeHistory(port: number, awaitRewrite: () => Promise<void>): Promise<void> {
  const c = await Client.connect(port);
  try {
    const commands = datasetCommands();
    const half = Math.floor(commands.length / 2);
    for (const r of await c.pipeline(commands.slice(0, half))) assert.ok(!(r instanceof Error));
    assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
    await awaitRewrite();
    for (const r of await c.pipeline(commands.slice(half))) assert.ok(!(r instanceof Error));
    const replies = await c.pipeline([
      ["MULTI"],
      ["INCR", "tx:counter"],
      ["RPUSH", "tx:list", "a", "b"],
      ["SELECT", "3"],
      ["HSET", "tx:hash", "f", "v"],
      ["EXEC"],
      ["SELECT", "0"],
      ["INCRBYFLOAT", "float", "0.1"],
      ["INCRBYFLOAT", "float", "0.2"],
      ["SET", "ttl", "x", "EX", "1000"],
      ["DEL", "str:small"],
    ]);
    assert.ok(replies.every((r) => !(r instanceof Error)), JSON.stringify(replies));
  } finally {
    c.close();
  }
}

async function rewriteDone(port: number): Promise<void> {
  const c = await Client.connect(port);
  try {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const info = await c.call("INFO", "persistence") as string;
      if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrites:1")) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the rewrite did not finish");
  } finally {
    c.close();
  }
}

for (const preamble of ["yes", "no"]) {
  Deno.test(`an appendonlydir written by redis-server (aof-use-rdb-preamble ${preamble}) loads into Redeno unchanged`, async () => {
    if (skipWithout("redis-server")) return;
    const dir = Deno.makeTempDirSync();
    const args = ["--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    const redis = await startRedis(freePort(), args);
    let expected;
    try {
      await writeHistory(redis.port, () => rewriteDone(redis.port));
      expected = await describe(redis.port);
    } finally {
      await redis.stop();
    }
    const base = preamble === "yes" ? "appendonly.aof.2.base.rdb" : "appendonly.aof.2.base.aof";
    assert.ok(listDir(`${dir}/appendonlydir`).includes(base));
    const redeno = await startRedeno(freePort(), args);
    try {
      assertSameData(await describe(redeno.port), expected);
    } finally {
      await redeno.stop();
    }
  });

  Deno.test(`an appendonlydir written by Redeno (aof-use-rdb-preamble ${preamble}) passes redis-check-aof and loads into redis-server unchanged`, async () => {
    if (skipWithout("redis-server", "redis-check-aof")) return;
    const dir = Deno.makeTempDirSync();
    const args = ["--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble];
    const redeno = await startRedeno(freePort(), args);
    let expected;
    try {
      await writeHistory(redeno.port, () => rewriteDone(redeno.port));
      expected = await describe(redeno.port);
    } finally {
      await redeno.stop();
    }
    const check = await run("redis-check-aof", [`${dir}/appendonlydir/appendonly.aof.manifest`]);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /All AOF files and manifest are valid/);
    const redis = await startRedis(freePort(), args);
    try {
      assertSameData(await describe(redis.port), expected);
    } finally {
      await redis.stop();
    }
  });
}

Deno.test("Redis's truncated incr file loads into Redeno the way Redis loads it", async () => {
  if (skipWithout("redis-server")) return;
  const dir = Deno.makeTempDirSync();
  const args = ["--dir", dir, "--appendonly", "yes"];
  const redis = await startRedis(freePort(), args);
  try {
    const c = await Client.connect(redis.port);
    await c.pipeline([["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"]]);
    c.close();
  } finally {
    await redis.stop();
  }
  const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
  Deno.truncateSync(incr, Deno.statSync(incr).size - 5);
  const copy = Deno.makeTempDirSync();
  Deno.mkdirSync(`${copy}/appendonlydir`);
  for (const name of listDir(`${dir}/appendonlydir`)) {
    Deno.copyFileSync(`${dir}/appendonlydir/${name}`, `${copy}/appendonlydir/${name}`);
  }
  const results: unknown[] = [];
  for (const [start, where] of [[startRedis, dir], [startRedeno, copy]] as const) {
    const server = await start(freePort(), ["--dir", where, "--appendonly", "yes"]);
    try {
      const c = await Client.connect(server.port);
      results.push(await c.pipeline([["GET", "a"], ["GET", "b"], ["GET", "c"]]));
      c.close();
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[0], ["1", "2", null]);
  assert.equal(
    Deno.statSync(`${copy}/appendonlydir/appendonly.aof.1.incr.aof`).size,
    Deno.statSync(incr).size,
    "both cut the file at the same offset",
  );
});
