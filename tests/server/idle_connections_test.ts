// Idle connections cost little: a connection's pending read lands in a 1 KB buffer,
// and it has no query or reply buffer until data comes and goes. Opens the same number
// of idle connections to real redis-server and to Redeno and prints the memory each
// costs (the figures, not a timing claim: the benchmark is for those).

import assert from "node:assert/strict";
import {
  call,
  freePort,
  rssOf,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

const CONNECTIONS = 2000;

// Opens the connections and leaves them idle (nothing sent), checks the server holds
// them all, and returns the resident memory added per connection, in KB.
async function costPerConnection(server: RunningServer): Promise<number> {
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssOf(server.process.pid) / 1024;
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    }
    await new Promise((r) => setTimeout(r, 1500));
    const after = rssOf(server.process.pid) / 1024;
    const info = await call(server.port, "INFO", "clients");
    assert.match(info, new RegExp(`connected_clients:${CONNECTIONS + 1}\r\n`));
    return (after - before) / CONNECTIONS;
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test({
  name: "an idle connection costs Redeno about 10 KB (printed next to Redis's)",
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
      // Measured 9.5-13 KB here, where each connection used to cost 42 KB.
      assert.ok(redenoKb < 24, `Redeno: ${redenoKb.toFixed(1)} KB per idle connection`);
    } finally {
      await redis.stop();
      await redeno.stop();
    }
  },
});
