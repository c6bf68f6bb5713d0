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
