// SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF and SHUTDOWN in a running server: the files
// they write, their replies while other jobs run, the save rules' cron, INFO
// persistence's fields next to real Redis's, and saving on SIGTERM.

import assert from "node:assert/strict";
import { freePort, skipWithout, startRedeno, startRedis } from "../_server.ts";
import { Client } from "./_client.ts";
import { listDir, parseInfo, startPersistent, waitFor } from "./_aof.ts";

function message(reply: unknown): string {
  assert.ok(reply instanceof Error, `expected an error, got ${JSON.stringify(reply)}`);
  return reply.message;
}

// Enough keys that a background save takes a good number of event-loop turns.
async function fill(c: Client, n: number): Promise<void> {
  for (let i = 0; i < n; i += 10_000) {
    const batch: string[][] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) batch.push(["SET", `k:${j}`, `v:${j}`]);
    await c.pipeline(batch);
  }
}

Deno.test("SAVE writes dump.rdb, resets the change count and moves LASTSAVE", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir);
  try {
    await s.call("SET", "a", "1");
    await s.call("SET", "b", "2");
    let info = await s.info();
    assert.equal(info.get("rdb_changes_since_last_save"), "2");
    assert.equal(info.get("rdb_saves"), "0");
    const before = await s.call("LASTSAVE") as number;
    await new Promise((r) => setTimeout(r, 1000 - Date.now() % 1000 + 10));
    assert.equal(await s.call("SAVE"), "OK");
    assert.deepEqual(listDir(dir), ["dump.rdb"]);
    info = await s.info();
    assert.equal(info.get("rdb_changes_since_last_save"), "0");
    assert.equal(info.get("rdb_saves"), "1");
    assert.ok((await s.call("LASTSAVE") as number) > before);
    assert.equal(info.get("rdb_last_save_time"), String(await s.call("LASTSAVE")));
  } finally {
    await s.stop();
  }
});

Deno.test("SAVE into a directory that is gone answers a bare -ERR, like Redis", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir);
  try {
    await s.call("SET", "a", "1");
    Deno.removeSync(dir, { recursive: true });
    assert.equal(message(await s.call("SAVE")), "ERR");
    // As in Redis: the attempt counts, the background status is untouched.
    const info = await s.info();
    assert.equal(info.get("rdb_saves"), "1");
    assert.equal(info.get("rdb_last_bgsave_status"), "ok");
    assert.equal(info.get("rdb_changes_since_last_save"), "1");
    assert.equal(
      message(await s.call("SHUTDOWN", "SAVE")),
      "ERR Errors trying to SHUTDOWN. Check logs.",
    );
    assert.equal(await s.call("PING"), "PONG", "a failed SHUTDOWN keeps the server running");
  } finally {
    Deno.mkdirSync(dir);
    await s.stop();
  }
});

Deno.test("BGSAVE and BGREWRITEAOF refuse or schedule each other like Redis", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, [["appendonly", ["yes"]]]);
  try {
    await fill(s.client, 300_000);
    assert.equal(await s.call("BGSAVE"), "Background saving started");
    assert.equal(message(await s.call("BGSAVE")), "ERR Background save already in progress");
    assert.equal(
      message(await s.call("BGSAVE", "SCHEDULE")),
      "ERR Background save already in progress",
    );
    assert.equal(message(await s.call("SAVE")), "ERR Background save already in progress");
    assert.equal(
      await s.call("BGREWRITEAOF"),
      "Background append only file rewriting scheduled",
    );
    let info = await s.info();
    assert.equal(info.get("rdb_bgsave_in_progress"), "1");
    assert.equal(info.get("aof_rewrite_scheduled"), "1");
    // The scheduled rewrite starts once the save is done.
    await waitFor(async () => (await s.info()).get("aof_rewrite_in_progress") === "1", "rewrite");
    assert.equal(
      message(await s.call("BGSAVE")),
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE " +
        "SCHEDULE in order to schedule a BGSAVE whenever possible.",
    );
    assert.equal(await s.call("BGSAVE", "SCHEDULE"), "Background saving scheduled");
    assert.equal(
      message(await s.call("BGREWRITEAOF")),
      "ERR Background append only file rewriting already in progress",
    );
    await waitFor(async () => (await s.info()).get("rdb_saves") === "2", "the scheduled save");
    await s.server.persistence.idle();
    info = await s.info();
    assert.equal(info.get("rdb_last_bgsave_status"), "ok");
    assert.equal(info.get("aof_last_bgrewrite_status"), "ok");
    assert.equal(info.get("aof_rewrites"), "1");
    assert.equal(info.get("rdb_changes_since_last_save"), "0");
  } finally {
    await s.stop();
  }
});

