// Protected mode, end to end and side by side with a real redis-server: with
// `protected-mode yes` and no password, a client that connects from any address but
// the loopback's own (here 127.0.0.2, a second address of the loopback interface, as
// a client on another machine would look) gets Redis's -DENIED text and is closed;
// 127.0.0.1 is served; a password or `protected-mode no` lets everyone in.

import assert from "node:assert/strict";
import net from "node:net";
import { Buffer } from "node:buffer";
import {
  bytes,
  call,
  exchange,
  freePort,
  resp,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
  waitForPing,
} from "../_server.ts";

/**
 * Connects to 127.0.0.1:port from 127.0.0.2, sends `request` after 200 ms (unless the
 * server has closed by then), and returns what arrived, with "<closed>" when the server
 * closed the connection within a second.
 */
function fromSecondAddress(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    let out = "";
    let closed = false;
    socket.on("data", (chunk: Buffer) => out += chunk.toString("latin1"));
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
    });
    setTimeout(() => {
      if (!closed) socket.write(request);
    }, 200);
    setTimeout(() => {
      socket.destroy();
      resolve(closed ? out + "<closed>" : out);
    }, 1000);
  });
}

// One scenario on a started server: what a client from the second address sees, and
// what the server counted.
async function scenario(server: RunningServer, password?: string): Promise<string[]> {
  const port = server.port;
  const local = password === undefined ? [] : ["AUTH", password];
  const localCall = async (...argv: string[]) =>
    local.length === 0
      ? await call(port, ...argv)
      : (await exchange(port, bytes(resp(...local) + resp(...argv)), 100)).replace(
        /^\+OK\r\n/,
        "",
      );
  const idBefore = Number((await localCall("CLIENT", "ID")).slice(1));
  const seen = await fromSecondAddress(port, resp("PING"));
  const idAfter = Number((await localCall("CLIENT", "ID")).slice(1));
  const stats = await localCall("INFO", "stats");
  const rejected = /rejected_connections:(\d+)/.exec(stats)![1];
  return [seen, `ids used by the other client: ${idAfter - idBefore - 1}`, `rejected ${rejected}`];
}

async function both(args: string[], password?: string): Promise<[string[], string[]]> {
  const redis = await startRedis(freePort(), args);
  const redeno = await startRedeno(freePort(), args);
  try {
    return [await scenario(redis, password), await scenario(redeno, password)];
  } finally {
    await redis.stop();
    await redeno.stop();
  }
}

Deno.test({
  name: "protected mode refuses a client from another address with Redis's text, as Redis does",
  ignore: skipWithout("redis-server"),
  async fn() {
    const [redis, redeno] = await both([]);
    assert.match(redis[0], /^-DENIED Redis is running in protected mode .*\r\n<closed>$/);
    assert.deepEqual(redeno, redis);
    assert.deepEqual(redis.slice(1), ["ids used by the other client: 1", "rejected 1"]);
  },
});

Deno.test({
  name: "a password or protected-mode no lets a client from another address in",
  ignore: skipWithout("redis-server"),
  async fn() {
    const [redis, redeno] = await both(["--requirepass", "secret"], "secret");
    assert.equal(redis[0], "-NOAUTH Authentication required.\r\n");
    assert.deepEqual(redeno, redis);
    const [open, openRedeno] = await both(["--protected-mode", "no"]);
    assert.equal(open[0], "+PONG\r\n");
    assert.deepEqual(openRedeno, open);
  },
});

Deno.test("CONFIG SET protected-mode no opens the server to other addresses at once", async () => {
  const server = await startRedeno(freePort());
  try {
    assert.match(await fromSecondAddress(server.port, resp("PING")), /^-DENIED /);
    assert.equal(await call(server.port, "CONFIG", "SET", "protected-mode", "no"), "+OK\r\n");
    assert.equal(await fromSecondAddress(server.port, resp("PING")), "+PONG\r\n");
  } finally {
    await server.stop();
  }
});

Deno.test("a password given to the default user through ACL SETUSER opens protected mode", async () => {
  const server = await startRedeno(freePort());
  try {
    assert.equal(await call(server.port, "ACL", "SETUSER", "default", ">pw"), "+OK\r\n");
    assert.equal(
      await fromSecondAddress(server.port, resp("PING")),
      "-NOAUTH Authentication required.\r\n",
    );
    assert.equal(
      await fromSecondAddress(server.port, resp("AUTH", "pw") + resp("PING")),
      "+OK\r\n+PONG\r\n",
    );
  } finally {
    await server.stop();
  }
});

/** The first address of this host that is not a loopback one, or null. */
function hostAddress(): string | null {
  for (const { family, address } of Deno.networkInterfaces()) {
    if (family === "IPv4" && !address.startsWith("127.")) return address;
  }
  return null;
}

/** Starts a server with no bind directive at all: the binary's built-in default. */
function startUnbound(command: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(command, {
    args,
    cwd: Deno.makeTempDirSync({ prefix: "redeno-test-" }),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test({
  name: "without a bind directive the server listens everywhere and protected mode guards it",
  ignore: skipWithout("redis-server"),
  async fn() {
    const main = new URL("../../src/main.ts", import.meta.url).pathname;
    const commands: [string, string[]][] = [
      ["redis-server", []],
      [Deno.execPath(), ["run", "-A", main]],
    ];
    const seen: string[][] = [];
    for (const [command, prefix] of commands) {
      const port = freePort();
      const process = startUnbound(command, [
        ...prefix,
        "--port",
        String(port),
        "--save",
        "",
      ]);
      try {
        await waitForPing(port);
        const host = hostAddress();
        const other = host === null ? "no other address" : await new Promise<string>((done) => {
          const socket = net.connect({ host, port });
          let out = "";
          socket.on("data", (chunk: Buffer) => out += chunk.toString("latin1"));
          socket.on("error", (error) => done(`error ${error.message}`));
          // Nothing is sent: the server answers the connection itself, then closes it.
          socket.on("close", () => done(out + "<closed>"));
        });
        seen.push([await call(port, "CONFIG", "GET", "bind"), other]);
      } finally {
        process.kill("SIGKILL");
        await process.status;
      }
    }
    assert.equal(seen[0][0], "*2\r\n$4\r\nbind\r\n$6\r\n* -::*\r\n");
    if (hostAddress() !== null) assert.match(seen[0][1], /^-DENIED .*<closed>$/s);
    assert.deepEqual(seen[1], seen[0]);
  },
});
