// Exact emulation of the x87 80-bit long double arithmetic behind INCRBYFLOAT and
// HINCRBYFLOAT (and the blocking commands' timeouts, see timeout.ts). Failures come
// back as reasons; the commands turn them into Redis's error replies.

/** Exponent of the lowest mantissa bit of the smallest subnormal (2^-16445). */
const MIN_EXP = -16445;
/** Exponent of the lowest mantissa bit of the largest finite value ((2^64-1) * 2^16320). */
const MAX_EXP = 16320;
const MANT_BITS = 64;
/** Redis copies the text into a 5120-byte buffer (MAX_LONG_DOUBLE_CHARS) with a NUL. */
const MAX_TEXT = 5120;
/** Saturation point for exponents written in the text ("1e999999999999"). */
const EXP_CAP = 100_000_000;
const FRACTION_DIGITS = 17n;
const TEN_17 = 10n ** FRACTION_DIGITS;

/**
 * An x87 80-bit extended value held exactly: `mantissa * 2^exponent`, with a 64-bit
 * mantissa (at least 2^63 for normal numbers, below it for subnormals, whose exponent
 * is then -16445), or an infinity. Zero has mantissa 0 and keeps its sign.
 */
export class LongDouble {
  /** True for a negative value, -0 and -inf. */
  readonly negative: boolean;
  /** The 64-bit integer mantissa; 0 for zero and for infinities. */
  readonly mantissa: bigint;
  /** The power of two the mantissa is scaled by (ignored for zero and infinities). */
  readonly exponent: number;
  /** True for ±infinity. */
  readonly infinite: boolean;

  constructor(negative: boolean, mantissa: bigint, exponent: number, infinite = false) {
    this.negative = negative;
    this.mantissa = mantissa;
    this.exponent = exponent;
    this.infinite = infinite;
  }

  /** True for +0 and -0. */
  get isZero(): boolean {
    return !this.infinite && this.mantissa === 0n;
  }

  /** The nearest double (for logging and tests; loses precision). */
  toNumber(): number {
    if (this.infinite) return this.negative ? -Infinity : Infinity;
    const sign = this.negative ? -1 : 1;
    if (this.mantissa === 0n) return sign * 0;
    // Split so neither factor overflows or underflows on its own.
    const half = Math.trunc(this.exponent / 2);
    return sign * Number(this.mantissa) * 2 ** half * 2 ** (this.exponent - half);
  }
}

const POSITIVE_ZERO = new LongDouble(false, 0n, MIN_EXP);
const NEGATIVE_ZERO = new LongDouble(true, 0n, MIN_EXP);
const POSITIVE_INFINITY = new LongDouble(false, 0n, 0, true);
const NEGATIVE_INFINITY = new LongDouble(true, 0n, 0, true);

function zero(negative: boolean): LongDouble {
  return negative ? NEGATIVE_ZERO : POSITIVE_ZERO;
}

function infinity(negative: boolean): LongDouble {
  return negative ? NEGATIVE_INFINITY : POSITIVE_INFINITY;
}

