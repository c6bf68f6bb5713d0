// The one place where persistence meets the value classes of src/store/: adapters that
// build a value from what an RDB file holds (keeping Redis's encoding decisions on
// load) and that walk a value for the writer.

import { HashValue } from "../store/hash.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import type { StringValue } from "../store/string.ts";
import type { Value } from "../store/value.ts";
import { SortedSetValue } from "../store/zset.ts";

/** The encoding thresholds in force when loading (the *-max-* config directives). */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** list-max-listpack-size: negative = node size class, positive = elements a node. */
  listMaxListpackSize: number;
}

/** Redis 7.0's defaults. */
export const DEFAULT_LIMITS: Readonly<EncodingLimits> = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
};

/** What an RDB value decodes to before it becomes a store value. */
export type RdbObject =
  | { kind: "string"; value: StringValue }
  | { kind: "list"; items: string[] }
  | { kind: "set"; members: string[] }
  /** `packed`: the file held a listpack/ziplist (Redis keeps those unless too many). */
  | { kind: "zset"; members: string[]; scores: number[]; packed: boolean }
  /** Flattened field, value pairs; `packed` as for zsets. */
  | { kind: "hash"; pairs: string[]; packed: boolean };

/** Why a decoded value cannot become a store value (duplicates: corrupt data). */
export class ValueError extends Error {}

/** Number of elements; 0 means the key is empty (Redis skips such keys on load). */
export function objectSize(obj: RdbObject): number {
  switch (obj.kind) {
    case "string":
      return 1;
    case "list":
      return obj.items.length;
    case "set":
      return obj.members.length;
    case "zset":
      return obj.members.length;
    case "hash":
      return obj.pairs.length / 2;
  }
}

/**
 * The store value for a decoded object, encoded as Redis 7.0 encodes what it loads:
 * a listpack hash or zset stays one unless it has too many elements; a plain hash
 * starts as a listpack and converts past either limit; a plain zset becomes a
 * listpack when it fits; a set is an intset while its members are integers and few.
 * Throws ValueError on duplicate members or fields.
 */
export function buildValue(obj: RdbObject, limits: EncodingLimits): Value {
  switch (obj.kind) {
    case "string":
      return obj.value;
    case "list":
      return ListValue.from(obj.items);
    case "set": {
      const set = new SetValue();
      for (const member of obj.members) {
        if (!set.add(member, limits.setMaxIntsetEntries)) {
          throw new ValueError("duplicate set member");
        }
      }
      return set;
    }
    case "zset": {
      const n = obj.members.length;
      const entries = new Array<[string, number]>(n);
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const member = obj.members[i];
        if (seen.has(member)) throw new ValueError("duplicate sorted set member");
        seen.add(member);
        if (Number.isNaN(obj.scores[i])) throw new ValueError("sorted set score is NaN");
        entries[i] = [member, obj.scores[i]];
      }
      return SortedSetValue.fromEntries(entries, {
        maxListpackEntries: limits.zsetMaxListpackEntries,
        maxListpackValue: obj.packed ? Infinity : limits.zsetMaxListpackValue,
      });
    }
    case "hash": {
      const hash = new HashValue();
      const pairs = obj.pairs;
      const hashLimits = {
        maxListpackEntries: limits.hashMaxListpackEntries,
        maxListpackValue: obj.packed ? Infinity : limits.hashMaxListpackValue,
      };
      if (!obj.packed && pairs.length / 2 > limits.hashMaxListpackEntries) hash.hashtable = true;
      for (let i = 0; i < pairs.length; i += 2) {
        if (!hash.set(pairs[i], pairs[i + 1], hashLimits)) {
          throw new ValueError("duplicate hash field");
        }
      }
      return hash;
    }
  }
}

// ---------------------------------------------------------------------------
// Walking values for the writer

/** A list's elements, head to tail, and their number. */
export function listItems(list: ListValue): { length: number; items: Iterable<string> } {
  return { length: list.length, items: list };
}

/** A set's members, and whether Redis would hold it as an intset. */
export function setMembers(set: SetValue): { intset: boolean; members: string[] } {
  return { intset: set.isIntset, members: set.toArray() };
}

/**
 * A sorted set's members and scores. A listpack lists them lowest first; a skiplist
 * highest first, the order Redis writes (each loaded member then lands at the head).
 */
export function zsetEntries(
  zset: SortedSetValue,
): { listpack: boolean; members: string[]; scores: number[] } {
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
  return { listpack, members, scores };
}

/** A hash's fields and values in order, and whether Redis would hold it as a listpack. */
export function hashFields(hash: HashValue): { listpack: boolean; fields: Map<string, string> } {
  return { listpack: !hash.hashtable, fields: hash.fields };
}

/** True for a collection with no elements (never written: loaders reject them). */
export function isEmptyValue(value: Value): boolean {
  if (typeof value === "string" || value instanceof Uint8Array) return false;
  if (value instanceof HashValue) return value.size === 0;
  if (value instanceof ListValue) return value.length === 0;
  if (value instanceof SetValue) return value.size === 0;
  return (value as SortedSetValue).size === 0;
}
