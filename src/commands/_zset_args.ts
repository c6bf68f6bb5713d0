// Argument parsing for the sorted set commands: scores and score bounds read the way
// C's strtod reads them (decimal, hex floats, inf/infinity, leading spaces where strtod
// skips them) and lex bounds, each with Redis's exact acceptance rules. (Blocking
// timeouts are long doubles: util/timeout.ts.)

import type { LexBound, ScoreRange } from "../store/zset.ts";

/** What strtod made of a text. */
export interface Strtod {
  value: number;
  /** Index just past the parsed number; where it started when nothing was parsed. */
  end: number;
  /** The number was finite in the text but too large for a double. */
  overflow: boolean;
  /** The text had a non-zero digit but the double came out as zero. */
  underflow: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function matchWord(text: string, at: number, word: string): boolean {
  return text.slice(at, at + word.length).toLowerCase() === word;
}

// An exponent's digits as a number, clamped where the result is 0 or infinite anyway.
function readExponent(text: string, at: number): { value: number; end: number } | null {
  let i = at;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") {
    negative = text[i] === "-";
    i++;
  }
  if (!isDigit(text.charCodeAt(i))) return null;
  let value = 0;
  while (isDigit(text.charCodeAt(i))) {
    if (value < 1e9) value = value * 10 + text.charCodeAt(i) - 48;
    i++;
  }
  return { value: negative ? -value : value, end: i };
}

// x * 2^e without losing bits to intermediate overflow or underflow (x has few bits).
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}

// m * 2^e correctly rounded (to nearest, ties to even) to a double.
function binaryToDouble(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const bits = m.toString(2).length;
  const top = bits - 1 + e;
  if (top > 1023) return Infinity;
  let keep = 53;
  if (top < -1022) keep = 53 - (-1022 - top);
  const shift = bits - keep;
  if (shift <= 0) return ldexp(Number(m), e);
  const big = BigInt(shift);
  let q = m >> big;
  const rest = m - (q << big);
  const half = 1n << (big - 1n);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  return ldexp(Number(q), e + shift);
}

/** C's strtod (glibc, round to nearest) applied to `text` from index `start`. */
export function strtod(text: string, start = 0): Strtod {
  const none: Strtod = { value: 0, end: start, overflow: false, underflow: false };
  let i = start;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  let sign = 1;
  if (text[i] === "+" || text[i] === "-") {
    if (text[i] === "-") sign = -1;
    i++;
  }
  // inf, infinity, nan, nan(chars)
  if (matchWord(text, i, "inf")) {
    const end = matchWord(text, i, "infinity") ? i + 8 : i + 3;
    return { ...none, value: sign * Infinity, end };
  }
  if (matchWord(text, i, "nan")) {
    let end = i + 3;
    if (text[end] === "(") {
      let j = end + 1;
      while (j < text.length && /[0-9A-Za-z_]/.test(text[j])) j++;
      if (text[j] === ")") end = j + 1;
    }
    return { ...none, value: NaN, end };
  }
  // Hexadecimal: 0x followed by hex digits, an optional fraction and a binary exponent.
  if (
    text[i] === "0" && (text[i + 1] === "x" || text[i + 1] === "X") &&
    (hexValue(text.charCodeAt(i + 2)) >= 0 ||
      (text[i + 2] === "." && hexValue(text.charCodeAt(i + 3)) >= 0))
  ) {
    let j = i + 2;
    let m = 0n;
    let exponent = 0;
    let nonZero = false;
    while (hexValue(text.charCodeAt(j)) >= 0) {
      const d = hexValue(text.charCodeAt(j++));
      if (d !== 0) nonZero = true;
      m = m * 16n + BigInt(d);
    }
    if (text[j] === ".") {
      j++;
      while (hexValue(text.charCodeAt(j)) >= 0) {
        const d = hexValue(text.charCodeAt(j++));
        if (d !== 0) nonZero = true;
        m = m * 16n + BigInt(d);
        exponent -= 4;
      }
    }
    if (text[j] === "p" || text[j] === "P") {
      const exp = readExponent(text, j + 1);
      if (exp !== null) {
        exponent += exp.value;
        j = exp.end;
      }
    }
    const value = binaryToDouble(m, exponent);
    return {
      value: sign * value,
      end: j,
      overflow: value === Infinity,
      underflow: nonZero && value === 0,
    };
  }
  // Decimal: digits with an optional fraction, then an optional exponent.
  let j = i;
  let digits = "";
  let firstNonZero = -1;
  let pointAt = -1;
  while (isDigit(text.charCodeAt(j))) digits += text[j++];
  if (text[j] === ".") {
    pointAt = digits.length;
    j++;
    while (isDigit(text.charCodeAt(j))) digits += text[j++];
  }
  if (digits.length === 0) return none;
  if (pointAt < 0) pointAt = digits.length;
  let exponent = 0;
  if (text[j] === "e" || text[j] === "E") {
    const exp = readExponent(text, j + 1);
    if (exp !== null) {
      exponent = exp.value;
      j = exp.end;
    }
  }
  for (let k = 0; k < digits.length; k++) {
    if (digits[k] !== "0") {
      firstNonZero = k;
      break;
    }
  }
  const value = Number(`${digits.slice(0, pointAt)}.${digits.slice(pointAt)}0e${exponent}`);
  return {
    value: sign * value,
    end: j,
    overflow: value === Infinity,
    underflow: firstNonZero >= 0 && value === 0,
  };
}

