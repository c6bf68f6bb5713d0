// Lua scripting through real client libraries: ioredis's defineCommand (EVALSHA with its
// EVAL fallback, pipelined too), node-redis's scriptLoad / evalSha / eval and FUNCTION LOAD
// + fCall over RESP2 and RESP3, a redlock-style lock (SET NX PX, Lua compare-and-delete and
// compare-and-pexpire) with two contending clients, and busy scripts: -BUSY for the other
// clients, SCRIPT KILL / FUNCTION KILL, -UNKILLABLE once the script wrote, and SHUTDOWN
// NOSAVE. Every scenario runs against Redeno and, when redis-server is installed, against
// real Redis, so the expectations are Redis's.

import assert from "node:assert/strict";
import type { Redis } from "npm:ioredis@5";
import type { RunningServer } from "../_server.ts";
import { nodeRedis, onEachServer } from "./_each_server.ts";
import { ioredis } from "../_ioredis.ts";

/** How long one scenario may take on one server, so a reply that never comes fails it. */

/** How long a test waits for something to happen before it fails. */
const WAIT_MS = 5000;

/** The error `promise` rejects with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    const value = await promise;
    throw new assert.AssertionError({ message: `expected an error, got ${String(value)}` });
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    return error as Error;
  }
}

/** Polls `ready` until it resolves true; fails with `what` after WAIT_MS. */
async function waitUntil(what: string, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A reply with node-redis's null-prototype map objects made plain, for deepEqual. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// ioredis defineCommand

/** Sets KEYS[1] to ARGV[1] unless it is larger already; returns the value kept and the old. */
const SET_MAX = `
local old = redis.call('GET', KEYS[1])
if old == false or tonumber(old) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return {tonumber(ARGV[1]), old}
end
return {tonumber(old), old}
`;

type WithSetMax = Redis & {
  setMax(key: string, log: string, value: number): Promise<[number, string | null]>;
  sumOf(count: number, ...keys: string[]): Promise<number>;
};

Deno.test({
  name: "ioredis defineCommand: custom commands with keys and args, one by one and pipelined",
  fn: (t) =>
    onEachServer(t, async (server) => {
      const client = ioredis(server.port) as WithSetMax;
      await client.connect();
      try {
        client.defineCommand("setMax", { numberOfKeys: 2, lua: SET_MAX });
        // A variadic key count: ioredis then takes it as the first argument.
        client.defineCommand("sumOf", {
          lua: `local s = 0
for i, k in ipairs(KEYS) do s = s + tonumber(redis.call('GET', k) or '0') end
return s`,
        });

        // The first call finds no script (NOSCRIPT) and ioredis falls back to EVAL,
        // which loads it; the calls after that are EVALSHA hits.
        assert.deepEqual(await client.setMax("max", "log", 5), [5, null]);
        assert.deepEqual(await client.setMax("max", "log", 3), [5, "5"]);
        assert.deepEqual(await client.setMax("max", "log", 9), [9, "5"]);
        assert.deepEqual(await client.setMax("max", "log", 9), [9, "9"]);
        assert.equal(await client.get("max"), "9");
        assert.deepEqual(await client.lrange("log", 0, -1), ["5", "9"]);
        const sha = await client.script("LOAD", SET_MAX) as string;
        assert.deepEqual(await client.script("EXISTS", sha, "0".repeat(40)), [1, 0]);

        // Pipelined: after SCRIPT FLUSH the pipeline's EVALSHAs fail with NOSCRIPT, and
        // ioredis loads the script and sends the failed ones again (after the rest of the
        // pipeline, so this one holds only calls of the script, in order per key).
        assert.equal(await client.script("FLUSH"), "OK");
        assert.deepEqual(await client.script("EXISTS", sha), [0]);
        const pipeline = client.pipeline() as unknown as WithSetMax & typeof client;
        for (let i = 1; i <= 20; i++) pipeline.setMax(`p:${i % 3}`, `plog:${i % 3}`, i * 7 % 11);
        const results = await (pipeline as unknown as ReturnType<Redis["pipeline"]>).exec();
        assert.ok(results !== null);
        for (const [error] of results) assert.equal(error, null);

        // The same sequence in TypeScript gives the expected replies.
        const kept = new Map<number, number | null>();
        const expected: unknown[] = [];
        for (let i = 1; i <= 20; i++) {
          const value = i * 7 % 11;
          const old = kept.get(i % 3) ?? null;
          if (old === null || old < value) {
            kept.set(i % 3, value);
            expected.push([value, old === null ? null : String(old)]);
          } else {
            expected.push([old, String(old)]);
          }
        }
        assert.deepEqual(results.map(([, value]) => value), expected);
        assert.deepEqual(await client.script("EXISTS", sha), [1]);

        // Loaded now: a pipeline mixing the scripts with plain commands keeps its order.
        const mixed = client.pipeline();
        (mixed as unknown as WithSetMax).sumOf(3, "p:0", "p:1", "p:2");
        mixed.get("p:0");
        (mixed as unknown as WithSetMax).setMax("p:0", "plog:0", 100);
        mixed.get("p:0");
        (mixed as unknown as WithSetMax).sumOf(3, "p:0", "p:1", "p:2");
        const sum = [0, 1, 2].reduce((s, k) => s + (kept.get(k) ?? 0), 0);
        assert.deepEqual(await mixed.exec(), [
          [null, sum],
          [null, String(kept.get(0))],
          [null, [100, String(kept.get(0))]],
          [null, "100"],
          [null, sum - kept.get(0)! + 100],
        ]);

        // Many concurrent calls (auto-pipelined by the connection) stay consistent.
        const calls = [];
        for (let i = 0; i < 200; i++) calls.push(client.setMax("c", "clog", i));
        const replies = await Promise.all(calls);
        assert.deepEqual(replies[199], [199, "198"]);
        assert.equal(await client.get("c"), "199");
        assert.equal(await client.llen("clog"), 200);
        assert.equal(await client.sumOf(2, "c", "max"), 208);

        // A script error reaches the caller as an error reply.
        const error = await rejection(client.setMax("log", "max", 1));
        assert.match(error.message, /WRONGTYPE|attempt to compare/);
      } finally {
        await client.quit();
      }
    }),
});

// ---------------------------------------------------------------------------
// node-redis: scripts and functions

const LIBRARY = `#!lua name=clientlib
local function incr_by(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end
local function read_all(keys, args)
  local out = {}
  for i, k in ipairs(keys) do out[i] = redis.call('GET', k) end
  return out
end
local function kinds(keys, args)
  redis.setresp(3)
  return {redis.call('HGETALL', keys[1]), {double = 2.5}, true, false}
end
redis.register_function('incr_by', incr_by)
redis.register_function{function_name = 'read_all', callback = read_all, flags = {'no-writes'}}
redis.register_function{function_name = 'kinds', callback = kinds, flags = {'no-writes'}}
`;

for (const RESP of [2, 3] as const) {
  Deno.test({
    name: `node-redis RESP${RESP}: scriptLoad, evalSha, eval, FUNCTION LOAD and fCall`,
    fn: (t) =>
      onEachServer(t, async (server) => {
        const client = nodeRedis(server.port, RESP);
        await client.connect();
        try {
          const script = "return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])}";
          const sha = await client.scriptLoad(script);
          assert.match(sha, /^[0-9a-f]{40}$/);
          assert.deepEqual(await client.scriptExists([sha]), [1]);
          assert.deepEqual(await client.evalSha(sha, { keys: ["n"], arguments: ["4"] }), [
            "n",
            "4",
            4,
          ]);
          assert.deepEqual(await client.evalSha(sha, { keys: ["n"], arguments: ["6"] }), [
            "n",
            "6",
            10,
          ]);
          assert.deepEqual(await client.eval(script, { keys: ["n"], arguments: ["-1"] }), [
            "n",
            "-1",
            9,
          ]);
          const noScript = await rejection(client.evalSha("f".repeat(40), { keys: ["n"] }));
          assert.match(noScript.message, /^NOSCRIPT No matching script/);

          // Replies of every kind, converted as Redis converts them for this protocol.
          assert.equal(await client.eval("return redis.status_reply('FINE')"), "FINE");
          assert.equal(await client.eval("return 3.99"), 3);
          assert.equal(await client.eval("return 'text'"), "text");
          assert.equal(await client.eval("return nil"), null);
          assert.equal(await client.eval("return true"), 1);
          assert.equal(await client.eval("return false"), null);
          const raised = await rejection(client.eval("return redis.error_reply('MY bad thing')"));
          assert.equal(raised.message, "MY bad thing");
          const failed = await rejection(client.eval("return redis.call('nosuchcommand')"));
          assert.match(failed.message, /Unknown Redis command called from script/);
          assert.deepEqual(await client.eval("return {1, 'two', {3}}"), [1, "two", [3]]);

          // redis.setresp(3) inside the script: RESP3 types reach a RESP3 client as they
          // are and a RESP2 client as RESP2 converts them.
          await client.hSet("h", { a: "1", b: "2" });
          const typed = await client.eval(
            "redis.setresp(3); return {redis.call('HGETALL', KEYS[1]), {double = 2.5}, " +
              "redis.call('EXISTS', KEYS[1]) == 1, false}",
            { keys: ["h"] },
          );
          if (RESP === 3) {
            assert.deepEqual(plain(typed), [{ a: "1", b: "2" }, 2.5, true, false]);
          } else {
            // Booleans of a script in RESP3 mode reach a RESP2 client as 1 and 0.
            assert.deepEqual(typed, [["a", "1", "b", "2"], "2.5", 1, 0]);
          }

          // Functions.
          assert.equal(await client.functionLoad(LIBRARY), "clientlib");
          const duplicate = await rejection(client.functionLoad(LIBRARY));
          assert.match(duplicate.message, /Library 'clientlib' already exists/);
          assert.equal(await client.functionLoad(LIBRARY, { REPLACE: true }), "clientlib");
          assert.equal(await client.fCall("incr_by", { keys: ["f"], arguments: ["7"] }), 7);
          assert.equal(await client.fCall("incr_by", { keys: ["f"], arguments: ["8"] }), 15);
          assert.deepEqual(
            await client.fCallRo("read_all", { keys: ["f", "n", "missing"] }),
            ["15", "9", null],
          );
          const readOnly = await rejection(
            client.fCallRo("incr_by", { keys: ["f"], arguments: ["1"] }),
          );
          assert.match(readOnly.message, /Can not execute a script with write flag using \*_ro/);
          const kinds = await client.fCall("kinds", { keys: ["h"] });
          if (RESP === 3) {
            assert.deepEqual(plain(kinds), [{ a: "1", b: "2" }, 2.5, true, false]);
          } else {
            assert.deepEqual(kinds, [["a", "1", "b", "2"], "2.5", 1, 0]);
          }
          const missing = await rejection(client.fCall("nope", { keys: [] }));
          assert.equal(missing.message, "ERR Function not found");

          // LIBRARYNAME is a glob pattern; flags come as a set (an array once parsed).
          assert.deepEqual(plain(await client.functionList({ LIBRARYNAME: "client" })), []);
          const listed = plain(await client.functionList({ LIBRARYNAME: "client*" })) as {
            functions: { name: string; description: string | null; flags: string[] }[];
          }[];
          // The functions come in no particular order.
          listed[0]?.functions.sort((a, b) => a.name < b.name ? -1 : 1);
          assert.deepEqual(listed, [{
            library_name: "clientlib",
            engine: "LUA",
            functions: [
              { name: "incr_by", description: null, flags: [] },
              { name: "kinds", description: null, flags: ["no-writes"] },
              { name: "read_all", description: null, flags: ["no-writes"] },
            ],
          }]);
          assert.equal(await client.functionDelete("clientlib"), "OK");
          assert.equal(
            (await rejection(client.fCall("incr_by", { keys: ["f"], arguments: ["1"] }))).message,
            "ERR Function not found",
          );
          assert.equal(await client.functionFlush(), "OK");
        } finally {
          await client.close();
        }
      }),
  });
}

// ---------------------------------------------------------------------------
// A redlock-style lock

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

type Locking = Redis & {
  release(key: string, token: string): Promise<number>;
  extend(key: string, token: string, ms: number): Promise<number>;
};

function locking(port: number): Locking {
  const client = ioredis(port) as Locking;
  client.defineCommand("release", { numberOfKeys: 1, lua: RELEASE });
  client.defineCommand("extend", { numberOfKeys: 1, lua: EXTEND });
  return client;
}

/** Tries to take the lock until it gets it; returns the token. */
async function acquire(client: Redis, key: string, ttlMs: number): Promise<string> {
  const token = crypto.randomUUID();
  const deadline = Date.now() + WAIT_MS;
  while ((await client.set(key, token, "PX", ttlMs, "NX")) !== "OK") {
    if (Date.now() > deadline) throw new Error("could not take the lock");
    await sleep(1 + Math.random() * 3);
  }
  return token;
}

Deno.test({
  name: "a redlock-style lock: SET NX PX, Lua compare-and-delete and compare-and-pexpire",
  fn: (t) =>
    onEachServer(t, async (server) => {
      const alice = locking(server.port);
      const bob = locking(server.port);
      await alice.connect();
      await bob.connect();
      try {
        // One holder at a time; the wrong token neither releases nor extends.
        const token = await acquire(alice, "lock", 10000);
        assert.equal(await bob.set("lock", "bob", "PX", 10000, "NX"), null);
        assert.equal(await bob.release("lock", "bob"), 0);
        assert.equal(await bob.extend("lock", "bob", 60000), 0);
        assert.equal(await bob.get("lock"), token);
        const ttl = await bob.pttl("lock");
        assert.ok(ttl > 0 && ttl <= 10000, `pttl ${ttl}`);

        // The holder extends it.
        assert.equal(await alice.extend("lock", token, 60000), 1);
        const extended = await bob.pttl("lock");
        assert.ok(extended > 10000 && extended <= 60000, `pttl ${extended}`);
        assert.equal(await alice.release("lock", token), 1);
        assert.equal(await alice.release("lock", token), 0);
        assert.equal(await alice.exists("lock"), 0);

        // An expired lock goes to the other client; the old token then does nothing.
        const short = await acquire(alice, "lock", 50);
        const taken = await acquire(bob, "lock", 10000);
        assert.notEqual(taken, short);
        assert.equal(await alice.release("lock", short), 0);
        assert.equal(await alice.extend("lock", short, 10000), 0);
        assert.equal(await bob.get("lock"), taken);
        assert.equal(await bob.release("lock", taken), 1);

        // Contention: both clients do read-modify-write increments under the lock; none
        // is lost, and a client never sees the lock held by itself twice.
        let inside = 0;
        let overlaps = 0;
        const worker = async (client: Locking, rounds: number) => {
          for (let i = 0; i < rounds; i++) {
            const mine = await acquire(client, "counter:lock", 5000);
            inside++;
            if (inside > 1) overlaps++;
            const value = Number(await client.get("counter") ?? "0");
            await sleep(Math.random() * 2);
            await client.set("counter", String(value + 1));
            if (i % 5 === 0) assert.equal(await client.extend("counter:lock", mine, 5000), 1);
            inside--;
            assert.equal(await client.release("counter:lock", mine), 1);
          }
        };
        await Promise.all([worker(alice, 50), worker(bob, 50)]);
        assert.equal(overlaps, 0);
        assert.equal(await alice.get("counter"), "100");
        assert.equal(await alice.exists("counter:lock"), 0);
      } finally {
        await alice.quit();
        await bob.quit();
      }
    }),
});

// ---------------------------------------------------------------------------
// Busy scripts

/** Busy scripts run by `runner` while `other` watches; both clients of the server. */
interface BusyCase {
  /** The command that starts a script that loops and never writes. */
  spin: (runner: Redis) => Promise<unknown>;
  /** The command that starts a script that writes, then loops. */
  spinAfterWrite: (runner: Redis) => Promise<unknown>;
  /** Loads what the commands need. */
  setup?: (client: Redis) => Promise<void>;
  kill: string;
  /** The other kill command, refused while this kind of script runs. */
  otherKill: string;
  /** The error the killed script's caller gets. */
  killed: string;
}

/** The error a reply raised, as a string (or "reply: <value>" when it succeeded). */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return `reply: ${JSON.stringify(await promise)}`;
  } catch (error) {
    return (error as Error).message;
  }
}

