// The replication backlog: the last `size` bytes of the replication stream, kept in a
// ring, so a replica that lost its link can continue from where it stopped (PSYNC)
// instead of loading a whole snapshot again.
//
// Offsets are Redis's: the stream's bytes are numbered from 1, `end` is the number of
// the last byte written (master_repl_offset), and a replica asks for the first byte it
// lacks.

/** A ring of the stream's most recent bytes. */
export class ReplicationBacklog {
  #ring: Uint8Array;
  // Where the next byte goes in the ring.
  #at = 0;
  /** Bytes of history held (at most the ring's size). */
  histlen = 0;
  /** The stream offset of the last byte written. */
  end: number;

  /** A backlog whose history starts after byte `end` of the stream. */
  constructor(size: number, end: number) {
    this.#ring = new Uint8Array(Math.max(1, size));
    this.end = end;
  }

  get size(): number {
    return this.#ring.length;
  }

  /** The stream offset of the oldest byte held (Redis's repl_backlog_first_byte_offset). */
  get firstByte(): number {
    return this.end - this.histlen + 1;
  }

  /** Appends stream bytes. */
  append(bytes: Uint8Array): void {
    const ring = this.#ring;
    const size = ring.length;
    this.end += bytes.length;
    let from = bytes.length > size ? bytes.length - size : 0;
    while (from < bytes.length) {
      const n = Math.min(size - this.#at, bytes.length - from);
      ring.set(bytes.subarray(from, from + n), this.#at);
      this.#at = (this.#at + n) % size;
      from += n;
    }
    this.histlen = Math.min(size, this.histlen + bytes.length);
  }

  /** True when every byte from `offset` on is held (offset end+1: nothing to send). */
  holds(offset: number): boolean {
    return offset >= this.firstByte && offset <= this.end + 1;
  }

  /** The bytes from stream offset `offset` to the end (see holds). */
  from(offset: number): Uint8Array {
    const count = this.end + 1 - offset;
    const out = new Uint8Array(count);
    const size = this.#ring.length;
    let start = (this.#at - count + size) % size;
    let copied = 0;
    while (copied < count) {
      const n = Math.min(size - start, count - copied);
      out.set(this.#ring.subarray(start, start + n), copied);
      copied += n;
      start = 0;
    }
    return out;
  }

  /** Changes the ring's size, keeping as much of the newest history as fits. */
  resize(size: number): void {
    size = Math.max(1, size);
    if (size === this.#ring.length) return;
    const keep = Math.min(size, this.histlen);
    const tail = this.from(this.end + 1 - keep);
    this.#ring = new Uint8Array(size);
    this.#ring.set(tail);
    this.#at = keep % size;
    this.histlen = keep;
  }
}
