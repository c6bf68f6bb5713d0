// Unit tests of the request decoder: multibulk, inline, every split point, binary data,
// and each protocol error Redis 7.0 reports.

import assert from "node:assert/strict";
import { LANDING_SIZE, ProtocolError, RequestDecoder } from "../../src/protocol/decoder.ts";
import { RequestDecoderStream } from "../../src/protocol/decoder_stream.ts";
import { bytes, resp } from "../_server.ts";
import { rng } from "../_random.ts";

function decodeAll(input: string, decoder = new RequestDecoder()): string[][] {
  decoder.push(bytes(input));
  const out: string[][] = [];
  let argv: string[] | null;
  while ((argv = decoder.next()) !== null) out.push(argv);
  return out;
}

function protocolError(input: string, decoder = new RequestDecoder()): string {
  try {
    decodeAll(input, decoder);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
    return error.message;
  }
  assert.fail(`no protocol error for ${JSON.stringify(input)}`);
}

Deno.test("a multibulk request decodes to its arguments", () => {
  assert.deepEqual(decodeAll(resp("SET", "key", "value")), [["SET", "key", "value"]]);
});

Deno.test("pipelined requests decode in order", () => {
  const input = resp("PING") + resp("GET", "a") + "PING\r\n" + resp("ECHO", "");
  assert.deepEqual(decodeAll(input), [["PING"], ["GET", "a"], ["PING"], ["ECHO", ""]]);
});

Deno.test("every split point of a pipeline gives the same requests", () => {
  const input = resp("SET", "k\r\n", "v".repeat(40)) + "SET \"a b\" 'c'\r\n" +
    resp("HSET", "h", "f", "\x00\xff") + "PING\n";
  const expected = decodeAll(input);
  assert.equal(expected.length, 4);
  for (let cut = 0; cut <= input.length; cut++) {
    const decoder = new RequestDecoder();
    const got = [
      ...decodeAll(input.slice(0, cut), decoder),
      ...decodeAll(input.slice(cut), decoder),
    ];
    assert.deepEqual(got, expected, `split at ${cut}`);
  }
});

Deno.test("byte-by-byte input gives the same requests", () => {
  const input = resp("SET", "key", "x".repeat(1000)) + "GET key\r\n";
  const decoder = new RequestDecoder();
  const got: string[][] = [];
  for (const ch of input) got.push(...decodeAll(ch, decoder));
  assert.deepEqual(got, [["SET", "key", "x".repeat(1000)], ["GET", "key"]]);
});

Deno.test("all 256 byte values round-trip through a bulk argument", () => {
  let all = "";
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  const [argv] = decodeAll(resp("SET", all, all + all));
  assert.equal(argv[1], all);
  assert.equal(argv[2], all + all);
});

Deno.test("short arguments that share a slot of the recent-argument cache keep their bytes", () => {
  const random = rng(7);
  const texts: string[] = [];
  for (let i = 0; i < 5000; i++) {
    let text = "";
    const length = 1 + Math.floor(random() * 16);
    for (let j = 0; j < length; j++) text += String.fromCharCode(Math.floor(random() * 256));
    texts.push(text);
  }
  for (const round of [1, 2]) {
    for (let i = 0; i < texts.length; i += 100) {
      const batch = texts.slice(i, i + 100);
      const requests = decodeAll(batch.map((text) => resp("GET", text)).join(""));
      assert.deepEqual(requests.map((argv) => argv[1]), batch, `round ${round}`);
      // Inline, with the bytes an inline request cannot carry as they are replaced.
      const plain = batch.map((text) =>
        Array.from(text, (c) => c <= " " || c === '"' || c === "'" ? "a" : c).join("")
      );
      const inline = decodeAll(plain.map((text) => `GET ${text}\r\n`).join(""));
      assert.deepEqual(inline.map((argv) => argv[1]), plain);
    }
  }
});

