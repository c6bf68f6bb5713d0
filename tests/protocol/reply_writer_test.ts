// Unit tests of the reply writer: every reply type in RESP2 and RESP3, binary data,
// growth past the initial buffer, and the double buffering used while a write is on its way.

import assert from "node:assert/strict";
import { ReplyWriter } from "../../src/protocol/reply_writer.ts";
import { formatDouble17 } from "../../src/protocol/number_format.ts";

function text(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function written(resp: 2 | 3, write: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.resp = resp;
  write(w);
  return text(w.take());
}

Deno.test("simple replies are encoded as Redis sends them", () => {
  assert.equal(written(2, (w) => w.ok()), "+OK\r\n");
  assert.equal(written(2, (w) => w.simple("PONG")), "+PONG\r\n");
  assert.equal(written(2, (w) => w.error("ERR bad\r\nthing")), "-ERR bad  thing\r\n");
  assert.equal(written(2, (w) => w.integer(-42)), ":-42\r\n");
  assert.equal(written(2, (w) => w.integer(9223372036854775807n)), ":9223372036854775807\r\n");
  assert.equal(written(2, (w) => w.bulk("")), "$0\r\n\r\n");
  assert.equal(written(2, (w) => w.bulk("hello")), "$5\r\nhello\r\n");
  assert.equal(written(2, (w) => w.bulk(new Uint8Array([0, 255]))), "$2\r\n\x00\xff\r\n");
});

Deno.test("nulls, maps, sets, doubles and booleans depend on the protocol version", () => {
  assert.equal(written(2, (w) => w.null()), "$-1\r\n");
  assert.equal(written(3, (w) => w.null()), "_\r\n");
  assert.equal(written(2, (w) => w.nullArray()), "*-1\r\n");
  assert.equal(written(3, (w) => w.nullArray()), "_\r\n");
  assert.equal(written(2, (w) => w.mapLen(2)), "*4\r\n");
  assert.equal(written(3, (w) => w.mapLen(2)), "%2\r\n");
  assert.equal(written(2, (w) => w.setLen(3)), "*3\r\n");
  assert.equal(written(3, (w) => w.setLen(3)), "~3\r\n");
  assert.equal(written(3, (w) => w.pushLen(3)), ">3\r\n");
  assert.equal(written(2, (w) => w.double(1.5)), "$3\r\n1.5\r\n");
  assert.equal(written(3, (w) => w.double(1.5)), ",1.5\r\n");
  assert.equal(written(3, (w) => w.double(-Infinity)), ",-inf\r\n");
  assert.equal(written(2, (w) => w.boolean(true)), ":1\r\n");
  assert.equal(written(3, (w) => w.boolean(false)), "#f\r\n");
  assert.equal(written(2, (w) => w.verbatim("a\r\nb")), "$4\r\na\r\nb\r\n");
  assert.equal(written(3, (w) => w.verbatim("a\r\nb")), "=8\r\ntxt:a\r\nb\r\n");
});

Deno.test("all 256 byte values survive a bulk reply, short and long", () => {
  let all = "";
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  assert.equal(written(2, (w) => w.bulk(all)), `$256\r\n${all}\r\n`);
  const long = all.repeat(100);
  assert.equal(written(2, (w) => w.bulk(long)), `$25600\r\n${long}\r\n`);
  const ascii = "abc".repeat(1000);
  assert.equal(written(2, (w) => w.bulk(ascii)), `$3000\r\n${ascii}\r\n`);
});

Deno.test("the buffer grows for a large pipeline of replies", () => {
  const w = new ReplyWriter();
  for (let i = 0; i < 10000; i++) w.bulk("value-" + i);
  const out = text(w.take());
  assert.ok(out.startsWith("$7\r\nvalue-0\r\n"));
  assert.ok(out.endsWith("$10\r\nvalue-9999\r\n"));
});

Deno.test("replies written during a send do not overwrite the bytes being sent", () => {
  const w = new ReplyWriter();
  w.simple("first");
  const sending = w.take();
  w.simple("second");
  assert.equal(text(sending), "+first\r\n");
  w.release(sending);
  assert.equal(text(w.take()), "+second\r\n");
});

Deno.test("doubles print like C's %.17g", () => {
  assert.equal(formatDouble17(0.1 + 0.2), "0.30000000000000004");
  assert.equal(formatDouble17(1e17), "1e+17");
  assert.equal(formatDouble17(1e16), "10000000000000000");
  assert.equal(formatDouble17(0.0001), "0.0001");
  assert.equal(formatDouble17(0.00001), "1.0000000000000001e-05");
  assert.equal(formatDouble17(-0), "-0");
  assert.equal(formatDouble17(Infinity), "inf");
  assert.equal(formatDouble17(3), "3");
});

Deno.test("pairs are flat in RESP2 and nested in RESP3", () => {
  const pairs = (w: ReplyWriter) => {
    w.pairsLen(2);
    for (const [a, b] of [["f", "1"], ["g", "2"]]) {
      w.pairStart();
      w.bulk(a);
      w.bulk(b);
    }
  };
  assert.equal(written(2, pairs), "*4\r\n$1\r\nf\r\n$1\r\n1\r\n$1\r\ng\r\n$1\r\n2\r\n");
  assert.equal(
    written(3, pairs),
    "*2\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n*2\r\n$1\r\ng\r\n$1\r\n2\r\n",
  );
});
