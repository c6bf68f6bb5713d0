// The list type: an ordered sequence of one-byte strings.
//
// Held in a ring buffer (a power-of-two array with a head index), so pushing and
// popping at either end is O(1) amortized and reading or replacing the element at any
// index is O(1). Inserting or removing inside the list moves the elements on the
// shorter side only. The array doubles when full and halves when three quarters
// empty, so a list that shrinks gives its memory back; a new list starts with room
// for the elements it is created with, so small lists stay small.
//
// Redis 7.0 keeps every list as a quicklist (a linked list of listpack nodes), however
// small: OBJECT ENCODING always answers "quicklist", whatever list-max-listpack-size
// says (listpack-encoded small lists only came with 7.2).

import type { Account } from "./accounting.ts";

const MIN_CAPACITY = 4;
// V8 gives `new Array(n)` slow dictionary elements past 2^25 slots; larger arrays are
// grown element by element instead, which keeps them fast.
const FAST_NEW_ARRAY = 1 << 25;

let created = 0;

/** A list value. */
export class ListValue {
  readonly type = "list";
  /** Where the memory total counts this value (see store/accounting.ts). */
  account: Account | null = null;
  /**
   * Creation order of list values: the blocking commands use it to tell which of
   * several lists appeared first (see pickList in commands/list.ts).
   */
  readonly serial = ++created;
  #items: (string | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  /** An empty list with room for `capacity` elements before it grows. */
  constructor(capacity = MIN_CAPACITY) {
    const size = capacityFor(capacity);
    this.#items = allocate(size);
    this.#mask = size - 1;
  }

  /** A list holding `items` in order (RDB loading, tests). */
  static from(items: Iterable<string>): ListValue {
    const array = Array.isArray(items) ? items as string[] : [...items];
    const list = new ListValue(array.length);
    for (let i = 0; i < array.length; i++) list.#items[i] = array[i];
    list.#length = array.length;
    return list;
  }

  /** OBJECT ENCODING's answer: Redis 7.0 lists are always quicklists. */
  get encoding(): "quicklist" {
    return "quicklist";
  }

  /** Number of elements. */
  get length(): number {
    return this.#length;
  }

  /** The element at `index` (0 is the head; must be within 0..length-1). */
  at(index: number): string {
    return this.#items[(this.#head + index) & this.#mask]!;
  }

  /** Replaces the element at `index` (within 0..length-1). */
  set(index: number, value: string): void {
    this.#items[(this.#head + index) & this.#mask] = value;
  }

  /** Adds an element before the head. */
  pushHead(value: string): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = value;
    this.#length++;
  }

  /** Adds an element after the tail. */
  pushTail(value: string): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  /** Removes and returns the head element; undefined when empty. */
  popHead(): string | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    this.#maybeShrink();
    return value;
  }

  /** Removes and returns the tail element; undefined when empty. */
  popTail(): string | undefined {
    if (this.#length === 0) return undefined;
    const at = (this.#head + this.#length - 1) & this.#mask;
    const value = this.#items[at];
    this.#items[at] = undefined;
    this.#length--;
    this.#maybeShrink();
    return value;
  }

  /** Pushes at the head (`head` true) or the tail. */
  push(value: string, head: boolean): void {
    if (head) this.pushHead(value);
    else this.pushTail(value);
  }

  /** Pops from the head (`head` true) or the tail; undefined when empty. */
  pop(head: boolean): string | undefined {
    return head ? this.popHead() : this.popTail();
  }

  /**
   * Inserts `value` so that it ends up at `index` (0..length), moving the elements
   * on the shorter side by one.
   */
  insert(index: number, value: string): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    const items = this.#items, mask = this.#mask;
    if (index < this.#length - index) {
      // Shift the first `index` elements one step towards the front.
      const head = (this.#head - 1) & mask;
      for (let i = 0; i < index; i++) {
        items[(head + i) & mask] = items[(head + i + 1) & mask];
      }
      this.#head = head;
    } else {
      // Shift the elements from `index` on one step towards the back.
      for (let i = this.#length; i > index; i--) {
        items[(this.#head + i) & mask] = items[(this.#head + i - 1) & mask];
      }
    }
    items[(this.#head + index) & mask] = value;
    this.#length++;
  }

  /** Drops `fromHead` elements at the head and `fromTail` at the tail (LTRIM). */
  trim(fromHead: number, fromTail: number): void {
    const items = this.#items, mask = this.#mask;
    for (let i = 0; i < fromHead; i++) items[(this.#head + i) & mask] = undefined;
    for (let i = 0; i < fromTail; i++) {
      items[(this.#head + this.#length - 1 - i) & mask] = undefined;
    }
    this.#head = (this.#head + fromHead) & mask;
    this.#length -= fromHead + fromTail;
    this.#maybeShrink();
  }

  /**
   * Removes the elements equal to `value` (LREM): the first `limit` from the head,
   * or from the tail when `fromTail`; `limit` 0 removes them all. Answers how many
   * went. O(n), compacting in place.
   */
  removeAll(value: string, limit: number, fromTail: boolean): number {
    const n = this.#length;
    const items = this.#items, mask = this.#mask, head = this.#head;
    let removed = 0;
    if (!fromTail) {
      let write = 0;
      for (let read = 0; read < n; read++) {
        const item = items[(head + read) & mask]!;
        if (item === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) items[(head + write) & mask] = item;
        write++;
      }
      for (let i = write; i < n; i++) items[(head + i) & mask] = undefined;
    } else {
      // Walk from the tail and compact towards it: the head moves forward.
      let write = n - 1;
      for (let read = n - 1; read >= 0; read--) {
        const item = items[(head + read) & mask]!;
        if (item === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) items[(head + write) & mask] = item;
        write--;
      }
      for (let i = 0; i <= write; i++) items[(head + i) & mask] = undefined;
      this.#head = (head + removed) & mask;
    }
    this.#length -= removed;
    this.#maybeShrink();
    return removed;
  }

  /** The elements from `start` to `stop` inclusive (both within 0..length-1). */
  slice(start: number, stop: number): string[] {
    const out: string[] = [];
    for (let i = start; i <= stop; i++) out.push(this.at(i));
    return out;
  }

  /** Every element, head first. */
  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  /** Every element as an array, head first. */
  toArray(): string[] {
    return this.#length === 0 ? [] : this.slice(0, this.#length - 1);
  }

  /** A copy sharing nothing mutable (COPY). */
  clone(): ListValue {
    return ListValue.from(this.toArray());
  }

  // Copies the elements, in order, into a new array of `size` slots (a power of two).
  #resize(size: number): void {
    const items = allocate(size);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = size - 1;
    this.#head = 0;
  }

  #maybeShrink(): void {
    const size = this.#items.length;
    if (size > MIN_CAPACITY && this.#length * 4 <= size) {
      this.#resize(Math.max(MIN_CAPACITY, capacityFor(this.#length * 2)));
    }
  }
}

// An array of `size` empty slots with fast elements.
function allocate(size: number): (string | undefined)[] {
  if (size <= FAST_NEW_ARRAY) return new Array(size);
  const items: (string | undefined)[] = [];
  for (let i = 0; i < size; i++) items.push(undefined);
  return items;
}

// The smallest power of two that holds n elements (at least MIN_CAPACITY).
function capacityFor(n: number): number {
  let size = MIN_CAPACITY;
  while (size < n) size *= 2;
  return size;
}
