// key-load-delay: a hidden debugging directive (CONFIG GET shows it by name, never for
// a pattern, as in Redis) that pauses after each key an RDB load reads.

import assert from "node:assert/strict";
import { bytes, call, freePort, resp, type RunningServer, startRedeno } from "../_server.ts";

Deno.test("key-load-delay answers only to its name and slows each key of a load down", async () => {
  const server: RunningServer = await startRedeno(freePort(), ["--enable-debug-command", "yes"]);
  const port = server.port;
  try {
    assert.equal(
      await call(port, "CONFIG", "GET", "key-load-delay"),
      "*2\r\n$14\r\nkey-load-delay\r\n$1\r\n0\r\n",
    );
    assert.ok(!(await call(port, "CONFIG", "GET", "*")).includes("key-load-delay"));
    assert.equal(await call(port, "CONFIG", "GET", "key-load*"), "*0\r\n");
    const keys = Array.from({ length: 40 }, (_, i) => [`k${i}`, "v"]).flat();
    assert.equal(await call(port, "MSET", ...keys), "+OK\r\n");
    // DEBUG RELOAD's time, from sending it to its reply.
    const reload = async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        const started = performance.now();
        await conn.write(bytes(resp("DEBUG", "RELOAD")));
        const buf = new Uint8Array(16);
        const n = await conn.read(buf);
        assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "+OK\r\n");
        return performance.now() - started;
      } finally {
        conn.close();
      }
    };
    assert.equal(await call(port, "CONFIG", "SET", "key-load-delay", "5000"), "+OK\r\n");
    const slow = await reload();
    // 40 keys of 5 ms each.
    assert.ok(slow >= 200, `a load with the delay took ${slow.toFixed(0)} ms`);
    assert.equal(await call(port, "CONFIG", "SET", "key-load-delay", "-1000000"), "+OK\r\n");
    const fast = await reload();
    assert.ok(fast < slow / 2, `a load with a rare delay took ${fast.toFixed(0)} ms`);
    assert.equal(await call(port, "DBSIZE"), ":40\r\n");
  } finally {
    await server.stop();
  }
});
