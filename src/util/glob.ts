// Glob-style matching with the exact semantics of Redis 7.0's stringmatchlen (KEYS, SCAN, PSUBSCRIBE, CONFIG GET).

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const CARET = 0x5e; // ^
const DASH = 0x2d; // -
const BACKSLASH = 0x5c;

/** Redis gives up (no match) when a pattern needs more nested `*` than this. */
const MAX_NESTING = 1000;

/** C's tolower() in the C locale; works on the signed values C gives chars above 127. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** The value of a byte as a (signed) C `char` on x86, which is what Redis compares in ranges. */
function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

/**
 * Whether `subject` matches the glob `pattern`, both latin1 "one-byte" strings,
 * following Redis 7.0.15's `stringmatchlen` byte for byte:
 *
 * - `*` any run of bytes, `?` one byte, `\x` the byte `x`;
 * - `[abc]`, `[^abc]`, `[a-z]` (a reversed range `[z-a]` works too, and bytes
 *   above 127 count as negative in ranges, as C's signed char does), `\` escapes
 *   inside brackets; a `[` without its `]` ends the pattern as a class;
 * - `noCase` folds ASCII letters (not inside `\` escapes in a class).
 *
 * Quirks kept on purpose: an empty subject matches no non-empty pattern, not
 * even `*` (KEYS and SCAN short-cut the lone `*` before matching), and a pattern
 * that needs more than 1000 nested `*` never matches.
 *
 * Runs in O(pattern × subject) time: like Redis (which stops retrying earlier
 * stars once a later one has failed everywhere), only the last `*` is retried.
 */
export function globMatch(pattern: string, subject: string, noCase = false): boolean {
  const pl = pattern.length;
  const sl = subject.length;
  let p = 0;
  let s = 0;
  // Where to resume after the last `*`: pattern index after it, next subject index to try.
  let starP = -1;
  let starS = -1;
  let nesting = 0;

  while (true) {
    let failed = false;
    while (p < pl && s < sl) {
      const pc = pattern.charCodeAt(p);
      if (pc === STAR) {
        while (p + 1 < pl && pattern.charCodeAt(p + 1) === STAR) p++;
        if (p === pl - 1) return true;
        // Redis recurses here; an attempt that fails further on never retries this `*`'s
        // predecessors, so remembering this one is enough.
        if (++nesting > MAX_NESTING) return false;
        p++;
        starP = p;
        starS = s;
        continue;
      }
      const sc = subject.charCodeAt(s);
      if (pc === QUESTION) {
        // any byte
      } else if (pc === OPEN) {
        p++;
        const not = p < pl && pattern.charCodeAt(p) === CARET;
        if (not) p++;
        let match = false;
        while (true) {
          const c = p < pl ? pattern.charCodeAt(p) : -1;
          if (c === BACKSLASH && pl - p >= 2) {
            p++;
            if (pattern.charCodeAt(p) === sc) match = true;
          } else if (c === CLOSE) {
            break;
          } else if (p >= pl) {
            p--;
            break;
          } else if (pl - p >= 3 && pattern.charCodeAt(p + 1) === DASH) {
            let start = signed(c);
            let end = signed(pattern.charCodeAt(p + 2));
            let x = signed(sc);
            if (start > end) [start, end] = [end, start];
            if (noCase) {
              start = lower(start);
              end = lower(end);
              x = lower(x);
            }
            p += 2;
            if (x >= start && x <= end) match = true;
          } else if (noCase ? lower(c) === lower(sc) : c === sc) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) {
          failed = true;
          break;
        }
      } else {
        let c = pc;
        if (c === BACKSLASH && pl - p >= 2) {
          p++;
          c = pattern.charCodeAt(p);
        }
        if (noCase ? lower(c) !== lower(sc) : c !== sc) {
          failed = true;
          break;
        }
      }
      p++;
      s++;
      if (s === sl) {
        while (p < pl && pattern.charCodeAt(p) === STAR) p++;
        break;
      }
    }
    if (!failed && p === pl && s === sl) return true;
    // This stretch failed: let the last `*` swallow one more byte, as long as one remains.
    if (starP < 0) return false;
    starS++;
    if (starS >= sl) return false;
    p = starP;
    s = starS;
  }
}
