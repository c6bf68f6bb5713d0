// Choosing keys to evict when used memory is over maxmemory, the way Redis 7.0 chooses
// them: never by walking every key, but by sampling.
//
// - allkeys-random / volatile-random: a random key (of the keys with a TTL for
//   volatile-*), taking the databases in turn.
// - allkeys-lru/lfu, volatile-lru/lfu/ttl: each database with candidates gives
//   `maxmemory-samples` sampled keys, each scored (time idle; 255 minus the decayed
//   access counter; how soon the TTL runs out), and offered to a pool of the 16 best
//   candidates seen so far, which lasts from one eviction to the next. The best
//   candidate that still exists is evicted; when none does, sampling starts again.
//
// A volatile-* policy only ever picks keys with a TTL: when there is none, nothing can
// be evicted and the caller refuses the command (Redis's OOM error).

import type { Database, Keyspace } from "./keyspace.ts";

/** The maxmemory-policy values. */
export type EvictionPolicy =
  | "noeviction"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "allkeys-random"
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-random"
  | "volatile-ttl";

/** Candidates the pool keeps (Redis's EVPOOL_SIZE). */
export const POOL_SIZE = 16;

/** A key that may be evicted: its database's id, the key, and how good a pick it is. */
export interface Candidate {
  db: number;
  key: string;
  /** Higher is evicted sooner. */
  score: number;
}

/** The best candidates sampled so far, lowest score first. */
export class EvictionPool {
  readonly #entries: Candidate[] = [];

  /** Number of candidates held. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Offers a candidate: it enters unless the pool is full of better ones (a tie with
   * the worst held does not enter). A key already held is scored again. True when it
   * entered.
   */
  offer(db: number, key: string, score: number): boolean {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i].key === key && entries[i].db === db) {
        entries.splice(i, 1);
        break;
      }
    }
    if (entries.length === POOL_SIZE) {
      if (score <= entries[0].score) return false;
      entries.shift();
    }
    let at = entries.length;
    while (at > 0 && entries[at - 1].score > score) at--;
    entries.splice(at, 0, { db, key, score });
    return true;
  }

  /** Takes out the best candidate (highest score), or undefined when empty. */
  pop(): Candidate | undefined {
    return this.#entries.pop();
  }

  /** The candidates, lowest score first (for tests). */
  entries(): readonly Candidate[] {
    return this.#entries;
  }

  /** Forgets every candidate (the policy changed, the data was flushed). */
  clear(): void {
    this.#entries.length = 0;
  }
}

/** Picks the keys to evict from one keyspace (see the top of this file). */
export class Evictor {
  readonly pool = new EvictionPool();
  readonly #keyspace: Keyspace;
  // The database random policies look at next.
  #nextDb = 0;
  readonly #sample: string[] = [];

  constructor(keyspace: Keyspace) {
    this.#keyspace = keyspace;
  }

  /**
   * The next key to evict under `policy`, sampling `samples` keys per database, or
   * null when there is nothing to evict (noeviction, or volatile-* without TTLs).
   */
  pick(policy: EvictionPolicy, samples: number): { db: Database; key: string } | null {
    if (policy === "noeviction") return null;
    const volatile = policy.startsWith("volatile-");
    const dbs = this.#keyspace.databases;
    if (policy.endsWith("-random")) {
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[this.#nextDb++ % dbs.length];
        if (this.#nextDb >= dbs.length) this.#nextDb = 0;
        const key = volatile ? db.randomVolatileKey() : db.randomKey();
        if (key !== undefined) return { db, key };
      }
      return null;
    }
    const pool = this.pool;
    const sample = this.#sample;
    while (true) {
      let candidates = 0;
      for (const db of dbs) {
        const size = volatile ? db.expires.size : db.size;
        if (size === 0) continue;
        candidates += size;
        sample.length = 0;
        db.sampleKeys(samples, volatile, sample);
        for (const key of sample) pool.offer(db.id, key, score(db, key, policy));
      }
      if (candidates === 0) return null;
      for (let best = pool.pop(); best !== undefined; best = pool.pop()) {
        const db = dbs[best.db];
        const there = volatile ? db.expires.has(best.key) : db.data.has(best.key);
        if (there) return { db, key: best.key };
      }
    }
  }
}

// How good a pick a key is: higher is evicted sooner.
function score(db: Database, key: string, policy: EvictionPolicy): number {
  if (policy === "volatile-ttl") return -(db.getExpire(key) ?? Infinity);
  if (policy.endsWith("-lfu")) return 255 - db.frequencyNow(key);
  return db.idleTicks(key);
}
