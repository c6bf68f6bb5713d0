// Unit tests of the request decoder: multibulk, inline, every split point, binary data,
// and each protocol error Redis 7.0 reports.

import assert from "node:assert/strict";
import { ProtocolError, RequestDecoder } from "../../src/protocol/decoder.ts";
import { RequestDecoderStream } from "../../src/protocol/decoder_stream.ts";
import { bytes, resp } from "../_server.ts";

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

Deno.test("the stream wrapper decodes chunked input", async () => {
  const input = bytes(resp("SET", "a", "1") + "GET a\r\n");
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < input.length; i += 3) controller.enqueue(input.subarray(i, i + 3));
      controller.close();
    },
  });
  const got: string[][] = [];
  for await (const argv of source.pipeThrough(new RequestDecoderStream())) got.push(argv);
  assert.deepEqual(got, [["SET", "a", "1"], ["GET", "a"]]);
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
