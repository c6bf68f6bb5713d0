// Keyword matching shared by the command families. Numbers have their own home:
// util/int64.ts (integers), util/long_double.ts and util/timeout.ts.

/** Case-insensitive comparison with an ASCII keyword given in lowercase. */
export function isWord(arg: string, lowercase: string): boolean {
  return arg.length === lowercase.length && arg.toLowerCase() === lowercase;
}
