// End-to-end tests of the blocking list commands with many connections: who is served
// first, that every pushed element reaches exactly one client, timeouts, clients that
// disconnect while waiting, wake-ups from MULTI/EXEC and from moves, BLMOVE chains, and
// what is propagated when a waiting client is served.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { encodeCommand, type Reply, ReplyReader, splitLine } from "../compat/harness.ts";

/** A raw connection that can send without waiting and read replies later. */
interface Conn {
  send(...argv: string[]): Promise<void>;
  read(): Promise<Reply>;
  call(...argv: string[]): Promise<string>;
  close(): void;
}

async function connect(port: number): Promise<Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  let closed = false;
  return {
    async send(...argv) {
      await conn.write(encodeCommand(argv));
    },
    read: () => reader.read(),
    async call(...argv) {
      await conn.write(encodeCommand(argv));
      return (await reader.read()).raw;
    },
    close() {
      if (closed) return;
      closed = true;
      conn.close();
    },
  };
}

/** The bulk strings of a flat array reply (nil as null). */
function bulks(reply: Reply): (string | null)[] {
  assert.equal(reply.type, "*", `not an array: ${JSON.stringify(reply.raw)}`);
  return reply.children!.map((child) => {
    if (child.raw === "$-1\r\n") return null;
    return child.raw.slice(child.raw.indexOf("\r\n") + 2, child.raw.length - 2);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the server counts `n` blocked clients; fails after two seconds. */
async function blockedClients(server: InProcessServer, n: number): Promise<void> {
  for (let i = 0; i < 400 && server.server.blockedClients !== n; i++) await delay(5);
  assert.equal(server.server.blockedClients, n, "blocked clients");
}

/** Runs `fn` with an in-process server; closes every connection it opened. */
async function withServer(
  fn: (server: InProcessServer, open: () => Promise<Conn>) => Promise<void>,
): Promise<void> {
  const server = await startInProcess();
  const conns: Conn[] = [];
  try {
    await fn(server, async () => {
      const conn = await connect(server.port);
      conns.push(conn);
      return conn;
    });
  } finally {
    for (const conn of conns) conn.close();
    await server.stop();
  }
}

/** Sends a blocking command and waits until the server counts it as blocked. */
async function block(server: InProcessServer, conn: Conn, ...argv: string[]): Promise<void> {
  const before = server.server.blockedClients;
  await conn.send(...argv);
  await blockedClients(server, before + 1);
}

/** The propagated writes since `from`, without their database numbers. */
function propagatedSince(server: InProcessServer, from: number): string[][] {
  return server.propagated.slice(from).map((entry) => entry.slice(1));
}

Deno.test("clients blocked on one key are served in the order they blocked", () =>
  withServer(async (server, open) => {
    const waiters: Conn[] = [];
    for (let i = 0; i < 5; i++) {
      const conn = await open();
      await block(server, conn, i % 2 === 0 ? "BLPOP" : "BRPOP", "q", "0");
      waiters.push(conn);
    }
    const pusher = await open();
    assert.equal(await pusher.call("RPUSH", "q", "1", "2", "3", "4", "5", "6", "7"), ":7\r\n");
    // Each takes from its own end, one at a time, in the order they arrived.
    const got = await Promise.all(waiters.map(async (c) => bulks(await c.read())));
    assert.deepEqual(got, [["q", "1"], ["q", "7"], ["q", "2"], ["q", "6"], ["q", "3"]]);
    assert.equal(await pusher.call("LRANGE", "q", "0", "-1"), "*2\r\n$1\r\n4\r\n$1\r\n5\r\n");
    assert.equal(server.server.blockedClients, 0);
  }));

Deno.test("a push with fewer elements than waiters serves the earliest and leaves the rest waiting", () =>
  withServer(async (server, open) => {
    const [a, b, c] = [await open(), await open(), await open()];
    await block(server, a, "BLPOP", "k", "0");
    await block(server, b, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2");
    await block(server, c, "BLPOP", "k", "0");
    const pusher = await open();
    await pusher.call("LPUSH", "k", "x");
    assert.deepEqual(bulks(await a.read()), ["k", "x"]);
    await blockedClients(server, 2);
    assert.equal(await pusher.call("EXISTS", "k"), ":0\r\n");
    await pusher.call("RPUSH", "k", "1", "2", "3", "4");
    assert.equal((await b.read()).raw, "*2\r\n$1\r\nk\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert.deepEqual(bulks(await c.read()), ["k", "3"]);
    assert.equal(await pusher.call("LRANGE", "k", "0", "-1"), "*1\r\n$1\r\n4\r\n");
  }));

Deno.test("many clients blocked on several keys get every pushed element exactly once", () =>
  withServer(async (server, open) => {
    const keys = ["k0", "k1", "k2", "k3", "k4"];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // 40 waiters, each on two or three keys, with the four kinds of blocking pops.
    const waiters: { conn: Conn; keys: string[]; kind: number }[] = [];
    for (let i = 0; i < 40; i++) {
      const conn = await open();
      const mine = keys.filter(() => random(2) === 0);
      if (mine.length < 2) mine.push(...keys.filter((k) => !mine.includes(k)).slice(0, 2));
      const kind = i % 4;
      if (kind === 0) await block(server, conn, "BLPOP", ...mine, "0");
      else if (kind === 1) await block(server, conn, "BRPOP", ...mine, "0");
      else if (kind === 2) {
        await block(server, conn, "BLMPOP", "0", String(mine.length), ...mine, "LEFT");
      } else await block(server, conn, "BLMOVE", mine[0], `out${i}`, "LEFT", "LEFT", "0");
      waiters.push({ conn, keys: kind === 3 ? [mine[0]] : mine, kind });
    }
    const replies = new Map<number, Promise<Reply>>();
    waiters.forEach((w, i) => replies.set(i, w.conn.read()));
    // Five pushers, pushing concurrently to random keys, one or more elements at a time.
    const pushed: string[] = [];
    const pushers = await Promise.all([0, 1, 2, 3, 4].map(() => open()));
    await Promise.all(pushers.map(async (p, n) => {
      for (let i = 0; i < 12; i++) {
        const count = 1 + random(3);
        const elements = Array.from({ length: count }, (_, j) => `e${n}-${i}-${j}`);
        pushed.push(...elements);
        await p.call(random(2) ? "LPUSH" : "RPUSH", keys[random(keys.length)], ...elements);
      }
    }));
    // Each waiter whose keys got data was served; the rest still wait.
    await delay(50);
    const served: string[] = [];
    const stillWaiting: number[] = [];
    for (const [i, pending] of replies) {
      const reply = await Promise.race([pending, delay(20).then(() => null)]);
      if (reply === null) {
        stillWaiting.push(i);
        continue;
      }
      const w = waiters[i];
      if (w.kind === 3) {
        assert.equal(reply.type, "$");
        served.push(reply.raw.slice(reply.raw.indexOf("\r\n") + 2, -2));
      } else if (w.kind === 2) {
        const [key, list] = reply.children!;
        assert.ok(w.keys.includes(key.raw.split("\r\n")[1]));
        for (const element of bulks(list)) served.push(element!);
      } else {
        const [key, element] = bulks(reply);
        assert.ok(w.keys.includes(key!));
        served.push(element!);
      }
    }
    const probe = await open();
    const left: string[] = [];
    for (const key of keys) {
      const raw = await probe.call("LRANGE", key, "0", "-1");
      left.push(...raw.split("\r\n").filter((_, i) => i > 0 && i % 2 === 0));
    }
    // Nothing lost, nothing served twice.
    assert.deepEqual([...served, ...left].sort(), [...pushed].sort());
    assert.equal(new Set(served).size, served.length);
    // A waiter only keeps waiting while all its keys are empty.
    for (const i of stillWaiting) {
      for (const key of waiters[i].keys) {
        assert.equal(await probe.call("EXISTS", key), ":0\r\n", `waiter ${i} on ${key}`);
      }
    }
    assert.equal(server.server.blockedClients, stillWaiting.length);
  }));

Deno.test("timeouts end the wait with a nil array, with sub-second precision", () =>
  withServer(async (server, open) => {
    const c = await open();
    for (
      const argv of [
        ["BLPOP", "k", "0.15"],
        ["BRPOP", "k", "k2", "0.15"],
        ["BLMOVE", "k", "d", "LEFT", "LEFT", "0.15"],
        ["BRPOPLPUSH", "k", "d", "0.15"],
        ["BLMPOP", "0.15", "1", "k", "LEFT"],
      ]
    ) {
      const started = performance.now();
      assert.equal(await c.call(...argv), "*-1\r\n", argv.join(" "));
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 145 && elapsed < 600, `${argv[0]} took ${elapsed} ms`);
    }
    assert.equal(server.server.blockedClients, 0);
    await c.call("HELLO", "3");
    assert.equal(await c.call("BLPOP", "k", "0.01"), "_\r\n");
    assert.equal(await c.call("BLMOVE", "k", "d", "LEFT", "LEFT", "0.01"), "_\r\n");
  }));

Deno.test("timeout 0 waits until data arrives, and so does a timeout under a millisecond", () =>
  withServer(async (server, open) => {
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLPOP", "k", "0");
    await block(server, b, "BLPOP", "k", "0.0001");
    await delay(200);
    assert.equal(server.server.blockedClients, 2);
    const pusher = await open();
    await pusher.call("RPUSH", "k", "1", "2");
    assert.deepEqual(bulks(await a.read()), ["k", "1"]);
    assert.deepEqual(bulks(await b.read()), ["k", "2"]);
  }));

Deno.test("a timeout longer than a JS timer's limit still waits", () =>
  withServer(async (server, open) => {
    const c = await open();
    // 2,200,000 s is past setTimeout's 2^31-1 ms, which Deno would turn into 1 ms.
    await block(server, c, "BLPOP", "k", "2200000");
    await delay(100);
    assert.equal(server.server.blockedClients, 1);
    await (await open()).call("RPUSH", "k", "v");
    assert.deepEqual(bulks(await c.read()), ["k", "v"]);
  }));

Deno.test("a client that disconnects while blocked is forgotten and takes nothing", () =>
  withServer(async (server, open) => {
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLPOP", "k", "0");
    await block(server, b, "BLMOVE", "k", "d", "LEFT", "LEFT", "0");
    const info = await open();
    assert.match(await info.call("INFO", "clients"), /blocked_clients:2\r\n/);
    a.close();
    b.close();
    await blockedClients(server, 0);
    assert.match(await info.call("INFO", "clients"), /blocked_clients:0\r\n/);
    await info.call("RPUSH", "k", "v");
    assert.equal(await info.call("LRANGE", "k", "0", "-1"), "*1\r\n$1\r\nv\r\n");
    assert.equal(await info.call("EXISTS", "d"), ":0\r\n");
  }));

Deno.test("pushes inside MULTI/EXEC wake blocked clients only after EXEC, with what is left", () =>
  withServer(async (server, open) => {
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLPOP", "q", "0");
    await block(server, b, "BRPOP", "q", "0");
    const t = await open();
    await t.call("MULTI");
    await t.call("RPUSH", "q", "1", "2", "3");
    await t.call("LPOP", "q");
    await t.call("RPUSH", "q", "4");
    // Nothing is served while the transaction is only queued.
    await delay(50);
    assert.equal(server.server.blockedClients, 2);
    const from = server.propagated.length;
    assert.equal(await t.call("EXEC"), "*3\r\n:3\r\n$1\r\n1\r\n:3\r\n");
    assert.deepEqual(bulks(await a.read()), ["q", "2"]);
    assert.deepEqual(bulks(await b.read()), ["q", "4"]);
    assert.equal(await t.call("LRANGE", "q", "0", "-1"), "*1\r\n$1\r\n3\r\n");
    assert.deepEqual(propagatedSince(server, from), [
      ["RPUSH", "q", "1", "2", "3"],
      ["LPOP", "q"],
      ["RPUSH", "q", "4"],
      ["LPOP", "q"],
      ["RPOP", "q"],
    ]);
  }));

Deno.test("a transaction that pushes and pops everything wakes nobody", () =>
  withServer(async (server, open) => {
    const a = await open();
    await block(server, a, "BLPOP", "q", "0");
    const t = await open();
    await t.call("MULTI");
    await t.call("RPUSH", "q", "1");
    await t.call("DEL", "q");
    assert.equal(await t.call("EXEC"), "*2\r\n:1\r\n:1\r\n");
    await delay(50);
    assert.equal(server.server.blockedClients, 1);
    await t.call("RPUSH", "q", "2");
    assert.deepEqual(bulks(await a.read()), ["q", "2"]);
  }));

Deno.test("blocking commands inside MULTI answer at once instead of blocking", () =>
  withServer(async (server, open) => {
    const c = await open();
    await c.call("MULTI");
    await c.call("BLPOP", "q", "0");
    await c.call("BLMOVE", "q", "d", "LEFT", "LEFT", "0");
    await c.call("BLMPOP", "0", "1", "q", "LEFT");
    assert.equal(await c.call("EXEC"), "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
    assert.equal(server.server.blockedClients, 0);
  }));

Deno.test("BLMOVE chains pass an element along and propagate each move", () =>
  withServer(async (server, open) => {
    const [a, b, c] = [await open(), await open(), await open()];
    await block(server, a, "BLMOVE", "l1", "l2", "LEFT", "right", "0");
    await block(server, b, "BRPOPLPUSH", "l2", "l3", "0");
    await block(server, c, "BLPOP", "l3", "0");
    const p = await open();
    const from = server.propagated.length;
    await p.call("RPUSH", "l1", "x", "y");
    assert.equal((await a.read()).raw, "$1\r\nx\r\n");
    assert.equal((await b.read()).raw, "$1\r\nx\r\n");
    assert.deepEqual(bulks(await c.read()), ["l3", "x"]);
    assert.deepEqual(propagatedSince(server, from), [
      ["RPUSH", "l1", "x", "y"],
      ["LMOVE", "l1", "l2", "left", "right"],
      ["RPOPLPUSH", "l2", "l3"],
      ["LPOP", "l3"],
    ]);
    assert.equal(await p.call("LRANGE", "l1", "0", "-1"), "*1\r\n$1\r\ny\r\n");
    assert.equal(await p.call("EXISTS", "l2", "l3"), ":0\r\n");
  }));

Deno.test("a BLMOVE onto its own key, and LMOVE into a key clients wait on, wake them", () =>
  withServer(async (server, open) => {
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLMOVE", "r", "r", "LEFT", "RIGHT", "0");
    await block(server, b, "BLPOP", "dst", "0");
    const p = await open();
    await p.call("RPUSH", "r", "1", "2");
    assert.equal((await a.read()).raw, "$1\r\n1\r\n");
    assert.equal(await p.call("LRANGE", "r", "0", "-1"), "*2\r\n$1\r\n2\r\n$1\r\n1\r\n");
    await p.call("LMOVE", "r", "dst", "LEFT", "LEFT");
    assert.deepEqual(bulks(await b.read()), ["dst", "2"]);
  }));

Deno.test("a waiting client is not woken by its key becoming another type", () =>
  withServer(async (server, open) => {
    const a = await open();
    await block(server, a, "BLPOP", "k1", "k2", "0");
    const p = await open();
    await p.call("SET", "k1", "string");
    await delay(50);
    // Redis 7.0 only wakes a list waiter for a list: no WRONGTYPE, still waiting.
    assert.equal(server.server.blockedClients, 1);
    await p.call("RPUSH", "k2", "x");
    assert.deepEqual(bulks(await a.read()), ["k2", "x"]);
  }));

Deno.test("a woken BLMOVE whose destination became another type gets WRONGTYPE and takes nothing", () =>
  withServer(async (server, open) => {
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
    await block(server, b, "BLPOP", "src", "0");
    const p = await open();
    await p.call("SET", "dst", "string");
    await p.call("RPUSH", "src", "v");
    assert.equal(
      (await a.read()).raw,
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    assert.deepEqual(bulks(await b.read()), ["src", "v"]);
    assert.equal(server.server.blockedClients, 0);
  }));

Deno.test("a blocked client's pipelined commands run after it is served", () =>
  withServer(async (server, open) => {
    const c = await open();
    await c.send("BLPOP", "k", "0");
    await c.send("PING");
    await c.send("LLEN", "k");
    await blockedClients(server, 1);
    await (await open()).call("RPUSH", "k", "a", "b");
    assert.deepEqual(bulks(await c.read()), ["k", "a"]);
    assert.equal((await c.read()).raw, "+PONG\r\n");
    assert.equal((await c.read()).raw, ":1\r\n");
  }));

Deno.test("a client blocked in another database is served from that database only", () =>
  withServer(async (server, open) => {
    const a = await open();
    await a.call("SELECT", "2");
    await block(server, a, "BLPOP", "k", "0");
    const p = await open();
    await p.call("RPUSH", "k", "db0");
    await delay(50);
    assert.equal(server.server.blockedClients, 1);
    await p.call("SELECT", "2");
    await p.call("RPUSH", "k", "db2");
    assert.deepEqual(bulks(await a.read()), ["k", "db2"]);
    assert.equal(await a.call("LLEN", "k"), ":0\r\n");
  }));

Deno.test("a served BLMPOP propagates the count it popped", () =>
  withServer(async (server, open) => {
    const a = await open();
    await block(server, a, "BLMPOP", "0", "2", "x", "k", "RIGHT", "COUNT", "5");
    const p = await open();
    const from = server.propagated.length;
    await p.call("RPUSH", "k", "1", "2", "3");
    assert.equal(
      (await a.read()).raw,
      "*2\r\n$1\r\nk\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n",
    );
    assert.deepEqual(propagatedSince(server, from), [["RPUSH", "k", "1", "2", "3"], [
      "RPOP",
      "k",
      "3",
    ]]);
  }));

Deno.test("a client waiting on two keys is served from the one that was filled first", () =>
  withServer(async (server, open) => {
    // Redis 7.0 serves a waiter from the key that became ready first, even when its
    // other key, listed first, was filled by the same transaction.
    const [a, b] = [await open(), await open()];
    await block(server, a, "BLPOP", "k1", "k2", "0");
    await block(server, b, "BLPOP", "k1", "0");
    const t = await open();
    await t.call("MULTI");
    await t.call("RPUSH", "k2", "a");
    await t.call("RPUSH", "k1", "b");
    await t.call("EXEC");
    assert.deepEqual(bulks(await a.read()), ["k2", "a"]);
    assert.deepEqual(bulks(await b.read()), ["k1", "b"]);
  }));

// Redis 7.0 counts a blocking command once in INFO commandstats and once in
// total_commands_processed, however often a write to its keys makes it run again.
Deno.test({
  name: "a blocking command counts as one call however often it is run again",
  fn: () =>
    withServer(async (server, open) => {
      const a = await open();
      const stats = server.server.stats;
      const processed = stats.commandsProcessed;
      await block(server, a, "BLPOP", "q", "0");
      const p = await open();
      await p.call("SET", "q", "string");
      await p.call("DEL", "q");
      await p.call("RPUSH", "q", "a");
      assert.deepEqual(bulks(await a.read()), ["q", "a"]);
      assert.equal(stats.commands.get("blpop")?.calls, 1);
      assert.equal(stats.commandsProcessed - processed, 4);
    }),
});

// ---------------------------------------------------------------------------------
// The same multi-client scripts on real Redis and on Redeno: every client's replies
// and the propagated writes (Redis's AOF) must match.
//
// Script lines: `N: COMMAND args...` sends a command from client N without waiting;
// after each line both servers get a moment, then each client's new replies are
// recorded. Lines are split like scenario lines (quotes, \x escapes).

const SCRIPTS: Record<string, string> = {
  "a waiter on two keys filled by one transaction takes the key filled first": `
    1: BLPOP k1 k2 0
    2: BLPOP k1 0
    3: BLMPOP 0 2 j1 j2 LEFT COUNT 2
    4: BRPOP j1 0
    0: MULTI
    0: RPUSH k2 a
    0: RPUSH k1 b
    0: RPUSH j2 c d e
    0: RPUSH j1 f
    0: EXEC`,
  "one key, mixed ends, served in arrival order": `
    1: BLPOP q 0
    2: BRPOP q 0
    3: BLMPOP 0 1 q LEFT COUNT 2
    4: BLPOP q 0
    0: RPUSH q a b c d e
    0: RPUSH q f
    0: LRANGE q 0 -1`,
  "several keys, first key wins for a waiter that finds several at once": `
    1: BLPOP k1 k2 k3 0
    2: BRPOP k3 k2 0
    3: BLPOP k2 0
    0: RPUSH k2 a b
    0: RPUSH k3 c
    0: RPUSH k1 d`,
  "MULTI/EXEC wakes waiters after EXEC with what is left": `
    1: BLPOP q 0
    2: BRPOP q 0
    0: MULTI
    0: RPUSH q 1 2 3
    0: LPOP q
    0: RPUSH q 4
    0: EXEC
    0: LRANGE q 0 -1`,
  "BLMOVE chains and rotations": `
    1: BLMOVE a b LEFT RIGHT 0
    2: BRPOPLPUSH b c 0
    3: BLMOVE c c RIGHT LEFT 0
    4: BLMPOP 0 2 x c RIGHT COUNT 3
    0: RPUSH a 1 2
    0: LRANGE a 0 -1
    0: LRANGE b 0 -1
    0: LRANGE c 0 -1`,
  "keys that become other types": `
    1: BLPOP k1 k2 0
    2: BLMOVE src dst LEFT LEFT 0
    3: BLPOP src 0
    0: SET k1 string
    0: SET dst string
    0: RPUSH k2 x
    0: RPUSH src v w
    0: LRANGE src 0 -1`,
  "RENAME, MOVE, COPY and LMOVE into awaited keys": `
    0: SELECT 1
    1: BLPOP r 0
    2: BLPOP m 0
    3: BLPOP c 0
    4: BLPOP l 0
    5: SELECT 1
    5: BLPOP m1 0
    0: RPUSH tmp a b
    0: RENAME tmp r
    0: RPUSH tmp2 x
    0: MOVE tmp2 0
    0: SELECT 0
    0: RENAME tmp2 m
    0: RPUSH orig 1 2
    0: COPY orig c
    0: LMOVE orig l LEFT LEFT
    0: RPUSH m1 z
    0: MOVE m1 1`,
  "timeouts, served or not": `
    1: BLPOP t 3
    2: BRPOP t 0.2
    3: BLMOVE t d LEFT LEFT 0.2
    @sleep 400
    0: RPUSH other x
    0: RPUSH t late
    0: RPUSH t later
    0: LRANGE t 0 -1`,
  "the ends of a served BLMOVE propagate in lowercase, those of an unblocked one as sent": `
    1: BLMOVE a b LeFt RIGHT 0
    0: RPUSH a 1 2
    0: BLMOVE a b RiGhT lEfT 0
    0: LRANGE b 0 -1`,
  "pipelined commands behind a blocked one": `
    1: BLPOP p 0
    1: PING
    1: LLEN p
    1: RPUSH p mine
    0: RPUSH p a b`,
  "SWAPDB and FLUSHALL with waiters": `
    1: BLPOP s 0
    2: SELECT 1
    2: BRPOP s 0
    0: SELECT 1
    0: RPUSH s a b
    0: SELECT 0
    0: RPUSH s2 x
    0: SWAPDB 0 1
    3: BLPOP gone 0
    0: RPUSH gone 1
    0: FLUSHALL
    0: RPUSH gone 2`,
  "waiters on different keys filled by one transaction": `
    1: BLPOP a 0
    2: BLPOP b 0
    3: BLMPOP 0 2 b a RIGHT COUNT 2
    0: MULTI
    0: RPUSH b 1 2 3
    0: RPUSH a x y z
    0: EXEC
    0: LRANGE a 0 -1
    0: LRANGE b 0 -1`,
  "a transaction that empties the key wakes nobody": `
    1: BLPOP q 0
    0: MULTI
    0: RPUSH q 1
    0: DEL q
    0: EXEC
    0: RPUSH q 2`,
};

/** One connection that keeps reading in the background; complete replies are split off. */
class Listener {
  readonly conn: Deno.Conn;
  #buffer = "";
  #done: Promise<void>;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.conn.read(chunk);
        if (n === null) return;
        for (let i = 0; i < n; i++) this.#buffer += String.fromCharCode(chunk[i]);
      }
    } catch {
      // Closed.
    }
  }

  /** The complete replies received since the last call. */
  take(): string[] {
    const out: string[] = [];
    let at = 0;
    while (true) {
      const end = replyEnd(this.#buffer, at);
      if (end < 0) break;
      out.push(this.#buffer.slice(at, end));
      at = end;
    }
    this.#buffer = this.#buffer.slice(at);
    return out;
  }

  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch { /* already closed */ }
    await this.#done;
  }
}

// The index just past the RESP reply starting at `at`, or -1 when it is incomplete.
function replyEnd(buf: string, at: number): number {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return -1;
  const type = buf[at];
  const n = Number(buf.slice(at + 1, eol));
  let end = eol + 2;
  if (type === "$" || type === "!" || type === "=") {
    if (n < 0) return end;
    return buf.length >= end + n + 2 ? end + n + 2 : -1;
  }
  if ("*~>%|".includes(type)) {
    const items = n < 0 ? 0 : type === "%" || type === "|" ? 2 * n : n;
    for (let i = 0; i < items; i++) {
      end = replyEnd(buf, end);
      if (end < 0) return -1;
    }
  }
  return end;
}

/** Runs a script on a server; returns the transcript of replies per step. */
async function runScript(port: number, script: string): Promise<string[]> {
  const clients = new Map<number, Listener>();
  const transcript: string[] = [];
  try {
    for (const raw of script.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      if (line.startsWith("@sleep")) {
        await delay(Number(line.split(" ")[1]));
      } else {
        const colon = line.indexOf(":");
        const id = Number(line.slice(0, colon));
        const argv = splitLine(line.slice(colon + 1))!;
        let client = clients.get(id);
        if (client === undefined) {
          client = new Listener(await Deno.connect({ hostname: "127.0.0.1", port }));
          clients.set(id, client);
        }
        await client.conn.write(encodeCommand(argv));
      }
      await delay(40);
      const got = [...clients].map(([id, c]) => `${id}=${JSON.stringify(c.take().join(""))}`);
      transcript.push(`${line} → ${got.filter((g) => !g.endsWith('=""')).join(" ")}`);
    }
  } finally {
    for (const client of clients.values()) await client.close();
  }
  return transcript;
}

/**
 * The commands in the AOF files Redis wrote, as argv arrays (SELECTs included), minus
 * the MULTI/EXEC Redis wraps around a transaction's writes (Redeno's propagation hook
 * does not report those; the AOF writer's business).
 */
function readAof(dir: string): string[][] {
  const commands: string[][] = [];
  const aofDir = `${dir}/appendonlydir`;
  const files = [...Deno.readDirSync(aofDir)].map((e) => e.name).filter((n) =>
    n.endsWith(".incr.aof")
  );
  for (const name of files.sort()) {
    const text = new TextDecoder("latin1").decode(Deno.readFileSync(`${aofDir}/${name}`));
    let at = 0;
    while (at < text.length) {
      const eol = text.indexOf("\r\n", at);
      const count = Number(text.slice(at + 1, eol));
      at = eol + 2;
      const argv: string[] = [];
      for (let i = 0; i < count; i++) {
        const lineEnd = text.indexOf("\r\n", at);
        const len = Number(text.slice(at + 1, lineEnd));
        argv.push(text.slice(lineEnd + 2, lineEnd + 2 + len));
        at = lineEnd + 2 + len + 2;
      }
      if (argv.length !== 1 || !["MULTI", "EXEC"].includes(argv[0].toUpperCase())) {
        commands.push(argv);
      }
    }
  }
  return commands;
}

/** Redeno's propagated writes with SELECTs where the database changes, like an AOF. */
function withSelects(propagated: string[][]): string[][] {
  const out: string[][] = [];
  let db = "";
  for (const [id, ...argv] of propagated) {
    if (id !== db) out.push(["SELECT", id]);
    db = id;
    out.push(argv);
  }
  return out;
}

Deno.test("multi-client blocking scripts get the same replies and propagate the same writes as on Redis", async (t) => {
  if (skipWithout("redis-server")) return;
  for (const [name, script] of Object.entries(SCRIPTS)) {
    await t.step(name, async () => {
      const dir = Deno.makeTempDirSync();
      const redis = await startRedis(freePort(), ["--appendonly", "yes", "--dir", dir]);
      const redeno = await startInProcess();
      try {
        const [theirs, ours] = await Promise.all([
          runScript(redis.port, script),
          runScript(redeno.port, script),
        ]);
        assert.deepEqual(ours, theirs);
        await delay(50);
        assert.deepEqual(withSelects(redeno.propagated), readAof(dir));
      } finally {
        await redis.stop();
        await redeno.stop();
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
});
