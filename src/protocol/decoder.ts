// Incremental, byte-level decoder of client requests: RESP multibulk and inline commands.
//
// The decoder owns one growable input buffer. The connection reads straight into
// `spare()`, reports how many bytes arrived with `advance(n)`, then calls `next()`
// until it returns null. A multibulk request cut across reads keeps the arguments
// already parsed, so nothing is scanned twice. Arguments are one-byte (latin1)
// strings: every byte value 0-255 maps to one char code, so data round-trips exactly.

import { Buffer } from "node:buffer";
import {
  PROTO_BIG_BULK_COUNT,
  PROTO_BIG_INLINE,
  PROTO_BIG_MBULK_COUNT,
  PROTO_INVALID_BULK,
  PROTO_INVALID_MULTIBULK,
  PROTO_UNAUTH_BULK,
  PROTO_UNAUTH_MULTIBULK,
  PROTO_UNBALANCED_QUOTES,
  protoExpectedDollar,
} from "./errors.ts";
import { splitArgs } from "./split_args.ts";

/** A request Redis would refuse with `-ERR Protocol error: <message>` and a closed connection. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Limits of the decoder; the defaults are Redis 7.0's. */
export interface DecoderOptions {
  /** proto-max-bulk-len: the largest bulk argument accepted (default 512 MB). */
  maxBulkLength?: number;
  /** Longest inline request or length line without a newline (default 64 KB). */
  maxInlineLength?: number;
  /** Initial buffer size (default 16 KB). */
  initialSize?: number;
}

// Node's Buffer has a fast native latin1Slice that its type declarations leave out.
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** The largest string V8 can hold: a longer bulk cannot become an argument. */
export const MAX_ARGUMENT_LENGTH = 536_870_888;
const INT_MAX = 2_147_483_647;
const CR = 13;
const LF = 10;
const SHRINK_ABOVE = 1 << 20;

/** Decodes requests from bytes pushed into its buffer. */
export class RequestDecoder {
  /** Bulk length limit (proto-max-bulk-len); may change at run time. */
  maxBulkLength: number;
  /** When true, the limits for clients that have not authenticated apply. */
  unauthenticated = false;
  /**
   * True when the request `next()` just returned had an argument longer than
   * MAX_ARGUMENT_LENGTH: that argument is an empty placeholder and the request must be
   * refused rather than run.
   */
  oversized = false;
  #maxInline: number;
  #initialSize: number;
  #buf: Latin1Buffer;
  #pos = 0;
  #end = 0;
  // A multibulk request in progress.
  #args: string[] | null = null;
  #missing = 0;
  #bulkLength = -1;
  // Bytes still to discard of an argument too long to keep.
  #skip = 0;
  #hasOversized = false;

  constructor(options: DecoderOptions = {}) {
    this.maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.#maxInline = options.maxInlineLength ?? 64 * 1024;
    this.#initialSize = options.initialSize ?? 16 * 1024;
    this.#buf = Buffer.allocUnsafe(this.#initialSize) as Latin1Buffer;
  }

  /** Bytes received but not yet consumed by a complete request. */
  get buffered(): number {
    return this.#end - this.#pos;
  }

  /** Capacity of the input buffer, for CLIENT LIST's qbuf-free. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** A writable view at the end of the buffered data, large enough for the pending bulk. */
  spare(): Uint8Array {
    let need = 4096;
    if (this.#bulkLength >= 0) {
      need = Math.max(need, this.#bulkLength + 2 - (this.#end - this.#pos));
    }
    if (this.#buf.length - this.#end < need) this.#makeRoom(need);
    return this.#buf.subarray(this.#end);
  }

  /** Records that `n` bytes were written into the view returned by `spare()`. */
  advance(n: number): void {
    this.#end += n;
  }

  /** Copies bytes into the buffer (tests, file replay). */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const view = this.spare();
      const n = Math.min(view.length, chunk.length - offset);
      view.set(chunk.subarray(offset, offset + n));
      this.#end += n;
      offset += n;
    }
  }

  /**
   * The next complete request, or null when more bytes are needed.
   * Throws ProtocolError for input Redis rejects; the connection must then close.
   */
  next(): string[] | null {
    while (this.#pos < this.#end || this.#args !== null) {
      let argv: string[] | null | undefined;
      if (this.#args !== null || this.#buf[this.#pos] === 42 /* '*' */) {
        argv = this.#multibulk();
      } else {
        argv = this.#inline();
      }
      if (argv === null) break;
      if (argv !== undefined) {
        this.#compact();
        this.oversized = this.#hasOversized;
        this.#hasOversized = false;
        return argv;
      }
    }
    this.#compact();
    return null;
  }

