// MurmurHash64A, the hash Redis gives HyperLogLog elements (seed 0xadc83b19), run as
// WebAssembly. The hash is a chain of 64-bit multiplications: JavaScript has no 64-bit
// integer but BigInt (which allocates), and on 32-bit halves each product takes a chain
// of double and integer steps (measured: 36 ns for a 12-byte element, against 21 here,
// the copy of the element into the module's memory included).
//
// The module is small enough to assemble here from its instructions, below: no build
// step, and every byte of it readable in this file. Elements are copied into its memory
// (one page) a page at a time; the hash of an element that fits is one call. What the
// hash means to an HLL (its register and run length) is store/hyperloglog.ts's.

// Value types, and the instructions used (WebAssembly 1.0 opcodes).
const I32 = 0x7f, I64 = 0x7e, VOID = 0x40;
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  br_if: 0x0d,
  end: 0x0b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i64_load: 0x29,
  i64_store: 0x37,
  i32_const: 0x41,
  i64_const: 0x42,
  i32_eqz: 0x45,
  i32_ge_u: 0x4f,
  i32_add: 0x6a,
  i32_and: 0x71,
  i32_shl: 0x74,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_and: 0x83,
  i64_xor: 0x85,
  i64_shl: 0x86,
  i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7,
  i64_extend_i32_u: 0xad,
} as const;

function signedLeb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    const byte = value & 0x7f;
    value >>>= 7;
    out.push(value === 0 ? byte : byte | 0x80);
  } while (value !== 0);
  return out;
}

const vector = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (
  id: number,
  body: number[],
): number[] => [id, ...unsignedLeb(body.length), ...body];
const i64 = (value: bigint): number[] => [OP.i64_const, ...signedLeb(BigInt.asIntN(64, value))];
const i32 = (value: number): number[] => [OP.i32_const, ...signedLeb(BigInt(value))];
const load = (offset = 0): number[] => [OP.i64_load, 3, ...unsignedLeb(offset)];

const M = i64(0xc6a4a7935bd1e995n);
const SEED = 0xadc83b19n;
/** Bytes of the module's memory the element is copied to, a page at a time. */
export const CHUNK = 65536;
// Where the last hash is stored (little-endian), past the element's page.
const OUT = CHUNK;

interface Func {
  name: string;
  params: number[];
  results: number[];
  locals: number[];
  body: number[];
}

// The instructions, as pieces over locals given by index: each function below is made
// of them (WebAssembly calls between small functions cost as much as their work).

// h = seed ^ (length * m).
const seeded = (length: number, h: number): number[] => [
  ...i64(SEED),
  OP.local_get,
  length,
  OP.i64_extend_i32_u,
  ...M,
  OP.i64_mul,
  OP.i64_xor,
  OP.local_set,
  h,
];

// Between the calls of a long element the running hash is kept in the memory at OUT.
const loadHash = (h: number): number[] => [...i32(OUT), ...load(), OP.local_set, h];
const storeHash = (h: number): number[] => [...i32(OUT), OP.local_get, h, OP.i64_store, 3, 0];

// x ^= x >> 47, for the value on the stack, which becomes local x on the way.
const xorShifted = (x: number): number[] => [
  OP.local_tee,
  x,
  OP.local_get,
  x,
  ...i64(47n),
  OP.i64_shr_u,
  OP.i64_xor,
];

// Mixes the bytes [i, n) of the memory (n - i a multiple of 8), 8 at a time:
// k *= m; k ^= k >> 47; k *= m; h ^= k; h *= m. Leaves i at n.
const mixBlocks = (n: number, h: number, i: number, k: number): number[] => [
  OP.block,
  VOID,
  OP.loop,
  VOID,
  OP.local_get,
  i,
  OP.local_get,
  n,
  OP.i32_ge_u,
  OP.br_if,
  1,
  OP.local_get,
  i,
  ...load(),
  ...M,
  OP.i64_mul,
  ...xorShifted(k),
  ...M,
  OP.i64_mul,
  OP.local_get,
  h,
  OP.i64_xor,
  ...M,
  OP.i64_mul,
  OP.local_set,
  h,
  OP.local_get,
  i,
  ...i32(8),
  OP.i32_add,
  OP.local_set,
  i,
  OP.br,
  0,
  OP.end,
  OP.end,
];

// The last `rest` (0-7) bytes, at `at`, then the final mix; stores the hash and leaves
// its low 32 bits.
const finish = (at: number, rest: number[], h: number): number[] => [
  OP.block,
  VOID,
  ...rest,
  OP.i32_eqz,
  OP.br_if,
  0,
  // h ^= the rest's bytes (the 8 loaded, masked to `rest`); h *= m
  OP.local_get,
  at,
  ...load(),
  ...i64(1n),
  ...rest,
  ...i32(3),
  OP.i32_shl,
  OP.i64_extend_i32_u,
  OP.i64_shl,
  ...i64(1n),
  OP.i64_sub,
  OP.i64_and,
  OP.local_get,
  h,
  OP.i64_xor,
  ...M,
  OP.i64_mul,
  OP.local_set,
  h,
  OP.end,
  // h ^= h >> 47; h *= m; h ^= h >> 47
  OP.local_get,
  h,
  ...xorShifted(h),
  ...M,
  OP.i64_mul,
  ...xorShifted(h),
  OP.local_set,
  h,
  ...storeHash(h),
  OP.local_get,
  h,
  OP.i32_wrap_i64,
];

