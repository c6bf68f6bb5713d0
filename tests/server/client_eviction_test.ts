// maxmemory-clients end to end: a client whose buffers take the clients over the limit
// is disconnected (the biggest first), CLIENT NO-EVICT exempts one, and CLIENT LIST
// shows what each client's memory is made of. The arguments of a request still
// arriving count at once, for client eviction and for maxmemory.

import assert from "node:assert/strict";
import { RespClient } from "../_resp_client.ts";
import { freePort, skipWithout, startRedeno, startRedis } from "../_server.ts";

// A field of one client's CLIENT LIST line, found by name; null when it is gone.
async function field(admin: RespClient, name: string, key: string): Promise<number | null> {
  const list = String(await admin.call("CLIENT", "LIST"));
  const line = list.split("\n").find((l) => l.includes(` name=${name} `));
  if (line === undefined) return null;
  return Number(new RegExp(` ${key}=(\\d+)`).exec(line)![1]);
}

// A client that has sent `size` bytes of a bulk string it never finishes.
async function halfSent(port: number, name: string, size: number): Promise<RespClient> {
  const client = await RespClient.connect(port);
  assert.equal(await client.call("CLIENT", "SETNAME", name), "OK");
  await client.send(`*2\r\n$${size}\r\n` + "v".repeat(size));
  return client;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("clients over maxmemory-clients are disconnected, the biggest first", async () => {
  const server = await startRedeno(freePort());
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call("CLIENT", "SETNAME", "admin");
    await admin.call("CLIENT", "NO-EVICT", "on");
    const small = await halfSent(server.port, "small", 100_000);
    const big = await halfSent(server.port, "big", 1_000_000);
    await until(async () => (await field(admin, "big", "qbuf")) === 1_000_000 + 13);
    const bigMem = (await field(admin, "big", "tot-mem"))!;
    const smallMem = (await field(admin, "small", "tot-mem"))!;
    assert.ok(bigMem >= 1_000_000 && smallMem >= 100_000, `${bigMem} ${smallMem}`);
    const adminMem = (await field(admin, "admin", "tot-mem"))!;
    // Room for everyone but the big one: it goes, the small one stays.
    const limit = adminMem + smallMem + 50_000;
    assert.equal(await admin.call("CONFIG", "SET", "maxmemory-clients", String(limit)), "OK");
    assert.equal(await field(admin, "big", "tot-mem"), null);
    assert.notEqual(await field(admin, "small", "tot-mem"), null);
    const stats = String(await admin.call("INFO", "stats"));
    assert.match(stats, /evicted_clients:1\r\n/);
    small.close();
    big.close();
  } finally {
    await server.stop();
  }
});

Deno.test("a limit that leaves room for exactly half the clients evicts exactly half", async () => {
  // A client's own small reply is covered by the 16 KB its output counts at least, as
  // Redis's static reply buffer covers it: the CLIENT LIST that follows the CONFIG SET
  // does not take the total over the limit and evict one more.
  const server = await startRedeno(freePort());
  const clients: RespClient[] = [];
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call("CLIENT", "SETNAME", "control");
    await admin.call("CLIENT", "NO-EVICT", "on");
    for (let i = 0; i < 6; i++) {
      clients.push(await halfSent(server.port, `client${i}`, 500_000));
      await until(async () => (await field(admin, `client${i}`, "qbuf"))! >= 500_000);
    }
    const each = (await field(admin, "client0", "tot-mem"))!;
    const control = (await field(admin, "control", "tot-mem"))!;
    const limit = each * 3 + control;
    assert.equal(await admin.call("CONFIG", "SET", "maxmemory-clients", String(limit)), "OK");
    const list = String(await admin.call("CLIENT", "LIST"));
    assert.equal(list.split("\n").filter((l) => / name=client\d /.test(l)).length, 3, list);
    assert.match(String(await admin.call("INFO", "stats")), /evicted_clients:3\r\n/);
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
});

