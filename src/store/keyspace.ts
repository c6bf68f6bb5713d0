// The keyspace: numbered databases of key → value, with expiry times kept aside.
//
// Keys are one-byte (latin1) strings in a StringTable (see ./string_table.ts: a Map
// would look every key up in V8's string table first); expiry times live in a second
// table that only holds keys with a TTL, so keys without one cost nothing extra. An expired key is
// removed the moment anything looks it up (lazy expiry) and by the server's periodic
// sampling (active expiry, `expireSample`).
//
// Access times (OBJECT IDLETIME) are kept for every key, as Redis keeps its LRU clock
// in every object: an idle time must be right the first time anybody asks. They sit in
// the key's own entry of the table (its aux integer), so a read stamps the time without
// a second lookup. Keys created while a file loads share one access time (see `loading`).
// Access frequencies (OBJECT FREQ) only matter under an LFU policy, so a database only
// starts keeping them the first time somebody asks (or an LFU policy is chosen); a key
// not accessed since then counts as new when tracking began.
//
// Each database keeps a running total of the bytes its keys and values take, with the
// keyspace's Ledger (see ./accounting.ts): storing and removing adjust it, and the
// collections `get` and `peek` hand out are measured again after a command that may
// have changed them in place.

import { type CollectionMeter, Ledger, Tally } from "./accounting.ts";
import { CursorRegistry } from "./scan.ts";
import { EXPIRE_ENTRY_BYTES, stringBytes, TABLE_ENTRY_BYTES, tableBytes } from "./memory.ts";
import { StringTable } from "./string_table.ts";
import type { Value } from "./value.ts";

/** Called when a key is removed because its time ran out. */
export type ExpireListener = (db: Database, key: string) => void;

/** An absolute expiry time in Unix ms: a number, or a bigint past 2^53 (exact). */
export type ExpireTime = number | bigint;

/** A key's whole entry, as `take` hands it out and `put` stores it (RENAME, MOVE). */
export interface Entry {
  value: Value;
  expireAt: ExpireTime | undefined;
  /** Last access (LRU clock ticks) and LFU word, when tracked. */
  lru: number | undefined;
  lfu: number | undefined;
}

/** Redis's initial LFU counter of a new key. */
export const LFU_INIT_VAL = 5;

// The LRU clock: ticks of 10 ms since this module loaded (a Smi for 248 days). Redis's
// clock counts seconds; a finer one lets LRU eviction tell apart keys read within the
// same second, which matters when the whole dataset turns over in a second or two.
// Every key access reads it, and Date.now() costs more than the access itself, so one
// reading serves everything that runs in the same task (Redis too reads a cached clock).
const CLOCK_ORIGIN = Date.now();
const TICKS_PER_SECOND = 100;
let clockInTask = -1;
// The access time of a key a load created: the database's #loadedTick.
const LOADED = -1;
function lruClock(): number {
  if (clockInTask < 0) {
    clockInTask = Math.floor((Date.now() - CLOCK_ORIGIN) / (1000 / TICKS_PER_SECOND));
    queueMicrotask(forgetClock);
  }
  return clockInTask;
}
// One function for every task's end (a closure per task would be an allocation each).
const forgetClock = (): void => {
  clockInTask = -1;
};

// Redis's LFU clock: minutes, modulo 2^16.
function lfuMinutes(): number {
  return Math.floor(Date.now() / 60000) & 65535;
}

/** How the LFU counters grow and decay (lfu-log-factor, lfu-decay-time). */
export interface LfuParams {
  logFactor: number;
  decayTime: number;
}

/** The time expiry is judged by (see Keyspace.expiryClock). */
export interface ExpiryClock {
  /** Unix ms keys expire by; 0: the current time; FROZEN_AT_START: see there. */
  frozenAt: number;
  /** With FROZEN_AT_START: performance.now() when the script started. */
  startedAt: number;
}

/**
 * `frozenAt` for a script: the wall-clock time it started, read only when a key's
 * expiry is first judged (a script that meets no key with a time to live reads no
 * clock): now, less the time it has run.
 */
export const FROZEN_AT_START = -1;

