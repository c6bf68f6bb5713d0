// A subscriber that never reads: client-output-buffer-limit pubsub must drop it, keep
// the server's memory bounded and other clients served. Each case runs against Redeno
// and, when installed, against real redis-server with the same load and bounds.

import assert from "node:assert/strict";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";
import {
  describeLoad,
  type LoadOptions,
  type LoadResult,
  slowSubscriberLoad,
} from "./_slow_subscriber.ts";

const MB = 1024 * 1024;
const MESSAGE = 8192;
/** The worst PING allowed while the subscriber's buffer fills. */
const PING_BOUND_MS = 200;

async function underLoad(
  limit: string,
  options: LoadOptions,
  check: (r: LoadResult, name: string) => void,
): Promise<void> {
  const starts: [string, (port: number, args: string[]) => Promise<RunningServer>][] = [
    ["redeno", startRedeno],
  ];
  if (!skipWithout("redis-server")) starts.push(["redis", startRedis]);
  for (const [name, start] of starts) {
    const server = await start(freePort(), ["--client-output-buffer-limit", limit]);
    try {
      const r = await slowSubscriberLoad(server, options);
      console.log(`${name}: ${describeLoad(r)}`);
      check(r, name);
    } finally {
      await server.stop();
    }
  }
}

// What every case expects once the subscriber is over its limit.
function assertDropped(r: LoadResult, name: string): void {
  const what = `${name}: ${describeLoad(r)}`;
  assert.ok(r.disconnected, `the subscriber still received messages: ${what}`);
  assert.equal(r.listedAfter, false, `CLIENT LIST still shows the subscriber: ${what}`);
  assert.equal(r.connectedAfter, 3, `connected_clients is not back to 3: ${what}`);
  assert.equal(r.receiversAfter, 0, `PUBLISH still reaches someone: ${what}`);
  assert.ok(r.pings > 0, `no PING was answered: ${what}`);
  assert.ok(r.worstPingMs < PING_BOUND_MS, `a PING took ${r.worstPingMs} ms: ${what}`);
}

Deno.test({
  name: "a subscriber that never reads is dropped at the hard limit, memory stays bounded",
  fn: () =>
    underLoad(
      "pubsub 4mb 2mb 2",
      // 160 MB if nothing stopped it.
      { messageBytes: MESSAGE, maxMessages: 20000, maxMs: 15000 },
      (r, name) => {
        assertDropped(r, name);
        const what = `${name}: ${describeLoad(r)}`;
        // Checked at every message: never more than one message past the limit (the
        // samples can only see less than the true peak).
        assert.ok(r.peakOutputBuffer <= 4 * MB + MESSAGE + 64, `omem went past 4mb: ${what}`);
        // What the socket absorbs comes on top of the limit; 160 MB would be unbounded.
        assert.ok(r.bytesPublished < 32 * MB, `dropped too late: ${what}`);
        assert.ok(r.peakRss - r.baselineRss < 48 * MB, `RSS grew too much: ${what}`);
        assert.ok(r.msToDisconnect < 5000, `dropped too late: ${what}`);
      },
    ),
});

Deno.test({
  name: "a subscriber kept over the soft limit for longer than its seconds is dropped",
  fn: () =>
    underLoad(
      "pubsub 32mb 1mb 2",
      // 3 MB/s: past what the socket absorbs and the soft limit within a couple of
      // seconds, far from the hard limit two seconds later.
      { messageBytes: MESSAGE, maxMessages: 20000, maxMs: 15000, bytesPerSecond: 3 * MB },
      (r, name) => {
        assertDropped(r, name);
        const what = `${name}: ${describeLoad(r)}`;
        assert.ok(r.peakOutputBuffer < 32 * MB, `the hard limit was reached: ${what}`);
        assert.ok(r.peakOutputBuffer > 1 * MB, `never over the soft limit: ${what}`);
        assert.ok(r.msToDisconnect >= 2000, `dropped before the soft seconds: ${what}`);
      },
    ),
});
