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
