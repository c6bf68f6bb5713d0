// The hash type's forms: RDB HASH_LISTPACK while Redis would hold a listpack, else
// plain HASH, and on load also HASH_ZIPMAP and HASH_ZIPLIST; HMSET in an AOF rewrite;
// [field, value] pairs in the hash's order in JSON Lines.

import { HashValue } from "../../store/hash.ts";
import {
  mapBytes,
  OBJECT_BYTES,
  scaled,
  stringBytes,
  stringTableBytes,
} from "../../store/memory.ts";
import { fromJsonText, jsonPairs, type JsonText, toJsonText } from "../json_text.ts";
import { decodeListpack, ListpackBuilder } from "../listpack.ts";
import {
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_HASH_ZIPLIST,
  TYPE_HASH_ZIPMAP,
  writeBlob,
  writeString,
} from "../rdb_format.ts";
import { mixDigest, xorDigest } from "../digest_fold.ts";
import { decodeZiplist, decodeZipmap } from "../ziplist.ts";
import { checkPairs, readBlob, rewriteBatches, type ValueCodec, ValueError } from "./codec.ts";

/** A decoded hash: field, value, field, value ... in file order. */
export interface DecodedHash {
  pairs: string[];
  /** The file held a listpack, ziplist or zipmap (Redis keeps those unless too many). */
  packed: boolean;
  /** It was a zipmap: Redis checks its lengths too (hash-max-listpack-value). */
  zipmap?: boolean;
}

// One field's part of the digest, reused.
const element = new Uint8Array(20);

/** Hashes. */
export const hashCodec: ValueCodec<HashValue, DecodedHash> = {
  type: "hash",
  size: (hash) => hash.size,

  rdbTypes: [TYPE_HASH, TYPE_HASH_ZIPMAP, TYPE_HASH_ZIPLIST, TYPE_HASH_LISTPACK],
  rdbType: (hash) => hash.hashtable ? TYPE_HASH : TYPE_HASH_LISTPACK,
  writeRdb(w, hash, options) {
    const compress = options.compress;
    if (!hash.hashtable) {
      const lp = new ListpackBuilder();
      for (const [field, v] of hash.fields) {
        lp.append(field);
        lp.append(v);
      }
      writeBlob(w, lp.finish(), compress);
    } else {
      w.length(hash.fields.size);
      for (const [field, v] of hash.fields) {
        writeString(w, field, compress);
        writeString(w, v, compress);
      }
    }
  },
  readRdb(r, type) {
    if (type === TYPE_HASH) {
      const n = r.count(2);
      const pairs = new Array<string>(n * 2);
      for (let i = 0; i < n * 2; i++) pairs[i] = r.string();
      return { pairs, packed: false };
    }
    const [blob, at] = readBlob(r);
    let pairs: string[];
    if (type === TYPE_HASH_ZIPMAP) {
      pairs = decodeZipmap(blob, at);
      checkPairs(pairs, "Zipmap", "zipmap", at);
      return { pairs, packed: true, zipmap: true };
    } else if (type === TYPE_HASH_LISTPACK) {
      pairs = decodeListpack(blob, at, "Hash listpack");
      checkPairs(pairs, "Hash listpack", "listpack", at);
    } else {
      pairs = decodeZiplist(blob, at, "Hash ziplist");
      checkPairs(pairs, "Hash ziplist", "ziplist", at);
    }
    return { pairs, packed: true };
  },
  decodedSize: (decoded) => decoded.pairs.length / 2,
  /**
   * A listpack or ziplist from the file stays a listpack unless it has too many fields
   * (whatever their length); plain pairs and a zipmap start as a listpack and convert
   * past either limit.
   */
  build(decoded, limits) {
    const hash = new HashValue();
    const pairs = decoded.pairs;
    const hashLimits = {
      maxListpackEntries: limits.hashMaxListpackEntries,
      maxListpackValue: decoded.packed && !decoded.zipmap ? Infinity : limits.hashMaxListpackValue,
    };
    if (!decoded.packed && pairs.length / 2 > limits.hashMaxListpackEntries) {
      hash.hashtable = true;
    }
    for (let i = 0; i < pairs.length; i += 2) {
      if (!hash.set(pairs[i], pairs[i + 1], hashLimits)) {
        throw new ValueError("duplicate hash field");
      }
    }
    return hash;
  },

  rewrite(key, hash) {
    const items: string[] = [];
    for (const [field, v] of hash.fields) items.push(field, v);
    return rewriteBatches(["HMSET", key], items, 2);
  },

  toJson(hash) {
    const out: [JsonText, JsonText][] = [];
    for (const [field, v] of hash.fields) out.push([toJsonText(field), toJsonText(v)]);
    return out;
  },
  fromJson(json, fail) {
    const flat: string[] = [];
    for (const [field, v] of jsonPairs(json, "hash", "[field, value] pairs", fail)) {
      flat.push(fromJsonText(field) ?? fail("bad field in the hash value"));
      flat.push(fromJsonText(v) ?? fail("bad value in the hash value"));
    }
    return { pairs: flat, packed: false };
  },

  digestType: 4,
  // Each field with its value, xored in: the order does not count.
  digest(hash, digest) {
    for (const [field, v] of hash.fields) {
      element.fill(0);
      mixDigest(element, field);
      mixDigest(element, v);
      xorDigest(digest, element);
    }
  },
  memory(hash, samples) {
    const size = hash.size;
    let total = 0, count = 0;
    if (size !== 0) {
      for (const [field, v] of hash.fields) {
        total += stringBytes(field.length) + stringBytes(v.length);
        if (++count >= samples) break;
      }
    }
    const table = hash.hashtable ? stringTableBytes(size) : mapBytes(size);
    return OBJECT_BYTES + table + scaled(total, count, size);
  },
};
