// A map from stream IDs to values that also walks its keys in ID order: the pending
// entries lists of consumer groups and consumers. Entries mostly arrive in ID order
// (XREADGROUP hands out ever larger IDs), so an insert is usually a push.

import type { StreamId } from "./stream_id.ts";

/** The first index in the sorted `ids` whose ID is >= `id`. */
export function lowerBound(ids: readonly StreamId[], id: StreamId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** IDs to values, iterable in ascending ID order. */
export class IdIndex<T> {
  readonly #map = new Map<StreamId, T>();
  #ids: StreamId[] = [];

  get size(): number {
    return this.#map.size;
  }

  get(id: StreamId): T | undefined {
    return this.#map.get(id);
  }

  has(id: StreamId): boolean {
    return this.#map.has(id);
  }

  /** Adds or replaces the value of `id`. */
  set(id: StreamId, value: T): void {
    if (!this.#map.has(id)) {
      const ids = this.#ids;
      if (ids.length === 0 || ids[ids.length - 1] < id) ids.push(id);
      else ids.splice(lowerBound(ids, id), 0, id);
    }
    this.#map.set(id, value);
  }

  /** Removes `id`; false when it was not there. */
  delete(id: StreamId): boolean {
    if (!this.#map.delete(id)) return false;
    const ids = this.#ids;
    if (ids[0] === id) ids.shift();
    else ids.splice(lowerBound(ids, id), 1);
    return true;
  }

  /** The smallest and largest IDs (undefined when empty). */
  first(): StreamId | undefined {
    return this.#ids[0];
  }

  last(): StreamId | undefined {
    return this.#ids[this.#ids.length - 1];
  }

  /** Entries with `start <= id <= end`, ascending; the walk stops when `fn` returns false. */
  range(start: StreamId, end: StreamId, fn: (id: StreamId, value: T) => boolean | void): void {
    const ids = this.#ids;
    for (let i = lowerBound(ids, start); i < ids.length && ids[i] <= end; i++) {
      const id = ids[i];
      if (fn(id, this.#map.get(id)!) === false) return;
    }
  }

  /** Every entry in ID order (a snapshot of the keys: the callback may delete). */
  *entries(): IterableIterator<[StreamId, T]> {
    for (const id of [...this.#ids]) {
      const value = this.#map.get(id);
      if (value !== undefined) yield [id, value];
    }
  }
}
