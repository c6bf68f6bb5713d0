// Durability under crashes: a real Redeno process with appendfsync always is killed
// with SIGKILL at random moments while clients write (sometimes in the middle of an
// AOF rewrite); after each restart every write that was acknowledged is there.

import assert from "node:assert/strict";
import { freePort, skipWithout, startRedeno } from "../_server.ts";
import { Client, run } from "./_client.ts";

interface Ledger {
  /** key → value, for SETs whose reply arrived. */
  values: Map<string, string>;
  /** Per writer: the last acknowledged sequence number written to hot:<w>. */
  hot: number[];
  /** Per writer: INCRs acknowledged and sent. */
  incrAcked: number[];
  incrSent: number[];
}

// One writer: batches of SETs of new keys, an overwrite of its hot key and an INCR,
// recording each reply as it arrives, until the connection dies.
async function writer(port: number, w: number, round: number, ledger: Ledger): Promise<void> {
  let c: Client;
  try {
    c = await Client.connect(port);
  } catch {
    return;
  }
  let seq = 0;
  try {
    while (true) {
      const batch: string[][] = [];
      const expect: (() => void)[] = [];
      for (let i = 0; i < 8; i++) {
        const key = `k:${round}:${w}:${seq}`;
        const value = `v${seq}-${"x".repeat(seq % 40)}`;
        batch.push(["SET", key, value]);
        expect.push(() => ledger.values.set(key, value));
        seq++;
      }
      const hot = seq;
      batch.push(["SET", `hot:${w}`, String(hot)]);
      expect.push(() => {
        ledger.hot[w] = hot;
      });
      batch.push(["INCR", `counter:${w}`]);
      ledger.incrSent[w]++;
      expect.push(() => {
        ledger.incrAcked[w]++;
      });
      await c.send(batch);
      for (const acknowledge of expect) {
        const reply = await c.read();
        assert.ok(!(reply instanceof Error), String(reply));
        acknowledge();
      }
    }
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    // The server was killed.
  } finally {
    c.close();
  }
}

async function verify(port: number, ledger: Ledger, writers: number): Promise<void> {
  const c = await Client.connect(port);
  try {
    const keys = [...ledger.values.keys()];
    for (let i = 0; i < keys.length; i += 5000) {
      const chunk = keys.slice(i, i + 5000);
      const replies = await c.pipeline(chunk.map((k) => ["GET", k]));
      chunk.forEach((k, j) => {
        assert.equal(replies[j], ledger.values.get(k), `acknowledged ${k} is lost`);
      });
    }
    for (let w = 0; w < writers; w++) {
      const hot = Number(await c.call("GET", `hot:${w}`) ?? 0);
      assert.ok(hot >= ledger.hot[w], `hot:${w} is ${hot}, ${ledger.hot[w]} was acknowledged`);
      const counter = Number(await c.call("GET", `counter:${w}`) ?? 0);
      assert.ok(
        counter >= ledger.incrAcked[w] && counter <= ledger.incrSent[w],
        `counter:${w} is ${counter}: ${ledger.incrAcked[w]} acknowledged, ${
          ledger.incrSent[w]
        } sent`,
      );
    }
  } finally {
    c.close();
  }
}

Deno.test("with appendfsync always, every acknowledged write survives SIGKILL at random moments", async () => {
  if (skipWithout("redis-check-aof")) return;
  const dir = Deno.makeTempDirSync();
  const args = ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"];
  const WRITERS = 3;
  const ledger: Ledger = {
    values: new Map(),
    hot: Array(WRITERS).fill(0),
    incrAcked: Array(WRITERS).fill(0),
    incrSent: Array(WRITERS).fill(0),
  };
  const started = Date.now();
  let rounds = 0;
  let rewrites = 0;
  while (rounds < 4 || (Date.now() - started < 22_000 && rounds < 15)) {
    rounds++;
    const server = await startRedeno(freePort(), args);
    try {
      await verify(server.port, ledger, WRITERS);
      const writing = Array.from(
        { length: WRITERS },
        (_, w) => writer(server.port, w, rounds, ledger),
      );
      const killAt = 100 + Math.random() * 500;
      if (rounds % 2 === 0) {
        // Crash somewhere around an AOF rewrite too.
        setTimeout(async () => {
          try {
            const c = await Client.connect(server.port);
            if (await c.call("BGREWRITEAOF") === "Background append only file rewriting started") {
              rewrites++;
            }
            c.close();
          } catch {
            // Already killed.
          }
        }, killAt * Math.random());
      }
      await new Promise((r) => setTimeout(r, killAt));
      server.process.kill("SIGKILL");
      await Promise.all(writing);
    } finally {
      await server.stop("SIGKILL");
    }
  }
  const server = await startRedeno(freePort(), args);
  try {
    await verify(server.port, ledger, WRITERS);
  } finally {
    await server.stop();
  }
  const check = await run("redis-check-aof", [`${dir}/appendonlydir/appendonly.aof.manifest`]);
  assert.equal(check.code, 0, check.out);
  console.log(
    `${rounds} crashes (${rewrites} rewrites started), ${ledger.values.size} acknowledged ` +
      `keys, ${ledger.incrAcked.reduce((a, b) => a + b)} acknowledged INCRs, ` +
      `${Date.now() - started} ms`,
  );
  assert.ok(ledger.values.size > 100, "the writers got some writes through");
});
