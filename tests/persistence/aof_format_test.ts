// Unit tests of the AOF pieces: the manifest format, the writer's bytes (SELECT only
// when the database changes, MULTI/EXEC as given) and the loader's handling of
// truncated tails, corruption, MULTI blocks and annotations.

import assert from "node:assert/strict";
import { AofWriter, keyCommands } from "../../src/persistence/aof.ts";
import { AofLoadError, replayAofFile } from "../../src/persistence/aof_loader.ts";
import {
  AofNames,
  formatManifest,
  ManifestError,
  parseManifest,
  readManifest,
  writeManifest,
} from "../../src/persistence/aof_manifest.ts";
import { HashValue } from "../../src/store/hash.ts";
import { bytes, resp } from "../_server.ts";

Deno.test("a manifest as Redis 7.0 writes it parses and formats back byte for byte", () => {
  const text = "file appendonly.aof.3.base.rdb seq 3 type b\n" +
    "file appendonly.aof.2.incr.aof seq 2 type h\n" +
    "file appendonly.aof.4.incr.aof seq 4 type i\n" +
    "file appendonly.aof.5.incr.aof seq 5 type i\n";
  const m = parseManifest(text);
  assert.equal(m.base?.name, "appendonly.aof.3.base.rdb");
  assert.equal(m.baseSeq, 3);
  assert.equal(m.incrSeq, 5);
  assert.deepEqual(m.incrs.map((f) => f.seq), [4, 5]);
  assert.equal(m.history.length, 1);
  assert.equal(formatManifest(m), text);
});

Deno.test("manifest lines may list their keys in any order, with comments and unknown keys", () => {
  const m = parseManifest(
    "# a comment\ntype b seq 1 file base.rdb\nfile x.aof seq 2 type i future yes\n",
  );
  assert.equal(m.base?.name, "base.rdb");
  assert.equal(m.incrs[0].name, "x.aof");
});

Deno.test("file names with blanks or odd bytes are quoted and read back", () => {
  const names = ["my file.aof.1.incr.aof", 'quote"d', "tab\there", "\x01bin\xff"];
  for (const name of names) {
    const text = formatManifest({
      base: null,
      incrs: [{ name, seq: 1, type: "i" }],
      history: [],
      baseSeq: 0,
      incrSeq: 1,
    });
    assert.equal(parseManifest(text).incrs[0].name, name, text);
  }
});

Deno.test("a broken manifest is refused with a reason", () => {
  const bad = [
    "",
    "file a seq 1\n",
    "file a seq 1 type b\nfile b seq 2 type b\n",
    "file a seq 2 type i\nfile b seq 2 type i\n",
    "file a seq 1 type x\n",
    "file dir/a seq 1 type i\n",
    "file a seq 1 type i", // no final newline: written halfway
    "file a seq 0 type i\n",
  ];
  for (const text of bad) {
    assert.throws(() => parseManifest(text), ManifestError, JSON.stringify(text));
  }
});

Deno.test("writeManifest replaces the manifest atomically and leaves no temporary file", () => {
  const dir = Deno.makeTempDirSync();
  const names = new AofNames("appendonly.aof");
  writeManifest(dir, names, parseManifest("file a seq 1 type b\n"));
  writeManifest(dir, names, parseManifest("file b seq 2 type b\n"));
  assert.equal(readManifest(dir, names)?.base?.name, "b");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["appendonly.aof.manifest"]);
  assert.equal(readManifest(Deno.makeTempDirSync(), names), null);
});

Deno.test("the writer emits SELECT only when the database changes, and again in a new file", () => {
  const dir = Deno.makeTempDirSync();
  const w = new AofWriter({ fsync: "no", onError: (e) => assert.fail(String(e)) });
  w.open(`${dir}/1.aof`);
  w.feed(0, ["SET", "a", "1"]);
  w.feed(0, ["SET", "b", "\x00\xff"]);
  w.feed(3, ["MULTI"]);
  w.feed(3, ["INCR", "n"]);
  w.feed(-1, ["EXEC"]);
  w.feed(3, ["DEL", "a"]);
  w.write();
  w.open(`${dir}/2.aof`);
  w.feed(3, ["SET", "c", "3"]);
  w.closeSync();
  const text = (path: string) => String.fromCharCode(...Deno.readFileSync(path));
  assert.equal(
    text(`${dir}/1.aof`),
    resp("SELECT", "0") + resp("SET", "a", "1") + resp("SET", "b", "\x00\xff") +
      resp("SELECT", "3") + resp("MULTI") + resp("INCR", "n") + resp("EXEC") +
      resp("DEL", "a"),
  );
  assert.equal(text(`${dir}/2.aof`), resp("SELECT", "3") + resp("SET", "c", "3"));
});

