// CRC-64/Jones: the standard check value, streaming in pieces, and a checksum Redis made.

import assert from "node:assert/strict";
import { Crc64, crc64 } from "../../src/persistence/crc64.ts";
import { bytes } from "../_server.ts";

Deno.test("crc64 of 123456789 is the CRC-64/Jones check value", () => {
  assert.equal(crc64(bytes("123456789")), 0xe9c6d914c4b8d9can);
});

Deno.test("crc64 of nothing is 0", () => {
  assert.equal(crc64(new Uint8Array(0)), 0n);
});

Deno.test("crc64 fed in pieces of every size equals crc64 of the whole", () => {
  const data = new Uint8Array(1000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  const whole = crc64(data);
  for (const piece of [1, 3, 7, 8, 9, 64, 999]) {
    const c = new Crc64();
    for (let i = 0; i < data.length; i += piece) c.update(data.subarray(i, i + piece));
    assert.equal(c.value(), whole, `pieces of ${piece}`);
  }
});

Deno.test("crc64 matches the checksum in a DUMP payload made by Redis 7.0", () => {
  // DUMP of the string "hello" on redis-server 7.0.15.
  const payload = bytes("\x00\x05hello\n\x00cr\xdfve4 \n");
  const c = new Crc64().update(payload.subarray(0, payload.length - 8));
  assert.ok(c.matchesLE(payload, payload.length - 8));
  assert.deepEqual(c.bytesLE(), payload.subarray(payload.length - 8));
});

Deno.test("large inputs (the WebAssembly loop) give the checksum small pieces give", () => {
  const data = new Uint8Array(300_007);
  let x = 12345;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const bySmallPieces = new Crc64();
  for (let i = 0; i < data.length; i += 1000) bySmallPieces.update(data.subarray(i, i + 1000));
  for (const piece of [4096, 4097, 65536, 65551, 100_000, data.length]) {
    const c = new Crc64();
    for (let i = 0; i < data.length; i += piece) c.update(data.subarray(i, i + piece));
    assert.equal(c.value(), bySmallPieces.value(), `pieces of ${piece}`);
  }
  // Mixed: a small piece, then a large one, then small again.
  const mixed = new Crc64().update(data.subarray(0, 5)).update(data.subarray(5, 250_000))
    .update(data.subarray(250_000));
  assert.equal(mixed.value(), bySmallPieces.value());
});
