// The two ways DEBUG DIGEST folds a SHA-1 into a running 20-byte digest.

import { sha1 } from "../util/sha.ts";

const scratch = new Uint8Array(20);

/** `digest` ^= SHA-1(data): order-independent (set members, whole keys). */
export function xorDigest(digest: Uint8Array, data: string | Uint8Array): void {
  sha1(data, scratch);
  for (let i = 0; i < 20; i++) digest[i] ^= scratch[i];
}

/** `digest` = SHA-1(digest ^ SHA-1(data)): order-dependent (list elements, a key's parts). */
export function mixDigest(digest: Uint8Array, data: string | Uint8Array): void {
  xorDigest(digest, data);
  sha1(digest, digest);
}
