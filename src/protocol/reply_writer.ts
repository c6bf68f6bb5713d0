// Reply writer: encodes replies as RESP2 or RESP3 bytes into a growable buffer.
//
// Handlers call the typed methods (bulk, arrayLen, mapLen, double, null ...) and never
// branch on the protocol version: the writer picks the RESP2 or RESP3 form. Every reply
// of a pipelined batch lands in one buffer that the connection sends in one write.

import { formatDouble17 } from "./number_format.ts";
import { latin1Text } from "../util/latin1.ts";

/** Bytes as the store keeps them: a one-byte (latin1) string, or raw bytes when huge. */
export type Bytes = string | Uint8Array;

// A writer holds no buffer until it has something to send, then one of at least
// this size, doubled as replies need; an idle client gives its buffers back.
const MIN_SIZE = 1024;
const EMPTY = new Uint8Array(0);
const SHRINK_ABOVE = 1 << 20;
const NON_ASCII = /[\x80-\xff]/;
const utf8 = new TextEncoder();

/** Accumulates replies for one client. */
export class ReplyWriter {
  /** Protocol version: 2 or 3 (HELLO switches it). */
  resp: 2 | 3 = 2;
  /** Error replies written since creation. */
  errors = 0;
  /** Hears every error reply (the server counts them per prefix for INFO errorstats). */
  onError: ((message: string) => void) | null = null;
  #buf: Uint8Array<ArrayBuffer> = EMPTY;
  #len = 0;
  #spare: Uint8Array<ArrayBuffer> | null = null;
  #peak = 0;
  /** While silenced: the pushes written, as start and end offsets; null otherwise. */
  #pushes: number[] | null = null;

  /** Number of bytes waiting to be sent. */
  get length(): number {
    return this.#len;
  }

  /** Capacity of the current buffer. */
  get capacity(): number {
    return this.#buf.length;
  }

  /** The bytes both buffers take: the current one and the one kept for the next swap (CLIENT LIST's rbs). */
  get held(): number {
    return this.#buf.length + (this.#spare?.length ?? 0);
  }

  /** The most bytes a batch of replies took since the last `resetPeak` (CLIENT LIST's rbp). */
  get peak(): number {
    return this.#len > this.#peak ? this.#len : this.#peak;
  }

  /** Starts a new peak from what is pending now. */
  resetPeak(): void {
    this.#peak = this.#len;
  }

