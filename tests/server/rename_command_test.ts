// rename-command, side by side with a real redis-server: the command answers to its
// new name only (statistics and COMMAND INFO keep the old one), an empty name disables
// it, and a rename that cannot be done stops the server at start-up with Redis's reason.

import assert from "node:assert/strict";
import {
  call,
  freePort,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

async function replies(server: RunningServer): Promise<string[]> {
  const out: string[] = [];
  for (
    const argv of [
      ["MYCONFIG", "GET", "maxclients"],
      ["CONFIG", "GET", "maxclients"],
      ["FLUSHALL"],
      ["COMMAND", "INFO", "myflushdb"],
      ["COMMAND", "INFO", "flushdb"],
    ]
  ) {
    out.push(await call(server.port, ...argv));
  }
  const stats = await call(server.port, "INFO", "commandstats");
  out.push(/cmdstat_config\|get:calls=(\d+)/.exec(stats)?.[1] ?? "no config|get stats");
  return out;
}

Deno.test({
  name: "a renamed command answers to its new name only, as in Redis",
  ignore: skipWithout("redis-server"),
  async fn() {
    const args = [
      "--rename-command",
      "config",
      "myconfig",
      "--rename-command",
      "flushall",
      "",
      "--rename-command",
      "flushdb",
      "myflushdb",
    ];
    const redis = await startRedis(freePort(), args);
    const redeno = await startRedeno(freePort(), args);
    try {
      const expected = await replies(redis);
      assert.equal(expected[0], "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
      assert.match(expected[2], /^-ERR unknown command 'FLUSHALL'/);
      assert.deepEqual(await replies(redeno), expected);
    } finally {
      await redis.stop();
      await redeno.stop();
    }
  },
});

// The reason a server gives when it refuses to start, and its exit code.
async function refusal(command: string, args: string[]): Promise<[string, number]> {
  const child = new Deno.Command(command, {
    args: [...args, "--port", String(freePort()), "--save", ""],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const lines = text.trim().split("\n");
  return [lines.slice(-2).join("\n"), out.code];
}

Deno.test({
  name: "a rename that cannot be done stops the server with Redis's reason",
  ignore: skipWithout("redis-server"),
  async fn() {
    const main = new URL("../../src/main.ts", import.meta.url).pathname;
    for (
      const args of [["--rename-command", "nosuch", "foo"], ["--rename-command", "config", "get"]]
    ) {
      const [redisText, redisCode] = await refusal("redis-server", args);
      const [redenoText, redenoCode] = await refusal(Deno.execPath(), [
        "run",
        "--allow-all",
        main,
        ...args,
      ]);
      assert.equal(redenoText, redisText);
      assert.equal(redisCode, 1);
      assert.equal(redenoCode, 1);
    }
  },
});
