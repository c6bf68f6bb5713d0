// appendfsync always: a reply leaves only once the fsync that covers its write is
// done, also when other clients' fsyncs finish first. The fsyncs are held open by
// wrapping the AOF's own hook, so the order of events is the test's to choose.

import assert from "node:assert/strict";
import { Client } from "./_client.ts";
import { startPersistent, waitFor } from "./_aof.ts";

Deno.test("with appendfsync always, a reply waits for the fsync of its own write, not an earlier one", async () => {
  const s = await startPersistent(Deno.makeTempDirSync(), [
    ["appendonly", ["yes"]],
    ["appendfsync", ["always"]],
  ]);
  const other = await Client.connect(s.port);
  try {
    assert.equal(s.server.repliesWaitForDisk, true);
    const fsync = s.server.beforeReplies!;
    // Each call of the hook (one per flush that has writes to log) waits for the real
    // fsync and for the test to open its gate.
    const gates: PromiseWithResolvers<void>[] = [];
    s.server.beforeReplies = () => {
      const done = fsync();
      const gate = Promise.withResolvers<void>();
      gates.push(gate);
      return Promise.all([done, gate.promise]).then(() => {});
    };
    const arrived: string[] = [];
    const first = s.call("SET", "a", "1").then((reply) => arrived.push(`a:${reply}`));
    await waitFor(() => gates.length === 1, "the first fsync");
    const second = other.call("SET", "b", "2").then((reply) => arrived.push(`b:${reply}`));
    await waitFor(() => gates.length === 2, "the second fsync");

    // The first fsync ends: only the reply whose write it covers goes.
    gates[0].resolve();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(arrived, ["a:OK"]);

    gates[1].resolve();
    await second;
    assert.deepEqual(arrived, ["a:OK", "b:OK"]);
  } finally {
    other.close();
    await s.stop();
  }
});
