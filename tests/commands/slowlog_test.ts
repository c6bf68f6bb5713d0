// SLOWLOG over TCP against an in-process Redeno: the replies for an empty log, for
// entries recorded through the server's SlowLog (as dispatch records them), and the
// argument errors (which tests/compat also compares with real Redis). The log is off
// (threshold -1) except while a test records entries itself, so the commands the test
// sends never land in it.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";

/** RESP bulk string. */
function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

Deno.test("SLOWLOG", async (t) => {
  const srv: InProcessServer = await startInProcess([["slowlog-log-slower-than", ["-1"]]]);
  const { server, call } = srv;
  // Records entries the way dispatch does, with the log switched on meanwhile.
  const record = (name: string, addr: string, argv: string[], us: number) => {
    server.config.set([["slowlog-log-slower-than", "0"]]);
    server.slowlog.record({ name, facts: { addr } }, argv, us);
    server.config.set([["slowlog-log-slower-than", "-1"]]);
  };
  try {
    await t.step("an empty slow log has length 0 and no entries", async () => {
      assert.equal(await call("SLOWLOG", "RESET"), "+OK\r\n");
      assert.equal(await call("SLOWLOG", "LEN"), ":0\r\n");
      assert.equal(await call("SLOWLOG", "GET"), "*0\r\n");
      assert.equal(await call("SLOWLOG", "GET", "-1"), "*0\r\n");
    });

    await t.step("GET shows entries newest first: id, time, µs, args, address, name", async () => {
      record("worker", "127.0.0.1:4000", ["SET", "k", "v"], 15);
      record("", "127.0.0.1:4001", ["GET", "k"], 3);
      const [newest, oldest] = server.slowlog.get(2);
      const entry = (
        id: number,
        time: number,
        us: number,
        args: string[],
        addr: string,
        name: string,
      ) =>
        `*6\r\n:${id}\r\n:${time}\r\n:${us}\r\n*${args.length}\r\n${args.map(bulk).join("")}` +
        bulk(addr) + bulk(name);
      const expected = "*2\r\n" +
        entry(newest.id, newest.time, 3, ["GET", "k"], "127.0.0.1:4001", "") +
        entry(oldest.id, oldest.time, 15, ["SET", "k", "v"], "127.0.0.1:4000", "worker");
      assert.equal(newest.id, oldest.id + 1);
      assert.equal(await call("SLOWLOG", "GET"), expected);
      assert.equal(await call("SLOWLOG", "GET", "2"), expected);
      assert.equal(await call("SLOWLOG", "LEN"), ":2\r\n");
      assert.equal((await call("SLOWLOG", "GET", "1")).slice(0, 6), "*1\r\n*6");
      assert.equal(await call("SLOWLOG", "GET", "0"), "*0\r\n");
      await call("HELLO", "3");
      assert.equal(await call("SLOWLOG", "GET"), expected);
      await call("HELLO", "2");
    });

    await t.step("entries keep at most 32 arguments of at most 128 bytes", () => {
      const argv = ["SADD", "set", ...Array.from({ length: 40 }, (_, i) => String(i))];
      record("", "a:1", argv, 1);
      record("", "a:1", ["SET", "k", "x".repeat(200)], 1);
      const [long, many] = server.slowlog.get(2);
      assert.equal(many.args.length, 32);
      assert.equal(many.args[31], "... (11 more arguments)");
      assert.equal(long.args[2], "x".repeat(128) + "... (72 more bytes)");
    });

    await t.step("RESET empties the log", async () => {
      assert.equal(await call("SLOWLOG", "RESET"), "+OK\r\n");
      assert.equal(await call("SLOWLOG", "LEN"), ":0\r\n");
    });

    await t.step("GET counts below -1 or not integers are refused", async () => {
      const error = "-ERR count should be greater than or equal to -1\r\n";
      assert.equal(await call("SLOWLOG", "GET", "-2"), error);
      assert.equal(await call("SLOWLOG", "GET", "x"), error);
      assert.equal(
        await call("SLOWLOG", "GET", "1", "2"),
        "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n",
      );
      assert.equal(
        await call("SLOWLOG", "LEN", "x"),
        "-ERR wrong number of arguments for 'slowlog|len' command\r\n",
      );
    });

    await t.step("HELP answers status lines ending with HELP itself", async () => {
      const reply = await call("SLOWLOG", "HELP");
      const lines = reply.split("\r\n").slice(1, -1);
      assert.equal(Number(reply.slice(1, reply.indexOf("\r\n"))), lines.length);
      assert.ok(lines.every((line) => line.startsWith("+")));
      assert.match(lines[0], /^\+SLOWLOG <subcommand>/);
      for (const sub of ["GET", "LEN", "RESET", "HELP"]) {
        assert.ok(lines.some((line) => line.startsWith(`+${sub}`)), sub);
      }
    });
  } finally {
    await srv.stop();
  }
});
