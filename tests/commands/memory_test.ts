// MEMORY over TCP against an in-process Redeno: USAGE estimates that grow with the
// data, the STATS map in RESP2 and RESP3, and the text reports.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";

/** The integer of an integer reply. */
function integer(reply: string): number {
  assert.match(reply, /^:\d+\r\n$/);
  return Number(reply.slice(1, -2));
}

Deno.test("MEMORY", async (t) => {
  const srv: InProcessServer = await startInProcess();
  const { call } = srv;
  try {
    await t.step("USAGE answers nil for a missing key and grows with the value", async () => {
      await call("FLUSHALL");
      assert.equal(await call("MEMORY", "USAGE", "nokey"), "$-1\r\n");
      await call("SET", "small", "v");
      await call("SET", "large", "v".repeat(10000));
      const small = integer(await call("MEMORY", "USAGE", "small"));
      const large = integer(await call("MEMORY", "USAGE", "large"));
      assert.ok(small > 20 && small < 200, `${small}`);
      assert.ok(large - small >= 9990, `${small} ${large}`);
    });

    await t.step("USAGE of collections grows with their elements", async () => {
      await call("HSET", "h", "f", "v");
      const one = integer(await call("MEMORY", "USAGE", "h"));
      for (let i = 0; i < 50; i++) await call("HSET", "h", `field${i}`, "value");
      assert.ok(integer(await call("MEMORY", "USAGE", "h")) > one);
      for (const [type, ...args] of [["RPUSH", "l"], ["SADD", "s"], ["ZADD", "z", "1"]]) {
        await call(type, ...args, "a");
        const before = integer(await call("MEMORY", "USAGE", args[0]));
        for (let i = 0; i < 200; i++) {
          await call(type, ...args, `member-${i}`);
        }
        assert.ok(integer(await call("MEMORY", "USAGE", args[0])) > before, type);
      }
    });

    await t.step("USAGE SAMPLES counts that many elements; 0 counts them all", async () => {
      await call("RPUSH", "mixed", "x".repeat(5000));
      for (let i = 0; i < 99; i++) await call("RPUSH", "mixed", "y");
      const one = integer(await call("MEMORY", "USAGE", "mixed", "SAMPLES", "1"));
      const all = integer(await call("MEMORY", "USAGE", "mixed", "samples", "0"));
      assert.ok(one > all * 10, `${one} vs ${all}`);
      assert.equal(
        await call("MEMORY", "USAGE", "mixed", "SAMPLES", "-1"),
        "-ERR syntax error\r\n",
      );
      assert.equal(
        await call("MEMORY", "USAGE", "mixed", "SAMPLES", "x"),
        "-ERR value is not an integer or out of range\r\n",
      );
      assert.equal(await call("MEMORY", "USAGE", "mixed", "COUNT", "1"), "-ERR syntax error\r\n");
    });

    await t.step("STATS is a map of Redis's fields with one entry per used database", async () => {
      const reply = await call("MEMORY", "STATS");
      assert.match(reply, /^\*56\r\n\$14\r\npeak\.allocated\r\n:\d+\r\n/);
      assert.match(reply, /\$4\r\ndb\.0\r\n\*6\r\n\$23\r\noverhead\.hashtable\.main\r\n:\d+\r\n/);
      assert.match(reply, /\$10\r\nkeys\.count\r\n:7\r\n/);
      assert.match(reply, /\$18\r\ndataset\.percentage\r\n\$\d+\r\n[\d.e+-]+\r\n/);
      await call("HELLO", "3");
      const map = await call("MEMORY", "STATS");
      assert.match(map, /^%28\r\n/);
      assert.match(map, /\$4\r\ndb\.0\r\n%3\r\n/);
      assert.match(map, /\$13\r\nfragmentation\r\n,[\d.e+-]+\r\n/);
      await call("HELLO", "2");
    });

    await t.step("DOCTOR and MALLOC-STATS answer text, PURGE answers OK", async () => {
      assert.match(await call("MEMORY", "DOCTOR"), /^\$\d+\r\n.+\n\r\n$/s);
      assert.match(
        await call("MEMORY", "MALLOC-STATS"),
        /^\$\d+\r\n.*\nheap_used: \d+\n.*\n\r\n$/s,
      );
      assert.equal(await call("MEMORY", "PURGE"), "+OK\r\n");
      await call("HELLO", "3");
      assert.match(await call("MEMORY", "DOCTOR"), /^=\d+\r\ntxt:/);
      await call("HELLO", "2");
    });

    await t.step("HELP answers status lines naming every subcommand", async () => {
      const reply = await call("MEMORY", "HELP");
      const lines = reply.split("\r\n").slice(1, -1);
      assert.equal(Number(reply.slice(1, reply.indexOf("\r\n"))), lines.length);
      assert.ok(lines.every((line) => line.startsWith("+")));
      for (const sub of ["DOCTOR", "MALLOC-STATS", "PURGE", "STATS", "USAGE", "HELP"]) {
        assert.ok(lines.some((line) => line.startsWith(`+${sub}`)), sub);
      }
    });
  } finally {
    await srv.stop();
  }
});