Deno.test("aof-timestamp-enabled: a #TS line before the first command of each new second", () => {
  const dir = Deno.makeTempDirSync();
  const w = new AofWriter({ fsync: "no", onError: (e) => assert.fail(String(e)) });
  w.timestamps = true;
  w.open(`${dir}/1.aof`);
  const before = Math.floor(Date.now() / 1000);
  w.feed(0, ["SET", "a", "1"]);
  w.feed(0, ["SET", "b", "2"]);
  const after = Math.floor(Date.now() / 1000);
  w.closeSync();
  const text = String.fromCharCode(...Deno.readFileSync(`${dir}/1.aof`));
  const stamps = text.match(/#TS:(\d+)\r\n/g) ?? [];
  // One annotation first (two if the second turned between the commands), then SELECT.
  assert.ok(text.startsWith("#TS:"), text);
  assert.ok(stamps.length >= 1 && stamps.length <= 1 + after - before);
  const first = Number(stamps[0]!.slice(4, -2));
  assert.ok(first >= before && first <= after);
  assert.equal(
    text.replace(/#TS:\d+\r\n/g, ""),
    resp("SELECT", "0") + resp("SET", "a", "1") + resp("SET", "b", "2"),
  );
});

Deno.test("appendfsync always: sync() resolves once everything fed is on disk, shared by callers", async () => {
  const dir = Deno.makeTempDirSync();
  const w = new AofWriter({ fsync: "always", onError: (e) => assert.fail(String(e)) });
  w.open(`${dir}/a.aof`);
  w.feed(0, ["SET", "k", "v"]);
  assert.ok(w.needsSync);
  const first = w.sync();
  w.feed(0, ["SET", "k2", "v2"]);
  const second = w.sync();
  await Promise.all([first, second]);
  assert.equal(w.needsSync, false);
  assert.equal(Deno.statSync(`${dir}/a.aof`).size, w.fileSize);
  w.closeSync();
});

Deno.test("a rewrite in AOF format writes a collection 64 elements a command, then its TTL", () => {
  const hash = new HashValue();
  for (let i = 0; i < 130; i++) {
    hash.set(`f${i}`, `v${i}`, { maxListpackEntries: 512, maxListpackValue: 64 });
  }
  const commands = [...keyCommands("h", hash, 1795292166175)];
  assert.deepEqual(commands.map((c) => [c[0], c.length]), [
    ["HMSET", 130],
    ["HMSET", 130],
    ["HMSET", 6],
    ["PEXPIREAT", 3],
  ]);
  assert.deepEqual(commands[3], ["PEXPIREAT", "h", "1795292166175"]);
});

// A replay target that records what it runs.
function recorder(databases = 16) {
  const ran: [number, ...string[]][] = [];
  return {
    ran,
    target: {
      databases,
      run(db: number, argv: string[]) {
        if (argv[0] === "NOPE") return `Unknown command '${argv[0]}'`;
        ran.push([db, ...argv]);
        return null;
      },
    },
  };
}

function file(content: string): string {
  const path = Deno.makeTempFileSync({ suffix: ".aof" });
  Deno.writeFileSync(path, bytes(content));
  return path;
}

const warnings: string[] = [];
const baseOptions = {
  name: "test.aof",
  manifestName: "appendonly.aof.manifest",
  allowTruncated: true,
  warn: (m: string) => warnings.push(m),
};

Deno.test("the loader tracks SELECT, skips annotations and runs a MULTI block at its EXEC", async () => {
  const { ran, target } = recorder();
  const path = file(
    resp("SELECT", "0") + resp("SET", "a", "1") + "#TS:1700000000\r\n" + resp("SELECT", "2") +
      resp("MULTI") + resp("SET", "b", "2") + resp("SELECT", "5") + resp("SET", "c", "\r\n") +
      resp("EXEC") + resp("DEL", "c"),
  );
  const result = await replayAofFile(path, target, baseOptions);
  assert.deepEqual(ran, [[0, "SET", "a", "1"], [2, "SET", "b", "2"], [5, "SET", "c", "\r\n"], [
    5,
    "DEL",
    "c",
  ]]);
  assert.equal(result.truncatedAt, undefined);
  assert.equal(result.size, Deno.statSync(path).size);
});

Deno.test("a tail cut inside a command is truncated after the last complete command", async () => {
  const good = resp("SET", "a", "1") + resp("SET", "b", "2");
  const whole = good + resp("SET", "c", "3");
  for (let cut = good.length + 1; cut < whole.length; cut++) {
    const { ran, target } = recorder();
    const path = file(whole.slice(0, cut));
    const result = await replayAofFile(path, target, baseOptions);
    assert.equal(result.truncatedAt, good.length, `cut at ${cut}`);
    assert.equal(ran.length, 2);
    assert.equal(Deno.statSync(path).size, good.length, "the file itself is cut");
  }
});

Deno.test("a truncated MULTI block is reverted to the offset of its MULTI", async () => {
  const { ran, target } = recorder();
  const before = resp("SET", "a", "1");
  const path = file(before + resp("MULTI") + resp("SET", "b", "2") + resp("INCR", "c"));
  const result = await replayAofFile(path, target, baseOptions);
  assert.equal(result.truncatedAt, before.length);
  assert.deepEqual(ran, [[0, "SET", "a", "1"]]);
  assert.ok(warnings.some((w) => w.includes("Revert incomplete MULTI/EXEC")));
});

Deno.test("a truncated file is an error when truncation is not allowed", async () => {
  const { target } = recorder();
  const good = resp("SET", "a", "1");
  const path = file(good + "*3\r\n$3\r\nSET");
  await assert.rejects(
    () => replayAofFile(path, target, { ...baseOptions, allowTruncated: false }),
    (e: unknown) =>
      e instanceof AofLoadError && e.offset === good.length &&
      /Unexpected end of file/.test(e.message),
  );
  assert.equal(Deno.statSync(path).size, good.length + 11, "the file is left alone");
});

Deno.test("corruption in the middle stops loading with a message naming the byte offset", async () => {
  const first = resp("SET", "a", "1");
  const cases: [string, number][] = [
    [first + "X" + resp("SET", "b", "2").slice(1), first.length],
    [first + "*2\r\n#4\r\nINCR\r\n$1\r\nb\r\n", first.length + 4],
    [first + "*2\r\n$4\r\nINCRxx$1\r\nb\r\n", first.length + 12],
    [first + "*x\r\n", first.length + 1],
    [first + "*0\r\n", first.length + 1],
    [first + "*1\r\n$-3\r\n", first.length + 5],
    [first + "*1\r\n$3x\r\n", first.length + 6],
  ];
  for (const [content, offset] of cases) {
    const { target } = recorder();
    const path = file(content);
    await assert.rejects(
      () => replayAofFile(path, target, baseOptions),
      (e: unknown) =>
        e instanceof AofLoadError && e.offset === offset &&
        e.message.includes(`offset ${offset}`) && e.message.includes("Bad file format"),
      JSON.stringify(content),
    );
    assert.equal(Deno.statSync(path).size, content.length, "a corrupt file is never cut");
  }
});

Deno.test("an unknown command or a SELECT out of range stops loading", async () => {
  for (const content of [resp("NOPE", "x"), resp("SELECT", "16"), resp("SELECT", "x")]) {
    const { target } = recorder();
    await assert.rejects(() => replayAofFile(file(content), target, baseOptions), AofLoadError);
  }
});

Deno.test("arguments larger than the read chunk load whole", async () => {
  const { ran, target } = recorder();
  const big = "x".repeat(9 * 1024 * 1024 + 17);
  const path = file(resp("SET", "big", big) + resp("SET", "after", "1"));
  await replayAofFile(path, target, baseOptions);
  assert.equal(ran.length, 2);
  assert.equal(ran[0][3], big);
});
