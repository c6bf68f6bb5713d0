// FLUSHALL with save rules saves the empty dataset at once, as Redis does: a crash
// right after it cannot bring the flushed keys back from an older dump.rdb.

import assert from "node:assert/strict";
import { freePort, redisCli, skipWithout, startRedeno } from "../_server.ts";

Deno.test("FLUSHALL with save rules leaves an empty dump.rdb behind", async () => {
  if (skipWithout("redis-cli")) return;
  const dir = Deno.makeTempDirSync({ prefix: "redeno-flushall-" });
  const args = ["--save", "3600 1", "--dir", dir];
  let server = await startRedeno(freePort(), args);
  try {
    await redisCli(server.port, ["SET", "a", "1"]);
    assert.equal((await redisCli(server.port, ["SAVE"])).stdout, "OK\n");
    await redisCli(server.port, ["SET", "b", "2"]);
    assert.equal((await redisCli(server.port, ["FLUSHALL"])).stdout, "OK\n");
    await server.stop("SIGKILL");
    server = await startRedeno(freePort(), args);
    assert.equal((await redisCli(server.port, ["DBSIZE"])).stdout, "0\n");
  } finally {
    await server.stop("SIGKILL");
  }
});
