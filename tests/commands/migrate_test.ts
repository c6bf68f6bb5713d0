// MIGRATE end to end: keys of every type moved from Redeno to a real Redis and to
// another Redeno, the replies compared byte for byte with a real Redis doing the same
// migrations, the whole server waiting while a MIGRATE runs, the DEL it propagates,
// and the connections it keeps.

import assert from "node:assert/strict";
import { aofArgvs, encodeCommand, escapeBytes, ReplyReader } from "../compat/harness.ts";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

/** One connection that sends commands and returns each raw reply (one-byte string). */
class Conn {
  readonly #conn: Deno.Conn;
  readonly #reader: ReplyReader;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new ReplyReader(conn);
  }

  static async open(port: number): Promise<Conn> {
    return new Conn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async call(...argv: string[]): Promise<string> {
    await this.send(...argv);
    return await this.read();
  }

  async send(...argv: string[]): Promise<void> {
    const request = encodeCommand(argv);
    let at = 0;
    while (at < request.length) at += await this.#conn.write(request.subarray(at));
  }

  async read(): Promise<string> {
    return (await this.#reader.read(20000)).raw;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Closed by the server.
    }
  }
}

/** A bulk reply's data (one-byte string). */
function bulk(raw: string): string {
  assert.ok(raw.startsWith("$"), `not a bulk reply: ${escapeBytes(raw)}`);
  return raw.slice(raw.indexOf("\r\n") + 2, -2);
}

/** An INFO field's value. */
async function infoField(conn: Conn, field: string): Promise<string> {
  const info = bulk(await conn.call("INFO", "stats"));
  return new RegExp(`^${field}:(.*)\r$`, "m").exec(info)?.[1] ?? "<missing>";
}

async function stopAll(servers: (RunningServer | undefined)[]): Promise<void> {
  await Promise.all(servers.map((s) => s?.stop("SIGKILL")));
}

