// Client-side caching (CLIENT TRACKING): which clients may hold which keys, and the
// invalidation messages sent when those keys change.
// TODO(#8): being written; this skeleton only fixes the interface the server calls.

import type { ReplyWriter } from "../protocol/reply_writer.ts";

/** A client as tracking sees it. */
export interface TrackedClient {
  readonly id: number;
  readonly reply: ReplyWriter;
}

/** The server-wide tracking table. */
export class Tracking {
  /** True while at least one client has tracking on (the server skips all calls otherwise). */
  get enabled(): boolean {
    return false;
  }

  /** After a read-only command of a client with tracking on: it may now cache `keys`. */
  keysRead(_client: TrackedClient, _keys: readonly string[]): void {}

  /** A key changed (written, deleted, expired); `by` is the writer, null for expiry. */
  keyChanged(_key: string, _by: TrackedClient | null): void {}

  /** FLUSHDB/FLUSHALL: every tracking client is told to drop everything. */
  flushed(_by: TrackedClient | null): void {}

  /** Before output goes out: sends the invalidations gathered for BCAST clients. */
  beforeFlush(): void {}

  /** A client disconnected. */
  clientClosed(_client: TrackedClient): void {}
}
