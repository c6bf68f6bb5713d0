// The AOF inside a running server: what it writes (Redis 7.0's bytes and files),
// restarts from it, rewrites under load, damaged files at start-up, the old-style
// upgrade, switching AOF on and off, and automatic rewrites.

import assert from "node:assert/strict";
import { readManifest } from "../../src/persistence/aof_manifest.ts";
import { AofNames } from "../../src/persistence/aof_manifest.ts";
import { resp } from "../_server.ts";
import { assertSameData, Client, datasetCommands, describe } from "./_client.ts";
import { listDir, readText, startPersistent, waitFor } from "./_aof.ts";

const AOF = [["appendonly", ["yes"]]] as [string, string[]][];

Deno.test("a new AOF directory holds an empty RDB base, an incr file and the manifest", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, AOF);
  try {
    assert.deepEqual(listDir(`${dir}/appendonlydir`), [
      "appendonly.aof.1.base.rdb",
      "appendonly.aof.1.incr.aof",
      "appendonly.aof.manifest",
    ]);
    assert.equal(
      readText(`${dir}/appendonlydir/appendonly.aof.manifest`),
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    assert.ok(readText(`${dir}/appendonlydir/appendonly.aof.1.base.rdb`).startsWith("REDIS0010"));
  } finally {
    await s.stop();
  }
});

Deno.test("writes are logged in Redis's bytes: SELECT on a change of database, deterministic forms, MULTI/EXEC around an EXEC's writes", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, AOF);
  try {
    await s.call("set", "a", "1");
    await s.call("GET", "a");
    await s.call("SELECT", "2");
    await s.call("SET", "c", "3");
    await s.client.pipeline([["MULTI"], ["SET", "x", "1"], ["GET", "x"], ["EXEC"]]);
    await s.client.pipeline([["MULTI"], ["SET", "x", "1"], ["INCR", "x"], ["EXEC"]]);
    await s.client.pipeline([["MULTI"], ["SELECT", "4"], ["SET", "a", "1"], ["SELECT", "5"], [
      "SET",
      "b",
      "2",
    ], ["EXEC"]]);
    await s.call("SELECT", "0");
    await s.call("INCRBYFLOAT", "f", "1.5");
    await s.call("SET", "gone", "1", "PX", "1");
    await new Promise((r) => setTimeout(r, 5));
    await s.client.pipeline([["MULTI"], ["GET", "gone"], ["SET", "z", "1"], ["SET", "z2", "1"], [
      "EXEC",
    ]]);
    const text = readText(`${dir}/appendonlydir/appendonly.aof.1.incr.aof`);
    const pxat = /\$13\r\n(\d{13})\r\n/.exec(text)![1];
    assert.equal(
      text,
      resp("SELECT", "0") + resp("set", "a", "1") + resp("SELECT", "2") + resp("SET", "c", "3") +
        resp("SET", "x", "1") +
        resp("MULTI") + resp("SET", "x", "1") + resp("INCR", "x") + resp("EXEC") +
        resp("SELECT", "4") + resp("MULTI") + resp("SET", "a", "1") + resp("SELECT", "5") +
        resp("SET", "b", "2") + resp("EXEC") +
        resp("SELECT", "0") + resp("SET", "f", "1.5", "KEEPTTL") +
        resp("SET", "gone", "1", "PXAT", pxat) +
        // The expired key's DEL goes out at once, ahead of the transaction.
        resp("DEL", "gone") + resp("MULTI") + resp("SET", "z", "1") + resp("SET", "z2", "1") +
        resp("EXEC"),
    );
  } finally {
    await s.stop();
  }
});

