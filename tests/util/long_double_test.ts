// Tests of the 80-bit long double emulation behind INCRBYFLOAT and HINCRBYFLOAT: hand-picked
// cases (checked against real Redis 7.0.15) and a seeded differential run against redis-server.

import assert from "node:assert/strict";
import {
  addLongDouble,
  type FloatIncrResult,
  formatLongDoubleFixed17,
  formatLongDoubleHuman,
  hashIncrementFailure,
  hincrByFloat,
  incrByFloat,
  type LongDouble,
  parseLongDouble,
} from "../../src/util/long_double.ts";
import {
  ERR_HASH_NOT_FLOAT,
  ERR_INCR_NAN_OR_INF,
  ERR_NOT_FLOAT,
  ERR_VALUE_NAN_OR_INF,
} from "../../src/protocol/errors.ts";
import { ReplyReader } from "../compat/harness.ts";
import { bytes, freePort, resp, skipWithout, startRedis } from "../_server.ts";

function parsed(text: string): LongDouble {
  const value = parseLongDouble(text);
  assert.notEqual(value, null, `${text} should parse`);
  return value as LongDouble;
}

/**
 * A result as Redis words it ("!" marks an error): the reasons mapped to replies as
 * INCRBYFLOAT (string.ts) and HINCRBYFLOAT (hash.ts) map them.
 */
function wording(result: FloatIncrResult, hash: boolean): string {
  if ("value" in result) return result.value;
  switch (result.reason) {
    case "value-not-float":
      return `!${hash ? ERR_HASH_NOT_FLOAT : ERR_NOT_FLOAT}`;
    case "increment-not-float":
      return `!${ERR_NOT_FLOAT}`;
    case "increment-infinite":
      return `!${ERR_VALUE_NAN_OR_INF}`;
    case "nan-or-infinity":
      return `!${ERR_INCR_NAN_OR_INF}`;
  }
}

function incr(current: string | null, increment: string): string {
  return wording(incrByFloat(current, increment), false);
}

/** [stored value, increment, INCRBYFLOAT reply]; "!" marks an error. Checked on Redis 7.0.15. */
const CASES: [string, string, string][] = [
  ["0.1", "0.2", "0.3"],
  ["10.5", "0.1", "10.6"],
  ["5.0e3", "2.0e2", "5200"],
  ["1e17", "1", "100000000000000001"],
  ["1e30", "0", "1000000000000000000024696061952"],
  ["-0.0", "0", "0"],
  ["0", "-0.0", "0"],
  ["-0.0", "-0.0", "0"],
  ["5", "-5", "0"],
  ["-1e-30", "0", "0"],
  ["3.0e-5", "0", "0.00003"],
  ["1e-20", "0.1", "0.1"],
  ["0.3", "-0.1", "0.2"],
  ["0.1", "0.7", "0.8"],
  ["1e-17", "0", "0.00000000000000001"],
  ["5e-18", "0", "0"],
  ["5.000000000000001e-18", "0", "0.00000000000000001"],
  ["123456789.123456789", "0", "123456789.12345678899873747"],
  ["-2.5", "1", "-1.5"],
  ["1.5", "-1.5", "0"],
  ["9007199254740993", "0", "9007199254740993"],
  ["18446744073709551615", "0", "18446744073709551615"],
  ["18446744073709551617", "0", "18446744073709551616"],
  ["18446744073709551616", "1", "18446744073709551616"],
  ["18446744073709551616", "3", "18446744073709551620"],
  ["99999999999999999999", "1", "100000000000000000000"],
  ["0x1p3", "0", "8"],
  ["0X.8P+1", "0x1.8p1", "4"],
  ["+1", ".5", "1.5"],
  ["1.", "+.5e1", "6"],
  ["0e99999", "1", "1"],
  ["1e-4950", "0", "0"],
  ["0x1p-16445", "0", "0"],
  ["-0x1p-16445", "0", "0"],
  ["0x1.8p-16446", "0", "0"],
  ["0.000003814697265625", "0", "0.00000381469726562"], // 2^-18: a tie, kept even
  ["0.000011444091796875", "0", "0.00001144409179688"], // 3 * 2^-18: a tie, rounded to even
  ["inf", "0", `!${ERR_INCR_NAN_OR_INF}`],
  ["1", "-infinity", `!${ERR_INCR_NAN_OR_INF}`],
  ["INF", "-Inf", `!${ERR_INCR_NAN_OR_INF}`],
  ["1.18973149535723176502e+4932", "1e4918", `!${ERR_INCR_NAN_OR_INF}`],
  ["1e5000", "0", `!${ERR_NOT_FLOAT}`],
  ["1e-5000", "0", `!${ERR_NOT_FLOAT}`],
  ["1e-4951", "0", `!${ERR_NOT_FLOAT}`],
  ["abc", "inf", `!${ERR_NOT_FLOAT}`],
  ["1", "nan", `!${ERR_NOT_FLOAT}`],
  ["1", " 1", `!${ERR_NOT_FLOAT}`],
  ["1", "1 ", `!${ERR_NOT_FLOAT}`],
  ["1", "", `!${ERR_NOT_FLOAT}`],
  ["1", "abc", `!${ERR_NOT_FLOAT}`],
];

