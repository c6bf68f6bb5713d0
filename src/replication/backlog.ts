// The replication buffer: the stream's recent bytes, kept once and shared by the
// backlog and every replica of this server, as in Redis 7.0.
//
// The bytes live in a list of blocks. The backlog is the whole list: a replica that
// lost its link continues from any byte still held (PSYNC). Each replica that takes
// the stream has a reader, its place in the list; the bytes it has not sent yet are
// the stream part of its output buffer. A block goes once no reader needs it and the
// history without it is still at least `limit` bytes (repl-backlog-size): a slow
// replica, or one waiting for its snapshot, makes the history grow past the limit,
// and others may continue from that longer history meanwhile.
//
// Offsets are Redis's: the stream's bytes are numbered from 1, `end` is the number of
// the last byte written (master_repl_offset), and a replica asks for the first byte it
// lacks.

/** Blocks are at least this large, so small writes share them. */
const MIN_BLOCK = 16 * 1024;

/** What a block costs besides its bytes (its record in the list), as counted. */
const BLOCK_OVERHEAD = 40;

/** A block of the shared buffer. */
export interface BacklogBlock {
  /** Position in the list (consecutive, never reused). */
  readonly id: number;
  /** The stream offset of the block's first byte. */
  readonly offset: number;
  readonly bytes: Uint8Array;
  /** Bytes written so far (a block is filled before the next is made). */
  used: number;
}

/** The stream's recent bytes, shared by the backlog and the replicas' readers. */
export class ReplicationBacklog {
  /** The history kept when no replica needs more (repl-backlog-size). */
  limit: number;
  /** The stream offset of the last byte written. */
  end: number;
  // Live blocks are #blocks[#head..]; the dropped ones before #head are cut off now
  // and then, so dropping a block costs no copying.
  #blocks: BacklogBlock[] = [];
  #head = 0;
  #nextId = 0;
  #memory = 0;
  readonly #readers = new Set<BacklogReader>();

  /** An empty backlog whose history starts after byte `end` of the stream. */
  constructor(limit: number, end: number) {
    this.limit = Math.max(1, limit);
    this.end = end;
  }

  /** The stream offset of the oldest byte held (Redis's repl_backlog_first_byte_offset). */
  get firstByte(): number {
    return this.#head < this.#blocks.length ? this.#blocks[this.#head].offset : this.end + 1;
  }

  /** Bytes of history held: past `limit` while a replica still needs older bytes. */
  get histlen(): number {
    return this.end + 1 - this.firstByte;
  }

  /** The memory the blocks take (mem_total_replication_buffers). */
  get memory(): number {
    return this.#memory;
  }

  /**
   * The part of `memory` counted as the backlog's own (mem_replication_backlog): all of
   * it without readers, else up to `limit`, the rest being the replicas' (see
   * replicasShare), as Redis splits it.
   */
  get size(): number {
    return this.memory - this.replicasShare;
  }

  /** What the replicas' readers add past `limit` (mem_clients_slaves in Redis). */
  get replicasShare(): number {
    return this.#readers.size === 0 ? 0 : Math.max(0, this.#memory - this.limit);
  }

  /** Readers holding a place in the stream. */
  get readers(): number {
    return this.#readers.size;
  }

  /** Appends stream bytes; true when a block was added (a reader may hold more now). */
  append(bytes: Uint8Array): boolean {
    // The usual case, a command that fits in the last block: a copy and no more (the
    // oldest blocks are trimmed when a block is added).
    const last = this.#tail();
    if (last !== null && bytes.length <= last.bytes.length - last.used) {
      last.bytes.set(bytes, last.used);
      last.used += bytes.length;
      this.end += bytes.length;
      return false;
    }
    let from = 0;
    let added = false;
    const tail = this.#tail();
    if (tail !== null && tail.used < tail.bytes.length) {
      from = Math.min(bytes.length, tail.bytes.length - tail.used);
      tail.bytes.set(bytes.subarray(0, from), tail.used);
      tail.used += from;
    }
    const largest = Math.max(MIN_BLOCK, Math.floor(this.limit / 16));
    while (from < bytes.length) {
      // Blocks of at most limit/16 bytes: one big write must not make a block that
      // stays held (or counted against a replica) long after most of it was sent.
      const left = bytes.length - from;
      const block: BacklogBlock = {
        id: this.#nextId++,
        offset: this.end + 1 + from,
        bytes: new Uint8Array(Math.min(Math.max(left, MIN_BLOCK), largest)),
        used: 0,
      };
      block.used = Math.min(left, block.bytes.length);
      block.bytes.set(bytes.subarray(from, from + block.used));
      from += block.used;
      this.#blocks.push(block);
      this.#memory += block.bytes.length + BLOCK_OVERHEAD;
      added = true;
    }
    this.end += bytes.length;
    this.trim();
    return added;
  }