/** Number of significant bits of a non-negative bigint. */
function bitLength(x: bigint): number {
  if (x < 0x100000000n) return 32 - Math.clz32(Number(x));
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/**
 * Rounds `(m + d) * 2^e` to the long double grid, nearest with ties to even, where
 * 0 <= d < 1 and `sticky` says whether d > 0. Callers that pass `sticky` give m at
 * least 66 bits, so the guard bits are all inside m.
 */
function round(negative: boolean, m: bigint, e: number, sticky: boolean): LongDouble {
  if (m === 0n) return zero(negative);
  const bits = bitLength(m);
  const shift = Math.max(bits - MANT_BITS, MIN_EXP - e);
  let q: bigint;
  if (shift > 0) {
    const s = BigInt(shift);
    q = m >> s;
    const rest = m - (q << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (sticky || (q & 1n) === 1n))) q++;
    if (q === 1n << 64n) {
      q >>= 1n;
      e++;
    }
  } else {
    q = m << BigInt(-shift);
  }
  e += shift;
  if (e > MAX_EXP) return infinity(negative);
  if (q === 0n) return zero(negative);
  return new LongDouble(negative, q, e);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Reads an optional signed decimal exponent at `i` (just after 'e' or 'p'). Returns
 * the value (saturated) and the index after it, or null when no digit follows, in
 * which case strtold stops before the 'e'/'p'.
 */
function readExponent(text: string, i: number): { value: number; end: number } | null {
  let negative = false;
  const c = text.charCodeAt(i);
  if (c === 43 || c === 45) {
    negative = c === 45;
    i++;
  }
  if (!isDigit(text.charCodeAt(i))) return null;
  let value = 0;
  while (isDigit(text.charCodeAt(i))) {
    if (value < EXP_CAP) value = value * 10 + text.charCodeAt(i) - 48;
    i++;
  }
  return { value: negative ? -value : value, end: i };
}

const POW5_CACHE: bigint[] = [1n];

function pow5(k: number): bigint {
  if (k < 64) {
    while (POW5_CACHE.length <= k) POW5_CACHE.push(POW5_CACHE[POW5_CACHE.length - 1] * 5n);
    return POW5_CACHE[k];
  }
  return 5n ** BigInt(k);
}

/** digits * 10^exp10, correctly rounded; digits has no leading zeros and is not "". */
function decimalToLongDouble(negative: boolean, digits: string, exp10: number): LongDouble {
  const n = digits.length;
  // 10^4933 exceeds the largest long double (1.19e4932); 10^-4951 is below half the
  // smallest subnormal (3.6e-4951), so those round to infinity and to zero.
  if (n - 1 + exp10 > 4932) return infinity(negative);
  if (n + exp10 < -4951) return zero(negative);
  const d = BigInt(digits);
  // 10^k = 5^k * 2^k: only the power of five needs big arithmetic.
  if (exp10 >= 0) return round(negative, d * pow5(exp10), exp10, false);
  const k = -exp10;
  const den = pow5(k);
  const s = Math.max(0, 68 + bitLength(den) - bitLength(d));
  const num = d << BigInt(s);
  const q = num / den;
  return round(negative, q, -s - k, q * den !== num);
}

/** hexDigits * 2^exp2, correctly rounded; hexDigits has no leading zeros and is not "". */
function hexToLongDouble(negative: boolean, hexDigits: string, exp2: number): LongDouble {
  const m = BigInt("0x" + hexDigits);
  const top = bitLength(m) + exp2; // m * 2^exp2 < 2^top
  if (top > 16384) return infinity(negative);
  if (top <= MIN_EXP - 1) return zero(negative); // at most half the smallest subnormal
  return round(negative, m, exp2, false);
}

/**
 * Parses text as Redis's string2ld does: glibc strtold (decimal or hex float, `inf` /
 * `infinity` in any case, optional sign, leading `.`), correctly rounded to the 80-bit
 * format, but refusing empty text, text of 5120 characters or more, leading
 * whitespace, trailing garbage, NaN, and values that overflow to infinity or underflow
 * to zero (subnormal results are accepted). Returns null when Redis would refuse it.
 */
export function parseLongDouble(text: string): LongDouble | null {
  const len = text.length;
  if (len === 0 || len >= MAX_TEXT || isSpace(text.charCodeAt(0))) return null;
  let i = 0;
  let negative = false;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) {
    negative = c === 45;
    i = 1;
  }
  c = text.charCodeAt(i);
  if ((c | 0x20) === 105) { // 'i'
    const word = text.slice(i).toLowerCase();
    return word === "inf" || word === "infinity" ? infinity(negative) : null;
  }
  if (
    c === 48 && (text.charCodeAt(i + 1) | 0x20) === 120 && // "0x"
    (hexValue(text.charCodeAt(i + 2)) >= 0 ||
      (text.charCodeAt(i + 2) === 46 && hexValue(text.charCodeAt(i + 3)) >= 0))
  ) {
    return parseHex(text, i + 2, negative);
  }
  return parseDecimal(text, i, negative);
}

