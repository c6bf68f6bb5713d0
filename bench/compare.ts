// Side-by-side benchmark: starts real redis-server and Redeno on free ports, runs
// redis-benchmark with the same flags against both, and prints requests/s and ratios.
//
// Usage: deno task bench [-- --requests 200000 --clients 50 --tests ping,set,get,hset
//                           --command "PUBLISH ch x"]
// `--command` is one more run with that command (redis-benchmark's `-t publish` is not
// a test it has; an empty value skips it). `--script` is loaded into both servers and
// run as `EVALSHA <sha> 1 key` (an empty value skips it). `--families` (default on;
// `--families no` skips them) adds the data families of issue #10: XADD, XRANGE of 10
// entries, XREADGROUP, PFADD, PFCOUNT, GEOADD, GEOSEARCH and SORT of 100 elements, each
// on data set up the same way on both servers. `--keyspace N` (default 1000000; 0
// skips them) fills both servers with N keys named as redis-benchmark's `-r` names them
// and adds GET and SET of random ones among them: the runs above use one key, whose
// lookups always hit the CPU's caches. `--warmup no` skips the unrecorded first pass of
// every run (with a quarter of the requests) that warms both servers up.
// `--pipelined-scale` (default 8) multiplies the requests of the pipelined runs: they
// go about ten times as fast, and 200,000 requests at -P 16 last a tenth of a second,
// which measures the machine's noise more than the server.

import { parseArgs } from "node:util";
import {
  freePort,
  hasTool,
  type RunningServer,
  startRedeno,
  startRedis,
} from "../tests/_server.ts";

const { values } = parseArgs({
  // `deno task bench -- --tests x` passes the `--` through; accept both spellings.
  args: Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args,
  options: {
    requests: { type: "string", default: "200000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "ping,set,get,hset" },
    pipelines: { type: "string", default: "1,16" },
    command: { type: "string", default: "PUBLISH ch x" },
    script: { type: "string", default: "return redis.call('incr', KEYS[1])" },
    families: { type: "string", default: "yes" },
    keyspace: { type: "string", default: "1000000" },
    warmup: { type: "string", default: "yes" },
    "pipelined-scale": { type: "string", default: "8" },
  },
});

/** Data both servers get before the family runs. */
const FAMILY_SETUP: string[][] = [
  ...Array.from({ length: 10 }, (_, i) => ["XADD", "bench:range", `${i + 1}-0`, "f", `v${i}`]),
  ["XGROUP", "CREATE", "bench:group", "g", "0", "MKSTREAM"],
  ["RPUSH", "bench:sort", ...Array.from({ length: 100 }, (_, i) => String((i * 7919) % 1000))],
  ...Array.from(
    { length: 500 },
    (_, i) => ["GEOADD", "bench:geo", String(13 + (i % 50) / 25), String(37 + i / 250), `p${i}`],
  ),
];

/**
 * The family runs: redis-benchmark arguments (flags before the command). XREADGROUP
 * reads, without acknowledging, the entries the XADD run appended to its stream.
 */
const FAMILY_RUNS: string[][] = [
  ["XADD", "bench:group", "*", "f", "v"],
  ["XRANGE", "bench:range", "-", "+"],
  ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "NOACK", "STREAMS", "bench:group", ">"],
  ["-r", "1000000", "PFADD", "bench:hll", "__rand_int__"],
  ["PFCOUNT", "bench:hll"],
  ["-r", "100000", "GEOADD", "bench:geo2", "13.361389", "38.115556", "__rand_int__"],
  [
    "GEOSEARCH",
    "bench:geo",
    "FROMLONLAT",
    "14",
    "37.5",
    "BYRADIUS",
    "100",
    "km",
    "ASC",
    "COUNT",
    "10",
  ],
  ["SORT", "bench:sort"],
];