async function busyScenario(server: RunningServer, kind: BusyCase): Promise<void> {
  const runner = ioredis(server.port);
  const other = ioredis(server.port);
  const killer = ioredis(server.port);
  await runner.connect();
  await other.connect();
  await killer.connect();
  const busy = `BUSY Redis is busy running a script. You can only call ${kind.kill} or ` +
    "SHUTDOWN NOSAVE.";
  try {
    assert.equal(await other.config("SET", "busy-reply-threshold", "100"), "OK");
    await kind.setup?.(other);
    assert.equal(await other.set("x", "0"), "OK");
    assert.match(await outcome(other.call(...kind.kill.split(" ") as [string])), /^NOTBUSY/);

    // A script that never writes: -BUSY for the others, then the kill stops it.
    const started = Date.now();
    const spinning = outcome(kind.spin(runner));
    await waitUntil("the script to start", async () => {
      return (await outcome(other.ping())) === busy;
    });
    assert.ok(Date.now() - started >= 90, "BUSY only after busy-reply-threshold");
    assert.equal(await outcome(other.get("x")), busy);
    assert.equal(await outcome(other.set("x", "2")), busy);
    assert.equal(await outcome(killer.call(...kind.otherKill.split(" ") as [string])), busy);
    assert.equal(await outcome(killer.call(...kind.kill.split(" ") as [string])), 'reply: "OK"');
    const killed = await spinning;
    assert.equal(killed, kind.killed);
    assert.equal(await other.ping(), "PONG");
    assert.equal(await other.get("x"), "0");
    assert.match(await outcome(killer.call(...kind.kill.split(" ") as [string])), /^NOTBUSY/);

    // A script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server.
    const writing = outcome(kind.spinAfterWrite(runner));
    await waitUntil("the writing script to start", async () => {
      return (await outcome(other.ping())) === busy;
    });
    assert.equal(await outcome(other.get("x")), busy);
    const unkillable = await outcome(killer.call(...kind.kill.split(" ") as [string]));
    assert.equal(
      unkillable,
      "UNKILLABLE Sorry the script already executed write commands against the dataset. " +
        "You can either wait the script termination or kill the server in a hard way using " +
        "the SHUTDOWN NOSAVE command.",
    );
    assert.equal(await outcome(other.ping()), busy);
    // SHUTDOWN NOSAVE gets no reply: the server closes every connection and exits.
    const shutdown = await outcome(killer.call("SHUTDOWN", "NOSAVE"));
    assert.match(shutdown, /Connection is closed|ECONNRESET|reply: null/);
    assert.match(await writing, /Connection is closed|ECONNRESET/);
    const status = await Promise.race([
      server.process.status,
      sleep(WAIT_MS).then(() => null),
    ]);
    assert.ok(status !== null, "the server exits after SHUTDOWN NOSAVE");
    assert.equal(status.code, 0);
  } finally {
    runner.disconnect();
    other.disconnect();
    killer.disconnect();
  }
}

