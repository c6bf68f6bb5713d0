// A subscriber that never reads: the load behind slow_subscriber_test.ts, shared by
// the test and by a manual side-by-side run against real redis-server.
//
// One raw connection SUBSCRIBEs and then never reads; another PUBLISHes large messages
// in small pipelined batches; a third PINGs in a loop; a fourth samples CLIENT LIST
// (the subscriber's omem) and INFO memory, while the process's VmRSS is read from /proc.
//
// Manual run (default limits, Redeno then redis-server, figures as JSON):
//   deno run --allow-all tests/server/_slow_subscriber.ts [messageBytes] [maxMessages]

import { type Reply, RespClient } from "../_resp_client.ts";
import {
  bytes,
  freePort,
  resp,
  rssOf,
  type RunningServer,
  startRedeno,
  startRedis,
} from "../_server.ts";

/** How hard to push. */
export interface LoadOptions {
  /** Payload size of one PUBLISH. */
  messageBytes: number;
  /** Stop after this many messages even if the subscriber is still there. */
  maxMessages: number;
  /** Stop after this long even if the subscriber is still there. */
  maxMs: number;
  /** PUBLISH commands sent together before their replies are read. */
  batch?: number;
  /** Payload bytes per second; unset: as fast as the server answers. */
  bytesPerSecond?: number;
}

/** What was seen. Memory figures are bytes, times milliseconds. */
export interface LoadResult {
  /** A PUBLISH answered 0 receivers before the load stopped. */
  disconnected: boolean;
  /** From the first PUBLISH to the first one that answered 0 (or to the end). */
  msToDisconnect: number;
  messagesPublished: number;
  /** Payload bytes published up to the disconnect (or the end). */
  bytesPublished: number;
  /** The highest omem CLIENT LIST showed for the subscriber. */
  peakOutputBuffer: number;
  baselineRss: number;
  peakRss: number;
  baselineUsedMemory: number;
  peakUsedMemory: number;
  pings: number;
  worstPingMs: number;
  /** PINGs slower than 20 ms as [ms since the first PUBLISH, latency]. */
  slowPings: [number, number][];
  /** After the load: the subscriber is still in CLIENT LIST. */
  listedAfter: boolean;
  /** After the load: INFO clients connected_clients (admin, publisher, pinger: 3). */
  connectedAfter: number;
  /** After the load: what one more PUBLISH answered. */
  receiversAfter: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

function infoField(info: Reply, name: string): number {
  const match = String(info).match(new RegExp(`^${name}:(\\d+)`, "m"));
  return match ? Number(match[1]) : 0;
}

function clientField(line: string, name: string): number {
  const match = line.match(new RegExp(`(?:^| )${name}=(\\d+)`));
  return match ? Number(match[1]) : 0;
}

// Reads from a raw connection until `expected` bytes have arrived.
async function readBytes(conn: Deno.Conn, expected: number): Promise<string> {
  const buf = new Uint8Array(4096);
  let out = "";
  while (out.length < expected) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`connection closed after ${JSON.stringify(out)}`);
    for (let i = 0; i < n; i++) out += String.fromCharCode(buf[i]);
  }
  return out;
}

