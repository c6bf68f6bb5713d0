// A hash table from one-byte strings to values, for the large tables every command
// looks keys up in: the keyspace, and sorted-set members.
//
// Why not a Map: V8 keeps the string keys of a Map internalized, so looking a Map up
// with a string just read from a socket first looks that string up in V8's global
// string table, and a new key is added to it. With 100,000 members that is as many
// cache misses again as the Map's own probe (measured with `perf`: a GEOADD of an
// existing member spent as long in V8's string table as in the Map).
//
// Here keys hash with a seeded FNV-1a, mixed at the end (the seed is random per
// process, so nobody can choose keys that all land in one chain), and chain in
// buckets as Redis's dict does. An entry's key, value, hash and next link sit side
// by side in one array, so a lookup reads the bucket, the entry and the key's bytes.
// Each entry also has a small integer of its own (`aux`) beside them: the keyspace
// keeps a key's access time there, as Redis keeps it in the value's header, so a read
// stamps it without a second lookup.
//
// Entries never move while they are in the table: a deleted entry's place goes on a
// free list and is reused. So iterators (which walk the entries in place order) stay
// valid while the table changes, as a Map's do: an entry deleted before it is reached
// is skipped, one added may or may not be visited, and an entry present throughout is
// visited exactly once.

const STRIDE = 5; // key, value, hash, next entry (-1: none), aux
const MIN_BUCKETS = 8;
const SEED = crypto.getRandomValues(new Uint32Array(1))[0] | 0;