Deno.test({
  name: "a busy EVAL: -BUSY for others, SCRIPT KILL, -UNKILLABLE after a write, SHUTDOWN NOSAVE",
  fn: (t) =>
    onEachServer(t, (server) =>
      busyScenario(server, {
        spin: (runner) => runner.eval("while true do end", 0),
        spinAfterWrite: (runner) =>
          runner.eval("redis.call('set', KEYS[1], '1') while true do end", 1, "x"),
        kill: "SCRIPT KILL",
        otherKill: "FUNCTION KILL",
        killed: "ERR Script killed by user with SCRIPT KILL... " +
          "script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.",
      })),
});

Deno.test({
  name: "a busy FCALL: -BUSY for others, FUNCTION KILL, -UNKILLABLE after a write, SHUTDOWN",
  fn: (t) =>
    onEachServer(t, (server) =>
      busyScenario(server, {
        setup: async (client) => {
          const library = `#!lua name=busy
redis.register_function('spin', function() while true do end end)
redis.register_function('spin_write', function(keys)
  redis.call('set', keys[1], '1')
  while true do end
end)`;
          assert.equal(await client.call("FUNCTION", "LOAD", library), "busy");
        },
        spin: (runner) => runner.call("FCALL", "spin", "0"),
        spinAfterWrite: (runner) => runner.call("FCALL", "spin_write", "1", "x"),
        kill: "FUNCTION KILL",
        otherKill: "SCRIPT KILL",
        // Redis 7.0 names SCRIPT KILL for a killed function too.
        killed: "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.",
      })),
});