Deno.test("short arguments and names that differ only by trailing zero bytes stay apart", () => {
  // Each text twice in a row (the recent-argument cache keeps it), then interleaved.
  // Up to 64 bytes are recognised by their words: texts that differ in any one of them.
  const long = "field:0123456789abcdefghijklmn"; // 30 bytes
  const texts = [
    ...["a", "a\0", "a\0\0", "a\0\0\0", "a\0\0\0\0", "\0", "\0\0", "\0".repeat(16)],
    ...["\0".repeat(17), "\0".repeat(31), "\0".repeat(32), "\0".repeat(33)],
    ...["\0".repeat(63), "\0".repeat(64), "\0".repeat(65), long + long, long + long + "\0"],
    ...[long + long + "ab", long + long + "aB", long + long + "ab\0", long + long + "abc"],
    ...[long, long + "\0", long + "\0\0", long + "\0\0\0", long.slice(0, 29) + "N"],
    ...[long.slice(0, 17), long.slice(0, 20) + "X" + long.slice(21), "X" + long.slice(1)],
  ];
  const twice = texts.flatMap((text) => [text, text]);
  const order = [...twice, ...texts, ...texts.toReversed()];
  const requests = decodeAll(order.map((text) => resp(text, text)).join(""));
  assert.deepEqual(requests.map((argv) => argv[0]), order);
  assert.deepEqual(requests.map((argv) => argv[1]), order);
});

Deno.test("a bulk larger than the initial buffer decodes", () => {
  const big = "z".repeat(3 * 1024 * 1024);
  assert.deepEqual(decodeAll(resp("SET", "k", big)), [["SET", "k", big]]);
});

Deno.test("empty lines, *0 and negative counts produce no request", () => {
  assert.deepEqual(decodeAll("\r\n\n*0\r\n*-10\r\nPING\r\n"), [["PING"]]);
});

Deno.test("the two bytes after bulk data are not checked, as in Redis", () => {
  assert.deepEqual(decodeAll("*1\r\n$4\r\nPINGxx"), [["PING"]]);
});

Deno.test("inline commands follow Redis's quoting rules", () => {
  assert.deepEqual(decodeAll("SET \"a\\x41\\n\" 'b\\'c'\r\n"), [["SET", "aA\n", "b'c"]]);
  assert.deepEqual(decodeAll("  GET   k  \n"), [["GET", "k"]]);
});

Deno.test("protocol errors carry Redis's messages", () => {
  assert.equal(protocolError("*abc\r\n"), "invalid multibulk length");
  assert.equal(protocolError("*3000000000\r\n"), "invalid multibulk length");
  assert.equal(protocolError("*1\r\n$-10\r\n"), "invalid bulk length");
  assert.equal(protocolError("*1\r\n$blabla\r\n"), "invalid bulk length");
  assert.equal(protocolError("*1\r\nfoo\r\n"), "expected '$', got 'f'");
  assert.equal(protocolError('SET "abc\r\n'), "unbalanced quotes in request");
  assert.equal(protocolError("x".repeat(70 * 1024)), "too big inline request");
  assert.equal(protocolError("*" + "1".repeat(70 * 1024)), "too big mbulk count string");
  assert.equal(protocolError("*1\r\n$" + "1".repeat(70 * 1024)), "too big bulk count string");
});

Deno.test("a bulk over proto-max-bulk-len is refused", () => {
  const decoder = new RequestDecoder({ maxBulkLength: 1024 * 1024 });
  assert.equal(protocolError(`*1\r\n$${1024 * 1024 + 1}\r\n`, decoder), "invalid bulk length");
});

Deno.test("unauthenticated clients get the tighter limits", () => {
  const decoder = new RequestDecoder();
  decoder.unauthenticated = true;
  assert.equal(protocolError("*11\r\n", decoder), "unauthenticated multibulk length");
  const other = new RequestDecoder();
  other.unauthenticated = true;
  assert.equal(protocolError("*1\r\n$16385\r\n", other), "unauthenticated bulk length");
});

function chunked(input: string, size: number): ReadableStream<Uint8Array> {
  const data = bytes(input);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < data.length; i += size) controller.enqueue(data.subarray(i, i + size));
      controller.close();
    },
  });
}

Deno.test("the stream wrapper decodes chunked input with each request's offset", async () => {
  const first = resp("SET", "a", "1");
  const stream = new RequestDecoderStream();
  const got: [string[], number][] = [];
  for await (const batch of chunked(first + "GET a\r\n", 3).pipeThrough(stream)) {
    for (const request of batch) got.push([request.argv, request.offset]);
  }
  assert.deepEqual(got, [[["SET", "a", "1"], 0], [["GET", "a"], first.length]]);
  assert.equal(stream.decoder.incomplete, false);
  assert.equal(stream.decoder.consumed, first.length + 7);
});

