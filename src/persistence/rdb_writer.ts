// Serializes values and whole databases in RDB version 10, the way Redis 7.0 writes
// them: strings (integer-encoded or LZF-compressed where Redis would), lists as
// quicklists of listpack nodes, small hashes and sorted sets as listpacks, integer
// sets as intsets, and the rest as plain element sequences. DUMP payloads come from
// the same serializer.

import { formatDouble17 } from "../protocol/number_format.ts";
import { HashValue } from "../store/hash.ts";
import { ListValue } from "../store/list.ts";
import { SetValue } from "../store/set.ts";
import type { ExpireTime } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import { SortedSetValue } from "../store/zset.ts";
import { Crc64 } from "./crc64.ts";
import { encodeIntset } from "./intset.ts";
import { ListpackBuilder } from "./listpack.ts";
import {
  ByteWriter,
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME_MS,
  OP_FUNCTION2,
  OP_RESIZEDB,
  OP_SELECTDB,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_VERSION,
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_LIST_QUICKLIST_2,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_STRING,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  writeBlob,
  writeCompressedNode,
  writeString,
} from "./rdb_format.ts";
import { hashFields, listItems, setMembers, zsetEntries } from "./rdb_values.ts";

/** How values are written. */
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

/** The version Redis 7.0.15 reports in the redis-ver AUX field. */
export const REDIS_VERSION_AUX = "7.0.15";

// Node size limits for list-max-listpack-size -1 .. -5.
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
// A node that grows by count (positive fill) still stops at this many bytes.
const NODE_SAFETY_LIMIT = 8192;
// Elements this large get a node of their own, stored plain (quicklist's default).
const PACKED_THRESHOLD = 1 << 30;
// What Redis adds to an element's length when estimating a node's growth.
const SIZE_ESTIMATE_OVERHEAD = 8;

/** A sorted set score as Redis prints it into a listpack (d2string). */
export function scoreText(score: number): string {
  if (Number.isInteger(score) && score > -4503599627370495 && score < 4503599627370496) {
    return Object.is(score, -0) ? "-0" : String(score);
  }
  return formatDouble17(score);
}

/** The RDB type byte a value is written with. */
export function rdbTypeOf(value: Value): number {
  if (typeof value === "string" || value instanceof Uint8Array) return TYPE_STRING;
  if (value instanceof HashValue) return value.hashtable ? TYPE_HASH : TYPE_HASH_LISTPACK;
  if (value instanceof ListValue) return TYPE_LIST_QUICKLIST_2;
  if (value instanceof SetValue) return value.isIntset ? TYPE_SET_INTSET : TYPE_SET;
  if (value instanceof SortedSetValue) {
    return value.encoding === "listpack" ? TYPE_ZSET_LISTPACK : TYPE_ZSET_2;
  }
  throw new TypeError("unknown value type");
}

/** Writes a value's type byte and body. Never called for an empty collection. */
export function writeValue(w: ByteWriter, value: Value, options: WriteOptions): void {
  w.u8(rdbTypeOf(value));
  writeBody(w, value, options);
}

// The value after its type byte (and, in a file, after the key).
function writeBody(w: ByteWriter, value: Value, options: WriteOptions): void {
  const compress = options.compress;
  if (typeof value === "string" || value instanceof Uint8Array) {
    writeString(w, value, compress);
  } else if (value instanceof HashValue) {
    const { listpack, fields } = hashFields(value);
    if (listpack) {
      const lp = new ListpackBuilder();
      for (const [field, v] of fields) {
        lp.append(field);
        lp.append(v);
      }
      writeBlob(w, lp.finish(), compress);
    } else {
      w.length(fields.size);
      for (const [field, v] of fields) {
        writeString(w, field, compress);
        writeString(w, v, compress);
      }
    }
  } else if (value instanceof ListValue) {
    writeQuicklist(w, listItems(value).items, options);
  } else if (value instanceof SetValue) {
    const { intset, members } = setMembers(value);
    if (intset) {
      writeBlob(w, encodeIntset(members.map((m) => BigInt(m))), compress);
    } else {
      w.length(members.length);
      for (const member of members) writeString(w, member, compress);
    }
  } else if (value instanceof SortedSetValue) {
    const { listpack, members, scores } = zsetEntries(value);
    if (listpack) {
      const lp = new ListpackBuilder();
      for (let i = 0; i < members.length; i++) {
        lp.append(members[i]);
        lp.append(scoreText(scores[i]));
      }
      writeBlob(w, lp.finish(), compress);
    } else {
      w.length(members.length);
      for (let i = 0; i < members.length; i++) {
        writeString(w, members[i], compress);
        w.f64le(scores[i]);
      }
    }
  } else {
    throw new TypeError("unknown value type");
  }
}

