// Every type and encoding survives save and load (and DUMP and RESTORE) unchanged:
// contents, TTLs and OBJECT ENCODING; expired and empty keys are dropped; the
// encodings chosen on load follow the loading server's thresholds.

import assert from "node:assert/strict";
import { rdbWriteOptions } from "../../src/commands/dump.ts";
import { encodingLimits } from "../../src/persistence/load_settings.ts";
import { ByteWriter } from "../../src/persistence/rdb_format.ts";
import { readPayload, readRdb, verifyPayload } from "../../src/persistence/rdb_reader.ts";
import { DEFAULT_LIMITS } from "../../src/persistence/codecs/codec.ts";
import { scoreText } from "../../src/persistence/codecs/zset.ts";
import {
  dumpPayload,
  writeDbHeader,
  writeEntry,
  writeEof,
  writeHeader,
} from "../../src/persistence/rdb_writer.ts";
import { loadSnapshot, saveSnapshotSync } from "../../src/persistence/snapshot.ts";
import { Crc64 } from "../../src/persistence/crc64.ts";
import { HashValue } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { ListValue } from "../../src/store/list.ts";
import { SetValue } from "../../src/store/set.ts";
import { encodingOf, typeOf, type Value } from "../../src/store/value.ts";
import { SortedSetValue } from "../../src/store/zset.ts";
import { assertSameData, Client, datasetCommands, describe, startQuiet } from "./_client.ts";

