// Tests for the one int64 reader (Redis's string2ll rules), including a differential
// run against a real redis-server: INCRBY accepts exactly the texts string2ll reads,
// and SET gives the "int" encoding to exactly those.
import assert from "node:assert/strict";
import {
  INT64_MAX,
  INT64_MIN,
  looksLikeInt64,
  parseInt64,
  parseInteger,
} from "../../src/util/int64.ts";
import { withRealRedis } from "../_resp_client.ts";

const ACCEPTED: [string, bigint][] = [
  ["0", 0n],
  ["1", 1n],
  ["-1", -1n],
  ["42", 42n],
  ["100", 100n],
  ["999999999999999", 999999999999999n],
  ["9007199254740993", 9007199254740993n],
  ["9223372036854775807", INT64_MAX],
  ["-9223372036854775808", INT64_MIN],
  ["1000000000000000000", 1000000000000000000n],
];

const REFUSED = [
  "",
  "-",
  "+",
  "+1",
  "-0",
  "00",
  "01",
  "-01",
  " 1",
  "1 ",
  "1.0",
  "1e3",
  "0x10",
  "\xb9",
  "9223372036854775808",
  "-9223372036854775809",
  "10000000000000000000",
  "99999999999999999999",
  "-99999999999999999999",
  "123456789012345678901",
  "--1",
  "1-",
  "abc",
  "1\x00",
];

Deno.test("int64 text is an optional minus, then 0 alone or digits without a leading zero", () => {
  for (const [text, value] of ACCEPTED) {
    assert.equal(looksLikeInt64(text), true, text);
    assert.equal(parseInt64(text), value, text);
  }
  for (const text of REFUSED) {
    assert.equal(looksLikeInt64(text), false, JSON.stringify(text));
    assert.equal(parseInt64(text), null, JSON.stringify(text));
    assert.equal(parseInteger(text), null, JSON.stringify(text));
  }
});

Deno.test("parseInteger is exact within ±2^53 and clamps beyond it", () => {
  assert.equal(parseInteger("0"), 0);
  assert.equal(parseInteger("-15"), -15);
  assert.equal(parseInteger("9007199254740991"), 9007199254740991);
  assert.equal(parseInteger("-9007199254740992"), -9007199254740992);
  assert.equal(parseInteger("9007199254740993"), 9007199254740992);
  assert.equal(parseInteger("9223372036854775807"), 9007199254740992);
  assert.equal(parseInteger("-9223372036854775808"), -9007199254740992);
  assert.ok(!Object.is(parseInteger("0"), -0));
});

Deno.test("INCRBY and OBJECT ENCODING on redis-server agree with looksLikeInt64", async () => {
  await withRealRedis(async (client) => {
    const texts = [...ACCEPTED.map(([text]) => text), ...REFUSED];
    for (let digits = 17; digits <= 21; digits++) {
      texts.push("9".repeat(digits), "-" + "9".repeat(digits - 1), "1" + "0".repeat(digits - 1));
    }
    for (const text of texts) {
      await client.call("SET", "n", "0");
      const reply = await client.call("INCRBY", "n", text);
      assert.equal(reply instanceof Error, !looksLikeInt64(text), `INCRBY ${JSON.stringify(text)}`);
      await client.call("SET", "s", text);
      const encoding = await client.call("OBJECT", "ENCODING", "s");
      assert.equal(encoding === "int", looksLikeInt64(text), `SET ${JSON.stringify(text)}`);
    }
  });
});
