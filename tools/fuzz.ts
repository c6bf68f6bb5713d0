// Throws random and damaged RESP at a live server and checks that it takes it: the
// server stays up, a control client's PING keeps being answered promptly, and the
// server's resident memory stays under a bound.
//
// Usage: deno task fuzz [-- --runs 1000000 --seed 1 --connections 8 --port 0
//                          --max-rss-mb 512 --max-ping-ms 1000]
// With `--port 0` (the default) a Redeno is started for the run on a free loopback
// port; otherwise the server already listening there is used (and its memory is read
// from /proc only with `--pid`).
//
// Each input is one request: a valid command of a fixed vocabulary with random
// arguments (binary ones too), an inline command, the same damaged (bytes flipped,
// inserted, removed, lengths changed, cut short), or plain random bytes. Inputs go out
// in pipelined batches over several connections; a connection the server closes (a
// protocol error) or that waits for more of a request is replaced by a new one. The
// vocabulary leaves out what manages the server (CONFIG, CLIENT, SHUTDOWN, DEBUG,
// SAVE...) and commands whose legitimate answer to a huge number is a huge allocation
// (SETRANGE, SETBIT, SRANDMEMBER with a count...): those would test the limits of the
// machine, not of the server.

import { parseArgs } from "node:util";
import { rng } from "../tests/_random.ts";
import { bytes, freePort, resp, rssOf, startRedeno } from "../tests/_server.ts";

const { values } = parseArgs({
  args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
  options: {
    runs: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    connections: { type: "string", default: "8" },
    port: { type: "string", default: "0" },
    pid: { type: "string", default: "0" },
    "max-rss-mb": { type: "string", default: "512" },
    "max-ping-ms": { type: "string", default: "1000" },
  },
});

// Seeded, so that a failing run can be repeated.
const random = rng(Number(values.seed));
const below = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[below(items.length)];

const key = () => `fz:${pick(["a", "b", "c", "list", "hash", "set", "zset", "s", "h"])}`;
const small = () => String(below(20) - 5);
function value(): string {
  const n = pick([0, 1, 3, 8, 30, 200]);
  let out = "";
  for (let i = 0; i < n; i++) {
    out += String.fromCharCode(random() < 0.8 ? 97 + below(26) : below(256));
  }
  return out;
}
const score = () => pick(["1", "-2.5", "inf", "-inf", "+inf", "0", "1e3", "nan", "(1"]);

// Commands and argument makers; the name's case varies as clients' does.
const VOCABULARY: (() => string[])[] = [
  () => ["SET", key(), value()],
  () => ["SET", key(), value(), pick(["EX", "PX", "NX", "XX", "KEEPTTL", "GET"]), small()],
  () => ["GET", key()],
  () => ["DEL", key(), key()],
  () => ["INCR", key()],
  () => ["INCRBYFLOAT", key(), score()],
  () => ["APPEND", key(), value()],
  () => ["GETRANGE", key(), small(), small()],
  () => ["MSET", key(), value(), key(), value()],
  () => ["HSET", key(), value(), value()],
  () => ["HGET", key(), value()],
  () => ["HGETALL", key()],
  () => ["HINCRBY", key(), value(), small()],
  () => ["LPUSH", key(), value(), value()],
  () => ["RPUSH", key(), value()],
  () => ["LPOP", key(), small()],
  () => ["LRANGE", key(), small(), small()],
  () => ["LINSERT", key(), pick(["BEFORE", "AFTER"]), value(), value()],
  () => ["BLPOP", key(), "0.01"],
  () => ["SADD", key(), value(), value()],
  () => ["SREM", key(), value()],
  () => ["SMEMBERS", key()],
  () => ["SINTER", key(), key()],
  () => ["ZADD", key(), score(), value()],
  () => ["ZRANGE", key(), small(), small(), "WITHSCORES"],
  () => ["ZRANGEBYSCORE", key(), score(), score()],
  () => ["ZINCRBY", key(), score(), value()],
  () => ["XADD", key(), "*", value(), value()],
  () => ["XRANGE", key(), "-", "+", "COUNT", small()],
  () => ["PFADD", key(), value()],
  () => ["PFCOUNT", key()],
  () => ["GEOADD", key(), "13.36", "38.11", value()],
  () => ["EXPIRE", key(), small()],
  () => ["TTL", key()],
  () => ["TYPE", key()],
  () => ["EXISTS", key(), key()],
  () => ["SCAN", small(), "MATCH", "fz:*", "COUNT", small()],
  () => ["MULTI"],
  () => ["EXEC"],
  () => ["WATCH", key()],
  () => ["PING", value()],
  () => ["ECHO", value()],
  () => ["EVAL", "return redis.call('get', KEYS[1])", "1", key()],
  () => ["SORT", key(), "LIMIT", small(), small(), "ALPHA"],
  () => ["OBJECT", "ENCODING", key()],
  () => ["DUMP", key()],
  () => ["RESTORE", key(), "0", value(), "REPLACE"],
];

function command(): string[] {
  const argv = pick(VOCABULARY)();
  if (random() < 0.3) argv[0] = argv[0].toLowerCase();
  return argv;
}

// Damage: flip, insert or remove bytes, change a length, or cut the request short.
function damage(text: string): string {
  const times = 1 + below(3);
  for (let i = 0; i < times && text.length > 0; i++) {
    const at = below(text.length);
    switch (below(6)) {
      case 0:
        text = text.slice(0, at) + String.fromCharCode(below(256)) + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + pick(["\r\n", "*", "$", "-1", "0", "9", "\x00", " "]) +
          text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1);
        break;
      case 3:
        text = text.replace(/\$(\d+)/, (_, n) => `$${Number(n) + below(5) - 2}`);
        break;
      case 4:
        text = text.replace(/\*(\d+)/, (_, n) => `*${Number(n) + below(3) - 1}`);
        break;
      default:
        text = text.slice(0, at);
    }
  }
  return text;
}

