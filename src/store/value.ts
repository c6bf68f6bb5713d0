// What a key can hold, the name of each type as TYPE reports it, its encoding as
// OBJECT ENCODING reports it, and deep copies for COPY.

import { HashValue } from "./hash.ts";
import type { ListValue } from "./list.ts";
import type { SetValue } from "./set.ts";
import { StreamValue } from "./stream.ts";
import { copyString, stringEncoding, type StringValue } from "./string.ts";
import type { SortedSetValue } from "./zset.ts";

export type { StringValue };

/** Any value stored under a key. Each collection class has `type`, `encoding`, `clone()`. */
export type Value =
  | StringValue
  | HashValue
  | ListValue
  | SetValue
  | SortedSetValue
  | StreamValue;

/** The type names TYPE replies with. */
export type TypeName = "string" | "hash" | "list" | "set" | "zset" | "stream";

/** The Redis type of a value. */
export function typeOf(value: Value): TypeName {
  if (typeof value === "string" || value instanceof Uint8Array) return "string";
  if (value instanceof HashValue) return "hash";
  return value.type;
}

/** True for string values (a one-byte string or raw bytes). */
export function isString(value: Value): value is StringValue {
  return typeof value === "string" || value instanceof Uint8Array;
}

/**
 * OBJECT ENCODING's answer: derived from a string's content, or the `encoding` a
 * collection value keeps (every collection type has that getter).
 */
export function encodingOf(value: Value): string {
  if (isString(value)) return stringEncoding(value);
  return (value as { encoding: string }).encoding;
}

/**
 * A copy that shares nothing mutable with the original (COPY): one-byte strings are
 * immutable and shared; bytes and collections are copied, keeping their encoding.
 * A collection type without a case here must provide a `clone()` method.
 */
export function cloneValue(value: Value): Value {
  if (typeof value === "string" || value instanceof Uint8Array) return copyString(value);
  if (value instanceof HashValue) {
    const copy = new HashValue();
    copy.hashtable = value.hashtable;
    for (const [field, v] of value.fields) copy.fields.set(field, v);
    return copy;
  }
  return (value as { clone(): Value }).clone();
}

/**
 * How much work freeing the value is, as Redis counts it to decide whether UNLINK
 * frees it in the background (more than 64): the elements of a table-encoded
 * collection, a list's nodes, a stream's nodes and pending entries; 1 for compact
 * encodings and strings.
 */
export function freeEffort(value: Value): number {
  if (isString(value)) return 1;
  if (value instanceof StreamValue) {
    let effort = value.nodes.length;
    for (const group of value.groups.values()) effort += 1 + group.pending.size;
    return effort;
  }
  const collection = value as { type: string; encoding: string; length?: number; size?: number };
  if (collection.type === "list") return Math.ceil((collection.length ?? 0) / 128);
  if (collection.encoding === "listpack" || collection.encoding === "intset") return 1;
  return collection.size ?? 1;
}
