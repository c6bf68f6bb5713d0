// Stream entry IDs: two unsigned 64-bit numbers, milliseconds and a sequence number,
// written `<ms>-<seq>`. Held as one 128-bit bigint (ms in the high half), so comparing
// two IDs is `<`, and the next ID after `<ms>-<max seq>` is `<ms+1>-0` by plain
// addition.

import { cString } from "../util/latin1.ts";

/** A stream entry ID: `ms << 64n | seq`. */
export type StreamId = bigint;

/** 2^64 - 1: the largest ms or seq. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** 0-0, the smallest ID (never a valid entry ID). */
export const MIN_ID: StreamId = 0n;
/** The largest ID, `18446744073709551615-18446744073709551615`. */
export const MAX_ID: StreamId = (1n << 128n) - 1n;

/** The ID `<ms>-<seq>`. */
export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

/** The milliseconds part. */
export function idMs(id: StreamId): bigint {
  return id >> 64n;
}

/** The sequence part. */
export function idSeq(id: StreamId): bigint {
  return id & U64_MAX;
}

/** `<ms>-<seq>` as Redis replies with it. */
export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & U64_MAX}`;
}

/** The ID as 16 big-endian bytes, a one-byte string (the key Redis files nodes by). */
export function idToRaw(id: StreamId): string {
  let out = "";
  for (let shift = 120n; shift >= 0n; shift -= 8n) {
    out += String.fromCharCode(Number((id >> shift) & 0xffn));
  }
  return out;
}

/** The ID in 16 big-endian bytes at `offset` of `bytes`. */
export function idFromRaw(bytes: Uint8Array, offset = 0): StreamId {
  let id = 0n;
  for (let i = 0; i < 16; i++) id = (id << 8n) | BigInt(bytes[offset + i]);
  return id;
}

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/**
 * An unsigned 64-bit number as Redis reads ID parts: a canonical negative integer is
 * refused; otherwise C's strtoull rules (leading white space, an optional sign, at
 * least one digit, nothing after, no overflow; a minus sign wraps around).
 */
export function parseU64(text: string): bigint | null {
  if (/^-[1-9][0-9]{0,18}$/.test(text)) {
    if (BigInt(text) >= -(2n ** 63n)) return null;
  }
  let i = 0;
  while (i < text.length && SPACE.has(text.charCodeAt(i))) i++;
  let negative = false;
  if (text[i] === "+" || text[i] === "-") negative = text[i++] === "-";
  const digits = text.slice(i);
  if (!/^[0-9]+$/.test(digits)) return null;
  const value = BigInt(digits);
  if (value > U64_MAX) return null;
  return negative ? (-value) & U64_MAX : value;
}

/** What an ID argument may be besides `<ms>[-<seq>]`. */
export interface IdSyntax {
  /** The seq used when only `<ms>` is given (0 for a start, U64_MAX for an end). */
  missingSeq: bigint;
  /** `-` and `+` mean the smallest and the largest ID. */
  minMax?: boolean;
  /** `<ms>-*` leaves the seq to be chosen (XADD): `seqAuto` is then true. */
  seqAuto?: boolean;
}

/** A parsed ID argument; `seqAuto` for XADD's `<ms>-*`. */
export interface ParsedId {
  id: StreamId;
  seqAuto: boolean;
}

/** Parses an ID argument, or null when it is not one (Redis's "Invalid stream ID"). */
export function parseId(arg: string, syntax: IdSyntax): ParsedId | null {
  if (arg.length > 127) return null;
  // Redis reads the argument as a C string: it ends at the first NUL byte.
  const text = cString(arg);
  if (syntax.minMax && text.length === 1) {
    if (text === "-") return { id: MIN_ID, seqAuto: false };
    if (text === "+") return { id: MAX_ID, seqAuto: false };
  }
  const dash = text.indexOf("-");
  if (dash < 0) {
    const ms = parseU64(text);
    return ms === null ? null : { id: makeId(ms, syntax.missingSeq), seqAuto: false };
  }
  const ms = parseU64(text.slice(0, dash));
  if (ms === null) return null;
  const seqText = text.slice(dash + 1);
  if (syntax.seqAuto && seqText === "*") return { id: makeId(ms, 0n), seqAuto: true };
  const seq = parseU64(seqText);
  return seq === null ? null : { id: makeId(ms, seq), seqAuto: false };
}
