// Tests for the blocking commands' timeout reader: long double seconds, times 1000,
// rounded up to whole milliseconds (Redis 7.0.8+), with a differential run of the
// accept/refuse decisions against a real redis-server.
import assert from "node:assert/strict";
import { parseTimeout, type Timeout } from "../../src/util/timeout.ts";
import { withRealRedis } from "../_resp_client.ts";

/** [text, expected]: milliseconds, or the reason. */
const CASES: [string, number | "not-float" | "negative"][] = [
  ["0", 0],
  ["0.0", 0],
  ["-0", 0],
  ["1", 1000],
  ["1.5", 1500],
  ["+1", 1000],
  [".5", 500],
  ["5.", 5000],
  ["1e3", 1000000],
  ["0x10", 16000],
  // Under a millisecond rounds up to one: these time out at once, they never block forever.
  ["0.001", 1],
  ["0.0001", 1],
  ["0.0005", 1],
  ["1e-400", 1], // a long double holds it
  ["0x1p-20", 1],
  ["0x10p-10", 16], // 15.625 ms
  // 1.005 has no exact binary form; the long double product still rounds to 1005.
  ["1.005", 1005],
  ["0.015", 15],
  // ceil(-x) is 0 while x < 1 ms: these block forever on Redis, as 0 does.
  ["-0.0001", 0],
  ["-0.001", 0], // the long double of -0.001, times 1000, is just above -1
  ["-1e-400", 0],
  ["-0.0011", "negative"],
  ["-1", "negative"],
  // The largest that fits is 2^63 - 1 ms (2^63 as a JS number); 2^63 converts negative.
  ["9223372036854775", Number(9223372036854775000n)],
  ["9223372036854775.807", 2 ** 63],
  ["9223372036854775.808", "negative"],
  ["9223372036854776", "negative"],
  ["1e17", "negative"],
  ["1e300", "negative"],
  ["1e400", "negative"],
  ["inf", "negative"],
  ["-inf", "negative"],
  ["Infinity", "negative"],
  ["", "not-float"],
  [" 1", "not-float"],
  ["1 ", "not-float"],
  ["abc", "not-float"],
  ["nan", "not-float"],
  ["-nan", "not-float"],
  ["1.5e", "not-float"],
  ["1e-4951", "not-float"],
  ["1e-5000", "not-float"],
  ["1e5000", "not-float"],
];

function expected(value: number | string): Timeout {
  return typeof value === "number" ? { ms: value } : { reason: value as "negative" };
}

Deno.test("a timeout is long double seconds rounded up to whole milliseconds", () => {
  for (const [text, value] of CASES) {
    assert.deepEqual(parseTimeout(text), expected(value), JSON.stringify(text));
  }
});

Deno.test("BLPOP and BZPOPMIN read 1.005 as the same number of milliseconds", () => {
  // One parser now serves both: they used to disagree (1005 ms vs 1004 ms).
  assert.deepEqual(parseTimeout("1.005"), { ms: 1005 });
  for (let i = 1; i < 2000; i++) {
    const ms = parseTimeout(`${i / 1000}`);
    assert.ok("ms" in ms && ms.ms >= i && ms.ms <= i + 1, `${i / 1000}`);
  }
});

Deno.test("redis-server refuses exactly the timeouts we refuse, with the same reason", async () => {
  await withRealRedis(async (client) => {
    await client.call("RPUSH", "l", ...Array.from({ length: CASES.length }, (_, i) => `${i}`));
    for (const [text, value] of CASES) {
      const reply = await client.call("BLPOP", "l", text);
      const theirs = reply instanceof Error
        ? (reply.message.includes("negative") ? "negative" : "not-float")
        : "accepted";
      const ours = typeof value === "number" ? "accepted" : value;
      assert.equal(ours, theirs, JSON.stringify(text));
    }
  });
});
