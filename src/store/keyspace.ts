// The keyspace: numbered databases of key → value, with expiry times kept aside.
//
// Keys are one-byte (latin1) strings in a Map; expiry times live in a second Map that
// only holds keys with a TTL, so keys without one cost nothing extra. An expired key is
// removed the moment anything looks it up (lazy expiry).

import type { Value } from "./value.ts";

/** Called when a key is removed because its time ran out. */
export type ExpireListener = (db: Database, key: string) => void;

/** One numbered database. */
export class Database {
  readonly id: number;
  readonly data = new Map<string, Value>();
  /** Absolute expiry times in Unix milliseconds. */
  readonly expires = new Map<string, number>();
  #onExpire: ExpireListener | null;
  #cursor: MapIterator<[string, number]> | null = null;

  constructor(id: number, onExpire: ExpireListener | null = null) {
    this.id = id;
    this.#onExpire = onExpire;
  }

  /** Number of keys, counting ones that have expired but not yet been reclaimed. */
  get size(): number {
    return this.data.size;
  }

  /** The live value of a key, or undefined (an expired key is removed first). */
  get(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined || this.expires.size === 0) return value;
    const at = this.expires.get(key);
    if (at !== undefined && at <= Date.now()) {
      this.#expire(key);
      return undefined;
    }
    return value;
  }

  /** True when the key exists and is live. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores a value and clears any TTL unless `keepTtl`. */
  set(key: string, value: Value, keepTtl = false): void {
    this.data.set(key, value);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
  }

  /** Removes a key; true when a live key was removed. */
  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.data.delete(key);
    if (this.expires.size !== 0) this.expires.delete(key);
    return true;
  }

  /** Sets the absolute expiry time (Unix ms) of an existing key. */
  setExpire(key: string, atMs: number): void {
    this.expires.set(key, atMs);
  }

  /** The absolute expiry time (Unix ms) of a key, or undefined without a TTL. */
  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /** Removes the TTL of a key; true when there was one. */
  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  /** Empties the database. */
  clear(): void {
    this.data.clear();
    this.expires.clear();
    this.#cursor = null;
  }

  /**
   * Reclaims expired keys by sampling, like Redis's active expiry cycle.
   * Returns the number of keys removed; stops after `budget` keys are examined.
   */
  expireSample(now: number, budget: number): number {
    let removed = 0;
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
      }
    }
    return removed;
  }

  #expire(key: string): void {
    this.data.delete(key);
    this.expires.delete(key);
    this.#onExpire?.(this, key);
  }
}

/** All databases of the server. */
export class Keyspace {
  readonly databases: Database[];

  constructor(count: number, onExpire: ExpireListener | null = null) {
    this.databases = Array.from({ length: count }, (_, i) => new Database(i, onExpire));
  }

  /** Total number of keys in all databases. */
  get size(): number {
    let total = 0;
    for (const db of this.databases) total += db.size;
    return total;
  }

  /** Empties every database. */
  flushAll(): void {
    for (const db of this.databases) db.clear();
  }
}
