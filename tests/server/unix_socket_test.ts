// The Unix socket (unixsocket, unixsocketperm) next to a real redis-server: redis-cli -s
// reaches it, clients show the path as their address, the mode comes from the octal
// permissions, a file left at the path is replaced, the file goes at shutdown, and a
// server with no TCP address still serves the socket.

import assert from "node:assert/strict";
import {
  freePort,
  type RunningServer,
  runRedenoToExit,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

/** Runs redis-cli against a Unix socket; its stdout, trimmed. */
async function cliAt(path: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-s", path, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(10000),
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** A socket path in a fresh directory of its own. */
function socketPath(): string {
  return `${Deno.makeTempDirSync({ prefix: "redeno-unix-" })}/redis.sock`;
}

// The fields of CLIENT INFO a test compares (the id, fd and sizes differ by nature).
function endpoints(info: string, path: string): string {
  const field = (name: string) => new RegExp(`\\b${name}=(\\S*)`).exec(info)?.[1] ?? "";
  return `addr=${field("addr")} laddr=${field("laddr")} flags=${field("flags")}`
    .replaceAll(path, "<path>");
}

Deno.test({
  name: "redis-cli -s reaches the Unix socket, whose clients look as they do in Redis",
  ignore: skipWithout("redis-server", "redis-cli"),
  async fn() {
    const seen: string[] = [];
    for (const start of [startRedis, startRedeno]) {
      const path = socketPath();
      // A file left at the path (a crashed server's socket) is replaced.
      Deno.writeTextFileSync(path, "stale");
      const server = await start(freePort(), [
        "--unixsocket",
        path,
        "--unixsocketperm",
        "700",
        "--enable-protected-configs",
        "local",
      ]);
      try {
        assert.equal(await cliAt(path, "PING"), "PONG");
        assert.ok(Deno.statSync(path).isSocket, "a socket at the path");
        assert.equal(Deno.statSync(path).mode! & 0o777, 0o700);
        assert.equal(await cliAt(path, "CONFIG", "GET", "unixsocketperm"), "unixsocketperm\n700");
        seen.push(endpoints(await cliAt(path, "CLIENT", "INFO"), path));
        assert.equal(await cliAt(path, "CONFIG", "GET", "unixsocket"), `unixsocket\n${path}`);
        // A client of the socket is local: protected configs set to "local" let it in.
        const dir = path.slice(0, path.lastIndexOf("/"));
        assert.equal(await cliAt(path, "CONFIG", "SET", "dir", dir), "OK");
      } finally {
        await server.stop();
      }
      assert.throws(() => Deno.statSync(path), Deno.errors.NotFound, "removed at shutdown");
    }
    assert.equal(seen[0], "addr=<path>:0 laddr=<path>:0 flags=U");
    assert.equal(seen[1], seen[0]);
  },
});

Deno.test({
  name: "with no bind address the Unix socket alone serves, and CONFIG SET bind reopens TCP",
  ignore: skipWithout("redis-cli"),
  async fn() {
    const path = socketPath();
    let server: RunningServer | null = await startRedeno(freePort(), ["--unixsocket", path]);
    const port = server.port;
    try {
      assert.equal(await cliAt(path, "CONFIG", "SET", "bind", ""), "OK");
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
      assert.equal(await cliAt(path, "CONFIG", "SET", "bind", "127.0.0.1"), "OK");
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      await server.stop();
      server = null;

      // Without TCP and without a socket there is nowhere to listen.
      const out = await runRedenoToExit(["--port", String(port), "--bind", "", "--save", ""]);
      const text = out.stdout;
      assert.equal(out.code, 1, text);
      assert.match(text, /Configured to not listen anywhere, exiting\./);
    } finally {
      await server?.stop();
    }
  },
});

Deno.test({
  name: "MONITOR shows a Unix socket client as unix:<path>, as Redis does",
  ignore: skipWithout("redis-server", "redis-cli"),
  async fn() {
    const lines: string[] = [];
    for (const start of [startRedis, startRedeno]) {
      const path = socketPath();
      const server = await start(freePort(), ["--unixsocket", path]);
      try {
        const monitor = new Deno.Command("redis-cli", {
          args: ["-p", String(server.port), "MONITOR"],
          stdin: "null",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        await new Promise((r) => setTimeout(r, 300));
        await cliAt(path, "PING");
        await new Promise((r) => setTimeout(r, 300));
        monitor.kill();
        const text = new TextDecoder().decode((await monitor.output()).stdout);
        const line = text.split("\n").find((l) => l.includes('"PING"')) ?? text;
        lines.push(line.replace(/^[0-9.]+ /, "").replaceAll(path, "<path>"));
      } finally {
        await server.stop();
      }
    }
    assert.equal(lines[0], '[0 unix:<path>] "PING"');
    assert.equal(lines[1], lines[0]);
  },
});
