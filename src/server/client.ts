// Per-connection state: the decoder and reply buffers, the selected database, and the
// facts CLIENT LIST reports. Implements the Session interface commands work with.

import type { ServerApi, Session, SessionFacts } from "../commands/context.ts";
import { RequestDecoder } from "../protocol/decoder.ts";
import { ReplyWriter } from "../protocol/reply_writer.ts";
import type { Database } from "../store/keyspace.ts";

/** Where a client connected from and to. */
export interface Endpoints {
  addr: string;
  laddr: string;
  fd: number;
}

/** One connected client. */
export class Client implements Session, SessionFacts {
  readonly id: number;
  readonly reply = new ReplyWriter();
  readonly decoder: RequestDecoder;
  readonly server: ServerApi;
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly createdAt = Date.now();
  db: Database;
  name = "";
  authenticated: boolean;
  lastInteraction = this.createdAt;
  lastCommand = "NULL";
  /** Set once the connection must end after the pending replies are sent. */
  closing = false;
  /** True while one of this client's commands runs. */
  running = false;
  #conn: Deno.Conn | null;
  #flushing: Promise<void> | null = null;
  #onBytesOut: (n: number) => void;

  constructor(
    id: number,
    conn: Deno.Conn | null,
    server: ServerApi,
    options: { endpoints: Endpoints; db: Database; onBytesOut?: (n: number) => void },
  ) {
    this.id = id;
    this.#conn = conn;
    this.server = server;
    this.addr = options.endpoints.addr;
    this.laddr = options.endpoints.laddr;
    this.fd = options.endpoints.fd;
    this.db = options.db;
    this.#onBytesOut = options.onBytesOut ?? (() => {});
    this.authenticated = server.config.string("requirepass") === "";
    this.decoder = new RequestDecoder({
      maxBulkLength: server.config.number("proto-max-bulk-len"),
    });
    this.decoder.unauthenticated = !this.authenticated;
  }

  get facts(): SessionFacts {
    return this;
  }

  get queryBuffer(): number {
    return this.decoder.buffered;
  }

  get queryBufferFree(): number {
    return this.decoder.capacity - this.decoder.buffered;
  }

  get outputBuffer(): number {
    return this.reply.length;
  }

  setProtocol(version: 2 | 3): void {
    this.reply.resp = version;
  }

  /**
   * Ends the connection. The client running the current command (QUIT) closes after
   * its replies are flushed; any other client (CLIENT KILL) is closed at once.
   */
  close(): void {
    if (this.running) this.closing = true;
    else this.closeNow();
  }

  /** Closes the socket now, dropping unsent replies. */
  closeNow(): void {
    this.closing = true;
    this.reply.discard();
    try {
      this.#conn?.close();
    } catch {
      // Already closed.
    }
    this.#conn = null;
  }

  /** Sends every pending reply; concurrent callers share one flush. */
  flush(): Promise<void> {
    if (this.#flushing === null) {
      this.#flushing = this.#drain().finally(() => {
        this.#flushing = null;
      });
    }
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    while (this.reply.length > 0 && this.#conn !== null) {
      const chunk = this.reply.take();
      try {
        let offset = 0;
        while (offset < chunk.length) {
          offset += await this.#conn.write(chunk.subarray(offset));
        }
        this.#onBytesOut(chunk.length);
      } finally {
        this.reply.release(chunk);
      }
    }
  }
}