  /** True when every byte from `offset` on is held (offset end+1: nothing to send). */
  holds(offset: number): boolean {
    return offset >= this.firstByte && offset <= this.end + 1;
  }

  /** A reader that takes the stream from `offset` on (see holds). */
  reader(offset: number): BacklogReader {
    if (!this.holds(offset)) throw new RangeError(`offset ${offset} is not held`);
    const reader = new BacklogReader(this, offset, this.#blockIdOf(offset));
    this.#readers.add(reader);
    return reader;
  }

  /** A new limit (CONFIG SET repl-backlog-size). */
  resize(limit: number): void {
    this.limit = Math.max(1, limit);
    this.trim();
  }

  /** Drops the oldest blocks that no reader needs, keeping `limit` bytes of history. */
  trim(): void {
    let needed = Infinity;
    for (const reader of this.#readers) needed = Math.min(needed, reader.blockId);
    const blocks = this.#blocks;
    while (blocks.length - this.#head > 1) {
      const first = blocks[this.#head];
      if (first.id >= needed || this.histlen - first.used < this.limit) break;
      this.#memory -= first.bytes.length + BLOCK_OVERHEAD;
      this.#head++;
    }
    if (this.#head > 64 && this.#head * 2 > blocks.length) {
      this.#blocks = blocks.slice(this.#head);
      this.#head = 0;
    }
  }

  // ---------------------------------------------------------------------------
  // What readers use

  /** The block with id `id`, or null when it is not made yet. */
  block(id: number): BacklogBlock | null {
    const blocks = this.#blocks;
    if (this.#head >= blocks.length) return null;
    const index = this.#head + id - blocks[this.#head].id;
    return index >= this.#head && index < blocks.length ? blocks[index] : null;
  }

  /** The block memory from block `id` to the end (what a reader there holds). */
  heldFrom(id: number): number {
    const first = this.block(id);
    const tail = this.#tail();
    if (first === null || tail === null) return 0;
    return tail.offset + tail.bytes.length - first.offset +
      (tail.id - first.id + 1) * BLOCK_OVERHEAD;
  }

  /** A reader leaves: the blocks only it needed can go. */
  release(reader: BacklogReader): void {
    if (this.#readers.delete(reader)) this.trim();
  }

  #tail(): BacklogBlock | null {
    const blocks = this.#blocks;
    return this.#head < blocks.length ? blocks[blocks.length - 1] : null;
  }

  // The id of the block that holds (or, past the tail's room, will hold) `offset`.
  #blockIdOf(offset: number): number {
    const blocks = this.#blocks;
    let lo = this.#head, hi = blocks.length - 1;
    if (lo > hi) return this.#nextId;
    const tail = blocks[hi];
    if (offset >= tail.offset + tail.bytes.length) return this.#nextId;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (blocks[mid].offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return blocks[lo].id;
  }
}

/**
 * A replica's place in the shared buffer: the next byte it sends. It holds every
 * block from the one with that byte on until it is released.
 */
export class BacklogReader {
  readonly #backlog: ReplicationBacklog;
  /** The stream offset of the next byte to send. */
  offset: number;
  /** The block holding that byte (or the next block to be made). */
  blockId: number;
  /** False until the replica may be sent the stream (after its snapshot). */
  sending = false;
  #released = false;

  constructor(backlog: ReplicationBacklog, offset: number, blockId: number) {
    this.#backlog = backlog;
    this.offset = offset;
    this.blockId = blockId;
  }

  /** The next bytes to send, a view into one block; null when caught up or not sending. */
  peek(): Uint8Array | null {
    if (!this.sending || this.#released) return null;
    const block = this.#backlog.block(this.blockId);
    if (block === null) return null;
    const at = this.offset - block.offset;
    return at < block.used ? block.bytes.subarray(at, block.used) : null;
  }

  /** `n` bytes of what peek gave were sent. */
  advance(n: number): void {
    if (this.#released) return;
    this.offset += n;
    const backlog = this.#backlog;
    let block = backlog.block(this.blockId);
    let left = false;
    while (block !== null && this.offset >= block.offset + block.bytes.length) {
      this.blockId++;
      left = true;
      block = backlog.block(this.blockId);
    }
    if (left) backlog.trim();
  }

  /** Bytes of the shared buffer held for this reader (Redis counts them as its output). */
  get held(): number {
    return this.#released ? 0 : this.#backlog.heldFrom(this.blockId);
  }

  /** The replica is gone: nothing is held for it any more. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#backlog.release(this);
  }
}
