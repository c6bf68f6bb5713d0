// Full resync of a large dataset, side by side: a master with N keys (DEBUG POPULATE)
// and a replica of the same kind (real Redis to real Redis, Redeno to Redeno), timed
// from REPLICAOF to `master_link_status:up` with the same digest, while a client
// PINGs the master every 10 ms to find the worst latency the transfer causes there.
//
// Usage: deno run -A bench/full_sync.ts [--keys 1000000] [--diskless yes|no]
//          [--load disabled|swapdb|on-empty-db]   (the replica's repl-diskless-load)

import { parseArgs } from "node:util";
import { freePort, type RunningServer, startRedeno, startRedis } from "../tests/_server.ts";
import { RespClient } from "../tests/_resp_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    keys: { type: "string", default: "1000000" },
    diskless: { type: "string", default: "yes" },
    load: { type: "string", default: "disabled" },
  },
});

const ARGS = [
  "--enable-debug-command",
  "yes",
  "--repl-diskless-sync",
  values.diskless,
  "--repl-diskless-sync-delay",
  "0",
  "--repl-diskless-load",
  values.load,
];

async function info(client: RespClient, field: string): Promise<string> {
  const text = await client.call("INFO", "replication") as string;
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  return line?.slice(field.length + 1) ?? "";
}

async function measure(
  name: string,
  start: (port: number, args: string[]) => Promise<RunningServer>,
): Promise<void> {
  const master = await start(freePort(), ARGS);
  const replica = await start(freePort(), ARGS);
  const m = await RespClient.connect(master.port);
  const r = await RespClient.connect(replica.port);
  const pinger = await RespClient.connect(master.port);
  try {
    await m.call("DEBUG", "POPULATE", values.keys, "key", "16");
    // Let both masters settle (Redeno's garbage collector after building the keys)
    // so the PINGs measure the resync, not the populate.
    await new Promise((res) => setTimeout(res, 3000));
    let worst = 0;
    let pinging = true;
    const pings = (async () => {
      while (pinging) {
        const t = performance.now();
        await pinger.call("PING");
        worst = Math.max(worst, performance.now() - t);
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    const started = performance.now();
    await r.call("REPLICAOF", "127.0.0.1", String(master.port));
    while ((await info(r, "master_link_status")) !== "up") {
      await new Promise((res) => setTimeout(res, 10));
    }
    const synced = performance.now() - started;
    pinging = false;
    await pings;
    const same = await m.call("DEBUG", "DIGEST") === await r.call("DEBUG", "DIGEST");
    console.log(
      `${name}: ${values.keys} keys, diskless ${values.diskless}, load ${values.load}: full sync ${
        synced.toFixed(0)
      } ms, worst master PING ${worst.toFixed(1)} ms, same digest: ${same}`,
    );
  } finally {
    for (const c of [m, r, pinger]) c.close();
    await replica.stop("SIGKILL");
    await master.stop("SIGKILL");
  }
}

await measure("redis ", startRedis);
await measure("redeno", startRedeno);
