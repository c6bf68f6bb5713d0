// JSON Lines export and import: every type, binary bytes, UTF-8 text and TTLs make the
// round trip with the same encodings; the lines are stable and readable; bad lines
// are refused with their line number; the command-line tool refuses to overwrite
// without --force and never writes over the dataset's own files.

import assert from "node:assert/strict";
import { exportLines, fromJsonText, importLine, toJsonText } from "../../src/persistence/jsonl.ts";
import { DEFAULT_LIMITS } from "../../src/persistence/codecs/codec.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { freePort, skipWithout, startRedeno, startRedis } from "../_server.ts";
import { assertSameData, Client, datasetCommands, describe, run, startQuiet } from "./_client.ts";
import { listDir } from "./_aof.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("byte strings are text when they are UTF-8, base64 otherwise, and come back exact", () => {
  const cases: [string, unknown][] = [
    ["plain", "plain"],
    ["", ""],
    ["\x00\r\n\t", "\x00\r\n\t"],
    ["caf\xc3\xa9 \xe2\x82\xac", "café €"],
    ["\xef\xbb\xbfbom", "\ufeffbom"],
    ["\xff\x00", { base64: "/wA=" }],
    ["\xc3", { base64: "ww==" }],
    ["\xed\xa0\x80", { base64: "7aCA" }],
  ];
  for (const [bytes, json] of cases) {
    assert.deepEqual(toJsonText(bytes), json, JSON.stringify(bytes));
    assert.equal(fromJsonText(toJsonText(bytes)), bytes);
  }
  for (let b = 0; b < 256; b++) {
    const s = String.fromCharCode(b);
    assert.equal(fromJsonText(JSON.parse(JSON.stringify(toJsonText(s)))), s);
  }
  assert.equal(fromJsonText({ base64: "!!" }), null);
  assert.equal(fromJsonText({ base64: "AA==", extra: 1 }), null);
  assert.equal(fromJsonText(42), null);
});

Deno.test("every type, encoding, binary key and TTL makes the round trip through JSON Lines", async () => {
  const a = await startQuiet();
  const b = await startQuiet();
  try {
    const c = await Client.connect(a.port);
    const replies = await c.pipeline([
      ...datasetCommands(),
      ["SET", "utf8:caf\xc3\xa9", "\xe2\x82\xac 10"],
      ["ZADD", "zset:negzero", "-0", "m"],
      ["HSET", "hash:\xff", "\x00", "\xff"],
    ]);
    assert.ok(replies.every((r) => !(r instanceof Error)));
    c.close();
    const lines = [...exportLines(a.server.keyspace)];
    let n = 0;
    for (const line of lines) {
      assert.equal(importLine(line, ++n, b.server.keyspace, DEFAULT_LIMITS), "loaded");
    }
    // The two descriptions are read one after the other: a TTL may tick over between them.
    assertSameData(await describe(b.port), await describe(a.port), 1);
    // Stable output: exporting again gives the same lines.
    assert.deepEqual([...exportLines(b.server.keyspace)], lines);
  } finally {
    await a.stop();
    await b.stop();
  }
});

Deno.test("the lines are readable: sorted keys, text values, scores as numbers, absolute expiry times", () => {
  const keyspace = new Keyspace(16);
  const lines = [
    `{"db":0,"key":"b","type":"zset","value":[["x",-1.5],["y",2],["z","inf"]]}`,
    `{"db":0,"key":"a","type":"string","expireAt":4102444800000,"value":"caf\u00e9"}`,
    `{"db":3,"key":{"base64":"AP8="},"type":"hash","value":[["f","v"],["g",{"base64":"/w=="}]]}`,
    `{"db":0,"key":"l","type":"list","value":["1","two"]}`,
    `{"db":0,"key":"s","type":"set","value":["2","1"]}`,
  ];
  lines.forEach((line, i) => importLine(line, i + 1, keyspace, DEFAULT_LIMITS));
  assert.deepEqual([...exportLines(keyspace)], [
    `{"db":0,"key":"a","type":"string","expireAt":4102444800000,"value":"café"}`,
    `{"db":0,"key":"b","type":"zset","value":[["x",-1.5],["y",2],["z","inf"]]}`,
    `{"db":0,"key":"l","type":"list","value":["1","two"]}`,
    // An intset keeps its members sorted, as Redis does.
    `{"db":0,"key":"s","type":"set","value":["1","2"]}`,
    `{"db":3,"key":{"base64":"AP8="},"type":"hash","value":[["f","v"],["g",{"base64":"/w=="}]]}`,
  ]);
  assert.equal(keyspace.databases[0].get("a"), "caf\xc3\xa9");
});

