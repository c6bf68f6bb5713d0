// The count argument of HRANDFIELD and ZRANDMEMBER, with its WITHVALUES/WITHSCORES word,
// checked in Redis's order and with Redis's errors.

import {
  ERR_NOT_INTEGER,
  ERR_OUT_OF_RANGE,
  ERR_SYNTAX,
  errValueRange,
} from "../protocol/errors.ts";
import type { Session } from "./context.ts";
import { isWord } from "./_parse.ts";
import { INT64_MAX, parseInt64 } from "../util/int64.ts";

/**
 * Reads `count [word]` from argv[2] and argv[3]. A negative count allows repeats.
 * Replies with the error and returns null when refused.
 */
export function parseRandomCount(
  s: Session,
  argv: string[],
  word: string,
): { count: bigint; withPairs: boolean } | null {
  const n = parseInt64(argv[2]);
  if (n === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return null;
  }
  if (n < -INT64_MAX) {
    s.reply.error(errValueRange(-INT64_MAX, INT64_MAX));
    return null;
  }
  if (argv.length > 4 || (argv.length === 4 && !isWord(argv[3], word))) {
    s.reply.error(ERR_SYNTAX);
    return null;
  }
  const withPairs = argv.length === 4;
  // Twice the count must still fit in 64 bits when pairs are sent.
  if (withPairs && (n < -(INT64_MAX / 2n) || n > INT64_MAX / 2n)) {
    s.reply.error(ERR_OUT_OF_RANGE);
    return null;
  }
  return { count: n, withPairs };
}
