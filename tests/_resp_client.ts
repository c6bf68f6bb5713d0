// A small RESP2 client for tests that want parsed replies (strings, numbers, arrays,
// nil, and Error values for error replies), plus a helper that runs a test body
// against a real redis-server started for it.

import { bytes, freePort, skipWithout, startRedis } from "./_server.ts";

/** A parsed RESP2 reply; error replies come back as Error values. */
export type Reply = string | number | null | Error | Reply[];

/** A connection that sends commands as multibulk requests and parses the replies. */
export class RespClient {
  #conn: Deno.Conn;
  #buf = "";

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects to a server on 127.0.0.1. */
  static async connect(port: number): Promise<RespClient> {
    return new RespClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends one command (arguments are one-byte strings) and returns its reply. */
  async call(...args: string[]): Promise<Reply> {
    let request = `*${args.length}\r\n`;
    for (const a of args) request += `$${a.length}\r\n${a}\r\n`;
    await this.#writeAll(bytes(request));
    return await this.reply();
  }

  /** Sends raw bytes (inline commands, for instance) without reading a reply. */
  async send(raw: string): Promise<void> {
    await this.#writeAll(bytes(raw));
  }

  // A write may take only part of a large request.
  async #writeAll(data: Uint8Array): Promise<void> {
    let at = 0;
    while (at < data.length) at += await this.#conn.write(data.subarray(at));
  }

  /** Reads the next whole reply. */
  async reply(): Promise<Reply> {
    const line = await this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return rest;
      case "-":
        return new Error(rest);
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        if (n < 0) return null;
        while (this.#buf.length < n + 2) await this.#fill();
        const s = this.#buf.slice(0, n);
        this.#buf = this.#buf.slice(n + 2);
        return s;
      }
      case "*": {
        const n = Number(rest);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) items.push(await this.reply());
        return items;
      }
    }
    throw new Error(`unexpected reply line ${JSON.stringify(line)}`);
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #line(): Promise<string> {
    let at: number;
    while ((at = this.#buf.indexOf("\r\n")) < 0) await this.#fill();
    const line = this.#buf.slice(0, at);
    this.#buf = this.#buf.slice(at + 2);
    return line;
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    for (let i = 0; i < n; i++) this.#buf += String.fromCharCode(chunk[i]);
  }
}

/**
 * Runs `body` against a real redis-server started for it (no persistence), or skips
 * with a printed reason when redis-server is missing (a failure when CI=true).
 */
export async function withRealRedis(
  body: (client: RespClient, port: number) => Promise<void>,
): Promise<void> {
  if (skipWithout("redis-server")) return;
  const redis = await startRedis(freePort());
  const client = await RespClient.connect(redis.port);
  try {
    await body(client, redis.port);
  } finally {
    client.close();
    await redis.stop("SIGKILL");
  }
}
