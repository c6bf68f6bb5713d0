// Save and load timings at a million keys, next to real Redis's for the same data:
// printed for the record, with loose bounds so a regression of an order of magnitude
// fails.

import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "../../src/persistence/codecs/codec.ts";
import { loadSnapshot, saveSnapshot, saveSnapshotSync } from "../../src/persistence/snapshot.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { Client } from "./_client.ts";

const KEYS = 1_000_000;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

Deno.test("a million keys: Redeno's save and load times next to Redis's", async () => {
  if (skipWithout("redis-server")) return;
  const dir = Deno.makeTempDirSync();
  const redis = await startRedis(freePort(), [
    "--dir",
    dir,
    "--enable-debug-command",
    "yes",
  ]);
  const c = await Client.connect(redis.port);
  try {
    // DEBUG POPULATE: key:N → value:N; a tenth of the keys get a TTL.
    await c.call("DEBUG", "POPULATE", KEYS);
    await c.pipeline(
      Array.from({ length: KEYS / 10 }, (_, i) => ["PEXPIRE", `key:${i * 10}`, 3_600_000]),
    );
    const redisSave = await timed(() => c.call("SAVE"));
    const redisLoad = await timed(() => c.call("DEBUG", "RELOAD", "NOSAVE"));
    assert.equal(await c.call("DBSIZE"), KEYS);
    const redisFile = Deno.statSync(`${dir}/dump.rdb`).size;

    const keyspace = new Keyspace(16);
    let loadResult;
    const ourLoad = await timed(() => {
      loadResult = loadSnapshot(keyspace, `${dir}/dump.rdb`, { limits: DEFAULT_LIMITS });
    });
    assert.equal(loadResult!.keys, KEYS);
    assert.equal(keyspace.databases[0].expires.size, KEYS / 10);

    let saved;
    const ourSave = await timed(() => {
      saved = saveSnapshotSync(keyspace, `${dir}/redeno.rdb`);
    });
    const ourFile = saved!.bytes;
    const bg = saveSnapshot(keyspace, `${dir}/redeno-bg.rdb`, {
      installGuard: () => {},
    });
    const ourBgSave = (await bg.done).durationMs;
    assert.deepEqual(Deno.readFileSync(`${dir}/redeno-bg.rdb`).length, ourFile);

    // Redis loading Redeno's file.
    Deno.renameSync(`${dir}/redeno.rdb`, `${dir}/dump.rdb`);
    const redisLoadsOurs = await timed(() => c.call("DEBUG", "RELOAD", "NOSAVE"));
    assert.equal(await c.call("DBSIZE"), KEYS);

    const row = (what: string, ms: number) =>
      `  ${what.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms`;
    console.log(
      [
        `${KEYS} keys (DEBUG POPULATE, 10% with TTLs); Redis file ${redisFile} bytes, ` +
        `Redeno file ${ourFile} bytes`,
        row("Redis SAVE", redisSave),
        row("Redis DEBUG RELOAD NOSAVE (load)", redisLoad),
        row("Redeno load of Redis's file", ourLoad),
        row("Redeno sync save (SAVE)", ourSave),
        row("Redeno background save (BGSAVE)", ourBgSave),
        row("Redis DEBUG RELOAD NOSAVE of Redeno's file", redisLoadsOurs),
      ].join("\n"),
    );
    // Generous bounds: these catch a tenfold regression, not noise.
    assert.ok(ourLoad < 20 * Math.max(redisLoad, 100), `load took ${ourLoad} ms`);
    assert.ok(ourSave < 20 * Math.max(redisSave, 100), `save took ${ourSave} ms`);
  } finally {
    c.close();
    await redis.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
