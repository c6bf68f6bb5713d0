// The conformance suite every value codec runs (src/persistence/codecs/): its RDB
// form, DUMP payload and JSON form come back as the same value in the same encoding,
// its sizes and rewrite agree with the value, and the registry finds it by TYPE name,
// by value and by every RDB type byte it reads. A new codec needs samples here.

import assert from "node:assert/strict";
import { DEFAULT_LIMITS, type ValueCodec } from "../../src/persistence/codecs/codec.ts";
import {
  codecForRdbType,
  codecNamed,
  codecOf,
  CODECS,
  isEmptyValue,
  valueBytes,
} from "../../src/persistence/codecs/mod.ts";
import { valueDigest } from "../../src/persistence/digest.ts";
import { ByteReader, ByteWriter } from "../../src/persistence/rdb_format.ts";
import { readPayload, verifyPayload } from "../../src/persistence/rdb_reader.ts";
import { dumpPayload } from "../../src/persistence/rdb_writer.ts";
import { HashValue } from "../../src/store/hash.ts";
import { ListValue } from "../../src/store/list.ts";
import { SetValue } from "../../src/store/set.ts";
import { StreamValue } from "../../src/store/stream.ts";
import { ConsumerGroup } from "../../src/store/stream_groups.ts";
import { encodingOf, typeOf, type Value } from "../../src/store/value.ts";
import { SortedSetValue } from "../../src/store/zset.ts";

// Redis's defaults, which loading applies again: every sample is encoded as they say.
const LIMITS = { maxListpackEntries: 128, maxListpackValue: 64 };

function hash(pairs: string[]): HashValue {
  const h = new HashValue();
  for (let i = 0; i < pairs.length; i += 2) h.set(pairs[i], pairs[i + 1], LIMITS);
  return h;
}

function set(members: string[]): SetValue {
  const s = new SetValue();
  for (const m of members) s.add(m, 512);
  return s;
}

function stream(entries: number, withGroups: boolean): StreamValue {
  const st = new StreamValue();
  const limits = { maxBytes: 4096, maxEntries: 100 };
  for (let i = 1; i <= entries; i++) {
    st.append(BigInt(i) << 64n | 1n, i % 3 ? ["a", String(i), "b", "\xff"] : ["c", "x"], limits);
  }
  if (entries > 1) st.delete(2n << 64n | 1n);
  if (withGroups) {
    const group = new ConsumerGroup("g", st.lastId, st.length);
    const { consumer } = group.consumer("alice", 1700000000000);
    group.consumer("bob", 1700000000001);
    if (entries > 0) group.deliver(1n << 64n | 1n, consumer, 1700000000002, false);
    st.groups.set("g", group);
    st.groups.set("other", new ConsumerGroup("other", 0n, -1));
  }
  return st;
}

/** Values of each type, in each encoding it has under Redis's default limits. */
const SAMPLES: Record<string, () => Value[]> = {
  string: () => ["hello", "12345", "", "\x00\xff", "z".repeat(300), new Uint8Array(100).fill(7)],
  list: () => [
    ListValue.from(["a", "1", "-7", "\xff"]),
    ListValue.from(Array.from({ length: 2000 }, (_, i) => `element ${i}`)),
  ],
  set: () => [
    set(["1", "-3", "70000", "5000000000"]),
    set(["x", "1", "\x00"]),
    set(Array.from({ length: 600 }, (_, i) => String(i))),
  ],
  zset: () => [
    SortedSetValue.fromEntries([["a", 1], ["b", 0.1], ["c", -Infinity], ["d", Infinity]], LIMITS),
    SortedSetValue.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`m${i}`, i % 2 ? i / 3 : -0]),
      LIMITS,
    ),
  ],
  hash: () => [hash(["f", "v", "g", "100"]), hash(["f", "v", "\x01", "\xfe".repeat(65)])],
  stream: () => [stream(3, false), stream(0, true), stream(450, true)],
};

function rdbRoundTrip(codec: ValueCodec, value: Value): Value {
  const w = new ByteWriter(64);
  const type = codec.rdbType(value);
  codec.writeRdb(w, value, { compress: true });
  const r = new ByteReader(w.take());
  const decoded = codec.readRdb(r, type);
  assert.equal(r.remaining, 0, "the reader stops where the writer stopped");
  assert.equal(codec.decodedSize(decoded), codec.size(value));
  return codec.build(decoded, DEFAULT_LIMITS);
}

function assertSame(back: Value, value: Value, how: string): void {
  assert.equal(typeOf(back), typeOf(value), how);
  assert.equal(encodingOf(back), encodingOf(value), how);
  assert.equal(valueDigest(back), valueDigest(value), how);
}

for (const codec of CODECS) {
  Deno.test(`the ${codec.type} codec's forms all come back as the same value`, () => {
    const samples = SAMPLES[codec.type];
    assert.ok(samples !== undefined, `no samples for ${codec.type} in codecs_test.ts`);
    for (const value of samples()) {
      const what = `${codec.type} ${encodingOf(value)}`;
      assert.equal(codecOf(value), codec, what);
      assert.ok(codec.rdbTypes.includes(codec.rdbType(value)), what);
      assert.ok(codec.size(value) > 0 && !isEmptyValue(value), what);
      assertSame(rdbRoundTrip(codec, value), value, `${what} through RDB`);

      const payload = dumpPayload(value, { compress: false });
      assert.ok(verifyPayload(payload), what);
      assertSame(readPayload(payload, DEFAULT_LIMITS)!, value, `${what} through DUMP`);

      const json = JSON.parse(JSON.stringify(codec.toJson(value)));
      const fail = (message: string): never => assert.fail(`${what}: ${message}`);
      const decoded = codec.fromJson(json, fail);
      assert.equal(codec.decodedSize(decoded), codec.size(value), what);
      const back = codec.build(decoded, DEFAULT_LIMITS);
      assert.equal(valueDigest(back), valueDigest(value), `${what} through JSON`);

      const commands = [...codec.rewrite("k", value)];
      assert.ok(commands.length > 0 && commands.every((argv) => argv.includes("k")), what);
      assert.ok(valueBytes(value) > 0, what);
    }
  });

  Deno.test(`the registry finds the ${codec.type} codec by name and RDB type`, () => {
    assert.equal(codecNamed(codec.type), codec);
    for (const type of codec.rdbTypes) assert.equal(codecForRdbType(type), codec);
  });
}

Deno.test("every RDB type byte and TYPE name belongs to at most one codec", () => {
  const names = CODECS.map((c) => c.type);
  assert.equal(new Set(names).size, names.length);
  const types = CODECS.flatMap((c) => c.rdbTypes);
  assert.equal(new Set(types).size, types.length);
  const digestTypes = CODECS.map((c) => c.digestType);
  assert.equal(new Set(digestTypes).size, digestTypes.length);
});
