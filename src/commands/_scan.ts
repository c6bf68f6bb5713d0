// What SCAN, HSCAN, SSCAN and ZSCAN share: Redis's cursor and option parsing, paging a
// collection (small encodings whole, big ones through a CursorRegistry) and the reply.

import { ERR_INVALID_CURSOR, ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import type { CursorRegistry } from "../store/scan.ts";
import { globMatch } from "../util/glob.ts";
import type { Session } from "./context.ts";
import { isWord } from "./_parse.ts";
import { parseInt64 } from "../util/int64.ts";

const UINT64_MAX = 18446744073709551615n;

/**
 * A cursor as Redis reads it with strtoul: optional sign, decimal digits, the text
 * ending at its end or at a NUL byte; no leading space, no overflow past 64 bits; a
 * negative number wraps around; the empty string is 0. Replies and returns null when
 * refused.
 */
export function parseScanCursor(s: Session, text: string): bigint | null {
  const nul = text.indexOf("\x00");
  if (nul >= 0) text = text.slice(0, nul);
  if (text === "") return 0n;
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (match === null || BigInt(match[2]) > UINT64_MAX) {
    s.reply.error(ERR_INVALID_CURSOR);
    return null;
  }
  const n = BigInt(match[2]);
  return match[1] === "-" && n !== 0n ? UINT64_MAX + 1n - n : n;
}

/** The options of a scan call. */
export interface ScanOptions {
  count: number;
  /** null: every element (no MATCH, or MATCH *). */
  pattern: string | null;
  /** SCAN's TYPE filter, lowercase; null without one. */
  type: string | null;
}

/**
 * Parses `[MATCH pattern] [COUNT count]` (and `[TYPE type]` for SCAN) from
 * argv[from...]; replies with Redis's error and returns null when refused.
 */
export function parseScanOptions(
  s: Session,
  argv: string[],
  from: number,
  allowType = false,
): ScanOptions | null {
  const options: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = from; i < argv.length; i += 2) {
    const more = i + 1 < argv.length;
    if (more && isWord(argv[i], "count")) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 1n) {
        s.reply.error(ERR_SYNTAX);
        return null;
      }
      options.count = n > 0xffffffffn ? 0xffffffff : Number(n);
    } else if (more && isWord(argv[i], "match")) {
      options.pattern = argv[i + 1] === "*" ? null : argv[i + 1];
    } else if (more && allowType && isWord(argv[i], "type")) {
      options.type = argv[i + 1].toLowerCase();
    } else {
      s.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return options;
}

/** A cursor as a CursorRegistry number (one too big to be ours starts over). */
export function registryCursor(cursor: bigint): number {
  return cursor > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(cursor);
}

/**
 * One page of a collection: everything at once with cursor 0 when `whole` is given
 * (Redis's compact encodings), else COUNT elements through the registry.
 */
export function scanPage<T>(
  registry: CursorRegistry,
  source: object,
  cursor: bigint,
  count: number,
  whole: Iterable<T> | null,
  iterate: () => Iterator<T>,
  size: number,
): { cursor: number; items: Iterable<T> } {
  if (whole !== null) return { cursor: 0, items: whole };
  return registry.scan(source, registryCursor(cursor), count, iterate, size);
}

/** True when an element passes the MATCH pattern. */
export function matches(options: ScanOptions, element: string): boolean {
  return options.pattern === null || globMatch(options.pattern, element);
}

/** The scan reply: [cursor, [elements...]]. */
export function replyScan(s: Session, cursor: number, elements: readonly string[]): void {
  s.reply.arrayLen(2);
  s.reply.bulk(String(cursor));
  s.reply.arrayLen(elements.length);
  for (const element of elements) s.reply.bulk(element);
}
