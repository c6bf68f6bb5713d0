// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//
// An HLL is an ordinary string value in Redis's byte layout (src/store/hyperloglog.ts),
// so GET, DUMP, the RDB and the AOF carry it unchanged. Like Redis, which unshares the
// string and then edits it, the commands change an HLL held as bytes in place (a dense
// one is 12 KB: copying it on every PFADD cost more than the rest of the command); one
// held as a one-byte string is turned into bytes first and stored back. Nothing else
// keeps a reference to a stored byte array: replies copy it into the output buffer,
// COPY clones it, and a background save serializes a key before a write command runs.

import { ERR_WRONG_TYPE } from "../protocol/errors.ts";
import { NOTIFY } from "../config/mod.ts";
import {
  cachedCount,
  CorruptHll,
  countOf,
  denseAdd,
  denseGet,
  denseSet,
  estimate,
  histogramOfRegisters,
  HLL_DENSE,
  HLL_HEADER,
  HLL_REGISTERS,
  hllAdd,
  invalidateCache,
  isHll,
  mergeInto,
  newHll,
  registersOf,
  setCachedCount,
  sparseSet,
  sparseToDense,
} from "../store/hyperloglog.ts";
import { toBytes } from "../store/string.ts";
import { isString, type Value } from "../store/value.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";
import { keyAt } from "./table.ts";
import { lookupRead } from "./_lookup.ts";

const ERR_NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const ERR_CORRUPT = "INVALIDOBJ Corrupted HLL object detected";

// The value's bytes when it is an HLL, else null after replying: the stored array itself
// (changes are made in place), or new bytes for a value held as a one-byte string,
// which the caller stores if it changes them.
function hllBytes(s: Session, value: Value): Uint8Array | null {
  if (!isString(value)) {
    s.reply.error(ERR_WRONG_TYPE);
    return null;
  }
  const bytes = typeof value === "string" ? toBytes(value) : value;
  if (!isHll(bytes)) {
    s.reply.error(ERR_NOT_HLL);
    return null;
  }
  return bytes;
}

function sparseMax(s: Session): number {
  return s.server.config.number("hll-sparse-max-bytes");
}

/** PFADD key [element ...] */
function pfadd(s: Session, argv: string[]): void {
  const key = argv[1];
  const current = s.db.get(key);
  let bytes: Uint8Array;
  let updated = 0;
  if (current === undefined) {
    bytes = newHll();
    updated++;
  } else {
    const existing = hllBytes(s, current);
    if (existing === null) return;
    bytes = existing;
  }
  // Only a sparse HLL needs the limit (a config lookup per call otherwise).
  const max = bytes[4] === HLL_DENSE ? 0 : sparseMax(s);
  let failed = false;
  for (let i = 2; i < argv.length; i++) {
    if (bytes[4] === HLL_DENSE) {
      if (denseAdd(bytes, argv[i])) updated++;
      continue;
    }
    try {
      const result = hllAdd(bytes, argv[i], max);
      bytes = result.bytes;
      if (result.changed) updated++;
    } catch (e) {
      if (!(e instanceof CorruptHll)) throw e;
      failed = true;
      break;
    }
  }
  if (updated > 0) invalidateCache(bytes);
  // Changed in place, or into new bytes (a sparse HLL that grew or turned dense).
  if ((updated > 0 || failed) && bytes !== current) s.db.set(key, bytes, true);
  if (failed) {
    s.reply.error(ERR_CORRUPT);
    return;
  }
  if (updated > 0) {
    s.server.dirty += updated;
    s.notify(NOTIFY.STRING, "pfadd", key);
  }
  s.reply.integer(updated > 0 ? 1 : 0);
}

/**
 * The union of the HLLs at argv[1..] (missing keys count as empty): their registers,
 * and whether any is dense; null after replying an error (a wrong type, a corrupt HLL).
 */
function mergeKeys(
  s: Session,
  argv: string[],
): { registers: Uint8Array; anyDense: boolean } | null {
  const registers = new Uint8Array(HLL_REGISTERS);
  let anyDense = false;
  for (let i = 1; i < argv.length; i++) {
    const value = lookupRead(s, argv[i]);
    if (value === undefined) continue;
    const bytes = hllBytes(s, value);
    if (bytes === null) return null;
    if (bytes[4] === HLL_DENSE) anyDense = true;
    try {
      mergeInto(registers, bytes);
    } catch (e) {
      if (!(e instanceof CorruptHll)) throw e;
      s.reply.error(ERR_CORRUPT);
      return null;
    }
  }
  return { registers, anyDense };
}

