// RESTORE's IDLETIME and FREQ set a key's access record, as in Redis: IDLETIME under
// an LRU (or no) eviction policy, FREQ under an LFU one.

import assert from "node:assert/strict";
import { startInProcess } from "../_inprocess.ts";

Deno.test("RESTORE IDLETIME and FREQ set what OBJECT IDLETIME and FREQ answer", async () => {
  const s = await startInProcess();
  try {
    assert.equal(await s.call("SET", "src", "hello"), "+OK\r\n");
    const dump = await s.call("DUMP", "src");
    const payload = dump.slice(dump.indexOf("\r\n") + 2, -2);
    assert.equal(await s.call("RESTORE", "old", "0", payload, "IDLETIME", "1000"), "+OK\r\n");
    const idle = Number((await s.call("OBJECT", "IDLETIME", "old")).slice(1));
    assert.ok(idle >= 1000 && idle <= 1002, `idle ${idle}`);
    assert.equal(await s.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), "+OK\r\n");
    assert.equal(await s.call("RESTORE", "hot", "0", payload, "FREQ", "77"), "+OK\r\n");
    assert.equal(await s.call("OBJECT", "FREQ", "hot"), ":77\r\n");
    // Under LFU an IDLETIME is ignored: the key starts with the default counter.
    assert.equal(await s.call("RESTORE", "new", "0", payload, "IDLETIME", "77"), "+OK\r\n");
    assert.equal(await s.call("OBJECT", "FREQ", "new"), ":5\r\n");
  } finally {
    await s.stop();
  }
});