/** One numbered database. */
export class Database {
  readonly id: number;
  /**
   * Key → value, each entry's aux integer the key's last access (LRU clock; LOADED for
   * the keys a load created, which count as accessed at #loadedTick). Swapped as a
   * whole by SWAPDB, so do not keep a reference.
   */
  data = new StringTable<Value>();
  /** Absolute expiry times in Unix milliseconds (rounded past 2^53, see #exact). */
  expires = new StringTable<number>();
  // Exact expiry times of the rare keys whose time is not a safe integer.
  #exact: Map<string, bigint> | null = null;
  // Set while a file loads (see `loading`).
  #loading = false;
  // True while some key's access time is LOADED.
  #loadedKeys = false;
  #loadedTick = 0;
  #lfu: StringTable<number> | null = null;
  #lfuParams: LfuParams = { logFactor: 10, decayTime: 1 };
  #cursors: CursorRegistry | null = null;
  #onExpire: ExpireListener | null;
  readonly #clock: ExpiryClock;
  readonly #ledger: Ledger;
  // Bytes of the keys, the values and their table entries (see the top of this file).
  #tally = new Tally();
  /**
   * While set (CLIENT PAUSE), a key whose time ran out reads as missing but is not
   * removed, so nothing is deleted or propagated until the pause ends.
   */
  keepExpired = false;
  /** Hears about every key created (keyspace events' `new`); null when nobody asks. */
  onNewKey: ExpireListener | null = null;
  #cursor: Iterator<[string, number]> | null = null;
  /**
   * The average time to live (ms) of the keys active expiry samples, kept as Redis keeps
   * it (INFO keyspace avg_ttl): each batch's average weighs 2% against the estimate so
   * far; 0 until a batch finds a live key with a TTL, and again once the database has none.
   */
  avgTtl = 0;
  #randomCursor: Iterator<string> | null = null;
  // Eviction's sampling walks (all keys; keys with a TTL), resumed call after call.
  #sampleCursor: Iterator<string> | null = null;
  #volatileCursor: Iterator<string> | null = null;

  constructor(
    id: number,
    onExpire: ExpireListener | null = null,
    clock?: ExpiryClock,
    ledger?: Ledger,
  ) {
    this.id = id;
    this.#onExpire = onExpire;
    this.#clock = clock ?? { frozenAt: 0, startedAt: 0 };
    this.#ledger = ledger ?? new Ledger();
  }