/** Fills a server with one key of each type and encoding, a few with a TTL. */
async function populate(c: Conn): Promise<string[]> {
  const calls: string[][] = [
    ["SET", "str", "hello"],
    ["SET", "int", "12345"],
    ["SET", "long", "x".repeat(5000)],
    ["PEXPIRE", "long", "60000"],
    ["RPUSH", "list", "a", "b", "1", "2"],
    ["HSET", "hash", "f1", "v1", "f2", "2"],
    ["SADD", "intset", "1", "2", "3"],
    ["SADD", "set", "a", "b", "c"],
    ["ZADD", "zset", "1", "a", "2.5", "b"],
    ["XADD", "stream", "1-1", "f", "v"],
    ["XADD", "stream", "2-1", "g", "w"],
    ["XGROUP", "CREATE", "stream", "grp", "0"],
    ["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "stream", ">"],
    ["PFADD", "hll", "a", "b", "c"],
    ["EXPIRE", "hash", "1000"],
  ];
  const bigList = ["RPUSH", "biglist"];
  const bigHash = ["HSET", "bighash"];
  const bigSet = ["SADD", "bigset"];
  const bigZset = ["ZADD", "bigzset"];
  for (let i = 0; i < 3000; i++) {
    bigList.push(`item ${i} ${"y".repeat(i % 50)}`);
    bigHash.push(`field${i}`, `value${i}`);
    bigSet.push(`member${i}`);
    bigZset.push(String(i / 7), `m${i}`);
  }
  calls.push(bigList, bigHash, bigSet, bigZset);
  for (const argv of calls) {
    const reply = await c.call(...argv);
    assert.ok(!reply.startsWith("-"), `${argv[0]}: ${reply}`);
  }
  return [
    "str",
    "int",
    "long",
    "list",
    "hash",
    "intset",
    "set",
    "zset",
    "stream",
    "hll",
    "biglist",
    "bighash",
    "bigset",
    "bigzset",
  ];
}

Deno.test("MIGRATE moves keys of every type, TTLs included, to a real Redis and to Redeno", async () => {
  if (skipWithout("redis-server")) return;
  const debug = ["--enable-debug-command", "yes"];
  const servers = await Promise.all([
    startRedeno(freePort(), debug),
    startRedis(freePort(), debug),
    startRedeno(freePort(), debug),
  ]);
  const [source, ...targets] = servers;
  const src = await Conn.open(source.port);
  try {
    for (const target of targets) {
      const dst = await Conn.open(target.port);
      try {
        const keys = await populate(src);
        const dumps = new Map<string, string>();
        const digests = new Map<string, string>();
        for (const key of keys) {
          dumps.set(key, bulk(await src.call("DUMP", key)));
          digests.set(key, await src.call("DEBUG", "DIGEST-VALUE", key));
        }
        const reply = await src.call(
          "MIGRATE",
          "127.0.0.1",
          String(target.port),
          "",
          "3",
          "5000",
          "KEYS",
          ...keys,
        );
        assert.equal(reply, "+OK\r\n");
        assert.equal(await src.call("DBSIZE"), ":0\r\n");
        assert.equal(await dst.call("SELECT", "3"), "+OK\r\n");
        for (const key of keys) {
          assert.equal(await dst.call("DEBUG", "DIGEST-VALUE", key), digests.get(key), key);
          // Hash tables (sets, large hashes) list their members in an order of their own;
          // everything else is serialized again exactly as Redeno serialized it.
          if (/^(set|bigset|bighash)$/.test(key)) continue;
          assert.equal(bulk(await dst.call("DUMP", key)), dumps.get(key), key);
        }
        const ttl = Number((await dst.call("PTTL", "long")).slice(1));
        assert.ok(ttl > 55000 && ttl <= 60000, `PTTL ${ttl}`);
        assert.equal(await dst.call("TTL", "str"), ":-1\r\n");
        assert.equal(await dst.call("LLEN", "biglist"), ":3000\r\n");
      } finally {
        dst.close();
      }
    }
    assert.equal(await infoField(src, "migrate_cached_sockets"), "2");
  } finally {
    src.close();
    await stopAll(servers);
  }
});

// Each step runs on the source; `{port}` stands for the target's port, `@target` runs
// the rest of the line on the target, `@pause` waits as many milliseconds.
const SCENARIO = `
MIGRATE 127.0.0.1 {port} k 0 1000 foo
MIGRATE 127.0.0.1 {port} k 0 1000 AUTH
MIGRATE 127.0.0.1 {port} k 0 1000 AUTH2 user
MIGRATE 127.0.0.1 {port} k 0 1000 COPY KEYS a
MIGRATE 127.0.0.1 {port} k 0 abc
MIGRATE 127.0.0.1 {port} k abc 1000
MIGRATE 127.0.0.1 {port} k abc abc KEYS
MIGRATE 127.0.0.1 {port} k 0
MIGRATE 127.0.0.1 {port} missing 0 1000
MIGRATE 127.0.0.1 {port} "" 0 1000 KEYS
MIGRATE 127.0.0.1 {port} "" 0 1000 KEYS no1 no2
SET k v
MIGRATE "" {port} k 0 1000
MIGRATE "[::1]" {port} k 0 1000
MIGRATE 127.0.0.1 -1 k 0 1000
MIGRATE 127.0.0.1 1 k 0 1000
MIGRATE 127.0.0.1 {port} k 0 1000 COPY
MIGRATE 127.0.0.1 {port} k 0 1000 COPY
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE
MIGRATE 127.0.0.1 {port} k 99 1000 COPY
MIGRATE 127.0.0.1 {port} k -1 1000 COPY
MIGRATE 127.0.0.1 {port} k 0 1000 COPY AUTH pw
MIGRATE 127.0.0.1 {port} k 0 0 REPLACE
EXISTS k
@target GET k
RPUSH l 1 2 3
HSET h a 1
MSET a 1 b 2 c 3 d 4
@target MSET c x d y
MIGRATE 127.0.0.1 {port} "" 0 1000 KEYS nope a b c b d l h
DBSIZE
EXISTS a b c d l h nope
@target DBSIZE
@target CONFIG SET requirepass secret
SET k v2
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE AUTH wrong
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE AUTH secret
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE AUTH2 default secret
MIGRATE 127.0.0.1 {port} k 0 1000 COPY REPLACE AUTH2 nobody secret
@target AUTH secret
@target CLIENT KILL TYPE normal SKIPME yes
MIGRATE 127.0.0.1 {port} k 0 1000 REPLACE
@target CLIENT KILL TYPE normal SKIPME yes
MIGRATE 127.0.0.1 {port} k 0 1000 REPLACE AUTH secret
@target GET k
EXISTS k
SET k v3
MULTI
MIGRATE 127.0.0.1 {port} k 0 1000 REPLACE AUTH secret
MIGRATE 127.0.0.1 {port} k 0 1000 REPLACE AUTH secret
EXEC
SET k v4
EVAL "return redis.call('migrate', '127.0.0.1', ARGV[1], 'k', '0', '1000', 'AUTH', 'secret')" 0 {port}
EXISTS k
EVAL "return redis.call('migrate', '127.0.0.1', ARGV[1], 'k', '0', '1000', 'REPLACE', 'AUTH', 'secret')" 0 {port}
EXISTS k
SET e v PX 30
@pause 100
MIGRATE 127.0.0.1 {port} e 0 1000 AUTH secret
INFO errorstats
`;

Deno.test("MIGRATE answers as Redis 7.0.15 does, byte for byte", async () => {
  if (skipWithout("redis-server")) return;
  const servers = await Promise.all([
    startRedis(freePort()),
    startRedis(freePort()),
    startRedeno(freePort()),
    startRedis(freePort()),
  ]);
  const pairs = [[servers[0], servers[1]], [servers[2], servers[3]]];
  const conns = await Promise.all(
    pairs.map(async ([source, target]) => [
      await Conn.open(source.port),
      await Conn.open(target.port),
    ]),
  );
  try {
    const differences: string[] = [];
    for (const line of SCENARIO.trim().split("\n")) {
      const onTarget = line.startsWith("@target ");
      if (line.startsWith("@pause ")) {
        await new Promise((r) => setTimeout(r, Number(line.slice(7))));
        continue;
      }
      const replies: string[] = [];
      for (let side = 0; side < 2; side++) {
        const text = (onTarget ? line.slice(8) : line)
          .replaceAll("{port}", String(pairs[side][1].port));
        const argv = [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
        replies.push(await conns[side][onTarget ? 1 : 0].call(...argv));
      }
      if (replies[0] !== replies[1]) {
        differences.push(
          `${line}\n  redis:  ${escapeBytes(replies[0])}\n  redeno: ${escapeBytes(replies[1])}`,
        );
      }
    }
    assert.deepEqual(differences, []);
  } finally {
    for (const pair of conns) for (const conn of pair) conn.close();
    await stopAll(servers);
  }
});

Deno.test("the whole server waits while MIGRATE runs, and a timeout ends it", async () => {
  if (skipWithout("redis-server")) return;
  const servers = await Promise.all([
    startRedeno(freePort()),
    startRedis(freePort(), ["--enable-debug-command", "yes"]),
  ]);
  const [source, target] = servers;
  const a = await Conn.open(source.port);
  const b = await Conn.open(source.port);
  const dst = await Conn.open(target.port);
  try {
    assert.equal(await a.call("SET", "k", "v"), "+OK\r\n");
    // The target sleeps for 600 ms: the MIGRATE waits for it, and so does everyone else.
    await dst.send("DEBUG", "SLEEP", "0.6");
    await new Promise((r) => setTimeout(r, 50));
    const order: string[] = [];
    const started = Date.now();
    const migrated = a.call("MIGRATE", "127.0.0.1", String(target.port), "k", "0", "3000")
      .then((reply) => order.push(`migrate ${reply.trim()}`));
    await new Promise((r) => setTimeout(r, 100));
    const pinged = b.call("PING").then((reply) => order.push(`ping ${reply.trim()}`));
    await Promise.all([migrated, pinged]);
    assert.deepEqual(order, ["migrate +OK", "ping +PONG"]);
    assert.ok(Date.now() - started >= 450, `took ${Date.now() - started} ms`);
    assert.equal(await dst.read(), "+OK\r\n");

    // Now with a timeout shorter than the sleep: the reply never comes in time.
    assert.equal(await a.call("SET", "k", "v"), "+OK\r\n");
    await dst.send("DEBUG", "SLEEP", "0.6");
    await new Promise((r) => setTimeout(r, 50));
    const before = Date.now();
    assert.equal(
      await a.call("MIGRATE", "127.0.0.1", String(target.port), "k", "0", "200", "REPLACE"),
      "-IOERR error or timeout reading to target instance\r\n",
    );
    // (Had it waited for the sleep to end, the reply would have been +OK.)
    const took = Date.now() - before;
    assert.ok(took >= 150, `took ${took} ms`);
    assert.equal(await a.call("EXISTS", "k"), ":1\r\n");
    // The connection that timed out was closed; the next MIGRATE opens another.
    assert.equal(await dst.read(), "+OK\r\n");
    assert.equal(
      await a.call("MIGRATE", "127.0.0.1", String(target.port), "k", "0", "1000", "REPLACE"),
      "+OK\r\n",
    );
    assert.equal(await a.call("EXISTS", "k"), ":0\r\n");
  } finally {
    for (const c of [a, b, dst]) c.close();
    await stopAll(servers);
  }
});

Deno.test("MIGRATE propagates a DEL of the keys that moved, and nothing for COPY", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-migrate-" });
  const servers = await Promise.all([
    startRedeno(freePort(), ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir]),
    startRedeno(freePort()),
  ]);
  const [source, target] = servers;
  const src = await Conn.open(source.port);
  const dst = await Conn.open(target.port);
  try {
    const port = String(target.port);
    assert.equal(await src.call("MSET", "a", "1", "b", "2", "c", "3"), "+OK\r\n");
    assert.equal(await dst.call("SET", "c", "busy"), "+OK\r\n");
    assert.equal(await src.call("MIGRATE", "127.0.0.1", port, "a", "0", "1000", "COPY"), "+OK\r\n");
    // a (copied before) and c are there already: only b moves.
    assert.equal(
      await src.call("MIGRATE", "127.0.0.1", port, "", "0", "1000", "KEYS", "a", "c", "b"),
      "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n",
    );
    assert.equal(await src.call("SELECT", "2"), "+OK\r\n");
    assert.equal(await src.call("SET", "d", "4"), "+OK\r\n");
    assert.equal(await src.call("MIGRATE", "127.0.0.1", port, "d", "5", "1000"), "+OK\r\n");
    const commands = aofArgvs(dir).filter((argv) => argv[0] !== "MSET" && argv[0] !== "SET");
    assert.deepEqual(commands, [
      ["SELECT", "0"],
      ["DEL", "b"],
      ["SELECT", "2"],
      ["DEL", "d"],
    ]);
    assert.equal(await dst.call("SELECT", "5"), "+OK\r\n");
    assert.equal(await dst.call("GET", "d"), "$1\r\n4\r\n");
  } finally {
    src.close();
    dst.close();
    await stopAll(servers);
  }
});

