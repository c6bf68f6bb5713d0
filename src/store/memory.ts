// Memory estimates for MEMORY USAGE and MEMORY STATS, in Redeno's own representation
// on V8 (64-bit, 8-byte pointers): a key's share of its database's Map, the key string,
// and the value with everything it references.
//
// The figures model V8's layouts rather than measure them (JavaScript cannot ask for
// an object's size): a one-byte string is a 16-byte header plus its bytes rounded up
// to 8; a Map entry is three pointers plus half a bucket pointer, in a table whose
// capacity is a power of two; an array is a 16-byte header plus 8 bytes a slot; a
// double outside the small-integer range is boxed in a 16-byte heap number. Like
// Redis, a large collection is not walked whole: the first `samples` elements are
// measured and their average stands for all of them.

import { HashValue } from "./hash.ts";
import { ListValue } from "./list.ts";
import { SetValue } from "./set.ts";
import { SortedSetValue } from "./zset.ts";
import type { Value } from "./value.ts";

/** Elements MEMORY USAGE measures in a collection unless told otherwise (Redis's 5). */
export const DEFAULT_SAMPLES = 5;

const POINTER = 8;
const HEADER = 16; // map word + length/hash word of strings, arrays, heap numbers
const HEAP_NUMBER = 16;
const OBJECT = 32; // a small class instance with a few fields
const TYPED_ARRAY = 128; // a typed array object plus its ArrayBuffer object
const MAP = 64; // a Map object plus its table's header
const MAP_ENTRY = 3 * POINTER + POINTER / 2; // key, value, chain link, half a bucket

function align8(n: number): number {
  return (n + 7) & ~7;
}

function capacityFor(n: number): number {
  let cap = 4;
  while (cap < n) cap *= 2;
  return cap;
}

/** A one-byte string of `length` characters. */
export function stringBytes(length: number): number {
  return HEADER + align8(length);
}

/** A Map's own memory (not its keys' and values'), for `entries` entries. */
export function mapBytes(entries: number): number {
  const cap = capacityFor(entries);
  return MAP + cap * MAP_ENTRY;
}

/** An array of `slots` pointers or doubles. */
function arrayBytes(slots: number): number {
  return HEADER + slots * POINTER;
}

/** A number as a Map value or array element: free as a small integer, else boxed. */
function numberBytes(n: number): number {
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? 0 : HEAP_NUMBER;
}

/** Options of `memoryUsage`. */
export interface MemoryUsageOptions {
  /** Elements of a collection to measure (default 5; 0 measures all). */
  samples?: number;
}

/**
 * The bytes a key and its value take: the key's Map entry and string, the value's
 * objects, and its elements (the average of the sampled ones times their count).
 */
export function memoryUsage(key: string, value: Value, options: MemoryUsageOptions = {}): number {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const keyBytes = MAP_ENTRY + stringBytes(key.length);
  return keyBytes + valueBytes(value, samples === 0 ? Infinity : samples);
}

/** The value's memory, sampling at most `samples` elements of a collection. */
export function valueBytes(value: Value, samples = DEFAULT_SAMPLES): number {
  if (typeof value === "string") return stringBytes(value.length);
  if (value instanceof Uint8Array) return TYPED_ARRAY + value.buffer.byteLength;
  if (value instanceof HashValue) {
    const size = value.size;
    return OBJECT + mapBytes(size) + sampled(size, samples, (measure) => {
      for (const [field, v] of value.fields) {
        if (!measure(stringBytes(field.length) + stringBytes(v.length))) break;
      }
    });
  }
  if (value instanceof ListValue) {
    const size = value.length;
    return OBJECT + arrayBytes(capacityFor(size)) + sampled(size, samples, (measure) => {
      for (let i = 0; i < size && measure(stringBytes(value.at(i).length)); i++);
    });
  }
  if (value instanceof SetValue) {
    const size = value.size;
    if (value.isIntset) return OBJECT + TYPED_ARRAY + capacityFor(size) * 8;
    return OBJECT + mapBytes(size) + arrayBytes(size) + sampled(size, samples, (measure) => {
      for (let i = 0; i < size && measure(stringBytes(value.at(i).length)); i++);
    });
  }
  if (value instanceof SortedSetValue) {
    const size = value.size;
    const packed = value.encoding === "listpack";
    // Listpack: parallel member and score arrays. Skiplist: a member → score Map (boxed
    // scores) and the ordered tree's member and score slots (a few nodes per 64 members).
    const structure = packed
      ? 2 * arrayBytes(size)
      : mapBytes(size) + 2 * arrayBytes(size) + Math.ceil(size / 32) * (OBJECT + 2 * HEADER);
    return OBJECT + structure + sampled(size, samples, (measure) => {
      for (let i = 0; i < size; i++) {
        const score = packed ? 0 : numberBytes(value.scoreAt(i));
        if (!measure(stringBytes(value.memberAt(i).length) + score)) break;
      }
    });
  }
  return 0;
}

/**
 * The elements' memory: `walk` hands each element's bytes to `measure` until it answers
 * false (after `samples` of them); the average stands for all `size` elements.
 */
function sampled(
  size: number,
  samples: number,
  walk: (measure: (bytes: number) => boolean) => void,
): number {
  if (size === 0) return 0;
  let count = 0, total = 0;
  walk((bytes) => {
    total += bytes;
    count++;
    return count < samples;
  });
  return count === 0 ? 0 : Math.round((total / count) * size);
}
