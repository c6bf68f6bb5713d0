// Deno runs its event loop on tokio's current-thread runtime, which asks the OS which
// sockets are ready only when the loop runs out of work that is ready already (or
// after dozens of busy turns). A client whose every read finds more data waiting (a
// bulk load through `redis-cli --pipe`, a pipeline that never reads its replies) keeps
// work ready without end, and meanwhile no other connection is read: measured, PINGs
// waited seconds. So a byte goes over a private loopback connection now and then: it
// comes back only through the OS's readiness poll, the same poll that notices every
// other socket. While it is out for longer than a slice, the loop has not polled, and
// every connection that finishes a read waits for it (one shared turn) before reading
// on. Redis's event loop likewise serves each ready client in turn.
//
// A timer would do it too, but Deno's timers have millisecond resolution: a turn
// costs about 20 µs through the socket pair, a millisecond through a timer (the
// fallback until the pair is open, or when it cannot be: then turns come every 50 ms).

/** How long the loop may stay busy before the connections give way (ms). */
export const FAIR_SLICE_MS = 2;
// Without the pair, turns go through a timer, which costs a millisecond each: fewer.
const TIMER_SLICE_MS = 50;

const ONE_BYTE = new Uint8Array(1);

/** The shared turn that lets every socket be polled. */
export class GiveWay {
  /** When the OS was last seen polled for ready sockets (Date.now()). */
  lastTurn = Date.now();
  #waiting: Array<() => void> = [];
  // When the byte now on its way was sent (0: none is).
  #sentAt = 0;
  #writer: Deno.Conn | null = null;
  #reader: Deno.Conn | null = null;
  #closed = false;

  /**
   * Called as a connection finishes a read at `now`: true when it should wait for a
   * turn. A slice after the last poll seen, a byte is sent through the pair; if it has
   * not come back a slice later, the loop has not polled since, and it is time.
   * Without the pair (a timer does the turns), 50 ms after the last turn.
   */
  due(now: number): boolean {
    if (this.#writer === null) return now - this.lastTurn >= TIMER_SLICE_MS;
    if (this.#sentAt !== 0) return now - this.#sentAt >= FAIR_SLICE_MS;
    if (now - this.lastTurn >= FAIR_SLICE_MS) this.#send(now);
    return false;
  }

  /** Resolves once the OS has been asked which sockets are ready. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (this.#sentAt === 0) this.#send(Date.now());
    });
  }

  /** Opens the loopback pair; until it is open (or if it cannot be), turns use a timer. */
  async open(): Promise<void> {
    let listener: Deno.Listener | null = null;
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      const [writer, reader] = await Promise.all([
        Deno.connect({ hostname: "127.0.0.1", port }),
        listener.accept(),
      ]);
      if (this.#closed) {
        writer.close();
        reader.close();
        return;
      }
      writer.setNoDelay(true);
      // The pair's pending read must not keep the process alive.
      reader.unref();
      this.#writer = writer;
      this.#reader = reader;
      this.#readTurns(reader);
    } catch {
      // No loopback: the timer it is.
    } finally {
      listener?.close();
    }
  }

  close(): void {
    this.#closed = true;
    for (const conn of [this.#writer, this.#reader]) {
      try {
        conn?.close();
      } catch { /* closed already */ }
    }
    this.#writer = this.#reader = null;
  }

  // Sends the byte that comes back through the next poll (or arms the timer).
  #send(now: number): void {
    this.#sentAt = now;
    const writer = this.#writer;
    if (writer === null) setTimeout(() => this.#turnOver(), 0);
    else writer.write(ONE_BYTE).catch(() => setTimeout(() => this.#turnOver(), 0));
  }

  async #readTurns(reader: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64);
    try {
      while ((await reader.read(buf)) !== null) this.#turnOver();
    } catch { /* closed */ }
    if (this.#reader === reader) this.#writer = this.#reader = null;
    this.#turnOver();
  }

  #turnOver(): void {
    this.#sentAt = 0;
    this.lastTurn = Date.now();
    const waiting = this.#waiting;
    if (waiting.length === 0) return;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}
