// Bytes and one-byte strings, one char per byte: how Redeno holds keys, values and
// file contents without ever decoding them as UTF-8.

/** A one-byte string from bytes (file contents are never decoded as UTF-8). */
export function latin1Text(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(bytes.length, i + 8192)) as unknown as number[],
    );
  }
  return out;
}

/** Bytes from a one-byte string. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// ASCII reads the same as bytes and as UTF-8 text: no conversion.
// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** Text (a command-line argument, a path the system answered) as the one-byte string of its UTF-8 bytes. */
export function utf8Latin1(text: string): string {
  return ASCII.test(text) ? text : latin1Text(new TextEncoder().encode(text));
}

/**
 * A path held as bytes (a one-byte string, as the configuration holds every value) as
 * the text the file system API takes: Deno writes paths as UTF-8, so the bytes are read
 * as UTF-8 (this is the one place bytes are decoded: a path is the system's text).
 */
export function fsPath(bytes: string): string {
  return ASCII.test(bytes) ? bytes : new TextDecoder().decode(latin1Bytes(bytes));
}

/**
 * An argument as Redis's `%s` format prints it: a C string, so it ends at the first
 * NUL byte (`FOO "a\x00b"` is quoted as 'a').
 */
export function cString(text: string): string {
  const nul = text.indexOf("\x00");
  return nul < 0 ? text : text.slice(0, nul);
}
