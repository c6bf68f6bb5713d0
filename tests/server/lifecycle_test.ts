// Start-up and shutdown of the real Redeno process: --help/--version, configuration
// errors, the start-up log, SIGTERM/SIGINT, maxclients, CLIENT KILL and QUIT.

import assert from "node:assert/strict";
import { REDENO_VERSION, REDIS_VERSION } from "../../src/version.ts";
import { ReplyReader } from "../compat/harness.ts";
import {
  bytes,
  exchange,
  freePort,
  readUntilQuiet,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** Runs Redeno with these arguments to completion (it must exit by itself). */
async function runRedeno(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      MAIN,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** A raw connection with a reader that takes one reply at a time. */
async function connect(port: number): Promise<{ conn: Deno.Conn; replies: ReplyReader }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return { conn, replies: new ReplyReader(conn) };
}

async function ask(c: { conn: Deno.Conn; replies: ReplyReader }, request: string): Promise<string> {
  await c.conn.write(bytes(request));
  return (await c.replies.read()).raw;
}

Deno.test("--help and -h print the usage and exit 0", async () => {
  for (const flag of ["--help", "-h"]) {
    const { code, output } = await runRedeno([flag]);
    assert.equal(code, 0, output);
    assert.match(output, /usage/i);
    assert.match(output, /--port/);
  }
});

Deno.test("--version and -v print Redeno's and Redis's versions and exit 0", async () => {
  for (const flag of ["--version", "-v"]) {
    const { code, output } = await runRedeno([flag]);
    assert.equal(code, 0, output);
    assert.ok(output.includes(REDENO_VERSION), output);
    assert.ok(output.includes(REDIS_VERSION), output);
  }
});

Deno.test("an unknown directive in a config file exits 1 naming the file and the line", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/redeno.conf`;
    Deno.writeTextFileSync(file, `# a comment\nport ${freePort()}\nnosuchdirective yes\n`);
    const { code, output } = await runRedeno([file]);
    assert.equal(code, 1, output);
    assert.ok(output.includes(file), `the file is not named:\n${output}`);
    assert.match(output, /line 3\b/);
    assert.match(output, /nosuchdirective/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a bad --port value exits 1 with a message", async () => {
  for (const value of ["abc", "70000", "-1"]) {
    const { code, output } = await runRedeno(["--port", value, "--bind", "127.0.0.1"]);
    assert.equal(code, 1, `--port ${value}:\n${output}`);
    assert.match(output, /port/i);
    assert.doesNotMatch(output, /Ready to accept connections/);
  }
});

Deno.test("the start-up log shows the version, pid and port, then readiness", async () => {
  const server = await startRedeno(freePort());
  try {
    const log = server.output();
    assert.ok(log.includes(REDENO_VERSION), log);
    assert.ok(log.includes(`pid=${server.process.pid}`), log);
    // Not freePort()'s port: startRedeno moves to another one if that one was taken.
    assert.ok(log.includes(`port=${server.port}`), log);
    assert.match(log, /Ready to accept connections/);
  } finally {
    await server.stop();
  }
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${signal} shuts down cleanly with exit code 0 while a client is connected`, async () => {
    const server = await startRedeno(freePort());
    const client = await connect(server.port);
    try {
      assert.equal(await ask(client, "SET k v\r\n"), "+OK\r\n");
      const status = await server.stop(signal);
      assert.equal(status.code, 0, server.output());
      assert.equal(status.signal, null);
      assert.match(server.output(), /bye/);
      // The client sees its connection end.
      assert.equal((await client.replies.read(2000)).raw, "<closed>");
    } finally {
      client.conn.close();
      await server.stop("SIGKILL");
    }
  });
}

/** The servers a comparison runs on: Redeno, and real Redis when it is installed. */
function starters(): [string, typeof startRedeno][] {
  const list: [string, typeof startRedeno][] = [["Redeno", startRedeno]];
  if (!skipWithout("redis-server")) list.push(["Redis", startRedis]);
  return list;
}

/** Waits for a process's status, failing after `ms`. */
async function exitWithin(server: RunningServer, ms: number): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([server.process.status, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("shutdown-on-sigterm and shutdown-on-sigint decide whether a signal saves", async () => {
  const cases: [Deno.Signal, string[], boolean][] = [
    ["SIGTERM", ["--save", "3600 1", "--shutdown-on-sigterm", "nosave"], false],
    ["SIGINT", ["--save", "", "--shutdown-on-sigint", "save"], true],
    ["SIGINT", ["--save", "3600 1", "--shutdown-on-sigterm", "nosave"], true],
    ["SIGTERM", ["--save", "", "--shutdown-on-sigterm", "now force"], false],
  ];
  for (const [name, start] of starters()) {
    for (const [signal, args, saved] of cases) {
      const dir = Deno.makeTempDirSync({ prefix: "redeno-test-" });
      const server = await start(freePort(), [...args, "--dir", dir]);
      assert.equal(await exchange(server.port, bytes("SET k v\r\n")), "+OK\r\n");
      const status = await server.stop(signal);
      const what = `${name}, ${signal} ${args.join(" ")}`;
      assert.equal(status.code, 0, `${what}:\n${server.output()}`);
      assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "dump.rdb"), saved, what);
    }
  }
});

Deno.test("a second SIGINT during the final save exits at once, without its temporary file", async () => {
  for (const [name, start] of starters()) {
    const dir = Deno.makeTempDirSync({ prefix: "redeno-test-" });
    const server = await start(freePort(), ["--save", "3600 1", "--dir", dir]);
    try {
      let pipeline = "";
      for (let i = 0; i < 20; i++) pipeline += `SET ${i} ${i}\r\n`;
      await exchange(server.port, bytes(pipeline));
      // 100 ms per key: the save takes two seconds.
      await exchange(server.port, bytes("CONFIG SET rdb-key-save-delay 100000\r\n"));
      const temp = `${dir}/temp-${server.process.pid}.rdb`;
      server.process.kill("SIGINT");
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline && !exists(temp)) await new Promise((r) => setTimeout(r, 10));
      assert.ok(exists(temp), `${name}: no ${temp} while saving`);
      // The server serves no one while it saves.
      assert.equal(await exchange(server.port, bytes("PING\r\n"), 200), "", name);
      server.process.kill("SIGINT");
      const status = await exitWithin(server, 1000);
      assert.equal(status.code, 1, `${name}:\n${server.output()}`);
      assert.ok(!exists(temp), `${name}: ${temp} left behind`);
      assert.ok(!exists(`${dir}/dump.rdb`), name);
      assert.match(server.output(), /You insist... exiting now\./);
    } finally {
      await server.stop("SIGKILL");
    }
  }
});

Deno.test("SIGTERM ends the server at once while a client that never reads has output waiting", async () => {
  const server = await startRedeno(freePort(), ["--client-output-buffer-limit", "pubsub 0 0 0"]);
  const subscriber = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    await subscriber.write(bytes("SUBSCRIBE c\r\n"));
    await new Promise((r) => setTimeout(r, 200));
    // About 64 MB for a client that reads nothing: far more than the socket takes.
    const message = "x".repeat(64 * 1024);
    const publisher = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    let batch = "";
    for (let i = 0; i < 64; i++) batch += `PUBLISH c ${message}\r\n`;
    const request = bytes(batch);
    for (let i = 0; i < 16; i++) {
      for (let at = 0; at < request.length;) at += await publisher.write(request.subarray(at));
      await readUntilQuiet(publisher, 50);
    }
    publisher.close();
    const started = Date.now();
    server.process.kill("SIGTERM");
    const status = await exitWithin(server, 3000);
    assert.equal(status.code, 0, server.output());
    assert.ok(Date.now() - started < 3000);
  } finally {
    subscriber.close();
    await server.stop("SIGKILL");
  }
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("with maxclients 2 a third connection is refused and closed", async () => {
  const servers: RunningServer[] = [await startRedeno(freePort(), ["--maxclients", "2"])];
  const open: Deno.Conn[] = [];
  try {
    if (!skipWithout("redis-server")) {
      servers.push(await startRedis(freePort(), ["--maxclients", "2"]));
    }
    for (const server of servers) {
      for (let i = 0; i < 2; i++) {
        const c = await connect(server.port);
        open.push(c.conn);
        assert.equal(await ask(c, "PING\r\n"), "+PONG\r\n");
      }
      // Send nothing: a request the server never reads would turn its close into a reset.
      const third = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        assert.equal(
          await readUntilQuiet(third, 2000),
          "-ERR max number of clients reached\r\n<closed>",
          `port ${server.port}`,
        );
      } finally {
        third.close();
      }
    }
  } finally {
    for (const conn of open) conn.close();
    for (const server of servers) await server.stop();
  }
});

Deno.test("a freed client slot can be used again under maxclients", async () => {
  const server = await startRedeno(freePort(), ["--maxclients", "1"]);
  try {
    for (let i = 0; i < 3; i++) {
      // The server frees a slot once it sees the close: allow it a moment.
      let reply = "";
      for (let attempt = 0; attempt < 20 && reply !== "+PONG\r\n+OK\r\n<closed>"; attempt++) {
        await new Promise((r) => setTimeout(r, 50));
        reply = await exchange(server.port, bytes("PING\r\nQUIT\r\n")).catch(String);
      }
      assert.equal(reply, "+PONG\r\n+OK\r\n<closed>");
    }
  } finally {
    await server.stop();
  }
});

Deno.test("CLIENT KILL closes another connection, by id or by address", async () => {
  const server = await startRedeno(freePort());
  const killer = await connect(server.port);
  const byId = await connect(server.port);
  const byAddr = await connect(server.port);
  try {
    const id = (await ask(byId, "CLIENT ID\r\n")).slice(1, -2);
    assert.equal(await ask(killer, `CLIENT KILL ID ${id}\r\n`), ":1\r\n");
    assert.equal((await byId.replies.read(2000)).raw, "<closed>");
    assert.equal(await ask(killer, `CLIENT KILL ID ${id}\r\n`), ":0\r\n");
    const local = byAddr.conn.localAddr as Deno.NetAddr;
    assert.equal(await ask(byAddr, "PING\r\n"), "+PONG\r\n");
    assert.equal(await ask(killer, `CLIENT KILL ${local.hostname}:${local.port}\r\n`), "+OK\r\n");
    assert.equal((await byAddr.replies.read(2000)).raw, "<closed>");
    assert.equal(
      await ask(killer, `CLIENT KILL ${local.hostname}:${local.port}\r\n`),
      "-ERR No such client\r\n",
    );
    // The killer itself is untouched, and so is the server.
    assert.equal(await ask(killer, "PING\r\n"), "+PONG\r\n");
    assert.equal(await exchange(server.port, bytes("PING\r\n")), "+PONG\r\n");
  } finally {
    for (const c of [killer, byId, byAddr]) c.conn.close();
    await server.stop();
  }
});

Deno.test("QUIT answers +OK, closes the connection and ignores what follows", async () => {
  const servers: RunningServer[] = [await startRedeno(freePort())];
  try {
    if (!skipWithout("redis-server")) servers.push(await startRedis(freePort()));
    for (const server of servers) {
      assert.equal(await exchange(server.port, bytes("QUIT\r\n")), "+OK\r\n<closed>");
      assert.equal(
        await exchange(server.port, bytes("PING\r\nQUIT\r\nSET after quit\r\n")),
        "+PONG\r\n+OK\r\n<closed>",
      );
      assert.equal(await exchange(server.port, bytes("GET after\r\n")), "$-1\r\n");
      assert.equal(
        await exchange(server.port, bytes("*1\r\n$4\r\nquit\r\n")),
        "+OK\r\n<closed>",
      );
    }
  } finally {
    for (const server of servers) await server.stop();
  }
});
