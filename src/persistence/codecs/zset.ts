// The sorted set type's forms: RDB ZSET_LISTPACK (scores as text) while Redis would
// hold a listpack, else ZSET_2 (binary doubles), and on load also ZSET (text scores)
// and ZSET_ZIPLIST; ZADD in an AOF rewrite; [member, score] pairs, lowest score first,
// in JSON Lines, where a score is a JSON number or "inf", "-inf" or "-0".

import { formatDouble17 } from "../../protocol/number_format.ts";
import {
  arrayBytes,
  HEADER_BYTES,
  numberBytes,
  OBJECT_BYTES,
  scaled,
  stringBytes,
  stringTableBytes,
} from "../../store/memory.ts";
import { SortedSetValue } from "../../store/zset.ts";
import { fromJsonText, jsonPairs, type JsonText, toJsonText } from "../json_text.ts";
import { decodeListpack, ListpackBuilder } from "../listpack.ts";
import {
  type ByteReader,
  TYPE_ZSET,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  TYPE_ZSET_ZIPLIST,
  writeBlob,
  writeString,
} from "../rdb_format.ts";
import { mixDigest, xorDigest } from "../digest_fold.ts";
import { decodeZiplist } from "../ziplist.ts";
import {
  checkPairs,
  failIntegrity,
  readBlob,
  rewriteBatches,
  type ValueCodec,
  ValueError,
} from "./codec.ts";

/** A decoded sorted set: members and scores in file order. */
export interface DecodedZset {
  members: string[];
  scores: number[];
  /** The file held a listpack or ziplist (Redis keeps those unless too many). */
  packed: boolean;
}

/** A sorted set score as Redis prints it into a listpack (d2string). */
export function scoreText(score: number): string {
  if (Number.isInteger(score) && score > -4503599627370495 && score < 4503599627370496) {
    return Object.is(score, -0) ? "-0" : String(score);
  }
  return formatDouble17(score);
}

/** A score as strtod reads what Redis writes into listpacks, or null. */
export function parseScore(text: string): number | null {
  const v = Number(text);
  if (!Number.isNaN(v) && text.trim() === text && text !== "") return v;
  switch (text.toLowerCase()) {
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Infinity;
    case "-inf":
    case "-infinity":
      return -Infinity;
  }
  return null;
}

/**
 * The members and scores in the order Redis writes them: a listpack lowest score
 * first; a skiplist highest first (each loaded member then lands at the head).
 */
function entriesInFileOrder(zset: SortedSetValue): { members: string[]; scores: number[] } {
  const n = zset.size;
  const members = new Array<string>(n);
  const scores = new Array<number>(n);
  const listpack = zset.encoding === "listpack";
  let i = 0;
  if (n > 0) {
    zset.walk(listpack ? 0 : n - 1, !listpack, (member, score) => {
      members[i] = member;
      scores[i] = score;
      i++;
    });
  }
  return { members, scores };
}

function scoreJson(score: number): number | string {
  if (score === Infinity) return "inf";
  if (score === -Infinity) return "-inf";
  if (Object.is(score, -0)) return "-0";
  return score;
}

function scoreFromJson(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (value === "inf") return Infinity;
  if (value === "-inf") return -Infinity;
  if (value === "-0") return -0;
  return null;
}

// One member's part of the digest, reused.
const element = new Uint8Array(20);