Deno.test("INCRBYFLOAT gives Redis's long double results and errors for hand-picked cases", () => {
  for (const [value, increment, expected] of CASES) {
    assert.equal(incr(value, increment), expected, `${value} + ${increment}`);
  }
});

Deno.test("INCRBYFLOAT on a missing key starts from 0", () => {
  assert.equal(incr(null, "-0.0"), "0");
  assert.equal(incr(null, "2.5"), "2.5");
  assert.equal(incr(null, "x"), `!${ERR_NOT_FLOAT}`);
});

Deno.test("large values print every integer digit", () => {
  assert.equal(incr("1e4000", "1").length, 4000);
  assert.match(incr("1e4000", "1"), /^9999999999999999999965463873/);
  const max = incr("0x1.fffffffffffffffep16383", "0");
  assert.equal(max.length, 4933);
  assert.match(max, /^1189731495357231765021263853030970205169063322294624200440323733/);
});

Deno.test("string2ld's rules decide which texts are floats", () => {
  const accepted = [
    "0",
    "-0",
    "+1",
    ".5",
    "1.",
    "1e5",
    "1E+5",
    "1e-5",
    "0x1p3",
    "0X1P-3",
    "0x.8",
    "0x1.",
    "-0xA.Bp2",
    "inf",
    "-INF",
    "Infinity",
    "+iNfInItY",
    "0e999999999999999999",
    "1" + "0".repeat(4000),
    "0." + "0".repeat(5000) + "1e5000",
  ];
  for (const text of accepted) assert.notEqual(parseLongDouble(text), null, text);
  const refused = [
    "",
    " 1",
    "\t1",
    "\n1",
    "1 ",
    "1\x00",
    "\x00",
    "abc",
    "nan",
    "-nan",
    "NaN(123)",
    "in",
    "infin",
    "infinityx",
    ".",
    "-",
    "+",
    "- 1",
    "e5",
    ".e5",
    "1e",
    "1e+",
    "1e5.5",
    "0x",
    "0x.",
    "0xg",
    "0x1p",
    "0x1p+",
    "1..2",
    "1,5",
    "1e5000",
    "-1e5000",
    "1e-5000",
    "1e999999999999999999",
    "1e-999999999999999999",
    "0x1p16384",
    "0x1p-16446",
    "1" + "0".repeat(5119),
  ];
  for (const text of refused) assert.equal(parseLongDouble(text), null, JSON.stringify(text));
});

Deno.test("parsing rounds to the nearest 64-bit mantissa, ties to even", () => {
  const tenth = parsed("0.1");
  assert.equal(tenth.mantissa, 0xCCCCCCCCCCCCCCCDn);
  assert.equal(tenth.exponent, -67);
  assert.equal(parsed("18446744073709551617").mantissa, 1n << 63n); // tie, down to even
  assert.equal(parsed("18446744073709551619").mantissa, (1n << 63n) + 2n); // tie, up to even
  const max = parsed("0x1.fffffffffffffffep16383");
  assert.equal(max.mantissa, (1n << 64n) - 1n);
  assert.equal(max.exponent, 16320);
  assert.deepEqual(parsed("0x1.fffffffffffffffe8p16383"), max);
  assert.equal(parseLongDouble("0x1.ffffffffffffffffp16383"), null); // the tie goes to inf
  const tiny = parsed("0x1p-16445");
  assert.equal(tiny.mantissa, 1n);
  assert.equal(tiny.exponent, -16445);
  assert.equal(parsed("0x1.8p-16446").mantissa, 1n);
  assert.deepEqual(parsed("3.6e-4951"), tiny);
  const minNormal = parsed("0x1p-16382");
  assert.equal(minNormal.mantissa, 1n << 63n);
  assert.equal(minNormal.exponent, -16445);
  assert.equal(parsed("-0").negative, true);
  assert.equal(parsed("-inf").infinite, true);
});

