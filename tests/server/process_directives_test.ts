// Directives whose effect shows outside the replies, next to a real redis-server where
// it runs: oom-score-adj (the process's /proc/<pid>/oom_score_adj),
// propagation-error-behavior (an AOF command answering an error), and the soft output
// buffer limit enforced by the housekeeping while no output comes.

import assert from "node:assert/strict";
import {
  bytes,
  call,
  freePort,
  type RunningServer,
  runRedenoToExit,
  skipWithout,
  startRedeno,
  startRedenoAsGiven,
  startRedis,
} from "../_server.ts";

function oomScore(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/oom_score_adj`).trim());
}

/**
 * Redeno with --allow-all: Deno lets a program write its /proc/<pid> files only then
 * (with the narrower permissions of `deno task start`, oom-score-adj fails to apply).
 */
function startRedenoAllowAll(port: number): Promise<RunningServer> {
  return startRedenoAsGiven(
    port,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", ""],
    Deno.makeTempDirSync({ prefix: "redeno-test-" }),
  );
}

Deno.test({
  name: "oom-score-adj sets the process's OOM score from the first value, as Redis does",
  ignore: Deno.build.os !== "linux" || skipWithout("redis-server"),
  async fn() {
    const seen: string[][] = [];
    for (const start of [startRedis, startRedenoAllowAll]) {
      const server = await start(freePort());
      const pid = server.process.pid;
      const steps: string[] = [];
      const set = async (...pairs: string[]) => {
        const reply = await call(server.port, "CONFIG", "SET", ...pairs);
        steps.push(`${pairs.join(" ")}: ${reply.trim()} score ${oomScore(pid)}`);
      };
      try {
        const base = oomScore(pid);
        await set("oom-score-adj-values", "100 200 300");
        await set("oom-score-adj", "relative");
        steps.push((await call(server.port, "CONFIG", "GET", "oom-score-adj")).trim());
        await set("oom-score-adj-values", "150 200 300");
        await set("oom-score-adj", "absolute");
        await set("oom-score-adj-values", "2000 0 0");
        await set("oom-score-adj", "no");
        // A value the kernel refuses (below the score the process started with needs
        // CAP_SYS_RESOURCE) fails the CONFIG SET and leaves the values as they were.
        if (base === 0 && Deno.uid() !== 0) {
          await set("oom-score-adj", "absolute", "oom-score-adj-values", "-5 0 0");
        }
        seen.push(steps.map((s) => s.replaceAll(`score ${base + 100}`, "score base+100")));
      } finally {
        await server.stop();
      }
    }
    assert.ok(seen[0].includes("oom-score-adj relative: +OK score base+100"), seen[0].join("\n"));
    assert.deepEqual(seen[1], seen[0]);
  },
});

Deno.test("propagation-error-behavior panic stops start-up at an AOF command that fails", async () => {
  for (
    const [behavior, starts] of [["ignore", true], ["panic-on-replicas", true], ["panic", false]]
  ) {
    const dir = Deno.makeTempDirSync({ prefix: "redeno-test-" });
    // An old-style AOF whose INCR fails: the key holds a string that is no number.
    Deno.writeTextFileSync(
      `${dir}/appendonly.aof`,
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n",
    );
    const args = [
      "--port",
      String(freePort()),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--propagation-error-behavior",
      behavior as string,
    ];
    let text: string;
    if (starts) {
      // A server that gets past loading serves: its log so far is all there is to see.
      const server = await startRedenoAsGiven(Number(args[1]), args);
      for (let i = 0; i < 200 && !server.output().includes("Ready to accept"); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      text = server.output();
      await server.stop();
    } else {
      const out = await runRedenoToExit(args);
      assert.equal(out.code, 1, out.stdout);
      text = out.stdout;
    }
    assert.match(text, /== CRITICAL == .* after processing the command 'incr'/);
    assert.equal(text.includes("Ready to accept connections"), starts, `${behavior}:\n${text}`);
    assert.equal(
      text.includes(
        "This server panicked sending an error to its AOF-loading-client after processing " +
          "the command 'incr'",
      ),
      !starts,
      `${behavior}:\n${text}`,
    );
  }
});

Deno.test("a client over its soft output limit for too long is closed while no output comes", async () => {
  const server = await startRedeno(freePort(), [
    "--client-output-buffer-limit",
    "pubsub 0 100000 1",
  ]);
  const subscriber = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await subscriber.write(bytes("CLIENT SETNAME idle\r\nSUBSCRIBE c\r\n"));
    await new Promise((r) => setTimeout(r, 200));
    // 32 MB for a subscriber that reads nothing (more than the sockets' buffers take),
    // sent at once: then no more output.
    const message = "x".repeat(16 * 1024);
    const publisher = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    const request = bytes(`PUBLISH c ${message}\r\n`.repeat(2000));
    for (let at = 0; at < request.length;) at += await publisher.write(request.subarray(at));
    publisher.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.match(await call(server.port, "CLIENT", "LIST"), /name=idle/, "closed too early");
    // Over the soft limit for a second, with nothing more to send: the housekeeping
    // closes it.
    let list = "";
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      list = await call(server.port, "CLIENT", "LIST");
      if (!list.includes("name=idle")) break;
    }
    assert.doesNotMatch(list, /name=idle/);
  } finally {
    subscriber.close();
    await server.stop();
  }
});

Deno.test("a data directory and socket named past ASCII: shown as their bytes, and used", async () => {
  const parent = Deno.makeTempDirSync({ prefix: "redeno-test-" });
  const dir = `${parent}/dätä`;
  Deno.mkdirSync(dir);
  const port = freePort();
  const server = await startRedenoAsGiven(port, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--unixsocket",
    `${dir}/sö.sock`,
    "--appendonly",
    "yes",
  ], parent);
  try {
    // As redis-server shows them: the UTF-8 bytes of the names.
    const utf8 = (text: string) => String.fromCharCode(...new TextEncoder().encode(text));
    const got = await call(port, "CONFIG", "GET", "dir");
    assert.equal(got, `*2\r\n$3\r\ndir\r\n$${utf8(dir).length}\r\n${utf8(dir)}\r\n`);
    assert.equal(await call(port, "SET", "k", "v"), "+OK\r\n");
    assert.equal(await call(port, "SAVE"), "+OK\r\n");
    assert.ok(Deno.statSync(`${dir}/dump.rdb`).isFile);
    assert.ok(Deno.statSync(`${dir}/appendonlydir`).isDirectory);
    assert.ok(Deno.statSync(`${dir}/sö.sock`).isSocket);
  } finally {
    await server.stop();
    Deno.removeSync(parent, { recursive: true });
  }
});
