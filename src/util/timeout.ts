// The timeout argument of the blocking commands (BLPOP, BRPOP, BLMPOP, BLMOVE,
// BRPOPLPUSH, BZPOPMIN, BZPOPMAX, BZMPOP), read exactly as Redis 7.0.15 reads it:
// a long double of seconds (strtold's syntax, hex and "inf" included), multiplied by
// 1000 in long double arithmetic and rounded UP to a whole millisecond (since 7.0.8),
// then converted to a 64-bit integer.
//
// So any positive timeout waits at least 1 ms (0.0001 is 1 ms), and only a product
// that rounds up to 0 blocks forever: 0, -0, and negatives above -1 ms such as
// -0.0001 or even -0.001 (whose long double times 1000 is just above -1). A product
// of 2^63 ms or more does not fit: x86 converts it to the most negative integer, so
// huge or infinite timeouts are refused as negative.

import { parseLongDouble } from "./long_double.ts";

const TWO_63 = 1n << 63n;

/**
 * Why a timeout is refused: `"not-float"` when strtold refuses the text (Redis:
 * "timeout is not a float or out of range"), `"negative"` when it is below zero or too
 * large (Redis: "timeout is negative").
 */
export type TimeoutReason = "not-float" | "negative";

/** A blocking command's timeout in milliseconds (0: forever), or why it is refused. */
export type Timeout = { ms: number } | { reason: TimeoutReason };

/** Parses a blocking command's timeout, given in seconds. */
export function parseTimeout(text: string): Timeout {
  const seconds = parseLongDouble(text);
  if (seconds === null) return { reason: "not-float" };
  if (seconds.infinite) return { reason: "negative" };
  // ceil(-x) = -floor(x): a negative product is fine only while its magnitude is below 1.
  const ms = millis(seconds.mantissa, seconds.exponent, !seconds.negative);
  if (ms === null || (seconds.negative && ms !== 0n)) return { reason: "negative" };
  return { ms: Number(ms) };
}

// |mantissa * 2^exponent * 1000|, the product rounded to a 64-bit mantissa (nearest,
// ties to even) as the x87 does, then rounded up (`up`) or down to an integer; null
// when that integer does not fit in a signed 64-bit integer.
function millis(mantissa: bigint, exponent: number, up: boolean): bigint | null {
  if (mantissa === 0n) return 0n;
  let m = mantissa * 1000n;
  let e = exponent;
  const excess = m.toString(2).length - 64;
  if (excess > 0) {
    const shift = BigInt(excess);
    let q = m >> shift;
    const rest = m - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
    m = q;
    e += excess;
  }
  let whole: bigint;
  if (e >= 0) {
    if (e > 64) return null;
    whole = m << BigInt(e);
  } else if (-e > 80) {
    whole = up ? 1n : 0n; // m < 2^65, so the product is below 2^-15
  } else {
    whole = m >> BigInt(-e);
    if (up && whole << BigInt(-e) !== m) whole++;
  }
  return whole >= TWO_63 ? null : whole;
}
