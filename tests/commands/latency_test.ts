// LATENCY and INFO latencystats over TCP against an in-process Redeno, with samples and
// command durations fed straight into the server's LatencyMonitor (as dispatch feeds
// them), so the replies can be checked byte for byte.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";

Deno.test("LATENCY", async (t) => {
  const srv: InProcessServer = await startInProcess();
  const { server, call } = srv;
  const latency = server.latency;
  try {
    await t.step("with no events LATEST and HISTORY are empty and GRAPH refuses", async () => {
      assert.equal(await call("LATENCY", "LATEST"), "*0\r\n");
      assert.equal(await call("LATENCY", "HISTORY", "command"), "*0\r\n");
      assert.equal(
        await call("LATENCY", "GRAPH", "command"),
        "-ERR No samples available for event 'command'\r\n",
      );
      assert.equal(await call("LATENCY", "RESET"), ":0\r\n");
    });

    await t.step("LATEST, HISTORY and GRAPH show the samples kept", async () => {
      const now = Date.now();
      const second = Math.floor(now / 1000);
      latency.addSample("command", 300, now - 5000);
      latency.addSample("command", 150, now);
      latency.addSample("fast-command", 20, now);
      assert.equal(
        await call("LATENCY", "LATEST"),
        `*2\r\n*4\r\n$7\r\ncommand\r\n:${second}\r\n:150\r\n:300\r\n` +
          `*4\r\n$12\r\nfast-command\r\n:${second}\r\n:20\r\n:20\r\n`,
      );
      assert.equal(
        await call("LATENCY", "HISTORY", "command"),
        `*2\r\n*2\r\n:${Math.floor((now - 5000) / 1000)}\r\n:300\r\n*2\r\n:${second}\r\n:150\r\n`,
      );
      const graph = await call("LATENCY", "GRAPH", "command");
      assert.match(
        graph,
        /^\$\d+\r\ncommand - high 300 ms, low 150 ms \(all time high 300 ms\)\n-{80}\n/,
      );
      await call("HELLO", "3");
      assert.match(await call("LATENCY", "GRAPH", "command"), /^=\d+\r\ntxt:command - high/);
      assert.match(await call("LATENCY", "DOCTOR"), /^=\d+\r\ntxt:/);
      await call("HELLO", "2");
    });

    await t.step("RESET forgets the events named, or all, and says how many", async () => {
      assert.equal(await call("LATENCY", "RESET", "nosuch", "fast-command"), ":1\r\n");
      assert.equal(await call("LATENCY", "RESET"), ":1\r\n");
      assert.equal(await call("LATENCY", "LATEST"), "*0\r\n");
    });

    await t.step("HISTOGRAM answers calls and a cumulative distribution per command", async () => {
      // Commands this test never sends, so dispatch adds nothing to their histograms.
      latency.commandDone("set", 12);
      latency.commandDone("set", 14);
      latency.commandDone("object|encoding", 3);
      latency.commandDone("object|encoding", 15);
      const set =
        "$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n*2\r\n:16\r\n:2\r\n";
      const encoding = "$15\r\nobject|encoding\r\n*4\r\n$5\r\ncalls\r\n:2\r\n$14\r\n" +
        "histogram_usec\r\n*4\r\n:4\r\n:1\r\n:16\r\n:2\r\n";
      assert.equal(await call("LATENCY", "HISTOGRAM", "set"), `*2\r\n${set}`);
      assert.equal(await call("LATENCY", "HISTOGRAM", "SET", "get"), `*2\r\n${set}`);
      // A container names its subcommands; unknown names are skipped, repeats repeated.
      assert.equal(
        await call("LATENCY", "HISTOGRAM", "nosuch", "object", "set", "Set"),
        `*6\r\n${encoding}${set}${set}`,
      );
      assert.equal(await call("LATENCY", "HISTOGRAM", "object|encoding"), `*2\r\n${encoding}`);
      assert.equal(await call("LATENCY", "HISTOGRAM", "object|nosuch", "a|b|c"), "*0\r\n");
      assert.ok((await call("LATENCY", "HISTOGRAM")).includes(set + encoding));
      await call("HELLO", "3");
      assert.equal(
        await call("LATENCY", "HISTOGRAM", "set"),
        "%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n%1\r\n:16\r\n:2\r\n",
      );
      await call("HELLO", "2");
    });

    await t.step("CONFIG RESETSTAT forgets the histograms", async () => {
      await call("CONFIG", "RESETSTAT");
      assert.equal(await call("LATENCY", "HISTOGRAM", "set", "object"), "*0\r\n");
    });

    await t.step("INFO latencystats shows the configured percentiles per command", async () => {
      latency.commandDone("set", 13.055);
      const setLine = async () => {
        const reply = await call("INFO", "latencystats");
        assert.match(reply, /^\$\d+\r\n# Latencystats\r\n/);
        return reply.split("\r\n").find((line) => line.startsWith("latency_percentiles_usec_set:"));
      };
      assert.equal(
        await setLine(),
        "latency_percentiles_usec_set:p50=13.055,p99=13.055,p99.9=13.055",
      );
      await call("CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100.0");
      assert.equal(
        await setLine(),
        "latency_percentiles_usec_set:p0=12.992,p50=13.055,p100=13.055",
      );
      await call("CONFIG", "SET", "latency-tracking-info-percentiles", "");
      assert.equal(await setLine(), "latency_percentiles_usec_set:");
      await call("CONFIG", "SET", "latency-tracking", "no");
      assert.equal(await call("INFO", "latencystats"), "$16\r\n# Latencystats\r\n\r\n");
      await call("CONFIG", "SET", "latency-tracking", "yes");
      await call("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9");
    });

    await t.step("HELP answers status lines naming every subcommand", async () => {
      const reply = await call("LATENCY", "HELP");
      const lines = reply.split("\r\n").slice(1, -1);
      assert.equal(Number(reply.slice(1, reply.indexOf("\r\n"))), lines.length);
      assert.ok(lines.every((line) => line.startsWith("+")));
      for (const sub of ["DOCTOR", "GRAPH", "HISTORY", "LATEST", "RESET", "HISTOGRAM", "HELP"]) {
        assert.ok(lines.some((line) => line.startsWith(`+${sub}`)), sub);
      }
    });
  } finally {
    await srv.stop();
  }
});
