// The CRC-64/Jones inner loop as a small WebAssembly module, for large inputs (a whole
// RDB file, a full resync): measured, twice the speed of the JavaScript loop in
// crc64.ts, which has to split the 64-bit register into two 32-bit halves.
//
// The module is encoded here, byte by byte, rather than compiled from C: it is one
// function, and this keeps it readable without a toolchain. It exports its memory and
// `update(at, length)`, which folds memory[at, at + length) into the register kept as
// a little-endian 64-bit value at address 0, 16 bytes a step ("slicing by 16"): table
// k (k = 0..15) holds, for each byte value, its CRC followed by k zero bytes. The
// caller fills the tables and copies the input into the data area.

/** Where the register lives (8 bytes, little-endian). */
export const REGISTER_AT = 0;
/** Where the 16 tables of 256 little-endian 64-bit entries start. */
export const TABLES_AT = 32768;
/** Where the input is copied, and how much fits at a time. */
export const DATA_AT = 65536;
export const DATA_SIZE = 65536;
const PAGES = 2;

const TABLE_BYTES = 256 * 8;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  while (true) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

// Opcodes used.
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const I32_CONST = 0x41, I64_CONST = 0x42;
const I64_LOAD = 0x29, I64_LOAD8_U = 0x31, I64_STORE = 0x37;
const I32_GE_U = 0x4f, I32_ADD = 0x6a, I32_AND = 0x71, I32_SHL = 0x74;
const I64_XOR = 0x85, I64_SHR_U = 0x88, I32_WRAP_I64 = 0xa7;
const I32 = 0x7f, I64 = 0x7e;

// Parameters, then locals.
const AT = 0, LENGTH = 1, END_ALL = 2, END_STEPS = 3, CRC = 4, WORD = 5;

const get = (local: number) => [LOCAL_GET, local];
const set = (local: number) => [LOCAL_SET, local];
const i32 = (n: number) => [I32_CONST, ...sleb(n)];
const i64 = (n: number) => [I64_CONST, ...sleb(n)];
const load64 = (offset: number) => [I64_LOAD, 3, ...uleb(offset)];

// Pushes table[`table`][byte `byte` of WORD].
function lookup(byte: number, table: number): number[] {
  const shifted = byte === 0 ? get(WORD) : [...get(WORD), ...i64(byte * 8), I64_SHR_U];
  const index = byte === 7 ? [...shifted, I32_WRAP_I64] : [
    ...shifted,
    I32_WRAP_I64,
    ...i32(255),
    I32_AND,
  ];
  return [...index, ...i32(3), I32_SHL, ...load64(TABLES_AT + table * TABLE_BYTES)];
}

// XORs the lookups of WORD's eight bytes, byte 0 into table `first`, byte 7 into
// table `first - 7`, with what is on the stack (when `onStack`).
function fold(first: number, onStack: boolean): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < 8; byte++) {
    out.push(...lookup(byte, first - byte));
    if (byte > 0 || onStack) out.push(I64_XOR);
  }
  return out;
}

// deno-fmt-ignore
const body = [
  ...get(AT), ...get(LENGTH), I32_ADD, ...set(END_ALL),
  ...get(AT), ...get(LENGTH), ...i32(-16), I32_AND, I32_ADD, ...set(END_STEPS),
  ...i32(REGISTER_AT), ...load64(0), ...set(CRC),
  // Sixteen bytes a step: CRC ^ the first eight through tables 15..8, the next eight
  // through tables 7..0.
  BLOCK, VOID, LOOP, VOID,
  ...get(AT), ...get(END_STEPS), I32_GE_U, BR_IF, 1,
  ...get(CRC), ...get(AT), ...load64(0), I64_XOR, ...set(WORD),
  ...fold(15, false),
  ...get(AT), ...load64(8), ...set(WORD),
  ...fold(7, true),
  ...set(CRC),
  ...get(AT), ...i32(16), I32_ADD, ...set(AT),
  BR, 0, END, END,
  // The last bytes one at a time: CRC = table0[(CRC ^ byte) & 255] ^ (CRC >> 8).
  BLOCK, VOID, LOOP, VOID,
  ...get(AT), ...get(END_ALL), I32_GE_U, BR_IF, 1,
  ...get(CRC), ...get(AT), I64_LOAD8_U, 0, 0, I64_XOR, I32_WRAP_I64, ...i32(255), I32_AND,
  ...i32(3), I32_SHL, ...load64(TABLES_AT),
  ...get(CRC), ...i64(8), I64_SHR_U, I64_XOR, ...set(CRC),
  ...get(AT), ...i32(1), I32_ADD, ...set(AT),
  BR, 0, END, END,
  ...i32(REGISTER_AT), ...get(CRC), I64_STORE, 3, 0,
  END,
];

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

const code = [2, 2, I32, 2, I64, ...body]; // locals: two i32, two i64

/** The module's bytes. */
// deno-fmt-ignore
export const CRC64_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 2, I32, I32, 0]), // one type: (i32, i32) -> ()
  ...section(3, [1, 0]), // one function, of that type
  ...section(5, [1, 0, PAGES]), // one memory
  ...section(7, [2, ...name("memory"), 2, 0, ...name("update"), 0, 0]),
  ...section(10, [1, ...uleb(code.length), ...code]),
]);