  // The time keys expire by: now, or while a script runs the time it started.
  #now(): number {
    const clock = this.#clock;
    const frozen = clock.frozenAt;
    if (frozen === 0) return Date.now();
    if (frozen !== FROZEN_AT_START) return frozen;
    return clock.frozenAt = Math.floor(Date.now() - (performance.now() - clock.startedAt));
  }

  /** Makes room for `keys` keys in all (a load's size hint: see StringTable.reserve). */
  reserve(keys: number): void {
    this.data.reserve(keys);
  }

  /** Number of keys, counting ones that have expired but not yet been reclaimed. */
  get size(): number {
    return this.data.size;
  }

  /** The live value of a key, or undefined (an expired key is removed first). Counts as an access. */
  get(key: string): Value | undefined {
    const data = this.data;
    const entry = data.entryOf(key);
    if (entry < 0) return undefined;
    const value = data.valueAt(entry);
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= this.#now()) {
        this.#expire(key);
        return undefined;
      }
    }
    data.setAuxAt(entry, lruClock());
    if (this.#lfu !== null) this.#countAccess(key);
    this.#handOut(value);
    return value;
  }

  /** Like `get`, but not an access (TYPE, TTL, EXISTS, OBJECT: Redis's LOOKUP_NOTOUCH). */
  peek(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined) return undefined;
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined && at <= this.#now()) {
        this.#expire(key);
        return undefined;
      }
    }
    this.#handOut(value);
    return value;
  }

  // A collection handed to a command may change in place: the ledger measures it again
  // once the command is done. A string, even held as bytes (an HLL, a value APPEND grew
  // within its room), changes size only through a new value, which `set` counts.
  #handOut(value: Value): void {
    if (typeof value === "object" && !(value instanceof Uint8Array)) this.#ledger.handOut(value);
  }

  /** True when the key exists and is live (not an access). */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** True when the key has a TTL that has run out (nothing is removed: KEYS). */
  isExpired(key: string, now = this.#now()): boolean {
    if (this.expires.size === 0) return false;
    const at = this.expires.get(key);
    return at !== undefined && at <= now;
  }

  /**
   * Stores a value and clears any TTL unless `keepTtl`. Overwriting a key whose time
   * has run out first expires it (counted, and a DEL propagated, as Redis's write
   * lookup does), so the new value is a new key and never inherits the stale TTL.
   */
  set(key: string, value: Value, keepTtl = false): void {
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined) {
        if (at <= this.#now()) this.#expire(key, true);
        else if (!keepTtl) {
          this.expires.delete(key);
          this.#exact?.delete(key);
          this.#add(-EXPIRE_ENTRY_BYTES);
        }
      }
    }
    const data = this.data;
    const entry = data.entryOf(key);
    if (entry < 0) {
      this.#create(key, value);
      return;
    }
    data.setAuxAt(entry, lruClock());
    // The old value first: it may be the very value stored again.
    const freed = this.#ledger.uncharge(data.valueAt(entry));
    this.#add(this.#ledger.charge(value, this.#tally) - freed);
    data.setValueAt(entry, value);
  }

  /**
   * Stores a key that is not there, as loading a file does: false, changing nothing,
   * when the key exists (even with its time run out).
   */
  add(key: string, value: Value): boolean {
    return this.#create(key, value, true);
  }

  // Stores a key that is not there (nor, then, its expiry time); with `unlessThere`,
  // checks that first, and answers false, changing nothing, when it is there.
  #create(key: string, value: Value, unlessThere = false): boolean {
    let tick: number;
    if (this.#loading) {
      this.#loadedKeys = true;
      this.#loadedTick = lruClock();
      tick = LOADED;
    } else {
      tick = lruClock();
    }
    if (unlessThere) {
      if (this.data.insertIfAbsent(key, value, tick) < 0) return false;
    } else {
      this.data.insertNew(key, value, tick);
    }
    // A new key starts fresh; an overwritten one keeps its LFU counter.
    if (this.#lfu !== null) this.#setFrequencyWord(key, lfuMinutes() << 8 | LFU_INIT_VAL);
    // The key, its value, its entry in the table.
    this.#add(
      stringBytes(key.length) + TABLE_ENTRY_BYTES + this.#ledger.charge(value, this.#tally),
    );
    if (this.onNewKey !== null) this.onNewKey(this, key);
    return true;
  }

  /**
   * True while a file loads. The keys created meanwhile get no access time of their
   * own: they all count as accessed when the last of them was created, until they are
   * accessed (Redis's LRU clock does not move while it loads either).
   */
  get loading(): boolean {
    return this.#loading;
  }

  set loading(on: boolean) {
    // Keys an earlier load created keep its time.
    if (on && !this.#loading && this.#loadedKeys) {
      const tick = this.#loadedTick;
      this.data.updateAux((_key, at) => at === LOADED ? tick : at);
      this.#loadedKeys = false;
    }
    this.#loading = on;
  }

  // Sets the access time of a stored key. A time set from an idle time can be
  // negative; one that would read as LOADED is moved a tick earlier (IDLETIME counts
  // whole seconds, so what it reads back is the same).
  #stamp(key: string, tick: number): void {
    const entry = this.data.entryOf(key);
    if (entry >= 0) this.data.setAuxAt(entry, tick === LOADED ? LOADED - 1 : tick);
  }

  // The access time of a stored key.
  #accessed(key: string): number | undefined {
    const entry = this.data.entryOf(key);
    if (entry < 0) return undefined;
    const tick = this.data.auxAt(entry);
    return tick === LOADED ? this.#loadedTick : tick;
  }

  /** Removes a key; true when a live key was removed. */
  delete(key: string): boolean {
    const value = this.#live(key);
    if (value === undefined) return false;
    this.#remove(key, value);
    return true;
  }

  /** Sets the absolute expiry time (Unix ms) of an existing key. */
  setExpire(key: string, atMs: ExpireTime): void {
    if (typeof atMs === "bigint") {
      if (atMs > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.#exact ??= new Map();
        this.#exact.set(key, atMs);
        this.#setExpireTime(key, Number(atMs));
        return;
      }
      atMs = Number(atMs);
    }
    this.#setExpireTime(key, atMs);
    this.#exact?.delete(key);
  }

  #setExpireTime(key: string, atMs: number): void {
    const before = this.expires.size;
    this.expires.set(key, atMs);
    if (this.expires.size !== before) this.#add(EXPIRE_ENTRY_BYTES);
  }

  /** The absolute expiry time (Unix ms) of a key, or undefined without a TTL. */
  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /** Like `getExpire`, but exact: a bigint for times past 2^53 ms. */
  getExpireExact(key: string): ExpireTime | undefined {
    const at = this.getExpire(key);
    if (at === undefined || at <= Number.MAX_SAFE_INTEGER) return at;
    return this.#exact?.get(key) ?? at;
  }

  /** Removes the TTL of a key; true when there was one. */
  persist(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.#exact?.delete(key);
    this.#add(-EXPIRE_ENTRY_BYTES);
    return true;
  }

  /** Empties the database. */
  clear(): void {
    // The values' accounts keep the old tally, which nothing counts in any more.
    this.#ledger.total -= this.#tally.bytes;
    this.#tally.live = false;
    this.#tally = new Tally();
    this.data.clear();
    this.expires.clear();
    this.#exact = null;
    this.#loadedKeys = false;
    this.#lfu?.clear();
    this.avgTtl = 0;
    this.#cursor = null;
    this.#randomCursor = null;
    this.#sampleCursor = null;
    this.#volatileCursor = null;
  }

  /** Removes a live key and hands out everything stored about it (RENAME, MOVE). */
  take(key: string): Entry | undefined {
    const value = this.#live(key);
    if (value === undefined) return undefined;
    const entry: Entry = {
      value,
      expireAt: this.getExpireExact(key),
      lru: this.#accessed(key),
      lfu: this.#lfu?.get(key),
    };
    this.#remove(key, value);
    return entry;
  }

  /** Stores an entry taken with `take` (from this or another database) under `key`. */
  put(key: string, entry: Entry): void {
    this.set(key, entry.value);
    if (entry.expireAt !== undefined) this.setExpire(key, entry.expireAt);
    if (entry.lru !== undefined) this.#stamp(key, entry.lru);
    if (entry.lfu !== undefined && this.#lfu !== null) this.#setFrequencyWord(key, entry.lfu);
  }

  /** Exchanges the whole contents of two databases (SWAPDB); their ids stay. */
  swapWith(other: Database): void {
    if (other === this) return;
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.#exact, other.#exact] = [other.#exact, this.#exact];
    [this.#cursors, other.#cursors] = [other.#cursors, this.#cursors];
    // What is known about access times follows the keys.
    [this.#loadedKeys, other.#loadedKeys] = [other.#loadedKeys, this.#loadedKeys];
    [this.#loadedTick, other.#loadedTick] = [other.#loadedTick, this.#loadedTick];
    [this.#lfu, other.#lfu] = [other.#lfu, this.#lfu];
    [this.#tally, other.#tally] = [other.#tally, this.#tally];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    this.#cursor = other.#cursor = null;
    this.#randomCursor = other.#randomCursor = null;
    this.#sampleCursor = other.#sampleCursor = null;
    this.#volatileCursor = other.#volatileCursor = null;
  }

  /**
   * One step of a SCAN over the keys: up to `count` keys (live or not: the caller
   * filters) and the cursor to hand back, 0 when the iteration is complete. A key
   * present for the whole iteration is returned; see CursorRegistry.
   *
   * A table's iterator also visits keys added after it started, so while keys are added
   * faster than the client scans, it would never end. It stops after as many steps as
   * there were keys at the start: the keys present then come first (entries keep
   * their places, and new ones only take places freed before or after the end), so every one still there is reached.
   */
  scan(cursor: number, count: number): { cursor: number; items: string[] } {
    this.#cursors ??= new CursorRegistry();
    const data = this.data;
    return this.#cursors.scan(data, cursor, count, () => data.keys(), data.size);
  }

  /**
   * A random live key, or undefined when there is none (expired keys met on the way
   * are reclaimed). Small databases are sampled uniformly; large ones by skipping a
   * random distance along a rotating iterator, so the cost stays bounded.
   */
  randomKey(): string | undefined {
    while (this.data.size > 0) {
      const key = this.#randomSample();
      if (this.expires.size !== 0 && this.isExpired(key)) {
        this.#expire(key);
        continue;
      }
      return key;
    }
    return undefined;
  }

  #randomSample(): string {
    const size = this.data.size;
    if (size <= 256) {
      let skip = Math.floor(Math.random() * size);
      for (const key of this.data.keys()) {
        if (skip-- === 0) return key;
      }
    }
    let skip = Math.floor(Math.random() * 256);
    while (true) {
      this.#randomCursor ??= this.data.keys();
      const step = this.#randomCursor.next();
      if (step.done) {
        this.#randomCursor = null;
        continue;
      }
      if (skip-- === 0) return step.value;
    }
  }

  /** A random key with a TTL, live or not (volatile-random eviction); undefined when none. */
  randomVolatileKey(): string | undefined {
    const size = this.expires.size;
    if (size === 0) return undefined;
    let skip = Math.floor(Math.random() * Math.min(size, 256));
    if (size <= 256) {
      for (const key of this.expires.keys()) {
        if (skip-- === 0) return key;
      }
    }
    while (true) {
      this.#volatileCursor ??= this.expires.keys();
      const step = this.#volatileCursor.next();
      if (step.done) {
        this.#volatileCursor = null;
        continue;
      }
      if (skip-- === 0) return step.value;
    }
  }

  /**
   * Up to `count` keys for eviction to consider (every key, or with `volatile` only
   * keys with a TTL), appended to `out`; how many were added. Like Redis's sampling
   * for eviction this is cheap rather than uniform: a walk that resumes where the last
   * call stopped and skips a few keys at random between picks, so successive calls
   * sweep the whole database and no key is favoured for long. A key is not sampled
   * twice in one call unless the database is that small.
   */
  sampleKeys(count: number, volatile: boolean, out: string[]): number {
    const map: StringTable<unknown> = volatile ? this.expires : this.data;
    const size = map.size;
    if (size === 0) return 0;
    if (size <= count) {
      for (const key of map.keys()) out.push(key);
      return size;
    }
    // Skips average a sixteenth of the database per call, at most 15 between picks.
    const gap = Math.min(16, Math.max(1, Math.floor(size / count / 16)));
    let cursor = volatile ? this.#volatileCursor : this.#sampleCursor;
    let added = 0;
    let wrapped = false;
    while (added < count) {
      cursor ??= map.keys();
      let skip = Math.floor(Math.random() * gap);
      let step = cursor.next();
      while (!step.done && skip-- > 0) step = cursor.next();
      if (step.done) {
        cursor = null;
        if (wrapped) break;
        wrapped = true;
        continue;
      }
      out.push(step.value);
      added++;
    }
    if (volatile) this.#volatileCursor = cursor;
    else this.#sampleCursor = cursor;
    return added;
  }

  /**
   * Reclaims expired keys by sampling, like Redis's active expiry cycle.
   * Returns the number of keys removed; stops after `budget` keys are examined.
   */
  expireSample(now: number, budget: number): number {
    let removed = 0;
    let ttlSum = 0;
    let ttlSamples = 0;
    // A live iterator that survives between calls, so each cycle resumes where the
    // last one stopped instead of re-reading the same first keys.
    this.#cursor ??= this.expires.entries();
    for (let seen = 0; seen < budget && this.expires.size > 0; seen++) {
      const step = this.#cursor.next();
      if (step.done) {
        this.#cursor = this.expires.entries();
        continue;
      }
      const [key, at] = step.value;
      if (at <= now) {
        this.#expire(key);
        removed++;
      } else {
        ttlSum += at - now;
        ttlSamples++;
      }
    }
    if (ttlSamples > 0) {
      const average = Math.floor(ttlSum / ttlSamples);
      this.avgTtl = this.avgTtl === 0
        ? average
        : Math.floor(this.avgTtl / 50) * 49 + Math.floor(average / 50);
    }
    return removed;
  }

  // ---- Access tracking (OBJECT IDLETIME, OBJECT FREQ) ----

  /** Seconds since the key was last accessed. */
  idleSeconds(key: string): number {
    return Math.floor(this.idleTicks(key) / TICKS_PER_SECOND);
  }

  /** Hundredths of a second since the key was last accessed (LRU eviction's score). */
  idleTicks(key: string): number {
    const now = lruClock();
    return Math.max(0, now - (this.#accessed(key) ?? now));
  }

  /**
   * Starts keeping access frequencies now (an LFU policy was chosen) and sets how they
   * grow and decay.
   */
  trackFrequencies(params: LfuParams): void {
    this.#lfuParams = params;
    this.#lfu ??= new StringTable();
  }

  /** The LFU parameters while access frequencies are kept, else null. */
  get frequencyTracking(): LfuParams | null {
    return this.#lfu === null ? null : this.#lfuParams;
  }

  /**
   * The key's access counter after decay, without counting an access or starting to
   * track (a key never tracked counts as new): eviction's LFU score.
   */
  frequencyNow(key: string): number {
    const word = this.#lfu?.get(key);
    return word === undefined ? LFU_INIT_VAL : this.#lfuDecayed(word);
  }

  /** The key's logarithmic access counter, after decay (starts tracking on first use). */
  frequency(key: string, params: LfuParams): number {
    this.#lfuParams = params;
    this.#lfu ??= new StringTable();
    return this.#lfuDecayed(this.#lfu.get(key) ?? (lfuMinutes() << 8 | LFU_INIT_VAL));
  }

  /** Sets how long ago a key was last accessed (RESTORE IDLETIME, an RDB's IDLE). */
  setIdleSeconds(key: string, seconds: number): void {
    this.#stamp(key, lruClock() - seconds * TICKS_PER_SECOND);
  }

  /** Sets a key's access counter (RESTORE FREQ, an RDB's FREQ). */
  setFrequency(key: string, counter: number, params: LfuParams): void {
    this.frequency(key, params);
    this.#setFrequencyWord(key, lfuMinutes() << 8 | counter);
  }

  // Stores a key's LFU word (frequencies are kept); a new entry of the table counts.
  #setFrequencyWord(key: string, word: number): void {
    const lfu = this.#lfu!;
    const before = lfu.size;
    lfu.set(key, word);
    if (lfu.size !== before) this.#add(TABLE_ENTRY_BYTES);
  }

  #lfuDecayed(word: number): number {
    const counter = word & 255;
    const then = word >> 8;
    const now = lfuMinutes();
    const elapsed = now >= then ? now - then : 65535 - then + now;
    const periods = this.#lfuParams.decayTime > 0
      ? Math.floor(elapsed / this.#lfuParams.decayTime)
      : 0;
    return periods > counter ? 0 : counter - periods;
  }

  // An access's LFU half (Redis's updateLFU): bumps the key's counter.
  #countAccess(key: string): void {
    let counter = this.#lfuDecayed(this.#lfu!.get(key) ?? (lfuMinutes() << 8 | LFU_INIT_VAL));
    if (counter < 255) {
      const base = Math.max(0, counter - LFU_INIT_VAL);
      if (Math.random() < 1 / (base * this.#lfuParams.logFactor + 1)) counter++;
    }
    this.#setFrequencyWord(key, lfuMinutes() << 8 | counter);
  }

  // ---- Memory (see the top of this file) ----

  /**
   * Bytes the keys and values take with their entries in the tables (the running
   * total; collections changed in place are measured again first).
   */
  get bytes(): number {
    this.#ledger.flush();
    return this.#tally.bytes;
  }

  /** Bytes of the table of keys and access times (and of frequencies, when kept). */
  get mainTableBytes(): number {
    return tableBytes(this.data.size + (this.#lfu?.size ?? 0));
  }

  /** Bytes of the table of expiry times (each time a 16-byte boxed double). */
  get expiresTableBytes(): number {
    return this.expires.size * EXPIRE_ENTRY_BYTES;
  }

  // The live value of a key without counting an access or noting it (nothing is
  // handed out).
  #live(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined || this.expires.size === 0) return value;
    const at = this.expires.get(key);
    if (at !== undefined && at <= this.#now()) {
      this.#expire(key);
      return undefined;
    }
    return value;
  }

  // Bytes counted in (or, negative, out of) this database's tally and the total.
  #add(bytes: number): void {
    this.#tally.bytes += bytes;
    this.#ledger.total += bytes;
  }

  #remove(key: string, value: Value): void {
    this.#add(-(stringBytes(key.length) + TABLE_ENTRY_BYTES + this.#ledger.uncharge(value)));
    this.data.delete(key);
    if (this.expires.size !== 0 && this.expires.delete(key)) {
      this.#exact?.delete(key);
      this.#add(-EXPIRE_ENTRY_BYTES);
    }
    if (this.#lfu !== null && this.#lfu.delete(key)) this.#add(-TABLE_ENTRY_BYTES);
  }

  /**
   * Removes the key, counted as expired, if its time has run out, even while expired
   * keys are kept (the keys a writable replica's own clients gave a TTL).
   */
  expireIfDue(key: string): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.#now()) return false;
    this.#expire(key, true);
    return true;
  }

  // `force`: even while expired keys are kept (a write on a replica replaces the key).
  #expire(key: string, force = false): void {
    if (this.keepExpired && !force) return;
    this.#remove(key, this.data.get(key)!);
    this.#onExpire?.(this, key);
  }
}

/** All databases of the server. */
export class Keyspace {
  readonly databases: Database[];
  readonly #listeners: ExpireListener[] = [];
  readonly #ledger = new Ledger();

  /** `onExpire` hears about every key removed because its time ran out. */
  constructor(count: number, onExpire: ExpireListener | null = null) {
    if (onExpire !== null) this.#listeners.push(onExpire);
    const fanOut: ExpireListener = (db, key) => {
      for (const listener of this.#listeners) listener(db, key);
    };
    this.databases = Array.from(
      { length: count },
      (_, i) => new Database(i, fanOut, this.expiryClock, this.#ledger),
    );
  }

  /** Sets how collections are measured (the server's codecs; see ./accounting.ts). */
  set meter(measure: (value: Value) => number) {
    this.#ledger.measure = measure as unknown as CollectionMeter;
  }

  /**
   * After a command that may have written: the collections handed out while it ran
   * are measured again before the memory total is next read.
   */
  settle(): void {
    this.#ledger.settle();
  }

  /** After a command that wrote nothing: forgets the collections handed out. */
  forgetHandedOut(): void {
    this.#ledger.forget();
  }

  /** True when values were handed out since the last settle. */
  get handedOut(): boolean {
    return this.#ledger.handedOut;
  }

  /**
   * The dataset's bytes: every database's keys and values plus its tables (the
   * dataset part of used_memory).
   */
  get datasetBytes(): number {
    this.#ledger.flush();
    return this.#ledger.total;
  }

  /** Starts keeping access frequencies in every database (an LFU policy), or updates their parameters. */
  trackFrequencies(params: LfuParams): void {
    for (const db of this.databases) db.trackFrequencies(params);
  }

  /**
   * Adds a listener for expired keys, called synchronously, before the command that
   * met the key goes on: the place to propagate a DEL for AOF and replicas.
   */
  onExpire(listener: ExpireListener): void {
    this.#listeners.push(listener);
  }

  /**
   * While a script runs, keys expire by the time it started (`frozenAt`, Unix ms; 0 when
   * no script runs), as in Redis: a key it saw does not vanish halfway through it.
   */
  readonly expiryClock: ExpiryClock = { frozenAt: 0, startedAt: 0 };

  /** True while a file loads into the databases: see Database.loading. */
  get loading(): boolean {
    return this.databases[0]?.loading ?? false;
  }

  set loading(on: boolean) {
    for (const db of this.databases) db.loading = on;
  }

  /** Keeps expired keys in place (reading as missing) while set: see Database.keepExpired. */
  set keepExpired(keep: boolean) {
    for (const db of this.databases) db.keepExpired = keep;
  }

  /** Sets (or clears) the listener for new keys on every database. */
  set onNewKey(listener: ExpireListener | null) {
    for (const db of this.databases) db.onNewKey = listener;
  }

  /** Total number of keys in all databases. */
  get size(): number {
    let total = 0;
    for (const db of this.databases) total += db.size;
    return total;
  }

  /** Exchanges the contents of databases i and j (SWAPDB). */
  swap(i: number, j: number): void {
    this.databases[i].swapWith(this.databases[j]);
  }

  /**
   * A keyspace as large as this one, empty, measuring values and keeping access
   * frequencies as this one does.
   */
  emptyCopy(): Keyspace {
    const copy = new Keyspace(this.databases.length);
    copy.#ledger.measure = this.#ledger.measure;
    this.databases.forEach((db, i) => {
      const tracking = db.frequencyTracking;
      if (tracking !== null) copy.databases[i].trackFrequencies(tracking);
    });
    return copy;
  }

  /**
   * Exchanges the contents of every database with `other`'s (a dataset loaded aside
   * replacing this one): the databases themselves, and what listens to them, stay.
   */
  swapContents(other: Keyspace): void {
    this.#ledger.flush();
    other.#ledger.flush();
    other.#ledger.forget();
    this.databases.forEach((db, i) => db.swapWith(other.databases[i]));
    [this.#ledger.total, other.#ledger.total] = [other.#ledger.total, this.#ledger.total];
  }

  /** Empties every database. */
  flushAll(): void {
    for (const db of this.databases) db.clear();
  }
}
