// Incremental, byte-level decoder of client requests (RESP multibulk and inline
// commands) and of append-only files (multibulk only, in the `aof` mode).
//
// The decoder owns one growable input buffer. The connection reads straight into
// `spare()`, reports how many bytes arrived with `advance(n)`, then calls `next()`
// until it returns null. A multibulk request cut across reads keeps the arguments
// already parsed, so nothing is scanned twice. Arguments are one-byte (latin1)
// strings: every byte value 0-255 maps to one char code, so data round-trips exactly.
// Offsets count bytes from the start of the stream, so a file's reader can say where
// a request starts or where bad input was found.

import { Buffer } from "node:buffer";
import { argument, commandName, type Latin1Buffer } from "./byte_strings.ts";
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

/**
 * A request Redis would refuse with `-ERR Protocol error: <message>` and a closed
 * connection; in the `aof` mode, a file that does not follow the format.
 */
export class ProtocolError extends Error {
  /** Stream offset of the byte found wrong (the start of its line for the limits). */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = "ProtocolError";
    this.offset = offset;
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
  /**
   * Decode an append-only file instead of client requests: multibulk commands only,
   * `#` annotation lines skipped, the CRLF after each argument checked, `*0` refused,
   * no length limit unless `maxBulkLength` is given, and ProtocolError messages that
   * say what was expected (for the loader's "Bad file format" message).
   */
  aof?: boolean;
}