/** PFCOUNT key [key ...] */
function pfcount(s: Session, argv: string[]): void {
  if (argv.length > 2) {
    s.slowPart();
    const merged = mergeKeys(s, argv);
    if (merged !== null) s.reply.integer(estimate(histogramOfRegisters(merged.registers)));
    return;
  }
  // One key: a read lookup (hit/miss counted), though the cache may be stored back.
  const key = argv[1];
  const value = lookupRead(s, key);
  if (value === undefined) {
    s.reply.integer(0);
    return;
  }
  const bytes = hllBytes(s, value);
  if (bytes === null) return;
  const cached = cachedCount(bytes);
  if (cached !== null) {
    s.reply.integer(cached);
    return;
  }
  // The registers are counted: up to 16384 of them.
  s.slowPart();
  let count: number;
  try {
    count = countOf(bytes);
  } catch (e) {
    if (!(e instanceof CorruptHll)) throw e;
    s.reply.error(ERR_CORRUPT);
    return;
  }
  setCachedCount(bytes, count);
  if (bytes !== value) s.db.set(key, bytes, true);
  s.keyChanged(key);
  s.server.dirty++;
  s.reply.integer(count);
}

/** PFMERGE destkey [sourcekey ...] */
function pfmerge(s: Session, argv: string[]): void {
  const merged = mergeKeys(s, argv);
  if (merged === null) return;
  const { registers, anyDense: useDense } = merged;
  const key = argv[1];
  const current = s.db.get(key);
  // The destination was checked as the first source: a string HLL or missing.
  let bytes = current === undefined
    ? newHll()
    : typeof current === "string"
    ? toBytes(current)
    : current as Uint8Array;
  if (current === undefined) s.db.set(key, bytes);
  if (useDense) {
    try {
      bytes = sparseToDense(bytes);
    } catch (e) {
      if (!(e instanceof CorruptHll)) throw e;
      s.reply.error(ERR_CORRUPT);
      return;
    }
  }
  const max = sparseMax(s);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (registers[i] === 0) continue;
    if (bytes[4] === HLL_DENSE) denseSet(bytes, i, registers[i]);
    else bytes = sparseSet(bytes, i, registers[i], max).bytes;
  }
  invalidateCache(bytes);
  if (bytes !== current) s.db.set(key, bytes, true);
  s.keyChanged(key);
  s.notify(NOTIFY.STRING, "pfadd", key);
  s.server.dirty++;
  s.reply.ok();
}