Deno.test("the stream wrapper delivers the requests before bad input, then the error", async () => {
  const good = resp("SET", "a", "1") + resp("SET", "b", "2");
  for (const size of [1, 7, 4096]) {
    const got: string[][] = [];
    const stream = chunked(good + "*1\r\n$x\r\n", size).pipeThrough(
      new RequestDecoderStream({ aof: true }),
    );
    await assert.rejects(
      async () => {
        for await (const batch of stream) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          for (const request of batch) got.push(request.argv);
        }
      },
      (e: unknown) => e instanceof ProtocolError && e.offset === good.length + 5,
    );
    assert.deepEqual(got, [["SET", "a", "1"], ["SET", "b", "2"]], `chunks of ${size}`);
  }
});

Deno.test("a stream cut inside a request leaves the decoder incomplete at the request's start", async () => {
  const good = resp("SET", "a", "1");
  for (const tail of ["*", "*2\r\n$3\r\nGET\r\n", "*2\r\n$3\r\nGET\r\n$1\r\na\r"]) {
    const stream = new RequestDecoderStream({ aof: true });
    let count = 0;
    for await (const batch of chunked(good + tail, 5).pipeThrough(stream)) count += batch.length;
    assert.equal(count, 1);
    assert.equal(stream.decoder.incomplete, true, JSON.stringify(tail));
    assert.equal(stream.decoder.consumed, good.length);
  }
});

function aofError(input: string): [string, number] {
  try {
    decodeAll(input, new RequestDecoder({ aof: true }));
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
    return [error.message, error.offset];
  }
  assert.fail(`no error for ${JSON.stringify(input)}`);
}

Deno.test("in AOF mode, annotations are skipped and anything but a multibulk is corrupt", () => {
  const decoder = new RequestDecoder({ aof: true });
  const input = "#TS:1\r\n" + resp("SET", "a", "1") + "#x\n" + resp("DEL", "a");
  assert.deepEqual(decodeAll(input, decoder), [["SET", "a", "1"], ["DEL", "a"]]);
  assert.equal(decoder.start, input.length - resp("DEL", "a").length);
  assert.deepEqual(aofError("PING\r\n"), ["expected '*', got 'P'", 0]);
  assert.deepEqual(aofError("\r\n"), ["expected '*', got byte 0x0d", 0]);
  assert.deepEqual(aofError("*1\r\n#4\r\n"), ["expected '$', got '#'", 4]);
  assert.deepEqual(aofError("*0\r\n"), ["invalid multibulk length", 1]);
  assert.deepEqual(aofError("*1x"), ["invalid multibulk length", 2]);
  assert.deepEqual(aofError("*1\rx"), ["invalid multibulk length", 2]);
  assert.deepEqual(aofError("*1\r\n$-1\r\n"), ["invalid bulk length", 5]);
  assert.deepEqual(aofError("*1\r\n$1234567890123"), ["invalid bulk length", 17]);
  assert.deepEqual(aofError("*1\r\n$4\r\nPINGxx"), ["expected CRLF after an argument", 12]);
});

Deno.test("in AOF mode, bulks have no length limit and lengths may have leading zeros", () => {
  const decoder = new RequestDecoder({ aof: true });
  decoder.push(bytes("*01\r\n$0004\r\nPING\r\n*1\r\n$600000000\r\n"));
  assert.deepEqual(decoder.next(), ["PING"]);
  assert.equal(decoder.next(), null);
  assert.equal(decoder.incomplete, true);
});

Deno.test("protocol errors name the stream offset of the bad byte", () => {
  const decoder = new RequestDecoder();
  const first = resp("PING");
  try {
    decodeAll(first + "*1\r\n$x\r\n", decoder);
    assert.fail("no error");
  } catch (error) {
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.message, "invalid bulk length");
    assert.equal(error.offset, first.length + 5);
  }
});

