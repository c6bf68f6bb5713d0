// DEBUG over TCP: what the compat scenarios (tests/compat/scenarios/debug_*.txt) cannot
// show by comparing replies with Redis: that SLEEP stops the whole server, that the
// switches change what the server does in the background, LOADAOF, the "local"
// setting seen from another address, and PFSELFTEST.

import assert from "node:assert/strict";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { RespClient } from "../_resp_client.ts";
import { freePort, hasTool, startRedeno } from "../_server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withServer(fn: (t: InProcessServer) => Promise<void>): Promise<void> {
  const t = await startInProcess([["enable-debug-command", ["yes"]]]);
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}

Deno.test("DEBUG SLEEP stops the whole server, other clients included", async () => {
  const server = await startRedeno(freePort(), ["--enable-debug-command", "yes"]);
  const a = await RespClient.connect(server.port);
  const b = await RespClient.connect(server.port);
  try {
    const started = performance.now();
    const sleeping = a.call("DEBUG", "SLEEP", "0.3");
    await sleep(50);
    assert.equal(await b.call("PING"), "PONG");
    const waited = performance.now() - started;
    assert.equal(await sleeping, "OK");
    assert.ok(waited >= 280, `PING answered after ${waited.toFixed(0)} ms`);
    // The slow log and the latency monitor see it as a slow command.
    const slow = await a.call("SLOWLOG", "GET", "1") as string[][];
    assert.deepEqual(slow[0][3], ["DEBUG", "SLEEP", "0.3"]);
  } finally {
    a.close();
    b.close();
    await server.stop();
  }
});

Deno.test("DEBUG SET-ACTIVE-EXPIRE 0 keeps expired keys until they are read", async () => {
  await withServer(async ({ call, server }) => {
    assert.equal(await call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "+OK\r\n");
    assert.equal(server.debug.activeExpire, false);
    for (let i = 0; i < 50; i++) await call("SET", `k${i}`, "v", "PX", "1");
    await sleep(300);
    assert.equal(await call("DBSIZE"), ":50\r\n");
    assert.equal(await call("EXISTS", "k0"), ":0\r\n");
    assert.equal(await call("DBSIZE"), ":49\r\n");
    assert.equal(await call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "+OK\r\n");
    await sleep(300);
    assert.equal(await call("DBSIZE"), ":0\r\n");
  });
});

Deno.test("DEBUG PAUSE-CRON 1 stops the background work until PAUSE-CRON 0", async () => {
  await withServer(async ({ call, server }) => {
    assert.equal(await call("DEBUG", "PAUSE-CRON", "1"), "+OK\r\n");
    assert.equal(server.debug.pauseCron, true);
    await call("SET", "k", "v", "PX", "1");
    await sleep(300);
    assert.equal(await call("DBSIZE"), ":1\r\n");
    assert.equal(await call("DEBUG", "PAUSE-CRON", "0"), "+OK\r\n");
    await sleep(300);
    assert.equal(await call("DBSIZE"), ":0\r\n");
  });
});

