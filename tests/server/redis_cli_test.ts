// redis-cli against Redeno: one-shot commands, commands read from stdin, binary values,
// databases, RESP3 output and `--pipe` mass insertion. Output is also compared with
// what the same redis-cli invocation prints against a real redis-server.

import assert from "node:assert/strict";
import {
  freePort,
  redisCli,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

/** Runs redis-cli and returns its raw stdout bytes as a one-byte string. */
async function cli(port: number, args: string[], stdin?: Uint8Array): Promise<string> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  assert.equal(out.code, 0, `redis-cli ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  let text = "";
  for (const b of out.stdout) text += String.fromCharCode(b);
  return text;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Runs the same redis-cli invocation on Redeno and real Redis; returns Redeno's output. */
async function both(
  servers: { redeno: RunningServer; redis: RunningServer | null },
  args: string[],
  stdin?: string,
): Promise<string> {
  const input = stdin === undefined ? undefined : latin1(stdin);
  const fromRedeno = await cli(servers.redeno.port, args, input);
  if (servers.redis !== null) {
    const fromRedis = await cli(servers.redis.port, args, input);
    assert.equal(fromRedeno, fromRedis, `redis-cli ${args.join(" ")} prints differently`);
  }
  return fromRedeno;
}

Deno.test({
  name: "redis-cli drives Redeno exactly as it drives Redis",
  async fn(t) {
    if (skipWithout("redis-cli")) return;
    const redeno = await startRedeno(freePort());
    let redis: RunningServer | null = null;
    try {
      if (!skipWithout("redis-server")) redis = await startRedis(freePort());
      const s = { redeno, redis };

      await t.step("PING answers PONG", async () => {
        assert.equal(await both(s, ["PING"]), "PONG\n");
        assert.equal(await both(s, ["PING", "hello world"]), "hello world\n");
      });
      await t.step("SET then GET returns the value; a missing key prints nil", async () => {
        assert.equal(await both(s, ["SET", "greeting", "hello world"]), "OK\n");
        assert.equal(await both(s, ["GET", "greeting"]), "hello world\n");
        assert.equal(await both(s, ["--no-raw", "GET", "greeting"]), '"hello world"\n');
        assert.equal(await both(s, ["GET", "missing"]), "\n");
        assert.equal(await both(s, ["--no-raw", "GET", "missing"]), "(nil)\n");
        assert.equal(await both(s, ["SET", "t", "v", "EX", "100", "NX"]), "OK\n");
        assert.equal(await both(s, ["--no-raw", "SET", "t", "v", "NX"]), "(nil)\n");
        assert.equal(await both(s, ["SET", "t", "w", "GET"]), "v\n");
      });
      await t.step("errors are printed as Redis prints them", async () => {
        assert.equal(
          await both(s, ["SET", "k", "v", "EX", "0"]),
          "ERR invalid expire time in 'set' command\n\n",
        );
        assert.equal(
          await both(s, ["--no-raw", "FOO", "bar"]),
          "(error) ERR unknown command 'FOO', with args beginning with: 'bar' \n",
        );
      });
      await t.step("HSET, HGET and HGETALL work on hashes", async () => {
        assert.equal(await both(s, ["HSET", "user", "name", "Ada", "lang", "en"]), "2\n");
        assert.equal(await both(s, ["HSET", "user", "lang", "fr"]), "0\n");
        assert.equal(await both(s, ["HGET", "user", "lang"]), "fr\n");
        assert.equal(await both(s, ["HGETALL", "user"]), "name\nAda\nlang\nfr\n");
        assert.equal(
          await both(s, ["--no-raw", "HGETALL", "user"]),
          '1) "name"\n2) "Ada"\n3) "lang"\n4) "fr"\n',
        );
        assert.equal(
          await both(s, ["--no-raw", "GET", "user"]),
          "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n",
        );
      });
      await t.step("DEL and EXISTS count keys", async () => {
        assert.equal(await both(s, ["EXISTS", "greeting", "user", "missing", "user"]), "3\n");
        assert.equal(await both(s, ["DEL", "greeting", "missing"]), "1\n");
        assert.equal(await both(s, ["--no-raw", "EXISTS", "greeting"]), "(integer) 0\n");
      });
      await t.step("-n and SELECT use other databases", async () => {
        assert.equal(await both(s, ["-n", "3", "SET", "k", "in-db-3"]), "OK\n");
        assert.equal(await both(s, ["-n", "3", "GET", "k"]), "in-db-3\n");
        assert.equal(await both(s, ["GET", "k"]), "\n");
        assert.equal(await both(s, ["-n", "3", "DBSIZE"]), "1\n");
        assert.equal(
          await both(s, [], "SELECT 3\nGET k\nSELECT 0\nGET k\n"),
          "OK\nin-db-3\nOK\n\n",
        );
        assert.equal(
          await both(s, ["--no-raw", "SELECT", "16"]),
          "(error) ERR DB index is out of range\n",
        );
      });
      await t.step("binary values round-trip through -x and quoted stdin commands", async () => {
        const value = "a\x00b\r\n\xffc";
        assert.equal(await both(s, ["-x", "SET", "bin"], value), "OK\n");
        assert.equal(await both(s, ["GET", "bin"]), value + "\n");
        assert.equal(await both(s, ["--no-raw", "GET", "bin"]), '"a\\x00b\\r\\n\\xffc"\n');
        const lines = 'SET "key\\x00\\x01" "\\x00\\x01\\xfe\\xff"\n' +
          'GET "key\\x00\\x01"\n' +
          'HSET hb "f\\x00" "\\xe2\\x82\\xac"\n' +
          "HGETALL hb\n";
        assert.equal(
          await both(s, ["--no-raw"], lines),
          'OK\n"\\x00\\x01\\xfe\\xff"\n(integer) 1\n1) "f\\x00"\n2) "\\xe2\\x82\\xac"\n',
        );
      });
      await t.step("-3 switches to RESP3 and HGETALL prints a map", async () => {
        await both(s, ["HSET", "m", "f1", "v1", "f2", "v2"]);
        assert.equal(
          await both(s, ["-3", "--no-raw", "HGETALL", "m"]),
          '1# "f1" => "v1"\n2# "f2" => "v2"\n',
        );
        assert.equal(await both(s, ["-3", "HGETALL", "m"]), "f1 v1\nf2 v2\n");
        assert.equal(await both(s, ["-3", "--no-raw", "GET", "missing"]), "(nil)\n");
        assert.equal(await both(s, ["--json", "-3", "HGETALL", "m"]), '{"f1":"v1","f2":"v2"}\n');
        const hello = await cli(redeno.port, ["-3", "--no-raw", "HELLO", "3"]);
        assert.match(hello, /^1# "server" => "redis"\n2# "version" => "7\.0\.15"\n/);
        assert.match(hello, /3# "proto" => \(integer\) 3\n/);
        assert.match(hello, /7# "modules" => \(empty array\)\n$/);
      });
      await t.step("FLUSHALL empties every database", async () => {
        assert.equal(await both(s, ["FLUSHALL"]), "OK\n");
        assert.equal(await both(s, ["-n", "3", "DBSIZE"]), "0\n");
      });
    } finally {
      await redeno.stop();
      await redis?.stop();
    }
  },
});

Deno.test({
  name: "redis-cli --pipe loads 100,000 SET commands without an error",
  async fn() {
    if (skipWithout("redis-cli")) return;
    const redeno = await startRedeno(freePort());
    try {
      const parts: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        const key = `key:${i}`;
        const value = `value-${i}-${"x".repeat(i % 32)}`;
        parts.push(
          `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`,
        );
      }
      const result = await redisCli(
        redeno.port,
        ["--pipe"],
        new TextEncoder().encode(parts.join("")),
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout + result.stderr, /errors: 0, replies: 100000/);
      assert.equal((await redisCli(redeno.port, ["DBSIZE"])).stdout, "100000\n");
      assert.equal(
        (await redisCli(redeno.port, ["GET", "key:99999"])).stdout,
        `value-99999-${"x".repeat(99999 % 32)}\n`,
      );
    } finally {
      await redeno.stop();
    }
  },
});