// Quicklist nodes filled the way Redis fills them when the elements are pushed at the
// tail one by one: a node takes one more element while its estimated size stays
// within the limit.
function writeQuicklist(w: ByteWriter, items: Iterable<string>, options: WriteOptions): void {
  const fill = options.listMaxListpackSize ?? -2;
  const sizeLimit = fill < 0 ? NODE_SIZE_LIMITS[Math.min(-fill - 1, 4)] : Infinity;
  const countLimit = fill < 0 ? Infinity : fill === 0 ? 1 : fill;
  const nodes: { plain: boolean; blob: Uint8Array | string }[] = [];
  let node: ListpackBuilder | null = null;
  for (const item of items) {
    const sz = item.length;
    if (sz >= PACKED_THRESHOLD) {
      if (node !== null) nodes.push({ plain: false, blob: node.finish() });
      node = null;
      nodes.push({ plain: true, blob: item });
      continue;
    }
    if (node !== null) {
      const newSize = node.size + sz + SIZE_ESTIMATE_OVERHEAD;
      const fits = fill < 0
        ? newSize <= sizeLimit
        : newSize <= NODE_SAFETY_LIMIT && node.count + 1 <= countLimit;
      if (!fits) {
        nodes.push({ plain: false, blob: node.finish() });
        node = null;
      }
    }
    node ??= new ListpackBuilder();
    node.append(item);
  }
  if (node !== null) nodes.push({ plain: false, blob: node.finish() });
  w.length(nodes.length);
  const depth = options.listCompressDepth ?? 0;
  const interior = depth > 0 && nodes.length > 2 * depth;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    w.length(n.plain ? QUICKLIST_NODE_PLAIN : QUICKLIST_NODE_PACKED);
    if (typeof n.blob === "string") {
      writeString(w, n.blob, options.compress);
    } else if (
      !(interior && i >= depth && i < nodes.length - depth && writeCompressedNode(w, n.blob))
    ) {
      writeBlob(w, n.blob, options.compress);
    }
  }
}

/** The AUX fields at the start of an RDB file. */
export interface AuxFields {
  /** Creation time, Unix seconds. */
  ctime: number;
  usedMem: number;
  /** 1 when the file is the base of an AOF (an RDB preamble). */
  aofBase: boolean;
}

/** Writes `REDIS0010` and the AUX fields Redis 7.0 writes. */
export function writeHeader(w: ByteWriter, aux: AuxFields): void {
  w.latin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
  writeAux(w, "redis-ver", REDIS_VERSION_AUX);
  writeAux(w, "redis-bits", "64");
  writeAux(w, "ctime", String(Math.floor(aux.ctime)));
  writeAux(w, "used-mem", String(Math.floor(aux.usedMem)));
  writeAux(w, "aof-base", aux.aofBase ? "1" : "0");
}

function writeAux(w: ByteWriter, name: string, value: string): void {
  w.u8(OP_AUX);
  writeString(w, name, false);
  writeString(w, value, false);
}

/**
 * Writes one FUNCTION library: opcode 0xF5 and its code (shebang included) as an RDB
 * string. Redis writes every library after the AUX fields, before the first database;
 * FUNCTION DUMP payloads hold the same records.
 */
export function writeFunction(w: ByteWriter, code: string, compress: boolean): void {
  w.u8(OP_FUNCTION2);
  writeString(w, code, compress);
}

/** Starts a database section: SELECTDB and the RESIZEDB size hints. */
export function writeDbHeader(w: ByteWriter, db: number, keys: number, expires: number): void {
  w.u8(OP_SELECTDB);
  w.length(db);
  w.u8(OP_RESIZEDB);
  w.length(keys);
  w.length(expires);
}

/** Writes one key: its expiry time if any, then type, key and value. */
export function writeEntry(
  w: ByteWriter,
  key: string,
  value: Value,
  expireAt: ExpireTime | undefined,
  options: WriteOptions,
): void {
  if (expireAt !== undefined) {
    w.u8(OP_EXPIRETIME_MS);
    w.i64le(expireAt);
  }
  w.u8(rdbTypeOf(value));
  writeString(w, key, options.compress);
  writeBody(w, value, options);
}

/** Writes the EOF opcode (the checksum follows it, computed by whoever streams the file). */
export function writeEof(w: ByteWriter): void {
  w.u8(OP_EOF);
}

/** DUMP's payload: the value, the RDB version (u16 LE) and the CRC64 (u64 LE). */
export function dumpPayload(value: Value, options: WriteOptions): Uint8Array {
  const w = new ByteWriter(256);
  writeValue(w, value, options);
  w.u16le(RDB_VERSION);
  const crc = new Crc64().update(w.buf.subarray(0, w.pos));
  w.bytes(crc.bytesLE());
  return w.buf.slice(0, w.pos);
}