Deno.test("keys already expired are skipped; bad lines are refused with their line number", () => {
  const keyspace = new Keyspace(16);
  const ok = (line: string) => importLine(line, 7, keyspace, DEFAULT_LIMITS);
  assert.equal(ok(`{"db":0,"key":"old","type":"string","expireAt":1000,"value":"x"}`), "expired");
  assert.equal(keyspace.databases[0].size, 0);
  const bad: [string, RegExp][] = [
    [`not json`, /line 7: not JSON/],
    [`[1,2]`, /line 7: not a JSON object/],
    [`{"db":16,"key":"k","type":"string","value":"v"}`, /database number below 16/],
    [`{"db":0,"key":5,"type":"string","value":"v"}`, /"key" must be/],
    [`{"db":0,"key":"k","type":"module","value":[]}`, /unknown type "module"/],
    [`{"db":0,"key":"k","type":"stream","value":[]}`, /a stream value is an object/],
    [`{"db":0,"key":"k","type":"list","value":[]}`, /an empty list/],
    [`{"db":0,"key":"k","type":"list","value":"x"}`, /must be an array/],
    [`{"db":0,"key":"k","type":"set","value":["a","a"]}`, /duplicate/],
    [`{"db":0,"key":"k","type":"zset","value":[["a","x"]]}`, /bad score "x"/],
    [`{"db":0,"key":"k","type":"hash","value":[["a"]]}`, /pairs/],
    [`{"db":0,"key":"k","type":"string","expireAt":-5,"value":"v"}`, /expireAt/],
  ];
  for (const [line, pattern] of bad) assert.throws(() => ok(line), pattern, line);
  ok(`{"db":0,"key":"k","type":"string","value":"v"}`);
  assert.throws(() => ok(`{"db":0,"key":"k","type":"string","value":"w"}`), /appears twice/);
});

function tool(args: string[]): Promise<{ code: number; out: string }> {
  return run(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    `${ROOT}src/tools/jsonl.ts`,
    ...args,
  ]);
}

Deno.test("export from an AOF and import into an RDB file: real Redis loads the same data", async () => {
  if (skipWithout("redis-server")) return;
  const source = Deno.makeTempDirSync();
  const redeno = await startRedeno(freePort(), ["--dir", source, "--appendonly", "yes"]);
  let expected;
  try {
    const c = await Client.connect(redeno.port);
    await c.pipeline(datasetCommands());
    c.close();
    expected = await describe(redeno.port);
  } finally {
    await redeno.stop();
  }
  const out = Deno.makeTempDirSync();
  const file = `${out}/data.jsonl`;
  let result = await tool(["export", file, "--dir", source, "--appendonly", "yes"]);
  assert.equal(result.code, 0, result.out);
  assert.match(result.out, /Exported \d+ keys from the AOF/);
  // Nothing in the data directory changed.
  assert.deepEqual(listDir(source), ["appendonlydir"]);
  result = await tool(["export", file, "--dir", source, "--appendonly", "yes"]);
  assert.equal(result.code, 1);
  assert.match(result.out, /exists \(use --force to overwrite it\)/);
  result = await tool(["export", file, "--force", "--dir", source, "--appendonly", "yes"]);
  assert.equal(result.code, 0, result.out);
  result = await tool([
    "export",
    `${source}/appendonlydir/appendonly.aof.manifest`,
    "--force",
    "--dir",
    source,
    "--appendonly",
    "yes",
  ]);
  assert.equal(result.code, 1);
  assert.match(result.out, /refusing to write the export over the dataset's own file/);

  const target = Deno.makeTempDirSync();
  result = await tool(["import", file, "--dir", target]);
  assert.equal(result.code, 0, result.out);
  assert.deepEqual(listDir(target), ["dump.rdb"]);
  result = await tool(["import", file, "--dir", target]);
  assert.equal(result.code, 1);
  assert.match(result.out, /dump.rdb exists \(use --force to replace it\)/);
  const redis = await startRedis(freePort(), ["--dir", target]);
  try {
    assertSameData(await describe(redis.port), expected);
  } finally {
    await redis.stop();
  }
});

Deno.test("import into an AOF directory writes a base, an empty incr file and a manifest Redeno starts from", async () => {
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/in.jsonl`;
  Deno.writeTextFileSync(
    file,
    `{"db":0,"key":"k","type":"string","value":"v"}\n\n{"db":1,"key":"l","type":"list","value":["a"]}\r\n`,
  );
  let result = await tool(["import", file, "--dir", dir, "--appendonly", "yes"]);
  assert.equal(result.code, 0, result.out);
  assert.match(result.out, /Imported 2 keys/);
  assert.deepEqual(listDir(`${dir}/appendonlydir`), [
    "appendonly.aof.1.base.rdb",
    "appendonly.aof.1.incr.aof",
    "appendonly.aof.manifest",
  ]);
  result = await tool(["import", file, "--dir", dir, "--appendonly", "yes"]);
  assert.equal(result.code, 1);
  result = await tool(["import", file, "--force", "--dir", dir, "--appendonly", "yes"]);
  assert.equal(result.code, 0, result.out);
  assert.deepEqual(listDir(`${dir}/appendonlydir`), [
    "appendonly.aof.2.base.rdb",
    "appendonly.aof.2.incr.aof",
    "appendonly.aof.manifest",
  ]);
  const server = await startRedeno(freePort(), ["--dir", dir, "--appendonly", "yes"]);
  try {
    const c = await Client.connect(server.port);
    assert.equal(await c.call("GET", "k"), "v");
    await c.call("SELECT", "1");
    assert.deepEqual(await c.call("LRANGE", "l", "0", "-1"), ["a"]);
    c.close();
  } finally {
    await server.stop();
  }
  Deno.writeTextFileSync(file, `{"db":0,"key":"k","type":"string","value":"v"}\n{"db":0}\n`);
  result = await tool(["import", file, "--force", "--dir", dir]);
  assert.equal(result.code, 1);
  assert.match(result.out, /line 2: "key" must be/);
  assert.ok(!listDir(dir).includes("dump.rdb"), "a failed import writes nothing");
});
