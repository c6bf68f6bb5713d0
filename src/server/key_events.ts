// Who waits on which key: WATCHed keys (MULTI/EXEC's optimistic locking) and clients
// blocked by BLPOP-like commands. Every write reaches here through propagation, so one
// mechanism, driven by the command table's key positions, serves both.

import type { Client } from "./client.ts";

function slot(db: number, key: string): string {
  return `${db}\x00${key}`;
}

/** The per-client record of a blocked command. */
export interface BlockedState {
  db: number;
  keys: string[];
  argv: string[];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Writes the reply for a timeout (a null array for every blocking command in 7.0). */
  onTimeout: () => void;
}

/** Registry of watched keys and blocked clients, with the keys that became ready. */
export class KeyEvents {
  readonly #watchers = new Map<string, Set<Client>>();
  readonly #blocked = new Map<string, Client[]>();
  readonly #ready = new Set<string>();
  // Watchers of a key that had already expired (not yet removed) when they watched it:
  // its removal is no change for them, only a new value is.
  readonly #watchedExpired = new Map<string, Set<Client>>();
  readonly #exists: (db: number, key: string) => boolean;
  #blockedCount = 0;

  /** `exists`: whether a key is stored (expired or not) in a database. */
  constructor(exists: (db: number, key: string) => boolean) {
    this.#exists = exists;
  }

  /** True when nobody watches or waits: writes can skip the bookkeeping. */
  get idle(): boolean {
    return this.#watchers.size === 0 && this.#blocked.size === 0;
  }

  /** Number of clients blocked right now (INFO's blocked_clients). */
  get blockedClients(): number {
    return this.#blockedCount;
  }

  /** Marks a key as changed: watchers' transactions fail, blocked clients may be served. */
  touch(db: number, key: string): void {
    const id = slot(db, key);
    const watchers = this.#watchers.get(id);
    if (watchers !== undefined) {
      const expired = this.#watchedExpired.get(id);
      const gone = expired !== undefined && !this.#exists(db, key);
      for (const client of watchers) {
        if (gone && expired.delete(client)) continue;
        client.watchDirty = true;
      }
      if (expired?.size === 0) this.#watchedExpired.delete(id);
    }
    if (this.#blocked.has(id)) this.#ready.add(id);
  }

  /** Blocked clients of a key may be served, watchers untouched (XGROUP DESTROY). */
  ready(db: number, key: string): void {
    const id = slot(db, key);
    if (this.#blocked.has(id)) this.#ready.add(id);
  }

  /** Marks every watched key of a database whose key exists in `exists` (FLUSHDB, SWAPDB). */
  touchDatabase(db: number, exists: (key: string) => boolean): void {
    const prefix = `${db}\x00`;
    for (const [id, watchers] of this.#watchers) {
      if (!id.startsWith(prefix) || !exists(id.slice(prefix.length))) continue;
      for (const client of watchers) client.watchDirty = true;
    }
  }

  /** Keys with blocked clients in a database (SWAPDB may have made them ready). */
  readyAllBlocked(db: number): void {
    const prefix = `${db}\x00`;
    for (const id of this.#blocked.keys()) if (id.startsWith(prefix)) this.#ready.add(id);
  }

  /** WATCH: `expired` when the key has expired but is still stored. */
  watch(client: Client, db: number, key: string, expired = false): void {
    const id = slot(db, key);
    let watchers = this.#watchers.get(id);
    if (watchers === undefined) this.#watchers.set(id, watchers = new Set());
    watchers.add(client);
    if (!expired) return;
    let clients = this.#watchedExpired.get(id);
    if (clients === undefined) this.#watchedExpired.set(id, clients = new Set());
    clients.add(client);
  }

  unwatch(client: Client, db: number, key: string): void {
    const id = slot(db, key);
    const watchers = this.#watchers.get(id);
    if (watchers === undefined) return;
    watchers.delete(client);
    if (watchers.size === 0) this.#watchers.delete(id);
    const expired = this.#watchedExpired.get(id);
    if (expired?.delete(client) && expired.size === 0) this.#watchedExpired.delete(id);
  }

  /** Queues a blocked client on each of its keys (first come, first served). */
  block(client: Client, state: BlockedState): void {
    for (const key of state.keys) {
      const id = slot(state.db, key);
      let queue = this.#blocked.get(id);
      if (queue === undefined) this.#blocked.set(id, queue = []);
      if (!queue.includes(client)) queue.push(client);
    }
    this.#blockedCount++;
  }

  /** Removes a client from every queue it waits in. */
  unblock(client: Client, state: BlockedState): void {
    for (const key of state.keys) {
      const id = slot(state.db, key);
      const queue = this.#blocked.get(id);
      if (queue === undefined) continue;
      const at = queue.indexOf(client);
      if (at >= 0) queue.splice(at, 1);
      if (queue.length === 0) this.#blocked.delete(id);
    }
    this.#blockedCount--;
  }

  /**
   * Serves clients blocked on keys that changed, in the order they blocked, by running
   * their command again through `retry` (told which key is ready). Repeats while serving one client makes other
   * keys ready (BLMOVE into a key someone else waits on).
   */
  serveReady(retry: (client: Client, key: string) => void): void {
    while (this.#ready.size > 0) {
      const ready = [...this.#ready];
      this.#ready.clear();
      for (const id of ready) {
        const queue = this.#blocked.get(id);
        if (queue === undefined) continue;
        for (const client of [...queue]) {
          if (client.blockedState !== null) retry(client, id.slice(id.indexOf("\x00") + 1));
        }
      }
    }
  }
}
