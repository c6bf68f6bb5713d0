// A snapshot loaded as it arrives (SnapshotStream): whatever the pieces it comes in, the
// keys loaded are those of the whole file, each record is loaded as soon as it is all
// there, and a file cut short or damaged fails as the whole file's load does.

import assert from "node:assert/strict";
import { RdbError } from "../../src/persistence/rdb_format.ts";
import { dumpPayload } from "../../src/persistence/rdb_writer.ts";
import { loadSnapshotBytes } from "../../src/persistence/snapshot.ts";
import { SnapshotStream } from "../../src/persistence/snapshot_stream.ts";
import { HashValue } from "../../src/store/hash.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { rdbFileOf, sampleFile } from "./_rdb_sample.ts";

// Every key as "db key" → its expiry and DUMP payload.
function contents(keyspace: Keyspace): Map<string, string> {
  const out = new Map<string, string>();
  for (const db of keyspace.databases) {
    for (const [key, value] of db.data) {
      const payload = dumpPayload(value, { compress: false });
      out.set(`${db.id} ${key}`, `${db.getExpireExact(key) ?? "-"} ${payload.join(",")}`);
    }
  }
  return out;
}

// Pushes `bytes` in pieces of the sizes `sizes` gives, then finishes.
function streamed(bytes: Uint8Array, sizes: () => number, expected = 0): Keyspace {
  const keyspace = new Keyspace(16);
  const stream = new SnapshotStream(keyspace, {}, expected);
  for (let at = 0; at < bytes.length;) {
    const end = Math.min(bytes.length, at + sizes());
    stream.push(bytes.subarray(at, end));
    at = end;
  }
  stream.finish();
  return keyspace;
}

// A file with a value far larger than one piece (a hash of 5,000 fields, most of the
// file) between 1,000 small keys and 1,000 more.
function largeFile(): Uint8Array {
  const keyspace = new Keyspace(16);
  const db = keyspace.databases[0];
  const hash = new HashValue();
  const limits = { maxListpackEntries: 128, maxListpackValue: 64 };
  for (let i = 0; i < 5000; i++) hash.set(`field:${i}`, `value:${i}`, limits);
  for (let i = 0; i < 1000; i++) db.set(`k:${i}`, `v:${i}`);
  db.set("big", hash);
  for (let i = 1000; i < 2000; i++) db.set(`k:${i}`, `v:${i}`);
  return rdbFileOf(keyspace);
}

function wholeLoad(bytes: Uint8Array): Keyspace {
  const keyspace = new Keyspace(16);
  loadSnapshotBytes(keyspace, bytes);
  return keyspace;
}

Deno.test("pieces of any size load the keys the whole file holds", () => {
  for (const file of [sampleFile(), largeFile()]) {
    const whole = contents(wholeLoad(file));
    for (const size of [1, 2, 3, 7, 64, 1000, 65536]) {
      assert.deepEqual(contents(streamed(file, () => size)), whole, `pieces of ${size}`);
    }
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 3000 + 1;
    assert.deepEqual(contents(streamed(file, random)), whole, "random pieces");
    assert.deepEqual(contents(streamed(file, () => 100, file.length)), whole, "size known");
  }
});

Deno.test("each record is loaded once it has all arrived", () => {
  const file = largeFile();
  const keyspace = new Keyspace(16);
  const stream = new SnapshotStream(keyspace, {});
  const half = Math.floor(file.length / 2);
  for (let at = 0; at < half; at += 500) stream.push(file.subarray(at, Math.min(half, at + 500)));
  // Half the file ends inside the large hash: the keys before it are loaded.
  assert.equal(keyspace.databases[0].size, 1000);
  assert.equal(stream.done, false);
  stream.push(file.subarray(half));
  assert.equal(stream.done, true);
  assert.equal(stream.finish().keys, 2001);
});

Deno.test("a file cut short fails at finish, where the whole file's load fails", () => {
  const file = sampleFile();
  for (let cut = 0; cut < file.length; cut += 3) {
    let expected: RdbError | undefined;
    try {
      wholeLoad(file.subarray(0, cut));
    } catch (error) {
      expected = error as RdbError;
    }
    assert.ok(expected instanceof RdbError, `the whole file cut at ${cut} loaded`);
    const stream = new SnapshotStream(new Keyspace(16), {});
    stream.push(file.subarray(0, cut));
    assert.throws(() => stream.finish(), (error) => {
      assert.ok(error instanceof RdbError, `cut at ${cut}: ${error}`);
      assert.equal(error.message, expected!.message);
      return true;
    });
  }
});

Deno.test("damaged bytes fail with the whole file's error, and the stream stays failed", () => {
  const file = sampleFile();
  let failures = 0;
  for (let at = 9; at < file.length; at += 5) {
    const bad = file.slice();
    bad[at] ^= 0x5a;
    let expected: string | null = null;
    try {
      wholeLoad(bad);
    } catch (error) {
      assert.ok(error instanceof RdbError);
      expected = error.message;
    }
    const stream = new SnapshotStream(new Keyspace(16), {});
    let got: string | null = null;
    try {
      for (let i = 0; i < bad.length; i += 16) stream.push(bad.subarray(i, i + 16));
      stream.finish();
    } catch (error) {
      assert.ok(error instanceof RdbError, `byte ${at}: ${error}`);
      got = error.message;
      assert.throws(() => stream.push(new Uint8Array(1)), RdbError);
      assert.throws(() => stream.finish(), RdbError);
    }
    assert.equal(got, expected, `byte ${at}`);
    if (got !== null) failures++;
  }
  assert.ok(failures > 0);
});