// Powers of ten a double holds exactly (up to 10^22).
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The value of short text of digits with at most one '.' and a sign (what clients send
 * as scores, coordinates and radii), read as strtod reads it; NaN for any other text.
 * Up to 15 digits, the digits make an exact integer and the division by an exact power
 * of ten is rounded once, correctly (Clinger's fast path); more digits go to Number(),
 * which rounds correctly too.
 */
export function plainDecimal(text: string): number {
  const length = text.length;
  if (length === 0 || length > 40) return NaN;
  let i = 0;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) i++; // - +
  let digits = 0, point = -1, mantissa = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      mantissa = mantissa * 10 + (c - 48);
    } else if (c === 46 && point < 0) point = i;
    else return NaN;
  }
  if (digits === 0) return NaN;
  if (digits > 15) return Number(text);
  const value = point < 0 ? mantissa : mantissa / EXACT_POWERS_OF_TEN[length - 1 - point];
  return first === 45 ? -value : value;
}

/**
 * A double as Redis reads a score, an increment or a weight (string2d): the whole text
 * must be a number, without leading spaces, not NaN, not out of a double's range.
 */
export function parseDouble(text: string): number | null {
  const plain = plainDecimal(text);
  if (plain === plain) return plain; // not NaN
  if (text.length === 0 || isSpace(text.charCodeAt(0))) return null;
  const r = strtod(text);
  if (r.end !== text.length || Number.isNaN(r.value) || r.overflow || r.underflow) return null;
  return r.value;
}

// One end of a score interval: "(" makes it exclusive; strtod must stop at the end of
// the text (or at a NUL byte, where C sees the end); out-of-range values saturate.
function parseScoreBound(text: string): { value: number; exclusive: boolean } | null {
  const exclusive = text[0] === "(";
  const r = strtod(text, exclusive ? 1 : 0);
  if ((r.end < text.length && text[r.end] !== "\x00") || Number.isNaN(r.value)) return null;
  return { value: r.value, exclusive };
}

/** ZRANGEBYSCORE's min and max, or null ("min or max is not a float"). */
export function parseScoreRange(min: string, max: string): ScoreRange | null {
  const lo = parseScoreBound(min);
  const hi = parseScoreBound(max);
  if (lo === null || hi === null) return null;
  return { min: lo.value, max: hi.value, minExclusive: lo.exclusive, maxExclusive: hi.exclusive };
}

// One end of a lex interval: "-", "+", "[member" or "(member". C reads "+" and "-"
// as one-character strings, so a NUL byte right after them ends the text.
function parseLexBound(text: string): LexBound | null {
  switch (text[0]) {
    case "+":
    case "-":
      if (text.length > 1 && text[1] !== "\x00") return null;
      return { value: "", exclusive: true, infinite: text[0] === "+" ? 1 : -1 };
    case "(":
      return { value: text.slice(1), exclusive: true, infinite: 0 };
    case "[":
      return { value: text.slice(1), exclusive: false, infinite: 0 };
    default:
      return null;
  }
}

/** ZRANGEBYLEX's min and max, or null ("min or max not valid string range item"). */
export function parseLexRange(min: string, max: string): { min: LexBound; max: LexBound } | null {
  const lo = parseLexBound(min);
  const hi = parseLexBound(max);
  if (lo === null || hi === null) return null;
  return { min: lo, max: hi };
}