// A loop inside pcall runs in Lua code beneath a C function, where the busy hook cannot
// yield a coroutine: such a script runs on a stack JSPI suspends, and behaves the same.
Deno.test({
  name: "a busy EVAL looping inside pcall: -BUSY for others, SCRIPT KILL, SHUTDOWN NOSAVE",
  fn: (t) =>
    onEachServer(t, (server) =>
      busyScenario(server, {
        spin: (runner) => runner.eval("pcall(function() while true do end end)", 0),
        spinAfterWrite: (runner) =>
          runner.eval(
            "redis.call('set', KEYS[1], '1') pcall(function() while true do end end)",
            1,
            "x",
          ),
        kill: "SCRIPT KILL",
        otherKill: "FUNCTION KILL",
        // pcall catches the kill's error, and the script then ends with nothing to say.
        killed: "reply: null",
      })),
});

/** Loops for ARGV[1] microseconds, then returns 'done' or fails (ARGV[2] == 'fail'). */
const SPIN_FOR = `
local start = redis.call('TIME')
local n = 0
while true do
  n = n + 1
  if n % 10000 == 0 then
    local now = redis.call('TIME')
    if (now[1] - start[1]) * 1000000 + (now[2] - start[2]) > tonumber(ARGV[1]) then break end
  end
end
if ARGV[2] == 'fail' then return redis.call('nosuchcommand') end
return 'done'
`;

Deno.test({
  name: "a busy script that ends by itself answers its result, or its error with its line",
  fn: (t) =>
    onEachServer(t, async (server) => {
      const runner = ioredis(server.port);
      const other = ioredis(server.port);
      await runner.connect();
      await other.connect();
      try {
        assert.equal(await other.config("SET", "busy-reply-threshold", "50"), "OK");
        for (const ending of ["done", "fail"]) {
          const result = outcome(runner.eval(SPIN_FOR, 0, "600000", ending));
          await waitUntil("the script to be busy", async () => {
            return /^BUSY/.test(await outcome(other.ping()));
          });
          const answer = await result;
          if (ending === "done") assert.equal(answer, 'reply: "done"');
          else {
            assert.match(
              answer,
              /^ERR Unknown Redis command called from script script: [0-9a-f]{40}, on @user_script:11\.$/,
            );
          }
          assert.equal(await other.ping(), "PONG");
        }
      } finally {
        runner.disconnect();
        other.disconnect();
      }
    }),
});
