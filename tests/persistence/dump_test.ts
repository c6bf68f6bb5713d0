// DUMP and RESTORE inside Redeno: what RESTORE propagates (absolute TTLs, DEL for a
// replaced key that arrives already expired), dirty counts, keyspace statistics,
// FREQ under an LFU policy, and large binary values.

import assert from "node:assert/strict";
import { dumpPayload } from "../../src/persistence/rdb_writer.ts";
import { Client, startQuiet } from "./_client.ts";

async function withServer(
  fn: (c: Client, r: Awaited<ReturnType<typeof startQuiet>>) => Promise<void>,
  directives: [string, string[]][] = [],
): Promise<void> {
  const r = await startQuiet(directives);
  const c = await Client.connect(r.port);
  try {
    await fn(c, r);
  } finally {
    c.close();
    await r.stop();
  }
}

Deno.test("RESTORE propagates an absolute TTL with ABSTTL, as Redis does", () =>
  withServer(async (c, r) => {
    assert.equal(await c.call("DUMP", "nothing"), null);
    await c.call("SET", "src", "hello");
    const dump = (await c.call("DUMP", "src")) as string;
    r.propagated.length = 0;
    const before = Date.now();
    assert.equal(await c.call("RESTORE", "a", "5000", dump), "OK");
    const [db, cmd, key, at, value, flag] = r.propagated[0];
    assert.deepEqual([db, cmd, key, value, flag], ["0", "RESTORE", "a", dump, "ABSTTL"]);
    assert.ok(Number(at) >= before + 5000 && Number(at) <= Date.now() + 5000);
    assert.equal(await c.call("RESTORE", "b", "0", dump), "OK");
    assert.deepEqual(r.propagated[1], ["0", "RESTORE", "b", "0", dump]);
    const abs = String(Date.now() + 60_000);
    assert.equal(await c.call("RESTORE", "c", abs, dump, "ABSTTL"), "OK");
    assert.deepEqual(r.propagated[2], ["0", "RESTORE", "c", abs, dump, "ABSTTL"]);
    assert.equal(r.propagated.length, 3);
    const pttl = (await c.call("PTTL", "a")) as number;
    assert.ok(pttl > 4000 && pttl <= 5000);
  }));

Deno.test("RESTORE of an already expired value deletes a replaced key and propagates DEL", () =>
  withServer(async (c, r) => {
    await c.call("SET", "src", "hello");
    const dump = (await c.call("DUMP", "src")) as string;
    r.propagated.length = 0;
    const dirty = r.server.dirty;
    // Nothing there: nothing happens, nothing is propagated.
    assert.equal(await c.call("RESTORE", "gone", "1", dump, "ABSTTL"), "OK");
    assert.equal(await c.call("EXISTS", "gone"), 0);
    assert.equal(r.server.dirty, dirty);
    assert.deepEqual(r.propagated, []);
    // A replaced key is deleted.
    assert.equal(await c.call("RESTORE", "src", "1", dump, "ABSTTL", "REPLACE"), "OK");
    assert.equal(await c.call("EXISTS", "src"), 0);
    assert.equal(r.server.dirty, dirty + 1);
    assert.deepEqual(r.propagated, [["0", "DEL", "src"]]);
  }));

Deno.test("DUMP counts a keyspace hit or miss", () =>
  withServer(async (c, r) => {
    await c.call("SET", "k", "v");
    const stats = r.server.stats;
    const hits = stats.keyspaceHits, misses = stats.keyspaceMisses;
    await c.call("DUMP", "k");
    await c.call("DUMP", "missing");
    assert.equal(stats.keyspaceHits - hits, 1);
    assert.equal(stats.keyspaceMisses - misses, 1);
  }));

Deno.test("RESTORE FREQ sets the access counter under an LFU policy", () =>
  withServer(async (c) => {
    await c.call("SET", "src", "hello");
    const dump = (await c.call("DUMP", "src")) as string;
    assert.equal(await c.call("RESTORE", "hot", "0", dump, "FREQ", "100"), "OK");
    assert.equal(await c.call("OBJECT", "FREQ", "hot"), 100);
    assert.equal(await c.call("RESTORE", "cold", "0", dump, "FREQ", "0"), "OK");
    assert.equal(await c.call("OBJECT", "FREQ", "cold"), 0);
  }, [["maxmemory-policy", ["allkeys-lfu"]]]));

Deno.test("DUMP and RESTORE move a 20 MB value, binary bytes included", () =>
  withServer(async (c) => {
    let big = "";
    for (let i = 0; i < 256; i++) big += String.fromCharCode(i);
    big = big.repeat(80_000);
    await c.call("SET", "big", big);
    await c.call("SETRANGE", "big", big.length, "tail");
    const dump = (await c.call("DUMP", "big")) as string;
    assert.ok(dump.length < big.length, "compressed");
    assert.equal(await c.call("RESTORE", "copy", "0", dump), "OK");
    assert.equal(await c.call("STRLEN", "copy"), big.length + 4);
    assert.equal(await c.call("GETRANGE", "copy", "-6", "-1"), "\xfe\xfftail");
    assert.equal(await c.call("GETRANGE", "copy", "0", "3"), "\x00\x01\x02\x03");
    assert.equal(await c.call("DUMP", "copy"), dump);
  }));

Deno.test("RESTORE into a watched key makes the transaction fail", () =>
  withServer(async (c) => {
    await c.call("SET", "src", "hello");
    const dump = (await c.call("DUMP", "src")) as string;
    await c.call("WATCH", "w");
    await c.call("RESTORE", "w", "0", dump);
    await c.call("MULTI");
    await c.call("GET", "w");
    assert.equal(await c.call("EXEC"), null);
  }));

Deno.test("a DUMP payload is the serialized value, the RDB version and a CRC64", () => {
  const payload = dumpPayload("hello", { compress: true });
  assert.equal(String.fromCharCode(...payload), "\x00\x05hello\x0a\x00cr\xdfve4 \n");
});
