// End-to-end tests of the blocking list commands with many connections: that every
// pushed element reaches exactly one client, timeouts, clients that disconnect while
// waiting, and what a blocking command counts in the stats. Who is served first, and
// what is propagated, in deterministic orderings (FIFO order, MULTI/EXEC, BLMOVE chains,
// keys changing type, pipelining, other databases) is checked against real Redis by the
// scenarios tests/compat/scenarios/blocking_*.txt.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { freePort, skipWithout, startRedis } from "../_server.ts";
import { aofArgvs, encodeCommand, type Reply, ReplyReader, splitLine } from "../compat/harness.ts";

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

Deno.test("timeout 0 waits until data arrives, and so does a negative one above -1 ms", () =>
  withServer(async (server, open) => {
    // Redis rounds the milliseconds up: -0.0001 s and even -0.001 s (just above -1 ms
    // in long double) become 0, "forever"; -0.0011 is refused as negative.
    const [a, b, c] = [await open(), await open(), await open()];
    await block(server, a, "BLPOP", "k", "0");
    await block(server, b, "BLPOP", "k", "-0.0001");
    await block(server, c, "BLPOP", "k", "-0.001");
    await delay(200);
    assert.equal(server.server.blockedClients, 3);
    const pusher = await open();
    assert.equal(await pusher.call("BLPOP", "k", "-0.0011"), "-ERR timeout is negative\r\n");
    await pusher.call("RPUSH", "k", "1", "2", "3");
    assert.deepEqual(bulks(await a.read()), ["k", "1"]);
    assert.deepEqual(bulks(await b.read()), ["k", "2"]);
    assert.deepEqual(bulks(await c.read()), ["k", "3"]);
  }));

Deno.test("a timeout under a millisecond waits one millisecond, for every blocking command", () =>
  withServer(async (server, open) => {
    const c = await open();
    await c.call("SET", "str", "x");
    for (const t of ["0.001", "0.0001", "1e-400", "0x1p-20"]) {
      for (
        const argv of [
          ["BLPOP", "k", t],
          ["BRPOP", "k", "k2", t],
          ["BLMPOP", t, "1", "k", "LEFT"],
          ["BLMOVE", "k", "d", "LEFT", "LEFT", t],
          ["BRPOPLPUSH", "k", "d", t],
          ["BZPOPMIN", "z", t],
          ["BZPOPMAX", "z", t],
          ["BZMPOP", t, "1", "z", "MIN"],
        ]
      ) {
        const started = performance.now();
        assert.equal(await c.call(...argv), "*-1\r\n", argv.join(" "));
        const elapsed = performance.now() - started;
        assert.ok(elapsed >= 0.5 && elapsed < 500, `${argv.join(" ")} took ${elapsed} ms`);
      }
    }
    assert.equal(server.server.blockedClients, 0);
  }));

Deno.test("BLPOP and BZPOPMIN read a timeout of 1.005 s as the same 1005 ms", () =>
  withServer(async (server, open) => {
    // The timer delays the server asks for, recorded while both clients block.
    const delays: number[] = [];
    const original = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      if (ms !== undefined && ms > 900 && ms < 1100) delays.push(ms);
      return original(fn, ms);
    }) as typeof setTimeout;
    try {
      const [a, b] = [await open(), await open()];
      const started = performance.now();
      await block(server, a, "BLPOP", "l", "1.005");
      await block(server, b, "BZPOPMIN", "z", "1.005");
      assert.deepEqual(delays, [1005, 1005]);
      assert.equal((await a.read()).raw, "*-1\r\n");
      assert.equal((await b.read()).raw, "*-1\r\n");
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 1000 && elapsed < 1600, `took ${elapsed} ms`);
    } finally {
      globalThis.setTimeout = original;
    }
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
// and the propagated writes (Redis's AOF) must match. (The orderings that do not depend
// on timeouts moved to tests/compat/scenarios/blocking_*.txt, where `@aof` compares
// the AOF the same way.)
//
// Script lines: `N: COMMAND args...` sends a command from client N without waiting;
// after each line both servers get a moment, then each client's new replies are
// recorded. Lines are split like scenario lines (quotes, \x escapes).

const SCRIPTS: Record<string, string> = {
  "timeouts, served or not": `
    1: BLPOP t 3
    2: BRPOP t 0.2
    3: BLMOVE t d LEFT LEFT 0.2
    @sleep 400
    0: RPUSH other x
    0: RPUSH t late
    0: RPUSH t later
    0: LRANGE t 0 -1`,
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

/** Redeno's propagated writes with SELECTs where the database changes, like an AOF. */
function withSelects(propagated: string[][]): string[][] {
  const out: string[][] = [];
  let db = "";
  for (const [id, ...argv] of propagated) {
    // EXEC goes out with database -1: no SELECT in front of it.
    if (id !== db && id !== "-1") {
      out.push(["SELECT", id]);
      db = id;
    }
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
        assert.deepEqual(withSelects(redeno.propagated), aofArgvs(dir));
      } finally {
        await redis.stop();
        await redeno.stop();
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
});