Deno.test("every type, encoding, TTL and database comes back after a restart, with and without a rewrite", async () => {
  for (const preamble of ["yes", "no"]) {
    const dir = Deno.makeTempDirSync();
    const directives: [string, string[]][] = [...AOF, ["aof-use-rdb-preamble", [preamble]]];
    let s = await startPersistent(dir, directives);
    await s.client.pipeline(datasetCommands());
    const expected = await describe(s.port);
    await s.stop();
    s = await startPersistent(dir, directives);
    assertSameData(await describe(s.port), expected);
    assert.equal((await s.info()).get("rdb_changes_since_last_save"), "0");
    assert.equal(await s.call("BGREWRITEAOF"), "Background append only file rewriting started");
    await s.server.persistence.idle();
    const base = preamble === "yes" ? "appendonly.aof.2.base.rdb" : "appendonly.aof.2.base.aof";
    assert.deepEqual(listDir(`${dir}/appendonlydir`), [
      base,
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    await s.call("SET", "after", "rewrite");
    await s.stop();
    s = await startPersistent(dir, directives);
    try {
      assert.equal(await s.call("GET", "after"), "rewrite");
      await s.call("DEL", "after");
      assertSameData(await describe(s.port), expected);
    } finally {
      await s.stop();
    }
  }
});

Deno.test("BGREWRITEAOF while clients keep writing loses no acknowledged write", async () => {
  const dir = Deno.makeTempDirSync();
  let s = await startPersistent(dir, AOF);
  // Enough data that each rewrite spans many event-loop turns.
  const fill: string[][] = [];
  for (let i = 0; i < 200_000; i++) fill.push(["SET", `fill:${i}`, `value-${i}`]);
  for (let i = 0; i < fill.length; i += 10_000) await s.client.pipeline(fill.slice(i, i + 10_000));
  const writers = await Promise.all([1, 2, 3, 4].map(() => Client.connect(s.port)));
  const acked = writers.map(() => 0);
  let stop = false;
  const loops = writers.map(async (c, w) => {
    while (!stop) {
      const batch: string[][] = [];
      for (let i = 0; i < 20; i++) {
        batch.push(["INCR", `counter:${w}`], ["RPUSH", `log:${w}`, String(acked[w] + i)]);
        batch.push(["SET", `fill:${(acked[w] + i) * 7 % 200_000}`, `w${w}`]);
      }
      const replies = await c.pipeline(batch);
      assert.ok(replies.every((r) => !(r instanceof Error)));
      acked[w] += 20;
    }
  });
  let rewrites = 0;
  for (let round = 0; round < 3; round++) {
    await new Promise((r) => setTimeout(r, 100));
    const reply = await s.call("BGREWRITEAOF");
    assert.equal(reply, "Background append only file rewriting started");
    assert.equal(
      (await s.call("BGREWRITEAOF") as Error).message,
      "ERR Background append only file rewriting already in progress",
    );
    await waitFor(async () => (await s.info()).get("aof_rewrite_in_progress") === "0", "rewrite");
    rewrites++;
  }
  stop = true;
  await Promise.all(loops);
  for (const c of writers) c.close();
  const info = await s.info();
  assert.equal(info.get("aof_rewrites"), String(rewrites));
  assert.equal(info.get("aof_last_bgrewrite_status"), "ok");
  const expected = snapshotStrings(s.server.keyspace.databases[0].data);
  await s.stop();
  const manifest = readManifest(`${dir}/appendonlydir`, new AofNames("appendonly.aof"))!;
  assert.equal(manifest.base?.name, `appendonly.aof.${rewrites + 1}.base.rdb`);
  assert.deepEqual(manifest.incrs.map((f) => f.seq), [rewrites + 1]);
  assert.equal(listDir(`${dir}/appendonlydir`).length, 3, "old files are deleted");
  s = await startPersistent(dir, AOF);
  try {
    for (let w = 0; w < writers.length; w++) {
      assert.equal(await s.call("GET", `counter:${w}`), String(acked[w]));
      assert.equal(await s.call("LLEN", `log:${w}`), acked[w]);
    }
    assert.deepEqual(snapshotStrings(s.server.keyspace.databases[0].data), expected);
  } finally {
    await s.stop();
  }
});

Deno.test("a truncated tail is cut off at start-up and the server starts", async () => {
  const dir = Deno.makeTempDirSync();
  let s = await startPersistent(dir, AOF);
  await s.call("SET", "a", "1");
  await s.call("SET", "b", "2");
  await s.stop();
  const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
  const size = Deno.statSync(incr).size;
  Deno.truncateSync(incr, size - 3);
  s = await startPersistent(dir, AOF);
  try {
    assert.equal(await s.call("GET", "a"), "1");
    assert.equal(await s.call("GET", "b"), null);
    assert.equal(Deno.statSync(incr).size, size - resp("SET", "b", "2").length);
    // Writes go on after the cut.
    await s.call("SET", "c", "3");
  } finally {
    await s.stop();
  }
  s = await startPersistent(dir, AOF);
  try {
    assert.equal(await s.call("GET", "c"), "3");
  } finally {
    await s.stop();
  }
});

Deno.test("with aof-load-truncated no, a truncated tail stops start-up", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, AOF);
  await s.call("SET", "a", "1");
  await s.stop();
  const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
  Deno.truncateSync(incr, Deno.statSync(incr).size - 1);
  await assert.rejects(
    () => startPersistent(dir, [...AOF, ["aof-load-truncated", ["no"]]]),
    /Unexpected end of file reading the append only file appendonly.aof.1.incr.aof at offset 23/,
  );
});

