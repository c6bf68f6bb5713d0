// Deno runs its event loop on tokio's current-thread runtime, which asks the OS which
// sockets are ready only when the loop runs out of work that is ready already (or
// after dozens of busy turns). A client whose every read finds more data waiting (a
// bulk load through `redis-cli --pipe`, a pipeline that never reads its replies) keeps
// work ready without end, and meanwhile no other connection is read: measured, PINGs
// waited seconds. So once the loop has been busy for a slice, every connection that
// finishes a read waits for one shared turn, and the turn ends when a byte sent over
// a private loopback connection comes back through the OS's readiness poll, the same
// poll that notices every other socket. Redis's event loop likewise serves each ready
// client in turn.
//
// A timer would do it too, but Deno's timers have millisecond resolution: a turn
// costs about 20 µs through the socket pair, a millisecond through a timer (the
// fallback until the pair is open, or when it cannot be).

/** How long the loop may stay busy before the connections give way (ms). */
export const FAIR_SLICE_MS = 2;

const ONE_BYTE = new Uint8Array(1);

/** The shared turn that lets every socket be polled. */
export class GiveWay {
  /** When the last turn ended (Date.now()). */
  lastTurn = Date.now();
  #waiting: Array<() => void> = [];
  #sent = false;
  #writer: Deno.Conn | null = null;
  #reader: Deno.Conn | null = null;
  #closed = false;

  /** True when a connection that just read at `now` should wait for a turn. */
  due(now: number): boolean {
    return now - this.lastTurn >= FAIR_SLICE_MS;
  }

  /** Resolves once the OS has been asked which sockets are ready. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (this.#sent) return;
      this.#sent = true;
      const writer = this.#writer;
      if (writer === null) setTimeout(() => this.#turnOver(), 0);
      else writer.write(ONE_BYTE).catch(() => setTimeout(() => this.#turnOver(), 0));
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

  async #readTurns(reader: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64);
    try {
      while ((await reader.read(buf)) !== null) this.#turnOver();
    } catch { /* closed */ }
    if (this.#reader === reader) this.#writer = this.#reader = null;
    this.#turnOver();
  }

  #turnOver(): void {
    this.#sent = false;
    this.lastTurn = Date.now();
    const waiting = this.#waiting;
    if (waiting.length === 0) return;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}
