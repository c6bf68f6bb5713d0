// The set type's forms: RDB SET_INTSET while Redis would hold an intset, else plain
// SET; SADD in an AOF rewrite; an array of byte strings in JSON Lines. A loaded set
// is an intset while its members are integers and few enough.

import {
  arrayBytes,
  capacityFor,
  OBJECT_BYTES,
  scaled,
  stringBytes,
  stringTableBytes,
  TYPED_ARRAY_BYTES,
} from "../../store/memory.ts";
import { SetValue } from "../../store/set.ts";
import { decodeIntset, encodeIntset } from "../intset.ts";
import { jsonTexts, toJsonText } from "../json_text.ts";
import { TYPE_SET, TYPE_SET_INTSET, writeBlob, writeString } from "../rdb_format.ts";
import { xorDigest } from "../digest_fold.ts";
import { readBlob, rewriteBatches, type ValueCodec, ValueError } from "./codec.ts";

/** Sets: decoded, the members in file order. */
export const setCodec: ValueCodec<SetValue, string[]> = {
  type: "set",
  size: (set) => set.size,

  rdbTypes: [TYPE_SET, TYPE_SET_INTSET],
  rdbType: (set) => set.isIntset ? TYPE_SET_INTSET : TYPE_SET,
  writeRdb(w, set, options) {
    const members = set.toArray();
    if (set.isIntset) {
      writeBlob(w, encodeIntset(members.map((m) => BigInt(m))), options.compress);
    } else {
      w.length(members.length);
      for (const member of members) writeString(w, member, options.compress);
    }
  },
  readRdb(r, type) {
    if (type === TYPE_SET_INTSET) {
      const [blob, at] = readBlob(r);
      return decodeIntset(blob, at);
    }
    const n = r.count(1);
    const members = new Array<string>(n);
    for (let i = 0; i < n; i++) members[i] = r.string();
    return members;
  },
  decodedSize: (members) => members.length,
  build(members, limits) {
    const set = new SetValue();
    for (const member of members) {
      if (!set.add(member, limits.setMaxIntsetEntries)) {
        throw new ValueError("duplicate set member");
      }
    }
    return set;
  },

  rewrite: (key, set) => rewriteBatches(["SADD", key], set.toArray(), 1),

  toJson: (set) => set.toArray().map(toJsonText),
  fromJson: (json, fail) => jsonTexts(json, "set", "members", fail),

  digestType: 2,
  digest(set, digest) {
    for (const member of set.members()) xorDigest(digest, member);
  },
  memory(set, samples) {
    const size = set.size;
    if (set.isIntset) return OBJECT_BYTES + TYPED_ARRAY_BYTES + capacityFor(size) * 8;
    const count = Math.min(size, samples);
    let total = 0;
    for (let i = 0; i < count; i++) total += stringBytes(set.at(i).length);
    return OBJECT_BYTES + stringTableBytes(size) + arrayBytes(size) + scaled(total, count, size);
  },
};