Deno.test("corruption in the middle of the AOF stops start-up naming the file and byte offset", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, AOF);
  await s.call("SET", "a", "1");
  await s.call("SET", "b", "2");
  await s.stop();
  const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
  const data = Deno.readFileSync(incr);
  const at = resp("SELECT", "0").length + 2;
  data[at] = "X".charCodeAt(0);
  Deno.writeFileSync(incr, data);
  await assert.rejects(
    () => startPersistent(dir, AOF),
    new RegExp(
      `Bad file format reading the append only file appendonly.aof.1.incr.aof at offset ${at}`,
    ),
  );
  assert.equal(Deno.statSync(incr).size, data.length, "the file is left alone");
});

Deno.test("a single old-style appendonly.aof in dir is loaded and upgraded like Redis 7.0 does", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(
    `${dir}/appendonly.aof`,
    resp("SELECT", "0") + resp("SET", "old", "1") + resp("SELECT", "3") + resp("RPUSH", "l", "x"),
  );
  let s = await startPersistent(dir, AOF);
  try {
    assert.equal(await s.call("GET", "old"), "1");
    await s.call("SET", "new", "2");
    assert.deepEqual(listDir(dir), ["appendonlydir"]);
    assert.deepEqual(listDir(`${dir}/appendonlydir`), [
      "appendonly.aof",
      "appendonly.aof.1.incr.aof",
      "appendonly.aof.manifest",
    ]);
    assert.equal(
      readText(`${dir}/appendonlydir/appendonly.aof.manifest`),
      "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
  } finally {
    await s.stop();
  }
  s = await startPersistent(dir, AOF);
  try {
    assert.equal(await s.call("GET", "new"), "2");
    await s.call("SELECT", "3");
    assert.deepEqual(await s.call("LRANGE", "l", "0", "-1"), ["x"]);
  } finally {
    await s.stop();
  }
});

Deno.test("with AOF off the RDB file in dir is loaded at start-up; with AOF on it is not", async () => {
  const dir = Deno.makeTempDirSync();
  let s = await startPersistent(dir);
  await s.call("SET", "k", "v");
  assert.equal(await s.call("SAVE"), "OK");
  await s.stop();
  s = await startPersistent(dir);
  try {
    assert.equal(await s.call("GET", "k"), "v");
    const info = await s.info();
    assert.equal(info.get("rdb_last_load_keys_loaded"), "1");
    assert.equal(info.get("aof_enabled"), "0");
  } finally {
    await s.stop();
  }
  s = await startPersistent(dir, AOF);
  try {
    assert.equal(await s.call("GET", "k"), null);
  } finally {
    await s.stop();
  }
});