Deno.test("addition is exact then rounded, and inf plus -inf is NaN", () => {
  const sum = addLongDouble(parsed("0.1"), parsed("0.2")) as LongDouble;
  assert.equal(formatLongDoubleFixed17(sum), "0.30000000000000000");
  assert.equal(addLongDouble(parsed("inf"), parsed("-inf")), null);
  assert.equal(addLongDouble(parsed("inf"), parsed("1"))?.infinite, true);
  assert.equal(addLongDouble(parsed("-0"), parsed("-0"))?.negative, true);
  assert.equal(addLongDouble(parsed("-0"), parsed("0"))?.negative, false);
  assert.equal(addLongDouble(parsed("1"), parsed("-1"))?.negative, false);
  const max = parsed("0x1.fffffffffffffffep16383");
  assert.equal(addLongDouble(max, max)?.infinite, true);
  assert.deepEqual(addLongDouble(max, parsed("1")), max);
  assert.deepEqual(addLongDouble(parsed("1e300"), parsed("1e-300")), parsed("1e300"));
});

Deno.test("%.17Lf keeps the sign of negative zero results and the human form drops it", () => {
  const tiny = parsed("-1e-30");
  assert.equal(formatLongDoubleFixed17(tiny), "-0.00000000000000000");
  assert.equal(formatLongDoubleHuman(tiny), "0");
  assert.equal(formatLongDoubleHuman(parsed("-0")), "0");
  assert.equal(formatLongDoubleHuman(parsed("-1.25")), "-1.25");
  assert.equal(formatLongDoubleHuman(parsed("100")), "100");
  assert.equal(formatLongDoubleHuman(parsed("-inf")), "-inf");
});

Deno.test("HINCRBYFLOAT checks the increment first, then the field, then the sum", () => {
  assert.deepEqual(hincrByFloat("abc", "xyz"), { reason: "increment-not-float" });
  assert.deepEqual(hincrByFloat("abc", "inf"), { reason: "increment-infinite" });
  assert.deepEqual(hincrByFloat("abc", "1"), { reason: "value-not-float" });
  assert.deepEqual(hincrByFloat(" 1", "1"), { reason: "value-not-float" });
  assert.deepEqual(hincrByFloat("inf", "1"), { reason: "nan-or-infinity" });
  assert.deepEqual(hincrByFloat("0x1.fffffffffffffffep16383", "1e4932"), {
    reason: "nan-or-infinity",
  });
  assert.deepEqual(hincrByFloat(null, "-0.0"), { value: "0" });
  assert.deepEqual(hincrByFloat("10.5", "0.1"), { value: "10.6" });
  assert.equal(hashIncrementFailure("1"), null);
  assert.equal(hashIncrementFailure("-infinity"), "increment-infinite");
  assert.equal(hashIncrementFailure("1x"), "increment-not-float");
});

Deno.test("byte values are read as one-byte text", () => {
  assert.deepEqual(incrByFloat(bytes("0.1"), bytes("0.2")), { value: "0.3" });
  assert.deepEqual(incrByFloat(new Uint8Array(6000).fill(49), "1"), {
    reason: "value-not-float",
  });
});

Deno.test("ordinary increments take microseconds", () => {
  const start = performance.now();
  for (let i = 0; i < 20000; i++) incrByFloat("1234.5678", "-0.0001");
  const perCall = (performance.now() - start) / 20000;
  assert.ok(perCall < 0.05, `${(perCall * 1000).toFixed(1)} us per call`);
});

