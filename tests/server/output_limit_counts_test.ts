// A tiny request whose reply is huge (HRANDFIELD key -999999999): once the reply is over
// the client's output buffer limit the client is closed, and the command stops there
// instead of building the rest (Redis's loops stop at CLIENT_CLOSE_ASAP; Redis's
// unit/obuf-limits "HRANDFIELD with huge count stopped mid-run"). Before, Redeno built
// all 999,999,999 picks: two minutes during which no other client was served.

import assert from "node:assert/strict";
import { bytes, call, exchange, resp } from "../_server.ts";
import { onEachServer } from "./_each_server.ts";

const HUGE = [
  ["HRANDFIELD", "h", "-999999999"],
  ["HRANDFIELD", "h", "-499999999", "WITHVALUES"],
  ["SRANDMEMBER", "s", "-999999999"],
  ["ZRANDMEMBER", "z", "-999999999"],
  ["ZRANDMEMBER", "z", "-499999999", "WITHSCORES"],
];

Deno.test("a huge random count stops at the output buffer limit", async (t) => {
  await onEachServer(t, async (server) => {
    const port = server.port;
    assert.equal(await call(port, "HSET", "h", "f", "v"), ":1\r\n");
    assert.equal(await call(port, "SADD", "s", "m"), ":1\r\n");
    assert.equal(await call(port, "ZADD", "z", "1", "m"), ":1\r\n");
    assert.equal(
      await call(port, "CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0"),
      "+OK\r\n",
    );
    for (const argv of HUGE) {
      const started = performance.now();
      const reply = await exchange(port, bytes(resp(...argv)), 5000);
      const ms = performance.now() - started;
      assert.ok(reply.endsWith("<closed>"), `${argv.join(" ")}: the client was not closed`);
      assert.ok(ms < 3000, `${argv.join(" ")} took ${ms.toFixed(0)} ms`);
      assert.equal(await call(port, "PING"), "+PONG\r\n");
    }
    // Under the limit, and for a script (no connection to close), the whole count.
    assert.equal(
      await call(port, "CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"),
      "+OK\r\n",
    );
    assert.equal(
      await call(port, "EVAL", "return #redis.call('HRANDFIELD', 'h', -5000)", "0"),
      ":5000\r\n",
    );
    const all = await exchange(port, bytes(resp("SRANDMEMBER", "s", "-3000")), 500);
    assert.ok(all.startsWith("*3000\r\n"), all.slice(0, 20));
    assert.equal(all.split("$1\r\nm\r\n").length - 1, 3000);
  });
});
