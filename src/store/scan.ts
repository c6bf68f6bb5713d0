// Cursors for SCAN, HSCAN, SSCAN and ZSCAN over a table (a StringTable, or a JS Map).
//
// Redis's cursors walk hash-table buckets. Here the tables' iterators stay valid while
// the table changes (see ./string_table.ts; a Map's do too): entries deleted before
// they are reached are skipped, and nothing that stays in the table is missed or
// repeated. So a cursor here is a number naming a live iterator kept on the server.
// Every call hands out a fresh number, so a client that retries an old cursor gets
// the old position's successor and not another client's iterator. Open cursors are
// bounded (the oldest are dropped); an unknown cursor starts a new iteration, which
// SCAN's contract allows (elements may be returned more than once).

/** How many open cursors a registry keeps before dropping the oldest. */
const MAX_OPEN = 4096;

/** Open iterations over tables (anything with an iterator factory). */
export class CursorRegistry {
  #next = 1;
  #open = new Map<number, { source: object; iterator: Iterator<unknown>; ahead?: unknown[] }>();

  /**
   * Continues (or starts, for cursor 0 or an unknown one) an iteration over `source`,
   * taking up to `count` items from `iterate()`. Returns the items and the cursor to
   * hand back (0 when the iteration is complete).
   *
   * `size` is the collection's size now: a new iteration takes at most that many
   * steps. A live iterator also visits entries added during the scan, after all the
   * older ones, so a scan racing with inserts would otherwise never end; every entry
   * present from start to end is still among the first `size`.
   */
  scan<T>(
    source: object,
    cursor: number,
    count: number,
    iterate: () => Iterator<T>,
    size: number,
  ): { cursor: number; items: T[] } {
    let entry = cursor === 0 ? undefined : this.#open.get(cursor);
    if (entry !== undefined) this.#open.delete(cursor);
    if (entry === undefined || entry.source !== source) {
      entry = { source, iterator: firstN(iterate(), size) };
    }
    const iterator = entry.iterator as Iterator<T>;
    const items: T[] = (entry.ahead as T[] | undefined) ?? [];
    entry.ahead = undefined;
    while (items.length < count) {
      const step = iterator.next();
      if (step.done) return { cursor: 0, items };
      items.push(step.value);
    }
    // Look one item ahead, so an iteration that ends exactly here answers cursor 0
    // instead of a cursor that leads to an empty page.
    const peek = iterator.next();
    if (peek.done) return { cursor: 0, items };
    entry.ahead = [peek.value];
    const next = this.#next++;
    if (this.#next > Number.MAX_SAFE_INTEGER) this.#next = 1;
    this.#open.set(next, entry);
    if (this.#open.size > MAX_OPEN) {
      const oldest = this.#open.keys().next().value!;
      this.#open.delete(oldest);
    }
    return { cursor: next, items };
  }
}

// The first n items of an iterator.
function* firstN<T>(iterator: Iterator<T>, n: number): Generator<T> {
  for (let i = 0; i < n; i++) {
    const step = iterator.next();
    if (step.done) return;
    yield step.value;
  }
}
