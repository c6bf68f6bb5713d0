// The string type's forms (HyperLogLogs are strings too): RDB type STRING, integer-
// encoded or LZF-compressed where Redis would; SET in an AOF rewrite; a JSON string
// (or base64) in JSON Lines.

import { stringBytes, TYPED_ARRAY_BYTES } from "../../store/memory.ts";
import { type StringValue, toLatin1 } from "../../store/string.ts";
import { fromJsonText, toJsonText } from "../json_text.ts";
import { type ByteReader, type ByteWriter, TYPE_STRING, writeString } from "../rdb_format.ts";
import { mixDigest } from "../digest_fold.ts";
import type { ValueCodec } from "./codec.ts";

/** Strings: decoded, a string is already its store value. */
export const stringCodec: ValueCodec<StringValue, StringValue> = {
  type: "string",
  size: () => 1,

  rdbTypes: [TYPE_STRING],
  rdbType: () => TYPE_STRING,
  writeRdb(w: ByteWriter, value: StringValue, options): void {
    writeString(w, value, options.compress);
  },
  readRdb(r: ByteReader): StringValue {
    return r.stringValue();
  },
  decodedSize: () => 1,
  build: (value) => value,

  *rewrite(key, value) {
    yield ["SET", key, typeof value === "string" ? value : toLatin1(value)];
  },

  toJson: (value) => toJsonText(typeof value === "string" ? value : toLatin1(value)),
  fromJson(json, fail) {
    const s = fromJsonText(json);
    if (s === null) return fail(`a string value must be a string or {"base64": ...}`);
    return s;
  },

  digestType: 0,
  digest(value, digest) {
    mixDigest(digest, value);
  },
  memory(value) {
    if (typeof value === "string") return stringBytes(value.length);
    return TYPED_ARRAY_BYTES + value.buffer.byteLength;
  },
};
