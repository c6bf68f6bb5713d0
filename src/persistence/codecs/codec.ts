// What a value type provides so that the rest of Redeno can save, load, rewrite,
// export, digest and measure it: one `ValueCodec` per type, registered in ./mod.ts.
// Also the pieces every codec shares: the encoding thresholds in force when loading,
// how values are written, and small helpers for blobs and rewrite batches.
//
// A codec turns what a file or a JSON line holds into a *decoded form* first (plain
// arrays, say), and only then into a store value. The reader needs that step: it
// reads a value whole before it knows whether to keep it (an empty collection or an
// expired key is skipped without being built), and the store value is built with the
// loading server's thresholds, which is where Redis decides the encoding.

import type { TypeName, Value } from "../../store/value.ts";
import { type ByteReader, type ByteWriter, integrityFailure, RdbError } from "../rdb_format.ts";

/** The encoding thresholds in force when loading (the *-max-* config directives). */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** list-max-listpack-size: negative = node size class, positive = elements a node. */
  listMaxListpackSize: number;
}

/** Redis 7.0's defaults. */
export const DEFAULT_LIMITS: Readonly<EncodingLimits> = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
};

/** How values are written to RDB files and DUMP payloads. */
export interface WriteOptions {
  /** rdbcompression: LZF-compress strings and blobs over 20 bytes when it pays. */
  compress: boolean;
  /** list-max-listpack-size: how full a quicklist node gets (default -2: 8 kB). */
  listMaxListpackSize?: number;
  /**
   * list-compress-depth: nodes further than this from both ends are held compressed
   * by Redis and written so (default 0: none).
   */
  listCompressDepth?: number;
}

/**
 * Why a decoded value cannot become a store value (duplicate members or fields:
 * corrupt data). Readers turn it into their own error, naming where the value was.
 */
export class ValueError extends Error {}

/** Reports a JSON Lines value of the wrong shape; never returns. */
export type JsonFail = (message: string) => never;

/**
 * Everything Redeno does with one value type outside its store class and commands.
 * `V` is the store class (or union) the codec handles, `D` its decoded form.
 *
 * A new type (streams, say) is one file implementing this interface plus one line in
 * ./mod.ts; RDB files, DUMP/RESTORE, AOF rewrites, JSON Lines, DEBUG DIGEST and
 * MEMORY USAGE then all know it.
 */
export interface ValueCodec<V extends Value = Value, D = unknown> {
  /**
   * The name TYPE replies with, as `typeOf` in store/value.ts answers it: the codec
   * handles exactly the values of that type. Also the JSON Lines `type`.
   */
  readonly type: TypeName;
  /** Number of elements (1 for a string); 0 means empty, which is never written. */
  size(value: V): number;

  // --- RDB files and DUMP payloads -----------------------------------------------

  /** Every RDB type byte this codec reads (old encodings included). */
  readonly rdbTypes: readonly number[];
  /** The type byte the value is written with (one of `rdbTypes`). */
  rdbType(value: V): number;
  /** Writes the value's body, after its type byte (and, in a file, its key). */
  writeRdb(w: ByteWriter, value: V, options: WriteOptions): void;
  /**
   * Reads the body of a value of RDB type `type` (one of `rdbTypes`). Truncated or
   * malformed data fails through `r.fail`, which names the byte offset.
   */
  readRdb(r: ByteReader, type: number): D;
  /** The number of elements of a decoded value (0: an empty value, skipped on load). */
  decodedSize(decoded: D): number;
  /**
   * The store value for a decoded one, encoded as Redis encodes what it loads under
   * `limits`. Throws ValueError on duplicates.
   */
  build(decoded: D, limits: EncodingLimits): V;

  // --- AOF rewrite ---------------------------------------------------------------

  /**
   * The commands that recreate the value at `key` from nothing, as Redis's AOF
   * rewrite writes them (the expiry is added by the caller).
   */
  rewrite(key: string, value: V): Iterable<string[]>;

  // --- JSON Lines ----------------------------------------------------------------

  /** The value's JSON form (see jsonl.ts; byte strings as `JsonText`, ../json_text.ts). */
  toJson(value: V): unknown;
  /** A JSON form back to a decoded value; a wrong shape fails through `fail`. */
  fromJson(json: unknown, fail: JsonFail): D;

  // --- DEBUG DIGEST and MEMORY USAGE ---------------------------------------------

  /**
   * Redis's number for the type inside the server (OBJ_STRING 0, OBJ_LIST 1, OBJ_SET 2,
   * OBJ_ZSET 3, OBJ_HASH 4, OBJ_MODULE 5, OBJ_STREAM 6): DEBUG DIGEST mixes it in.
   */
  readonly digestType: number;
  /**
   * Folds the value's contents into `digest` (20 bytes) the way DEBUG DIGEST does,
   * with `mixDigest` / `xorDigest` from ../sha1.ts: ordered types mix each element,
   * unordered ones xor, so that the result does not depend on the encoding.
   */
  digest(value: V, digest: Uint8Array): void;
  /**
   * MEMORY USAGE's estimate of the value (its key not included), measuring at most
   * `samples` elements of a collection and scaling up (see store/memory.ts).
   */
  memory(value: V, samples: number): number;
}

/**
 * Reads an RDB string holding an encoded blob (listpack, ziplist, intset ...) and the
 * blob's offset, for errors inside it: a plain string is a view into the data; a
 * compressed one has no offset of its own, so errors name where it starts.
 */
export function readBlob(r: ByteReader): [Uint8Array, number] {
  const start = r.pos;
  const first = r.buf[start];
  const blob = r.stringBytes();
  const at = first !== undefined && (first >> 6) === 3 ? start : r.pos - blob.length;
  return [blob, r.base + at];
}

/**
 * Fails the check of the encoded structure `what` ("Hash listpack" ...) that starts
 * at file offset `at`: a problem found in its decoded elements as a whole.
 */
export function failIntegrity(what: string, problem: string, at: number): never {
  throw new RdbError(integrityFailure(what, problem), at);
}

/**
 * Checks the elements of a packed hash or sorted set (`what`, a `kind` such as
 * "listpack", at file offset `at`): field, value pairs with no field twice.
 */
export function checkPairs(
  elements: readonly string[],
  what: string,
  kind: string,
  at: number,
): void {
  if (elements.length % 2 !== 0) {
    failIntegrity(what, `${kind} with an odd number of elements (${elements.length})`, at);
  }
  const seen = new Set<string>();
  for (let i = 0; i < elements.length; i += 2) {
    const field = elements[i];
    if (seen.has(field)) failIntegrity(what, `${kind} with dup elements`, at);
    seen.add(field);
  }
}

// Elements per command when a collection is rewritten (Redis's AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_COMMAND = 64;

/**
 * `head` followed by the items, 64 elements of `width` items (1 for list elements,
 * 2 for score-member or field-value pairs) a command, as Redis's AOF rewrite splits
 * large collections.
 */
export function* rewriteBatches(
  head: readonly string[],
  items: Iterable<string>,
  width: number,
): Generator<string[]> {
  let argv = [...head];
  const limit = ITEMS_PER_COMMAND * width;
  for (const item of items) {
    argv.push(item);
    if (argv.length - head.length === limit) {
      yield argv;
      argv = [...head];
    }
  }
  if (argv.length > head.length) yield argv;
}
