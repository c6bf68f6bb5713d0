// Unit tests of the latency monitor: samples, their per-second merging, LATEST,
// HISTORY, RESET, GRAPH, and the per-command histograms behind INFO latencystats.

import assert from "node:assert/strict";
import { Config } from "../../src/config/mod.ts";
import { LATENCY_SAMPLES_PER_EVENT, LatencyMonitor } from "../../src/stats/latency.ts";

function monitor(settings: [string, string][] = []): { latency: LatencyMonitor; config: Config } {
  const config = new Config();
  assert.equal(config.set(settings), null);
  return { latency: new LatencyMonitor({ config }), config };
}

Deno.test("nothing is sampled while latency-monitor-threshold is 0", () => {
  const { latency } = monitor();
  latency.commandDone("get", 5_000_000);
  latency.sampleIfNeeded("expire-cycle", 1000);
  assert.deepEqual(latency.latest(), []);
});

Deno.test("commands at or above the threshold are sampled as command or fast-command", () => {
  const { latency } = monitor([["latency-monitor-threshold", "100"]]);
  latency.commandDone("debug", 99_999);
  assert.deepEqual(latency.latest(), []);
  latency.commandDone("debug", 150_000);
  latency.commandDone("get", 120_000, true);
  assert.deepEqual(latency.latest().map((e) => [e.event, e.latency, e.max]), [
    ["command", 150, 150],
    ["fast-command", 120, 120],
  ]);
});

Deno.test("samples in the same second merge into the largest; the maximum is kept", () => {
  const { latency } = monitor();
  latency.addSample("command", 150, 1_000_000_000);
  latency.addSample("command", 120, 1_000_000_500);
  latency.addSample("command", 90, 1_000_002_000);
  assert.deepEqual(latency.history("command"), [
    { time: 1_000_000, latency: 150 },
    { time: 1_000_002, latency: 90 },
  ]);
  assert.deepEqual(latency.latest(), [{
    event: "command",
    time: 1_000_002,
    latency: 90,
    max: 150,
  }]);
});

Deno.test("an event keeps its last 160 samples", () => {
  const { latency } = monitor();
  for (let i = 0; i < LATENCY_SAMPLES_PER_EVENT + 10; i++) {
    latency.addSample("command", i + 1, i * 1000);
  }
  const history = latency.history("command");
  assert.equal(history.length, LATENCY_SAMPLES_PER_EVENT);
  assert.equal(history[0].latency, 11);
});

Deno.test("RESET forgets the named events or all, counting those that existed", () => {
  const { latency } = monitor();
  latency.addSample("command", 1);
  latency.addSample("fast-command", 1);
  latency.addSample("expire-cycle", 1);
  assert.equal(latency.reset(["nosuch"]), 0);
  assert.equal(latency.reset(["command", "nosuch", "command"]), 1);
  assert.equal(latency.reset(), 2);
  assert.deepEqual(latency.latest(), []);
  assert.deepEqual(latency.history("command"), []);
});

Deno.test("GRAPH draws an event's samples under a title line, null without samples", () => {
  const { latency } = monitor();
  assert.equal(latency.graph("command"), null);
  latency.addSample("command", 150, 5_000_000);
  assert.equal(
    latency.graph("command", 5_000_000),
    "command - high 150 ms, low 150 ms (all time high 150 ms)\n" + "-".repeat(80) +
      "\n \n \n \n_\n \n0\ns\n",
  );
  assert.match(latency.graph("command", 5_000_000 + 90_000)!, /\n1\nm\n$/);
});

Deno.test("DOCTOR says something whether or not there are events", () => {
  const { latency, config } = monitor();
  assert.match(latency.doctor(), /off/);
  config.set([["latency-monitor-threshold", "10"]]);
  assert.match(latency.doctor(), /No event/);
  latency.addSample("command", 30);
  assert.match(latency.doctor(), /1\. command: 1 spikes/);
});

Deno.test("command histograms follow latency-tracking and CONFIG RESETSTAT", () => {
  const { latency, config } = monitor();
  latency.commandDone("set", 12);
  latency.commandDone("config|get", 3);
  latency.commandDone("set", 14);
  assert.equal(latency.histogram("set")!.count, 2);
  assert.deepEqual([...latency.histograms()].map(([name]) => name), ["set", "config|get"]);
  config.set([["latency-tracking", "no"]]);
  latency.commandDone("get", 5);
  assert.equal(latency.histogram("get"), undefined);
  latency.resetHistograms();
  assert.deepEqual([...latency.histograms()], []);
});

Deno.test("INFO latencystats fields use the configured percentiles", () => {
  const { latency, config } = monitor();
  latency.commandDone("ping", 13.055);
  assert.deepEqual(latency.infoFields(), [
    ["latency_percentiles_usec_ping", "p50=13.055,p99=13.055,p99.9=13.055"],
  ]);
  config.set([["latency-tracking-info-percentiles", "0 50.5 100"]]);
  assert.deepEqual(latency.infoFields(), [
    ["latency_percentiles_usec_ping", "p0=12.992,p50.5=13.055,p100=13.055"],
  ]);
  config.set([["latency-tracking-info-percentiles", ""]]);
  assert.deepEqual(latency.infoFields(), [["latency_percentiles_usec_ping", ""]]);
  config.set([["latency-tracking", "no"]]);
  assert.deepEqual(latency.infoFields(), []);
});