Deno.test("a request that would take the clients over the limit disconnects its client", async () => {
  const server = await startRedeno(freePort(), ["--maxmemory-clients", "1mb"]);
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call("CLIENT", "NO-EVICT", "on");
    const client = await RespClient.connect(server.port);
    assert.equal(await client.call("SET", "k", "v".repeat(100_000)), "OK");
    await assert.rejects(client.call("SET", "k", "v".repeat(2_000_000)));
    // An exempt client may go over.
    const exempt = await RespClient.connect(server.port);
    await exempt.call("CLIENT", "NO-EVICT", "on");
    assert.equal(await exempt.call("SET", "k", "v".repeat(2_000_000)), "OK");
    exempt.close();
  } finally {
    await server.stop();
  }
});

Deno.test("CLIENT LIST counts arguments, MULTI, WATCH and subscriptions in tot-mem", async () => {
  const server = await startRedeno(freePort());
  try {
    const admin = await RespClient.connect(server.port);
    const c = await RespClient.connect(server.port);
    await c.call("CLIENT", "SETNAME", "c");
    const before = (await field(admin, "c", "tot-mem"))!;
    await c.call("WATCH", "a", "b", "c");
    await c.call("MULTI");
    await c.call("SET", "k", "v".repeat(10_000));
    const multi = (await field(admin, "c", "multi-mem"))!;
    assert.ok(multi > 10_000, `multi-mem=${multi}`);
    assert.ok((await field(admin, "c", "tot-mem"))! >= before + multi);
    await c.call("DISCARD");
    await c.call("UNWATCH");
    assert.equal(await field(admin, "c", "multi-mem"), 0);
    await c.send("SUBSCRIBE " + Array.from({ length: 100 }, (_, i) => `ch${i}`).join(" ") + "\r\n");
    await until(async () => ((await field(admin, "c", "sub")) ?? 0) === 100);
    assert.ok((await field(admin, "c", "tot-mem"))! > before);
  } finally {
    await server.stop();
  }
});

// 30 clients each holding 249 arguments of 1000 bytes of a request they never finish.
async function unfinishedRequests(port: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const request = "*250\r\n" + `$1000\r\n${"x".repeat(1000)}\r\n`.repeat(249);
  for (let i = 0; i < 30; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const data = new TextEncoder().encode(request);
    for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
    conns.push(conn);
  }
  return conns;
}

// What Redis's maxmemory unit does: 5 MB of keys under maxmemory 11mb, then requests
// still arriving push the memory over; the very next command sees it.
for (const clientEviction of [false, true]) {
  Deno.test(`arguments of a request still arriving count at once (client eviction ${clientEviction})`, async () => {
    const server = await startRedeno(freePort(), [
      "--maxmemory",
      "11mb",
      "--maxmemory-policy",
      "allkeys-lru",
      "--maxmemory-clients",
      clientEviction ? "3mb" : "0",
      "--enable-debug-command",
      "yes",
    ]);
    const conns: Deno.Conn[] = [];
    try {
      const admin = await RespClient.connect(server.port);
      if (clientEviction) assert.equal(await admin.call("CLIENT", "NO-EVICT", "on"), "OK");
      for (let j = 0; j < 50; j++) await admin.call("SETRANGE", String(j), "100000", "x");
      // No housekeeping tick from here on: only the reads and the commands can count.
      assert.equal(await admin.call("DEBUG", "PAUSE-CRON", "1"), "OK");
      conns.push(...await unfinishedRequests(server.port));
      // As soon as the server has read enough, the next command sees it.
      const outcome = async () => {
        const stats = String(await admin.call("INFO", "stats"));
        const evictedKeys = Number(/evicted_keys:(\d+)/.exec(stats)![1]);
        const evictedClients = Number(/evicted_clients:(\d+)/.exec(stats)![1]);
        const keys = await admin.call("DBSIZE");
        return clientEviction
          ? evictedClients > 0 && evictedKeys === 0 && keys === 50
          : evictedClients === 0 && evictedKeys > 0 && (keys as number) < 50;
      };
      let seen = false;
      for (let i = 0; i < 250 && !(seen = await outcome()); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(seen, String(await admin.call("INFO", "stats")));
      // The housekeeping is what acts on SIGTERM, as in Redis.
      assert.equal(await admin.call("DEBUG", "PAUSE-CRON", "0"), "OK");
      admin.close();
    } finally {
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* evicted */ }
      }
      await server.stop();
    }
  });
}

