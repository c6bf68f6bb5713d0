// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO.
//
// A bitmap is an ordinary string value read as bits, most significant bit of the first
// byte first. Reads work on either representation of a string (one-byte string or bytes);
// writes go through `mutableBytes`, which turns the value into a growable byte array once
// so that later SETBITs and BITFIELD writes change it in place. Bit positions can reach
// 2^32 and past (proto-max-bulk-len is configurable), beyond what JS's 32-bit shift
// operators take, so positions are split with Math.floor and % instead of >> and &.

import {
  ERR_BIT_ARGUMENT,
  ERR_BIT_OFFSET,
  ERR_BIT_VALUE,
  ERR_BITFIELD_OVERFLOW,
  ERR_BITFIELD_RO,
  ERR_BITFIELD_TYPE,
  ERR_BITOP_NOT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONG_TYPE,
} from "../protocol/errors.ts";
import { NOTIFY } from "../config/mod.ts";
import { mutableBytes, type StringValue, toBytes } from "../store/string.ts";
import { isString } from "../store/value.ts";
import type { ArgDoc, CommandSpec, KeySpec, Session } from "./context.ts";
import { keyAt } from "./table.ts";
import { INT64_MAX, parseInt64 } from "../util/int64.ts";

// ---------------------------------------------------------------------------------------
// Bit-level helpers (exported for the unit tests).
// ---------------------------------------------------------------------------------------

/** Number of set bits in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

// The byte at an index of a string value (0 past the end: bitmaps are zero-padded).
function byteOf(value: StringValue, index: number): number {
  if (index >= value.length) return 0;
  return typeof value === "string" ? value.charCodeAt(index) : value[index];
}

// The largest run of whole 32-bit words inside bytes [from, to) of a byte array, as
// [first byte of the run, number of words], so long scans can go 4 bytes at a time.
function wordRun(bytes: Uint8Array, from: number, to: number): [number, number] {
  let start = from;
  while (start < to && (bytes.byteOffset + start) % 4 !== 0) start++;
  return [start, Math.max(0, Math.floor((to - start) / 4))];
}

/** Number of set bits in bytes [from, to) of a value. */
export function popcount(value: StringValue, from: number, to: number): number {
  let n = 0;
  if (typeof value === "string") {
    for (let i = from; i < to; i++) n += POPCOUNT[value.charCodeAt(i)];
    return n;
  }
  const [start, words] = wordRun(value, from, to);
  let i = from;
  if (words < 4) {
    for (; i < to; i++) n += POPCOUNT[value[i]];
    return n;
  }
  for (; i < start; i++) n += POPCOUNT[value[i]];
  const w32 = new Uint32Array(value.buffer, value.byteOffset + start, words);
  for (let j = 0; j < words; j++) {
    let x = w32[j];
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    n += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  for (i = start + words * 4; i < to; i++) n += POPCOUNT[value[i]];
  return n;
}

// The first index in bytes [from, to) whose byte is not `skip`, or -1.
function firstByteNot(value: StringValue, skip: number, from: number, to: number): number {
  if (typeof value === "string") {
    for (let i = from; i < to; i++) if (value.charCodeAt(i) !== skip) return i;
    return -1;
  }
  const [start, words] = wordRun(value, from, to);
  let i = from;
  if (words >= 4) {
    for (; i < start; i++) if (value[i] !== skip) return i;
    const w32 = new Uint32Array(value.buffer, value.byteOffset + start, words);
    const skipWord = skip === 0 ? 0 : 0xffffffff;
    let j = 0;
    while (j < words && w32[j] === skipWord) j++;
    i = start + j * 4;
  }
  for (; i < to; i++) if (value[i] !== skip) return i;
  return -1;
}

/** Number of set bits between two bit positions (inclusive) inside the value. */
export function countBits(value: StringValue, fromBit: number, toBit: number): number {
  const first = Math.floor(fromBit / 8), last = Math.floor(toBit / 8);
  const headMask = 0xff >> (fromBit % 8);
  const tailMask = (0xff << (7 - (toBit % 8))) & 0xff;
  if (first === last) return POPCOUNT[byteOf(value, first) & headMask & tailMask];
  return POPCOUNT[byteOf(value, first) & headMask] + popcount(value, first + 1, last) +
    POPCOUNT[byteOf(value, last) & tailMask];
}

// The position (0-7) of the first `bit` in a byte between two bit indexes, or -1.
function bitInByte(byte: number, bit: 0 | 1, from: number, to: number): number {
  const candidates = (bit ? byte : ~byte) & (0xff >> from) & (0xff << (7 - to));
  return (candidates & 0xff) === 0 ? -1 : Math.clz32(candidates & 0xff) - 24;
}

/** The first position between two bit positions (inclusive) holding `bit`, or -1. */
export function findBit(value: StringValue, bit: 0 | 1, fromBit: number, toBit: number): number {
  const first = Math.floor(fromBit / 8), last = Math.floor(toBit / 8);
  if (first === last) {
    const at = bitInByte(byteOf(value, first), bit, fromBit % 8, toBit % 8);
    return at < 0 ? -1 : first * 8 + at;
  }
  let at = bitInByte(byteOf(value, first), bit, fromBit % 8, 7);
  if (at >= 0) return first * 8 + at;
  const index = firstByteNot(value, bit ? 0 : 0xff, first + 1, last);
  if (index >= 0) return index * 8 + bitInByte(byteOf(value, index), bit, 0, 7);
  at = bitInByte(byteOf(value, last), bit, 0, toBit % 8);
  return at < 0 ? -1 : last * 8 + at;
}

/** Reads `bits` bits (1-64) at a bit offset as an unsigned integer (zero past the end). */
export function readField(value: StringValue | undefined, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8), last = Math.floor((offset + bits - 1) / 8);
  const shift = (last - first + 1) * 8 - (offset % 8) - bits;
  if (last - first < 6) {
    // Up to 6 bytes (48 bits): exact in a double.
    let n = 0;
    for (let i = first; i <= last; i++) n = n * 256 + (value ? byteOf(value, i) : 0);
    return BigInt(Math.floor(n / 2 ** shift) % 2 ** bits);
  }
  let acc = 0n;
  for (let i = first; i <= last; i++) acc = (acc << 8n) | BigInt(value ? byteOf(value, i) : 0);
  return BigInt.asUintN(bits, acc >> BigInt(shift));
}

