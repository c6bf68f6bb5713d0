// Unit tests of the LATENCY GRAPH sparkline renderer.

import assert from "node:assert/strict";
import { renderSparkline } from "../../src/stats/sparkline.ts";

Deno.test("one sample draws a low mark, a blank line and its label downwards", () => {
  // What Redis 7.0.15 answered for a single 150 ms sample taken this second.
  assert.equal(renderSparkline([{ value: 150, label: "0s" }]), " \n \n \n_\n \n0\ns\n");
});

Deno.test("columns scale between the lowest and the highest sample and fill below", () => {
  // Redis 7.0.15's graph of samples of 60, 200, 130, 90 and 300 ms.
  const values = [60, 200, 130, 90, 300];
  const labels = ["7s", "6s", "4s", "3s", "1s"];
  const graph = renderSparkline(values.map((value, i) => ({ value, label: labels[i] })));
  assert.equal(graph, "    #\n o  |\n |_ |\n_||o|\n     \n76431\nsssss\n");
});

Deno.test("more samples than columns wrap into blocks separated by an empty line", () => {
  const graph = renderSparkline(
    [{ value: 1, label: "a" }, { value: 1, label: "b" }, { value: 1, label: "c" }],
    2,
    1,
  );
  assert.equal(graph, "__\n  \nab\n\n_\n \nc\n");
});

Deno.test("no samples draw nothing", () => {
  assert.equal(renderSparkline([]), "");
});