/** The seeded hash of a string (a Smi: 30 bits). */
export function hashKey(key: string): number {
  let h = SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

/** A Map-like table from strings to values (see the top of this file). */
export class StringTable<V> {
  // Per bucket: its first entry, or -1.
  #buckets: Int32Array = new Int32Array(MIN_BUCKETS).fill(-1);
  #mask = MIN_BUCKETS - 1;
  // Entries, STRIDE slots each; a free entry's key is undefined. Made with holes, as
  // `reserve` leaves it, so every table's array has the same elements kind.
  #slots: unknown[] = new Array(STRIDE * MIN_BUCKETS);
  // Entries in use or on the free list (the slots' high-water mark).
  #end = 0;
  #freeHead = -1;
  #size = 0;

  /**
   * Makes room for `entries` entries in all (a load that knows how many keys are
   * coming): the buckets and the entry array are allocated once instead of growing.
   */
  reserve(entries: number): void {
    let buckets = this.#buckets.length;
    while (buckets < entries) buckets *= 2;
    if (buckets !== this.#buckets.length) this.#rehash(buckets);
    if (this.#slots.length < entries * STRIDE) this.#slots.length = entries * STRIDE;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  // The entry holding `key`, or -1.
  #find(key: string, hash: number): number {
    const slots = this.#slots;
    let e = this.#buckets[hash & this.#mask];
    while (e >= 0) {
      const at = e * STRIDE;
      if (slots[at + 2] === hash && slots[at] === key) return e;
      e = slots[at + 3] as number;
    }
    return -1;
  }

  get(key: string): V | undefined {
    const e = this.#find(key, hashKey(key));
    return e < 0 ? undefined : this.#slots[e * STRIDE + 1] as V;
  }

  /** The entry holding `key` (valid until the table next changes), or -1. */
  entryOf(key: string): number {
    return this.#find(key, hashKey(key));
  }

  /** The value of an entry `entryOf` found. */
  valueAt(entry: number): V {
    return this.#slots[entry * STRIDE + 1] as V;
  }

  /** Replaces the value of an entry `entryOf` found. */
  setValueAt(entry: number, value: V): void {
    this.#slots[entry * STRIDE + 1] = value;
  }

  /** The aux integer of an entry `entryOf` found. */
  auxAt(entry: number): number {
    return this.#slots[entry * STRIDE + 4] as number;
  }

  /** Sets the aux integer (a small integer) of an entry `entryOf` found. */
  setAuxAt(entry: number, aux: number): void {
    this.#slots[entry * STRIDE + 4] = aux;
  }

  has(key: string): boolean {
    return this.#find(key, hashKey(key)) >= 0;
  }

  set(key: string, value: V): this {
    const hash = hashKey(key);
    const e = this.#find(key, hash);
    if (e >= 0) {
      this.#slots[e * STRIDE + 1] = value;
      return this;
    }
    this.#insert(key, value, hash, 0);
    return this;
  }

  /** Adds a key the caller knows is absent, with its aux integer; answers its entry. */
  insertNew(key: string, value: V, aux: number): number {
    return this.#insert(key, value, hashKey(key), aux);
  }

  /** Adds a key with its aux integer unless it is there (then -1); answers its entry. */
  insertIfAbsent(key: string, value: V, aux: number): number {
    const hash = hashKey(key);
    return this.#find(key, hash) >= 0 ? -1 : this.#insert(key, value, hash, aux);
  }

  #insert(key: string, value: unknown, hash: number, aux: number): number {
    if (this.#size >= this.#buckets.length) this.#rehash(this.#buckets.length * 2);
    let e = this.#freeHead;
    const slots = this.#slots;
    if (e >= 0) {
      this.#freeHead = slots[e * STRIDE + 3] as number;
    } else {
      e = this.#end++;
    }
    const at = e * STRIDE;
    const bucket = hash & this.#mask;
    slots[at] = key;
    slots[at + 1] = value;
    slots[at + 2] = hash;
    slots[at + 3] = this.#buckets[bucket];
    slots[at + 4] = aux;
    this.#buckets[bucket] = e;
    this.#size++;
    return e;
  }

  delete(key: string): boolean {
    const hash = hashKey(key);
    const slots = this.#slots;
    const bucket = hash & this.#mask;
    let e = this.#buckets[bucket], previous = -1;
    while (e >= 0) {
      const at = e * STRIDE;
      if (slots[at + 2] === hash && slots[at] === key) break;
      previous = e;
      e = slots[at + 3] as number;
    }
    if (e < 0) return false;
    const at = e * STRIDE;
    const next = slots[at + 3] as number;
    if (previous < 0) this.#buckets[bucket] = next;
    else slots[previous * STRIDE + 3] = next;
    slots[at] = undefined;
    slots[at + 1] = undefined;
    slots[at + 2] = 0;
    slots[at + 3] = this.#freeHead;
    slots[at + 4] = 0;
    this.#freeHead = e;
    this.#size--;
    if (this.#size === 0) this.clear();
    else if (this.#buckets.length > MIN_BUCKETS && this.#size < this.#buckets.length >>> 3) {
      this.#rehash(this.#buckets.length >>> 1);
    }
    return true;
  }

  clear(): void {
    this.#buckets = new Int32Array(MIN_BUCKETS).fill(-1);
    this.#mask = MIN_BUCKETS - 1;
    // Iterators still walking the old entries end there.
    this.#slots = new Array(STRIDE * MIN_BUCKETS);
    this.#end = 0;
    this.#freeHead = -1;
    this.#size = 0;
  }

  // Relinks every entry into a new bucket array (entries stay where they are).
  #rehash(buckets: number): void {
    const heads = new Int32Array(buckets).fill(-1);
    const mask = buckets - 1;
    const slots = this.#slots;
    for (let e = 0; e < this.#end; e++) {
      const at = e * STRIDE;
      if (slots[at] === undefined) continue;
      const bucket = (slots[at + 2] as number) & mask;
      slots[at + 3] = heads[bucket];
      heads[bucket] = e;
    }
    this.#buckets = heads;
    this.#mask = mask;
  }

  *keys(): Generator<string, undefined> {
    const slots = this.#slots;
    for (let e = 0; e < this.#end && slots === this.#slots; e++) {
      const key = slots[e * STRIDE];
      if (key !== undefined) yield key as string;
    }
  }

  *values(): Generator<V, undefined> {
    const slots = this.#slots;
    for (let e = 0; e < this.#end && slots === this.#slots; e++) {
      if (slots[e * STRIDE] !== undefined) yield slots[e * STRIDE + 1] as V;
    }
  }

  *entries(): Generator<[string, V], undefined> {
    const slots = this.#slots;
    for (let e = 0; e < this.#end && slots === this.#slots; e++) {
      const key = slots[e * STRIDE];
      if (key !== undefined) yield [key as string, slots[e * STRIDE + 1] as V];
    }
  }

  [Symbol.iterator](): Generator<[string, V], undefined> {
    return this.entries();
  }

  /** Visits every entry's key and aux integer, letting `visit` replace the aux. */
  updateAux(visit: (key: string, aux: number) => number): void {
    const slots = this.#slots;
    for (let e = 0; e < this.#end; e++) {
      const at = e * STRIDE;
      if (slots[at] !== undefined) {
        slots[at + 4] = visit(slots[at] as string, slots[at + 4] as number);
      }
    }
  }

  forEach(visit: (value: V, key: string) => void): void {
    for (const [key, value] of this.entries()) visit(value, key);
  }
}