/** Writes the low `bits` bits of an unsigned integer at a bit offset (bytes long enough). */
export function writeField(bytes: Uint8Array, offset: number, bits: number, field: bigint): void {
  const first = Math.floor(offset / 8), last = Math.floor((offset + bits - 1) / 8);
  const shift = BigInt((last - first + 1) * 8 - (offset % 8) - bits);
  let acc = 0n;
  for (let i = first; i <= last; i++) acc = (acc << 8n) | BigInt(bytes[i]);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, field) << shift) & mask);
  for (let i = last; i >= first; i--) {
    bytes[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
}

// ---------------------------------------------------------------------------------------
// Argument parsing.
// ---------------------------------------------------------------------------------------

// Redis compares keywords with strcasecmp, so an argument ends at its first NUL byte
// ("bit\0x" is BIT). Lowercasing Latin-1 never produces an ASCII letter, so this is exact.
function keyword(arg: string): string {
  const nul = arg.indexOf("\x00");
  return (nul < 0 ? arg : arg.slice(0, nul)).toLowerCase();
}

/**
 * A bit offset (SETBIT, GETBIT, BITFIELD), or null for Redis's "bit offset is not an
 * integer or out of range". With `fieldBits` (BITFIELD), `#N` means N fields of that width.
 * Offsets must address a byte below proto-max-bulk-len (2^32 bits by default).
 */
function parseBitOffset(s: Session, text: string, fieldBits = 0): number | null {
  const hash = fieldBits > 0 && text.charCodeAt(0) === 35; // '#'
  let n = parseInt64(hash ? text.slice(1) : text);
  if (n === null) return null;
  // Redis multiplies in 64 bits, where a huge field index wraps around.
  if (hash) n = BigInt.asIntN(64, n * BigInt(fieldBits));
  const maxBytes = BigInt(s.server.config.number("proto-max-bulk-len"));
  if (n < 0n || n >> 3n >= maxBytes) return null;
  return Number(n);
}

// A string index (BITCOUNT, BITPOS) made absolute: negative counts from the end, clamped at 0.
function absoluteIndex(n: bigint, total: number): number {
  const value = n < 0n ? BigInt(total) + n : n;
  return value < 0n ? 0 : value > 2n ** 53n ? 2 ** 53 : Number(value);
}

// ---------------------------------------------------------------------------------------
// Key lookups.
// ---------------------------------------------------------------------------------------

// The string at a key for reading (counting a keyspace hit or miss, as Redis's
// lookupKeyRead does even for a key of another type, and firing `keymiss` on a miss);
// null after replying WRONGTYPE.
function readString(s: Session, key: string): StringValue | undefined | null {
  const value = s.db.get(key);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", key);
    return undefined;
  }
  s.server.stats.keyspaceHits++;
  if (isString(value)) return value;
  s.reply.error(ERR_WRONG_TYPE);
  return null;
}

