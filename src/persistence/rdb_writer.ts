// Serializes values and whole databases in RDB version 10, the way Redis 7.0 writes
// them: the header and AUX fields, FUNCTION libraries, database sections, each key
// with its expiry time, and the EOF. Each value is written by its type's codec
// (codecs/), in the encoding Redis would use for it. DUMP payloads come from the same
// serializer.

import type { ExpireTime } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import type { WriteOptions } from "./codecs/codec.ts";
import { codecOf } from "./codecs/mod.ts";
import { Crc64 } from "./crc64.ts";
import {
  ByteWriter,
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME_MS,
  OP_FUNCTION2,
  OP_RESIZEDB,
  OP_SELECTDB,
  RDB_VERSION,
  writeString,
} from "./rdb_format.ts";

export type { WriteOptions } from "./codecs/codec.ts";

/** The version Redis 7.0.15 reports in the redis-ver AUX field. */
export const REDIS_VERSION_AUX = "7.0.15";

/** Writes a value's type byte and body. Never called for an empty collection. */
export function writeValue(w: ByteWriter, value: Value, options: WriteOptions): void {
  const codec = codecOf(value);
  w.u8(codec.rdbType(value));
  codec.writeRdb(w, value, options);
}

/** The AUX fields at the start of an RDB file. */
export interface AuxFields {
  /** Creation time, Unix seconds. */
  ctime: number;
  usedMem: number;
  /** 1 when the file is the base of an AOF (an RDB preamble). */
  aofBase: boolean;
  /** The replication stream's state, written when the server has one (see ReplicationAux). */
  replication?: ReplicationAux;
}

/**
 * What an RDB records of replication: the database the stream last selected, the
 * replication ID and the offset the file is a snapshot of.
 */
export interface ReplicationAux {
  streamDb: number;
  id: string;
  offset: number;
}

/** Writes `REDIS0010` and the AUX fields Redis 7.0 writes. */
export function writeHeader(w: ByteWriter, aux: AuxFields): void {
  w.latin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
  writeAux(w, "redis-ver", REDIS_VERSION_AUX);
  writeAux(w, "redis-bits", "64");
  writeAux(w, "ctime", String(Math.floor(aux.ctime)));
  writeAux(w, "used-mem", String(Math.floor(aux.usedMem)));
  if (aux.replication !== undefined) {
    writeAux(w, "repl-stream-db", String(aux.replication.streamDb));
    writeAux(w, "repl-id", aux.replication.id);
    writeAux(w, "repl-offset", String(aux.replication.offset));
  }
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
  const codec = codecOf(value);
  w.u8(codec.rdbType(value));
  writeString(w, key, options.compress);
  codec.writeRdb(w, value, options);
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
