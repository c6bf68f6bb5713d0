// Real Redis Sentinel (Debian's redis-sentinel 7.0.15, three of them) fails a Redeno
// group over: a master and two replicas, a write load that counts a write as
// acknowledged once WAIT 1 says a replica has it, then the master is killed with
// SIGKILL. A replica must be promoted with the data, the other must follow it, the
// old master must come back as a replica, and no acknowledged write may be lost.

import assert from "node:assert/strict";
import {
  freePort,
  type RunningServer,
  skipWithout,
  startRedenoAsGiven,
  waitForPing,
} from "../_server.ts";
import { RespClient } from "../_resp_client.ts";

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function ask(port: number, ...argv: string[]): Promise<unknown> {
  const client = await RespClient.connect(port);
  try {
    return await client.call(...argv);
  } finally {
    client.close();
  }
}

async function infoField(port: number, field: string): Promise<string> {
  const text = await ask(port, "INFO", "replication") as string;
  const line = text.split("\r\n").find((l) => l.startsWith(field + ":"));
  return line?.slice(field.length + 1) ?? "";
}

function startSentinel(port: number, masterPort: number): RunningServer {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-sentinel-" });
  const file = `${dir}/sentinel.conf`;
  Deno.writeTextFileSync(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor group 127.0.0.1 ${masterPort} 2`,
      "sentinel down-after-milliseconds group 1000",
      "sentinel failover-timeout group 10000",
      "sentinel parallel-syncs group 1",
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("redis-sentinel", {
    args: [file],
    stdout: "piped",
    stderr: "piped",
    cwd: dir,
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk);
  };
  collect(child.stdout);
  collect(child.stderr);
  return {
    port,
    process: child,
    output: () => output,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      return await child.status;
    },
  };
}

// A Redeno started from a config file of its own (Sentinel rewrites it).
async function startNode(port: number, extra: string[] = []): Promise<[RunningServer, string]> {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-node-" });
  const file = `${dir}/redeno.conf`;
  Deno.writeTextFileSync(
    file,
    [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, 'save ""', ...extra, ""].join("\n"),
  );
  return [await startRedenoAsGiven(port, [file]), file];
}

Deno.test({
  name: "three real sentinels fail a Redeno group over without losing acknowledged writes",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    if (skipWithout("redis-sentinel")) return;
    const ports = [freePort(), freePort(), freePort()];
    const [master, masterFile] = await startNode(ports[0], ["repl-diskless-sync-delay 0"]);
    const replicas: RunningServer[] = [];
    for (const port of ports.slice(1)) {
      const [replica] = await startNode(port, [
        `replicaof 127.0.0.1 ${ports[0]}`,
        "repl-diskless-sync-delay 0",
      ]);
      replicas.push(replica);
    }
    const sentinels = [0, 1, 2].map(() => startSentinel(freePort(), ports[0]));
    let oldMaster: RunningServer = master;
    try {
      for (const port of ports.slice(1)) {
        await waitFor(
          "a replica's link",
          async () => (await infoField(port, "master_link_status")) === "up",
        );
      }
      for (const sentinel of sentinels) await waitForPing(sentinel.port);
      // Every sentinel sees both replicas and the other sentinels.
      await waitFor("sentinels to know the group", async () => {
        for (const sentinel of sentinels) {
          const master = await ask(sentinel.port, "SENTINEL", "MASTER", "group") as string[];
          const at = (name: string) => master[master.indexOf(name) + 1];
          if (at("num-slaves") !== "2" || at("num-other-sentinels") !== "2") return false;
        }
        return true;
      });
      // The write load: a write counts once WAIT 1 100 says a replica has it.
      const acknowledged: string[] = [];
      let writing = true;
      const load = (async () => {
        const client = await RespClient.connect(ports[0]);
        try {
          for (let i = 0; writing; i++) {
            const key = `key:${i}`;
            const set = await client.call("SET", key, String(i));
            if (set !== "OK") continue;
            if (await client.call("WAIT", "1", "100") === 1) acknowledged.push(key);
          }
        } catch {
          /* the master went away */
        } finally {
          client.close();
        }
      })();
      await new Promise((r) => setTimeout(r, 1500));
      const killedAt = Date.now();
      await master.stop("SIGKILL");
      writing = false;
      await load;
      // A replica is promoted. Under load two sentinels may each win an election (in
      // different epochs) and promote a different replica; the higher epoch wins, as
      // with Redis nodes. So the new master is the one all three sentinels name, and it
      // is asked for again at each step.
      const agreedMaster = async (): Promise<number> => {
        const named = new Set<number>();
        for (const sentinel of sentinels) {
          const addr = await ask(sentinel.port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "group") as
            | string[]
            | null;
          named.add(addr === null ? 0 : Number(addr[1]));
        }
        const [port] = named;
        if (named.size !== 1 || port === 0 || port === ports[0]) return 0;
        return (await infoField(port, "role")) === "master" ? port : 0;
      };
      let promoted = 0;
      await waitFor("a new master", async () => (promoted = await agreedMaster()) !== 0);
      const failoverMs = Date.now() - killedAt;
      // The other replica follows the new master.
      await waitFor("the other replica to follow", async () => {
        promoted = await agreedMaster();
        const other = ports.slice(1).find((p) => p !== promoted)!;
        return promoted !== 0 &&
          (await infoField(other, "master_port")) === String(promoted) &&
          (await infoField(other, "master_link_status")) === "up";
      });
      // Acknowledged writes are all on the new master.
      const client = await RespClient.connect(promoted);
      let lost = 0;
      try {
        for (const key of acknowledged) if (await client.call("EXISTS", key) !== 1) lost++;
      } finally {
        client.close();
      }
      // The old master comes back, from its own config file, as a replica.
      oldMaster = await startRedenoAsGiven(ports[0], [masterFile]);
      try {
        await waitFor("the old master to come back as a replica", async () => {
          promoted = await agreedMaster();
          return promoted !== 0 &&
            (await infoField(ports[0], "role")) === "slave" &&
            (await infoField(ports[0], "master_port")) === String(promoted) &&
            (await infoField(ports[0], "master_link_status")) === "up";
        });
      } catch (error) {
        // What the nodes logged, to tell a sentinel that never reconfigured the old
        // master from a resync that did not complete.
        const logs = replicas.map((replica, i) => `--- ${ports[i + 1]}\n${replica.output()}`);
        console.log(`--- old master\n${oldMaster.output()}\n${logs.join("\n")}`);
        throw error;
      }
      console.log(
        `sentinel failover: ${failoverMs} ms from SIGKILL to a promoted master; ` +
          `${acknowledged.length} acknowledged writes, ${lost} lost`,
      );
      assert.ok(acknowledged.length > 0, "the load wrote something");
      assert.equal(lost, 0);
      // Sentinel's CONFIG REWRITE kept the node's file, and recorded its new master.
      assert.match(
        Deno.readTextFileSync(masterFile),
        new RegExp(`replicaof 127.0.0.1 ${promoted}`),
      );
    } finally {
      for (const sentinel of sentinels) await sentinel.stop("SIGKILL");
      for (const replica of replicas) await replica.stop("SIGKILL");
      await oldMaster.stop("SIGKILL");
    }
  },
});
