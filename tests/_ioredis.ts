// An ioredis client for the end-to-end tests: loopback, connected on demand, no retries
// (a test should fail, not wait, when the server is gone).

import { Redis } from "npm:ioredis@5";

/** Options a test may change: the database, and integer replies kept as text. */
export interface IoredisOptions {
  db?: number;
  /** Integer replies as strings, so 64-bit values arrive exactly. */
  stringNumbers?: boolean;
}

/** A client for the server on `port`; call `connect()` before use (lazyConnect). */
export function ioredis(port: number, options: IoredisOptions = {}): Redis {
  return new Redis({
    host: "127.0.0.1",
    port,
    db: options.db ?? 0,
    stringNumbers: options.stringNumbers ?? false,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}