/** Sorted sets. */
export const zsetCodec: ValueCodec<SortedSetValue, DecodedZset> = {
  type: "zset",
  size: (zset) => zset.size,

  rdbTypes: [TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_ZIPLIST, TYPE_ZSET_LISTPACK],
  rdbType: (zset) => zset.encoding === "listpack" ? TYPE_ZSET_LISTPACK : TYPE_ZSET_2,
  writeRdb(w, zset, options) {
    const { members, scores } = entriesInFileOrder(zset);
    if (zset.encoding === "listpack") {
      const lp = new ListpackBuilder();
      for (let i = 0; i < members.length; i++) {
        lp.append(members[i]);
        lp.append(scoreText(scores[i]));
      }
      writeBlob(w, lp.finish(), options.compress);
    } else {
      w.length(members.length);
      for (let i = 0; i < members.length; i++) {
        writeString(w, members[i], options.compress);
        w.f64le(scores[i]);
      }
    }
  },
  readRdb(r: ByteReader, type) {
    if (type === TYPE_ZSET || type === TYPE_ZSET_2) {
      const n = r.count(2);
      const members = new Array<string>(n);
      const scores = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        members[i] = r.string();
        const at = r.pos;
        scores[i] = type === TYPE_ZSET_2 ? r.f64le() : r.textDouble();
        if (Number.isNaN(scores[i])) r.fail("sorted set score is NaN", at);
      }
      return { members, scores, packed: false };
    }
    const [blob, at] = readBlob(r);
    const listpack = type === TYPE_ZSET_LISTPACK;
    const what = listpack ? "Zset listpack" : "Zset ziplist";
    const flat = listpack ? decodeListpack(blob, at, what) : decodeZiplist(blob, at, what);
    checkPairs(flat, what, listpack ? "listpack" : "ziplist", at);
    const n = flat.length / 2;
    const members = new Array<string>(n);
    const scores = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      members[i] = flat[2 * i];
      const score = parseScore(flat[2 * i + 1]);
      if (score === null) failIntegrity(what, `invalid score of member ${i + 1}`, at);
      scores[i] = score;
    }
    return { members, scores, packed: true };
  },
  decodedSize: (decoded) => decoded.members.length,
  /**
   * A listpack from the file stays one unless it has too many members (whatever their
   * length); plain entries become a listpack when they fit both limits.
   */
  build(decoded, limits) {
    const n = decoded.members.length;
    const entries = new Array<[string, number]>(n);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const member = decoded.members[i];
      if (seen.has(member)) throw new ValueError("duplicate sorted set member");
      seen.add(member);
      if (Number.isNaN(decoded.scores[i])) throw new ValueError("sorted set score is NaN");
      entries[i] = [member, decoded.scores[i]];
    }
    return SortedSetValue.fromEntries(entries, {
      maxListpackEntries: limits.zsetMaxListpackEntries,
      maxListpackValue: decoded.packed ? Infinity : limits.zsetMaxListpackValue,
    });
  },

  rewrite(key, zset) {
    const items: string[] = [];
    for (const [member, score] of zset.entries()) items.push(formatDouble17(score), member);
    return rewriteBatches(["ZADD", key], items, 2);
  },

  toJson(zset) {
    const out: [JsonText, number | string][] = [];
    for (const [member, score] of zset.entries()) out.push([toJsonText(member), scoreJson(score)]);
    return out;
  },
  fromJson(json, fail) {
    const entries = jsonPairs(json, "zset", "[member, score] pairs", fail);
    const members: string[] = [];
    const scores: number[] = [];
    for (const [member, score] of entries) {
      members.push(fromJsonText(member) ?? fail("bad member in the zset value"));
      const n = scoreFromJson(score);
      if (n === null) fail(`bad score ${JSON.stringify(score)} in the zset value`);
      scores.push(n!);
    }
    return { members, scores, packed: false };
  },

  digestType: 3,
  // Each member with its score printed as %.17g, whatever the encoding (a listpack
  // already holds -0 as 0, as Redis's does), xored in: the order does not count.
  digest(zset, digest) {
    for (const [member, score] of zset.unordered()) {
      element.fill(0);
      mixDigest(element, member);
      mixDigest(element, formatDouble17(score));
      xorDigest(digest, element);
    }
  },
  // Listpack: parallel member and score arrays. Skiplist: a member → score Map (boxed
  // scores) and the ordered tree's member and score slots (a few nodes per 64 members).
  memory(zset, samples) {
    const size = zset.size;
    const packed = zset.encoding === "listpack";
    const nodes = Math.ceil(size / 32) * (OBJECT_BYTES + 2 * HEADER_BYTES);
    const structure = packed
      ? 2 * arrayBytes(size)
      : stringTableBytes(size) + 2 * arrayBytes(size) + nodes;
    const count = Math.min(size, samples);
    let total = 0;
    for (let i = 0; i < count; i++) {
      total += stringBytes(zset.memberAt(i).length) + (packed ? 0 : numberBytes(zset.scoreAt(i)));
    }
    return OBJECT_BYTES + structure + scaled(total, count, size);
  },
};
