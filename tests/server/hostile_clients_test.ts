// Hostile clients against a real Redeno process: one that pipelines without ever
// reading, ones that hold half-sent requests and huge declared lengths open, one that
// disconnects in the middle of a pipeline, and a MONITOR that never reads. Meanwhile
// another client's PINGs are timed and the server's memory is watched; the figures
// are printed (worst PING, resident memory high-water). And a bulk load through
// `redis-cli --pipe`, whose every read finds more waiting, must not hold the PINGs
// back either.

import assert from "node:assert/strict";
import { freePort, rssOf, type RunningServer, skipWithout, startRedeno } from "../_server.ts";

const encoder = new TextEncoder();

/** PINGs every 50 ms on its own connection until stopped; worst time and memory peak. */
function watch(server: RunningServer) {
  let running = true;
  const figures = { worstPingMs: 0, pings: 0, rssHighMb: 0 };
  const done = (async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const buf = new Uint8Array(64);
    try {
      while (running) {
        const at = performance.now();
        await conn.write(encoder.encode("PING\r\n"));
        const n = await conn.read(buf);
        assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+PONG\r\n");
        figures.worstPingMs = Math.max(figures.worstPingMs, performance.now() - at);
        figures.pings++;
        figures.rssHighMb = Math.max(figures.rssHighMb, rssOf(server.process.pid) / 1048576);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      conn.close();
    }
  })();
  return {
    figures,
    async stop() {
      running = false;
      await done;
      return figures;
    },
  };
}

// Writes whole requests as fast as the socket takes them, never reading, for `ms`;
// the bytes written.
async function pipelineWithoutReading(port: number, ms: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunk = encoder.encode("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".repeat(2000));
  let written = 0;
  const deadline = Date.now() + ms;
  // A write that never completes (the server stopped reading) ends the wait at the
  // deadline; a partial write is continued, so that the stream stays well formed.
  const timeUp = new Promise<null>((r) => setTimeout(() => r(null), ms));
  try {
    let offset = 0;
    while (Date.now() < deadline) {
      const wrote = await Promise.race([conn.write(chunk.subarray(offset)), timeUp]);
      if (wrote === null) break;
      written += wrote;
      offset = (offset + wrote) % chunk.length;
    }
  } catch {
    // Closed by the server: counted by the caller's checks.
  } finally {
    conn.close();
  }
  return written;
}

Deno.test("hostile clients: the server keeps serving others with bounded memory", async () => {
  const server = await startRedeno(freePort(), [
    "--client-output-buffer-limit",
    "normal 4mb 0 0",
  ]);
  const port = server.port;
  const watcher = watch(server);
  const held: Deno.Conn[] = [];
  try {
    // Half-sent requests and huge declared lengths, held open.
    for (let i = 0; i < 20; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(encoder.encode(
        i % 2 === 0 ? "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\nabc" : "*3\r\n$3\r\nSE",
      ));
      held.push(conn);
    }
    // A MONITOR that never reads, while a client writes: dropped at the normal
    // class's 4 MB limit.
    const monitor = await Deno.connect({ hostname: "127.0.0.1", port });
    await monitor.write(encoder.encode("MONITOR\r\n"));
    held.push(monitor);
    // A client that pipelines for 3 s without reading: its unsent replies pile up in
    // its output buffer until the normal class's 4 MB limit drops it, as in Redis.
    const pipelineStart = Date.now();
    const written = await pipelineWithoutReading(port, 3000);
    // A client that goes away in the middle of a pipeline.
    const leaver = await Deno.connect({ hostname: "127.0.0.1", port });
    await leaver.write(encoder.encode("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n".repeat(5000)));
    leaver.close();
    // Watch for the whole 3 s even when the pipelining client was dropped early.
    const left = pipelineStart + 3000 - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    const figures = await watcher.stop();
    console.log(
      `pipelined ${(written / 1048576).toFixed(0)} MB unread; worst PING ` +
        `${figures.worstPingMs.toFixed(1)} ms over ${figures.pings}; RSS high-water ` +
        `${figures.rssHighMb.toFixed(0)} MB`,
    );
    assert.ok(figures.pings >= 20, `only ${figures.pings} PINGs answered`);
    assert.ok(figures.worstPingMs < 500, `a PING took ${figures.worstPingMs} ms`);
    assert.ok(figures.rssHighMb < 400, `the server grew to ${figures.rssHighMb} MB`);
    // The MONITOR was dropped: its socket reaches its end after the queued output.
    const buf = new Uint8Array(1 << 16);
    let end = false;
    for (let i = 0; i < 1000 && !end; i++) end = (await monitor.read(buf)) === null;
    assert.ok(end, "the MONITOR that never read is still connected");
    // A held half-sent request still completes when the rest arrives.
    const last = held[1];
    await last.write(encoder.encode("T\r\n$1\r\nk\r\n$1\r\nv\r\n"));
    const n = await last.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+OK\r\n");
  } finally {
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
    await server.stop();
  }
});

Deno.test("hostile clients: a bulk load through redis-cli --pipe does not hold the others back", async () => {
  if (skipWithout("redis-cli")) return;
  const server = await startRedeno(freePort());
  // About 1.3 million SETs over 1000 keys, read from a file: redis-cli sends them
  // faster than they are served, so every read of the server finds more waiting.
  const rounds = 1300;
  const file = await Deno.makeTempFile({ suffix: ".resp" });
  const requests = Array.from(
    { length: 1000 },
    (_, i) => `*3\r\n$3\r\nSET\r\n$8\r\nbulk:${String(i).padStart(3, "0")}\r\n$5\r\nvalue\r\n`,
  ).join("");
  await Deno.writeTextFile(file, requests.repeat(rounds));
  const watcher = watch(server);
  try {
    const loadStart = performance.now();
    const { stdout } = await new Deno.Command("sh", {
      args: ["-c", `exec redis-cli -p ${server.port} --pipe < "${file}"`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const loadMs = performance.now() - loadStart;
    const figures = await watcher.stop();
    console.log(
      `bulk load of ${rounds * 1000} SETs in ${loadMs.toFixed(0)} ms; worst PING ` +
        `${figures.worstPingMs.toFixed(1)} ms over ${figures.pings}`,
    );
    assert.match(new TextDecoder().decode(stdout), new RegExp(`errors: 0, replies: ${rounds}000`));
    // The watcher PINGs every 50 ms: while the load runs, at least one PING per 100 ms
    // must come back (how long the load takes depends on the machine, not the count).
    const expected = Math.max(3, Math.floor(loadMs / 100));
    assert.ok(figures.pings >= expected, `only ${figures.pings} PINGs answered in ${loadMs} ms`);
    assert.ok(figures.worstPingMs < 500, `a PING took ${figures.worstPingMs} ms`);
  } finally {
    await watcher.stop();
    await server.stop();
    await Deno.remove(file);
  }
});
