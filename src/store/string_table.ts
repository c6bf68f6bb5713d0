// A hash table from one-byte strings to values, for the large tables commands look
// keys up in: the keyspace, sorted-set members, set members, a hashtable hash's fields.
//
// Why not a Map: V8 keeps the string keys of a Map internalized, so looking a Map up
// with a string just read from a socket first looks that string up in V8's global
// string table, and a new key is added to it. With 100,000 members that is as many
// cache misses again as the Map's own probe (measured with `perf`: a GEOADD of an
// existing member spent as long in V8's string table as in the Map).
//
// Here keys hash with a seeded FNV-1a, mixed at the end (the seed is random per
// process, so nobody can choose keys that all land in one chain), and chain in
// buckets as Redis's dict does. An entry's hash and next link sit side by side in a
// typed array, its key and value in a plain one, so walking a chain reads only the
// small, dense links, and the key only when the hash matches (measured: a million-key
// load spent a fifth of its time walking chains through the plain arrays). Each entry
// also has a small integer of its own (`aux`) beside its key and value: the keyspace
// keeps a key's access time there, as Redis keeps it in the value's header, so a read
// stamps it without a second lookup.
//
// Entries live in pages of 4,096 (the first page grows up to that size, so a small
// table stays small): growing never copies a large array, which for millions of keys
// paused the server for hundreds of milliseconds, as a Map's doubling does.
//
// Entries never move while they are in the table: a deleted entry's place goes on a
// free list and is reused. So iterators (which walk the entries in place order) stay
// valid while the table changes, as a Map's do: an entry deleted before it is reached
// is skipped, one added may or may not be visited, and an entry present throughout is
// visited exactly once.

const STRIDE = 3; // key, value, aux
const LINK_STRIDE = 2; // hash, next entry (-1: none)
const MIN_BUCKETS = 8;
const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS; // entries in a page
const PAGE_MASK = PAGE - 1;
const SEED = crypto.getRandomValues(new Uint32Array(1))[0] | 0;

// The last key hashed and its hash: a command looks its key up more than once (a read,
// then a write), and pipelines repeat keys. Comparing with the same string is one
// pointer comparison; hashing reads every character.
let lastKey = "";
let lastHash = hashOf("");

/** The seeded hash of a string (a Smi: 30 bits). */
export function hashKey(key: string): number {
  if (key === lastKey) return lastHash;
  const h = hashOf(key);
  lastKey = key;
  lastHash = h;
  return h;
}

