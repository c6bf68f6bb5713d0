// Malformed requests over raw TCP: Redeno must answer each exactly as Redis 7.0 does
// (usually `-ERR Protocol error: ...` and a closed connection) while other clients
// keep being served. Every expectation is also checked against a real redis-server.

import assert from "node:assert/strict";
import { ReplyReader } from "../compat/harness.ts";
import {
  bytes,
  exchange,
  freePort,
  readUntilQuiet,
  resp,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

const MB = 1024 * 1024;
const proto = (text: string) => `-ERR Protocol error: ${text}\r\n<closed>`;

/** A Redeno server, the same configuration on real Redis (when installed), and a bystander. */
interface Rig {
  redeno: RunningServer;
  redis: RunningServer | null;
  bystander: Deno.Conn;
  bystanderReplies: ReplyReader;
}

async function startRig(args: string[], bystanderHello: string): Promise<Rig> {
  const redeno = await startRedeno(freePort(), args);
  let redis: RunningServer | null = null;
  try {
    if (!skipWithout("redis-server")) redis = await startRedis(freePort(), args);
    const bystander = await Deno.connect({ hostname: "127.0.0.1", port: redeno.port });
    const bystanderReplies = new ReplyReader(bystander);
    if (bystanderHello !== "") {
      await bystander.write(bytes(bystanderHello));
      await bystanderReplies.read();
    }
    return { redeno, redis, bystander, bystanderReplies };
  } catch (error) {
    await redeno.stop();
    await redis?.stop();
    throw error;
  }
}

async function stopRig(rig: Rig): Promise<void> {
  rig.bystander.close();
  await rig.redeno.stop();
  await rig.redis?.stop();
}

/** Sends chunks one after another (with a pause between), then reads like `exchange`. */
async function exchangeChunks(port: number, chunks: string[], quietMs = 300): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const chunk of chunks) {
      await conn.write(bytes(chunk));
      await new Promise((r) => setTimeout(r, 20));
    }
    return await readUntilQuiet(conn, quietMs);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server.
    }
  }
}

/**
 * Sends the request to Redeno and to real Redis on fresh connections and demands the
 * expected bytes from both (`<closed>` marks a connection the server closed); then
 * checks that the bystander connection on Redeno is still served.
 */
async function expectReply(rig: Rig, request: string | string[], expected: string): Promise<void> {
  const chunks = typeof request === "string" ? [request] : request;
  const [fromRedeno, fromRedis] = await Promise.all([
    exchangeChunks(rig.redeno.port, chunks),
    rig.redis === null ? null : exchangeChunks(rig.redis.port, chunks),
  ]);
  if (fromRedis !== null) {
    assert.equal(fromRedis, expected, "real Redis answers differently: the test is wrong");
  }
  assert.equal(fromRedeno, expected);
  // A connection opened before the bad request is still served.
  await rig.bystander.write(bytes("PING\r\n"));
  assert.equal((await rig.bystanderReplies.read()).raw, "+PONG\r\n", "bystander not served");
}

