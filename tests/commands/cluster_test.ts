// CLUSTER over TCP against an in-process Redeno: a server without cluster support
// answers every subcommand with one error, after the usual arity checks; COMMAND INFO
// and DOCS describe CLUSTER as Redis 7.0.15 does (checked when redis-server is there).

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { type Reply, RespClient, withRealRedis } from "../_resp_client.ts";

const DISABLED = "-ERR This instance has cluster support disabled\r\n";

/** One call of each subcommand with as many arguments as its arity asks for. */
const CALLS: string[][] = [
  ["ADDSLOTS", "1"],
  ["ADDSLOTSRANGE", "1", "10"],
  ["BUMPEPOCH"],
  ["COUNT-FAILURE-REPORTS", "abc"],
  ["COUNTKEYSINSLOT", "1"],
  ["DELSLOTS", "1"],
  ["DELSLOTSRANGE", "1", "10"],
  ["FAILOVER"],
  ["FLUSHSLOTS"],
  ["FORGET", "abc"],
  ["GETKEYSINSLOT", "1", "10"],
  ["HELP"],
  ["INFO"],
  ["KEYSLOT", "k"],
  ["LINKS"],
  ["MEET", "127.0.0.1", "7000"],
  ["MYID"],
  ["NODES"],
  ["REPLICAS", "abc"],
  ["REPLICATE", "abc"],
  ["RESET"],
  ["SAVECONFIG"],
  ["SET-CONFIG-EPOCH", "1"],
  ["SETSLOT", "1", "STABLE"],
  ["SHARDS"],
  ["SLAVES", "abc"],
  ["SLOTS"],
];

/**
 * A RESP2 COMMAND DOCS reply with the texts we write in our own words (summaries,
 * history notes) replaced, and a container's subcommands in name order (Redis lists
 * them in its hash table's order).
 */
function comparableDocs(reply: Reply): Reply {
  if (!Array.isArray(reply)) return reply;
  const out: Reply[] = [];
  for (let i = 0; i < reply.length; i++) {
    // In a flat map, the values are at odd indexes.
    const key = i % 2 === 1 ? reply[i - 1] : null;
    const value = reply[i];
    if (key === "summary") out.push("<text>");
    else if (key === "history" && Array.isArray(value)) {
      out.push(value.map((entry) => Array.isArray(entry) ? [entry[0], "<text>"] : entry));
    } else if (key === "subcommands" && Array.isArray(value)) {
      const pairs: [Reply, Reply][] = [];
      for (let j = 0; j < value.length; j += 2) {
        pairs.push([value[j], comparableDocs(value[j + 1])]);
      }
      pairs.sort(([a], [b]) => String(a).localeCompare(String(b)));
      out.push(pairs.flat());
    } else out.push(comparableDocs(value));
  }
  return out;
}

/** A RESP2 COMMAND INFO reply with each container's subcommands in name order. */
function comparableInfo(reply: Reply): Reply {
  if (!Array.isArray(reply)) return reply;
  return reply.map((entry) => {
    if (!Array.isArray(entry) || !Array.isArray(entry[9])) return entry;
    const subs = [...entry[9]].sort((a, b) =>
      String((a as Reply[])[0]).localeCompare(String((b as Reply[])[0]))
    );
    return [...entry.slice(0, 9), subs];
  });
}

Deno.test("CLUSTER without cluster support", async (t) => {
  const srv: InProcessServer = await startInProcess();
  const { call } = srv;
  try {
    await t.step("every subcommand, HELP included, says cluster support is disabled", async () => {
      for (const argv of CALLS) {
        assert.equal(await call("CLUSTER", ...argv), DISABLED, argv.join(" "));
        assert.equal(await call("cluster", ...argv.map((a) => a.toLowerCase())), DISABLED);
      }
    });

    await t.step("CLUSTER checks its arity, then its subcommands' arities", async () => {
      assert.equal(
        await call("CLUSTER"),
        "-ERR wrong number of arguments for 'cluster' command\r\n",
      );
      for (
        const [argv, name] of [
          [["KEYSLOT"], "keyslot"],
          [["KEYSLOT", "a", "b"], "keyslot"],
          [["HELP", "x"], "help"],
          [["INFO", "x"], "info"],
          [["ADDSLOTS"], "addslots"],
          [["SETSLOT", "1"], "setslot"],
          [["MEET", "127.0.0.1"], "meet"],
        ] as [string[], string][]
      ) {
        assert.equal(
          await call("CLUSTER", ...argv),
          `-ERR wrong number of arguments for 'cluster|${name}' command\r\n`,
        );
      }
      // Variadic subcommands take any number of extra arguments.
      assert.equal(await call("CLUSTER", "RESET", "HARD", "extra"), DISABLED);
      assert.equal(await call("CLUSTER", "ADDSLOTS", "1", "2", "3"), DISABLED);
    });

    await t.step("an unknown subcommand is named as the client spelled it", async () => {
      assert.equal(
        await call("CLUSTER", "FOO", "bar"),
        "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n",
      );
    });

    await t.step("scripts may not run CLUSTER RESET but reach the other subcommands", async () => {
      const reset = await call("EVAL", "return redis.call('cluster', 'reset', 'hard')", "0");
      assert.match(reset, /^-ERR This Redis command is not allowed from script/);
      assert.equal(
        await call("EVAL", "return redis.pcall('cluster', 'info')", "0"),
        DISABLED,
      );
    });

    await t.step("COMMAND LIST finds the subcommands by pattern", async () => {
      const list = await call("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help");
      assert.ok(list.includes("$12\r\ncluster|help\r\n"), list);
      const all = await call("COMMAND", "LIST", "FILTERBY", "PATTERN", "cluster|*");
      assert.ok(all.startsWith(`*${CALLS.length}\r\n`), all);
    });

    await t.step("COMMAND INFO and DOCS describe CLUSTER as Redis 7.0.15 does", async () => {
      const ours = await RespClient.connect(srv.port);
      try {
        await withRealRedis(async (real) => {
          const names = ["cluster", "cluster|keyslot", "cluster|meet", "cluster|slots"];
          for (const name of names) {
            assert.deepEqual(
              comparableInfo(await ours.call("COMMAND", "INFO", name)),
              comparableInfo(await real.call("COMMAND", "INFO", name)),
              `COMMAND INFO ${name}`,
            );
            assert.deepEqual(
              comparableDocs(await ours.call("COMMAND", "DOCS", name)),
              comparableDocs(await real.call("COMMAND", "DOCS", name)),
              `COMMAND DOCS ${name}`,
            );
          }
        });
      } finally {
        ours.close();
      }
    });
  } finally {
    await srv.stop();
  }
});
