// FUNCTION DUMP / RESTORE payloads: every library's code as an RDB function record
// (opcode 0xF5 and the code as an RDB string), then the RDB version and a CRC64, as
// Redis writes them.

import { Crc64 } from "./crc64.ts";
import {
  ByteReader,
  ByteWriter,
  OP_FUNCTION2,
  OP_FUNCTION_PRE_GA,
  RDB_VERSION,
} from "./rdb_format.ts";
import { readFunctionRecord, verifyPayload } from "./rdb_reader.ts";
import { writeFunction, type WriteOptions } from "./rdb_writer.ts";

/** The payload FUNCTION DUMP returns for these libraries' code. */
export function dumpFunctions(codes: readonly string[], options: WriteOptions): Uint8Array {
  const w = new ByteWriter(256);
  for (const code of codes) writeFunction(w, code, options.compress);
  w.u16le(RDB_VERSION);
  const crc = new Crc64().update(w.buf.subarray(0, w.pos));
  w.bytes(crc.bytesLE());
  return w.buf.slice(0, w.pos);
}

/**
 * The libraries' code in a FUNCTION RESTORE payload: null when its version or checksum
 * is wrong, an error reply text when its content is not function records. Records in
 * the pre-GA format load as Redis 7.0.15 loads them (see `readFunctionRecord`).
 */
export function readFunctionsPayload(payload: Uint8Array): string[] | string | null {
  if (!verifyPayload(payload)) return null;
  const end = payload.length - 10;
  // As in Redis, records are read from the whole payload: one whose string runs into
  // the version and checksum bytes ends the payload rather than failing.
  const r = new ByteReader(payload);
  const codes: string[] = [];
  while (r.pos < end) {
    const op = r.u8();
    if (op !== OP_FUNCTION2 && op !== OP_FUNCTION_PRE_GA) {
      return "ERR given type is not a function";
    }
    const record = readFunctionRecord(r, op);
    if ("error" in record) return `ERR ${record.error}`;
    codes.push(record.code);
  }
  return codes;
}
