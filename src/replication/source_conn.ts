// A TCP connection from a chosen local address (bind-source-addr): Deno.connect cannot
// pick the source address of an outgoing connection, node:net can. The socket is
// wrapped in the small part of Deno.Conn the master link uses: read, write, close,
// its two addresses and TCP_NODELAY.

import { connect } from "node:net";
import type { Socket } from "node:net";

/** Connects to host:port from `source` (an IP address of this machine). */
export function connectFrom(host: string, port: number, source: string): Promise<Deno.Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress: source });
    const failed = (error: Error) => reject(error);
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      resolve(new SourceConn(socket) as unknown as Deno.Conn);
    });
  });
}

class SourceConn {
  readonly #socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (data: Uint8Array) => {
      this.#chunks.push(data);
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.#error = error;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error !== null) throw new Deno.errors.ConnectionReset(this.#error.message);
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const head = this.#chunks[0];
    const n = Math.min(head.length, buffer.length);
    buffer.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#ended = true;
    this.#notify();
  }

  setNoDelay(on = true): void {
    this.#socket.setNoDelay(on);
  }

  get remoteAddr(): Deno.NetAddr {
    return {
      transport: "tcp",
      hostname: this.#socket.remoteAddress ?? "",
      port: this.#socket.remotePort ?? 0,
    };
  }

  get localAddr(): Deno.NetAddr {
    return {
      transport: "tcp",
      hostname: this.#socket.localAddress ?? "",
      port: this.#socket.localPort ?? 0,
    };
  }
}
