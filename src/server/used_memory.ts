// used_memory: what INFO memory, MEMORY STATS, the RDB header and eviction report as
// the memory the server uses. Like Redis's figure it counts what the server holds, not
// what the process takes (that is used_memory_rss): a fixed baseline for the server's
// own structures, the dataset, client buffers and the script caches.
//
// JavaScript cannot ask for an object's size, and V8's heap figures count garbage not
// collected yet, so every part is an estimate from the model in store/memory.ts:
// - the dataset is the keyspace's running total (see store/keyspace.ts), kept as keys
//   change, so reading it costs a few additions;
// - client buffers are summed over the clients once per housekeeping tick (and
//   whenever INFO or MEMORY asks, or eviction is about to compare after a client's
//   unfinished request grew by 32 KB or more), as walking ten thousand clients before
//   every command would cost more than the command;
// - the script caches come from their own estimates, read on the same tick.

import type { MemoryFigures } from "../commands/context.ts";
import type { Keyspace } from "../store/keyspace.ts";

/**
 * The baseline: the server's own structures at start (command table, configuration,
 * empty databases), modelled rather than measured. V8's heap at start is mostly
 * compiled code and built-ins, which Redis's used_memory does not count either.
 */
export const STARTUP_BYTES = 1 << 20;

/** A client's own objects, beyond its buffers (modelled). */
const CLIENT_BYTES = 1024;

/** What the meter reads from the server. */
export interface MemorySources {
  readonly keyspace: Keyspace;
  /**
   * Every client's buffers and pending data, as CLIENT LIST's tot-mem counts them:
   * in all, and for the replicas of this server (their memory, their output). A
   * replica's part of the shared replication buffer is not its own: the buffer is
   * counted once, the replicas' share of it (past repl-backlog-size) with them, the
   * rest as the backlog.
   */
  clientBuffers(): {
    clients: number;
    bytes: number;
    replicas: number;
    replicaBytes: number;
    replicaOutput: number;
  };
  /** The backlog's part of the shared replication buffer (mem_replication_backlog). */
  backlogBytes(): number;
  /** The EVAL script cache and the FUNCTION libraries. */
  scriptBytes(): number;
}

/** The running estimate of used_memory (see the top of this file). */
export class UsedMemory {
  readonly #sources: MemorySources;
  #clients = 0;
  #replicaClients = 0;
  #replicaOutput = 0;
  #scripts = 0;
  #peak = STARTUP_BYTES;
  #stale = false;

  constructor(sources: MemorySources) {
    this.#sources = sources;
  }

  /** used_memory now (client buffers and scripts as of the last refresh). */
  get used(): number {
    const used = STARTUP_BYTES + this.#sources.keyspace.datasetBytes + this.#clients +
      this.#scripts + this.#sources.backlogBytes();
    if (used > this.#peak) this.#peak = used;
    return used;
  }

  /**
   * What eviction compares with maxmemory: used_memory without what replicas have not
   * taken yet of the stream (mem_not_counted_for_evict), as in Redis: evicting keys
   * feeds replicas more DELs, which would only grow their buffers further.
   */
  get evictable(): number {
    if (this.#stale) this.refresh();
    return this.used - this.#replicaOutput;
  }

  /**
   * The client figure is out of date by a good deal (a request still arriving grew
   * big): eviction sums the clients again before it compares, as Redis's used_memory
   * counts a query buffer the moment it grows.
   */
  markStale(): void {
    this.#stale = true;
  }

  /** Sums the client buffers and script caches again (each housekeeping tick). */
  refresh(): void {
    this.#stale = false;
    const { clients, bytes, replicas, replicaBytes, replicaOutput } = this.#sources
      .clientBuffers();
    this.#clients = bytes + clients * CLIENT_BYTES;
    this.#replicaClients = replicaBytes + replicas * CLIENT_BYTES;
    this.#replicaOutput = replicaOutput;
    this.#scripts = this.#sources.scriptBytes();
  }

  /** Every figure, refreshed (INFO memory, MEMORY STATS). */
  figures(): MemoryFigures {
    this.refresh();
    const keyspace = this.#sources.keyspace;
    let tables = 0, keys = 0;
    for (const db of keyspace.databases) {
      if (db.size === 0) continue;
      keys += db.size;
      tables += db.mainTableBytes + db.expiresTableBytes;
    }
    const used = this.used;
    const dataset = keyspace.datasetBytes - tables;
    return {
      used,
      peak: this.#peak,
      startup: STARTUP_BYTES,
      dataset,
      overhead: used - dataset,
      clients: this.#clients - this.#replicaClients,
      replicaClients: this.#replicaClients,
      notCountedForEvict: this.#replicaOutput,
      backlog: this.#sources.backlogBytes(),
      scripts: this.#scripts,
      keys,
    };
  }

  /** CONFIG RESETSTAT: the peak starts again from now. */
  resetPeak(): void {
    this.#peak = 0;
    this.#peak = this.used;
  }
}
