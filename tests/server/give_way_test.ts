// GiveWay (src/server/give_way.ts): the byte over the loopback pair comes back through
// the OS's readiness poll and marks a turn; a connection waits only while the byte has
// been out for longer than a slice; without the pair, a timer makes the turns.

import assert from "node:assert/strict";
import { FAIR_SLICE_MS, GiveWay } from "../../src/server/give_way.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A GiveWay with its pair open, whose last turn was a while before `start`.
async function openWay(start: number): Promise<GiveWay> {
  const way = new GiveWay();
  await way.open();
  way.lastTurn = start - 10 * FAIR_SLICE_MS;
  return way;
}

Deno.test("give way: the byte comes back on the next poll and marks a turn", async () => {
  const start = Date.now();
  const way = await openWay(start);
  try {
    // A slice after the last turn seen, the byte goes out; nobody waits yet.
    assert.equal(way.due(start), false);
    for (let i = 0; i < 100 && way.lastTurn < start; i++) await sleep(10);
    assert.ok(way.lastTurn >= start, "the byte did not come back");
    assert.equal(way.due(Date.now()), false);
  } finally {
    way.close();
  }
});

Deno.test("give way: while the byte is out past a slice, readers wait for it", async () => {
  const start = Date.now();
  const way = await openWay(start);
  try {
    assert.equal(way.due(start), false);
    // Busy without a poll (no await in between): the byte cannot have come back.
    assert.equal(way.due(start + FAIR_SLICE_MS), true);
    // The pair does not keep a process alive (a server has its listeners for that).
    const alive = setTimeout(() => {}, 5000);
    await Promise.all([way.wait(), way.wait()]);
    clearTimeout(alive);
    assert.ok(way.lastTurn >= start);
    assert.equal(way.due(way.lastTurn), false);
  } finally {
    way.close();
  }
});

Deno.test("give way: without the pair, a timer makes a turn every 50 ms at most", async () => {
  const way = new GiveWay();
  const start = Date.now();
  way.lastTurn = start;
  assert.equal(way.due(start + 10), false);
  assert.equal(way.due(start + 50), true);
  await way.wait();
  assert.ok(way.lastTurn >= start);
  way.close();
});