Deno.test("every type and encoding survives a save and a load in Redeno", async () => {
  const dir = Deno.makeTempDirSync();
  const a = await startQuiet();
  const b = await startQuiet();
  try {
    const c = await Client.connect(a.port);
    await c.pipeline(datasetCommands());
    c.close();
    const expected = await describe(a.port);
    assert.ok(expected.length >= 40);
    const saved = saveSnapshotSync(a.server.keyspace, `${dir}/dump.rdb`, { fsync: false });
    assert.equal(saved.keys, expected.length);
    const loaded = loadSnapshot(b.server.keyspace, `${dir}/dump.rdb`, {
      limits: encodingLimits(b.server.config),
    })!;
    assert.equal(loaded.keys, expected.length);
    assert.equal(loaded.bytes, saved.bytes);
    assertSameData(await describe(b.port), expected);
  } finally {
    await a.stop();
    await b.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("DUMP payloads of every type round-trip through RESTORE's reader", async () => {
  const a = await startQuiet();
  try {
    const c = await Client.connect(a.port);
    await c.pipeline(datasetCommands());
    c.close();
    const options = rdbWriteOptions(a.server.config);
    for (const db of a.server.keyspace.databases) {
      for (const [key, value] of db.data) {
        const payload = dumpPayload(value, options);
        assert.ok(verifyPayload(payload), key);
        const back = readPayload(payload, DEFAULT_LIMITS)!;
        assert.equal(typeOf(back), typeOf(value), key);
        assert.equal(encodingOf(back), encodingOf(value), key);
        assert.deepEqual(dumpPayload(back, options), payload, key);
      }
    }
  } finally {
    await a.stop();
  }
});

Deno.test("a DUMP payload with one byte changed fails verification", () => {
  const payload = dumpPayload("hello world", { compress: true });
  for (let i = 0; i < payload.length; i++) {
    const bad = payload.slice();
    bad[i] ^= 0x10;
    assert.equal(verifyPayload(bad), false, `byte ${i}`);
  }
  assert.equal(verifyPayload(payload.subarray(0, 9)), false);
});

Deno.test("keys expired but still there are written, as Redis writes them; loading skips them", () => {
  const ks = new Keyspace(16);
  const db = ks.databases[0];
  db.set("live", "1");
  db.set("dead", "2");
  db.data.set("dead", "2");
  db.setExpire("dead", Date.now() - 1000);
  db.set("later", "3");
  db.setExpire("later", Date.now() + 60_000);
  const dir = Deno.makeTempDirSync();
  try {
    const saved = saveSnapshotSync(ks, `${dir}/dump.rdb`, { fsync: false });
    assert.equal(saved.keys, 3);
    const back = new Keyspace(16);
    const loaded = loadSnapshot(back, `${dir}/dump.rdb`, { now: Date.now() + 120_000 })!;
    assert.equal(loaded.keys, 1);
    assert.equal(loaded.expiredSkipped, 2);
    assert.deepEqual([...back.databases[0].data.keys()], ["live"]);
    // An AOF preamble keeps them (the log that follows decides), as a replica does.
    const all = new Keyspace(16);
    loadSnapshot(all, `${dir}/dump.rdb`, { now: Date.now() + 120_000, skipExpired: false });
    assert.equal(all.databases[0].size, 3);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// A file written entry by entry, for shapes the snapshot never produces.
function fileOf(entries: [string, Value][]): Uint8Array {
  const w = new ByteWriter();
  writeHeader(w, { ctime: 0, usedMem: 0, aofBase: false });
  writeDbHeader(w, 0, entries.length, 0);
  for (const [key, value] of entries) writeEntry(w, key, value, undefined, { compress: true });
  writeEof(w);
  const body = w.buf.slice(0, w.pos);
  const out = new Uint8Array(body.length + 8);
  out.set(body);
  out.set(new Crc64().update(body).bytesLE(), body.length);
  return out;
}

Deno.test("empty collections in a file are skipped, duplicate keys are an error", () => {
  const keys: string[] = [];
  const summary = readRdb(fileOf([["a", "1"], ["empty", new HashValue()], ["b", "2"]]), (e) => {
    keys.push(e.key);
  });
  assert.deepEqual(keys, ["a", "b"]);
  assert.equal(summary.emptySkipped, 1);
  const ks = new Keyspace(16);
  assert.throws(
    () =>
      loadSnapshot(ks, "/nonexistent/dump.rdb") ??
        readRdb(fileOf([["a", "1"], ["a", "2"]]), (e) => {
          if (ks.databases[0].data.has(e.key)) return false;
          ks.databases[0].set(e.key, e.value);
          return true;
        }),
    /duplicate key "a" in database 0 at byte offset \d+/,
  );
});

Deno.test("loading a missing file answers null", () => {
  assert.equal(loadSnapshot(new Keyspace(1), "/nonexistent/dump.rdb"), null);
});

Deno.test("loaded values take the encodings the loading thresholds give, like Redis", () => {
  const lim = { maxListpackEntries: 1000, maxListpackValue: 1000 };
  const bigHash = new HashValue();
  for (let i = 0; i < 20; i++) bigHash.set(`f${i}`, "v", lim);
  const longHash = new HashValue();
  longHash.set("f", "v".repeat(100), lim);
  const plainHash = new HashValue();
  plainHash.hashtable = true;
  plainHash.set("f", "v".repeat(100), lim);
  const smallPlainHash = new HashValue();
  smallPlainHash.hashtable = true;
  smallPlainHash.set("f", "v", lim);
  const ints = new SetValue();
  for (let i = 0; i < 20; i++) ints.add(String(i), 1000);
  const zsmall = SortedSetValue.fromEntries([["a", 1]], {
    maxListpackEntries: 0,
    maxListpackValue: 0,
  });
  const zlong = SortedSetValue.fromEntries([["m".repeat(100), 1]], lim);
  const zmany = SortedSetValue.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`m${i}`, i] as [string, number]),
    lim,
  );
  const file = fileOf([
    ["bigHash", bigHash],
    ["longHash", longHash],
    ["plainHash", plainHash],
    ["smallPlainHash", smallPlainHash],
    ["ints", ints],
    ["zsmall", zsmall],
    ["zlong", zlong],
    ["zmany", zmany],
    ["list", ListValue.from(["a"])],
  ]);
  const encodings = new Map<string, string>();
  readRdb(file, (e) => {
    encodings.set(e.key, encodingOf(e.value));
  }, {
    limits: {
      ...DEFAULT_LIMITS,
      hashMaxListpackEntries: 10,
      hashMaxListpackValue: 10,
      setMaxIntsetEntries: 10,
      zsetMaxListpackEntries: 10,
      zsetMaxListpackValue: 10,
    },
  });
  assert.deepEqual(Object.fromEntries(encodings), {
    bigHash: "hashtable", // a listpack with too many fields converts
    longHash: "listpack", // a listpack with a long value stays (Redis checks only the count)
    plainHash: "hashtable", // a plain hash converts when a value is too long
    smallPlainHash: "listpack", // and becomes a listpack when it fits
    ints: "hashtable", // an intset with too many members converts
    zsmall: "listpack", // a skiplist that fits becomes a listpack
    zlong: "listpack", // a listpack with a long member stays
    zmany: "skiplist", // a listpack with too many members converts
    list: "quicklist",
  });
});

Deno.test("scores go into listpacks as Redis prints them", () => {
  assert.equal(scoreText(1), "1");
  assert.equal(scoreText(-0), "-0");
  assert.equal(scoreText(2.5), "2.5");
  assert.equal(scoreText(0.1), "0.10000000000000001");
  assert.equal(scoreText(4503599627370495), "4503599627370495");
  assert.equal(scoreText(4503599627370496), "4503599627370496");
  assert.equal(scoreText(1e20), "1e+20");
  assert.equal(scoreText(Infinity), "inf");
  assert.equal(scoreText(-Infinity), "-inf");
});
