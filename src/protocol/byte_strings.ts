// Request arguments as one-byte strings, built from the bytes they arrived as: the
// decoder's (and a script's redis.call's) string builders, and the strings they hand
// out again when the same short bytes come back.

import type { Buffer } from "node:buffer";

/** Node's Buffer has a fast native latin1Slice that its type declarations leave out. */
export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

// Short arguments (up to 64 bytes: most keys and fields, a script's SHA-1) are
// recognised by their bytes as little-endian words, the last one zero past the end: the
// words give the slot's hash and are compared with the words kept for the slot, as
// many as the length takes. (Comparing a kept string's characters with the bytes costs
// several times as much: charCodeAt checks the string's representation at every step.)
const MAX_WORDS = 16;
const MAX_RECOGNISED = MAX_WORDS * 4;
const W = new Int32Array(MAX_WORDS);

// Reads b[s, end) (at most 64 bytes) into W; returns the words' hash.
function words(b: Latin1Buffer, s: number, end: number): number {
  let hash = end - s;
  let p = s;
  let k = 0;
  for (; p + 4 <= end; p += 4) {
    const w = b[p] | b[p + 1] << 8 | b[p + 2] << 16 | b[p + 3] << 24;
    W[k++] = w;
    hash = Math.imul(hash ^ w, 0x9e3779b1);
  }
  if (p < end) {
    let w = 0;
    for (let i = end - 1; i >= p; i--) w = w << 8 | b[i];
    W[k] = w;
    hash = Math.imul(hash ^ w, 0x9e3779b1);
  }
  return hash ^ (hash >>> 15);
}

/** Recent strings by slot, with the words and length of their bytes. */
class RecentStrings {
  readonly strings: string[];
  readonly words: Int32Array;
  readonly lengths: Uint8Array;

  constructor(slots: number) {
    this.strings = new Array(slots).fill("");
    this.words = new Int32Array(slots * MAX_WORDS);
    this.lengths = new Uint8Array(slots);
  }

  /** The string kept in `slot` when its bytes are W's (and `length` long), else null. */
  match(slot: number, length: number): string | null {
    if (this.lengths[slot] !== length) return null;
    const words = this.words;
    const k = slot * MAX_WORDS;
    for (let i = 0, n = (length + 3) >> 2; i < n; i++) if (words[k + i] !== W[i]) return null;
    return this.strings[slot];
  }

  /** Keeps `text`, whose bytes are W's, in `slot`. */
  keep(slot: number, length: number, text: string): void {
    const words = this.words;
    const k = slot * MAX_WORDS;
    for (let i = 0, n = (length + 3) >> 2; i < n; i++) words[k + i] = W[i];
    this.lengths[slot] = length;
    this.strings[slot] = text;
  }
}

// Command names seen lately, by the hash of their bytes (see commandName).
const NAME_SLOTS = 64;
const recentNames = new RecentStrings(NAME_SLOTS);

/**
 * A request's first argument as a string (a client's, or a script's redis.call): when
 * its bytes match the name last seen in its slot, that same string. Clients send the
 * same few command names over and over; the table lookup then finds a string whose
 * hash V8 already knows, instead of building and hashing a new one for every request.
 */
export function commandName(b: Latin1Buffer, s: number, end: number): string {
  const length = end - s;
  if (length === 0 || length > MAX_RECOGNISED) return latin1(b, s, end);
  const slot = words(b, s, end) & (NAME_SLOTS - 1);
  const known = recentNames.match(slot, length);
  if (known !== null) return known;
  const name = latin1(b, s, end);
  recentNames.keep(slot, length, name);
  return name;
}

// Short arguments seen lately, by the hash of their bytes (see argument).
const ARGUMENT_SLOTS = 1024;
const recentHashes = new Int32Array(ARGUMENT_SLOTS);
const recentArguments = new RecentStrings(ARGUMENT_SLOTS);

/**
 * A request's later argument as a string: up to 64 bytes, the string built before for
 * the same bytes when it is still in its slot. Keys, channels and fields repeat; V8
 * hashes a string the first time it looks it up in a Map (about 70 ns, far more than
 * the lookup), and a reused string keeps its hash. A slot keeps a string only for bytes
 * seen twice in a row there, so arguments that never repeat (random members) cost a
 * hash of their bytes and nothing else.
 */
export function argument(b: Latin1Buffer, s: number, end: number): string {
  const length = end - s;
  if (length === 0 || length > MAX_RECOGNISED) return latin1(b, s, end);
  const hash = words(b, s, end);
  const slot = hash & (ARGUMENT_SLOTS - 1);
  if (recentHashes[slot] !== hash) {
    recentHashes[slot] = hash;
    return latin1(b, s, end);
  }
  const known = recentArguments.match(slot, length);
  if (known !== null) return known;
  const text = latin1(b, s, end);
  recentArguments.keep(slot, length, text);
  return text;
}

/**
 * A byte range as a one-byte string. Up to 16 bytes (command names, most keys and
 * small values) the string is built here: measured, that takes half the time of
 * calling the native latin1Slice. Only longer ranges need `b` to be a Buffer.
 */
export function latin1(b: Latin1Buffer, s: number, end: number): string {
  switch (end - s) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(b[s]);
    case 2:
      return String.fromCharCode(b[s], b[s + 1]);
    case 3:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
      );
    case 9:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
      );
    case 10:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
      );
    case 11:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
      );
    case 12:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
      );
    case 13:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
      );
    case 14:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
      );
    case 15:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
        b[s + 14],
      );
    case 16:
      return String.fromCharCode(
        b[s],
        b[s + 1],
        b[s + 2],
        b[s + 3],
        b[s + 4],
        b[s + 5],
        b[s + 6],
        b[s + 7],
        b[s + 8],
        b[s + 9],
        b[s + 10],
        b[s + 11],
        b[s + 12],
        b[s + 13],
        b[s + 14],
        b[s + 15],
      );
    default:
      return b.latin1Slice(s, end);
  }
}
