// Request arguments as one-byte strings, built from the bytes they arrived as: the
// decoder's (and a script's redis.call's) string builders, and the strings they hand
// out again when the same short bytes come back.

import type { Buffer } from "node:buffer";

/** Node's Buffer has a fast native latin1Slice that its type declarations leave out. */
export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

// Command names seen lately, by a hash of their bytes (see commandName).
const NAME_SLOTS = 64;
const recentNames: string[] = new Array(NAME_SLOTS).fill("");

/**
 * A request's first argument as a string (a client's, or a script's redis.call): when
 * its bytes match the name last seen in its slot, that same string. Clients send the same few command names over and over;
 * the table lookup then finds a string whose hash V8 already knows, instead of
 * building and hashing a new one for every request.
 */
export function commandName(b: Latin1Buffer, s: number, end: number): string {
  const length = end - s;
  if (length === 0 || length > 16) return latin1(b, s, end);
  const slot = (length * 7 + b[s] + b[end - 1] * 3) & (NAME_SLOTS - 1);
  const known = recentNames[slot];
  if (holds(known, b, s, end)) return known;
  const name = latin1(b, s, end);
  recentNames[slot] = name;
  return name;
}

// Short arguments seen lately, by a hash of their bytes (see argument).
const ARGUMENT_SLOTS = 1024;
const recentHashes = new Int32Array(ARGUMENT_SLOTS);
const recentArguments: string[] = new Array(ARGUMENT_SLOTS).fill("");

/**
 * A request's later argument as a string: up to 16 bytes, the string built before for
 * the same bytes when it is still in its slot. Keys, channels and fields repeat; V8
 * hashes a string the first time it looks it up in a Map (about 70 ns, far more than
 * the lookup), and a reused string keeps its hash. A slot keeps a string only for bytes
 * seen twice in a row there, so arguments that never repeat (random members) cost a
 * hash of their bytes and nothing else.
 */
export function argument(b: Latin1Buffer, s: number, end: number): string {
  const length = end - s;
  if (length === 0 || length > 16) return latin1(b, s, end);
  let hash = length;
  for (let p = s; p < end; p++) hash = Math.imul(hash ^ b[p], 0x01000193);
  const slot = (hash ^ (hash >>> 15)) & (ARGUMENT_SLOTS - 1);
  if (recentHashes[slot] !== hash) {
    recentHashes[slot] = hash;
    return latin1(b, s, end);
  }
  const known = recentArguments[slot];
  if (holds(known, b, s, end)) return known;
  const text = latin1(b, s, end);
  recentArguments[slot] = text;
  return text;
}

// Whether `text` is the one-byte string of b[s, end).
function holds(text: string, b: Latin1Buffer, s: number, end: number): boolean {
  const length = end - s;
  if (text.length !== length) return false;
  let i = 0;
  while (i < length && text.charCodeAt(i) === b[s + i]) i++;
  return i === length;
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
