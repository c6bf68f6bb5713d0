// The registry of value types: one codec per type (see ./codec.ts), looked up by the
// RDB reader and writer (and so DUMP and RESTORE), the AOF rewrite, JSON Lines,
// DEBUG DIGEST and MEMORY USAGE. Adding a type means adding its codec to `CODECS`.

import { DEFAULT_SAMPLES, keyBytes } from "../../store/memory.ts";
import { type TypeName, typeOf, type Value } from "../../store/value.ts";
import type { ValueCodec } from "./codec.ts";
import { hashCodec } from "./hash.ts";
import { listCodec } from "./list.ts";
import { setCodec } from "./set.ts";
import { streamCodec } from "./stream.ts";
import { stringCodec } from "./string.ts";
import { zsetCodec } from "./zset.ts";

export type { ValueCodec } from "./codec.ts";

/** Every value type Redeno stores. */
export const CODECS: readonly ValueCodec[] = [
  stringCodec,
  listCodec,
  setCodec,
  zsetCodec,
  hashCodec,
  streamCodec,
];

const byName = new Map<string, ValueCodec>();
const byRdbType: (ValueCodec | undefined)[] = new Array(256);
for (const codec of CODECS) {
  if (byName.has(codec.type)) throw new Error(`two codecs for type ${codec.type}`);
  byName.set(codec.type, codec);
  for (const type of codec.rdbTypes) {
    if (byRdbType[type] !== undefined) throw new Error(`two codecs read RDB type ${type}`);
    byRdbType[type] = codec;
  }
}

/** The codec of a value's type. */
export function codecOf(value: Value): ValueCodec {
  const codec = byName.get(typeOf(value));
  if (codec === undefined) throw new TypeError(`no codec for type ${typeOf(value)}`);
  return codec;
}

/** The codec for a TYPE name (JSON Lines' `type`), or undefined. */
export function codecNamed(name: TypeName | string): ValueCodec | undefined {
  return byName.get(name);
}

/** The codec that reads an RDB type byte, or undefined (unknown or unsupported). */
export function codecForRdbType(type: number): ValueCodec | undefined {
  return byRdbType[type];
}

/** True for a collection with no elements (never written: loaders reject them). */
export function isEmptyValue(value: Value): boolean {
  return codecOf(value).size(value) === 0;
}

/** Options of `memoryUsage`. */
export interface MemoryUsageOptions {
  /** Elements of a collection to measure (default 5; 0 measures all). */
  samples?: number;
}

/**
 * MEMORY USAGE: the bytes a key and its value take, the key's Map entry and string
 * plus the value's estimate (see store/memory.ts for the model).
 */
export function memoryUsage(key: string, value: Value, options: MemoryUsageOptions = {}): number {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  return keyBytes(key) + valueBytes(value, samples === 0 ? Infinity : samples);
}

/** The value's memory, sampling at most `samples` elements of a collection. */
export function valueBytes(value: Value, samples = DEFAULT_SAMPLES): number {
  return codecOf(value).memory(value, samples);
}
