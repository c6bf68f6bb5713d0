// Unit tests of the request encoder: the bytes of any argv, and results that later
// requests never overwrite (small ones share a slab).

import assert from "node:assert/strict";
import { encodeRequest } from "../../src/protocol/request.ts";
import { latin1Text } from "../../src/util/latin1.ts";

// The RESP form built the plain way, to compare with.
function expected(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");
}

Deno.test("encodeRequest writes a multibulk request, whatever the argument sizes", () => {
  const cases: string[][] = [
    [],
    ["PING"],
    ["SET", "", "x".repeat(9)],
    ["SET", "k", "x".repeat(10)],
    Array.from({ length: 12 }, (_, i) => `a${i}`),
    ["SET", "long", "y".repeat(300)],
    ["SET", "latin1", "\xe9\xff\x00".repeat(100)],
    ["SET", "big", "z".repeat(100_000)],
  ];
  for (const argv of cases) assert.equal(latin1Text(encodeRequest(argv)), expected(argv));
});

Deno.test("encodeRequest results stay intact after later requests", () => {
  const first = encodeRequest(["XADD", "s", "1-1", "f", "v"]);
  const copy = first.slice();
  for (let i = 0; i < 5000; i++) encodeRequest(["SET", `key${i}`, "v".repeat(i % 50)]);
  assert.deepEqual(first, copy);
});
