// The shared replication buffer (src/replication/backlog.ts): history kept for PSYNC,
// readers for replicas, trimming back to repl-backlog-size, and its memory figures.

import assert from "node:assert/strict";
import { type BacklogReader, ReplicationBacklog } from "../../src/replication/backlog.ts";

const KB = 1024;

// `n` bytes of the stream from stream offset `first` on: byte i is a function of its
// offset, so any slice can be checked.
function streamBytes(first: number, n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (first + i) % 251;
  return bytes;
}

function feed(backlog: ReplicationBacklog, n: number): void {
  backlog.append(streamBytes(backlog.end + 1, n));
}

// Reads everything the reader has to send, as the replica's socket would take it.
function drain(reader: BacklogReader, step = Infinity): Uint8Array {
  const parts: number[] = [];
  for (let chunk = reader.peek(); chunk !== null; chunk = reader.peek()) {
    const n = Math.min(chunk.length, step);
    for (let i = 0; i < n; i++) parts.push(chunk[i]);
    reader.advance(n);
  }
  return Uint8Array.from(parts);
}

Deno.test("a new backlog holds nothing and starts after its end offset", () => {
  const backlog = new ReplicationBacklog(16 * KB, 100);
  assert.deepEqual(backlog.histlen, 0);
  assert.deepEqual(backlog.firstByte, 101);
  assert.deepEqual(backlog.memory, 0);
  assert(backlog.holds(101));
  assert(!backlog.holds(100));
  assert(!backlog.holds(102));
});

Deno.test("history is trimmed back to the limit when no reader needs it", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  for (let i = 0; i < 100; i++) feed(backlog, 1000);
  assert.deepEqual(backlog.end, 100_000);
  assert(backlog.histlen >= 16 * KB, `histlen ${backlog.histlen}`);
  assert(backlog.histlen < 2 * 16 * KB, `histlen ${backlog.histlen}`);
  assert.deepEqual(backlog.firstByte, backlog.end - backlog.histlen + 1);
  // Without readers all of its memory is the backlog's own.
  assert.deepEqual(backlog.size, backlog.memory);
  assert.deepEqual(backlog.replicasShare, 0);
});

Deno.test("a reader sends the stream from its offset, across blocks", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  feed(backlog, 10 * KB);
  const reader = backlog.reader(5 * KB + 1);
  reader.sending = true;
  feed(backlog, 100 * KB);
  feed(backlog, 3);
  assert.deepEqual(drain(reader, 7000), streamBytes(5 * KB + 1, backlog.end - 5 * KB));
  assert.deepEqual(reader.offset, backlog.end + 1);
  assert.deepEqual(reader.peek(), null);
  feed(backlog, 10);
  assert.deepEqual(drain(reader), streamBytes(backlog.end - 9, 10));
});

Deno.test("a reader that is not sending yet holds the stream but gives nothing", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  const reader = backlog.reader(1);
  feed(backlog, 1000);
  assert.deepEqual(reader.peek(), null);
  assert(reader.held >= 1000);
  reader.sending = true;
  assert.deepEqual(drain(reader), streamBytes(1, 1000));
});

Deno.test("history grows past the limit while a reader needs it, and shrinks when it leaves", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  const slow = backlog.reader(1);
  for (let i = 0; i < 64; i++) feed(backlog, 4 * KB);
  assert.deepEqual(backlog.histlen, 256 * KB);
  assert.deepEqual(backlog.firstByte, 1);
  // Another replica can continue from anywhere in that longer history.
  assert(backlog.holds(100));
  const late = backlog.reader(100);
  late.sending = true;
  assert.deepEqual(drain(late), streamBytes(100, backlog.end - 99));
  // The slow replica holds all of it; the shared memory is counted once.
  assert(slow.held >= 256 * KB);
  assert(backlog.memory >= 256 * KB && backlog.memory < 300 * KB);
  assert.deepEqual(backlog.size, backlog.limit);
  assert.deepEqual(backlog.replicasShare, backlog.memory - backlog.limit);
  slow.release();
  assert(backlog.histlen < 2 * 16 * KB, `histlen ${backlog.histlen}`);
  assert(backlog.memory < 64 * KB, `memory ${backlog.memory}`);
  assert.deepEqual(slow.held, 0);
});

Deno.test("a reader moving on lets the blocks it left go", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  const reader = backlog.reader(1);
  reader.sending = true;
  for (let i = 0; i < 32; i++) feed(backlog, 4 * KB);
  assert.deepEqual(backlog.histlen, 128 * KB);
  drain(reader);
  assert(backlog.histlen < 2 * 16 * KB, `histlen ${backlog.histlen}`);
});

Deno.test("one big write is split in blocks of at most limit/16 (16 KB at least)", () => {
  const backlog = new ReplicationBacklog(16 * KB, 0);
  const reader = backlog.reader(1);
  reader.sending = true;
  feed(backlog, 256 * KB);
  drain(reader);
  // Caught up, the replica holds at most one block of it.
  assert(reader.held <= 16 * KB + 64, `held ${reader.held}`);
  const big = new ReplicationBacklog(32 * 1024 * KB, 0);
  big.append(streamBytes(1, 5 * 1024 * KB));
  // 2 MB blocks: three of them.
  assert(big.memory >= 5 * 1024 * KB && big.memory < 6 * 1024 * KB, `memory ${big.memory}`);
});

Deno.test("a smaller limit trims at once, and offsets not held are refused", () => {
  const backlog = new ReplicationBacklog(256 * KB, 0);
  for (let i = 0; i < 64; i++) feed(backlog, 4 * KB);
  assert.deepEqual(backlog.histlen, 256 * KB);
  backlog.resize(16 * KB);
  assert(backlog.histlen < 2 * 16 * KB, `histlen ${backlog.histlen}`);
  assert.throws(() => backlog.reader(1), RangeError);
  assert.throws(() => backlog.reader(backlog.end + 2), RangeError);
});
