// DEBUG DIGEST and DEBUG DIGEST-VALUE as Redis 7.0.15 computes them, so that a
// Redeno master and a replica (Redeno or Redis) can compare datasets.
//
// A key's digest starts at twenty zero bytes; the key's name is mixed in, then the
// value: its type number (4 bytes, big-endian), its contents the way its codec folds
// them (codecs/), and the marker "!!expire!!" xored in when the key has a TTL (the
// time itself does not count). The dataset's digest starts at zero too; for every
// non-empty database in order, the database number (4 bytes, big-endian) is mixed in,
// then the SHA-1 of each key's digest is xored in, so the order of keys does not
// count. An empty dataset is forty zeros. DIGEST-VALUE is the value's part alone
// (type, contents, TTL marker), without the key's name.
//
// "Mixing" data in is digest = SHA-1(digest ^ SHA-1(data)); "xoring" is
// digest ^= SHA-1(data) (see sha1.ts).

import type { Keyspace } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import { codecOf } from "./codecs/mod.ts";
import { mixDigest, xorDigest } from "./digest_fold.ts";
import { hexOf } from "../util/hex.ts";

const EXPIRE_MARK = "!!expire!!";
const number32 = new Uint8Array(4);

function mixNumber(digest: Uint8Array, n: number): void {
  new DataView(number32.buffer).setUint32(0, n, false);
  mixDigest(digest, number32);
}

// Folds one value (and its TTL marker) into a key's digest.
function foldValue(digest: Uint8Array, value: Value, hasExpire: boolean): void {
  const codec = codecOf(value);
  mixNumber(digest, codec.digestType);
  codec.digest(value, digest);
  if (hasExpire) xorDigest(digest, EXPIRE_MARK);
}

/** Options of `valueDigest`. */
export interface ValueDigestOptions {
  /** The key holding the value has a TTL (any: the time does not count). */
  hasExpire?: boolean;
}

/**
 * DEBUG DIGEST-VALUE for one key: 40 hex digits, all zeros for a missing key
 * (`undefined`). Like Redis, look the value up without expiring it
 * (`db.data.get(key)`), and pass `hasExpire: db.expires.has(key)`.
 */
export function valueDigest(value: Value | undefined, options: ValueDigestOptions = {}): string {
  const digest = new Uint8Array(20);
  if (value !== undefined) foldValue(digest, value, options.hasExpire ?? false);
  return hexOf(digest);
}

/**
 * DEBUG DIGEST: 40 hex digits summing up every key of every database with its value
 * and whether it has a TTL. Like Redis, keys whose time has run out but that are
 * still held count.
 */
export function datasetDigest(keyspace: Keyspace): string {
  const total = new Uint8Array(20);
  const digest = new Uint8Array(20);
  const databases = keyspace.databases;
  for (let id = 0; id < databases.length; id++) {
    const db = databases[id];
    if (db.size === 0) continue;
    mixNumber(total, id);
    const expires = db.expires;
    for (const [key, value] of db.data) {
      digest.fill(0);
      mixDigest(digest, key);
      foldValue(digest, value, expires.size !== 0 && expires.has(key));
      xorDigest(total, digest);
    }
  }
  return hexOf(total);
}