Deno.test({
  name: "malformed requests get Redis's protocol errors while other clients keep working",
  async fn(t) {
    const rig = await startRig([], "");
    try {
      await t.step(
        "a non-numeric multibulk count is an invalid multibulk length",
        () => expectReply(rig, "*abc\r\n", proto("invalid multibulk length")),
      );
      await t.step(
        "a multibulk count over 2147483647 is an invalid multibulk length",
        () => expectReply(rig, "*3000000000\r\n", proto("invalid multibulk length")),
      );
      await t.step("a multibulk count with a plus sign or a leading zero is invalid", async () => {
        await expectReply(rig, "*+1\r\n", proto("invalid multibulk length"));
        await expectReply(rig, "*01\r\n", proto("invalid multibulk length"));
      });
      await t.step("a negative bulk length is an invalid bulk length", async () => {
        await expectReply(rig, "*1\r\n$-10\r\n", proto("invalid bulk length"));
        await expectReply(rig, "*1\r\n$-1\r\n", proto("invalid bulk length"));
      });
      await t.step(
        "a non-numeric bulk length is an invalid bulk length",
        () => expectReply(rig, "*1\r\n$blabla\r\n", proto("invalid bulk length")),
      );
      await t.step(
        "a bulk longer than proto-max-bulk-len (512 MB) is refused",
        () =>
          expectReply(
            rig,
            `*2\r\n$4\r\nECHO\r\n$${512 * MB + 1}\r\n`,
            proto("invalid bulk length"),
          ),
      );
      await t.step(
        "a bulk of exactly proto-max-bulk-len (512 MB) is accepted",
        () => expectReply(rig, `*2\r\n$4\r\nECHO\r\n$${512 * MB}\r\n`, ""),
      );
      await t.step("a bulk without its '$' names the byte found instead", async () => {
        await expectReply(rig, "*1\r\nfoo\r\n", proto("expected '$', got 'f'"));
        await expectReply(rig, "*2\r\n$4\r\nPING\r\n:5\r\n", proto("expected '$', got ':'"));
      });
      await t.step("an inline request with unbalanced quotes is refused", async () => {
        await expectReply(rig, 'SET "a b\r\n', proto("unbalanced quotes in request"));
        await expectReply(rig, "ECHO 'a\r\n", proto("unbalanced quotes in request"));
        await expectReply(rig, 'ECHO "a"b\r\n', proto("unbalanced quotes in request"));
      });
      await t.step(
        "an inline request over 64 KB without a newline is too big",
        () => expectReply(rig, "a".repeat(70000), proto("too big inline request")),
      );
      await t.step(
        "a multibulk count line over 64 KB is a too big mbulk count string",
        () => expectReply(rig, "*" + "1".repeat(70000), proto("too big mbulk count string")),
      );
      await t.step(
        "a bulk length line over 64 KB is a too big bulk count string",
        () => expectReply(rig, "*1\r\n$" + "1".repeat(70000), proto("too big bulk count string")),
      );
      await t.step(
        "replies to the commands before a protocol error are sent first",
        () =>
          expectReply(
            rig,
            "PING\r\n*abc\r\nPING\r\n",
            "+PONG\r\n" + proto("invalid multibulk length"),
          ),
      );
      await t.step(
        "a malformed request cut across several reads is still refused",
        () => expectReply(rig, ["*a", "b", "c\r", "\n"], proto("invalid multibulk length")),
      );
      await t.step("POST and Host: requests are closed without a reply", async () => {
        await expectReply(rig, "POST / HTTP/1.1\r\nHost: example.com\r\n\r\n", "<closed>");
        await expectReply(rig, "Host: example.com\r\n", "<closed>");
        await expectReply(rig, "PING\r\nPOST / HTTP/1.1\r\nPING\r\n", "<closed>");
        await expectReply(rig, resp("post", "/"), "<closed>");
      });
      await t.step(
        "an empty line, *0 and *-10 get no reply and the connection goes on",
        async () => {
          await expectReply(rig, "\r\nPING\r\n", "+PONG\r\n");
          await expectReply(rig, "\n\n   \r\nPING\r\n", "+PONG\r\n");
          await expectReply(rig, "*0\r\nPING\r\n", "+PONG\r\n");
          await expectReply(rig, "*-10\r\nPING\r\n", "+PONG\r\n");
        },
      );
      await t.step("the two bytes after a bulk's data are not checked", async () => {
        await expectReply(rig, "*1\r\n$4\r\nPINGxx\r\n", "+PONG\r\n");
        await expectReply(rig, "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPINGxx", "+PONG\r\n+PONG\r\n");
      });
      await t.step(
        "a request sent one byte at a time is answered",
        () => expectReply(rig, [..."*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n"], "$3\r\nabc\r\n"),
      );
      await t.step(
        "inline requests accept a bare LF and extra spaces",
        () => expectReply(rig, "PING\n  ECHO   x  \r\n", "+PONG\r\n$1\r\nx\r\n"),
      );
      await t.step(
        "a NUL byte before a line's end leaves it incomplete, as strchr does",
        async () => {
          await expectReply(rig, "PING\x00\r\nPING\r\n", "");
          await expectReply(rig, "*1\x00\r\n$4\r\nPING\r\n", "");
          await expectReply(rig, "*1\r\n$4\x00\r\nPING\r\n", "");
          await expectReply(
            rig,
            "PING\r\nPING\x00" + "a".repeat(70000),
            "+PONG\r\n" + proto("too big inline request"),
          );
          await expectReply(
            rig,
            "*1\x00\r\n" + "1".repeat(70000),
            proto("too big mbulk count string"),
          );
          await expectReply(
            rig,
            "*1\r\n$4\x00\r\n" + "1".repeat(70000),
            proto("too big bulk count string"),
          );
          // NUL bytes inside a bulk's data are just data.
          await expectReply(rig, resp("ECHO", "a\x00\r\nb"), "$5\r\na\x00\r\nb\r\n");
        },
      );
      await t.step(
        "an unknown command is quoted with its arguments and a trailing space",
        async () => {
          await expectReply(
            rig,
            "FOO bar\r\n",
            "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n",
          );
          await expectReply(
            rig,
            resp("foo", "a", "b c"),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b c' \r\n",
          );
          await expectReply(
            rig,
            "FOO\r\n",
            "-ERR unknown command 'FOO', with args beginning with: \r\n",
          );
          await expectReply(
            rig,
            "*1\r\n$0\r\n\r\n",
            "-ERR unknown command '', with args beginning with: \r\n",
          );
        },
      );
      await t.step("a wrong number of arguments names the command in lower case", async () => {
        await expectReply(
          rig,
          resp("PING", "a", "b"),
          "-ERR wrong number of arguments for 'ping' command\r\n",
        );
        await expectReply(rig, "GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n");
        await expectReply(
          rig,
          "CLIENT SETNAME\r\n",
          "-ERR wrong number of arguments for 'client|setname' command\r\n",
        );
      });
      await t.step("the server still answers new connections afterwards", async () => {
        assert.equal(await exchange(rig.redeno.port, bytes("PING\r\n")), "+PONG\r\n");
      });
    } finally {
      await stopRig(rig);
    }
  },
});