  // Returns the request, null when incomplete, or undefined for an empty request.
  #multibulk(): string[] | null | undefined {
    const buf = this.#buf;
    if (this.#args === null) {
      const cr = findLineEnd(buf, CR, this.#pos, this.#end);
      if (cr < 0) {
        if (this.#end - this.#pos > this.#maxInline) throw new ProtocolError(PROTO_BIG_MBULK_COUNT);
        return null;
      }
      if (cr + 1 >= this.#end) return null; // Redis wants the byte after '\r' too.
      const count = parseLength(buf, this.#pos + 1, cr);
      if (count === null || count > INT_MAX) throw new ProtocolError(PROTO_INVALID_MULTIBULK);
      if (count > 10 && this.unauthenticated) throw new ProtocolError(PROTO_UNAUTH_MULTIBULK);
      this.#pos = cr + 2;
      if (count <= 0) return undefined;
      this.#args = new Array(Math.min(count, 1024));
      this.#args.length = 0;
      this.#missing = count;
    }
    const args = this.#args;
    while (true) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, this.#end - this.#pos);
        this.#pos += n;
        this.#skip -= n;
        if (this.#skip > 0) return null;
      }
      if (this.#missing === 0) break;
      if (this.#bulkLength < 0) {
        if (this.#pos >= this.#end) return null;
        const cr = findLineEnd(buf, CR, this.#pos, this.#end);
        if (cr < 0) {
          if (this.#end - this.#pos > this.#maxInline) {
            throw new ProtocolError(PROTO_BIG_BULK_COUNT);
          }
          return null;
        }
        if (cr + 1 >= this.#end) return null;
        if (buf[this.#pos] !== 36 /* '$' */) {
          throw new ProtocolError(protoExpectedDollar(buf[this.#pos]));
        }
        const length = parseLength(buf, this.#pos + 1, cr);
        if (length === null || length < 0 || length > this.maxBulkLength) {
          throw new ProtocolError(PROTO_INVALID_BULK);
        }
        if (length > 16384 && this.unauthenticated) throw new ProtocolError(PROTO_UNAUTH_BULK);
        this.#pos = cr + 2;
        if (length > MAX_ARGUMENT_LENGTH) {
          // Accepted like Redis, but too long for a JS string: read past the data without
          // keeping it, and let the caller refuse the request once it is complete.
          this.#hasOversized = true;
          this.#skip = length + 2;
          args.push("");
          this.#missing--;
          continue;
        }
        this.#bulkLength = length;
      }
      const length = this.#bulkLength;
      // Redis does not look at the two bytes after the data; neither do we.
      if (this.#end - this.#pos < length + 2) return null;
      args.push(latin1(buf, this.#pos, this.#pos + length));
      this.#pos += length + 2;
      this.#bulkLength = -1;
      this.#missing--;
    }
    this.#args = null;
    return args;
  }

  #inline(): string[] | null | undefined {
    const buf = this.#buf;
    const lf = findLineEnd(buf, LF, this.#pos, this.#end);
    if (lf < 0) {
      if (this.#end - this.#pos > this.#maxInline) throw new ProtocolError(PROTO_BIG_INLINE);
      return null;
    }
    let lineEnd = lf;
    if (lineEnd > this.#pos && buf[lineEnd - 1] === CR) lineEnd--;
    const line = buf.latin1Slice(this.#pos, lineEnd);
    this.#pos = lf + 1;
    const argv = splitArgs(line);
    if (argv === null) throw new ProtocolError(PROTO_UNBALANCED_QUOTES);
    return argv.length === 0 ? undefined : argv;
  }

  // Once everything buffered is consumed, start over at the front (and drop a huge buffer).
  #compact(): void {
    if (this.#pos === this.#end) {
      this.#pos = 0;
      this.#end = 0;
      if (this.#buf.length > SHRINK_ABOVE && this.#args === null) {
        this.#buf = Buffer.allocUnsafe(this.#initialSize) as Latin1Buffer;
      }
    }
  }

  #makeRoom(need: number): void {
    const used = this.#end - this.#pos;
    if (this.#buf.length - used >= need && this.#pos > 0) {
      this.#buf.copyWithin(0, this.#pos, this.#end);
    } else {
      let size = this.#buf.length * 2;
      while (size - used < need) size *= 2;
      const bigger = Buffer.allocUnsafe(size) as Latin1Buffer;
      bigger.set(this.#buf.subarray(this.#pos, this.#end));
      this.#buf = bigger;
    }
    this.#pos = 0;
    this.#end = used;
  }
}

/**
 * Where `byte` ends the line that starts at `start`, or -1 while it is incomplete.
 * Redis finds line ends with strchr, which stops at a NUL byte: a line with a NUL
 * before its end never completes (until it grows past the inline limit).
 */
function findLineEnd(buf: Uint8Array, byte: number, start: number, end: number): number {
  const at = buf.indexOf(byte, start);
  if (at < 0 || at >= end) return -1;
  for (let i = start; i < at; i++) {
    if (buf[i] === 0) return -1;
  }
  return at;
}

/** A byte range as a one-byte string; tiny strings skip the native call. */
function latin1(buf: Latin1Buffer, start: number, end: number): string {
  switch (end - start) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(buf[start]);
    case 2:
      return String.fromCharCode(buf[start], buf[start + 1]);
    case 3:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2]);
    case 4:
      return String.fromCharCode(buf[start], buf[start + 1], buf[start + 2], buf[start + 3]);
    default:
      return buf.latin1Slice(start, end);
  }
}

/**
 * Parses a length the way Redis's string2ll does: optional '-', no '+', no leading
 * zeros, no spaces; null when malformed or beyond a safe integer.
 */
function parseLength(buf: Uint8Array, start: number, end: number): number | null {
  if (start >= end) return null;
  if (end - start === 1 && buf[start] === 48) return 0;
  let i = start;
  let negative = false;
  if (buf[i] === 45 /* '-' */) {
    negative = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] < 49 || buf[i] > 57) return null;
  let n = 0;
  for (let j = i; j < end; j++) {
    const d = buf[j] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) {
    // Only the range check matters for huge values: is it still a 64-bit integer?
    let big = 0n;
    for (let j = i; j < end; j++) big = big * 10n + BigInt(buf[j] - 48);
    if (big > (negative ? 9223372036854775808n : 9223372036854775807n)) return null;
  }
  return negative ? -n : n;
}
