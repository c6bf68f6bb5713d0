// The RDB building blocks: lengths, string encodings, listpacks, ziplists, intsets and
// zipmaps, each against byte strings Redis writes (or documents).

import assert from "node:assert/strict";
import { decodeIntset, encodeIntset } from "../../src/persistence/intset.ts";
import { decodeListpack, encodeListpack } from "../../src/persistence/listpack.ts";
import {
  ByteReader,
  ByteWriter,
  latin1,
  RdbError,
  smallIntOf,
  writeString,
} from "../../src/persistence/rdb_format.ts";
import { decodeZiplist, decodeZipmap } from "../../src/persistence/ziplist.ts";
import { bytes } from "../_server.ts";

function written(fn: (w: ByteWriter) => void): string {
  const w = new ByteWriter(16);
  fn(w);
  return latin1(w.buf, 0, w.pos);
}

Deno.test("lengths use 1, 2, 5 or 9 bytes at the 6, 14 and 32 bit boundaries", () => {
  const cases: [number, string][] = [
    [0, "\x00"],
    [63, "\x3f"],
    [64, "\x40\x40"],
    [16383, "\x7f\xff"],
    [16384, "\x80\x00\x00\x40\x00"],
    [0xffffffff, "\x80\xff\xff\xff\xff"],
    [0x100000000, "\x81\x00\x00\x00\x01\x00\x00\x00\x00"],
    [2 ** 53 - 1, "\x81\x00\x1f\xff\xff\xff\xff\xff\xff"],
  ];
  for (const [n, encoded] of cases) {
    assert.equal(written((w) => w.length(n)), encoded, `length ${n}`);
    const r = new ByteReader(bytes(encoded));
    assert.equal(r.length(), n);
    assert.equal(r.remaining, 0);
  }
});

Deno.test("short decimal strings are stored as 8, 16 or 32 bit integers", () => {
  const cases: [string, string][] = [
    ["0", "\xc0\x00"],
    ["-1", "\xc0\xff"],
    ["127", "\xc0\x7f"],
    ["128", "\xc1\x80\x00"],
    ["-32768", "\xc1\x00\x80"],
    ["123456", "\xc2\x40\xe2\x01\x00"],
    ["-2147483648", "\xc2\x00\x00\x00\x80"],
  ];
  for (const [text, encoded] of cases) {
    assert.equal(written((w) => writeString(w, text, true)), encoded, text);
    assert.equal(new ByteReader(bytes(encoded)).string(), text);
  }
});

Deno.test("strings that only look like integers are stored as text", () => {
  for (const text of ["2147483648", "-0", "007", "+1", "1 ", "12345678901", ""]) {
    assert.equal(smallIntOf(text), null, text);
    const encoded = written((w) => writeString(w, text, true));
    assert.equal(encoded, String.fromCharCode(text.length) + text);
  }
});

Deno.test("strings over 20 bytes are LZF-compressed only when that saves 4 bytes", () => {
  const long = "a".repeat(66);
  assert.equal(written((w) => writeString(w, long, true)), "\xc3\x09\x40\x42\x01aa\xe05\x00\x01aa");
  assert.equal(written((w) => writeString(w, long, false)), "\x40\x42" + long);
  const twenty = "a".repeat(20);
  assert.equal(written((w) => writeString(w, twenty, true)), "\x14" + twenty);
  const r = new ByteReader(bytes("\xc3\x09\x40\x42\x01aa\xe05\x00\x01aa"));
  assert.equal(r.string(), long);
});

Deno.test("reading past the end names the offset", () => {
  const r = new ByteReader(bytes("\x05abc"), 0, 100);
  assert.throws(() => r.string(), (e: unknown) => {
    assert.ok(e instanceof RdbError);
    assert.equal(e.offset, 101);
    assert.match(e.message, /at byte offset 101$/);
    return true;
  });
});

Deno.test("a listpack matches the one Redis builds for RPUSH a b c 1 2 300 -5 100000", () => {
  // From DUMP of that list on redis-server 7.0.15 (the single quicklist node).
  const redis = bytes(
    "\x1f\x00\x00\x00\x08\x00\x81a\x02\x81b\x02\x81c\x02\x01\x01\x02\x01\xc1,\x02\xdf\xfb\x02" +
      "\xf2\xa0\x86\x01\x04\xff",
  );
  const items = ["a", "b", "c", "1", "2", "300", "-5", "100000"];
  assert.deepEqual(encodeListpack(items), redis);
  assert.deepEqual(decodeListpack(redis), items);
});

