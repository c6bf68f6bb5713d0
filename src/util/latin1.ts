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
