// What a key can hold, and the name of each type as TYPE reports it.

import { HashValue } from "./hash.ts";
import type { StringValue } from "./string.ts";

export type { StringValue };

/** Any value stored under a key. Later types join this union. */
export type Value = StringValue | HashValue;

/** The type names TYPE replies with. */
export type TypeName = "string" | "hash";

/** The Redis type of a value. */
export function typeOf(value: Value): TypeName {
  if (typeof value === "string" || value instanceof Uint8Array) return "string";
  return "hash";
}

/** True for string values (a one-byte string or raw bytes). */
export function isString(value: Value): value is StringValue {
  return typeof value === "string" || value instanceof Uint8Array;
}
