// The start-up load serves clients meanwhile, as Redis's does: the server listens
// first, INFO shows loading:1 with the loading_* figures, commands flagged `loading`
// run, the others (and CONFIG SET dir) get -LOADING, and "Ready to accept connections"
// is logged once the data is in. key-load-delay makes the load last long enough.

import assert from "node:assert/strict";
import { RespClient } from "../_resp_client.ts";
import { call, freePort, startRedeno, startRedenoLoading, waitForPing } from "../_server.ts";

const LOADING = "-LOADING Redis is loading the dataset in memory\r\n";

// A directory holding a dump.rdb of `keys` keys of 1000 bytes.
async function populatedDir(keys: number): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-loading-" });
  const first = await startRedeno(freePort(), ["--dir", dir, "--enable-debug-command", "yes"]);
  try {
    const client = await RespClient.connect(first.port);
    assert.equal(await client.call("DEBUG", "POPULATE", String(keys), "key", "1000"), "OK");
    assert.equal(await client.call("SAVE"), "OK");
    client.close();
  } finally {
    await first.stop();
  }
  return dir;
}

// Starts Redeno on `dir` with a load of 300 µs a key, pausing after every key.
function startSlowLoad(dir: string) {
  return startRedenoLoading(freePort(), [
    "--dir",
    dir,
    "--save",
    "",
    "--key-load-delay",
    "300",
    "--loading-process-events-interval-bytes",
    "1024",
  ]);
}

Deno.test("a start-up RDB load answers -LOADING, INFO and CONFIG while it runs", async () => {
  // 20,000 keys: 6 s to load, time for the checks even on a busy machine.
  const dir = await populatedDir(20000);
  const size = Deno.statSync(`${dir}/dump.rdb`).size;
  const server = await startSlowLoad(dir);
  const port = server.port;
  try {
    let info = await call(port, "INFO", "persistence");
    assert.match(info, /\r\nloading:1\r\n/);
    assert.match(info, /\r\nasync_loading:0\r\n/);
    // The file's size is known from the start, as in Redis (it is stat'ed first)...
    assert.match(info, new RegExp(`\r\nloading_total_bytes:${size}\r\n`));
    // ...the used-mem it records once its head is read (the first INFO may come while
    // the file is still on its way from the disk).
    for (let i = 0; i < 100 && info.includes("\r\nloading_rdb_used_mem:0\r\n"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      info = await call(port, "INFO", "persistence");
    }
    assert.match(info, /\r\nloading:1\r\n/);
    assert.match(info, /\r\nloading_rdb_used_mem:[1-9][0-9]*\r\n/);
    const loaded = Number(info.match(/\r\nloading_loaded_bytes:([0-9]+)\r\n/)![1]);
    assert.ok(loaded < size, `loaded ${loaded} of ${size} bytes already`);
    assert.equal(await call(port, "GET", "key:1"), LOADING);
    assert.equal(await call(port, "DBSIZE"), LOADING);
    assert.equal(await call(port, "CONFIG", "SET", "loglevel", "verbose"), "+OK\r\n");
    assert.equal(
      await call(port, "CONFIG", "GET", "loglevel"),
      "*2\r\n$8\r\nloglevel\r\n$7\r\nverbose\r\n",
    );
    assert.equal(await call(port, "CONFIG", "SET", "dir", "/"), LOADING);
    assert.equal(await call(port, "ECHO", "hi"), "$2\r\nhi\r\n");
    assert.ok(!server.output().includes("Ready to accept connections"));
    // Once loaded: every key is there and the log says so in Redis's order.
    await waitForPing(port, 20000);
    assert.equal(await call(port, "DBSIZE"), ":20000\r\n");
    assert.equal(await call(port, "STRLEN", "key:19999"), ":1000\r\n");
    assert.match(await call(port, "INFO", "persistence"), /\r\nloading:0\r\n/);
    const log = server.output();
    const at = (text: string) => log.indexOf(text);
    assert.ok(
      at("Server initialized") >= 0 && at("Server initialized") < at("DB loaded from disk"),
    );
    assert.ok(at("DB loaded from disk") < at("Ready to accept connections"));
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SHUTDOWN SAVE during a start-up load exits without saving part of the data", async () => {
  const dir = await populatedDir(20000);
  const before = Deno.readFileSync(`${dir}/dump.rdb`);
  const server = await startSlowLoad(dir);
  try {
    assert.match(await call(server.port, "INFO", "persistence"), /\r\nloading:1\r\n/);
    assert.equal(await call(server.port, "SHUTDOWN", "SAVE"), "<closed>");
    assert.equal((await server.process.status).code, 0);
    assert.deepEqual(Deno.readFileSync(`${dir}/dump.rdb`), before);
    assert.ok(!server.output().includes("Ready to accept connections"));
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a start-up AOF replay runs its commands though clients are refused meanwhile", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-loading-" });
  // An AOF of commands only (no RDB preamble): 200,000 SETs to replay.
  const first = await startRedeno(freePort(), [
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--aof-use-rdb-preamble",
    "no",
  ]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: first.port });
    const batch = new TextEncoder().encode(
      Array.from(
        { length: 1000 },
        (_, i) => `*3\r\n$3\r\nSET\r\n$6\r\nk${String(i).padStart(5, "0")}\r\n$1\r\nv\r\n`,
      ).join(""),
    );
    const buf = new Uint8Array(8192);
    for (let round = 0; round < 200; round++) {
      await conn.write(batch);
      let got = 0;
      while (got < 5000) got += (await conn.read(buf)) ?? 5000;
    }
    conn.close();
  } finally {
    await first.stop();
  }
  const server = await startRedenoLoading(freePort(), [
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
  ]);
  const port = server.port;
  try {
    // The log's own commands are obeyed while the loading state refuses clients'.
    await waitForPing(port, 20000);
    assert.equal(await call(port, "DBSIZE"), ":1000\r\n");
    assert.equal(await call(port, "GET", "k00001"), "$1\r\nv\r\n");
  } finally {
    await server.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
