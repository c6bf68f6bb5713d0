// A diskless full resync's payload ends at a 40-byte mark, which may arrive split over
// reads, with the replication stream after it in the same read.

import assert from "node:assert/strict";
import { LinkReader, MarkFinder } from "../../src/replication/master_connection.ts";
import { rng } from "../_random.ts";

// A connection handing out `data` in reads of the given sizes (cycled).
function fakeConn(data: Uint8Array, sizes: number[]): Deno.Conn {
  let at = 0;
  let turn = 0;
  return {
    read(into: Uint8Array): Promise<number | null> {
      if (at === data.length) return Promise.resolve(null);
      const n = Math.min(sizes[turn++ % sizes.length], into.length, data.length - at);
      into.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  } as unknown as Deno.Conn;
}

function naiveFind(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const MARK = new TextEncoder().encode("0123456789abcdef0123456789abcdef01234567");

Deno.test("the mark finder finds what a byte-by-byte search finds", () => {
  const random = rng(3);
  for (let round = 0; round < 300; round++) {
    const data = new Uint8Array(Math.floor(random() * 3000));
    // Bytes drawn from the mark's own, so near misses are common.
    for (let i = 0; i < data.length; i++) data[i] = MARK[Math.floor(random() * MARK.length)];
    if (data.length >= MARK.length && random() < 0.7) {
      const at = Math.floor(random() * (data.length - MARK.length + 1));
      data.set(MARK.subarray(0, random() < 0.2 ? MARK.length - 1 : MARK.length), at);
    }
    assert.equal(new MarkFinder(MARK).find(data), naiveFind(data, MARK), `round ${round}`);
  }
});

Deno.test("a payload up to the mark comes whole, however the reads split it", async () => {
  const random = rng(5);
  for (let round = 0; round < 200; round++) {
    const payload = new Uint8Array(Math.floor(random() * 5000));
    for (let i = 0; i < payload.length; i++) payload[i] = MARK[Math.floor(random() * MARK.length)];
    const stream = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");
    const data = new Uint8Array(payload.length + MARK.length + stream.length);
    data.set(payload);
    data.set(MARK, payload.length);
    data.set(stream, payload.length + MARK.length);
    const sizes = Array.from({ length: 7 }, () => 1 + Math.floor(random() * 90));
    const reader = new LinkReader(fakeConn(data, sizes), () => {});
    const pieces: Uint8Array[] = [];
    let lastTotal = 0;
    const kept = await reader.untilMark(MARK, (total, fresh) => {
      pieces.push(fresh.slice());
      lastTotal = total;
    });
    assert.deepEqual(kept, payload, `round ${round}`);
    const shown = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    pieces.reduce((at, p) => (shown.set(p, at), at + p.length), 0);
    assert.deepEqual(shown, payload);
    assert.equal(lastTotal, payload.length);
    // What came after the mark in the last read stays for the stream.
    const rest = reader.rest();
    assert.deepEqual(rest, stream.subarray(0, rest.length));
  }
});
