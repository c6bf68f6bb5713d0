// Typed key lookups shared by the collection families, like Redis's lookupKey*OrReply:
// the value at a key when it has the wanted type, undefined when the key is missing,
// null (after replying WRONGTYPE) when it holds another type. Reads count keyspace hits
// and misses and fire `keymiss` as Redis's lookupKeyRead does; lookups for writing do not.

import { NOTIFY } from "../config/mod.ts";
import { ERR_WRONG_TYPE } from "../protocol/errors.ts";
import type { Session } from "./context.ts";
import type { Value } from "../store/value.ts";

// deno-lint-ignore no-explicit-any
type Class<T> = abstract new (...args: any[]) => T;

/**
 * The value at `key`, of any type, for a read: counts a keyspace hit or a miss, and a
 * miss fires `keymiss` (Redis's lookupKeyRead).
 */
export function lookupRead(s: Session, key: string): Value | undefined {
  const value = s.db.get(key);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", key);
  } else s.server.stats.keyspaceHits++;
  return value;
}

/** The value at `key` for a read command. */
export function readTyped<T>(s: Session, key: string, type: Class<T>): T | undefined | null {
  const value = s.db.get(key);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", key);
    return undefined;
  }
  s.server.stats.keyspaceHits++;
  if (value instanceof type) return value;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}

/** The value at `key` for a write command. */
export function writeTyped<T>(s: Session, key: string, type: Class<T>): T | undefined | null {
  const value = s.db.get(key);
  if (value === undefined || value instanceof type) return value as T | undefined;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}