/** Fills a server with `count` keys named key:000000000000 on (as `-r` names them), "xxx" each. */
async function fillKeys(port: number, count: number): Promise<void> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "--pipe"],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  let batch = "";
  for (let i = 0; i < count; i++) {
    const key = `key:${String(i).padStart(12, "0")}`;
    batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$3\r\nxxx\r\n`;
    if (batch.length > 65536 || i === count - 1) {
      await writer.write(encoder.encode(batch));
      batch = "";
    }
  }
  await writer.close();
  await child.status;
}

/** Runs commands through redis-cli (set-up data). */
async function setUp(port: number, commands: string[][]): Promise<void> {
  const input = commands.map((argv) => argv.map((a) => JSON.stringify(a)).join(" ")).join("\n");
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port)],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input + "\n"));
  await writer.close();
  await child.status;
}

/**
 * CPU placement. On a machine with several cores each server runs on the last core and
 * redis-benchmark on the first, as Redis's own performance tooling binds them: left to
 * the scheduler, the two processes of a run keep landing on one core or on two, and
 * the same run varies by ±40% on a 2-core VM. Null without taskset or a second core.
 */
const PLACEMENT = (() => {
  const cores = navigator.hardwareConcurrency;
  if (cores < 2 || !hasTool("taskset")) return null;
  return { server: String(cores - 1), client: "0" };
})();

/** Binds every thread of a started server to the server's core. */
async function place(server: RunningServer): Promise<void> {
  if (PLACEMENT === null) return;
  await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", PLACEMENT.server, String(server.process.pid)],
    stdout: "null",
  }).output();
}

/** CPU time (user + system, all threads) a process has used so far, in microseconds. */
function cpuMicros(pid: number): number {
  // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** One redis-benchmark run: requests/s per test name, and the server's CPU µs per request. */
interface RunResult {
  rps: Map<string, number>;
  cpuPerRequest: number;
}

/** The requests of a measured run at `pipeline` (see `--pipelined-scale`). */
function requestsAt(pipeline: number): string {
  const scale = pipeline > 1 ? Number(values["pipelined-scale"]) : 1;
  return String(Number(values.requests) * scale);
}

/** Runs redis-benchmark against a server (requests/s parsed from its CSV output). */
async function runBenchmark(
  server: RunningServer,
  pipeline: number,
  what: string[],
  requests = requestsAt(pipeline),
): Promise<RunResult> {
  const command = PLACEMENT === null
    ? ["redis-benchmark"]
    : ["taskset", "-c", PLACEMENT.client, "redis-benchmark"];
  const cpuBefore = cpuMicros(server.process.pid);
  const output = await new Deno.Command(command[0], {
    args: [
      ...command.slice(1),
      "-p",
      String(server.port),
      "-n",
      requests,
      "-c",
      values.clients!,
      "-P",
      String(pipeline),
      "--csv",
      ...what,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const cpu = cpuMicros(server.process.pid) - cpuBefore;
  const rps = new Map<string, number>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const cells = line.split(",").map((c) => c.replaceAll('"', ""));
    const value = Number(cells[1]);
    if (cells.length > 1 && Number.isFinite(value)) rps.set(cells[0], value);
  }
  return { rps, cpuPerRequest: cpu / (Number(requests) * Math.max(rps.size, 1)) };
}

/** SCRIPT LOAD through redis-cli; the script's SHA-1. */
async function loadScript(port: number, script: string): Promise<string> {
  const output = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), "SCRIPT", "LOAD", script],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trim();
}

async function main(): Promise<void> {
  const servers: RunningServer[] = [];
  try {
    const redis = await startRedis(await freePort());
    servers.push(redis);
    const redeno = await startRedeno(await freePort());
    servers.push(redeno);
    await place(redis);
    await place(redeno);
    const rows: string[][] = [];
    // One run per -t test, so each row's CPU figure is its own (PING's two share one).
    const runs = values.tests!.split(",").map((test) => ["-t", test]);
    if (values.command !== "") runs.push(values.command!.split(" "));
    if (values.script !== "") {
      const sha = await loadScript(redis.port, values.script!);
      await loadScript(redeno.port, values.script!);
      runs.push(["EVALSHA", sha, "1", "key"]);
    }
    if (values.families !== "no") {
      await setUp(redis.port, FAMILY_SETUP);
      await setUp(redeno.port, FAMILY_SETUP);
      runs.push(...FAMILY_RUNS);
    }
    const keyspace = Number(values.keyspace);
    if (keyspace > 0) {
      await fillKeys(redis.port, keyspace);
      await fillKeys(redeno.port, keyspace);
      const r = ["-r", String(keyspace)];
      runs.push([...r, "GET", "key:__rand_int__"], [...r, "SET", "key:__rand_int__", "xxx"]);
    }
    if (values.warmup !== "no") {
      // Every run once, unrecorded, on both servers: a JIT-compiled server's first
      // hundred thousand requests measure V8 compiling it, not the server.
      const warmup = String(Math.ceil(Number(requestsAt(16)) / 4));
      for (const what of runs) {
        await runBenchmark(redis, 16, what, warmup);
        await runBenchmark(redeno, 16, what, warmup);
      }
    }
    for (const pipeline of values.pipelines!.split(",").map(Number)) {
      for (const what of runs) {
        // Alternate the servers so neither always runs on a warmer machine.
        const redisResult = await runBenchmark(redis, pipeline, what);
        const redenoResult = await runBenchmark(redeno, pipeline, what);
        // A -t run covers several tests: its CPU figure is their average.
        const cpu = (r: RunResult) => r.cpuPerRequest.toFixed(2);
        for (const [test, redisRps] of redisResult.rps) {
          const redenoRps = redenoResult.rps.get(test) ?? 0;
          rows.push([
            test,
            String(pipeline),
            redisRps.toFixed(0),
            redenoRps.toFixed(0),
            (redenoRps / redisRps).toFixed(2),
            cpu(redisResult),
            cpu(redenoResult),
          ]);
        }
      }
    }
    const header = [
      "test",
      "-P",
      "redis req/s",
      "redeno req/s",
      "ratio",
      "redis cpu µs/req",
      "redeno cpu µs/req",
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
    console.log(
      `redis-benchmark -t ${values.tests} -n ${values.requests} (-P > 1: ${
        requestsAt(16)
      }) -c ${values.clients}; ` +
        (PLACEMENT === null
          ? "servers and client placed by the scheduler"
          : `servers on core ${PLACEMENT.server}, redis-benchmark on core ${PLACEMENT.client}`),
    );
    console.log(format(header));
    for (const row of rows) console.log(format(row));
  } finally {
    for (const server of servers) await server.stop();
  }
}

if (import.meta.main) await main();
