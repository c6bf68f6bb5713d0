// Messaging through real client libraries: pub/sub with ioredis and node-redis (RESP2 and
// RESP3), keyspace notifications read by `redis-cli --csv psubscribe`, and node-redis's
// client-side cache invalidated by the server. Every scenario runs against Redeno and,
// when redis-server is installed, against real Redis, so the expectations are Redis's.

import assert from "node:assert/strict";
import { BasicClientSideCache, createClient } from "npm:redis@5";
import { skipWithout } from "../_server.ts";
import { nodeRedis, onEachServer } from "./_each_server.ts";
import { ioredis } from "../_ioredis.ts";

/** How long a test waits for something to arrive before it fails. */
const WAIT_MS = 5000;

/** How long one scenario may take on one server, so a reply that never comes fails it. */

/** Polls `ready` until it returns true; fails with `what` after WAIT_MS. */
async function waitUntil(what: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test({
  name: "an ioredis subscriber receives exactly the messages, pmessages and smessages published",
  fn: (t) =>
    onEachServer(t, async (server) => {
      const sub = ioredis(server.port);
      const pub = ioredis(server.port);
      await sub.connect();
      await pub.connect();
      try {
        const received: string[][] = [];
        sub.on("message", (channel, message) => received.push(["message", channel, message]));
        sub.on("pmessage", (pattern, channel, message) => {
          received.push(["pmessage", pattern, channel, message]);
        });
        sub.on("smessage", (channel, message) => received.push(["smessage", channel, message]));

        // Channels and patterns share one count; shard channels have their own.
        assert.equal(await sub.subscribe("news", "sports"), 2);
        assert.equal(await sub.psubscribe("news.*"), 3);
        assert.equal(await sub.psubscribe("s*"), 4);
        assert.equal(await sub.ssubscribe("orders"), 1);

        assert.deepEqual(await pub.pubsub("NUMSUB", "news", "sports", "none"), [
          "news",
          1,
          "sports",
          1,
          "none",
          0,
        ]);
        assert.equal(await pub.pubsub("NUMPAT"), 2);
        assert.deepEqual(await pub.call("PUBSUB", "SHARDNUMSUB", "orders"), ["orders", 1]);

        // PUBLISH counts one receiver per matching subscription, the same client included.
        assert.equal(await pub.publish("news", "hello"), 1);
        assert.equal(await pub.publish("news.tech", "chips"), 1);
        assert.equal(await pub.publish("sports", "goal"), 2);
        assert.equal(await pub.publish("nobody", "lost"), 0);
        assert.equal(await pub.spublish("orders", "o-1"), 1);
        // Shard channels and plain channels are separate namespaces.
        assert.equal(await pub.publish("orders", "plain"), 0);
        assert.equal(await pub.spublish("news", "sharded"), 0);
        assert.equal(await pub.spublish("orders", "o-2"), 1);

        const expected = [
          ["message", "news", "hello"],
          ["pmessage", "news.*", "news.tech", "chips"],
          ["message", "sports", "goal"],
          ["pmessage", "s*", "sports", "goal"],
          ["smessage", "orders", "o-1"],
          ["smessage", "orders", "o-2"],
        ];
        await waitUntil("six messages", () => received.length >= expected.length);
        assert.deepEqual(received, expected);

        assert.equal(await sub.unsubscribe("news", "sports"), 2);
        assert.equal(await sub.punsubscribe("news.*", "s*"), 0);
        assert.equal(await sub.sunsubscribe("orders"), 0);
        assert.equal(await pub.publish("news", "after"), 0);
        assert.equal(await pub.pubsub("NUMPAT"), 0);

        // Out of subscribed mode, ordinary commands work again.
        assert.equal(await sub.set("after", "1"), "OK");
        assert.equal(await sub.get("after"), "1");
        assert.equal(await sub.ping(), "PONG");
        assert.equal(received.length, expected.length);
      } finally {
        sub.disconnect();
        await pub.quit();
      }
    }),
});

for (const RESP of [2, 3] as const) {
  Deno.test({
    name: `a node-redis RESP${RESP} subscriber hears subscribe, pSubscribe and sSubscribe`,
    fn: (t) =>
      onEachServer(t, async (server) => {
        const pub = nodeRedis(server.port, RESP);
        await pub.connect();
        const sub = pub.duplicate();
        sub.on("error", () => {});
        await sub.connect();
        try {
          const received: string[][] = [];
          await sub.subscribe(["news", "sports"], (message, channel) => {
            received.push(["message", channel, message]);
          });
          await sub.pSubscribe("news.*", (message, channel) => {
            received.push(["pmessage", "news.*", channel, message]);
          });
          await sub.sSubscribe("orders", (message, channel) => {
            received.push(["smessage", channel, message]);
          });

          assert.deepEqual(
            { ...(await pub.pubSubNumSub(["news", "sports"])) },
            { news: 1, sports: 1 },
          );
          assert.equal(await pub.pubSubNumPat(), 1);

          assert.equal(await pub.publish("news", "hello"), 1);
          assert.equal(await pub.publish("news.tech", "chips"), 1);
          assert.equal(await pub.publish("sports", "goal"), 1);
          assert.equal(await pub.publish("nobody", "lost"), 0);
          assert.equal(await pub.sPublish("orders", "o-1"), 1);
          assert.equal(await pub.sPublish("news", "sharded"), 0);

          const expected = [
            ["message", "news", "hello"],
            ["pmessage", "news.*", "news.tech", "chips"],
            ["message", "sports", "goal"],
            ["smessage", "orders", "o-1"],
          ];
          await waitUntil("four messages", () => received.length >= expected.length);
          assert.deepEqual(received, expected);

          if (RESP === 3) {
            // RESP3 lets a subscribed connection run ordinary commands in between.
            assert.equal(await sub.set("during", "1"), "OK");
            assert.equal(await sub.get("during"), "1");
          }

          await sub.unsubscribe(["news", "sports"]);
          await sub.pUnsubscribe("news.*");
          await sub.sUnsubscribe("orders");
          assert.equal(await pub.publish("news", "after"), 0);
          assert.equal(await pub.sPublish("orders", "after"), 0);
          assert.equal(await pub.pubSubNumPat(), 0);

          // node-redis 5 over RESP2 hands back Buffers once a connection has been in
          // subscribed mode (against real Redis too), hence String().
          assert.equal(String(await sub.set("after", "1")), "OK");
          assert.equal(String(await sub.get("after")), "1");
          assert.equal(received.length, expected.length);
        } finally {
          await sub.close();
          await pub.close();
        }
      }),
  });
}

Deno.test({
  name: "redis-cli --csv psubscribe prints keyspace events as CSV lines",
  async fn(t) {
    if (skipWithout("redis-cli")) return;
    await onEachServer(t, async (server) => {
      const client = ioredis(server.port);
      await client.connect();
      const cli = new Deno.Command("redis-cli", {
        args: ["-p", String(server.port), "--csv", "psubscribe", "*"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let output = "";
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of cli.stdout) output += decoder.decode(chunk, { stream: true });
      })();
      try {
        assert.equal(await client.config("SET", "notify-keyspace-events", "KEA"), "OK");
        await waitUntil("the psubscribe confirmation", () => output.includes('"psubscribe"'));
        assert.equal(await client.set("foo", "bar"), "OK");
        assert.equal(await client.del("foo"), 1);
        const expected = [
          "Reading messages... (press Ctrl-C to quit)",
          '"psubscribe","*",1',
          '"pmessage","*","__keyspace@0__:foo","set"',
          '"pmessage","*","__keyevent@0__:set","foo"',
          '"pmessage","*","__keyspace@0__:foo","del"',
          '"pmessage","*","__keyevent@0__:del","foo"',
        ].join("\n") + "\n";
        await waitUntil("the four events", () => output.length >= expected.length);
        assert.equal(output, expected);
      } finally {
        cli.kill("SIGTERM");
        await cli.status;
        await reading;
        await client.quit();
      }
    });
  },
});

Deno.test({
  name: "node-redis's client-side cache serves a repeated GET and drops it when the key changes",
  fn: (t) =>
    onEachServer(t, async (server) => {
      const cache = new BasicClientSideCache();
      const invalidated: (string | null)[] = [];
      cache.on("invalidate", (key) => invalidated.push(key === null ? null : String(key)));
      const cached = createClient({
        url: `redis://127.0.0.1:${server.port}`,
        RESP: 3,
        clientSideCache: cache,
      });
      cached.on("error", () => {});
      const writer = nodeRedis(server.port, 2);
      await cached.connect();
      await writer.connect();
      try {
        // The client turned tracking on itself while connecting.
        const tracking = await cached.sendCommand(["CLIENT", "TRACKINGINFO"]);
        assert.deepEqual({ ...(tracking as object) }, { flags: ["on"], redirect: 0, prefixes: [] });
        assert.equal(await writer.set("color", "red"), "OK");

        assert.equal(await cached.get("color"), "red");
        assert.equal(await cached.get("color"), "red");
        assert.equal(cache.stats().missCount, 1);
        assert.equal(cache.stats().hitCount, 1);
        assert.equal(cache.size(), 1);

        assert.equal(await writer.set("color", "blue"), "OK");
        await waitUntil("the invalidation of color", () => invalidated.includes("color"));
        assert.deepEqual(invalidated, ["color"]);
        assert.equal(cache.size(), 0);

        assert.equal(await cached.get("color"), "blue");
        assert.equal(cache.stats().missCount, 2);
        assert.equal(await cached.get("color"), "blue");
        assert.equal(cache.stats().hitCount, 2);

        // A key the client never read is not tracked, so changing it sends nothing.
        assert.equal(await writer.set("other", "x"), "OK");
        assert.equal(await writer.del("color"), 1);
        await waitUntil("the invalidation after DEL", () => invalidated.length >= 2);
        assert.deepEqual(invalidated, ["color", "color"]);
        assert.equal(await cached.get("color"), null);
      } finally {
        await cached.close();
        await writer.close();
      }
    }),
});