  /**
   * Hands out the pending bytes and switches to a second buffer, so replies written
   * while those bytes are on their way to the socket do not overwrite them.
   * Give the view back with `release()` once it is sent.
   */
  take(): Uint8Array {
    if (this.#len > this.#peak) this.#peak = this.#len;
    const out = this.#buf.subarray(0, this.#len);
    this.#buf = this.#spare ?? EMPTY;
    this.#spare = null;
    this.#len = 0;
    return out;
  }

  /** Empties the buffer after its bytes were sent straight from it, keeping it for reuse. */
  sentInPlace(): void {
    if (this.#len > this.#peak) this.#peak = this.#len;
    this.#len = 0;
  }

  /**
   * Empties the buffer and answers the text of the first error reply in it (inside
   * an array when EXEC ran), counting no error: for the clients whose replies nobody
   * reads (the AOF's, a master's), whose errors are logged instead.
   */
  takeFirstError(): string {
    const bytes = this.take();
    // The first line that starts with '-'.
    let at = 0;
    while (at < bytes.length && bytes[at] !== 45) {
      const next = bytes.indexOf(10, at);
      at = next < 0 ? bytes.length : next + 1;
    }
    const end = bytes.indexOf(13, at);
    const text = latin1Text(bytes.subarray(at + 1, end < 0 ? bytes.length : end));
    this.release(bytes);
    this.errors = 0;
    return text;
  }

  /** Gives the buffers back while nothing is pending (an idle client). */
  shrinkIdle(): void {
    this.#spare = null;
    if (this.#len === 0) this.#buf = EMPTY;
  }

  /** Returns a buffer obtained from `take()` for reuse. */
  release(view: Uint8Array): void {
    const buf = new Uint8Array(view.buffer as ArrayBuffer);
    if (buf.length <= SHRINK_ABOVE) this.#spare = buf;
  }

  /** The buffer the pending bytes are the first `length` of (valid until the next write). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** The bytes written after the first `start` (a view, valid until the next write). */
  since(start: number): Uint8Array {
    return this.#buf.subarray(Math.min(start, this.#len), this.#len);
  }

  /** Drops what was written after the first `length` bytes (CLIENT REPLY OFF/SKIP). */
  truncate(length: number): void {
    if (length < this.#len) this.#len = length;
  }

  /**
   * CLIENT REPLY OFF/SKIP: the replies of the command about to run are to be dropped,
   * but push messages written meanwhile (a message a client publishes to itself, its
   * subscription confirmations) still go out. Pushes mark themselves with `pushed`.
   */
  silence(): void {
    this.#pushes = [];
  }

  /** A push message was written from `start` up to the current end. */
  pushed(start: number): void {
    this.#pushes?.push(start, this.#len);
  }

  /**
   * Ends `silence`: with `drop`, what was written since `from` goes, except the pushes;
   * without, everything stays.
   */
  unsilence(from: number, drop: boolean): void {
    const pushes = this.#pushes;
    this.#pushes = null;
    if (!drop || pushes === null || from >= this.#len) return;
    let at = from;
    for (let i = 0; i < pushes.length; i += 2) {
      const start = pushes[i];
      const end = pushes[i + 1];
      if (start < from || end > this.#len) continue;
      this.#buf.copyWithin(at, start, end);
      at += end - start;
    }
    this.#len = at;
  }

  /** Drops pending replies (a connection that is being closed). */
  discard(): void {
    this.#len = 0;
  }

  /** `+OK` */
  ok(): void {
    this.#ensure(5);
    const b = this.#buf;
    let i = this.#len;
    b[i++] = 43;
    b[i++] = 79;
    b[i++] = 75;
    b[i++] = 13;
    b[i++] = 10;
    this.#len = i;
  }

  /** A simple string: `+text` (text must not contain CR or LF). */
  simple(text: string): void {
    this.#ensure(text.length + 3);
    this.#buf[this.#len++] = 43;
    this.#ascii(text);
    this.#crlf();
  }

  /** An error: `-ERR text`. Newlines inside are turned into spaces, as Redis does. */
  error(message: string): void {
    this.errors++;
    this.onError?.(message);
    const clean = message.replace(/[\r\n]/g, " ");
    this.#ensure(clean.length + 3);
    this.#buf[this.#len++] = 45;
    this.#latin1(clean);
    this.#crlf();
  }

  /**
   * An error already counted in INFO errorstats (a script returning the error a command
   * it called failed with): it counts as the command's failure, not as a new error.
   */
  errorCounted(message: string): void {
    const onError = this.onError;
    this.onError = null;
    try {
      this.error(message);
    } finally {
      this.onError = onError;
    }
  }

  /** An integer: `:n`. */
  integer(n: number | bigint): void {
    this.#ensure(24);
    this.#buf[this.#len++] = 58;
    this.#number(n);
    this.#crlf();
  }

  /** A bulk string: `$len\r\n<bytes>\r\n`. */
  bulk(value: Bytes): void {
    const len = value.length;
    this.#ensure(len + 16);
    this.#buf[this.#len++] = 36;
    this.#number(len);
    this.#crlf();
    if (typeof value === "string") this.#latin1(value);
    else {
      this.#buf.set(value, this.#len);
      this.#len += len;
    }
    this.#crlf();
  }

  /**
   * A bulk string `<a>-<b>` of two non-negative integers (a stream ID), written from
   * the numbers: joined into one string first, it would be a rope V8 reads slowly.
   */
  bulkPair(a: number, b: number): void {
    const first = String(a);
    const second = String(b);
    this.#ensure(first.length + second.length + 16);
    this.#buf[this.#len++] = 36;
    this.#number(first.length + 1 + second.length);
    this.#crlf();
    this.#ascii(first);
    this.#buf[this.#len++] = 45;
    this.#ascii(second);
    this.#crlf();
  }

  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  null(): void {
    if (this.resp === 2) this.#raw("$-1\r\n");
    else this.#raw("_\r\n");
  }

  /** A missing aggregate: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    if (this.resp === 2) this.#raw("*-1\r\n");
    else this.#raw("_\r\n");
  }

  /** An array header: `*n`. */
  arrayLen(n: number): void {
    this.#header(42, n);
  }

  /** A map header: `%n` in RESP3, an array of 2n items in RESP2. */
  mapLen(n: number): void {
    if (this.resp === 2) this.#header(42, n * 2);
    else this.#header(37, n);
  }

  /** A set header: `~n` in RESP3, an array in RESP2. */
  setLen(n: number): void {
    this.#header(this.resp === 2 ? 42 : 126, n);
  }

  /**
   * A header for `n` pairs (HRANDFIELD WITHVALUES, ZRANGE WITHSCORES ...): a flat
   * array of 2n items in RESP2, an array of n two-item arrays in RESP3, where each
   * pair then starts with `pairStart()`.
   */
  pairsLen(n: number): void {
    this.#header(42, this.resp === 2 ? n * 2 : n);
  }

  /** Opens one pair inside `pairsLen` (nothing in RESP2). */
  pairStart(): void {
    if (this.resp === 3) this.#header(42, 2);
  }

  /** A push header: `>n` in RESP3, an array in RESP2. */
  pushLen(n: number): void {
    this.#header(this.resp === 2 ? 42 : 62, n);
  }

  /**
   * An attribute header: `|n` followed by n key/value pairs, before the reply they
   * describe. RESP3 only: RESP2 has no attributes, so a caller writes the pairs only
   * when this returns true (Redis's DEBUG PROTOCOL attrib then sends the bare reply).
   */
  attributeLen(n: number): boolean {
    if (this.resp === 2) return false;
    this.#header(124, n);
    return true;
  }

  /** A double: `,1.5` in RESP3, a bulk string in RESP2 (`%.17g`, `inf`, `-inf`). */
  double(d: number): void {
    const text = formatDouble17(d);
    if (this.resp === 2) this.bulk(text);
    else {
      this.#ensure(text.length + 3);
      this.#buf[this.#len++] = 44;
      this.#ascii(text);
      this.#crlf();
    }
  }

  /**
   * A double already written out (GEOPOS's coordinates, in Redis's "human" long double
   * form): `,text` in RESP3, a bulk string in RESP2.
   */
  doubleText(text: string): void {
    if (this.resp === 2) this.bulk(text);
    else {
      this.#ensure(text.length + 3);
      this.#buf[this.#len++] = 44;
      this.#ascii(text);
      this.#crlf();
    }
  }

  /** A big number: `(digits` in RESP3, a bulk string in RESP2. */
  bigNumber(digits: string): void {
    if (this.resp === 2) {
      this.bulk(digits);
      return;
    }
    this.#ensure(digits.length + 3);
    this.#buf[this.#len++] = 40;
    this.#ascii(digits);
    this.#crlf();
  }

  /** A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2. */
  boolean(value: boolean): void {
    if (this.resp === 2) this.#raw(value ? ":1\r\n" : ":0\r\n");
    else this.#raw(value ? "#t\r\n" : "#f\r\n");
  }

  /** Verbatim text (INFO, CLIENT LIST): `=len\r\ntxt:...` in RESP3, a bulk in RESP2. */
  verbatim(text: string, format = "txt"): void {
    if (this.resp === 2) {
      this.bulk(text);
      return;
    }
    this.#ensure(text.length + 24);
    this.#buf[this.#len++] = 61;
    this.#number(text.length + 4);
    this.#crlf();
    this.#ascii(format);
    this.#buf[this.#len++] = 58;
    this.#latin1(text);
    this.#crlf();
  }

  /** Pre-encoded RESP bytes, written as they are. */
  raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  #raw(text: string): void {
    this.#ensure(text.length);
    this.#ascii(text);
  }

  #header(type: number, n: number): void {
    this.#ensure(24);
    this.#buf[this.#len++] = type;
    this.#number(n);
    this.#crlf();
  }

  #crlf(): void {
    this.#buf[this.#len++] = 13;
    this.#buf[this.#len++] = 10;
  }

  // Writes the decimal digits of n (capacity already ensured).
  #number(n: number | bigint): void {
    if (typeof n === "number" && n >= 0 && n < 10) {
      this.#buf[this.#len++] = 48 + n;
      return;
    }
    this.#ascii(String(n));
  }

  // Text known to hold only ASCII (capacity already ensured).
  #ascii(text: string): void {
    const b = this.#buf;
    let i = this.#len;
    for (let j = 0; j < text.length; j++) b[i++] = text.charCodeAt(j);
    this.#len = i;
  }

  // A one-byte string, copied byte for byte (capacity already ensured).
  #latin1(text: string): void {
    const n = text.length;
    if (n > 256 && !NON_ASCII.test(text)) {
      // For ASCII the UTF-8 encoder writes the same bytes, and it is native code.
      utf8.encodeInto(text, this.#buf.subarray(this.#len, this.#len + n));
      this.#len += n;
      return;
    }
    const b = this.#buf;
    let i = this.#len;
    for (let j = 0; j < n; j++) b[i++] = text.charCodeAt(j);
    this.#len = i;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let size = Math.max(this.#buf.length * 2, MIN_SIZE);
    while (size < this.#len + extra) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(0, this.#len));
    this.#buf = bigger;
  }
}