Deno.test("DEBUG SET-DISABLE-DENY-SCRIPTS lets scripts call DEBUG", async () => {
  await withServer(async ({ call }) => {
    const script = "return redis.call('debug', 'protocol', 'integer')";
    assert.match(await call("EVAL", script, "0"), /^-ERR This Redis command is not allowed/);
    assert.equal(await call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"), "+OK\r\n");
    assert.equal(await call("EVAL", script, "0"), ":12345\r\n");
    assert.equal(await call("DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"), "+OK\r\n");
    assert.match(await call("EVAL", script, "0"), /^-ERR This Redis command is not allowed/);
  });
});

Deno.test("DEBUG CHANGE-REPL-ID draws a new master_replid", async () => {
  await withServer(async ({ call }) => {
    const replid = async () => /master_replid:([0-9a-f]{40})/.exec(await call("INFO"))![1];
    const before = await replid();
    assert.equal(await call("DEBUG", "CHANGE-REPL-ID"), "+OK\r\n");
    assert.notEqual(await replid(), before);
  });
});

Deno.test("DEBUG RELOAD saves and loads back keys, TTLs and libraries", async () => {
  await withServer(async ({ call }) => {
    await call("RPUSH", "l", "a", "b");
    await call("SET", "s", "v", "EX", "1000");
    await call("SADD", "set", "x", "y");
    const digest = await call("DEBUG", "DIGEST");
    assert.notEqual(digest, "+0000000000000000000000000000000000000000\r\n");
    assert.equal(await call("DEBUG", "RELOAD"), "+OK\r\n");
    assert.equal(await call("DEBUG", "DIGEST"), digest);
    assert.match(await call("TTL", "s"), /^:(999|1000)\r\n$/);
    // Reported to WATCH as a flush: the transaction of a client watching a key aborts.
    await call("WATCH", "l");
    assert.equal(await call("DEBUG", "RELOAD", "NOSAVE"), "+OK\r\n");
    await call("MULTI");
    await call("PING");
    assert.equal(await call("EXEC"), "*-1\r\n");
  });
});

Deno.test("DEBUG LOADAOF reads the dataset back from the AOF", async () => {
  const server = await startRedeno(freePort(), [
    "--enable-debug-command",
    "yes",
    "--appendonly",
    "yes",
  ]);
  const c = await RespClient.connect(server.port);
  try {
    await c.call("SET", "a", "1");
    await c.call("PEXPIRE", "a", "1000000");
    await c.call("HSET", "h", "f", "v");
    await c.call(
      "FUNCTION",
      "LOAD",
      "#!lua name=lib\nredis.register_function('f', function() return 7 end)",
    );
    const digest = await c.call("DEBUG", "DIGEST");
    assert.equal(await c.call("DEBUG", "LOADAOF"), "OK");
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    assert.ok((await c.call("PTTL", "a") as number) > 990_000);
    assert.equal(await c.call("FCALL", "f", "0"), 7);
    assert.match(server.output(), /Append Only File loaded by DEBUG LOADAOF/);
    // Writes after the reload still reach the AOF.
    await c.call("SET", "b", "2");
    assert.equal(await c.call("DEBUG", "LOADAOF"), "OK");
    assert.equal(await c.call("GET", "b"), "2");
    // Not inside a transaction: the load reads files asynchronously.
    await c.call("MULTI");
    await c.call("DEBUG", "LOADAOF");
    const [inside] = await c.call("EXEC") as Error[];
    assert.match(inside.message, /LOADAOF/);
  } finally {
    c.close();
    await server.stop();
  }
});

Deno.test("DEBUG LOADAOF without any AOF refuses and keeps the data", async () => {
  await withServer(async ({ call }) => {
    await call("SET", "k", "v");
    assert.equal(
      await call("DEBUG", "LOADAOF"),
      "-ERR Loading the AOF failed: there is no AOF to load\r\n",
    );
    assert.equal(await call("GET", "k"), "$1\r\nv\r\n");
  });
});

Deno.test("DEBUG LOG writes to the server log, LISTPACK and QUICKLIST to stdout", async () => {
  const server = await startRedeno(freePort(), ["--enable-debug-command", "yes"]);
  const c = await RespClient.connect(server.port);
  try {
    assert.equal(await c.call("DEBUG", "LOG", "hello from a test"), "OK");
    await c.call("HSET", "h", "f", "v");
    await c.call("RPUSH", "l", "a", "b");
    await c.call("SADD", "s", "a");
    assert.equal(await c.call("DEBUG", "LISTPACK", "h"), "Listpack structure printed on stdout");
    assert.equal(
      await c.call("DEBUG", "QUICKLIST", "l", "1"),
      "Quicklist structure printed on stdout",
    );
    assert.deepEqual(
      await c.call("DEBUG", "LISTPACK", "l"),
      new Error("ERR Not a listpack encoded object."),
    );
    assert.deepEqual(
      await c.call("DEBUG", "QUICKLIST", "s"),
      new Error("ERR Not a quicklist encoded object."),
    );
    await sleep(100);
    const out = server.output();
    assert.match(out, /# DEBUG LOG: hello from a test/);
    assert.match(out, /DEBUG LISTPACK "h": a listpack of \d+ bytes holding 2 entries/);
    assert.match(out, /DEBUG QUICKLIST "l": 2 elements in 1 nodes/);
    assert.match(out, /node 0: packed, 2 elements/);
  } finally {
    c.close();
    await server.stop();
  }
});

Deno.test("DEBUG refused by the directive counts as a rejected call", async () => {
  const t = await startInProcess();
  try {
    assert.match(await t.call("DEBUG", "HELP"), /^-ERR DEBUG command not allowed/);
    assert.match(
      await t.call("INFO", "commandstats"),
      /cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0/,
    );
  } finally {
    await t.stop();
  }
});

// A DEBUG HELP sent from 127.0.0.2 (python binds the client socket, Deno cannot).
async function fromOtherAddress(port: number): Promise<string> {
  const script = [
    "import socket, sys",
    "s = socket.socket(); s.bind(('127.0.0.2', 0)); s.connect(('127.0.0.1', int(sys.argv[1])))",
    "s.sendall(b'*2\\r\\n$5\\r\\nDEBUG\\r\\n$4\\r\\nHELP\\r\\n')",
    "print(s.recv(200).decode('latin-1').split('\\r\\n')[0])",
  ].join("\n");
  // Asynchronously: the server answering runs in this process.
  const out = await new Deno.Command("python3", { args: ["-c", script, String(port)] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("enable-debug-command local allows loopback clients only", async () => {
  if (!hasTool("python3")) {
    console.log("SKIP: python3 is needed to connect from 127.0.0.2");
    return;
  }
  const t = await startInProcess([
    ["enable-debug-command", ["local"]],
    ["protected-mode", ["no"]],
  ]);
  try {
    assert.match(await t.call("DEBUG", "HELP"), /^\*\d+\r\n\+DEBUG <subcommand>/);
    assert.match(await fromOtherAddress(t.port), /^-ERR DEBUG command not allowed/);
  } finally {
    await t.stop();
  }
});

Deno.test("PFSELFTEST checks the HyperLogLog code and answers OK", async () => {
  await withServer(async ({ call }) => {
    assert.equal(await call("PFSELFTEST"), "+OK\r\n");
    assert.equal(
      await call("PFSELFTEST", "x"),
      "-ERR wrong number of arguments for 'pfselftest' command\r\n",
    );
  });
});

Deno.test("CLIENT LIST rbs and rbp show the reply buffer; DEBUG REPLYBUFFER PEAK-RESET-TIME", async () => {
  const server = await startRedeno(freePort(), ["--enable-debug-command", "yes"]);
  const a = await RespClient.connect(server.port);
  const b = await RespClient.connect(server.port);
  const field = async (name: string, key: string): Promise<number> => {
    const list = await b.call("CLIENT", "LIST") as string;
    const line = list.split("\n").find((l) => l.includes(` name=${name} `))!;
    return Number(line.match(new RegExp(` ${key}=(\\d+) `))![1]);
  };
  try {
    assert.equal(await a.call("CLIENT", "SETNAME", "a"), "OK");
    assert.equal(await b.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "NEVER"), "OK");
    assert.equal(await b.call("SET", "big", "x".repeat(40000)), "OK");
    assert.equal((await a.call("GET", "big") as string).length, 40000);
    // The 40,000-byte reply went through a's buffer: its peak holds it, its buffer
    // had room for it.
    assert.ok(await field("a", "rbp") >= 40007);
    assert.ok(await field("a", "rbs") >= 40007);
    await sleep(300);
    assert.ok(await field("a", "rbp") >= 40007, "NEVER keeps the peak");
    // Reset every 100 ms, the peak goes back to what a's replies take now (nothing).
    assert.equal(await b.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"), "OK");
    await sleep(400);
    assert.equal(await field("a", "rbp"), 0);
    assert.equal(await b.call("DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "RESET"), "OK");
  } finally {
    a.close();
    b.close();
    await server.stop();
  }
});

Deno.test("DEBUG CLIENT-EVICTION lists the clients' memory in Redis's buckets once maxmemory-clients is set", async () => {
  await withServer(async ({ call }) => {
    assert.equal(await call("DEBUG", "CLIENT-EVICTION"), "-ERR maxmemory-clients is disabled.\r\n");
    assert.equal(await call("CONFIG", "SET", "maxmemory-clients", "10mb"), "+OK\r\n");
    const reply = await call("DEBUG", "CLIENT-EVICTION");
    const lines = reply.slice(reply.indexOf("\r\n") + 2, -2).split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 19);
    // The client asking: its query buffer (16 KB) and its reply buffer's 16 KB, as a
    // Redis 7.0.15 client (37,632 bytes there) is in the second bucket.
    assert.equal(lines[0], "bucket          0 -      32767: tot-mem:          0, clients: 0");
    assert.match(lines[1], /^bucket {6}32768 - {6}65535: tot-mem: +\d+, clients: 1$/);
    assert.equal(lines[18], "bucket 4294967296+            : tot-mem:          0, clients: 0");
  });
});