Deno.test("an idle client's buffer shrinks to nothing and grows again on the next read", () => {
  const decoder = new RequestDecoder();
  // A new client has no query buffer yet (Redis allocates one when data arrives).
  assert.equal(decoder.capacity, 0);
  assert.equal(decoder.shrink(true), false, "there is nothing to give back");
  decoder.push(bytes(resp("SET", "big", "x".repeat(20_000))));
  assert.equal(decoder.next()?.[2].length, 20_000);
  const view = decoder.spare(); // a read is pending while the buffer shrinks
  assert.equal(decoder.shrink(true), true);
  assert.equal(decoder.capacity, 0);
  assert.equal(decoder.shrink(true), false);
  const request = bytes(resp("GET", "a"));
  view.set(request);
  decoder.advance(request.length);
  assert.deepEqual(decoder.next(), ["GET", "a"]);
  assert.ok(decoder.capacity >= 16 * 1024);
});

Deno.test("an idle client's partial request survives a shrink", () => {
  const decoder = new RequestDecoder();
  // A big request first, so that the buffer is worth shrinking.
  decoder.push(bytes(resp("SET", "big", "x".repeat(20_000))));
  assert.equal(decoder.next()?.[2].length, 20_000);
  const request = bytes(resp("SET", "key", "value"));
  let view = decoder.spare();
  view.set(request.subarray(0, 20));
  decoder.advance(20);
  assert.equal(decoder.next(), null);
  view = decoder.spare();
  assert.equal(decoder.shrink(true), true);
  assert.equal(decoder.capacity, decoder.buffered);
  view.set(request.subarray(20));
  decoder.advance(request.length - 20);
  assert.deepEqual(decoder.next(), ["SET", "key", "value"]);
});

Deno.test("a busy client's big buffer shrinks once a window needed less than half of it", () => {
  const decoder = new RequestDecoder();
  decoder.push(bytes(resp("SET", "x", "A".repeat(400_000))));
  assert.equal(decoder.next()?.[2].length, 400_000);
  const big = decoder.capacity;
  assert.ok(big > 32 * 1024);
  assert.equal(decoder.shrink(false), false, "the window that needed the room keeps it");
  decoder.push(bytes(resp("SET", "x", "A".repeat(100))));
  assert.equal(decoder.next()?.[2].length, 100);
  assert.equal(decoder.shrink(false), true);
  assert.ok(decoder.capacity > 0 && decoder.capacity < big, `capacity ${decoder.capacity}`);
});

Deno.test("bytes read while next() emptied the buffer land after what is left", () => {
  // A blocked client's buffered requests run while its next read is pending.
  const decoder = new RequestDecoder();
  decoder.push(bytes(resp("BLPOP", "l", "0") + resp("PING")));
  assert.deepEqual(decoder.next(), ["BLPOP", "l", "0"]);
  const view = decoder.spare();
  assert.deepEqual(decoder.next(), ["PING"]);
  const more = bytes(resp("ECHO", "hi"));
  view.set(more);
  decoder.advance(more.length);
  assert.deepEqual(decoder.next(), ["ECHO", "hi"]);
  assert.equal(decoder.next(), null);
});

Deno.test("an argument too long for a JS string is skipped and the request flagged", () => {
  const decoder = new RequestDecoder();
  decoder.push(bytes(`*2\r\n$3\r\nSET\r\n$${536_870_900}\r\n`));
  assert.equal(decoder.next(), null);
  const chunk = new Uint8Array(64 * 1024 * 1024);
  let left = 536_870_900;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    decoder.push(chunk.subarray(0, n));
    left -= n;
    assert.equal(decoder.next(), null);
  }
  decoder.push(bytes("\r\nPING\r\n"));
  assert.deepEqual(decoder.next(), ["SET", ""]);
  assert.equal(decoder.oversized, true);
  assert.deepEqual(decoder.next(), ["PING"]);
  assert.equal(decoder.oversized, false);
  assert.ok(decoder.capacity < 1024 * 1024, "the skipped data was never buffered");
});

