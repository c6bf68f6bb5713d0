// Truncated and corrupted RDB files: every one is refused with an RdbError naming a
// byte offset, never loaded halfway, never another kind of exception.

import assert from "node:assert/strict";
import { Keyspace } from "../../src/store/keyspace.ts";
import { RdbError } from "../../src/persistence/rdb_format.ts";
import { readRdb } from "../../src/persistence/rdb_reader.ts";
import { loadSnapshotBytes } from "../../src/persistence/snapshot.ts";
import { sampleFile } from "./_rdb_sample.ts";

function load(bytes: Uint8Array, verifyChecksum = true): void {
  loadSnapshotBytes(new Keyspace(16), bytes, { verifyChecksum });
}

function offsetOf(error: unknown): number {
  assert.ok(error instanceof RdbError, `expected an RdbError, got ${error}`);
  assert.match(error.message, / at byte offset \d+$/);
  return error.offset;
}

Deno.test("the sample file loads whole", () => {
  const ks = new Keyspace(16);
  const summary = loadSnapshotBytes(ks, sampleFile());
  assert.equal(summary.keys, 12);
  assert.equal(ks.databases[2].get("other"), "db 2");
});

Deno.test("every truncation of a file is an error at or before the cut", () => {
  const file = sampleFile();
  for (let cut = 0; cut < file.length; cut++) {
    try {
      load(file.subarray(0, cut));
    } catch (error) {
      const offset = offsetOf(error);
      assert.ok(offset <= cut, `cut at ${cut}, error at ${offset}`);
      continue;
    }
    assert.fail(`a file cut at ${cut} of ${file.length} bytes loaded`);
  }
});

Deno.test("a truncated file's error says the data ended early", () => {
  const file = sampleFile();
  assert.throws(() => load(file.subarray(0, 120)), /unexpected end of data .* at byte offset \d+/);
});

Deno.test("every single corrupted byte is caught, by the parser or the checksum", () => {
  const file = sampleFile();
  for (let at = 0; at < file.length; at++) {
    const bad = file.slice();
    bad[at] ^= 0x5a;
    try {
      load(bad);
    } catch (error) {
      offsetOf(error);
      continue;
    }
    assert.fail(`corrupting byte ${at} went unnoticed`);
  }
});

Deno.test("a wrong checksum names the checksum's offset; a zero checksum is not checked", () => {
  const file = sampleFile();
  const bad = file.slice();
  bad[file.length - 1] ^= 1;
  assert.throws(() => load(bad), (e: unknown) => {
    assert.equal(offsetOf(e), file.length - 8);
    assert.match((e as Error).message, /wrong RDB checksum/);
    return true;
  });
  const zero = file.slice();
  zero.fill(0, file.length - 8);
  load(zero);
  load(bad, false);
});

Deno.test("random corruption with the checksum off never throws anything but RdbError", () => {
  const file = sampleFile();
  let x = 12345;
  const rand = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  let loaded = 0;
  for (let round = 0; round < 3000; round++) {
    const bad = file.slice();
    for (let k = 1 + rand(3); k > 0; k--) bad[9 + rand(file.length - 17)] = rand(256);
    try {
      load(bad, false);
      loaded++;
    } catch (error) {
      offsetOf(error);
    }
  }
  // Some mutations only change a value's bytes: those load, with different data.
  assert.ok(loaded < 3000);
});

Deno.test("a file that is not RDB, or from a newer Redis, is refused at its start", () => {
  assert.throws(() => load(new TextEncoder().encode("hello world")), /not an RDB file.*offset 0/);
  const file = sampleFile();
  const newer = file.slice();
  newer.set(new TextEncoder().encode("0011"), 5);
  assert.throws(() => load(newer), /can't handle RDB format version 11 at byte offset 5/);
});

Deno.test("a database number beyond the configured ones is refused where it is selected", () => {
  const file = sampleFile();
  assert.throws(
    () => loadSnapshotBytes(new Keyspace(2), file),
    /database 2, but only 2 are configured at byte offset \d+/,
  );
});

Deno.test("a RESIZEDB hint is trusted only as far as the bytes left could hold", () => {
  const bytesOf = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  // Database 0 claims 2^31 - 1 keys and holds one: "k" -> "v".
  const file = bytesOf(
    "REDIS0010\xfe\x00\xfb\x80\x7f\xff\xff\xff\x00\x00\x01k\x01v\xff" + "\x00".repeat(8),
  );
  const hints: [number, number][] = [];
  const keys: string[] = [];
  readRdb(file, (entry) => void keys.push(entry.key), {
    onSizeHint: (db, count) => void hints.push([db, count]),
  });
  assert.deepEqual(keys, ["k"]);
  assert.equal(hints.length, 1);
  assert.equal(hints[0][0], 0);
  assert.ok(hints[0][1] <= 5, `hint ${hints[0][1]}`);
  const keyspace = new Keyspace(16);
  loadSnapshotBytes(keyspace, file);
  assert.equal(keyspace.databases[0].size, 1);
});

Deno.test("modules, module data and functions without a loader are refused by name", () => {
  const header = "REDIS0010";
  const bytesOf = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
  for (
    const [body, message] of [
      ["\xfe\x00\x07\x01k", /module keys are not supported/],
      ["\xf7\x01", /module data/],
      ["\xf5\x01", /functions/],
    ] as const
  ) {
    assert.throws(
      () => readRdb(bytesOf(header + body), () => {}, { verifyChecksum: false }),
      message,
    );
  }
});
