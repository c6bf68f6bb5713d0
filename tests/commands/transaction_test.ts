// End-to-end tests of MULTI/EXEC with WATCH across connections: another client's write,
// an expiry, a FLUSHALL, and EXEC replies that hold each queued command's reply.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { freePort, type RunningServer, startRedeno } from "../_server.ts";

async function connect(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  return {
    async call(...argv: string[]): Promise<string> {
      await conn.write(encodeCommand(argv));
      return (await reader.read()).raw;
    },
    close: () => conn.close(),
  };
}

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  let server: RunningServer | null = null;
  try {
    server = await startRedeno(freePort());
    await fn(server.port);
  } finally {
    await server?.stop();
  }
}

Deno.test("EXEC fails when another client changed a watched key", async () => {
  await withServer(async (port) => {
    const a = await connect(port), b = await connect(port);
    try {
      assert.equal(await a.call("SET", "balance", "10"), "+OK\r\n");
      assert.equal(await a.call("WATCH", "balance"), "+OK\r\n");
      assert.equal(await b.call("INCRBY", "balance", "5"), ":15\r\n");
      assert.equal(await a.call("MULTI"), "+OK\r\n");
      assert.equal(await a.call("SET", "balance", "0"), "+QUEUED\r\n");
      assert.equal(await a.call("EXEC"), "*-1\r\n");
      assert.equal(await a.call("GET", "balance"), "$2\r\n15\r\n");
      // Watches end with EXEC: the next transaction goes through.
      assert.equal(await b.call("SET", "balance", "1"), "+OK\r\n");
      assert.equal(await a.call("MULTI"), "+OK\r\n");
      assert.equal(await a.call("INCR", "balance"), "+QUEUED\r\n");
      assert.equal(await a.call("EXEC"), "*1\r\n:2\r\n");
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("a write to an unwatched key or another database leaves EXEC alone", async () => {
  await withServer(async (port) => {
    const a = await connect(port), b = await connect(port);
    try {
      await a.call("WATCH", "k");
      await b.call("SET", "other", "1");
      await b.call("SELECT", "1");
      await b.call("SET", "k", "1");
      await a.call("MULTI");
      await a.call("PING");
      assert.equal(await a.call("EXEC"), "*1\r\n+PONG\r\n");
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("a watched key that expires makes EXEC fail", async () => {
  await withServer(async (port) => {
    const a = await connect(port);
    try {
      await a.call("SET", "session", "x", "PX", "50");
      await a.call("WATCH", "session");
      await new Promise((r) => setTimeout(r, 120));
      await a.call("MULTI");
      await a.call("PING");
      assert.equal(await a.call("EXEC"), "*-1\r\n");
    } finally {
      a.close();
    }
  });
});

Deno.test("a transaction runs atomically between other clients' commands", async () => {
  await withServer(async (port) => {
    const a = await connect(port), b = await connect(port);
    try {
      await a.call("MULTI");
      for (let i = 0; i < 100; i++) await a.call("INCR", "counter");
      assert.equal(await b.call("GET", "counter"), "$-1\r\n");
      const reply = await a.call("EXEC");
      assert.ok(reply.startsWith("*100\r\n:1\r\n:2\r\n"));
      assert.equal(await b.call("GET", "counter"), "$3\r\n100\r\n");
    } finally {
      a.close();
      b.close();
    }
  });
});