/** The largest string V8 can hold: a longer bulk cannot become an argument. */
export const MAX_ARGUMENT_LENGTH = 536_870_888;
const INT_MAX = 2_147_483_647;
const CR = 13;
const LF = 10;
const SHRINK_ABOVE = 1 << 20;
// shrink(): only a buffer wasting more than this is worth reallocating...
const SHRINK_MIN_FREE = 4 * 1024;
// ...and a busy client's buffer only above this size (Redis's PROTO_RESIZE_THRESHOLD).
const SHRINK_BUSY_ABOVE = 32 * 1024;
// Room asked of the query buffer for a read (Redis's PROTO_IOBUF_LEN): less would mean
// more reads for big requests.
const READ_SIZE = 16 * 1024;
/** A bulk argument this long or longer gets a buffer of its own size (Redis: 32 KB). */
const BIG_ARGUMENT = 32 * 1024;
// While nothing is buffered, a read lands in a small buffer of its own and is copied
// into the query buffer: an idle connection's pending read then holds only this much,
// and the query buffer, allocated when data arrives as Redis's is, can be given back
// while the client idles. Once a read fills it, the client sends more at a time than it
// holds (a pipeline): reads then go straight into the query buffer until the client
// idles (shrink(true)), so that a batch is read, and answered, in one piece.
export const LANDING_SIZE = 1024;
const EMPTY = Buffer.alloc(0) as Latin1Buffer;

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
  /** Stream offset of the first byte of the request `next()` just returned. */
  start = 0;
  #aof: boolean;
  #maxInline: number;
  #initialSize: number;
  #landing: Uint8Array | null = null;
  // A read filled the landing buffer since the client last idled.
  #pipelining = false;
  #buf: Latin1Buffer;
  #pos = 0;
  #end = 0;
  // Stream offset of #buf[0], and where the next (or partly read) request starts.
  #base = 0;
  #consumed = 0;
  // The view handed out by spare() for a read not yet reported by advance().
  #lent: Uint8Array | null = null;
  #lentFrom: Latin1Buffer | null = null;
  #lentAt = 0;
  // The most room the buffer needed since the last shrink() call.
  #peak = 0;
  // Where the last AOF length line ends (set by #aofLength).
  #lineEnd = 0;
  // A multibulk request in progress.
  #args: string[] | null = null;
  // The bytes of the arguments in #args so far.
  #argsBytes = 0;
  #missing = 0;
  #bulkLength = -1;
  // Bytes still to discard of an argument too long to keep.
  #skip = 0;
  #hasOversized = false;

  constructor(options: DecoderOptions = {}) {
    this.#aof = options.aof ?? false;
    this.maxBulkLength = options.maxBulkLength ?? (this.#aof ? Infinity : 512 * 1024 * 1024);
    this.#maxInline = options.maxInlineLength ?? 64 * 1024;
    this.#initialSize = options.initialSize ?? READ_SIZE;
    this.#buf = EMPTY;
  }

  /** Bytes received but not yet consumed by a complete request. */
  get buffered(): number {
    return this.#end - this.#pos;
  }

  /**
   * The bytes of the arguments already parsed of a request still arriving: out of the
   * buffer but not run yet, they count in the client's memory (CLIENT LIST's argv-mem)
   * as Redis's do.
   */
  get partialArgvBytes(): number {
    return this.#args === null ? 0 : this.#argsBytes;
  }

  /** Capacity of the input buffer, for CLIENT LIST's qbuf-free. */
  get capacity(): number {
    return this.#buf.length;
  }

  /**
   * Stream offset where the next request starts: the bytes of every complete request
   * (and skipped line) so far. While a request is partly read, that request's start.
   */
  get consumed(): number {
    return this.#consumed;
  }

  /** True while part of a request is buffered or parsed (a stream that ends now was cut). */
  get incomplete(): boolean {
    return this.#pos < this.#end || this.#args !== null || this.#skip > 0;
  }

  /**
   * A view to read into: while nothing is buffered, a small landing buffer; else the
   * end of the buffered data, large enough for the pending bulk.
   */
  spare(): Uint8Array {
    if (this.#pos === this.#end && this.#bulkLength < 0 && !this.#pipelining) {
      const landing = this.#landing ??= new Uint8Array(LANDING_SIZE);
      this.#lent = landing;
      this.#lentFrom = null;
      return landing;
    }
    const view = this.#room();
    this.#lent = view;
    this.#lentFrom = this.#buf;
    this.#lentAt = this.#end;
    return view;
  }

  /** Records that `n` bytes were written into the view returned by `spare()`. */
  advance(n: number): void {
    const lent = this.#lent;
    const from = this.#lentFrom;
    this.#lent = null;
    this.#lentFrom = null;
    if (lent !== null && lent === this.#landing) {
      if (n === lent.length) this.#pipelining = true;
      this.push(lent.subarray(0, n));
      return;
    }
    if (lent !== null && (from !== this.#buf || this.#lentAt !== this.#end)) {
      // The buffer was shrunk, or emptied by next(), while the read was pending (an
      // idle client; a blocked client released): copy the bytes to where they belong.
      this.push(lent.slice(0, n));
      return;
    }
    this.#end += n;
  }

  /** Copies bytes into the buffer (tests, file replay). */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      const view = this.#room();
      const n = Math.min(view.length, chunk.length - offset);
      view.set(chunk.subarray(offset, offset + n));
      this.#end += n;
      offset += n;
    }
  }

  /**
   * Gives back buffer memory the client does not use, as Redis does with query buffers
   * in its clientsCron; call it from periodic housekeeping (each call ends a window of
   * use). An `idle` client's buffer shrinks to what it holds (usually nothing); a busy
   * client's buffer over 32 KB shrinks to the most the window needed when that is
   * under half of it. Only buffers wasting over 4 KB are reallocated. A read pending
   * on the old buffer keeps it alive until that read completes. Returns true when the
   * buffer was replaced.
   */
  shrink(idle: boolean): boolean {
    const used = this.#end - this.#pos;
    const capacity = this.#buf.length;
    let size = -1;
    if (capacity - used > SHRINK_MIN_FREE) {
      if (idle) size = used;
      else if (capacity > SHRINK_BUSY_ABOVE && capacity / 2 > this.#peak) {
        size = Math.max(used, this.#peak);
      }
    }
    this.#peak = Math.max(used, this.#bulkLength >= 0 ? this.#bulkLength + 2 : 0);
    if (idle) this.#pipelining = false;
    if (size < 0) return false;
    this.#moveTo(Buffer.allocUnsafeSlow(size) as Latin1Buffer);
    return true;
  }

  /**
   * The next complete request, or null when more bytes are needed.
   * Throws ProtocolError for input Redis rejects; the connection must then close.
   */
  next(): string[] | null {
    while (this.#pos < this.#end || this.#args !== null) {
      let argv: string[] | null | undefined;
      if (this.#args !== null || this.#buf[this.#pos] === 42 /* '*' */) {
        argv = (this.#args === null ? this.#whole() : null) ?? this.#multibulk();
      } else if (this.#aof) {
        argv = this.#annotation();
      } else {
        argv = this.#inline();
      }
      if (argv === null) break;
      const start = this.#consumed;
      this.#consumed = this.#base + this.#pos;
      if (argv !== undefined) {
        this.#compact();
        this.oversized = this.#hasOversized;
        this.#hasOversized = false;
        this.start = start;
        return argv;
      }
    }
    this.#compact();
    return null;
  }

  /**
   * The common case, taken apart in one go: a whole multibulk request already
   * buffered, in the plain form (lengths without sign or leading zero, CRLF line ends,
   * within every limit; in a file, CRLF after each argument). Anything else, or
   * anything incomplete, returns null having changed nothing, and #multibulk decides
   * as Redis does.
   */
  #whole(): string[] | null {
    const buf = this.#buf;
    const end = this.#end;
    let p = this.#pos + 1;
    // The argument count: 1 to 1024 (10 before authentication).
    const maxCount = this.unauthenticated ? 10 : 1024;
    let c = p < end ? buf[p++] : 0;
    if (c < 49 || c > 57) return null;
    let count = c - 48;
    while (true) {
      if (p >= end) return null;
      c = buf[p++];
      if (c < 48 || c > 57) break;
      count = count * 10 + c - 48;
      if (count > maxCount) return null;
    }
    if (c !== CR || p >= end || buf[p] !== LF) return null;
    p++;
    const maxLength = this.unauthenticated
      ? 16384
      : Math.min(this.maxBulkLength, MAX_ARGUMENT_LENGTH);
    // Sized at once: pushing one by one would first allocate room for 17.
    const args: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      if (p + 4 > end || buf[p] !== 36 /* '$' */) return null;
      c = buf[p + 1];
      p += 2;
      if (c < 48 || c > 57) return null;
      let length = c - 48;
      c = buf[p++];
      if (length !== 0) {
        while (c >= 48 && c <= 57) {
          length = length * 10 + c - 48;
          if (length > maxLength || p >= end) return null;
          c = buf[p++];
        }
      }
      if (c !== CR || p >= end || buf[p] !== LF) return null;
      p++;
      if (end - p < length + 2) return null;
      if (this.#aof && (buf[p + length] !== CR || buf[p + length + 1] !== LF)) return null;
      args[i] = i === 0 ? commandName(buf, p, p + length) : argument(buf, p, p + length);
      p += length + 2;
    }
    this.#pos = p;
    return args;
  }

  // Returns the request, null when incomplete, or undefined for an empty request.
  #multibulk(): string[] | null | undefined {
    const buf = this.#buf;
    if (this.#args === null) {
      let count: number;
      if (this.#aof) {
        const n = this.#aofLength(this.#pos + 1, "invalid multibulk length");
        if (n === null) return null;
        if (n < 1) this.#fail("invalid multibulk length", this.#pos + 1);
        count = n;
        this.#pos = this.#lineEnd;
      } else {
        const cr = findLineEnd(buf, CR, this.#pos, this.#end);
        if (cr < 0) {
          if (this.#end - this.#pos > this.#maxInline) this.#fail(PROTO_BIG_MBULK_COUNT, this.#pos);
          return null;
        }
        if (cr + 1 >= this.#end) return null; // Redis wants the byte after '\r' too.
        const n = parseLength(buf, this.#pos + 1, cr);
        if (n === null || n > INT_MAX) this.#fail(PROTO_INVALID_MULTIBULK, this.#pos + 1);
        if (n > 10 && this.unauthenticated) this.#fail(PROTO_UNAUTH_MULTIBULK, this.#pos + 1);
        count = n;
        this.#pos = cr + 2;
        if (count <= 0) return undefined;
      }
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
        let length: number;
        if (this.#aof) {
          if (buf[this.#pos] !== 36 /* '$' */) {
            this.#fail(`expected '$', got ${describe(buf[this.#pos])}`, this.#pos);
          }
          const n = this.#aofLength(this.#pos + 1, "invalid bulk length");
          if (n === null) return null;
          if (n < 0 || n > this.maxBulkLength) this.#fail("invalid bulk length", this.#pos + 1);
          length = n;
          this.#pos = this.#lineEnd;
        } else {
          const cr = findLineEnd(buf, CR, this.#pos, this.#end);
          if (cr < 0) {
            if (this.#end - this.#pos > this.#maxInline) {
              this.#fail(PROTO_BIG_BULK_COUNT, this.#pos);
            }
            return null;
          }
          if (cr + 1 >= this.#end) return null;
          if (buf[this.#pos] !== 36 /* '$' */) {
            this.#fail(protoExpectedDollar(buf[this.#pos]), this.#pos);
          }
          const n = parseLength(buf, this.#pos + 1, cr);
          if (n === null || n < 0 || n > this.maxBulkLength) {
            this.#fail(PROTO_INVALID_BULK, this.#pos + 1);
          }
          if (n > 16384 && this.unauthenticated) this.#fail(PROTO_UNAUTH_BULK, this.#pos + 1);
          length = n;
          this.#pos = cr + 2;
        }
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
      // Redis does not look at the two bytes after the data; neither do we, but in a file.
      if (this.#end - this.#pos < length + 2) return null;
      if (this.#aof && (buf[this.#pos + length] !== CR || buf[this.#pos + length + 1] !== LF)) {
        this.#fail("expected CRLF after an argument", this.#pos + length);
      }
      args.push(argument(buf, this.#pos, this.#pos + length));
      this.#argsBytes += length;
      this.#pos += length + 2;
      this.#bulkLength = -1;
      this.#missing--;
    }
    this.#args = null;
    this.#argsBytes = 0;
    return args;
  }

  #inline(): string[] | null | undefined {
    const buf = this.#buf;
    const lf = findLineEnd(buf, LF, this.#pos, this.#end);
    if (lf < 0) {
      if (this.#end - this.#pos > this.#maxInline) this.#fail(PROTO_BIG_INLINE, this.#pos);
      return null;
    }
    let lineEnd = lf;
    if (lineEnd > this.#pos && buf[lineEnd - 1] === CR) lineEnd--;
    const plain = plainInline(buf, this.#pos, lineEnd);
    if (plain !== null) {
      this.#pos = lf + 1;
      return plain.length === 0 ? undefined : plain;
    }
    const line = buf.latin1Slice(this.#pos, lineEnd);
    const argv = splitArgs(line);
    if (argv === null) this.#fail(PROTO_UNBALANCED_QUOTES, this.#pos);
    this.#pos = lf + 1;
    return argv.length === 0 ? undefined : argv;
  }

  // In a file, a line that does not start a command must be an annotation (`#...`),
  // skipped like an empty request.
  #annotation(): null | undefined {
    const byte = this.#buf[this.#pos];
    if (byte !== 35 /* '#' */) this.#fail(`expected '*', got ${describe(byte)}`, this.#pos);
    const lf = this.#buf.indexOf(LF, this.#pos);
    if (lf < 0 || lf >= this.#end) return null;
    this.#pos = lf + 1;
    return undefined;
  }

  /**
   * A length line of a file at `p` (after its '*' or '$'): an optional '-', up to 12
   * digits, CRLF. Null while incomplete; fails at the first byte that cannot belong.
   * Sets #lineEnd.
   */
  #aofLength(p: number, what: string): number | null {
    const buf = this.#buf;
    const end = this.#end;
    let n = 0;
    let digits = 0;
    let negative = false;
    if (p < end && buf[p] === 45 /* '-' */) {
      negative = true;
      p++;
    }
    for (; p < end; p++) {
      const c = buf[p];
      if (c >= 48 && c <= 57) {
        n = n * 10 + c - 48;
        if (++digits > 12) this.#fail(what, p);
        continue;
      }
      if (c !== CR) this.#fail(what, p);
      if (p + 1 >= end) return null;
      if (buf[p + 1] !== LF || digits === 0) this.#fail(what, p);
      this.#lineEnd = p + 2;
      return negative ? -n : n;
    }
    return null;
  }

  #fail(message: string, at: number): never {
    throw new ProtocolError(message, this.#base + at);
  }

  // Once everything buffered is consumed, start over at the front (and drop a huge buffer).
  #compact(): void {
    if (this.#pos === this.#end) {
      this.#base += this.#pos;
      this.#pos = 0;
      this.#end = 0;
      if (this.#buf.length > SHRINK_ABOVE && this.#args === null) {
        this.#buf = Buffer.allocUnsafe(this.#initialSize) as Latin1Buffer;
      }
    }
  }

  // Room for the next read: READ_SIZE bytes, or what a pending bulk needs. A big
  // argument gets exactly the rest of itself, as Redis reads one: its buffer is then
  // sized once, whatever sizes the reads come in (client memory limits compare those).
  #room(): Uint8Array {
    const used = this.#end - this.#pos;
    let need = READ_SIZE;
    const bulk = this.#bulkLength;
    if (bulk >= BIG_ARGUMENT) {
      if (bulk + 2 > used) need = bulk + 2 - used;
    } else if (bulk >= 0) need = Math.max(need, bulk + 2 - used);
    if (used + need > this.#peak) this.#peak = used + need;
    if (this.#buf.length - this.#end < need) {
      if (this.#buf.length - used >= need && this.#pos > 0) {
        this.#buf.copyWithin(0, this.#pos, this.#end);
        this.#base += this.#pos;
        this.#pos = 0;
        this.#end = used;
      } else if (this.#bulkLength >= BIG_ARGUMENT) {
        // Room for exactly the rest of a big argument, as Redis sizes its query buffer
        // (doubling would count up to twice its size against client memory limits).
        this.#moveTo(Buffer.allocUnsafe(used + need) as Latin1Buffer);
      } else {
        let size = Math.max(this.#buf.length * 2, this.#initialSize);
        while (size - used < need) size *= 2;
        this.#moveTo(Buffer.allocUnsafe(size) as Latin1Buffer);
      }
    }
    return this.#buf.subarray(this.#end);
  }

  // Moves the unconsumed bytes to the front of `buf`, which becomes the buffer.
  #moveTo(buf: Latin1Buffer): void {
    const used = this.#end - this.#pos;
    buf.set(this.#buf.subarray(this.#pos, this.#end));
    this.#base += this.#pos;
    this.#buf = buf;
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
  // A plain loop: lines are short, and Buffer's indexOf costs more to call than this.
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === byte) return i;
    if (c === 0) return -1;
  }
  return -1;
}

// A byte for a file's error message: printable as itself, else in hex.
function describe(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `byte 0x${byte.toString(16).padStart(2, "0")}`;
}

/**
 * An inline request of words separated by spaces, split straight from the bytes (the
 * name as `commandName` takes it); null when the line has a quote or a control byte,
 * which only `splitArgs` reads as Redis does.
 */
function plainInline(b: Latin1Buffer, start: number, end: number): string[] | null {
  for (let p = start; p < end; p++) {
    const c = b[p];
    if (c < 32 || c === 34 /* '"' */ || c === 39 /* "'" */) return null;
  }
  const args: string[] = [];
  let p = start;
  while (true) {
    while (p < end && b[p] === 32) p++;
    if (p === end) return args;
    const from = p;
    while (p < end && b[p] !== 32) p++;
    args.push(args.length === 0 ? commandName(b, from, p) : argument(b, from, p));
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