/** Runs the load against a started server and reports what it saw. */
export async function slowSubscriberLoad(
  server: RunningServer,
  options: LoadOptions,
): Promise<LoadResult> {
  const { port } = server;
  const pid = server.process.pid;
  const batch = options.batch ?? 8;
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port });
  const admin = new RespClient(await connect());
  const pinger = new RespClient(await connect());
  const publisherConn = await connect();
  const publisher = new RespClient(publisherConn);
  const subscriber = await connect();
  const closeAll = () => {
    for (const c of [admin, pinger, publisher]) c.close();
    try {
      subscriber.close();
    } catch {
      // The server closed it.
    }
  };
  try {
    // The subscriber's id, then its subscription; from here on it never reads.
    await writeAll(subscriber, bytes(resp("CLIENT", "ID")));
    const subscriberId = Number((await readUntilCrlf(subscriber)).slice(1, -2));
    const confirmation = "*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n";
    await writeAll(subscriber, bytes(resp("SUBSCRIBE", "slow")));
    const got = await readBytes(subscriber, confirmation.length);
    if (got !== confirmation) throw new Error(`unexpected SUBSCRIBE reply ${JSON.stringify(got)}`);

    const baselineRss = rssOf(pid);
    const baselineUsedMemory = infoField(await admin.call("INFO", "memory"), "used_memory");
    const result: LoadResult = {
      disconnected: false,
      msToDisconnect: 0,
      messagesPublished: 0,
      bytesPublished: 0,
      peakOutputBuffer: 0,
      baselineRss,
      peakRss: baselineRss,
      baselineUsedMemory,
      peakUsedMemory: baselineUsedMemory,
      pings: 0,
      worstPingMs: 0,
      slowPings: [],
      listedAfter: false,
      connectedAfter: 0,
      receiversAfter: 0,
    };

    let done = false;
    let started = performance.now();
    const pinging = (async () => {
      while (!done) {
        const start = performance.now();
        const reply = await pinger.call("PING");
        const ms = performance.now() - start;
        if (reply !== "PONG") throw new Error(`PING answered ${String(reply)}`);
        result.pings++;
        result.worstPingMs = Math.max(result.worstPingMs, ms);
        if (ms > 20) result.slowPings.push([Math.round(start - started), Math.round(ms)]);
        await sleep(2);
      }
    })();
    const rssSampling = (async () => {
      while (!done) {
        result.peakRss = Math.max(result.peakRss, rssOf(pid));
        await sleep(5);
      }
    })();
    const serverSampling = (async () => {
      while (!done) {
        const line = String(await admin.call("CLIENT", "LIST", "ID", String(subscriberId)));
        result.peakOutputBuffer = Math.max(result.peakOutputBuffer, clientField(line, "omem"));
        const used = infoField(await admin.call("INFO", "memory"), "used_memory");
        result.peakUsedMemory = Math.max(result.peakUsedMemory, used);
        await sleep(20);
      }
    })();

    const payload = "x".repeat(options.messageBytes);
    const request = bytes(resp("PUBLISH", "slow", payload).repeat(batch));
    started = performance.now();
    try {
      while (
        result.messagesPublished < options.maxMessages &&
        performance.now() - started < options.maxMs
      ) {
        await writeAll(publisherConn, request);
        for (let i = 0; i < batch; i++) {
          const receivers = await publisher.reply();
          if (receivers === 0 && !result.disconnected) {
            result.disconnected = true;
            result.msToDisconnect = performance.now() - started;
          }
          if (!result.disconnected) {
            result.messagesPublished++;
            result.bytesPublished += options.messageBytes;
          }
        }
        if (result.disconnected) break;
        if (options.bytesPerSecond !== undefined) {
          const due = started + result.bytesPublished / options.bytesPerSecond * 1000;
          await sleep(Math.max(0, due - performance.now()));
        }
      }
      if (!result.disconnected) result.msToDisconnect = performance.now() - started;
      // Let the samplers see the aftermath (a buffer being freed) for a moment.
      await sleep(100);
    } finally {
      done = true;
      await Promise.all([pinging, rssSampling, serverSampling]);
    }

    const list = String(await admin.call("CLIENT", "LIST"));
    result.listedAfter = list.split("\n").some((l) => clientField(l, "id") === subscriberId);
    result.connectedAfter = infoField(await admin.call("INFO", "clients"), "connected_clients");
    result.receiversAfter = Number(await admin.call("PUBLISH", "slow", "after"));
    return result;
  } finally {
    closeAll();
  }
}

async function readUntilCrlf(conn: Deno.Conn): Promise<string> {
  let out = "";
  while (!out.endsWith("\r\n")) out += await readBytes(conn, 1);
  return out;
}

/** Megabytes with one decimal, for reports. */
export function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}

/** A one-line summary of a result. */
export function describeLoad(r: LoadResult): string {
  return [
    `disconnected=${r.disconnected} after ${r.msToDisconnect.toFixed(0)} ms`,
    `published ${r.messagesPublished} msgs (${mb(r.bytesPublished)})`,
    `peak omem ${mb(r.peakOutputBuffer)}`,
    `RSS ${mb(r.baselineRss)} -> peak ${mb(r.peakRss)}`,
    `used_memory ${mb(r.baselineUsedMemory)} -> peak ${mb(r.peakUsedMemory)}`,
    `worst PING ${r.worstPingMs.toFixed(1)} ms over ${r.pings}`,
    `slow PINGs [at, ms] ${JSON.stringify(r.slowPings)}`,
    `after: listed=${r.listedAfter} connected=${r.connectedAfter} receivers=${r.receiversAfter}`,
  ].join("; ");
}

if (import.meta.main) {
  const messageBytes = Number(Deno.args[0] ?? 8192);
  const maxMessages = Number(Deno.args[1] ?? 20000);
  const extra = Deno.args.slice(2);
  for (const [name, start] of [["redeno", startRedeno], ["redis", startRedis]] as const) {
    const server = await start(freePort(), extra);
    try {
      const r = await slowSubscriberLoad(server, { messageBytes, maxMessages, maxMs: 60000 });
      console.log(`${name}: ${describeLoad(r)}`);
    } finally {
      await server.stop();
    }
  }
}
