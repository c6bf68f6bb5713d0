// How commands are timed in a pipelined batch: `fast` commands that run back to back
// are timed as one run (see PendingTimes in src/server/call.ts), everything else on
// its own. Checked end to end: the slow log, INFO commandstats and the latency
// histograms see every command, and a slow command among fast ones is logged alone.

import assert from "node:assert/strict";
import { bytes, exchange, freePort, resp, type RunningServer, startRedeno } from "../_server.ts";

function pipeline(...commands: string[][]): Uint8Array {
  return bytes(commands.map((argv) => resp(...argv)).join(""));
}

Deno.test("a slow command among fast ones in one batch is logged alone, with its own time", async () => {
  const server: RunningServer = await startRedeno(freePort(), ["--enable-debug-command", "yes"]);
  try {
    const get = ["GET", "a"];
    const out = await exchange(
      server.port,
      pipeline(
        ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
        ["SLOWLOG", "RESET"],
        get,
        get,
        get,
        ["DEBUG", "SLEEP", "0.03"],
        get,
        get,
        ["SLOWLOG", "GET"],
      ),
      500,
    );
    // One entry: DEBUG SLEEP, with at least its 30 ms.
    const entries = out.slice(out.indexOf("*1\r\n*6\r\n"));
    assert.match(entries, /^\*1\r\n\*6\r\n:\d+\r\n:\d+\r\n:(\d+)\r\n\*3\r\n\$5\r\nDEBUG\r\n/);
    const micros = Number(/^\*1\r\n\*6\r\n:\d+\r\n:\d+\r\n:(\d+)/.exec(entries)![1]);
    assert.ok(micros >= 30000 && micros < 1_000_000, `DEBUG SLEEP took ${micros} µs`);
  } finally {
    await server.stop();
  }
});

Deno.test("every fast command of a batch, and every SET, is counted and logged", async () => {
  const server: RunningServer = await startRedeno(freePort());
  try {
    const get = ["GET", "a"];
    await exchange(
      server.port,
      pipeline(["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"]),
    );
    // Twenty GETs with nothing else in between: more than one run of the 16-request
    // batches a reader may see, and fewer than the 64 a run holds at most.
    const gets = Array.from({ length: 20 }, () => get);
    const replies = await exchange(server.port, pipeline(...gets, ["SLOWLOG", "LEN"]));
    // SLOWLOG RESET logs itself after emptying the log, as in Redis: 1 + 20.
    assert.ok(replies.endsWith(":21\r\n"), JSON.stringify(replies.slice(-20)));
    const info = await exchange(server.port, pipeline(["INFO", "commandstats"]));
    assert.match(info, /cmdstat_get:calls=20,usec=\d+,usec_per_call=\d+\.\d\d,/);
    const histogram = await exchange(server.port, pipeline(["LATENCY", "HISTOGRAM", "get"]));
    assert.match(histogram, /calls\r\n:20\r\n/);
    // SET is not fast, but its calls are constant work here: timed the same way.
    await exchange(server.port, pipeline(["SLOWLOG", "RESET"]));
    const sets = Array.from({ length: 20 }, (_, i) => ["SET", "a", String(i)]);
    const setReplies = await exchange(server.port, pipeline(...sets, ["SLOWLOG", "LEN"]));
    assert.ok(setReplies.endsWith(":21\r\n"), JSON.stringify(setReplies.slice(-20)));
    const setInfo = await exchange(server.port, pipeline(["INFO", "commandstats"]));
    assert.match(setInfo, /cmdstat_set:calls=20,usec=\d+,usec_per_call=\d+\.\d\d,/);
  } finally {
    await server.stop();
  }
});

Deno.test("a batch of several commands in stretches counts each command and its failures", async () => {
  const server: RunningServer = await startRedeno(freePort());
  try {
    await exchange(server.port, pipeline(["SET", "s", "text"], ["CONFIG", "RESETSTAT"]));
    const batch = pipeline(
      ["GET", "s"],
      ["GET", "s"],
      ["INCR", "s"],
      ["INCR", "s"],
      ["GET", "s"],
      ["PING"],
      ["PING"],
      ["PING"],
      ["INCR", "s"],
    );
    await exchange(server.port, batch);
    const info = await exchange(server.port, pipeline(["INFO", "commandstats"]));
    assert.match(
      info,
      /cmdstat_get:calls=3,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0\r\n/,
    );
    assert.match(
      info,
      /cmdstat_incr:calls=3,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=3\r\n/,
    );
    assert.match(info, /cmdstat_ping:calls=3,/);
    const histogram = await exchange(server.port, pipeline(["LATENCY", "HISTOGRAM", "incr"]));
    assert.match(histogram, /calls\r\n:3\r\n/);
  } finally {
    await server.stop();
  }
});

