// Property tests of the request decoder with fast-check: any bytes at all give only
// requests or Redis's protocol errors, and a valid pipeline cut anywhere gives the
// same requests as when it arrives whole.

import assert from "node:assert/strict";
import fc from "npm:fast-check@3";
import { ProtocolError, RequestDecoder } from "../../src/protocol/decoder.ts";
import { splitArgs } from "../../src/protocol/split_args.ts";
import { bytes, resp } from "../_server.ts";

// Decodes chunks in turn: the requests, then the protocol error's message, if any.
function decode(chunks: Uint8Array[], unauthenticated = false): (string[] | string)[] {
  const decoder = new RequestDecoder();
  decoder.unauthenticated = unauthenticated;
  const out: (string[] | string)[] = [];
  try {
    for (const chunk of chunks) {
      decoder.push(chunk);
      let argv: string[] | null;
      while ((argv = decoder.next()) !== null) out.push(argv);
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    out.push(`error: ${error.message}`);
  }
  return out;
}

function encode(requests: string[][]): Uint8Array {
  return bytes(requests.map((argv) => resp(...argv)).join(""));
}

// Cuts bytes at the given points (sorted, deduplicated).
function cut(data: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of at) {
    out.push(data.subarray(from, p));
    from = p;
  }
  out.push(data.subarray(from));
  return out;
}

// One-byte strings: every byte value, the protocol's own bytes more often.
const arg = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", "\r", "\n", "*", "$", "0", " ", "\x00", "\xff") }),
  fc.uint8Array({ maxLength: 40 }).map((b) => String.fromCharCode(...b)),
);

Deno.test("random bytes decode to requests or a protocol error, nothing else", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      fc.boolean(),
      (bytes, points, unauthenticated) => {
        const out = decode(cut(bytes, points), unauthenticated);
        for (const item of out) {
          assert.ok(typeof item === "string" ? item.startsWith("error: ") : Array.isArray(item));
        }
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("bytes that start like requests decode the same whole and in pieces", () => {
  // Protocol-looking input: pieces of RESP glued together, cut anywhere.
  const piece = fc.constantFrom(
    "*1\r\n",
    "*2\r\n",
    "$1\r\n",
    "$3\r\n",
    "$0\r\n",
    "a",
    "abc",
    "\r\n",
    "PING\r\n",
    "*-1\r\n",
    "$-1\r\n",
    "\x00",
    " ",
    '"',
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (parts, points) => {
        const input = bytes(parts.join(""));
        assert.deepEqual(decode(cut(input, points)), decode([input]));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("a valid pipeline cut into random chunks gives the same requests", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(arg, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (requests, points) => {
        assert.deepEqual(decode(cut(encode(requests), points)), requests);
      },
    ),
    { numRuns: 2000 },
  );
});

// (No NUL: like Redis's strchr, the decoder does not look for the line's end past one.)
Deno.test("an inline request splits as splitArgs splits its line, words of plain bytes too", () => {
  const line = fc.string({
    unit: fc.constantFrom(
      " ",
      "a",
      "P",
      "ping",
      "\x7f",
      "\x80",
      "\xff",
      '"',
      "'",
      "\t",
      "\\",
      "\r",
    ),
    maxLength: 30,
  }).filter((text) => !text.startsWith("*") && !text.includes("\n"));
  fc.assert(
    fc.property(line, (text) => {
      const split = splitArgs(text);
      const expected = split === null
        ? ["error: unbalanced quotes in request"]
        : split.length === 0
        ? []
        : [split];
      assert.deepEqual(decode([bytes(`${text}\r\n`)]), expected);
    }),
    { numRuns: 2000 },
  );
});
