// maxmemory end to end: one Redeno process under `maxmemory 20mb` takes about 100 MB
// of 10 KB values per policy, pipelined, while the test watches INFO's used_memory and
// the process's RSS, then checks that the keys left are the ones the policy keeps. A
// differential part sends the same commands to a real redis-server and Redeno while
// both are out of memory and compares the replies.

import assert from "node:assert/strict";
import {
  bytes,
  freePort,
  resp,
  rssOf,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";
import { type Reply, RespClient } from "../_resp_client.ts";

const LIMIT = 20 * 1024 * 1024;
const VALUE = "v".repeat(10 * 1024);
const TOTAL = 100 * 1024 * 1024;
const BATCH = 64;
// used_memory may pass the limit by the command that runs after an eviction (one
// value) and by client buffers that grew since the last housekeeping tick.
const MARGIN = 1024 * 1024;

/** A connection for pipelined floods whose replies are single lines (+OK, -ERR, :n). */
class Pipe {
  readonly #conn: Deno.Conn;
  #pending = "";

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<Pipe> {
    return new Pipe(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends the commands in one write and returns their one-line replies. */
  async send(commands: string[][]): Promise<string[]> {
    let request = "";
    for (const argv of commands) request += resp(...argv);
    const data = bytes(request);
    for (let at = 0; at < data.length;) at += await this.#conn.write(data.subarray(at));
    const replies: string[] = [];
    const chunk = new Uint8Array(65536);
    while (replies.length < commands.length) {
      let at: number;
      while (replies.length < commands.length && (at = this.#pending.indexOf("\r\n")) >= 0) {
        replies.push(this.#pending.slice(0, at));
        this.#pending = this.#pending.slice(at + 2);
      }
      if (replies.length === commands.length) break;
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      this.#pending += new TextDecoder("latin1").decode(chunk.subarray(0, n));
    }
    return replies;
  }

  close(): void {
    this.#conn.close();
  }
}

/** INFO fields as numbers. */
async function info(client: RespClient, section: string): Promise<Record<string, number>> {
  const text = await client.call("INFO", section) as string;
  const out: Record<string, number> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon)] = Number(line.slice(colon + 1));
  }
  return out;
}

interface Flood {
  /** The highest used_memory and RSS seen. */
  usedHigh: number;
  rssHigh: number;
  /** Replies other than +OK (the first few). */
  errors: string[];
  written: number;
}

/**
 * Writes about 100 MB: `command(i)` for i = 0, 1, ... in pipelined batches; `between`
 * runs after each batch (reads that keep keys hot). Stops early after `stopOnError`
 * error replies.
 */
async function flood(
  server: RunningServer,
  client: RespClient,
  pipe: Pipe,
  command: (i: number) => string[],
  options: { between?: () => Promise<void>; stopOnError?: number } = {},
): Promise<Flood> {
  const result: Flood = { usedHigh: 0, rssHigh: 0, errors: [], written: 0 };
  const count = Math.ceil(TOTAL / VALUE.length);
  for (let i = 0; i < count; i += BATCH) {
    const batch: string[][] = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(command(j));
    const replies = await pipe.send(batch);
    result.written += batch.length;
    for (const reply of replies) {
      if (reply !== "+OK" && result.errors.length < 10) result.errors.push(reply);
    }
    if ((i / BATCH) % 4 === 0) {
      result.usedHigh = Math.max(result.usedHigh, (await info(client, "memory")).used_memory);
      result.rssHigh = Math.max(result.rssHigh, rssOf(server.process.pid));
    }
    if (options.between !== undefined) await options.between();
    if (options.stopOnError !== undefined && result.errors.length >= options.stopOnError) break;
  }
  result.usedHigh = Math.max(result.usedHigh, (await info(client, "memory")).used_memory);
  return result;
}

/** Empties the server and sets the policy with the 20 MB limit. */
async function reset(client: RespClient, policy: string): Promise<void> {
  assert.deepEqual(await client.call("CONFIG", "SET", "maxmemory", "0"), "OK");
  assert.deepEqual(await client.call("FLUSHALL"), "OK");
  assert.deepEqual(await client.call("CONFIG", "RESETSTAT"), "OK");
  assert.deepEqual(await client.call("CONFIG", "SET", "maxmemory-policy", policy), "OK");
  assert.deepEqual(await client.call("CONFIG", "SET", "maxmemory", String(LIMIT)), "OK");
}

/** How many of `keys` exist. */
async function existing(client: RespClient, keys: string[]): Promise<number> {
  return await client.call("EXISTS", ...keys) as number;
}

function report(policy: string, result: Flood, evicted: number, keys: number): void {
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(
    `${policy}: wrote ${result.written} x 10 KB; used_memory high ${mb(result.usedHigh)} MB, ` +
      `RSS high ${mb(result.rssHigh)} MB; evicted ${evicted}, ${keys} keys left`,
  );
}

Deno.test("every maxmemory policy keeps used memory under the limit and keeps the keys it should", async (t) => {
  const server = await startRedeno(freePort(), ["--maxmemory", String(LIMIT)]);
  const client = await RespClient.connect(server.port);
  const pipe = await Pipe.open(server.port);
  const hot = Array.from({ length: 100 }, (_, i) => `hot:${i}`);
  const keep = Array.from({ length: 500 }, (_, i) => `keep:${i}`);
  // A flood result is checked the same way for every policy that evicts.
  const checkEvicting = async (policy: string, result: Flood) => {
    assert.deepEqual(result.errors, [], `${policy}: no write refused`);
    assert.ok(result.usedHigh <= LIMIT + MARGIN, `${policy}: used_memory ${result.usedHigh}`);
    const stats = await info(client, "stats");
    const keys = await client.call("DBSIZE") as number;
    assert.ok(stats.evicted_keys > 5000, `${policy}: ${stats.evicted_keys} keys evicted`);
    assert.ok(keys < LIMIT / VALUE.length, `${policy}: ${keys} keys left`);
    // Bounded: V8 keeps garbage until it collects, but the process does not grow with
    // what was written (100 MB per policy, 800 MB in all).
    assert.ok(result.rssHigh < 600 * 1024 * 1024, `${policy}: RSS ${result.rssHigh}`);
    report(policy, result, stats.evicted_keys, keys);
  };
  try {
    await t.step("noeviction refuses writes past the limit and evicts nothing", async () => {
      await reset(client, "noeviction");
      const result = await flood(server, client, pipe, (i) => ["SET", `k:${i}`, VALUE], {
        stopOnError: 3,
      });
      assert.deepEqual(
        result.errors[0],
        "-OOM command not allowed when used memory > 'maxmemory'.",
      );
      assert.ok(result.usedHigh <= LIMIT + MARGIN, `used_memory ${result.usedHigh}`);
      assert.deepEqual((await info(client, "stats")).evicted_keys, 0);
      assert.deepEqual(await client.call("GET", "k:0"), VALUE);
      assert.deepEqual(await client.call("DEL", "k:0"), 1);
      report("noeviction", result, 0, await client.call("DBSIZE") as number);
    });

    for (const policy of ["allkeys-random", "allkeys-lru", "allkeys-lfu"]) {
      await t.step(
        `${policy} evicts any key${policy === "allkeys-random" ? "" : " but the hot ones"}`,
        async () => {
          await reset(client, policy);
          await pipe.send(hot.map((key) => ["SET", key, VALUE]));
          // LFU: hot keys are read often enough for their counters to grow past a new key's.
          if (policy === "allkeys-lfu") {
            for (let i = 0; i < 40; i++) await pipe.send([["TOUCH", ...hot]]);
          }
          const result = await flood(server, client, pipe, (i) => ["SET", `cold:${i}`, VALUE], {
            between: async () => {
              if (policy !== "allkeys-random") await pipe.send([["TOUCH", ...hot]]);
            },
          });
          await checkEvicting(policy, result);
          const hotLeft = await existing(client, hot);
          if (policy === "allkeys-random") {
            assert.ok(hotLeft < hot.length, `${hotLeft} hot keys left`);
          } else {assert.ok(
              hotLeft >= hot.length * 0.95,
              `${policy}: ${hotLeft} of 100 hot keys left`,
            );}
        },
      );
    }

    for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
      await t.step(`${policy} evicts only keys with a TTL`, async () => {
        await reset(client, policy);
        await pipe.send(keep.map((key) => ["SET", key, VALUE]));
        const ttls = new Map<string, number>();
        const result = await flood(server, client, pipe, (i) => {
          const ttl = 1000 + (i * 7919) % 100000;
          ttls.set(`vol:${i}`, ttl);
          return ["SET", `vol:${i}`, VALUE, "EX", String(ttl)];
        });
        await checkEvicting(policy, result);
        assert.deepEqual(
          await existing(client, keep),
          keep.length,
          "every key without a TTL is left",
        );
        if (policy === "volatile-ttl") {
          // The keys left are those whose time runs out last.
          const written = [...ttls.keys()];
          const flags = await pipe.send(written.map((key) => ["EXISTS", key]));
          let sum = 0, n = 0;
          written.forEach((key, i) => {
            if (flags[i] === ":1") {
              sum += ttls.get(key)!;
              n++;
            }
          });
          const mean = sum / n;
          assert.ok(mean > 0.7 * 101000, `mean TTL of the keys left ${mean.toFixed(0)} s`);
        }
      });
    }

    await t.step("a volatile policy with no key that has a TTL refuses writes", async () => {
      await reset(client, "volatile-lru");
      const result = await flood(server, client, pipe, (i) => ["SET", `k:${i}`, VALUE], {
        stopOnError: 1,
      });
      assert.deepEqual(
        result.errors[0],
        "-OOM command not allowed when used memory > 'maxmemory'.",
      );
      assert.deepEqual((await info(client, "stats")).evicted_keys, 0);
    });
  } finally {
    pipe.close();
    client.close();
    await server.stop("SIGKILL");
  }
});

Deno.test("evicted keys are propagated as DEL, fire `evicted` events and count in INFO", async () => {
  const server = await startRedeno(freePort(), ["--appendonly", "yes"]);
  const client = await RespClient.connect(server.port);
  const listener = await RespClient.connect(server.port);
  try {
    await client.call("CONFIG", "SET", "notify-keyspace-events", "Ee");
    await listener.call("PSUBSCRIBE", "__keyevent@*__:evicted");
    for (let i = 0; i < 3; i++) await client.call("SET", `asdf${i}`, "x");
    await client.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    await client.call("CONFIG", "SET", "maxmemory", "1");
    // CONFIG SET starts evicting in the background; any command evicts as well.
    for (let i = 0; i < 50 && await client.call("DBSIZE") !== 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(await client.call("DBSIZE"), 0);
    const events = new Set<Reply>();
    for (let i = 0; i < 3; i++) {
      const message = await listener.reply() as Reply[];
      assert.deepEqual(message[2], "__keyevent@0__:evicted");
      events.add(message[3]);
    }
    assert.deepEqual(events, new Set(["asdf0", "asdf1", "asdf2"]));
    assert.deepEqual((await info(client, "stats")).evicted_keys, 3);
    await client.call("CONFIG", "SET", "maxmemory", "0");
    // The AOF holds the three SETs, then a DEL for each evicted key.
    const dir = (await client.call("CONFIG", "GET", "dir") as string[])[1];
    const aof = [...Deno.readDirSync(`${dir}/appendonlydir`)].find((e) =>
      e.name.endsWith(".incr.aof")
    )!;
    const text = Deno.readTextFileSync(`${dir}/appendonlydir/${aof.name}`);
    const dels = text.match(/\*2\r\n\$3\r\nDEL\r\n\$5\r\nasdf\d\r\n/g) ?? [];
    assert.deepEqual(dels.length, 3);
    assert.ok(text.indexOf("DEL") > text.lastIndexOf("asdf2\r\n$1\r\nx"), "DELs follow the SETs");
  } finally {
    listener.close();
    client.close();
    await server.stop("SIGKILL");
  }
});

Deno.test("out of memory, Redeno refuses the same commands with the same errors as Redis", async () => {
  if (skipWithout("redis-server")) return;
  const lib = "#!lua name=oomlib\n" +
    "redis.register_function('plain', function() return redis.call('set', 'x', '1') end)\n" +
    "redis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}\n" +
    "redis.register_function{function_name='oom', callback=function() return redis.call('set', 'x', '2') end, flags={'allow-oom'}}\n";
  const script = (flags: string) => `#!lua${flags}\nreturn redis.call('set', 'y', '1')`;
  // [client index, command]; client 1 opens a MULTI before the limit goes down.
  const steps: [number, string[]][] = [
    [0, ["FUNCTION", "LOAD", lib]],
    [0, ["SET", "k", "v"]],
    [1, ["MULTI"]],
    [1, ["SET", "q", "1"]],
    [0, ["CONFIG", "SET", "maxmemory", "1"]],
    [1, ["EXEC"]],
    [0, ["SET", "a", "b"]],
    [0, ["GET", "k"]],
    [0, ["DEL", "k"]],
    [0, ["INCR", "n"]],
    [0, ["EXPIRE", "k", "10"]],
    [0, ["SETEX", "s", "10", "v"]],
    [0, ["APPEND", "k", "v"]],
    [0, ["LPUSH", "l", "a"]],
    [0, ["HSET", "h", "f", "v"]],
    [0, ["SADD", "s", "m"]],
    [0, ["ZADD", "z", "1", "m"]],
    [0, ["XADD", "x", "*", "f", "v"]],
    [0, ["PFADD", "p", "a"]],
    [0, ["PUBLISH", "c", "m"]],
    [0, ["PING"]],
    [0, ["EVAL", "return 1", "0"]],
    [0, ["EVAL", "return redis.call('set', 'a', 'b')", "0"]],
    [0, ["EVAL", "return redis.pcall('get', 'a')", "0"]],
    [0, ["EVAL", script(""), "0"]],
    [0, ["EVAL", script(" flags=no-writes"), "0"]],
    [0, ["EVAL", script(" flags=allow-oom"), "0"]],
    [0, ["FCALL", "plain", "0"]],
    [0, ["FCALL", "ro", "0"]],
    [0, ["FCALL", "oom", "0"]],
    [0, ["FCALL_RO", "plain", "0"]],
    [0, ["FCALL_RO", "ro", "0"]],
    [0, ["EVAL_RO", script(""), "0"]],
    [0, ["MULTI"]],
    [0, ["GET", "a"]],
    [0, ["DEL", "a"]],
    [0, ["EXEC"]],
    [0, ["MULTI"]],
    [0, ["DISCARD"]],
    [0, ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]],
    [0, ["SET", "a", "b"]],
    [0, ["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]],
    [0, ["SET", "a", "b"]],
    [0, ["CONFIG", "SET", "maxmemory", "0"]],
    [0, ["SET", "a", "b"]],
  ];
  const run = async (server: RunningServer) => {
    const clients = [await RespClient.connect(server.port), await RespClient.connect(server.port)];
    const replies: string[] = [];
    try {
      for (const [who, argv] of steps) {
        const reply = await clients[who].call(...argv);
        // Keys and scripts differ by name only; compare everything else as sent.
        replies.push(`${argv.join(" ").slice(0, 40)} => ${JSON.stringify(reply, errorText)}`);
      }
      const denyoom = await commandsFlagged(clients[0], "denyoom");
      return { replies, denyoom };
    } finally {
      for (const c of clients) c.close();
    }
  };
  const redis = await startRedis(freePort());
  const redeno = await startRedeno(freePort());
  try {
    const want = await run(redis);
    const got = await run(redeno);
    assert.deepEqual(got.replies, want.replies);
    assert.deepEqual(got.denyoom, want.denyoom);
  } finally {
    await redis.stop("SIGKILL");
    await redeno.stop("SIGKILL");
  }
});

function errorText(_key: string, value: unknown): unknown {
  return value instanceof Error ? `ERR! ${value.message}` : value;
}

/** Every command (and subcommand) COMMAND lists with `flag`, sorted. */
async function commandsFlagged(client: RespClient, flag: string): Promise<string[]> {
  const all = await client.call("COMMAND") as Reply[][];
  const out: string[] = [];
  const visit = (entry: Reply[]) => {
    if ((entry[2] as string[]).includes(flag)) out.push(entry[0] as string);
    for (const sub of (entry[9] as Reply[][] | undefined) ?? []) visit(sub);
  };
  all.forEach(visit);
  return out.sort();
}