// A request that should be well formed: multibulk, or inline with some quoting.
function wellFormed(): string {
  if (random() < 0.85) return resp(...command());
  return command().map((a) => random() < 0.2 ? `"${a}"` : a).join(" ") + "\r\n";
}

// A request that is likely not: damaged, or plain random bytes.
function malformed(): string {
  if (random() < 0.7) return damage(resp(...command()));
  let out = "";
  const n = 1 + below(64);
  for (let i = 0; i < n; i++) out += String.fromCharCode(below(256));
  return out;
}

function rssMb(pid: number): number {
  return pid === 0 ? 0 : rssOf(pid) / 1048576;
}

// Reads whatever arrives within `ms`; false when the server closed the connection.
async function drain(conn: Deno.Conn, buf: Uint8Array, ms: number): Promise<boolean> {
  while (true) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((r) => timer = setTimeout(() => r("quiet"), ms));
    try {
      const n = await Promise.race([conn.read(buf), quiet]);
      if (n === "quiet") return true;
      if (n === null) return false;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

async function main(): Promise<number> {
  const runs = Number(values.runs);
  let port = Number(values.port);
  let pid = Number(values.pid);
  const started = port === 0 ? await startRedeno(freePort()) : null;
  if (started !== null) {
    port = started.port;
    pid = started.process.pid;
  }
  const stats = { sent: 0, connections: 0, closedByServer: 0, worstPingMs: 0, maxRssMb: 0 };
  let failure: string | null = null;
  const t0 = performance.now();

  // The control client: a PING every 100 ms, timed.
  let running = true;
  const control = (async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const buf = new Uint8Array(64);
    const ping = bytes("PING\r\n");
    try {
      while (running) {
        const at = performance.now();
        await conn.write(ping);
        let got = "";
        while (!got.endsWith("\r\n")) {
          const n = await conn.read(buf);
          if (n === null) throw new Error("the server closed the control connection");
          got += String.fromCharCode(...buf.subarray(0, n));
        }
        if (got !== "+PONG\r\n") throw new Error(`control PING got ${JSON.stringify(got)}`);
        stats.worstPingMs = Math.max(stats.worstPingMs, performance.now() - at);
        stats.maxRssMb = Math.max(stats.maxRssMb, rssMb(pid));
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      conn.close();
    }
  })().catch((error) => {
    failure ??= `control client: ${error.message}`;
  });

  // Workers: batches of 1-30 inputs (only the last may be malformed, since what follows
  // a protocol error is never read), then a short read; a connection is replaced when
  // the server closes it, and now and then when it may be stuck in a partial request.
  const worker = async () => {
    const buf = new Uint8Array(64 * 1024);
    let conn: Deno.Conn | null = null;
    while (stats.sent < runs && failure === null) {
      if (conn === null) {
        conn = await Deno.connect({ hostname: "127.0.0.1", port });
        stats.connections++;
      }
      let batch = "";
      const n = 1 + below(30);
      for (let i = 1; i < n; i++) batch += wellFormed();
      batch += random() < 0.5 ? malformed() : wellFormed();
      stats.sent += n;
      let open = true;
      try {
        await conn.write(bytes(batch));
        open = await drain(conn, buf, 5);
      } catch {
        open = false;
      }
      if (!open) stats.closedByServer++;
      // A connection left waiting for the rest of a request is replaced at times.
      if (!open || random() < 0.05) {
        try {
          conn.close();
        } catch { /* closed already */ }
        conn = null;
      }
      if (stats.sent % 50000 < n) {
        const s = ((performance.now() - t0) / 1000).toFixed(0);
        console.log(`${stats.sent} inputs, ${s} s, worst PING ${stats.worstPingMs.toFixed(1)} ms`);
      }
    }
    try {
      conn?.close();
    } catch { /* closed already */ }
  };
  await Promise.all(Array.from({ length: Number(values.connections) }, worker));
  running = false;
  await control;
  const seconds = (performance.now() - t0) / 1000;
  if (stats.worstPingMs > Number(values["max-ping-ms"])) {
    failure ??= `a PING took ${stats.worstPingMs.toFixed(0)} ms`;
  }
  if (stats.maxRssMb > Number(values["max-rss-mb"])) {
    failure ??= `the server's memory reached ${stats.maxRssMb.toFixed(0)} MB`;
  }
  // The server must still answer.
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(bytes("PING\r\n"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    conn.close();
    if (n === null) failure ??= "the server closed a new connection";
  } catch (error) {
    failure ??= `the server is gone: ${(error as Error).message}`;
  }
  console.log(
    `fuzz: ${stats.sent} inputs in ${seconds.toFixed(1)} s over ${stats.connections} ` +
      `connections (${stats.closedByServer} closed by the server); worst PING ` +
      `${stats.worstPingMs.toFixed(1)} ms; server RSS high-water ${
        stats.maxRssMb.toFixed(0)
      } MB; ` +
      (failure === null ? "passed" : `FAILED: ${failure}`),
  );
  if (started !== null) {
    const output = started.output();
    await started.stop();
    if (/Internal error/.test(output)) {
      console.log(
        output.split("\n").filter((l) => /Internal error/.test(l)).slice(0, 5).join("\n"),
      );
      return 1;
    }
  }
  return failure === null ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