Deno.test("BGSAVE and BGREWRITEAOF inside EXEC are scheduled, as in Redis", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir);
  try {
    await s.call("SET", "a", "1");
    const replies = await s.client.pipeline([["MULTI"], ["BGSAVE"], ["BGREWRITEAOF"], ["EXEC"]]);
    assert.deepEqual(replies.at(-1), [
      "Background saving scheduled",
      "Background append only file rewriting scheduled",
    ]);
    await waitFor(async () => {
      const info = await s.info();
      return info.get("rdb_saves") === "1" && info.get("aof_rewrites") === "1";
    }, "both jobs");
    await s.server.persistence.idle();
    assert.deepEqual(listDir(dir), ["appendonlydir", "dump.rdb"]);
  } finally {
    await s.stop();
  }
});

Deno.test("the save rules start a BGSAVE once enough changes are old enough", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, [["save", ["1", "3"]]]);
  try {
    await s.call("SET", "a", "1");
    await s.call("SET", "b", "2");
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(listDir(dir), [], "two changes are not enough");
    await s.call("SET", "c", "3");
    await waitFor(() => listDir(dir).includes("dump.rdb"), "dump.rdb", 5000);
    await s.server.persistence.idle();
    const info = await s.info();
    assert.equal(info.get("rdb_changes_since_last_save"), "0");
    assert.equal(info.get("rdb_saves"), "1");
    assert.equal(info.get("rdb_last_bgsave_status"), "ok");
  } finally {
    await s.stop();
  }
});

Deno.test("SHUTDOWN SAVE saves, SHUTDOWN NOSAVE does not, plain SHUTDOWN saves when save rules exist", async () => {
  const cases: [string[], [string, string[]][], boolean][] = [
    [["SAVE"], [], true],
    [["NOSAVE"], [["save", ["3600", "1"]]], false],
    [[], [["save", ["3600", "1"]]], true],
    [[], [], false],
    [["NOW", "FORCE"], [["save", ["3600", "1"]]], true],
  ];
  for (const [args, directives, saved] of cases) {
    const dir = Deno.makeTempDirSync();
    const s = await startPersistent(dir, directives);
    await s.call("SET", "k", "v");
    await s.client.send([["SHUTDOWN", ...args]]);
    await assert.rejects(() => s.client.read(), /connection closed/, "no reply, the end");
    await s.server.closed;
    assert.equal(listDir(dir).includes("dump.rdb"), saved, `SHUTDOWN ${args.join(" ")}`);
    const again = await startPersistent(dir);
    try {
      assert.equal(await again.call("GET", "k"), saved ? "v" : null);
    } finally {
      await again.stop();
    }
  }
});

Deno.test("SHUTDOWN during a BGSAVE or an AOF rewrite leaves no temporary file behind", async () => {
  for (const job of ["BGSAVE", "BGREWRITEAOF"]) {
    const dir = Deno.makeTempDirSync();
    const s = await startPersistent(dir, [["appendonly", ["yes"]]]);
    await fill(s.client, 200_000);
    const before = listDir(`${dir}/appendonlydir`);
    assert.match(String(await s.call(job)), /started/);
    await s.client.send([["SHUTDOWN", "NOSAVE"]]);
    await assert.rejects(() => s.client.read(), /connection closed/);
    await s.server.closed;
    assert.deepEqual(listDir(dir), ["appendonlydir"], job);
    const after = listDir(`${dir}/appendonlydir`);
    // A rewrite that was cut short leaves its new incr file listed in the manifest.
    assert.ok(after.every((name) => !name.startsWith("temp-")), `${job}: ${after}`);
    assert.ok(before.every((name) => after.includes(name)), `${job}: ${after}`);
  }
});

Deno.test("INFO persistence lists Redis 7.0's fields in Redis's order, AOF on and off", async () => {
  if (skipWithout("redis-server")) return;
  for (const aof of ["no", "yes"]) {
    const redis = await startRedis(freePort(), ["--appendonly", aof]);
    const dir = Deno.makeTempDirSync();
    const s = await startPersistent(dir, [["appendonly", [aof]]]);
    try {
      const c = await Client.connect(redis.port);
      const theirs = parseInfo(await c.call("INFO", "persistence") as string);
      c.close();
      const ours = await s.info();
      assert.deepEqual([...ours.keys()], [...theirs.keys()]);
      assert.equal(ours.get("aof_enabled"), aof === "yes" ? "1" : "0");
    } finally {
      await s.stop();
      await redis.stop();
    }
  }
});

Deno.test("SIGTERM saves dump.rdb when save rules exist, and the next start loads it", async () => {
  const dir = Deno.makeTempDirSync();
  let server = await startRedeno(freePort(), ["--dir", dir, "--save", "3600 1"]);
  try {
    const c = await Client.connect(server.port);
    await c.call("SET", "k", "survives");
    c.close();
  } finally {
    await server.stop("SIGTERM");
  }
  assert.ok(listDir(dir).includes("dump.rdb"), server.output());
  assert.match(server.output(), /Saving the final RDB snapshot before exiting/);
  server = await startRedeno(freePort(), ["--dir", dir]);
  try {
    const c = await Client.connect(server.port);
    assert.equal(await c.call("GET", "k"), "survives");
    c.close();
  } finally {
    await server.stop();
  }
});
