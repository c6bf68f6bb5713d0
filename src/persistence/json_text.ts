// Byte strings in JSON Lines (see jsonl.ts): a JSON string when the bytes are valid
// UTF-8, else {"base64": "..."}; both read back to the exact bytes. Also the checks
// the codecs share when they read a collection's JSON form.

import type { JsonFail } from "./codecs/codec.ts";

/** A byte string as written: text, or base64 when the bytes are not UTF-8. */
export type JsonText = string | { base64: string };

// Fatal: bytes that are not UTF-8 must fall back to base64, never be replaced.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
// Any byte past 0x7f means the text needs UTF-8 handling.
const NOT_ASCII = /[\u0080-\uffff]/;

/** A one-byte string (the store's bytes) as JSON text. */
export function toJsonText(bytes: string): JsonText {
  if (!NOT_ASCII.test(bytes)) return bytes;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = bytes.charCodeAt(i);
  try {
    return utf8Decoder.decode(raw);
  } catch {
    return { base64: btoa(bytes) };
  }
}

/** JSON text back to a one-byte string; null when it is neither form. */
export function fromJsonText(text: unknown): string | null {
  if (typeof text === "string") {
    if (!NOT_ASCII.test(text)) return text;
    const raw = utf8Encoder.encode(text);
    let out = "";
    for (let i = 0; i < raw.length; i += 8192) {
      out += String.fromCharCode(...raw.subarray(i, Math.min(raw.length, i + 8192)));
    }
    return out;
  }
  if (
    typeof text === "object" && text !== null && Object.keys(text).length === 1 &&
    typeof (text as { base64: unknown }).base64 === "string"
  ) {
    try {
      return atob((text as { base64: string }).base64);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * A `type` value that must be an array of byte strings (`what`: "elements",
 * "members"), as one-byte strings.
 */
export function jsonTexts(json: unknown, type: string, what: string, fail: JsonFail): string[] {
  if (!Array.isArray(json)) return fail(`a ${type} value must be an array of ${what}`);
  return json.map((item) => fromJsonText(item) ?? fail(`bad ${what} in the ${type} value`));
}

/**
 * A `type` value that must be an array of two-element arrays (`what`: "[field, value]
 * pairs"); every pair's shape is checked before any of their contents.
 */
export function jsonPairs(
  json: unknown,
  type: string,
  what: string,
  fail: JsonFail,
): [unknown, unknown][] {
  if (!Array.isArray(json)) return fail(`a ${type} value must be an array of ${what}`);
  for (const pair of json) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail(`a ${type} value must be an array of ${what}`);
    }
  }
  return json as [unknown, unknown][];
}
