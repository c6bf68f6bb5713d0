// Bytes as lowercase hex digits, and random hex identifiers (run and replication IDs,
// ACL GENPASS).

const DIGITS: string[] = [];
for (let i = 0; i < 256; i++) DIGITS.push(i.toString(16).padStart(2, "0"));

/** `bytes` as two lowercase hex digits each. */
export function hexOf(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += DIGITS[bytes[i]];
  return out;
}

/** `digits` random lowercase hex digits, from the platform's secure generator. */
export function randomHex(digits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return hexOf(bytes).slice(0, digits);
}