Deno.test("listpacks round-trip every integer width and string length class", () => {
  const items = [
    "0",
    "127",
    "128",
    "-1",
    "4095",
    "-4096",
    "4096",
    "32767",
    "-32768",
    "8388607",
    "-8388608",
    "2147483647",
    "-2147483648",
    "2147483648",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "01",
    "-0",
    "",
    "x".repeat(63),
    "x".repeat(64),
    "y".repeat(4095),
    "z".repeat(4096),
    "w".repeat(70000),
    "\x00\xff binary",
  ];
  const lp = encodeListpack(items);
  assert.deepEqual(decodeListpack(lp), items);
});

Deno.test("a listpack with more than 65535 elements stores an unknown count", () => {
  const items = Array.from({ length: 70000 }, (_, i) => String(i % 10));
  const lp = encodeListpack(items);
  assert.equal(lp[4] | (lp[5] << 8), 65535);
  assert.equal(decodeListpack(lp).length, 70000);
});

Deno.test("corrupt listpacks are refused with the offset of the bad entry", () => {
  const lp = encodeListpack(["a", "b"]);
  const wrongTotal = lp.slice();
  wrongTotal[0]++;
  assert.throws(() => decodeListpack(wrongTotal, 1000), /at byte offset 1000$/);
  const badBacklen = lp.slice();
  badBacklen[8] = 5; // backlen of "a"
  assert.throws(() => decodeListpack(badBacklen, 1000), /at byte offset 1008$/);
  const badEncoding = lp.slice();
  badEncoding[6] = 0xf5;
  assert.throws(() => decodeListpack(badEncoding, 1000), /at byte offset 1006$/);
});

Deno.test("a ziplist is read as documented: 2, 5, then Hello World", () => {
  const zl = bytes(
    "\x1c\x00\x00\x00\x0e\x00\x00\x00\x03\x00\x00\xf3\x02\xf6\x02\x0bHello World\xff",
  );
  // zltail points at the last entry (offset 14).
  assert.deepEqual(decodeZiplist(zl), ["2", "5", "Hello World"]);
});

Deno.test("ziplists of every integer encoding and a long string are read", () => {
  // Built by hand: int8 -3, int16 1000, int24 -100000, int32 2^31-1, int64 2^40,
  // immediate 12, then a 300 byte string (14-bit length).
  const parts = [
    "\xfe\xfd",
    "\xc0\xe8\x03",
    "\xf0\x60\x79\xfe",
    "\xd0\xff\xff\xff\x7f",
    "\xe0\x00\x00\x00\x00\x00\x01\x00\x00",
    "\xfd",
    "\x41\x2c" + "s".repeat(300),
  ];
  let body = "";
  let prev = 0;
  let tail = 0;
  for (const p of parts) {
    tail = 10 + body.length;
    body += String.fromCharCode(prev) + p;
    prev = 1 + p.length;
  }
  const total = 10 + body.length + 1;
  const le32 = (n: number) =>
    String.fromCharCode(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24);
  const zl = bytes(le32(total) + le32(tail) + "\x07\x00" + body + "\xff");
  assert.deepEqual(decodeZiplist(zl), [
    "-3",
    "1000",
    "-100000",
    "2147483647",
    "1099511627776",
    "12",
    "s".repeat(300),
  ]);
  const broken = zl.slice();
  broken[13] = 9; // prevlen of the second entry, which starts at offset 13
  assert.throws(() => decodeZiplist(broken, 50), /at byte offset 63$/);
});

Deno.test("intsets of 16, 32 and 64 bit members round-trip, ascending", () => {
  for (
    const members of [
      ["-5", "1", "2", "300"],
      ["1", "100000"],
      ["-9223372036854775808", "0", "9223372036854775807"],
    ]
  ) {
    const blob = encodeIntset(members.map(BigInt).reverse());
    assert.deepEqual(decodeIntset(blob), members);
  }
  assert.equal(encodeIntset([1n, 2n])[0], 2);
  assert.equal(encodeIntset([1n, 70000n])[0], 4);
  assert.equal(encodeIntset([1n, 2n ** 40n])[0], 8);
  assert.throws(() => decodeIntset(bytes("\x03\x00\x00\x00\x00\x00\x00\x00")), RdbError);
  assert.throws(() => decodeIntset(bytes("\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00")), RdbError);
});

Deno.test("a zipmap is read as field, value pairs, skipping free space", () => {
  const zm = bytes("\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff");
  assert.deepEqual(decodeZipmap(zm), ["foo", "bar", "hello", "world"]);
});
