// The connections MIGRATE sends its keys over, and the blocking exchanges on them.
//
// Redis's MIGRATE stops the whole server while it connects, writes and waits for the
// target's replies. Deno has no blocking sockets, so a worker thread does the socket
// I/O while the main thread waits on a flag in shared memory (Atomics.wait, as DEBUG
// SLEEP waits): nothing else runs meanwhile, exactly as in Redis, and MIGRATE works
// the same inside MULTI/EXEC and scripts, which cannot wait for a promise.
//
// Connections are kept for reuse as Redis keeps them (INFO's migrate_cached_sockets):
// one per "host:port" as written, at most 64 (a random one is closed to make room),
// each closed once unused for more than 10 seconds. The worker's code is the function
// `socketWorker` below, run from a Blob URL, so `deno compile` needs nothing extra.

import type { Logger } from "../log.ts";

/** Redis's MIGRATE_SOCKET_CACHE_ITEMS and MIGRATE_SOCKET_CACHE_TTL (seconds). */
const CACHE_ITEMS = 64;
const CACHE_TTL_SECONDS = 10;
/** The worker is stopped once no connection is cached and it was idle this long. */
const WORKER_IDLE_MS = 10_000;
/** Past the timeouts the worker keeps itself, the time to declare it stuck. */
const WORKER_GRACE_MS = 10_000;
/** Redis writes the request in chunks of this size, each with the full timeout. */
const WRITE_CHUNK = 64 * 1024;
/** The longest timeout setTimeout takes as given. */
const MAX_TIMER_MS = 2 ** 31 - 1;

// The result area shared with the worker: int32 words, then one byte per reply line
// (1: an error reply), then the first error line read (at most 1023 bytes).
const DONE = 0; // 0 while the worker works, then 1
const STATUS = 1; // connect: 0 connected, 1 failed; exchange: 0 ok, 1 write failed, 2 read failed
const TIMED_OUT = 2; // 1 when the failure was a timeout
const LINES_READ = 3;
const ERROR_LENGTH = 4; // length of the first error line, -1 when none
const HEADER_BYTES = 20;
const LINE_MAX = 1023;

/** A connection to a target, as the cache holds it. */
export interface CachedSocket {
  /** "host:port", the arguments as written. */
  readonly name: string;
  readonly id: number;
  /** The database last selected on it; -1 when none is known (new, or after an error). */
  lastDb: bigint;
  /** Unix seconds of its last use. */
  lastUse: number;
}

/** What one exchange on a connection found. */
export interface ExchangeResult {
  /** null when the request was written and every reply line read. */
  failure: null | "write" | "read";
  /** The failure was a timeout (Redis then does not try again). */
  timedOut: boolean;
  /** For each reply line read, in order: true when it is an error reply. */
  errors: boolean[];
  /** The first error line read (one-byte string, its '-' included), or null. */
  firstError: string | null;
}

/** One server's MIGRATE connections and the worker thread that drives them. */
export class MigrateSockets {
  readonly #log: Logger;
  readonly #cache = new Map<string, CachedSocket>();
  #worker: Worker | null = null;
  #workerUrl = "";
  #nextId = 1;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastCall = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** How many connections are cached (INFO migrate_cached_sockets). */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The connection to `host`:`port`, cached or new; null when no connection could be
   * started (the host does not resolve, the port is not one): Redis's "error or timeout
   * connecting". As in Redis, a refused or unanswered connection attempt still gives
   * a socket, whose first write then fails.
   */
  socket(host: string, port: string, timeoutMs: number): CachedSocket | null {
    const name = `${host}:${port}`;
    const now = unixSeconds();
    const cached = this.#cache.get(name);
    if (cached !== undefined) {
      cached.lastUse = now;
      return cached;
    }
    if (this.#cache.size >= CACHE_ITEMS) {
      const victims = [...this.#cache.values()];
      this.close(victims[Math.floor(Math.random() * victims.length)]);
    }
    const id = this.#nextId++;
    const timeout = Math.min(timeoutMs, MAX_TIMER_MS);
    const result = this.#call(
      { op: "connect", id, hostname: host, port: targetPort(port), timeout },
      0,
      timeout + WORKER_GRACE_MS,
    );
    if (result === null || result[STATUS] !== 0) return null;
    const socket: CachedSocket = { name, id, lastDb: -1n, lastUse: now };
    this.#cache.set(name, socket);
    return socket;
  }

