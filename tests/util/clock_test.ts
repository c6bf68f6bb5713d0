// The command-timing clock: on performance.now()'s scale (the two are mixed), and
// never going back.

import assert from "node:assert/strict";
import { monotonicNow } from "../../src/util/clock.ts";

Deno.test("monotonicNow reads what performance.now() reads, to within a millisecond", () => {
  for (let i = 0; i < 100; i++) {
    const before = performance.now();
    const now = monotonicNow();
    const after = performance.now();
    assert.ok(now >= before - 1 && now <= after + 1, `${before} <= ${now} <= ${after}`);
  }
});

Deno.test("monotonicNow never goes back and has sub-microsecond steps", () => {
  let last = monotonicNow();
  let smallestStep = Infinity;
  for (let i = 0; i < 10000; i++) {
    const now = monotonicNow();
    assert.ok(now >= last, `${now} after ${last}`);
    if (now > last) smallestStep = Math.min(smallestStep, now - last);
    last = now;
  }
  assert.ok(smallestStep < 0.001, `smallest step ${smallestStep} ms`);
});
