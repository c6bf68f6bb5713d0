// The string type: how string values are held, and the operations every string and
// bitmap command builds on.
//
// A string value is a one-byte (latin1) string when it arrives whole from a client
// (SET, MSET ...): compact, and Redis's "int"/"embstr"/"raw" encodings can be derived
// from its content. A value modified in place (APPEND, SETRANGE, SETBIT, BITFIELD) is
// held as a Uint8Array, which Redis would also report as "raw"; its buffer may have
// spare room past `length` so repeated appends and SETBITs grow in amortized O(1).
// A Uint8Array is also the only way to hold a value longer than V8's longest string,
// and holds the rare value that reads as an integer but that Redis did not encode as
// one (`plainString`).

import { looksLikeInt64 } from "../util/int64.ts";
import type { Database } from "./keyspace.ts";

/** A string value. */
export type StringValue = string | Uint8Array;

/** The longest JS string V8 can hold; longer values stay bytes. */
const MAX_JS_STRING = 536_870_888;

/** The value as a one-byte string (copies bytes; throws past V8's string limit). */
export function toLatin1(value: StringValue, start = 0, end = value.length): string {
  if (typeof value === "string") return value.slice(start, end);
  if (end - start > MAX_JS_STRING) throw new RangeError("string too long for a JS string");
  let out = "";
  const CHUNK = 8192;
  for (let i = start; i < end; i += CHUNK) {
    out += String.fromCharCode.apply(
      null,
      value.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[],
    );
  }
  return out;
}

/** A copy of the value's bytes (or a range of them). */
export function toBytes(value: StringValue, start = 0, end = value.length): Uint8Array {
  if (typeof value !== "string") return value.slice(start, end);
  const out = new Uint8Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = value.charCodeAt(i);
  return out;
}

/** A range of the value as something the reply writer can send without copying twice. */
export function slice(value: StringValue, start: number, end: number): StringValue {
  return typeof value === "string" ? value.slice(start, end) : value.subarray(start, end);
}

/**
 * Makes the value at `key` a mutable byte array at least `minLength` long (zero-padded,
 * like Redis grows strings for SETRANGE/SETBIT) and stores it; returns it for in-place
 * changes. A missing key starts empty. The TTL is kept.
 */
export function mutableBytes(
  db: Database,
  key: string,
  current: StringValue | undefined,
  minLength: number,
): Uint8Array {
  const length = Math.max(current?.length ?? 0, minLength);
  let bytes: Uint8Array;
  if (current instanceof Uint8Array && current.buffer.byteLength - current.byteOffset >= length) {
    bytes = length === current.length
      ? current
      : new Uint8Array(current.buffer, current.byteOffset, length);
  } else {
    // Room to grow: double, but never reserve more than 1 MB past what is needed.
    const capacity = Math.min(Math.max(length, (current?.length ?? 0) * 2), length + (1 << 20));
    bytes = new Uint8Array(new ArrayBuffer(capacity), 0, length);
    if (current !== undefined) {
      if (typeof current === "string") {
        for (let i = 0; i < current.length; i++) bytes[i] = current.charCodeAt(i);
      } else bytes.set(current);
    }
  }
  if (bytes !== current) db.set(key, bytes, true);
  else NOT_INT.delete(bytes); // changed in place: "raw" from now on, as in Redis
  return bytes;
}

/** Appends bytes (a one-byte string or bytes) in place; returns the new length. */
export function appendTo(
  db: Database,
  key: string,
  current: StringValue,
  suffix: StringValue,
): number {
  const start = current.length;
  const bytes = mutableBytes(db, key, current, start + suffix.length);
  if (typeof suffix === "string") {
    for (let i = 0; i < suffix.length; i++) bytes[start + i] = suffix.charCodeAt(i);
  } else bytes.set(suffix, start);
  return bytes.length;
}

// Byte values that Redis would hold as a plain embstr/raw string although they read as
// integers (see `plainString`). A WeakSet keeps the mark off the hot path of every
// other value; an in-place change clears it.
const NOT_INT = new WeakSet<Uint8Array>();

/**
 * A value Redis creates without trying the "int" encoding (INCRBYFLOAT's result):
 * OBJECT ENCODING says "embstr" for `3` where SET would give "int". Text that would
 * not be "int" anyway stays a string; the rest becomes marked bytes.
 */
export function plainString(text: string): StringValue {
  if (!looksLikeInt64(text)) return text;
  const bytes = toBytes(text);
  NOT_INT.add(bytes);
  return bytes;
}

/** A copy of a string value that keeps its encoding (COPY); strings are shared. */
export function copyString(value: StringValue): StringValue {
  if (typeof value === "string") return value;
  const copy = value.slice();
  if (NOT_INT.has(value)) NOT_INT.add(copy);
  return copy;
}

/** OBJECT ENCODING of a string value: "int", "embstr" or "raw", as Redis would say. */
export function stringEncoding(value: StringValue): "int" | "embstr" | "raw" {
  if (typeof value !== "string") {
    return NOT_INT.has(value) && value.length <= 44 ? "embstr" : "raw";
  }
  if (looksLikeInt64(value)) return "int";
  return value.length <= 44 ? "embstr" : "raw";
}