  /**
   * Writes `request` on the connection (64 KB at a time, each within the timeout),
   * then reads `lines` reply lines, each byte within the timeout. Stops at the first
   * failure; the caller closes the connection then.
   */
  exchange(
    socket: CachedSocket,
    request: Uint8Array,
    lines: number,
    timeoutMs: number,
  ): ExchangeResult {
    const timeout = Math.min(timeoutMs, MAX_TIMER_MS);
    const steps = 1 + Math.ceil(request.length / WRITE_CHUNK) + lines;
    const result = this.#call(
      { op: "exchange", id: socket.id, data: request, lines, timeout },
      lines,
      Math.min(timeout * steps + WORKER_GRACE_MS, Number.MAX_SAFE_INTEGER),
      [request.buffer as ArrayBuffer],
    );
    if (result === null) return { failure: "read", timedOut: true, errors: [], firstError: null };
    const status = result[STATUS];
    const read = result[LINES_READ];
    const flags = new Uint8Array(result.buffer, HEADER_BYTES, lines);
    const errors: boolean[] = [];
    for (let i = 0; i < read; i++) errors.push(flags[i] === 1);
    const length = result[ERROR_LENGTH];
    let firstError: string | null = null;
    if (length >= 0) {
      const text = new Uint8Array(result.buffer, HEADER_BYTES + lines, length);
      firstError = String.fromCharCode(...text);
    }
    return {
      failure: status === 0 ? null : status === 1 ? "write" : "read",
      timedOut: result[TIMED_OUT] === 1,
      errors,
      firstError,
    };
  }

  /** Closes a connection and forgets it (Redis's migrateCloseSocket). */
  close(socket: CachedSocket): void {
    if (this.#cache.get(socket.name) !== socket) return;
    this.#cache.delete(socket.name);
    this.#worker?.postMessage({ op: "close", id: socket.id });
  }

  // Runs one operation on the worker and waits for it: the shared result words, or
  // null when the worker did not answer in time (it is then replaced, and every cached
  // connection, which it held, is forgotten).
  #call(
    message: Record<string, unknown>,
    lines: number,
    deadlineMs: number,
    transfer: Transferable[] = [],
  ): Int32Array | null {
    const worker = this.#startWorker();
    const shared = new SharedArrayBuffer(HEADER_BYTES + lines + LINE_MAX + 1);
    const words = new Int32Array(shared, 0, HEADER_BYTES / 4);
    worker.postMessage({ ...message, shared }, transfer);
    Atomics.wait(words, DONE, 0, deadlineMs);
    this.#lastCall = performance.now();
    if (Atomics.load(words, DONE) === 1) return words;
    this.#log.warning("MIGRATE: the socket worker did not answer in time; starting a new one");
    this.#stopWorker();
    return null;
  }

  #startWorker(): Worker {
    if (this.#worker !== null) return this.#worker;
    const source = `(${socketWorker.toString()})();`;
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    // The URL stays valid while the worker lives: it may load after this returns.
    const worker = new Worker(url, { type: "module" });
    this.#workerUrl = url;
    worker.onerror = (event) => {
      event.preventDefault();
      this.#log.warning(`MIGRATE: the socket worker failed: ${event.message}`);
    };
    this.#worker = worker;
    // Idle connections are closed once a second, as Redis's cron closes them.
    const timer = setInterval(() => this.#closeIdle(), 1000);
    Deno.unrefTimer(timer);
    this.#timer = timer;
    return worker;
  }

  #stopWorker(): void {
    this.#worker?.terminate();
    this.#worker = null;
    if (this.#workerUrl !== "") URL.revokeObjectURL(this.#workerUrl);
    this.#workerUrl = "";
    this.#cache.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #closeIdle(): void {
    const now = unixSeconds();
    for (const socket of [...this.#cache.values()]) {
      if (now - socket.lastUse > CACHE_TTL_SECONDS) this.close(socket);
    }
    if (this.#cache.size === 0 && performance.now() - this.#lastCall > WORKER_IDLE_MS) {
      this.#stopWorker();
    }
  }
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The TCP port Redis ends up connecting to for MIGRATE's port argument: C's atoi
 * (leading blanks, a sign, digits up to the first other character, a 64-bit clamp,
 * then an int's low 32 bits), printed back and read by getaddrinfo, which keeps the
 * low 16 bits, except -1, which it refuses (returned as -1: the connection fails).
 */
export function targetPort(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/.exec(text)!;
  let n = match[2] === "" ? 0n : BigInt(match[2]);
  if (match[1] === "-") n = -n;
  const LONG_MAX = 2n ** 63n - 1n;
  if (n > LONG_MAX) n = LONG_MAX;
  if (n < -LONG_MAX - 1n) n = -LONG_MAX - 1n;
  const int = Number(BigInt.asIntN(32, n));
  return int === -1 ? -1 : int & 0xffff;
}

/**
 * The worker thread (its source is this function's text, so it may use nothing from
 * outside it). Operations come as messages and run one at a time; each writes its
 * result into the shared area it brings and wakes the main thread.
 */
function socketWorker(): void {
  const DONE = 0, STATUS = 1, TIMED_OUT = 2, LINES_READ = 3, ERROR_LENGTH = 4;
  const HEADER_BYTES = 20, LINE_MAX = 1023, WRITE_CHUNK = 64 * 1024;
  const TIMEOUT = Symbol("timeout");

  interface Link {
    conn: Deno.Conn | null;
    /** A connection attempt that outlived the connect timeout. */
    connecting: Promise<Deno.Conn> | null;
    /** Refused: every write fails, as on Redis's socket. */
    refused: boolean;
    /** Bytes read past the last reply line. */
    pending: Uint8Array;
  }
  interface Message {
    op: "connect" | "exchange" | "close";
    id: number;
    hostname: string;
    port: number;
    timeout: number;
    data: Uint8Array;
    lines: number;
    shared: SharedArrayBuffer;
  }

  const links = new Map<number, Link>();
  let queue = Promise.resolve();

  globalThis.addEventListener("message", (event) => {
    const message = (event as MessageEvent<Message>).data;
    queue = queue.then(() => run(message));
  });

  async function run(message: Message): Promise<void> {
    if (message.op === "close") {
      drop(message.id);
      return;
    }
    const words = new Int32Array(message.shared, 0, HEADER_BYTES / 4);
    try {
      if (message.op === "connect") await connect(message, words);
      else await exchange(message, words);
    } catch {
      words[STATUS] = message.op === "connect" ? 1 : 2;
    } finally {
      Atomics.store(words, DONE, 1);
      Atomics.notify(words, DONE);
    }
  }

  function race<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  function settle<T>(work: Promise<T>): Promise<{ ok: T } | { error: unknown }> {
    return work.then((ok) => ({ ok }), (error) => ({ error }));
  }

  function drop(id: number): void {
    const link = links.get(id);
    if (link === undefined) return;
    links.delete(id);
    try {
      link.conn?.close();
    } catch {
      // Closed already.
    }
    link.connecting?.then((conn) => conn.close(), () => {});
  }

  async function connect(message: Message, words: Int32Array): Promise<void> {
    const link: Link = { conn: null, connecting: null, refused: false, pending: new Uint8Array(0) };
    // Names getaddrinfo refuses (Deno would take "[::1]"), or a port it refuses.
    if (message.port < 0 || /[[\]]/.test(message.hostname)) {
      words[STATUS] = 1;
      return;
    }
    if (message.port === 0) {
      link.refused = true;
    } else {
      const attempt = Deno.connect({ hostname: message.hostname, port: message.port });
      const outcome = await race(settle(attempt), message.timeout);
      if (outcome === TIMEOUT) {
        // Redis's connect gives up waiting but keeps the socket; its write then waits.
        link.connecting = attempt;
        attempt.catch(() => {});
      } else if ("ok" in outcome) {
        link.conn = outcome.ok;
        outcome.ok.setNoDelay(true);
      } else if (outcome.error instanceof Deno.errors.ConnectionRefused) {
        link.refused = true;
      } else {
        words[STATUS] = 1;
        return;
      }
    }
    links.set(message.id, link);
    words[STATUS] = 0;
  }

  async function exchange(message: Message, words: Int32Array): Promise<void> {
    const { timeout, data, lines } = message;
    const flags = new Uint8Array(message.shared, HEADER_BYTES, lines);
    const text = new Uint8Array(message.shared, HEADER_BYTES + lines, LINE_MAX);
    words[ERROR_LENGTH] = -1;
    const link = links.get(message.id);
    const fail = (status: number, timedOut: boolean) => {
      words[STATUS] = status;
      words[TIMED_OUT] = timedOut ? 1 : 0;
      if (link !== undefined) drop(message.id);
    };
    if (link === undefined) return fail(1, false);
    if (link.connecting !== null) {
      const outcome = await race(settle(link.connecting), timeout);
      // Still not connected: dropping the link closes the socket if it ever connects.
      if (outcome === TIMEOUT) return fail(1, true);
      link.connecting = null;
      if ("ok" in outcome) link.conn = outcome.ok;
      else link.refused = true;
    }
    const conn = link.conn;
    if (link.refused || conn === null) return fail(1, false);
    for (let at = 0; at < data.length; at += WRITE_CHUNK) {
      const chunk = data.subarray(at, Math.min(data.length, at + WRITE_CHUNK));
      const outcome = await race(settle(writeAll(conn, chunk)), timeout);
      if (outcome === TIMEOUT) return fail(1, true);
      if ("error" in outcome) return fail(1, false);
    }
    for (let i = 0; i < lines; i++) {
      const line = await readLine(link, conn, timeout);
      if (line === TIMEOUT) return fail(2, true);
      // An empty line counts as a failed read, as in Redis.
      if (line === null || line.length === 0) return fail(2, false);
      words[LINES_READ] = i + 1;
      if (line[0] !== 45) continue;
      flags[i] = 1;
      if (words[ERROR_LENGTH] < 0) {
        // Without its CR, as Redis keeps it.
        const end = line[line.length - 1] === 13 ? line.length - 1 : line.length;
        text.set(line.subarray(0, end));
        words[ERROR_LENGTH] = end;
      }
    }
    words[STATUS] = 0;
  }

  async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
  }

  // One reply line as Redis's syncReadLine reads it: up to LINE_MAX bytes; the bytes
  // before the '\n' (CR included), or LINE_MAX bytes when no '\n' comes in time.
  // null at the end of the stream or on an error.
  async function readLine(
    link: Link,
    conn: Deno.Conn,
    timeout: number,
  ): Promise<Uint8Array | null | typeof TIMEOUT> {
    const chunk = new Uint8Array(16 * 1024);
    while (true) {
      const pending = link.pending;
      const newline = pending.subarray(0, LINE_MAX).indexOf(10);
      if (newline >= 0) {
        link.pending = pending.subarray(newline + 1);
        return pending.subarray(0, newline);
      }
      if (pending.length >= LINE_MAX) {
        link.pending = pending.subarray(LINE_MAX);
        return pending.subarray(0, LINE_MAX);
      }
      const outcome = await race(settle(conn.read(chunk)), timeout);
      if (outcome === TIMEOUT) return TIMEOUT;
      if ("error" in outcome || outcome.ok === null) return null;
      const grown = new Uint8Array(pending.length + outcome.ok);
      grown.set(pending);
      grown.set(chunk.subarray(0, outcome.ok), pending.length);
      link.pending = grown;
    }
  }
}