Deno.test("CLIENT LIST's argv-mem counts a request still arriving, as Redis's does", async () => {
  if (skipWithout("redis-server")) return;
  const figures: string[] = [];
  for (const start of [startRedis, startRedeno]) {
    const server = await start(freePort());
    try {
      const admin = await RespClient.connect(server.port);
      const c = await RespClient.connect(server.port);
      await c.call("CLIENT", "SETNAME", "c");
      await c.send(`*5\r\n$4\r\nMSET\r\n$3\r\nkey\r\n$1000\r\n${"x".repeat(1000)}\r\n$2\r\nk2\r\n`);
      await until(async () => ((await field(admin, "c", "argv-mem")) ?? 0) > 0);
      figures.push(`argv-mem=${await field(admin, "c", "argv-mem")}`);
      // Finished and run, nothing is left of it.
      await c.send("$1\r\nv\r\n");
      assert.equal(await c.reply(), "OK");
      figures.push(`then ${await field(admin, "c", "argv-mem")}`);
      const list = String(await admin.call("CLIENT", "LIST"));
      figures.push(/ argv-mem=(\d+) .*cmd=client\|list/.exec(list)![1]);
      admin.close();
      c.close();
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(figures.slice(3), figures.slice(0, 3));
  assert.deepEqual(figures.slice(0, 3), ["argv-mem=1009", "then 0", "10"]);
});

Deno.test("a command MULTI queues past maxmemory-clients disconnects the client before it answers", async () => {
  const server = await startRedeno(freePort());
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call("CLIENT", "NO-EVICT", "on");
    const limit = 2_500_000;
    assert.equal(await admin.call("CONFIG", "SET", "maxmemory-clients", String(limit)), "OK");
    const client = await RespClient.connect(server.port);
    assert.equal(await client.call("CLIENT", "SETNAME", "queuer"), "OK");
    assert.equal(await client.call("MULTI"), "OK");
    let queued = 0;
    for (let i = 0; i < 5; i++) {
      let reply;
      try {
        reply = await client.call("SET", "k", "v".repeat(1_000_000));
      } catch {
        break; // disconnected: no QUEUED for the command that took it over the limit
      }
      assert.equal(reply, "QUEUED");
      queued++;
      // Whoever answered QUEUED was under the limit once the command was queued (Redis
      // measures a client before the next one is served).
      const own = await field(admin, "queuer", "tot-mem");
      assert.ok(own !== null && own < limit, `answered QUEUED at ${own} bytes`);
    }
    assert.ok(queued >= 1 && queued < 5, `${queued} commands queued`);
    assert.equal(await field(admin, "queuer", "tot-mem"), null);
    client.close();
    admin.close();
  } finally {
    await server.stop();
  }
});

Deno.test("the room made for a big argument counts as soon as its length arrives", async () => {
  const starts: [string, typeof startRedeno][] = [["redeno", startRedeno]];
  if (!skipWithout("redis-server")) starts.push(["redis", startRedis]);
  for (const [name, start] of starts) {
    const server = await start(freePort());
    try {
      const admin = await RespClient.connect(server.port);
      await admin.call("CLIENT", "NO-EVICT", "on");
      assert.equal(await admin.call("CONFIG", "SET", "maxmemory-clients", "300000"), "OK");
      // Only the length and a few bytes of a 420,000-byte argument: the server makes
      // room for all of it, which takes the client past the limit with nothing more
      // to read from it.
      const client = await RespClient.connect(server.port);
      assert.equal(await client.call("CLIENT", "SETNAME", "big"), "OK");
      // The server's input byte count tells when it has read the client's bytes (each
      // INFO request of the admin's counts too): the client must be gone by then.
      const info = "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n".length;
      const inputBytes = async () =>
        Number(/total_net_input_bytes:(\d+)/.exec(String(await admin.call("INFO", "stats")))![1]);
      const before = await inputBytes();
      const partial = "*1\r\n$420000\r\nvvvv";
      await client.send(partial);
      for (let polls = 1; (await inputBytes()) - before - polls * info < partial.length; polls++) {
        assert.ok(polls < 1000, `${name}: the bytes never arrived`);
      }
      assert.equal(await field(admin, "big", "tot-mem"), null, `${name}: still connected`);
      client.close();
      admin.close();
    } finally {
      await server.stop();
    }
  }
});
