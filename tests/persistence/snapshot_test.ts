// The snapshot engine: crash-safe file replacement, and background saves that keep
// serving clients while producing exactly the data as it was when they started, even
// under a stream of writes (including transactions, FLUSHALL and SWAPDB).

import assert from "node:assert/strict";
import { dumpPayload } from "../../src/persistence/rdb_writer.ts";
import {
  loadSnapshot,
  loadSnapshotBytes,
  readFileBytes,
  saveSnapshot,
  saveSnapshotSync,
  type SnapshotAborted,
  type WriteGuard,
} from "../../src/persistence/snapshot.ts";
import { type Database, Keyspace } from "../../src/store/keyspace.ts";
import type { Value } from "../../src/store/value.ts";
import type { InProcessServer } from "../_inprocess.ts";
import { Client, startQuiet } from "./_client.ts";

// Every key of a keyspace as "db key" → serialized value and expiry time.
function contents(keyspace: Keyspace): Map<string, string> {
  const out = new Map<string, string>();
  const now = Date.now();
  for (const db of keyspace.databases) {
    for (const [key, value] of db.data) {
      const at = db.getExpireExact(key);
      if (at !== undefined && at <= now) continue;
      const payload = dumpPayload(value, { compress: false });
      out.set(
        `${db.id} ${key}`,
        `${at ?? "-"} ${String.fromCharCode(...payload.subarray(0, 64))}${payload.length}`,
      );
    }
  }
  return out;
}

function loaded(path: string): Map<string, string> {
  const ks = new Keyspace(16);
  loadSnapshot(ks, path);
  return contents(ks);
}

async function fill(server: InProcessServer, keys: number): Promise<void> {
  const c = await Client.connect(server.port);
  try {
    const batch: (string | number)[][] = [];
    for (let i = 0; i < keys; i++) {
      const kind = i % 6;
      if (kind === 0) batch.push(["SET", `k:${i}`, `value-${i}`]);
      else if (kind === 1) batch.push(["HSET", `h:${i}`, "a", "1", "b", String(i)]);
      else if (kind === 2) batch.push(["RPUSH", `l:${i}`, "x", "y", String(i)]);
      else if (kind === 3) batch.push(["SADD", `s:${i}`, "1", "2", String(i)]);
      else if (kind === 4) batch.push(["ZADD", `z:${i}`, 1, "a", i, "b"]);
      else batch.push(["SET", `t:${i}`, "ttl", "EX", 1000 + i]);
      if (batch.length === 5000) await c.pipeline(batch.splice(0));
    }
    if (batch.length > 0) await c.pipeline(batch);
    await c.pipeline([["SELECT", 3], ["SET", "db3", "x"], ["SELECT", 9], ["SET", "db9", "y"]]);
  } finally {
    c.close();
  }
}

function guardOptions(server: InProcessServer) {
  return {
    installGuard: (guard: WriteGuard | null) => {
      server.server.beforeWrite = guard;
    },
    fsync: false,
  };
}