// The string at a key for writing, at least `minLength` bytes long (zero-padded), with
// whether it was created or grew; null after replying WRONGTYPE.
function writableString(
  s: Session,
  key: string,
  minLength: number,
): { bytes: Uint8Array; grew: boolean } | null {
  const current = s.db.get(key);
  if (current !== undefined && !isString(current)) {
    s.reply.error(ERR_WRONG_TYPE);
    return null;
  }
  const bytes = mutableBytes(s.db, key, current, minLength);
  return { bytes, grew: current === undefined || bytes.length !== current.length };
}

// ---------------------------------------------------------------------------------------
// Commands.
// ---------------------------------------------------------------------------------------

/** SETBIT key offset value */
function setbit(s: Session, argv: string[]): void {
  const offset = parseBitOffset(s, argv[2]);
  if (offset === null) {
    s.reply.error(ERR_BIT_OFFSET);
    return;
  }
  const on = parseInt64(argv[3]);
  if (on !== 0n && on !== 1n) {
    s.reply.error(ERR_BIT_VALUE);
    return;
  }
  const index = Math.floor(offset / 8);
  const target = writableString(s, argv[1], index + 1);
  if (target === null) return;
  const { bytes, grew } = target;
  const mask = 1 << (7 - (offset % 8));
  const old = bytes[index] & mask ? 1 : 0;
  if (grew || old !== Number(on)) {
    bytes[index] = on ? bytes[index] | mask : bytes[index] & ~mask;
    s.server.dirty++;
    s.notify(NOTIFY.STRING, "setbit", argv[1]);
  }
  s.reply.integer(old);
}

/** GETBIT key offset */
function getbit(s: Session, argv: string[]): void {
  const offset = parseBitOffset(s, argv[2]);
  if (offset === null) {
    s.reply.error(ERR_BIT_OFFSET);
    return;
  }
  const value = readString(s, argv[1]);
  if (value === null) return;
  if (value === undefined) {
    s.reply.integer(0);
    return;
  }
  s.reply.integer((byteOf(value, Math.floor(offset / 8)) >> (7 - (offset % 8))) & 1);
}