Deno.test("the commands a script runs are counted and logged, and Lua's own time is not theirs", async () => {
  const server: RunningServer = await startRedeno(freePort());
  try {
    // Two INCRs, then about 200 ms of Lua alone, then a third one: with a 50 ms
    // threshold only the EVAL is slow; the INCRs are counted and none is logged. (A run
    // may count Lua's time up to the next busy check, 100,000 instructions: well under
    // a millisecond, unless the machine is so busy that the process waits its turn.)
    const script = "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[1]); " +
      "local t = 0; for i = 1, 10000000 do t = t + i end; return redis.call('incr', KEYS[1])";
    const replies = await exchange(
      server.port,
      pipeline(
        ["CONFIG", "SET", "slowlog-log-slower-than", "50000"],
        ["SLOWLOG", "RESET"],
        ["EVAL", script, "1", "n"],
        ["SLOWLOG", "GET"],
        ["INFO", "commandstats"],
      ),
      1000,
    );
    assert.match(replies, /:3\r\n/);
    const log = replies.slice(replies.indexOf(":3\r\n") + 4);
    assert.match(log, /^\*1\r\n\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n\*4\r\n\$4\r\nEVAL\r\n/);
    assert.match(log, /cmdstat_incr:calls=3,/);
    // Every INCR of the script logged, before the EVAL that ran them (as in Redis).
    const all = await exchange(
      server.port,
      pipeline(
        ["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        ["SLOWLOG", "RESET"],
        ["EVAL", "redis.call('incr', KEYS[1]); return redis.call('incr', KEYS[1])", "1", "n"],
        ["SLOWLOG", "GET", "3"],
      ),
      1000,
    );
    const names = [...all.matchAll(/\*(\d)\r\n\$\d+\r\n(EVAL|incr|SLOWLOG)\r\n/g)].map((m) => m[2]);
    assert.deepEqual(names, ["EVAL", "incr", "incr"]);
  } finally {
    await server.stop();
  }
});

Deno.test("PFCOUNT is timed with the fast commands while its count is cached, and alone once it counts", async () => {
  const server: RunningServer = await startRedeno(freePort());
  try {
    // 200 dense HLLs: counting all of them merges 200 x 16384 registers.
    const elements = Array.from({ length: 3000 }, (_, i) => `e${i}`);
    const keys = Array.from({ length: 200 }, (_, i) => `hll${i}`);
    await exchange(server.port, pipeline(...keys.map((key) => ["PFADD", key, ...elements])), 1000);
    await exchange(server.port, pipeline(["PFCOUNT", "hll0"], ["INFO", "commandstats"]));
    await exchange(
      server.port,
      pipeline(["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["SLOWLOG", "RESET"]),
    );
    // Cached counts: every call counted and logged, in the run of the GETs around them.
    const quick = Array.from({ length: 10 }, () => [["GET", "a"], ["PFCOUNT", "hll0"]]).flat();
    const replies = await exchange(server.port, pipeline(...quick, ["SLOWLOG", "LEN"]));
    assert.ok(replies.endsWith(":21\r\n"), JSON.stringify(replies.slice(-20)));
    const stats = await exchange(server.port, pipeline(["INFO", "commandstats"]));
    assert.match(stats, /cmdstat_pfcount:calls=11,/);
    // The merge of 200 keys is slow: logged alone, with its own time.
    const threshold = 2000;
    const get = ["GET", "a"];
    const out = await exchange(
      server.port,
      pipeline(
        ["CONFIG", "SET", "slowlog-log-slower-than", String(threshold)],
        ["SLOWLOG", "RESET"],
        get,
        get,
        ["PFCOUNT", ...keys],
        get,
        get,
        ["SLOWLOG", "GET"],
      ),
      1000,
    );
    const log = out.slice(out.lastIndexOf("*1\r\n*6\r\n"));
    assert.match(log, /^\*1\r\n\*6\r\n:\d+\r\n:\d+\r\n:(\d+)\r\n\*32\r\n\$7\r\nPFCOUNT\r\n/);
  } finally {
    await server.stop();
  }
});
