// The memory model behind MEMORY USAGE and MEMORY STATS, in Redeno's own representation
// on V8 (64-bit, 8-byte pointers): what a key's share of its database's Map, a string,
// an array, a Map or a number costs, and how a large collection is sampled. Each value
// type's estimate is built from these in its codec (persistence/codecs/), next to the
// type's other forms; `memoryUsage` there adds a key's share to its value's estimate.
//
// The figures model V8's layouts rather than measure them (JavaScript cannot ask for
// an object's size): a one-byte string is a 16-byte header plus its bytes rounded up
// to 8; a Map entry is three pointers plus half a bucket pointer, in a table whose
// capacity is a power of two; an array is a 16-byte header plus 8 bytes a slot; a
// double outside the small-integer range is boxed in a 16-byte heap number. Like
// Redis, a large collection is not walked whole: the first `samples` elements are
// measured and their average stands for all of them.

/** Elements MEMORY USAGE measures in a collection unless told otherwise (Redis's 5). */
export const DEFAULT_SAMPLES = 5;

const POINTER = 8;
/** The map word and length/hash word of strings, arrays and heap numbers. */
export const HEADER_BYTES = 16;
const HEAP_NUMBER = 16;
/** A small class instance with a few fields. */
export const OBJECT_BYTES = 32;
/** A typed array object plus its ArrayBuffer object. */
export const TYPED_ARRAY_BYTES = 128;
const MAP = 64; // a Map object plus its table's header
const MAP_ENTRY = 3 * POINTER + POINTER / 2; // key, value, chain link, half a bucket

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The power-of-two capacity (at least 4) a Map table or ring buffer grows to for `n`. */
export function capacityFor(n: number): number {
  let cap = 4;
  while (cap < n) cap *= 2;
  return cap;
}

/** A one-byte string of `length` characters. */
export function stringBytes(length: number): number {
  return HEADER_BYTES + align8(length);
}

/** A Map's own memory (not its keys' and values'), for `entries` entries. */
export function mapBytes(entries: number): number {
  const cap = capacityFor(entries);
  return MAP + cap * MAP_ENTRY;
}

/**
 * What one entry of a StringTable (the keyspace's tables, a sorted set's members)
 * costs: five slots in an array that grows by half again when full (1.25 times them on
 * average), and a 4-byte bucket, of which a table has one or two an entry (1.39 on
 * average over one doubling, 2 ln 2). A real table grows by jumps; counting them would
 * leave eviction stuck below the limit whenever the next jump is bigger than the room
 * left (Redis avoids growing its tables when over maxmemory), so the keyspace charges
 * every entry the average and its total grows smoothly.
 */
export const TABLE_ENTRY_BYTES = Math.round(5 * POINTER * 1.25 + 4 * 1.386);

/** A StringTable's own memory (not its keys' and values'), for `entries` entries. */
export function stringTableBytes(entries: number): number {
  return MAP + entries * TABLE_ENTRY_BYTES;
}

/** A keyspace table's own memory for `entries` entries (see TABLE_ENTRY_BYTES). */
export function tableBytes(entries: number): number {
  return entries * TABLE_ENTRY_BYTES;
}

/** An expiry time in its table: the entry and the boxed double it holds. */
export const EXPIRE_ENTRY_BYTES = TABLE_ENTRY_BYTES + HEAP_NUMBER;

/** An array of `slots` pointers or doubles. */
export function arrayBytes(slots: number): number {
  return HEADER_BYTES + slots * POINTER;
}

/** A number as a Map value or array element: free as a small integer, else boxed. */
export function numberBytes(n: number): number {
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? 0 : HEAP_NUMBER;
}

/** A key's share of its database: its entry in the table of keys and its string. */
export function keyBytes(key: string): number {
  return 5 * POINTER + 4 + stringBytes(key.length);
}

/**
 * The elements' memory from a sample: `total` bytes measured over the first `count`
 * elements (at most `samples`, see the codecs), the average standing for all `size`.
 * The codecs measure in plain loops: the running memory total measures a collection
 * again after each command that changes it, so this is on the write path.
 */
export function scaled(total: number, count: number, size: number): number {
  return count === 0 ? 0 : Math.round((total / count) * size);
}