function hashOf(key: string): number {
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
  // Entries, STRIDE slots each, entry e in page e >>> PAGE_BITS; a free entry's key is
  // undefined. Pages are made with holes, so every page has the same elements kind.
  #pages: unknown[][] = [new Array(STRIDE * MIN_BUCKETS)];
  // The entries' links, LINK_STRIDE slots each, in pages as the entries are.
  #links: Int32Array[] = [new Int32Array(LINK_STRIDE * MIN_BUCKETS)];
  // Entries in use or on the free list (the high-water mark).
  #end = 0;
  #freeHead = -1;
  #size = 0;
  #generation = 0;

  /**
   * Makes room for `entries` entries in all (a load that knows how many keys are
   * coming): the buckets and the pages are allocated once instead of growing.
   */
  reserve(entries: number): void {
    let buckets = this.#buckets.length;
    while (buckets < entries) buckets *= 2;
    if (buckets !== this.#buckets.length) this.#rehash(buckets);
    const pages = this.#pages;
    const first = pages[0];
    const wanted = Math.min(entries, PAGE);
    if (first.length < wanted * STRIDE) first.length = wanted * STRIDE;
    this.#growFirstLinks(wanted);
    while (pages.length * PAGE < entries) {
      pages.push(new Array(PAGE * STRIDE));
      this.#links.push(new Int32Array(PAGE * LINK_STRIDE));
    }
  }

  // The first page's links, for `entries` entries at least.
  #growFirstLinks(entries: number): void {
    const old = this.#links[0];
    if (old.length >= entries * LINK_STRIDE) return;
    const grown = new Int32Array(entries * LINK_STRIDE);
    grown.set(old);
    this.#links[0] = grown;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Every entry number in use or free is below this (see keyAt). */
  get entryLimit(): number {
    return this.#end;
  }

  /** Changes when the table is cleared: entry numbers from before then mean nothing. */
  get generation(): number {
    return this.#generation;
  }

  /** The key of entry `entry` (below entryLimit), or undefined when it is free. */
  keyAt(entry: number): string | undefined {
    return this.#pages[entry >>> PAGE_BITS][(entry & PAGE_MASK) * STRIDE] as string | undefined;
  }

  // The entry holding `key`, or -1.
  #find(key: string, hash: number): number {
    const links = this.#links;
    let e = this.#buckets[hash & this.#mask];
    while (e >= 0) {
      const page = links[e >>> PAGE_BITS];
      const at = (e & PAGE_MASK) * LINK_STRIDE;
      if (page[at] === hash && this.#pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE] === key) {
        return e;
      }
      e = page[at + 1];
    }
    return -1;
  }

  get(key: string): V | undefined {
    const e = this.#find(key, hashKey(key));
    return e < 0 ? undefined : this.#pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE + 1] as V;
  }

  /** The entry holding `key` (valid until it is deleted), or -1. */
  entryOf(key: string): number {
    return this.#find(key, hashKey(key));
  }

  /** The value of an entry `entryOf` found. */
  valueAt(entry: number): V {
    return this.#pages[entry >>> PAGE_BITS][(entry & PAGE_MASK) * STRIDE + 1] as V;
  }

  /** Replaces the value of an entry `entryOf` found. */
  setValueAt(entry: number, value: V): void {
    this.#pages[entry >>> PAGE_BITS][(entry & PAGE_MASK) * STRIDE + 1] = value;
  }

  /** The aux integer of an entry `entryOf` found. */
  auxAt(entry: number): number {
    return this.#pages[entry >>> PAGE_BITS][(entry & PAGE_MASK) * STRIDE + 2] as number;
  }

  /** Sets the aux integer (a small integer) of an entry `entryOf` found. */
  setAuxAt(entry: number, aux: number): void {
    this.#pages[entry >>> PAGE_BITS][(entry & PAGE_MASK) * STRIDE + 2] = aux;
  }

  has(key: string): boolean {
    return this.#find(key, hashKey(key)) >= 0;
  }

  set(key: string, value: V): this {
    const hash = hashKey(key);
    const e = this.#find(key, hash);
    if (e >= 0) this.setValueAt(e, value);
    else this.#insert(key, value, hash, 0);
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
    const pages = this.#pages;
    const links = this.#links;
    let e = this.#freeHead;
    if (e >= 0) {
      this.#freeHead = links[e >>> PAGE_BITS][(e & PAGE_MASK) * LINK_STRIDE + 1];
    } else {
      e = this.#end++;
      // The first page grows as an array does; the others are made whole.
      if (e >>> PAGE_BITS === pages.length) {
        pages.push(new Array(PAGE * STRIDE));
        links.push(new Int32Array(PAGE * LINK_STRIDE));
      } else if (e < PAGE && (e + 1) * LINK_STRIDE > links[0].length) {
        this.#growFirstLinks(Math.min(PAGE, 2 * e + 2));
      }
    }
    const page = pages[e >>> PAGE_BITS];
    const at = (e & PAGE_MASK) * STRIDE;
    const link = links[e >>> PAGE_BITS];
    const linkAt = (e & PAGE_MASK) * LINK_STRIDE;
    const bucket = hash & this.#mask;
    page[at] = key;
    page[at + 1] = value;
    page[at + 2] = aux;
    link[linkAt] = hash;
    link[linkAt + 1] = this.#buckets[bucket];
    this.#buckets[bucket] = e;
    this.#size++;
    return e;
  }

  delete(key: string): boolean {
    const hash = hashKey(key);
    const links = this.#links;
    const bucket = hash & this.#mask;
    let e = this.#buckets[bucket], previous = -1;
    while (e >= 0) {
      const link = links[e >>> PAGE_BITS];
      const at = (e & PAGE_MASK) * LINK_STRIDE;
      if (link[at] === hash && this.#pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE] === key) {
        break;
      }
      previous = e;
      e = link[at + 1];
    }
    if (e < 0) return false;
    const link = links[e >>> PAGE_BITS];
    const linkAt = (e & PAGE_MASK) * LINK_STRIDE;
    const next = link[linkAt + 1];
    if (previous < 0) this.#buckets[bucket] = next;
    else links[previous >>> PAGE_BITS][(previous & PAGE_MASK) * LINK_STRIDE + 1] = next;
    const page = this.#pages[e >>> PAGE_BITS];
    const at = (e & PAGE_MASK) * STRIDE;
    page[at] = undefined;
    page[at + 1] = undefined;
    page[at + 2] = 0;
    link[linkAt] = 0;
    link[linkAt + 1] = this.#freeHead;
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
    this.#pages = [new Array(STRIDE * MIN_BUCKETS)];
    this.#links = [new Int32Array(LINK_STRIDE * MIN_BUCKETS)];
    this.#end = 0;
    this.#freeHead = -1;
    this.#size = 0;
    this.#generation++;
  }

  // Relinks every entry into a new bucket array (entries stay where they are).
  #rehash(buckets: number): void {
    const heads = new Int32Array(buckets).fill(-1);
    const mask = buckets - 1;
    const pages = this.#pages;
    const links = this.#links;
    for (let e = 0; e < this.#end; e++) {
      if (pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE] === undefined) continue;
      const link = links[e >>> PAGE_BITS];
      const at = (e & PAGE_MASK) * LINK_STRIDE;
      const bucket = link[at] & mask;
      link[at + 1] = heads[bucket];
      heads[bucket] = e;
    }
    this.#buckets = heads;
    this.#mask = mask;
  }

  /** Every live entry in place order, until the table is cleared. */
  *#walk(): Generator<number, undefined> {
    const pages = this.#pages;
    for (let e = 0; e < this.#end && pages === this.#pages; e++) {
      if (pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE] !== undefined) yield e;
    }
  }

  *keys(): Generator<string, undefined> {
    for (const e of this.#walk()) {
      yield this.#pages[e >>> PAGE_BITS][(e & PAGE_MASK) * STRIDE] as string;
    }
  }

  *values(): Generator<V, undefined> {
    for (const e of this.#walk()) yield this.valueAt(e);
  }

  *entries(): Generator<[string, V], undefined> {
    for (const e of this.#walk()) {
      const page = this.#pages[e >>> PAGE_BITS];
      const at = (e & PAGE_MASK) * STRIDE;
      yield [page[at] as string, page[at + 1] as V];
    }
  }

  [Symbol.iterator](): Generator<[string, V], undefined> {
    return this.entries();
  }

  /** Visits every entry's key and aux integer, letting `visit` replace the aux. */
  updateAux(visit: (key: string, aux: number) => number): void {
    const pages = this.#pages;
    for (let e = 0; e < this.#end; e++) {
      const page = pages[e >>> PAGE_BITS];
      const at = (e & PAGE_MASK) * STRIDE;
      if (page[at] !== undefined) page[at + 2] = visit(page[at] as string, page[at + 2] as number);
    }
  }
}
