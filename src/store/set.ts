// The set type: unordered unique one-byte strings, in one of Redis 7.0's two encodings.
//
// intset: while every member reads as a 64-bit integer (string2ll's strict form) and
// there are at most set-max-intset-entries of them, Redis keeps the numbers sorted in
// a compact array, and every reply that walks the set lists them in numeric order.
// Here that is a sorted BigInt64Array, 8 bytes a member, searched by bisection.
//
// hashtable: past those limits the set converts and never converts back (SPOP's
// "keep the few that remain" strategy builds a fresh set, which may be an intset
// again: see `rebuild`). Here that is a StringTable (./string_table.ts) from member to
// its slot in a dense array, so membership, adding, removing (swap with the last slot)
// and picking a uniformly random member are all O(1). Iteration follows the table,
// whose live iterators are what SSCAN's cursors hold.

import { parseInt64 } from "../util/int64.ts";
import type { Account } from "./accounting.ts";
import { StringTable } from "./string_table.ts";

/** Redis caps set-max-intset-entries at 2^30 because of the intset's internals. */
const INTSET_CAP = 1 << 30;

/** The intset → hashtable threshold in force (set-max-intset-entries). */
export type SetLimit = number;

/** A set value. */
export class SetValue {
  readonly type = "set";
  /** Where the memory total counts this value (see store/accounting.ts). */
  account: Account | null = null;
  // intset encoding: #ints[0..#count) sorted ascending; null once a hashtable.
  #ints: BigInt64Array | null = new BigInt64Array(4);
  #count = 0;
  // hashtable encoding: member → index into #list.
  #index: StringTable<number> | null = null;
  #list: string[] | null = null;

  /** Number of members. */
  get size(): number {
    return this.#index === null ? this.#count : this.#list!.length;
  }

  /** True while the set is intset-encoded. */
  get isIntset(): boolean {
    return this.#index === null;
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "intset" | "hashtable" {
    return this.#index === null ? "intset" : "hashtable";
  }

  /** True when the member is in the set. */
  has(member: string): boolean {
    if (this.#index !== null) return this.#index.has(member);
    const n = parseInt64(member);
    return n !== null && this.#search(n) >= 0;
  }

  /**
   * Adds a member; true when it was new. An intset converts to a hashtable when the
   * member is not an integer or the set grows past `maxIntset` members.
   */
  add(member: string, maxIntset: SetLimit): boolean {
    if (this.#index === null) {
      const n = parseInt64(member);
      if (n !== null) {
        const at = this.#search(n);
        if (at >= 0) return false;
        this.#insertAt(-at - 1, n);
        if (this.#count > Math.min(maxIntset, INTSET_CAP)) this.#toHashtable();
        return true;
      }
      this.#toHashtable();
    }
    if (this.#index!.insertIfAbsent(member, this.#list!.length, 0) < 0) return false;
    this.#list!.push(member);
    return true;
  }

  /** Removes a member; true when it was there. */
  remove(member: string): boolean {
    if (this.#index === null) {
      const n = parseInt64(member);
      if (n === null) return false;
      const at = this.#search(n);
      if (at < 0) return false;
      const ints = this.#ints!;
      ints.copyWithin(at, at + 1, this.#count);
      this.#count--;
      return true;
    }
    const slot = this.#index.get(member);
    if (slot === undefined) return false;
    this.#index.delete(member);
    const list = this.#list!;
    const last = list.pop()!;
    if (slot < list.length) {
      list[slot] = last;
      this.#index.set(last, slot);
    }
    return true;
  }

  /** Every member: numeric order for an intset, the table's order for a hashtable. */
  *members(): IterableIterator<string> {
    if (this.#index !== null) {
      yield* this.#index.keys();
      return;
    }
    const ints = this.#ints!;
    for (let i = 0; i < this.#count; i++) yield ints[i].toString();
  }

  /** Every member as an array, in the order of `members()`. */
  toArray(): string[] {
    if (this.#index !== null) return [...this.#index.keys()];
    const out = new Array<string>(this.#count);
    const ints = this.#ints!;
    for (let i = 0; i < this.#count; i++) out[i] = ints[i].toString();
    return out;
  }

  /**
   * The hashtable's table, for SSCAN's live iterators (null for an intset, which SSCAN
   * returns whole). A new table after a re-encoding, so stale cursors start over.
   */
  get table(): { keys(): Iterator<string>; readonly size: number } | null {
    return this.#index;
  }

  /** The member at a position in 0..size-1 (uniform random picks); O(1). */
  at(position: number): string {
    return this.#index === null ? this.#ints![position].toString() : this.#list![position];
  }

  /** A member picked uniformly at random; the set must not be empty. */
  random(): string {
    return this.at(Math.floor(Math.random() * this.size));
  }

  /** Removes and returns a member picked uniformly at random; the set must not be empty. */
  pop(): string {
    const member = this.random();
    this.remove(member);
    return member;
  }

  /**
   * Keeps only `keep` (members of this set), re-encoded from scratch as Redis's SPOP
   * does when it pops most of a set: the result is an intset again when every kept
   * member is an integer and they fit, whatever the encoding before.
   */
  rebuild(keep: Iterable<string>, maxIntset: SetLimit): void {
    this.#ints = new BigInt64Array(4);
    this.#count = 0;
    this.#index = null;
    this.#list = null;
    for (const member of keep) this.add(member, maxIntset);
  }

  /** A copy sharing nothing mutable (COPY), keeping the encoding. */
  clone(): SetValue {
    const copy = new SetValue();
    if (this.#index === null) {
      copy.#ints = this.#ints!.slice(0, Math.max(4, this.#count));
      copy.#count = this.#count;
    } else {
      copy.#ints = null;
      copy.#list = this.#list!.slice();
      copy.#index = indexOf(copy.#list);
    }
    return copy;
  }

  // Bisection over the intset: the index of n, or -(insertion point) - 1.
  #search(n: bigint): number {
    const ints = this.#ints!;
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ints[mid];
      if (v < n) lo = mid + 1;
      else if (v > n) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  #insertAt(at: number, n: bigint): void {
    let ints = this.#ints!;
    if (this.#count === ints.length) {
      const grown = new BigInt64Array(ints.length * 2);
      grown.set(ints);
      this.#ints = ints = grown;
    }
    ints.copyWithin(at + 1, at, this.#count);
    ints[at] = n;
    this.#count++;
  }

  #toHashtable(): void {
    const list = this.toArray();
    this.#index = indexOf(list);
    this.#list = list;
    this.#ints = null;
    this.#count = 0;
  }
}

// A hashtable's index: each member of `list` (distinct) to its place in it.
function indexOf(list: string[]): StringTable<number> {
  const index = new StringTable<number>();
  for (let i = 0; i < list.length; i++) index.insertNew(list[i], i, 0);
  return index;
}