// The sparse opcodes of an HLL as PFDEBUG DECODE spells them.
function decode(bytes: Uint8Array): string {
  const parts: string[] = [];
  let p = HLL_HEADER;
  while (p < bytes.length) {
    const op = bytes[p];
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (bytes[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/** PFDEBUG subcommand key */
function pfdebug(s: Session, argv: string[]): void {
  const sub = argv[1];
  const key = argv[2];
  const value = s.db.get(key);
  if (value === undefined) {
    s.reply.error("ERR The specified key does not exist");
    return;
  }
  let bytes = hllBytes(s, value);
  if (bytes === null) return;
  const lower = sub.toLowerCase();
  const toDense = (): boolean => {
    try {
      bytes = sparseToDense(bytes!);
    } catch (e) {
      if (!(e instanceof CorruptHll)) throw e;
      s.reply.error(ERR_CORRUPT);
      return false;
    }
    s.db.set(key, bytes, true);
    s.server.dirty++;
    return true;
  };
  if (lower === "getreg") {
    if (bytes[4] !== HLL_DENSE && !toDense()) return;
    s.reply.arrayLen(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) s.reply.integer(denseGet(bytes, i));
  } else if (lower === "decode") {
    if (bytes[4] === HLL_DENSE) {
      s.reply.error("ERR HLL encoding is not sparse");
      return;
    }
    s.reply.bulk(decode(bytes));
  } else if (lower === "encoding") {
    s.reply.simple(bytes[4] === HLL_DENSE ? "dense" : "sparse");
  } else if (lower === "todense") {
    const sparse = bytes[4] !== HLL_DENSE;
    if (sparse && !toDense()) return;
    s.reply.integer(sparse ? 1 : 0);
  } else {
    s.reply.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

// ---------------------------------------------------------------------------
// PFSELFTEST: checks the HLL code against plain arrays and known cardinalities.

// The standard error of the estimate with 16384 registers (1.04 / sqrt(m)).
const STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

/** The first failure found, as the error reply's text, or null when all is well. */
function hllSelfTest(): string | null {
  const random = (n: number) => Math.floor(Math.random() * n);
  // 1. Dense registers: 6-bit values packed across byte boundaries read back as set,
  // without disturbing their neighbours.
  for (let round = 0; round < 4; round++) {
    const dense = sparseToDense(newHll());
    const expected = new Uint8Array(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      expected[i] = random(64);
      if (expected[i] !== 0) denseSet(dense, i, expected[i]);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const got = denseGet(dense, i);
      if (got !== expected[i]) {
        return `TESTFAILED Dense register ${i} reads ${got} instead of ${expected[i]}`;
      }
    }
  }
  // 2. Sparse encoding: runs split and merged in any order describe the same registers
  // as a plain array, and the dense conversion agrees.
  for (let round = 0; round < 20; round++) {
    let sparse = newHll();
    const expected = new Uint8Array(HLL_REGISTERS);
    const writes = 1 + random(round < 10 ? 50 : 2000);
    for (let w = 0; w < writes; w++) {
      // Clustered indexes exercise runs that touch each other.
      const index = random(4) === 0
        ? random(HLL_REGISTERS)
        : (round * 797 + random(64)) % HLL_REGISTERS;
      const value = 1 + random(32);
      sparse = sparseSet(sparse, index, value, 1 << 20).bytes;
      if (value > expected[index]) expected[index] = value;
    }
    let registers: Uint8Array;
    try {
      registers = registersOf(sparse);
    } catch (e) {
      if (!(e instanceof CorruptHll)) throw e;
      return `TESTFAILED Sparse encoding corrupted after ${writes} writes`;
    }
    const dense = sparseToDense(sparse);
    for (let i = 0; i < HLL_REGISTERS; i++) {
      if (registers[i] !== expected[i] || denseGet(dense, i) !== expected[i]) {
        return `TESTFAILED Sparse register ${i} reads ${registers[i]} instead of ${expected[i]}`;
      }
    }
  }
  // 3. Estimates: the same elements added to a sparse HLL (promoted on the way) and to
  // a dense one give the same registers and count, within a few standard errors.
  let sparse = newHll();
  const dense = sparseToDense(newHll());
  const salt = random(0x7fffffff).toString(36);
  let next = 0;
  for (const target of [1, 10, 100, 1_000, 10_000, 100_000]) {
    for (; next < target; next++) {
      const element = `${salt}:${next}`;
      sparse = hllAdd(sparse, element, 3000).bytes;
      hllAdd(dense, element, 3000);
    }
    const fromSparse = countOf(sparse);
    const fromDense = countOf(dense);
    if (fromSparse !== fromDense) {
      return `TESTFAILED Sparse and dense estimates of ${target} elements differ: ` +
        `${fromSparse} and ${fromDense}`;
    }
    const allowed = Math.max(1, target * STANDARD_ERROR * 5);
    if (Math.abs(fromDense - target) > allowed) {
      return `TESTFAILED Estimate ${fromDense} of ${target} elements is off by more than ` +
        `${allowed.toFixed(0)}`;
    }
  }
  return null;
}

/** PFSELFTEST: OK, or a TESTFAILED error naming what went wrong. */
function pfselftest(s: Session): void {
  const failure = hllSelfTest();
  if (failure === null) s.reply.ok();
  else s.reply.error(failure);
}

const KEY: ArgDoc = { name: "key", type: "key", keySpecIndex: 0 };

/** The HyperLogLog commands. */
export const hyperloglogCommands: CommandSpec[] = [
  {
    name: "pfadd",
    arity: -2,
    flags: ["write", "denyoom", "fast"],
    categories: ["hyperloglog"],
    keySpecs: [keyAt(1, ["RW", "insert"])],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "hyperloglog",
    summary: "Adds elements to a HyperLogLog, creating it; answers 1 when it changed.",
    since: "2.8.9",
    complexity: "O(1) to add every element.",
    args: [KEY, { name: "element", type: "string", optional: true, multiple: true }],
    handler: pfadd,
  },
  {
    name: "pfcount",
    arity: -2,
    flags: ["readonly", "may_replicate"],
    timedWhenSlow: true,
    categories: ["hyperloglog"],
    keySpecs: [{
      notes:
        "RW because it may change the internal representation of the key, and propagate to replicas",
      ...keyAt(1, ["RW", "access"], -1),
    }],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "hyperloglog",
    summary: "Estimates the number of distinct elements in the union of HyperLogLogs.",
    since: "2.8.9",
    complexity:
      "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
    args: [{ ...KEY, multiple: true }],
    handler: pfcount,
  },
  {
    name: "pfmerge",
    arity: -2,
    flags: ["write", "denyoom"],
    categories: ["hyperloglog"],
    keySpecs: [keyAt(1, ["RW", "access", "insert"]), keyAt(2, ["RO", "access"], -1)],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "hyperloglog",
    summary: "Merges HyperLogLogs into a destination key.",
    since: "2.8.9",
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
    args: [
      { name: "destkey", type: "key", keySpecIndex: 0 },
      { name: "sourcekey", type: "key", keySpecIndex: 1, multiple: true },
    ],
    handler: pfmerge,
  },
  {
    name: "pfdebug",
    arity: 3,
    flags: ["write", "denyoom", "admin"],
    categories: ["hyperloglog"],
    keySpecs: [keyAt(2, ["RW", "access"])],
    firstKey: 2,
    lastKey: 2,
    step: 1,
    group: "hyperloglog",
    summary: "Internal command for inspecting a HyperLogLog (registers, encoding).",
    since: "2.8.9",
    complexity: "N/A",
    args: [{ name: "subcommand", type: "string" }, KEY],
    handler: pfdebug,
  },
  {
    name: "pfselftest",
    arity: 1,
    flags: ["admin"],
    categories: ["hyperloglog"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "hyperloglog",
    summary: "Internal command that checks the HyperLogLog code; answers OK when it works.",
    since: "2.8.9",
    complexity: "N/A",
    handler: pfselftest,
  },
];
