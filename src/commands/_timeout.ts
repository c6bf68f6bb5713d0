// The blocking commands' timeout argument, or Redis's error reply (its
// getTimeoutFromObjectOrReply): the rules live in util/timeout.ts, the wording here.

import { ERR_TIMEOUT_NEGATIVE, ERR_TIMEOUT_NOT_FLOAT } from "../protocol/errors.ts";
import { parseTimeout } from "../util/timeout.ts";
import type { Session } from "./context.ts";

/**
 * The timeout in milliseconds (0: forever) of BLPOP, BRPOP, BLMPOP, BLMOVE,
 * BRPOPLPUSH, BZPOPMIN, BZPOPMAX and BZMPOP; null after replying with the error.
 */
export function timeoutOrReply(s: Session, text: string): number | null {
  const timeout = parseTimeout(text);
  if ("ms" in timeout) return timeout.ms;
  s.reply.error(timeout.reason === "negative" ? ERR_TIMEOUT_NEGATIVE : ERR_TIMEOUT_NOT_FLOAT);
  return null;
}