function parseDecimal(text: string, i: number, negative: boolean): LongDouble | null {
  const len = text.length;
  const intStart = i;
  while (isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (text.charCodeAt(i) === 46) {
    fracStart = ++i;
    while (isDigit(text.charCodeAt(i))) i++;
    fracEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) return null;
  let exp10 = 0;
  if ((text.charCodeAt(i) | 0x20) === 101) { // 'e'
    const exponent = readExponent(text, i + 1);
    if (exponent === null) return null; // strtold stops before the 'e': trailing garbage
    exp10 = exponent.value;
    i = exponent.end;
  }
  if (i !== len) return null;
  let digits = text.slice(intStart, intEnd) + text.slice(fracStart, fracEnd);
  exp10 -= fracEnd - fracStart;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  if (lead === digits.length) return zero(negative);
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  exp10 += digits.length - end;
  digits = digits.slice(lead, end);
  const value = decimalToLongDouble(negative, digits, exp10);
  return value.infinite || value.isZero ? null : value; // ERANGE
}

function parseHex(text: string, i: number, negative: boolean): LongDouble | null {
  const len = text.length;
  const intStart = i;
  while (hexValue(text.charCodeAt(i)) >= 0) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (text.charCodeAt(i) === 46) {
    fracStart = ++i;
    while (hexValue(text.charCodeAt(i)) >= 0) i++;
    fracEnd = i;
  }
  let exp2 = 0;
  if ((text.charCodeAt(i) | 0x20) === 112) { // 'p'
    const exponent = readExponent(text, i + 1);
    if (exponent === null) return null;
    exp2 = exponent.value;
    i = exponent.end;
  }
  if (i !== len) return null;
  let digits = text.slice(intStart, intEnd) + text.slice(fracStart, fracEnd);
  exp2 -= 4 * (fracEnd - fracStart);
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  if (lead === digits.length) return zero(negative);
  digits = digits.slice(lead);
  const value = hexToLongDouble(negative, digits, exp2);
  return value.infinite || value.isZero ? null : value; // ERANGE
}

/**
 * The sum a + b rounded to the long double grid (nearest, ties to even), or null
 * when it is NaN (inf + -inf). A finite sum too large becomes an infinity.
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative) return null;
    return a.infinite ? a : b;
  }
  if (a.mantissa === 0n) return b.mantissa === 0n ? zero(a.negative && b.negative) : b;
  if (b.mantissa === 0n) return a;
  if (a.exponent < b.exponent) [a, b] = [b, a];
  const gap = a.exponent - b.exponent;
  // b is below 2^(a.exponent - 136) while a (normal here) has an ulp of at least
  // 2^(a.exponent - 1): b cannot move a to a neighbour.
  if (gap > 200) return a;
  const big = a.mantissa << BigInt(gap);
  const sum = (a.negative ? -big : big) + (b.negative ? -b.mantissa : b.mantissa);
  if (sum === 0n) return POSITIVE_ZERO;
  return sum < 0n ? round(true, -sum, b.exponent, false) : round(false, sum, b.exponent, false);
}

/** The value as glibc's `printf("%.17Lf")` prints it: correctly rounded, ties to even. */
export function formatLongDoubleFixed17(v: LongDouble): string {
  if (v.infinite) return v.negative ? "-inf" : "inf";
  const sign = v.negative ? "-" : "";
  if (v.exponent >= 0) {
    return `${sign}${(v.mantissa << BigInt(v.exponent)).toString()}.00000000000000000`;
  }
  const k = -v.exponent;
  let q = 0n;
  // m * 10^17 < 2^(bits + 57): when that is at most 2^(k-1), it rounds to 0.
  if (bitLength(v.mantissa) + 57 < k) {
    q = 0n;
  } else {
    const scaled = v.mantissa * TEN_17;
    const s = BigInt(k);
    q = scaled >> s;
    const rest = scaled - (q << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  }
  const whole = q / TEN_17;
  const fraction = (q - whole * TEN_17).toString().padStart(17, "0");
  return `${sign}${whole.toString()}.${fraction}`;
}

/**
 * The value as Redis's ld2string prints it in LD_STR_HUMAN mode: "%.17Lf", then
 * trailing zeros and a trailing '.' removed, and "-0" turned into "0".
 * Infinities print as "inf" and "-inf".
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  const text = formatLongDoubleFixed17(v);
  if (v.infinite) return text;
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  const trimmed = text.slice(0, end);
  return trimmed === "-0" ? "0" : trimmed;
}

/**
 * Why a float increment failed; the commands reply with the matching Redis error.
 * - `"value-not-float"`: the stored value does not read as a long double
 *   (INCRBYFLOAT: "value is not a valid float"; HINCRBYFLOAT: "hash value is not a float").
 * - `"increment-not-float"`: the increment does not read as a long double.
 * - `"increment-infinite"`: HINCRBYFLOAT only, the increment is ±inf.
 * - `"nan-or-infinity"`: the sum is NaN or infinite.
 */
export type FloatIncrReason =
  | "value-not-float"
  | "increment-not-float"
  | "increment-infinite"
  | "nan-or-infinity";

/** The outcome of a float increment: the new text to store, or why there is none. */
export type FloatIncrResult = { value: string } | { reason: FloatIncrReason };

function asText(value: string | Uint8Array): string {
  if (typeof value === "string") return value;
  if (value.length >= MAX_TEXT) return "";
  let text = "";
  for (let i = 0; i < value.length; i++) text += String.fromCharCode(value[i]);
  return text;
}

function sumOf(value: LongDouble, increment: LongDouble): FloatIncrResult {
  const sum = addLongDouble(value, increment);
  if (sum === null || sum.infinite) return { reason: "nan-or-infinity" };
  return { value: formatLongDoubleHuman(sum) };
}

/**
 * INCRBYFLOAT on a string value (null for a missing key, which counts as 0): both
 * operands parsed as Redis's string2ld, added in long double, printed as Redis prints
 * them. Fails with "value-not-float", "increment-not-float" (Redis words both the
 * same) or "nan-or-infinity". The caller answers WRONGTYPE first.
 */
export function incrByFloat(
  current: string | Uint8Array | null,
  increment: string | Uint8Array,
): FloatIncrResult {
  const value = current === null ? POSITIVE_ZERO : parseLongDouble(asText(current));
  if (value === null) return { reason: "value-not-float" };
  const incr = parseLongDouble(asText(increment));
  if (incr === null) return { reason: "increment-not-float" };
  return sumOf(value, incr);
}

/**
 * Why HINCRBYFLOAT refuses its increment alone ("increment-not-float", then
 * "increment-infinite"), or null when it is usable. Redis checks the increment before
 * looking at the key, so this failure wins over WRONGTYPE.
 */
export function hashIncrementFailure(increment: string | Uint8Array): FloatIncrReason | null {
  const incr = parseHashIncrement(increment);
  return typeof incr === "string" ? incr : null;
}

function parseHashIncrement(increment: string | Uint8Array): LongDouble | FloatIncrReason {
  const incr = parseLongDouble(asText(increment));
  if (incr === null) return "increment-not-float";
  if (incr.infinite) return "increment-infinite";
  return incr;
}

/**
 * HINCRBYFLOAT on a hash field (null for a missing field, which counts as 0). Fails in
 * Redis's order: the increment's reasons (see hashIncrementFailure; WRONGTYPE comes
 * after those), then "value-not-float", then "nan-or-infinity".
 */
export function hincrByFloat(
  current: string | Uint8Array | null,
  increment: string | Uint8Array,
): FloatIncrResult {
  const incr = parseHashIncrement(increment);
  if (typeof incr === "string") return { reason: incr };
  const value = current === null ? POSITIVE_ZERO : parseLongDouble(asText(current));
  if (value === null) return { reason: "value-not-float" };
  return sumOf(value, incr);
}