Deno.test("CONFIG SET appendonly yes writes a base of the current data, then logs; no stops logging", async () => {
  const dir = Deno.makeTempDirSync();
  let s = await startPersistent(dir);
  await s.call("SET", "before", "1");
  assert.equal(await s.call("CONFIG", "SET", "appendonly", "yes"), "OK");
  await s.call("SET", "during", "2");
  await s.server.persistence.idle();
  await s.call("SET", "after", "3");
  assert.equal((await s.info()).get("aof_enabled"), "1");
  assert.deepEqual(listDir(`${dir}/appendonlydir`), [
    "appendonly.aof.1.base.rdb",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  assert.equal(await s.call("CONFIG", "SET", "appendonly", "no"), "OK");
  await s.call("SET", "unlogged", "4");
  await s.stop();
  s = await startPersistent(dir, AOF);
  try {
    assert.deepEqual(
      await s.client.pipeline(["before", "during", "after", "unlogged"].map((k) => ["GET", k])),
      ["1", "2", "3", null],
    );
  } finally {
    await s.stop();
  }
});

Deno.test("the AOF is rewritten on its own once it doubles past auto-aof-rewrite-min-size", async () => {
  const dir = Deno.makeTempDirSync();
  const s = await startPersistent(dir, [
    ...AOF,
    ["auto-aof-rewrite-min-size", ["10kb"]],
    ["auto-aof-rewrite-percentage", ["100"]],
  ]);
  try {
    for (let i = 0; i < 400; i++) await s.call("SET", "k", "x".repeat(50));
    await waitFor(async () => (await s.info()).get("aof_rewrites") === "1", "a rewrite");
    await s.server.persistence.idle();
    const info = await s.info();
    // The new base holds the one key, not its 400 writes.
    assert.ok(Number(info.get("aof_base_size")) < 1024, info.get("aof_base_size"));
  } finally {
    await s.stop();
  }
});

Deno.test("appendfsync always, everysec and no all survive a restart; CONFIG SET switches them", async () => {
  const dir = Deno.makeTempDirSync();
  let s = await startPersistent(dir, [...AOF, ["appendfsync", ["always"]]]);
  await s.call("SET", "a", "1");
  assert.equal(await s.call("CONFIG", "SET", "appendfsync", "no"), "OK");
  await s.call("SET", "b", "2");
  assert.equal(await s.call("CONFIG", "SET", "appendfsync", "everysec"), "OK");
  await s.call("SET", "c", "3");
  await s.stop();
  s = await startPersistent(dir, AOF);
  try {
    assert.deepEqual(await s.client.pipeline([["GET", "a"], ["GET", "b"], ["GET", "c"]]), [
      "1",
      "2",
      "3",
    ]);
  } finally {
    await s.stop();
  }
});

// Every string key and value of a database (lists by length), to compare cheaply.
function snapshotStrings(data: Iterable<[string, unknown]>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of data) {
    out.set(key, typeof value === "string" ? value : (value as { length: number }).length);
  }
  return out;
}

Deno.test("redeno exits with status 1 and names the byte offset when its AOF is corrupt", async () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/appendonlydir`);
  Deno.writeTextFileSync(
    `${dir}/appendonlydir/appendonly.aof.manifest`,
    "file appendonly.aof.1.incr.aof seq 1 type i\n",
  );
  Deno.writeTextFileSync(
    `${dir}/appendonlydir/appendonly.aof.1.incr.aof`,
    resp("SET", "a", "1") + "*2\r\n$3\r\nDEL\r\n?1\r\na\r\n",
  );
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../src/main.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--dir",
      dir,
      "--appendonly",
      "yes",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 1, out);
  const offset = resp("SET", "a", "1").length + 13;
  assert.match(
    out,
    new RegExp(
      `Bad file format reading the append only file appendonly.aof.1.incr.aof at offset ${offset}`,
    ),
  );
  assert.doesNotMatch(out, /Ready to accept connections/);
});
