// The server's listening sockets: TCP on every `bind` address and `port`, and the Unix
// socket (`unixsocket`, `unixsocketperm`). CONFIG SET port/bind move them while
// connected clients stay; each accepted connection goes to the server.

import type { Logger } from "../log.ts";
import { fsPath } from "../util/latin1.ts";

/** What the listeners need from the server. */
export interface ListenerHost {
  readonly config: {
    string(name: string): string;
    number(name: string): number;
    bindAddresses(): string[];
  };
  readonly log: Logger;
  /** True once the server is shutting down (accept loops then end quietly). */
  readonly stopping: boolean;
  /** A connection was accepted. */
  accept(conn: Deno.TcpConn | Deno.UnixConn): void;
}

/** A listener that could not be opened; `tcp` for a bind address and port. */
export class ListenError extends Error {
  readonly tcp: boolean;

  constructor(message: string, tcp: boolean) {
    super(message);
    this.name = "ListenError";
    this.tcp = tcp;
  }
}

/** A listening socket and the address it was opened for. */
interface Bound {
  listener: Deno.TcpListener;
  hostname: string;
  port: number;
  /** The accept loop, which ends once the listener has let go of its socket. */
  accepting?: Promise<void>;
}

/** The sockets the server listens on. */
export class Listeners {
  /** The TCP port listened on (the first address's, when port 0 picked one). */
  port = 0;
  readonly #host: ListenerHost;
  #bound: Bound[] = [];
  // The listener on `unixsocket`, and its path as configured (clients' addr shows it).
  #unix: Deno.UnixListener | null = null;
  #unixPath = "";
  // Listeners a CONFIG SET port/bind moved away from, closed once the command is over.
  #retiring = new Set<Bound>();

  constructor(host: ListenerHost) {
    this.#host = host;
  }

