// Signed 64-bit integers as Redis reads them from text (its string2ll): an optional
// '-', then a lone "0" or a first digit 1-9 followed by digits; no '+', no leading
// zeros, no "-0", no spaces, at most 20 characters, and within the int64 range.
// Every integer argument, stored counter and encoding check uses these rules.

/** The largest signed 64-bit integer (LLONG_MAX). */
export const INT64_MAX = 9223372036854775807n;
/** The smallest signed 64-bit integer (LLONG_MIN). */
export const INT64_MIN = -9223372036854775808n;

/** The digits of INT64_MAX and of -INT64_MIN, compared as text to range-check 19 digits. */
const MAX_DIGITS = "9223372036854775807";
const MIN_DIGITS = "9223372036854775808";
/** ±2^53: beyond it a JS number is no longer exact, so parseInteger clamps there. */
const CLAMP = 9007199254740992;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/** True when Redis reads `text` as a signed 64-bit integer (and would use the "int" encoding). */
export function looksLikeInt64(text: string): boolean {
  const len = text.length;
  if (len === 0 || len > 20) return false;
  const start = text.charCodeAt(0) === MINUS ? 1 : 0;
  if (start === len) return false;
  const first = text.charCodeAt(start);
  if (first === ZERO) return len === 1; // "0" only: "-0" and "007" are refused
  if (first < ZERO || first > NINE) return false;
  for (let i = start + 1; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  const digits = len - start;
  if (digits < 19) return true;
  // 20 digits always overflow; 19 digits compare as text against the limit.
  return digits === 19 && text.slice(start) <= (start === 1 ? MIN_DIGITS : MAX_DIGITS);
}

/** A signed 64-bit integer, or null when Redis would say "not an integer or out of range". */
export function parseInt64(text: string): bigint | null {
  return looksLikeInt64(text) ? BigInt(text) : null;
}

/**
 * A signed 64-bit integer as a JS number, for arguments whose useful range is small
 * (indexes, counts, database numbers); null when `parseInt64` would refuse it. Values
 * of at most 15 characters are exact. Values beyond ±2^53 come back clamped to ±2^53,
 * which every such caller rejects as out of its range anyway.
 */
export function parseInteger(text: string): number | null {
  if (!looksLikeInt64(text)) return null;
  const n = Number(text);
  return n > CLAMP ? CLAMP : n < -CLAMP ? -CLAMP : n;
}
