// What Redis's Tcl test harness relies on when it starts the server itself
// (.ci/redis_suite_spawned.sh): " PID: <pid>" in the start-up output when
// always-show-logo is set, "Failed listening on port" when the port is taken, and a
// SIGTERM that only schedules the shutdown, so SHUTDOWN ABORT can still cancel it.

import assert from "node:assert/strict";
import { ReplyReader } from "../compat/harness.ts";
import {
  bytes,
  freePort,
  type RunningServer,
  runRedenoToExit,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

Deno.test("always-show-logo prints the port and ' PID: <pid>' before readiness", async () => {
  const server = await startRedeno(freePort(), ["--always-show-logo", "yes"]);
  try {
    const log = server.output();
    assert.ok(log.includes(` PID: ${server.process.pid}\n`), log);
    assert.ok(log.includes(`Port: ${server.port}\n`), log);
    assert.ok(log.indexOf(" PID: ") < log.indexOf("Ready to accept connections"), log);
  } finally {
    await server.stop();
  }
});

Deno.test("a port in use ends start-up with Redis's 'Failed listening on port'", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const out = await runRedenoToExit(["--port", String(port), "--bind", "127.0.0.1"]);
    const text = out.stdout;
    assert.equal(out.code, 1, text);
    assert.ok(text.includes(`Failed listening on port ${port} (TCP), aborting.`), text);
    assert.ok(!text.includes(" PID: ") && !text.includes("Ready to accept"), text);
  } finally {
    taken.close();
  }
});

async function ask(conn: Deno.Conn, replies: ReplyReader, line: string): Promise<string> {
  await conn.write(bytes(`${line}\r\n`));
  return (await replies.read(2000)).raw;
}

Deno.test("SHUTDOWN ABORT cancels a SIGTERM the paused cron has not acted on", async (t) => {
  const starters: [string, (port: number, args: string[]) => Promise<RunningServer>][] = [
    ["Redeno", startRedeno],
  ];
  if (!skipWithout("redis-server")) starters.push(["Redis", startRedis]);
  for (const [name, start] of starters) {
    await t.step(name, async () => {
      const server = await start(freePort(), ["--enable-debug-command", "yes"]);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      const replies = new ReplyReader(conn);
      try {
        assert.equal(
          await ask(conn, replies, "SHUTDOWN ABORT"),
          "-ERR No shutdown in progress.\r\n",
        );
        assert.equal(await ask(conn, replies, "DEBUG PAUSE-CRON 1"), "+OK\r\n");
        server.process.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await ask(conn, replies, "PING"), "+PONG\r\n");
        assert.equal(await ask(conn, replies, "SHUTDOWN ABORT"), "+OK\r\n");
        assert.equal(
          await ask(conn, replies, "SHUTDOWN ABORT"),
          "-ERR No shutdown in progress.\r\n",
        );
        assert.equal(await ask(conn, replies, "DEBUG PAUSE-CRON 0"), "+OK\r\n");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await ask(conn, replies, "PING"), "+PONG\r\n");
        assert.match(server.output(), /Shutdown manually aborted/);
        // Without an abort, the signal still shuts the server down.
        const status = await server.stop("SIGTERM");
        assert.equal(status.code, 0, server.output());
      } finally {
        conn.close();
        await server.stop("SIGKILL");
      }
    });
  }
});