  /**
   * Opens the listeners on every bind address and on the Unix socket, and starts
   * accepting; throws a ListenError when one fails or there is nowhere to listen.
   */
  open(): void {
    const config = this.#host.config;
    try {
      this.#bound = this.#bind(config.bindAddresses(), config.number("port"), []);
    } catch (error) {
      throw new ListenError((error as Error).message, true);
    }
    this.port = this.#bound[0]?.port ?? config.number("port");
    try {
      this.#listenUnix();
    } catch (error) {
      for (const { listener } of this.#bound) listener.close();
      throw error;
    }
    if (this.#bound.length === 0 && this.#unix === null) {
      throw new ListenError("Configured to not listen anywhere, exiting.", false);
    }
    for (const bound of this.#bound) bound.accepting = this.#acceptLoop(bound);
    if (this.#unix !== null) this.#acceptUnix(this.#unix);
  }

  /** The path of the Unix socket listened on ("" when none). */
  get unixPath(): string {
    return this.#unixPath;
  }

  /** Closes every listener, and removes the Unix socket file (shutdown). */
  close(): void {
    for (const { listener } of [...this.#bound, ...this.#retiring]) {
      try {
        listener.close();
      } catch { /* already closed */ }
    }
    if (this.#unix !== null) {
      try {
        this.#unix.close();
      } catch { /* already closed */ }
      this.#host.log.notice("Removing the unix socket file.");
      try {
        Deno.removeSync(fsPath(this.#unixPath));
      } catch { /* gone already */ }
    }
  }

  // Listens on `unixsocket`, if set, with the permissions of unixsocketperm (octal; 0
  // leaves the umask's). A file already there is replaced, as Redis replaces it.
  #listenUnix(): void {
    // The name as configured (bytes, as CLIENT LIST shows it), and as a path.
    const name = this.#host.config.string("unixsocket");
    if (name === "") return;
    const path = fsPath(name);
    try {
      Deno.removeSync(path);
    } catch { /* nothing there, or something bind will complain about */ }
    try {
      const listener = Deno.listen({ transport: "unix", path });
      const perm = this.#host.config.number("unixsocketperm");
      try {
        if (perm !== 0) Deno.chmodSync(path, perm);
      } catch (error) {
        listener.close();
        throw error;
      }
      this.#unix = listener;
      this.#unixPath = name;
    } catch (error) {
      throw new ListenError(`Failed opening Unix socket: ${(error as Error).message}`, false);
    }
  }

  /**
   * Listens on `port` at every address, taking over a socket of `reusable` already open
   * on the same address and port. Throws, with nothing new left open, when a required
   * address (one without a leading "-") fails or none of several is left; no address
   * is no listener.
   */
  #bind(addresses: string[], port: number, reusable: readonly Bound[]): Bound[] {
    const out: Bound[] = [];
    const opened: Bound[] = [];
    // The IPv6 wildcard goes first: Deno's "::" socket is dual-stack (Redis's is IPv6
    // only), so it takes IPv4 clients too, and an IPv4 address on the same port then
    // cannot be bound, nor needs to be.
    const ipv6Wildcard = (entry: string) => entry.replace(/^-/, "") === "::*";
    addresses = [...addresses.filter(ipv6Wildcard), ...addresses.filter((a) => !ipv6Wildcard(a))];
    try {
      for (const entry of addresses) {
        const optional = entry.startsWith("-");
        const hostname = listenHostname(optional ? entry.slice(1) : entry);
        const same = reusable.find((b) =>
          b.hostname === hostname && b.port === port && !out.includes(b)
        );
        if (same !== undefined) {
          out.push(same);
          continue;
        }
        try {
          const listener = Deno.listen({ hostname, port, transport: "tcp" });
          port = (listener.addr as Deno.NetAddr).port;
          opened.push({ listener, hostname, port });
          out.push(opened[opened.length - 1]);
        } catch (error) {
          const dualStack = error instanceof Deno.errors.AddrInUse && hostname.includes(".") &&
            out.some((b) => b.hostname === "::" && b.port === port);
          if (dualStack) continue;
          if (optional) {
            this.#host.log.verbose(`Could not listen on ${hostname}:${port} (optional): ${error}`);
            continue;
          }
          throw new Error(
            `Could not create server TCP listening socket ${hostname}:${port}: ${error}`,
          );
        }
      }
      if (out.length === 0 && addresses.length > 0) {
        throw new Error("No bind address could be used");
      }
    } catch (error) {
      for (const bound of opened) bound.listener.close();
      throw error;
    }
    return out;
  }

  /**
   * Moves the listeners to the configured bind addresses and port (CONFIG SET, and its
   * undo). New sockets open before old ones close, and the old ones close only once the
   * CONFIG SET is over, so an undo takes them back: a closed Deno listener frees its port
   * only on a later turn of the event loop. They close before that turn, so a client
   * told +OK finds them closed. The price: moving between an address and a wildcard on
   * the same port (127.0.0.1 to *, or * to 127.0.0.1) fails where Redis succeeds.
   */
  rebind(failure: string): string | undefined {
    if (this.#host.stopping) return undefined;
    const previous = this.#bound;
    let bound: Bound[];
    try {
      bound = this.#bind(this.#host.config.bindAddresses(), this.#host.config.number("port"), [
        ...previous,
        ...this.#retiring,
      ]);
    } catch (error) {
      this.#host.log.warning((error as Error).message);
      return failure;
    }
    this.#bound = bound;
    this.port = bound[0]?.port ?? this.#host.config.number("port");
    for (const b of bound) {
      if (!previous.includes(b) && !this.#retiring.has(b)) b.accepting = this.#acceptLoop(b);
      this.#retiring.delete(b);
    }
    for (const b of previous) if (!bound.includes(b)) this.#retiring.add(b);
    queueMicrotask(() => {
      for (const b of this.#retiring) b.listener.close();
      this.#retiring.clear();
    });
    return undefined;
  }

  /**
   * After CONFIG SET port or bind: resolves once the listeners it moved away from have
   * let go of their sockets (a closed Deno listener does so only when its pending accept
   * ends, a moment later), so that a client told +OK finds them closed, as with Redis.
   * Null when none is closing.
   */
  closing(): Promise<void> | null {
    if (this.#retiring.size === 0) return null;
    return Promise.all([...this.#retiring].map((b) => b.accepting)).then(() => {});
  }

  async #acceptUnix(listener: Deno.UnixListener): Promise<void> {
    try {
      for await (const conn of listener) this.#host.accept(conn);
    } catch (error) {
      if (!this.#host.stopping) this.#host.log.warning(`Accept loop failed: ${error}`);
    }
  }

  async #acceptLoop(bound: Bound): Promise<void> {
    try {
      for await (const conn of bound.listener) {
        // Accepted just before the listener closed (it is moved away): not served.
        if (this.#bound.includes(bound)) this.#host.accept(conn);
        else conn.close();
      }
    } catch (error) {
      // A listener closed after a move ends its loop quietly.
      if (!this.#host.stopping && this.#bound.includes(bound)) {
        this.#host.log.warning(`Accept loop failed: ${error}`);
      }
    }
  }
}

// An IPv4 client of a dual-stack "::" listener shows as "::ffff:a.b.c.d": shown and
// checked (protected mode) as the "a.b.c.d" Redis's IPv4 socket would see.
export function plainHost(hostname: string): string {
  return hostname.startsWith("::ffff:") && hostname.includes(".") ? hostname.slice(7) : hostname;
}

// Redis's wildcards: "*" is every IPv4 address, "::*" every IPv6 address.
function listenHostname(address: string): string {
  if (address === "*") return "0.0.0.0";
  if (address === "::*") return "::";
  return address;
}

// Redis writes IPv6 addresses without brackets too ("::1:53422").
export function formatAddr(addr: Deno.NetAddr): string {
  return `${plainHost(addr.hostname)}:${addr.port}`;
}
