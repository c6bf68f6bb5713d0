// After a failed background save, with save rules and stop-writes-on-bgsave-error yes,
// writes and PING get MISCONF as in Redis; reads go on; turning the option off lifts it.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

async function script(port: number, dir: string): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  const call = async (...argv: string[]) => {
    await conn.write(encodeCommand(argv));
    return (await reader.read()).raw;
  };
  try {
    const replies: string[] = [];
    replies.push(await call("SET", "k", "v"));
    // The data directory disappears under the running server.
    Deno.removeSync(dir, { recursive: true });
    replies.push(await call("BGSAVE"));
    // The save fails in the background; wait until it is over.
    for (let i = 0; i < 100; i++) {
      const info = await call("INFO", "persistence");
      if (info.includes("rdb_bgsave_in_progress:0")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (
      const argv of [
        ["SET", "k", "w"],
        ["PING"],
        ["GET", "k"],
        ["MULTI"],
        ["SET", "k", "x"],
        ["EXEC"],
        ["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
        ["SET", "k", "y"],
        ["PING"],
      ]
    ) replies.push(await call(...argv));
    return replies;
  } finally {
    conn.close();
  }
}

Deno.test("a failed BGSAVE makes writes and PING answer MISCONF, as in Redis", async () => {
  if (skipWithout("redis-server")) return;
  const servers: RunningServer[] = [];
  try {
    const dirs = [Deno.makeTempDirSync(), Deno.makeTempDirSync()];
    const redis = await startRedis(freePort(), ["--save", "3600 1", "--dir", dirs[0]]);
    servers.push(redis);
    const redeno = await startRedeno(freePort(), ["--save", "3600 1", "--dir", dirs[1]]);
    servers.push(redeno);
    const expected = await script(redis.port, dirs[0]);
    const got = await script(redeno.port, dirs[1]);
    assert.ok(expected[3].startsWith("-MISCONF"), `Redis answered ${expected[3]}`);
    assert.deepEqual(got, expected);
  } finally {
    // With save rules and nowhere to save, both would refuse a polite shutdown.
    for (const server of servers) await server.stop("SIGKILL");
  }
});
