// A snapshot loaded as its bytes arrive, as a replica loads a full resync from the
// socket (repl-diskless-load): each chunk pushed loads the records it completes, so the
// load keeps pace with the transfer instead of starting once the last byte is in.
//
// A record cut off by the end of a chunk is read again from its start once more has
// arrived. A large value arriving over many reads is tried again only when the bytes
// since its start have doubled, so it is read a bounded number of times over.

import type { Keyspace } from "../store/keyspace.ts";
import { ByteReader } from "./rdb_format.ts";
import { loadFrom, type LoadOptions, type LoadResult } from "./snapshot.ts";

/** The first buffer when the size is unknown (`$EOF:` transfers). */
const FIRST_BUFFER = 64 * 1024;

export class SnapshotStream {
  readonly #reader = new ByteReader(new Uint8Array(0));
  readonly #load: Generator<number, LoadResult>;
  #bytes: Uint8Array;
  #length = 0;
  // The load goes on once this many bytes have arrived.
  #wanted = 0;
  #result: LoadResult | null = null;
  #failure: unknown = null;

  /** `expected`: the snapshot's size when the sender said it (0: unknown). */
  constructor(keyspace: Keyspace, options: LoadOptions, expected = 0) {
    this.#bytes = new Uint8Array(expected > 0 ? expected : FIRST_BUFFER);
    this.#reader.open = true;
    this.#load = loadFrom(keyspace, this.#reader, options, Infinity);
  }

  /** True once the snapshot's last record (its checksum) has been read. */
  get done(): boolean {
    return this.#result !== null;
  }

  /**
   * The next bytes: loads every record they complete. Throws RdbError on bad data (the
   * stream is then failed). Bytes after the snapshot's end are ignored.
   */
  push(chunk: Uint8Array): void {
    if (this.#failure !== null) throw this.#failure;
    if (this.#result !== null || chunk.length === 0) return;
    this.#append(chunk);
    if (this.#length >= this.#wanted) this.#run();
  }

  /** The bytes have all come: loads what is left. Throws RdbError when they end early. */
  finish(): LoadResult {
    if (this.#failure !== null) throw this.#failure;
    if (this.#result === null) {
      this.#reader.open = false;
      this.#run();
    }
    return this.#result!;
  }

  /** Gives up on the load (the transfer broke off); what was loaded stays where it is. */
  abort(): void {
    if (this.#result === null && this.#failure === null) {
      this.#failure = new Error("the snapshot load was abandoned");
      this.#load.return(undefined as unknown as LoadResult);
    }
  }

  #append(chunk: Uint8Array): void {
    const end = this.#length + chunk.length;
    if (end > this.#bytes.length) {
      // A new buffer rather than a moved one: values loaded so far may be views of it.
      const bigger = new Uint8Array(Math.max(this.#bytes.length * 2, end));
      bigger.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = bigger;
    }
    this.#bytes.set(chunk, this.#length);
    this.#length = end;
  }

  #run(): void {
    const reader = this.#reader;
    reader.extend(this.#bytes.subarray(0, this.#length));
    let step: IteratorResult<number, LoadResult>;
    try {
      step = this.#load.next();
    } catch (error) {
      this.#failure = error;
      throw error;
    }
    if (step.done) {
      this.#result = step.value;
      return;
    }
    // The reader stopped at the start of a record that is not all here yet.
    this.#wanted = this.#length + Math.max(1, this.#length - reader.pos);
  }
}