// whole(length): an element that fits in the page, in one call (the common case).
const whole: Func = {
  name: "whole",
  params: [I32],
  results: [I32],
  locals: [I32, I64, I32, I64], // n, h, i, k
  body: [
    ...seeded(0, 2),
    OP.local_get,
    0,
    ...i32(-8),
    OP.i32_and,
    OP.local_set,
    1,
    ...mixBlocks(1, 2, 3, 4),
    ...finish(3, [OP.local_get, 0, ...i32(7), OP.i32_and], 2),
  ],
};

// A longer element: begin(length), blocks(n) for each page's bytes copied (n a multiple
// of 8), then end(at, rest) for the last bytes.
const begin: Func = {
  name: "begin",
  params: [I32],
  results: [],
  locals: [I64],
  body: [...seeded(0, 1), ...storeHash(1)],
};
const blocks: Func = {
  name: "blocks",
  params: [I32],
  results: [],
  locals: [I64, I32, I64], // h, i, k
  body: [...loadHash(1), ...mixBlocks(0, 1, 2, 3), ...storeHash(1)],
};
const end: Func = {
  name: "end",
  params: [I32, I32],
  results: [I32],
  locals: [I64],
  body: [...loadHash(2), ...finish(0, [OP.local_get, 1], 2)],
};

function assemble(funcs: Func[]): Uint8Array<ArrayBuffer> {
  const name = (text: string) => vector([...text].map((c) => [c.charCodeAt(0)]));
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    // Types: one per function, in order.
    ...section(
      1,
      vector(funcs.map((f) => [
        0x60,
        ...vector(f.params.map((t) => [t])),
        ...vector(f.results.map((t) => [t])),
      ])),
    ),
    ...section(3, vector(funcs.map((_, i) => unsignedLeb(i)))),
    // Memory: two pages, the element's and the hash's.
    ...section(5, vector([[0, 2]])),
    ...section(
      7,
      vector([
        ...funcs.map((f, i) => [...name(f.name), 0, ...unsignedLeb(i)]),
        [...name("memory"), 2, 0],
      ]),
    ),
    ...section(
      10,
      vector(funcs.map((f) => {
        const locals = f.locals.map((t) => [1, t]);
        const code = [...vector(locals), ...f.body, OP.end];
        return [...unsignedLeb(code.length), ...code];
      })),
    ),
  ]);
}

const exports = new WebAssembly.Instance(
  new WebAssembly.Module(assemble([whole, begin, blocks, end])),
).exports as {
  begin(length: number): void;
  blocks(n: number): void;
  end(at: number, rest: number): number;
  whole(length: number): number;
  memory: WebAssembly.Memory;
};
const MEMORY = exports.memory.buffer;
const BYTES = new Uint8Array(MEMORY);
const WORDS = new Int32Array(MEMORY);
// The stored hash's high word (little-endian: the second).
const HIGH_WORD = new Uint32Array(MEMORY, OUT + 4, 1);

// Copies text[from, from + length) (one-byte characters: the low byte of each, as a
// one-byte string has no other) to the start of the memory, four to a word.
function copyText(text: string, from: number, length: number): void {
  let w = 0, i = from;
  const last = from + length;
  for (; i + 4 <= last; i += 4) {
    WORDS[w++] = text.charCodeAt(i) & 0xff | (text.charCodeAt(i + 1) & 0xff) << 8 |
      (text.charCodeAt(i + 2) & 0xff) << 16 | text.charCodeAt(i + 3) << 24;
  }
  if (i < last) {
    let word = 0;
    for (let j = last - 1; j >= i; j--) word = word << 8 | text.charCodeAt(j) & 0xff;
    WORDS[w] = word;
  }
}

// Copies data[from, from + length) to the start of the memory.
function copyIn(data: string | Uint8Array, from: number, length: number): void {
  if (typeof data === "string") copyText(data, from, length);
  else BYTES.set(data.subarray(from, from + length));
}

/**
 * MurmurHash64A of a one-byte string or bytes, with Redis's HLL seed: answers its low
 * 32 bits (as a signed integer); hashHigh gives the high 32 until the next call.
 */
export function murmurHash64A(data: string | Uint8Array): number {
  const length = data.length;
  if (length <= CHUNK) {
    copyIn(data, 0, length);
    return exports.whole(length);
  }
  exports.begin(length);
  let at = 0;
  for (; length - at > CHUNK; at += CHUNK) {
    copyIn(data, at, CHUNK);
    exports.blocks(CHUNK);
  }
  const rest = length - at;
  copyIn(data, at, rest);
  exports.blocks(rest & ~7);
  return exports.end(rest & ~7, rest & 7);
}

/** The high 32 bits of the last hash. */
export function hashHigh(): number {
  return HIGH_WORD[0];
}
