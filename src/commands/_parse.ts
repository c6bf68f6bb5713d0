// Argument parsing shared by the command families, with Redis's strictness (string2ll):
// optional '-', first digit 1-9 (or a lone 0), no '+', no spaces, no leading zeros.

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const STRICT_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;

/** A signed 64-bit integer, or null when Redis would say "not an integer or out of range". */
export function parseInt64(text: string): bigint | null {
  if (text.length > 20 || !STRICT_INTEGER.test(text)) return null;
  const n = BigInt(text);
  return n > INT64_MAX || n < INT64_MIN ? null : n;
}

/**
 * An integer as a JS number, for arguments whose useful range is small (indexes,
 * counts, database numbers). Values beyond ±2^53 come back clamped to ±2^53, which
 * every such caller rejects as out of its range anyway.
 */
export function parseInteger(text: string): number | null {
  if (text.length < 16) {
    if (!STRICT_INTEGER.test(text)) return null;
    return Number(text);
  }
  const n = parseInt64(text);
  if (n === null) return null;
  if (n > 9007199254740992n) return 9007199254740992;
  if (n < -9007199254740992n) return -9007199254740992;
  return Number(n);
}

/** Case-insensitive comparison with an ASCII keyword given in lowercase. */
export function isWord(arg: string, lowercase: string): boolean {
  return arg.length === lowercase.length && arg.toLowerCase() === lowercase;
}