Deno.test({
  name: "clients that have not authenticated get the stricter limits and NOAUTH",
  async fn(t) {
    const rig = await startRig(
      ["--requirepass", "pw", "--proto-max-bulk-len", "1mb"],
      "AUTH pw\r\n",
    );
    const del11 = resp("DEL", ..."abcdefghij");
    try {
      await t.step(
        "more than 10 arguments before AUTH is an unauthenticated multibulk length",
        async () => {
          await expectReply(rig, "*11\r\n", proto("unauthenticated multibulk length"));
          await expectReply(rig, del11, proto("unauthenticated multibulk length"));
          await expectReply(
            rig,
            "PING\r\n*11\r\n",
            "-NOAUTH Authentication required.\r\n" + proto("unauthenticated multibulk length"),
          );
        },
      );
      await t.step(
        "10 arguments before AUTH are still read",
        () => expectReply(rig, "*10\r\n", ""),
      );
      await t.step(
        "a bulk over 16384 bytes before AUTH is an unauthenticated bulk length",
        () =>
          expectReply(rig, "*2\r\n$4\r\nECHO\r\n$16385\r\n", proto("unauthenticated bulk length")),
      );
      await t.step(
        "a bulk of 16384 bytes before AUTH is still read",
        () => expectReply(rig, "*2\r\n$4\r\nECHO\r\n$16384\r\n", ""),
      );
      await t.step(
        "a command before AUTH gets NOAUTH and the connection stays open",
        () =>
          expectReply(
            rig,
            "GET k\r\nSET k v\r\nPING\r\n",
            "-NOAUTH Authentication required.\r\n".repeat(3),
          ),
      );
      await t.step("unknown commands and wrong arity are reported before NOAUTH", () =>
        expectReply(
          rig,
          "FOO bar\r\nGET\r\n",
          "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n" +
            "-ERR wrong number of arguments for 'get' command\r\n",
        ));
      await t.step("HELLO before AUTH explains how to authenticate", () =>
        expectReply(
          rig,
          "HELLO 3\r\n",
          "-NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and select " +
            "the RESP protocol version at the same time\r\n",
        ));
      await t.step(
        "a wrong password gets WRONGPASS and the connection stays open",
        () =>
          expectReply(
            rig,
            "AUTH nope\r\nPING\r\n",
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n" +
              "-NOAUTH Authentication required.\r\n",
          ),
      );
      await t.step("after AUTH the limits are the normal ones", async () => {
        await expectReply(rig, "AUTH pw\r\n" + del11, "+OK\r\n:0\r\n");
        const value = "v".repeat(20000);
        await expectReply(
          rig,
          "AUTH pw\r\n" + resp("ECHO", value),
          `+OK\r\n$${value.length}\r\n${value}\r\n`,
        );
      });
      await t.step("after AUTH a bulk over proto-max-bulk-len is refused", async () => {
        await expectReply(rig, `AUTH pw\r\n*2\r\n$4\r\nECHO\r\n$${MB}\r\n`, "+OK\r\n");
        await expectReply(
          rig,
          `AUTH pw\r\n*2\r\n$4\r\nECHO\r\n$${MB + 1}\r\n`,
          "+OK\r\n" + proto("invalid bulk length"),
        );
      });
    } finally {
      await stopRig(rig);
    }
  },
});