/** BITCOUNT key [start end [BYTE | BIT]] */
function bitcount(s: Session, argv: string[]): void {
  // Redis 7.0 looks the key up before it reads the range: a missing key answers 0
  // whatever the other arguments say.
  const value = readString(s, argv[1]);
  if (value === null) return;
  if (value === undefined) {
    s.reply.integer(0);
    return;
  }
  const length = value.length;
  let fromBit: number, toBit: number;
  if (argv.length === 4 || argv.length === 5) {
    const start = parseInt64(argv[2]);
    const end = start === null ? null : parseInt64(argv[3]);
    if (start === null || end === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (start < 0n && end < 0n && start > end) {
      s.reply.integer(0);
      return;
    }
    let inBits = false;
    if (argv.length === 5) {
      const unit = keyword(argv[4]);
      if (unit === "bit") inBits = true;
      else if (unit !== "byte") {
        s.reply.error(ERR_SYNTAX);
        return;
      }
    }
    const total = inBits ? length * 8 : length;
    const from = absoluteIndex(start, total);
    const to = Math.min(absoluteIndex(end, total), total - 1);
    if (from > to) {
      s.reply.integer(0);
      return;
    }
    fromBit = inBits ? from : from * 8;
    toBit = inBits ? to : to * 8 + 7;
  } else if (argv.length === 2) {
    if (length === 0) {
      s.reply.integer(0);
      return;
    }
    fromBit = 0;
    toBit = length * 8 - 1;
  } else {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  s.reply.integer(countBits(value, fromBit, toBit));
}

/** BITPOS key bit [start [end [BYTE | BIT]]] */
function bitpos(s: Session, argv: string[]): void {
  const bit = parseInt64(argv[2]);
  if (bit === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (bit !== 0n && bit !== 1n) {
    s.reply.error(ERR_BIT_ARGUMENT);
    return;
  }
  const wanted = bit === 1n ? 1 : 0;
  // A missing key is an endless run of clear bits.
  const value = readString(s, argv[1]);
  if (value === null) return;
  if (value === undefined) {
    s.reply.integer(wanted ? -1 : 0);
    return;
  }
  const length = value.length;
  let fromBit = 0, toBit = length * 8 - 1, endGiven = false;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = parseInt64(argv[3]);
    if (start === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    let inBits = false;
    if (argv.length === 6) {
      const unit = keyword(argv[5]);
      if (unit === "bit") inBits = true;
      else if (unit !== "byte") {
        s.reply.error(ERR_SYNTAX);
        return;
      }
    }
    let end = BigInt(length - 1);
    if (argv.length >= 5) {
      const parsed = parseInt64(argv[4]);
      if (parsed === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      end = parsed;
      endGiven = true;
    }
    const total = inBits ? length * 8 : length;
    const from = absoluteIndex(start, total);
    const to = Math.min(absoluteIndex(end, total), total - 1);
    if (from > to) {
      s.reply.integer(-1);
      return;
    }
    fromBit = inBits ? from : from * 8;
    toBit = inBits ? to : to * 8 + 7;
  } else if (argv.length !== 3) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (fromBit > toBit) {
    // An empty string holds neither a set nor a clear bit.
    s.reply.integer(-1);
    return;
  }
  const found = findBit(value, wanted, fromBit, toBit);
  // Without an explicit end, the string counts as zero-padded on the right, so the
  // first clear bit is just past the range when the range holds none.
  if (found < 0 && wanted === 0 && !endGiven) s.reply.integer(toBit + 1);
  else s.reply.integer(found);
}

/** BITOP AND | OR | XOR | NOT destkey key [key ...] */
function bitop(s: Session, argv: string[]): void {
  const op = keyword(argv[1]);
  if (op !== "and" && op !== "or" && op !== "xor" && op !== "not") {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (op === "not" && argv.length !== 4) {
    s.reply.error(ERR_BITOP_NOT);
    return;
  }
  const sources: (StringValue | undefined)[] = [];
  let maxLength = 0;
  for (let i = 3; i < argv.length; i++) {
    const value = readString(s, argv[i]);
    if (value === null) return;
    sources.push(value);
    if (value !== undefined && value.length > maxLength) maxLength = value.length;
  }
  const dest = argv[2];
  if (maxLength === 0) {
    // Nothing to store: the destination goes away.
    if (s.db.delete(dest)) {
      s.server.dirty++;
      s.notify(NOTIFY.GENERIC, "del", dest);
    }
    s.reply.integer(0);
    return;
  }
  const result = new Uint8Array(maxLength);
  combine(result, op, sources);
  s.db.set(dest, result);
  s.server.dirty++;
  s.notify(NOTIFY.STRING, "set", dest);
  s.reply.integer(maxLength);
}

// A source as bytes whose start is 4-byte aligned, so it can be read a word at a time.
function alignedBytes(value: StringValue): Uint8Array {
  if (typeof value === "string") return toBytes(value);
  return value.byteOffset % 4 === 0 ? value : value.slice();
}

// Computes NOT of the one source, or folds the sources with AND, OR or XOR, into
// `result` (zero-filled, as long as the longest source); a missing or shorter source
// counts as zero bytes. Works 32 bits at a time: byte order does not matter to bitwise
// operations.
function combine(result: Uint8Array, op: string, sources: (StringValue | undefined)[]): void {
  const words = new Uint32Array(result.buffer, 0, Math.floor(result.length / 4));
  if (sources[0] !== undefined) result.set(alignedBytes(sources[0]));
  if (op === "not") {
    for (let j = 0; j < words.length; j++) words[j] = ~words[j];
    for (let i = words.length * 4; i < result.length; i++) result[i] = ~result[i];
    return;
  }
  for (let k = 1; k < sources.length; k++) {
    const value = sources[k];
    const src = value === undefined ? new Uint8Array(0) : alignedBytes(value);
    const srcWords = new Uint32Array(src.buffer, src.byteOffset, Math.floor(src.length / 4));
    const n = srcWords.length;
    if (op === "and") {
      for (let j = 0; j < n; j++) words[j] &= srcWords[j];
      for (let i = n * 4; i < src.length; i++) result[i] &= src[i];
      result.fill(0, src.length);
    } else if (op === "or") {
      for (let j = 0; j < n; j++) words[j] |= srcWords[j];
      for (let i = n * 4; i < src.length; i++) result[i] |= src[i];
    } else {
      for (let j = 0; j < n; j++) words[j] ^= srcWords[j];
      for (let i = n * 4; i < src.length; i++) result[i] ^= src[i];
    }
  }
}

// ---------------------------------------------------------------------------------------
// BITFIELD
// ---------------------------------------------------------------------------------------

// Overflow policies and operations of BITFIELD.
const Overflow = { Wrap: 0, Sat: 1, Fail: 2 } as const;
type Overflow = typeof Overflow[keyof typeof Overflow];
const FieldOp = { Get: 0, Set: 1, IncrBy: 2 } as const;
type FieldOp = typeof FieldOp[keyof typeof FieldOp];

interface FieldStep {
  op: FieldOp;
  signed: boolean;
  bits: number;
  offset: number;
  /** SET's value or INCRBY's increment. */
  operand: bigint;
  overflow: Overflow;
}

/** `i1`..`i64` or `u1`..`u63`: [signed, bits], or null. */
function parseFieldType(text: string): [boolean, number] | null {
  const kind = text[0];
  if (kind !== "i" && kind !== "u") return null;
  // Redis reads the width with strlen, so it ends at a NUL byte.
  const nul = text.indexOf("\x00");
  const n = parseInt64(nul < 0 ? text.slice(1) : text.slice(1, nul));
  const signed = kind === "i";
  if (n === null || n < 1n || n > (signed ? 64n : 63n)) return null;
  return [signed, Number(n)];
}

/**
 * The value stored by an unsigned SET or INCRBY: [overflowed, value to store] where the
 * value is the wrapped or saturated result when it overflowed (WRAP, SAT).
 */
function unsignedResult(
  value: bigint,
  incr: bigint,
  bits: number,
  overflow: Overflow,
): [boolean, bigint] {
  const max = (1n << BigInt(bits)) - 1n;
  const sum = value + incr;
  if (sum >= 0n && sum <= max) return [false, sum];
  if (overflow === Overflow.Wrap) return [true, BigInt.asUintN(bits, sum)];
  return [true, sum > max ? max : 0n];
}

/** The same for a signed field, with the 64-bit arithmetic quirks of Redis's check. */
function signedResult(
  value: bigint,
  incr: bigint,
  bits: number,
  overflow: Overflow,
): [boolean, bigint] {
  const max = bits === 64 ? INT64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  // Redis computes the room left before each limit in 64-bit integers, which wrap when
  // a SET value lies far outside a narrow field (SET i8 to -2^63 saturates to +127).
  const roomUp = BigInt.asIntN(64, max - value);
  const roomDown = BigInt.asIntN(64, min - value);
  let high: boolean;
  if (
    value > max || (bits !== 64 && incr > roomUp) || (value >= 0n && incr > 0n && incr > roomUp)
  ) {
    high = true;
  } else if (
    value < min || (bits !== 64 && incr < roomDown) ||
    (value < 0n && incr < 0n && incr < roomDown)
  ) {
    high = false;
  } else {
    return [false, value + incr];
  }
  if (overflow === Overflow.Wrap) return [true, BigInt.asIntN(bits, value + incr)];
  return [true, high ? max : min];
}

/** BITFIELD key [GET type offset | SET type offset value | INCRBY type offset incr | OVERFLOW WRAP|SAT|FAIL] ... */
function bitfield(s: Session, argv: string[]): void {
  runBitfield(s, argv, false);
}

/** BITFIELD_RO key [GET type offset ...] */
function bitfieldRo(s: Session, argv: string[]): void {
  runBitfield(s, argv, true);
}

function runBitfield(s: Session, argv: string[], readOnlyCommand: boolean): void {
  const steps: FieldStep[] = [];
  let overflow: Overflow = Overflow.Wrap;
  let writes = false;
  let highestBit = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const name = keyword(argv[j]);
    let op: FieldOp;
    if (name === "get" && remaining >= 2) op = FieldOp.Get;
    else if (name === "set" && remaining >= 3) op = FieldOp.Set;
    else if (name === "incrby" && remaining >= 3) op = FieldOp.IncrBy;
    else if (name === "overflow" && remaining >= 1) {
      const kind = keyword(argv[++j]);
      if (kind === "wrap") overflow = Overflow.Wrap;
      else if (kind === "sat") overflow = Overflow.Sat;
      else if (kind === "fail") overflow = Overflow.Fail;
      else {
        s.reply.error(ERR_BITFIELD_OVERFLOW);
        return;
      }
      continue;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
    const type = parseFieldType(argv[j + 1]);
    if (type === null) {
      s.reply.error(ERR_BITFIELD_TYPE);
      return;
    }
    const [signed, bits] = type;
    const offset = parseBitOffset(s, argv[j + 2], bits);
    if (offset === null) {
      s.reply.error(ERR_BIT_OFFSET);
      return;
    }
    let operand = 0n;
    if (op !== FieldOp.Get) {
      writes = true;
      highestBit = Math.max(highestBit, offset + bits - 1);
      const parsed = parseInt64(argv[j + 3]);
      if (parsed === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      operand = parsed;
    }
    steps.push({ op, signed, bits, offset, operand, overflow });
    j += op === FieldOp.Get ? 2 : 3;
  }

  let value: StringValue | undefined;
  let bytes: Uint8Array | null = null;
  let grew = false;
  if (!writes) {
    const found = readString(s, argv[1]);
    if (found === null) return;
    value = found;
  } else {
    if (readOnlyCommand) {
      s.reply.error(ERR_BITFIELD_RO);
      return;
    }
    const target = writableString(s, argv[1], Math.floor(highestBit / 8) + 1);
    if (target === null) return;
    value = bytes = target.bytes;
    grew = target.grew;
  }

  s.reply.arrayLen(steps.length);
  // Redis counts one change per write that altered a field (every write, when the
  // string was created or grew); only then is the command a change worth propagating.
  let changes = 0;
  for (const step of steps) {
    const raw = readField(value, step.offset, step.bits);
    const old = step.signed ? BigInt.asIntN(step.bits, raw) : raw;
    if (step.op === FieldOp.Get) {
      s.reply.integer(old);
      continue;
    }
    const [overflowed, next] = step.op === FieldOp.IncrBy
      ? (step.signed ? signedResult : unsignedResult)(old, step.operand, step.bits, step.overflow)
      : step.signed
      ? signedResult(step.operand, 0n, step.bits, step.overflow)
      : unsignedResult(BigInt.asUintN(64, step.operand), 0n, step.bits, step.overflow);
    if (overflowed && step.overflow === Overflow.Fail) {
      s.reply.null();
      continue;
    }
    s.reply.integer(step.op === FieldOp.IncrBy ? next : old);
    writeField(bytes!, step.offset, step.bits, next);
    if (grew || next !== old) changes++;
  }
  if (changes > 0) {
    s.server.dirty += changes;
    s.notify(NOTIFY.STRING, "setbit", argv[1]);
  }
}

// ---------------------------------------------------------------------------------------
// The command table.
// ---------------------------------------------------------------------------------------

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };

const INDEX_UNIT: ArgDoc = {
  name: "index_unit",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "byte", type: "pure-token", token: "BYTE" },
    { name: "bit", type: "pure-token", token: "BIT" },
  ],
};

const FIELD_GET: ArgDoc = {
  name: "encoding_offset",
  type: "block",
  token: "GET",
  arguments: [
    { name: "encoding", type: "string" },
    { name: "offset", type: "integer" },
  ],
};

// BITFIELD only reads its key when every operation is a complete GET or OVERFLOW; a
// SET, an INCRBY or anything malformed counts as a write.
const BITFIELD_KEY: KeySpec[] = [{
  ...keyAt(1, ["RW", "access", "update", "variable_flags"]),
  flagsOf: (argv) => {
    let i = 2;
    while (i < argv.length) {
      const op = argv[i].toLowerCase();
      const left = argv.length - i - 1;
      if (op === "get" && left >= 2) i += 3;
      else if (op === "overflow" && left >= 1) i += 2;
      else return ["RW", "access", "update"];
    }
    return ["RO", "access"];
  },
}];

/** The bitmap commands. */
export const bitmapCommands: CommandSpec[] = [
  {
    name: "setbit",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["RW", "access", "update"])],
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "Sets or clears one bit of a string, growing it as needed; answers the old bit.",
    since: "2.2.0",
    complexity: "O(1)",
    args: [KEY, { name: "offset", type: "integer" }, { name: "value", type: "integer" }],
    handler: setbit,
  },
  {
    name: "getbit",
    arity: 3,
    flags: ["readonly", "fast"],
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "Answers one bit of a string (0 past its end).",
    since: "2.2.0",
    complexity: "O(1)",
    args: [KEY, { name: "offset", type: "integer" }],
    handler: getbit,
  },
  {
    name: "bitcount",
    arity: -2,
    flags: ["readonly"],
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "Counts the set bits of a string, or of a range of its bytes or bits.",
    since: "2.6.0",
    complexity: "O(N)",
    args: [
      KEY,
      {
        name: "index",
        type: "block",
        optional: true,
        arguments: [
          { name: "start", type: "integer" },
          { name: "end", type: "integer" },
          INDEX_UNIT,
        ],
      },
    ],
    handler: bitcount,
  },
  {
    name: "bitpos",
    arity: -3,
    flags: ["readonly"],
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "Answers the position of the first set or clear bit of a string, or of a range.",
    since: "2.8.7",
    complexity: "O(N)",
    args: [
      KEY,
      { name: "bit", type: "integer" },
      {
        name: "index",
        type: "block",
        optional: true,
        arguments: [
          { name: "start", type: "integer" },
          {
            name: "end_index",
            type: "block",
            optional: true,
            arguments: [{ name: "end", type: "integer" }, INDEX_UNIT],
          },
        ],
      },
    ],
    handler: bitpos,
  },
  {
    name: "bitop",
    arity: -4,
    flags: ["write", "denyoom"],
    categories: ["bitmap"],
    firstKey: 2,
    lastKey: -1,
    step: 1,
    group: "bitmap",
    summary: "Stores the AND, OR, XOR or NOT of strings at a destination key.",
    since: "2.6.0",
    complexity: "O(N)",
    keySpecs: [
      {
        flags: ["OW", "update"],
        begin: { index: 2 },
        find: { range: { lastKey: 0, step: 1, limit: 0 } },
      },
      {
        flags: ["RO", "access"],
        begin: { index: 3 },
        find: { range: { lastKey: -1, step: 1, limit: 0 } },
      },
    ],
    args: [
      { name: "operation", type: "string" },
      { name: "destkey", type: "key", keySpecIndex: 0 },
      { name: "key", type: "key", keySpecIndex: 1, multiple: true },
    ],
    handler: bitop,
  },
  {
    name: "bitfield",
    arity: -2,
    flags: ["write", "denyoom"],
    keySpecs: BITFIELD_KEY,
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "Reads, sets and increments integers of any width up to 64 bits inside a string.",
    since: "3.2.0",
    complexity: "O(1) for each subcommand specified",
    args: [
      KEY,
      {
        name: "operation",
        type: "oneof",
        optional: true,
        multiple: true,
        arguments: [
          FIELD_GET,
          {
            name: "write",
            type: "block",
            arguments: [
              {
                name: "wrap_sat_fail",
                type: "oneof",
                token: "OVERFLOW",
                optional: true,
                arguments: [
                  { name: "wrap", type: "pure-token", token: "WRAP" },
                  { name: "sat", type: "pure-token", token: "SAT" },
                  { name: "fail", type: "pure-token", token: "FAIL" },
                ],
              },
              {
                name: "write_operation",
                type: "oneof",
                arguments: [
                  {
                    name: "encoding_offset_value",
                    type: "block",
                    token: "SET",
                    arguments: [
                      { name: "encoding", type: "string" },
                      { name: "offset", type: "integer" },
                      { name: "value", type: "integer" },
                    ],
                  },
                  {
                    name: "encoding_offset_increment",
                    type: "block",
                    token: "INCRBY",
                    arguments: [
                      { name: "encoding", type: "string" },
                      { name: "offset", type: "integer" },
                      { name: "increment", type: "integer" },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    handler: bitfield,
  },
  {
    name: "bitfield_ro",
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["bitmap"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "bitmap",
    summary: "The read-only form of BITFIELD: GET operations only.",
    since: "6.0.0",
    complexity: "O(1) for each subcommand specified",
    args: [KEY, { ...FIELD_GET, optional: true, multiple: true, multipleToken: true }],
    handler: bitfieldRo,
  },
];
