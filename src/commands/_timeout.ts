// The timeout argument of the blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...), read
// exactly as Redis 7.0 reads it: a long double of seconds (strtold's syntax, hex and
// "inf" included), multiplied by 1000 in long double arithmetic and truncated to a
// 64-bit integer of milliseconds. A product outside the 64-bit range converts to the
// x86 "integer indefinite" value, the most negative integer, so huge or infinite
// timeouts are refused as negative; a product below one millisecond (0.0001, even
// -0.0001) truncates to 0, which means "block forever".

import { ERR_TIMEOUT_NEGATIVE, ERR_TIMEOUT_NOT_FLOAT } from "../protocol/errors.ts";
import { parseLongDouble } from "../store/long_double.ts";

const TWO_63 = 1n << 63n;

/** A blocking command's timeout in ms (0: forever), or the error Redis replies with. */
export type Timeout = { ms: number } | { error: string };

/** Parses a blocking command's timeout in seconds. */
export function parseTimeout(text: string): Timeout {
  const seconds = parseLongDouble(text);
  if (seconds === null) return { error: ERR_TIMEOUT_NOT_FLOAT };
  if (seconds.infinite) return { error: ERR_TIMEOUT_NEGATIVE };
  const ms = truncatedMillis(seconds.mantissa, seconds.exponent);
  if (ms === null || (seconds.negative && ms !== 0n)) return { error: ERR_TIMEOUT_NEGATIVE };
  return { ms: Number(ms) };
}

// |mantissa * 2^exponent * 1000| rounded to a 64-bit mantissa (nearest, ties to even)
// and truncated towards zero; null when it does not fit in a signed 64-bit integer.
function truncatedMillis(mantissa: bigint, exponent: number): bigint | null {
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
  if (e >= 0) {
    if (e > 64) return null;
    const value = m << BigInt(e);
    return value >= TWO_63 ? null : value;
  }
  return -e > 80 ? 0n : m >> BigInt(-e);
}