Deno.test("a background save under a stream of writes holds the data as it was at its start", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startQuiet();
  try {
    await fill(server, 120_000);
    const before = contents(server.server.keyspace);
    const job = saveSnapshot(server.server.keyspace, `${dir}/dump.rdb`, {
      ...guardOptions(server),
      sliceMs: 2,
    });
    const writer = await Client.connect(server.port);
    const pinger = await Client.connect(server.port);
    let finished = false;
    let writes = 0;
    let worstPing = 0;
    const done = job.done.finally(() => {
      finished = true;
    });
    const writing = (async () => {
      for (let round = 0; !finished; round++) {
        const i = (round * 997) % 120_000;
        const commands: (string | number)[][] = [
          ["SET", `k:${i - (i % 6)}`, `changed-${round}`],
          ["DEL", `h:${i - (i % 6) + 1}`],
          ["RPUSH", `l:${i - (i % 6) + 2}`, "more"],
          ["SADD", `s:${i - (i % 6) + 3}`, "new"],
          ["ZADD", `z:${i - (i % 6) + 4}`, 99, "c"],
          ["EXPIRE", `k:${i - (i % 6)}`, 5],
          ["SET", `new:${round}`, "created during the save"],
          ["HSET", `newhash:${round}`, "f", "v"],
          ["MULTI"],
          ["INCR", `k:${(i + 6) - (i % 6)}`],
          ["APPEND", `t:${i - (i % 6) + 5}`, "-appended"],
          ["EXEC"],
          ["RENAME", `k:${(i + 12) - (i % 6)}`, `renamed:${round}`],
          ["SELECT", 3],
          ["DEL", "db3"],
          ["SELECT", 9],
          ["SET", "db9", `z${round}`],
          ["SELECT", 0],
        ];
        await writer.pipeline(commands);
        writes += commands.length;
      }
    })();
    const pinging = (async () => {
      while (!finished) {
        const t = performance.now();
        assert.equal(await pinger.call("PING"), "PONG");
        worstPing = Math.max(worstPing, performance.now() - t);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const result = await done;
    await writing;
    await pinging;
    writer.close();
    pinger.close();
    assert.ok(writes > 100, `only ${writes} writes ran during the save`);
    assert.equal(result.keys, before.size);
    assert.equal(server.server.beforeWrite, null);
    const after = loaded(`${dir}/dump.rdb`);
    assert.equal(after.size, before.size);
    for (const [key, value] of before) assert.equal(after.get(key), value, key);
    console.log(
      `background save of ${result.keys} keys: ${result.durationMs.toFixed(0)} ms, ` +
        `${writes} writes served meanwhile, slowest PING ${worstPing.toFixed(1)} ms`,
    );
    assert.ok(worstPing < 250, `PING took ${worstPing} ms during the save`);
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a background save ends even while writers add keys faster than it walks them", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startQuiet();
  try {
    await fill(server, 20_000);
    const before = contents(server.server.keyspace);
    const job = saveSnapshot(server.server.keyspace, `${dir}/dump.rdb`, {
      ...guardOptions(server),
      sliceMs: 0.05,
    });
    let finished = false;
    const done = job.done.finally(() => {
      finished = true;
    });
    const writers = await Promise.all([0, 1, 2].map(() => Client.connect(server.port)));
    let added = 0;
    await Promise.all(writers.map(async (w, n) => {
      for (let round = 0; !finished && round < 2000; round++) {
        const batch = Array.from(
          { length: 500 },
          (_, i) => ["SET", `flood:${n}:${round}:${i}`, "x"],
        );
        await w.pipeline(batch);
        added += batch.length;
      }
    }));
    for (const w of writers) w.close();
    assert.ok(finished, `the save was still running after ${added} keys were added`);
    await done;
    assert.deepEqual(loaded(`${dir}/dump.rdb`), before);
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

for (const barrier of [["FLUSHALL"], ["FLUSHDB"], ["SWAPDB", "0", "3"], ["MOVE", "k:0", "5"]]) {
  Deno.test(`${barrier[0]} during a background save does not change what it saves`, async () => {
    const dir = Deno.makeTempDirSync();
    const server = await startQuiet();
    try {
      await fill(server, 30_000);
      const before = contents(server.server.keyspace);
      const job = saveSnapshot(server.server.keyspace, `${dir}/dump.rdb`, {
        ...guardOptions(server),
        sliceMs: 1,
      });
      const c = await Client.connect(server.port);
      await new Promise((r) => setTimeout(r, 3));
      assert.ok(!(await c.call(...barrier) instanceof Error));
      await c.call("SET", "k:0", "after the barrier");
      c.close();
      await job.done;
      assert.deepEqual(loaded(`${dir}/dump.rdb`), before);
    } finally {
      await server.stop();
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

// A background save of `keys` keys (key:0 on), one key a millisecond, with `writes`
// made once it has written `walked` of them, as the dispatcher makes them: the guard
// first, then the change. The file must hold the keys as they were at the start.
async function saveAroundWrites(
  keys: number,
  walked: number,
  writes: (write: (key: string, change: () => void) => void, db: Database) => void,
): Promise<void> {
  const dir = Deno.makeTempDirSync();
  try {
    const keyspace = new Keyspace(16);
    const db = keyspace.databases[0];
    for (let i = 0; i < keys; i++) db.set(`key:${i}`, `v${i}`);
    const before = contents(keyspace);
    let guard: WriteGuard | null = null;
    const job = saveSnapshot(keyspace, `${dir}/dump.rdb`, {
      installGuard: (g) => {
        guard = g;
      },
      fsync: false,
      keySaveDelay: 1000,
    });
    while (job.keys < walked) await new Promise((r) => setTimeout(r, 1));
    writes((key, change) => {
      guard?.(0, [key]);
      change();
    }, db);
    assert.equal((await job.done).keys, before.size);
    assert.deepEqual(loaded(`${dir}/dump.rdb`), before);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("a background save keeps keys that are deleted, re-added or changed around its walk", () =>
  saveAroundWrites(60, 20, (write, db) => {
    // Walked already: deleted, then added again (into the place freed next).
    write("key:3", () => db.delete("key:3"));
    write("key:40", () => db.delete("key:40"));
    write("key:3", () => db.set("key:3", "new three"));
    // Not walked yet: changed in place, deleted, deleted and added again.
    write("key:50", () => db.set("key:50", "new fifty"));
    write("key:55", () => db.delete("key:55"));
    write("key:57", () => db.delete("key:57"));
    write("key:57", () => db.set("key:57", "new fifty-seven"));
    // New keys, some in freed places before and after the walk.
    for (let i = 0; i < 5; i++) write(`new:${i}`, () => db.set(`new:${i}`, "x"));
  }));

Deno.test("a background save keeps every key when writes empty the database mid-walk", () =>
  saveAroundWrites(40, 10, (write, db) => {
    for (let i = 39; i >= 0; i--) write(`key:${i}`, () => db.delete(`key:${i}`));
    for (let i = 0; i < 30; i++) write(`key:${i}`, () => db.set(`key:${i}`, "after"));
  }));

Deno.test("an aborted background save leaves the old file and no temp file", async () => {
  const dir = Deno.makeTempDirSync();
  const server = await startQuiet();
  try {
    await fill(server, 30_000);
    Deno.writeTextFileSync(`${dir}/dump.rdb`, "previous");
    const job = saveSnapshot(server.server.keyspace, `${dir}/dump.rdb`, {
      ...guardOptions(server),
      sliceMs: 1,
    });
    await new Promise((r) => setTimeout(r, 2));
    await job.abort();
    await assert.rejects(job.done, (e: SnapshotAborted) => e.name === "SnapshotAborted");
    assert.equal(Deno.readTextFileSync(`${dir}/dump.rdb`), "previous");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["dump.rdb"]);
    assert.equal(server.server.beforeWrite, null);
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a save that fails midway leaves the previous file untouched and no temp file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ks = new Keyspace(16);
    ks.databases[0].set("good", "value");
    saveSnapshotSync(ks, `${dir}/dump.rdb`);
    const previous = Deno.readFileSync(`${dir}/dump.rdb`);
    // A value no serializer knows: the save throws while writing it.
    ks.databases[0].set("bad", { type: "mystery" } as unknown as Value);
    assert.throws(() => saveSnapshotSync(ks, `${dir}/dump.rdb`), TypeError);
    assert.deepEqual(Deno.readFileSync(`${dir}/dump.rdb`), previous);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["dump.rdb"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a save goes through temp-<pid>.rdb in the target's directory", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ks = new Keyspace(16);
    ks.databases[0].set("k", "v");
    // A directory squatting on the temp name makes the save fail before the rename.
    Deno.mkdirSync(`${dir}/temp-${Deno.pid}.rdb`);
    assert.throws(() => saveSnapshotSync(ks, `${dir}/dump.rdb`));
    assert.throws(() => Deno.statSync(`${dir}/dump.rdb`), Deno.errors.NotFound);
    Deno.removeSync(`${dir}/temp-${Deno.pid}.rdb`);
    const result = saveSnapshotSync(ks, `${dir}/dump.rdb`);
    assert.equal(result.keys, 1);
    assert.equal(result.bytes, Deno.statSync(`${dir}/dump.rdb`).size);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["dump.rdb"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a file is read whole, however its size compares with a read's", () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (const size of [0, 1, 65535, 65536, 65537, 3 << 20]) {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7) & 255;
      Deno.writeFileSync(`${dir}/f`, data);
      assert.deepEqual(readFileBytes(`${dir}/f`), data);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a background save of large values hands them out a megabyte or so at a time", async () => {
  const keyspace = new Keyspace(16);
  const big = "v".repeat(700_000);
  for (let i = 0; i < 40; i++) keyspace.databases[0].set(`big:${i}`, `${big}${i}`);
  const chunks: Uint8Array[] = [];
  const job = saveSnapshot(keyspace, "/unused", {
    installGuard: () => {},
    compress: false,
    sink: (chunk) => {
      chunks.push(chunk.slice());
      return Promise.resolve();
    },
  });
  // The first slice stops once it has a megabyte to hand out, not after 64 keys.
  assert.ok(job.keys < 5, `${job.keys} keys written before the first pause`);
  await job.done;
  assert.equal(job.keys, 40);
  const sizes = chunks.map((chunk) => chunk.length);
  assert.ok(chunks.length > 10, `${chunks.length} chunks`);
  assert.ok(Math.max(...sizes) < 2 * 1024 * 1024, `a chunk of ${Math.max(...sizes)} bytes`);
  const file = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  chunks.reduce((at, chunk) => (file.set(chunk, at), at + chunk.length), 0);
  const loaded = new Keyspace(16);
  loadSnapshotBytes(loaded, file);
  assert.deepEqual(contents(loaded), contents(keyspace));
});