Deno.test("MIGRATE keeps its connections about 10 seconds, then closes them", async () => {
  const servers = await Promise.all([startRedeno(freePort()), startRedeno(freePort())]);
  const [source, target] = servers;
  const src = await Conn.open(source.port);
  const dst = await Conn.open(target.port);
  try {
    assert.equal(await infoField(src, "migrate_cached_sockets"), "0");
    for (const value of ["1", "2"]) {
      assert.equal(await src.call("SET", "k", value), "+OK\r\n");
      assert.equal(
        await src.call("MIGRATE", "127.0.0.1", String(target.port), "k", "0", "1000", "REPLACE"),
        "+OK\r\n",
      );
    }
    // One connection, used twice.
    assert.equal(await infoField(src, "migrate_cached_sockets"), "1");
    const clients = bulk(await dst.call("CLIENT", "LIST")).trim().split("\n");
    assert.equal(clients.length, 2);
    const deadline = Date.now() + 14000;
    while (await infoField(src, "migrate_cached_sockets") !== "0") {
      assert.ok(Date.now() < deadline, "the connection is still cached after 14 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bulk(await dst.call("CLIENT", "LIST")).trim().split("\n").length, 1);
  } finally {
    src.close();
    dst.close();
    await stopAll(servers);
  }
});