// What a decoder makes of some bytes: the requests, then the error (message and offset)
// or null, and whether a request was left incomplete.
function outcome(input: Uint8Array, chunk: number, unauthenticated: boolean): unknown[] {
  const decoder = new RequestDecoder();
  decoder.unauthenticated = unauthenticated;
  const out: unknown[] = [];
  try {
    for (let at = 0; at < input.length; at += chunk) {
      decoder.push(input.subarray(at, at + chunk));
      let argv: string[] | null;
      while ((argv = decoder.next()) !== null) out.push(argv);
    }
    out.push(decoder.incomplete);
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `unexpected ${error}`);
    out.push(error.message, error.offset);
  }
  return out;
}

Deno.test("whole requests and requests arriving byte by byte decode the same, for random and damaged input", () => {
  // A fixed seed: the same cases on every run.
  const next = rng(12345);
  const random = (n: number) => Math.floor(next() * n);
  const pieces = ["*", "$", "\r\n", "\r", "\n", "0", "1", "2", "3", "10", "-1", "\x00", "+", " "];
  for (let round = 0; round < 3000; round++) {
    let text = "";
    const requests = 1 + random(4);
    for (let r = 0; r < requests; r++) {
      const args = Array.from({ length: 1 + random(4) }, () => "ab\r\n\xff".slice(0, random(6)));
      text += resp(...args);
    }
    // Damage some: replace, insert or delete a byte or a protocol piece.
    const damage = random(3);
    for (let d = 0; d < damage; d++) {
      const at = random(text.length + 1);
      const piece = pieces[random(pieces.length)];
      const kind = random(3);
      if (kind === 0) text = text.slice(0, at) + piece + text.slice(at + 1);
      else if (kind === 1) text = text.slice(0, at) + piece + text.slice(at);
      else text = text.slice(0, at) + text.slice(at + 1);
    }
    const input = bytes(text);
    const unauthenticated = random(4) === 0;
    const whole = outcome(input, input.length || 1, unauthenticated);
    assert.deepEqual(outcome(input, 1, unauthenticated), whole, JSON.stringify(text));
    assert.deepEqual(outcome(input, 1 + random(7), unauthenticated), whole, JSON.stringify(text));
  }
});

Deno.test("the limits before authentication hold for whole requests too", () => {
  const decoder = new RequestDecoder();
  decoder.unauthenticated = true;
  assert.equal(
    protocolError(resp(...Array.from({ length: 11 }, () => "a")), decoder),
    "unauthenticated multibulk length",
  );
  const other = new RequestDecoder();
  other.unauthenticated = true;
  assert.equal(
    protocolError(resp("SET", "k", "v".repeat(16385)), other),
    "unauthenticated bulk length",
  );
});

Deno.test("reads land in a small buffer while nothing is buffered, then go straight to the query buffer while the client pipelines", () => {
  const decoder = new RequestDecoder();
  // Nothing buffered: a small landing view, copied into a 16 KB query buffer (as Redis
  // allocates its query buffer when data arrives).
  let view = decoder.spare();
  assert.equal(view.length, LANDING_SIZE);
  const request = bytes(resp("GET", "a"));
  view.set(request);
  decoder.advance(request.length);
  assert.equal(decoder.capacity, 16 * 1024);
  assert.deepEqual(decoder.next(), ["GET", "a"]);
  // A read that fills the landing view: the next ones go straight into the query buffer.
  view = decoder.spare();
  const pipeline = bytes(resp("SET", "k", "v".repeat(1100)));
  view.set(pipeline.subarray(0, LANDING_SIZE));
  decoder.advance(LANDING_SIZE);
  view = decoder.spare();
  assert.ok(view.length >= 16 * 1024 - 1024);
  view.set(pipeline.subarray(LANDING_SIZE));
  decoder.advance(pipeline.length - LANDING_SIZE);
  assert.equal(decoder.next()?.[2].length, 1100);
  // The client pipelines: with nothing buffered, its next batch is still read whole,
  // into the query buffer, until it idles.
  assert.ok(decoder.spare().length >= 16 * 1024 - 1024);
  decoder.advance(0);
  assert.equal(decoder.shrink(false), false);
  assert.ok(decoder.spare().length >= 16 * 1024 - 1024);
  decoder.advance(0);
  // An idle client gives its query buffer back; its next read lands small again.
  assert.equal(decoder.shrink(true), true);
  assert.equal(decoder.capacity, 0);
  decoder.spare();
  decoder.advance(0);
  assert.equal(decoder.spare().length, LANDING_SIZE);
});
