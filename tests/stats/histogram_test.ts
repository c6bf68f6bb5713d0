// Unit tests of the per-command latency histogram: Redis's bucket boundaries,
// percentiles and the cumulative distribution LATENCY HISTOGRAM shows.

import assert from "node:assert/strict";
import { highestEquivalent, LatencyHistogram } from "../../src/stats/histogram.ts";

Deno.test("values below 256 ns have a bucket each, larger ones 1/128 of their size", () => {
  assert.equal(highestEquivalent(1), 1);
  assert.equal(highestEquivalent(255), 255);
  assert.equal(highestEquivalent(256), 257);
  assert.equal(highestEquivalent(1024), 1031);
  assert.equal(highestEquivalent(13055), 13055);
  assert.equal(highestEquivalent(12992), 13055);
});

Deno.test("an empty histogram has no calls and no distribution", () => {
  const h = new LatencyHistogram();
  assert.equal(h.count, 0);
  assert.equal(h.valueAtPercentile(50), 0);
  assert.deepEqual(h.cumulativeUsec(), []);
});

Deno.test("percentiles answer the top of the bucket, percentile 0 its bottom", () => {
  const h = new LatencyHistogram();
  h.record(13000);
  h.record(13050);
  assert.equal(h.valueAtPercentile(50), 13055);
  assert.equal(h.valueAtPercentile(100), 13055);
  assert.equal(h.valueAtPercentile(0), 12992);
});

Deno.test("percentiles split the recorded durations by rank", () => {
  const h = new LatencyHistogram();
  for (let i = 0; i < 99; i++) h.record(100);
  h.record(1_000_000);
  assert.equal(h.valueAtPercentile(50), 100);
  assert.equal(h.valueAtPercentile(99), 100);
  assert.equal(h.valueAtPercentile(99.9), highestEquivalent(1_000_000));
});

Deno.test("durations are clamped to 1 ns .. 1 s", () => {
  const h = new LatencyHistogram();
  h.record(0);
  h.record(5e9);
  assert.equal(h.count, 2);
  assert.equal(h.valueAtPercentile(0), 1);
  assert.equal(h.valueAtPercentile(100), highestEquivalent(1e9));
});

Deno.test("the cumulative distribution reports powers of two from 1 µs where counts grow", () => {
  const h = new LatencyHistogram();
  // The shape Redis showed for CONFIG GET: 4:1, 8:2, 16:12, 66:13, 264:14.
  h.record(3000);
  h.record(6000);
  for (let i = 0; i < 10; i++) h.record(15000);
  h.record(60000);
  h.record(200000);
  assert.deepEqual(h.cumulativeUsec(), [[4, 1], [8, 2], [16, 12], [66, 13], [264, 14]]);
});

Deno.test("a duration below 1 µs lands in the first reported bucket", () => {
  const h = new LatencyHistogram();
  h.record(1);
  assert.deepEqual(h.cumulativeUsec(), [[1, 1]]);
});

Deno.test("a duration recorded with a count counts that many times", () => {
  const once = new LatencyHistogram();
  for (let i = 0; i < 5; i++) once.record(3000);
  once.record(70000);
  const counted = new LatencyHistogram();
  counted.record(3000, 5);
  counted.record(70000);
  assert.equal(counted.count, 6);
  assert.deepEqual(counted.cumulativeUsec(), once.cumulativeUsec());
  assert.equal(counted.valueAtPercentile(80), once.valueAtPercentile(80));
});
