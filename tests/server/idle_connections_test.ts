// Idle connections cost little: a connection holds a small read buffer and no reply
// buffer until it has something to send, and gives its buffers back once idle. Opens
// the same number of idle connections to real redis-server and to Redeno and prints
// the memory each costs (the figures, not a timing claim: the benchmark is for those).

import assert from "node:assert/strict";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

const CONNECTIONS = 2000;

function rssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

// Opens the connections, checks each is served (PING), lets the server settle, and
// returns the resident memory added per connection, in KB.
async function costPerConnection(server: RunningServer): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssKb(server.process.pid);
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    const ping = new TextEncoder().encode("PING\r\n");
    await Promise.all(conns.map((c) => c.write(ping)));
    const buf = new Uint8Array(16);
    for (const c of conns) {
      const n = await c.read(buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+PONG\r\n");
    }
    // Idle for longer than the 2 s after which buffers are given back.
    await new Promise((r) => setTimeout(r, 3500));
    return (rssKb(server.process.pid) - before) / CONNECTIONS;
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test({
  name: "an idle connection costs Redeno a fraction of what it did (printed next to Redis's)",
  ignore: skipWithout("redis-server"),
  async fn() {
    const redis = await startRedis(freePort(), ["--maxclients", "10000"]);
    const redeno = await startRedeno(freePort(), ["--maxclients", "10000"]);
    try {
      const redisKb = await costPerConnection(redis);
      const redenoKb = await costPerConnection(redeno);
      console.log(
        `${CONNECTIONS} idle connections: Redis +${redisKb.toFixed(1)} KB each, ` +
          `Redeno +${redenoKb.toFixed(1)} KB each`,
      );
      // Measured 12-19 KB here (RSS counts garbage V8 has not collected yet), where
      // each connection used to cost 60 KB or more.
      assert.ok(redenoKb < 32, `Redeno: ${redenoKb.toFixed(1)} KB per idle connection`);
    } finally {
      await redis.stop();
      await redeno.stop();
    }
  },
});
