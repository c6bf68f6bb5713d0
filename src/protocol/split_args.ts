// Splits a line into arguments exactly as Redis's sdssplitargs does (inline commands, redis.conf).

const QUOTE = 0x22; // "
const APOSTROPHE = 0x27; // '
const BACKSLASH = 0x5c;

/** C's isspace() in the C locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Value of an ASCII hex digit, or -1 when `c` is not one. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** What a `\c` escape inside double quotes stands for. */
function escapeChar(c: number): number {
  switch (c) {
    case 0x6e: // n
      return 0x0a;
    case 0x72: // r
      return 0x0d;
    case 0x74: // t
      return 0x09;
    case 0x62: // b
      return 0x08;
    case 0x61: // a
      return 0x07;
    default:
      return c;
  }
}

/**
 * Splits `line` (a latin1 "one-byte" string) into arguments with the rules of
 * Redis's `sdssplitargs`:
 *
 * - arguments are separated by whitespace (space, `\t`, `\n`, `\v`, `\f`, `\r`
 *   before an argument; an unquoted argument ends at space, `\t`, `\n` or `\r`);
 * - `"..."` supports `\n \r \t \b \a`, `\xHH` and `\c` for any other `c`;
 * - `'...'` supports only `\'`;
 * - a closing quote must be followed by whitespace or the end of the line;
 * - a NUL character ends the line, as it ends a C string.
 *
 * Returns `null` when the quotes are unbalanced, and `[]` for an empty or blank line.
 *
 * @example
 * ```ts
 * splitArgs(`set "a\\x41" 'it\\'s'`); // ["set", "aA", "it's"]
 * ```
 */
export function splitArgs(line: string): string[] | null {
  const nul = line.indexOf("\0");
  const end = nul === -1 ? line.length : nul;
  const args: string[] = [];
  let p = 0;
  while (true) {
    while (p < end && isSpace(line.charCodeAt(p))) p++;
    if (p >= end) return args;

    let inDouble = false;
    let inSingle = false;
    let current = "";
    // Characters are collected by slices between escapes to keep long arguments cheap.
    while (true) {
      // 0 past the end plays the part of C's terminating NUL.
      const c = p < end ? line.charCodeAt(p) : 0;
      if (inDouble) {
        if (c === 0) return null;
        if (c === BACKSLASH && p + 1 < end) {
          const next = line.charCodeAt(p + 1);
          const hi = next === 0x78 && p + 3 < end ? hexValue(line.charCodeAt(p + 2)) : -1;
          const lo = hi >= 0 ? hexValue(line.charCodeAt(p + 3)) : -1;
          if (lo >= 0) {
            current += String.fromCharCode(hi * 16 + lo);
            p += 4;
          } else {
            current += String.fromCharCode(escapeChar(next));
            p += 2;
          }
          continue;
        }
        if (c === QUOTE) {
          if (p + 1 < end && !isSpace(line.charCodeAt(p + 1))) return null;
          p++;
          break;
        }
        const stop = nextSpecial(line, p, end, QUOTE);
        current += line.slice(p, stop);
        p = stop;
      } else if (inSingle) {
        if (c === 0) return null;
        if (c === BACKSLASH && p + 1 < end && line.charCodeAt(p + 1) === APOSTROPHE) {
          current += "'";
          p += 2;
          continue;
        }
        if (c === APOSTROPHE) {
          if (p + 1 < end && !isSpace(line.charCodeAt(p + 1))) return null;
          p++;
          break;
        }
        const stop = nextSpecial(line, p, end, APOSTROPHE);
        current += line.slice(p, stop);
        p = stop;
      } else {
        if (c === 0 || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (p < end) p++;
          break;
        }
        if (c === QUOTE) {
          inDouble = true;
          p++;
        } else if (c === APOSTROPHE) {
          inSingle = true;
          p++;
        } else {
          let stop = p + 1;
          while (stop < end && !endsUnquoted(line.charCodeAt(stop))) stop++;
          current += line.slice(p, stop);
          p = stop;
        }
      }
    }
    args.push(current);
  }
}

/** Whether `c` ends (or interrupts) an unquoted stretch of an argument. */
function endsUnquoted(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === QUOTE || c === APOSTROPHE;
}

/** Index of the next backslash or `quote` at or after `from` (or `end`), at least `from + 1`. */
function nextSpecial(line: string, from: number, end: number, quote: number): number {
  let i = from + 1;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH || c === quote) break;
    i++;
  }
  return i;
}
