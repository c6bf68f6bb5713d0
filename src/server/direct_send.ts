// Replies sent to a client's socket at once, with send(2) through Deno's FFI, instead
// of through an asynchronous `conn.write`: measured under redis-benchmark, the write
// operation's promise, its scheduling and the async functions around it cost about as
// much CPU as the commands of a batch of sixteen (the socket takes the bytes at once
// nearly always: Redis writes replies the same way, from its event loop).
//
// The socket stays Deno's: only its descriptor is borrowed, and only while nothing of
// the connection's own is being written (the caller's rule). A send that would block
// or fails hands over to `conn.write` from where it stopped, which waits for the
// socket or reports the error as before. Without the descriptor (another platform, a
// Deno whose connections keep it elsewhere) or without FFI permission (`--allow-ffi`),
// every reply goes through `conn.write`.

import { type Libc, openLibc } from "../util/libc.ts";

/** send(2)'s flag that turns SIGPIPE into an EPIPE error for this call. */
const MSG_NOSIGNAL = 0x4000;

// The C library, once a connection asked for it.
let libc: Libc | null = null;
// The symbol under which Deno's connections keep their descriptor.
let fdSymbol: symbol | null | undefined;

/**
 * The descriptor of a plain TCP connection's socket when replies can be sent to it
 * directly, else -1 (Deno 2.9 keeps none on its Unix connections).
 */
export function directSocket(conn: Deno.Conn): number {
  libc = openLibc();
  if (libc === null) return -1;
  // A TLS connection's descriptor carries ciphertext: never write to it.
  if ("handshake" in conn) return -1;
  if (fdSymbol === undefined) {
    fdSymbol = Object.getOwnPropertySymbols(conn).find((s) =>
      s.description === "Deno.internal.fd"
    ) ?? null;
  }
  if (fdSymbol === null) return -1;
  const fd = (conn as unknown as Record<symbol, unknown>)[fdSymbol];
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

/**
 * Sends bytes[0, length) on a socket from directSocket without waiting: the bytes the
 * socket took (possibly fewer), or -1 when it took none (it would block, or the
 * connection failed: `conn.write` then says which).
 */
export function sendNow(fd: number, bytes: Uint8Array, length: number): number {
  return libc!.symbols.send(fd, bytes, length, MSG_NOSIGNAL);
}