// ---- Differential run against a real redis-server --------------------------------------

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random float texts aimed at the hard parts: rounding ties, range edges, hex, junk. */
function floatTexts(rnd: () => number): () => string {
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: T[]) => items[int(items.length)];
  const digits = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += String(int(10));
    return s;
  };
  const hex = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdefABCDEF"[int(22)];
    return s;
  };
  // m * 2^e written exactly in decimal: exact halfway points and %.17Lf ties.
  const exact = (m: bigint, e: number) => {
    if (e >= 0) return (m << BigInt(e)).toString();
    const s = (m * 5n ** BigInt(-e)).toString().padStart(-e + 1, "0");
    return `${s.slice(0, s.length + e)}.${s.slice(s.length + e)}`;
  };
  return () => {
    const sign = pick(["", "", "", "-", "+"]);
    switch (int(15)) {
      case 0:
      case 1:
        return sign + digits(1 + int(6)) + (rnd() < 0.7 ? "." + digits(int(6)) : "");
      case 2:
        return sign + digits(int(20)) + "." + digits(1 + int(25)) +
          (rnd() < 0.5 ? "e" + pick(["", "-", "+"]) + int(60) : "");
      case 3:
        return sign + digits(1 + int(3)) + "e" + pick(["", "-"]) + (4900 + int(60));
      case 4:
        return sign + "0x" + hex(1 + int(20)) + (rnd() < 0.5 ? "." + hex(int(20)) : "") +
          (rnd() < 0.7 ? "p" + pick(["", "-", "+"]) + int(16500) : "");
      case 5:
        return pick([
          "inf",
          "-inf",
          "Infinity",
          "nan",
          "",
          " 1",
          "1 ",
          "abc",
          "1e",
          "0x",
          ".",
          "-0",
        ]);
      case 6: {
        const m = (1n << 63n) | BigInt(int(2 ** 30)) << 33n | BigInt(int(2 ** 30));
        return sign + exact(2n * m + 1n, -201 + int(300));
      }
      case 7:
        return sign + exact(BigInt(1 + int(100000)) * 2n + 1n, -(18 + int(30)));
      case 8:
        return sign + digits(1 + int(200)) + "e-" + int(300);
      case 9:
        return sign + "0." + "0".repeat(int(30)) + digits(1 + int(40));
      case 10:
        return sign + digits(15 + int(25));
      case 11:
        return sign + "0x" + hex(1 + int(20)) + "p-" + (16440 + int(90));
      case 12:
        return sign + "1.18973149535723176" + digits(int(6)) + "e4932";
      case 13:
        return sign + digits(1 + int(3)) + "." + digits(int(20)) + "e-49" + (30 + int(22));
      default:
        return sign + digits(1 + int(5200)) + "e-" + int(5500);
    }
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) done += await conn.write(data.subarray(done));
}

/** Sends the commands pipelined and returns each reply as a value or "!error". */
async function pipeline(conn: Deno.Conn, reader: ReplyReader, commands: string[][]) {
  const writing = writeAll(conn, bytes(commands.map((c) => resp(...c)).join("")));
  const replies: string[] = [];
  for (let i = 0; i < commands.length; i++) {
    const reply = await reader.read();
    if (reply.type === "-") replies.push(`!${reply.raw.slice(1, -2)}`);
    else if (reply.type === "$") replies.push(reply.raw.slice(reply.raw.indexOf("\r\n") + 2, -2));
    else replies.push(reply.raw);
  }
  await writing;
  return replies;
}

Deno.test({
  name: "random INCRBYFLOAT and HINCRBYFLOAT cases match a real redis-server",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    if (skipWithout("redis-server")) return;
    const seed = Number(Deno.env.get("LONG_DOUBLE_SEED") ?? 20240601);
    const rnd = random(seed);
    const text = floatTexts(rnd);
    const cases: { hash: boolean; current: string | null; increment: string }[] = [];
    for (let i = 0; i < 6000; i++) {
      const current = rnd() < 0.05 ? null : text();
      let increment = text();
      // Cancellation: add the negation of the value itself.
      if (current !== null && rnd() < 0.15) {
        increment = current.startsWith("-") ? current.slice(1) : "-" + current.replace(/^\+/, "");
      }
      cases.push({ hash: i % 4 === 3, current, increment });
    }
    const redis = await startRedis(freePort());
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: redis.port });
    try {
      const reader = new ReplyReader(conn);
      const mismatches: string[] = [];
      for (let start = 0; start < cases.length; start += 200) {
        const batch = cases.slice(start, start + 200);
        const commands: string[][] = [];
        for (const { hash, current, increment } of batch) {
          if (hash) {
            commands.push(current === null ? ["DEL", "h"] : ["HSET", "h", "f", current]);
            commands.push(["HINCRBYFLOAT", "h", "f", increment]);
          } else {
            commands.push(current === null ? ["DEL", "s"] : ["SET", "s", current]);
            commands.push(["INCRBYFLOAT", "s", increment]);
          }
        }
        const replies = await pipeline(conn, reader, commands);
        batch.forEach(({ hash, current, increment }, i) => {
          const result = hash ? hincrByFloat(current, increment) : incrByFloat(current, increment);
          const ours = wording(result, hash);
          if (ours !== replies[2 * i + 1]) {
            const name = hash ? "HINCRBYFLOAT" : "INCRBYFLOAT";
            mismatches.push(
              `${name} ${JSON.stringify(current).slice(0, 80)} + ${
                JSON.stringify(increment).slice(0, 80)
              }: redis ${replies[2 * i + 1].slice(0, 80)}, ours ${ours.slice(0, 80)}`,
            );
          }
        });
      }
      assert.deepEqual(mismatches.slice(0, 10), [], `seed ${seed}`);
      console.log(`${cases.length} random cases matched redis-server (seed ${seed})`);
    } finally {
      conn.close();
      await redis.stop();
    }
  },
});
