// Timing tests for lists of a million elements: pushes and pops at both ends cost the
// same per element at 1M as at 1K (an Array.shift/unshift list would be thousands of
// times slower there), and so do LINDEX/LSET in the middle, both on the ListValue
// itself and through the server. Prints the timings; runs in a few seconds.

import assert from "node:assert/strict";
import { ListValue } from "../../src/store/list.ts";
import { startInProcess } from "../_inprocess.ts";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";

const MILLION = 1_000_000;

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/** ns per operation, for printing. */
function perOp(ms: number, ops: number): string {
  return `${(ms * 1e6 / ops).toFixed(0)} ns/op`;
}

/** Mixed pushes and pops at both ends, `ops` of them, keeping the length steady. */
function churn(list: ListValue, ops: number): void {
  for (let i = 0; i < ops; i += 4) {
    list.pushHead("h");
    list.popTail();
    list.pushTail("t");
    list.popHead();
  }
}

Deno.test("pushes and pops at both ends of a 1M-element ListValue take constant time", () => {
  const list = new ListValue();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const pushTail = time(() => {
    for (let i = 0; i < MILLION / 2; i++) list.pushTail(`e${i}`);
  });
  const pushHead = time(() => {
    for (let i = 0; i < MILLION / 2; i++) list.pushHead(`e${i}`);
  });
  assert.equal(list.length, MILLION);
  // Element strings included (about 7 characters each here).
  const bytesPerElement = (Deno.memoryUsage().heapUsed - heapBefore) / MILLION;

  // The same churn on a 1K list and on the 1M list: the cost per operation is flat.
  const small = ListValue.from(Array.from({ length: 1000 }, (_, i) => `s${i}`));
  const ops = 400_000;
  churn(small, ops); // warm-up
  churn(list, ops);
  const atSmall = Math.min(time(() => churn(small, ops)), time(() => churn(small, ops)));
  const atMillion = Math.min(time(() => churn(list, ops)), time(() => churn(list, ops)));
  assert.equal(list.length, MILLION);

  let middle = "";
  const reads = 100_000;
  const indexMs = time(() => {
    for (let i = 0; i < reads; i++) middle = list.at((i * 7919) % MILLION);
  });
  const setMs = time(() => {
    for (let i = 0; i < reads; i++) list.set((i * 7919) % MILLION, middle);
  });

  const popHead = time(() => {
    for (let i = 0; i < MILLION / 2; i++) list.popHead();
  });
  const popTail = time(() => {
    for (let i = 0; i < MILLION / 2; i++) list.popTail();
  });
  assert.equal(list.length, 0);

  console.log(`  ListValue, 1M elements:
    push tail 500K  ${pushTail.toFixed(1)} ms (${perOp(pushTail, MILLION / 2)})
    push head 500K  ${pushHead.toFixed(1)} ms (${perOp(pushHead, MILLION / 2)})
    heap            ${bytesPerElement.toFixed(0)} bytes/element, strings included
    churn at 1K     ${perOp(atSmall, ops)}
    churn at 1M     ${perOp(atMillion, ops)}
    index (random)  ${perOp(indexMs, reads)}
    set (random)    ${perOp(setMs, reads)}
    pop head 500K   ${popHead.toFixed(1)} ms (${perOp(popHead, MILLION / 2)})
    pop tail 500K   ${popTail.toFixed(1)} ms (${perOp(popTail, MILLION / 2)})`);
  // Generous bounds: a linear-time pop at 1M would be ~1000x the 1K cost.
  assert.ok(atMillion < atSmall * 10 + 20, `churn at 1M ${atMillion} ms vs at 1K ${atSmall} ms`);
  assert.ok(pushHead < 2000 && popHead < 2000, "1M head operations take under 2 s");
});

/** Sends `commands` pipelined in one write and waits for all their replies. */
async function pipeline(
  conn: Deno.Conn,
  reader: ReplyReader,
  commands: string[][],
): Promise<string[]> {
  const chunks = commands.map((argv) => encodeCommand(argv));
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const buffer = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    buffer.set(chunk, offset);
    offset += chunk.length;
  }
  const writing = (async () => {
    for (let at = 0; at < buffer.length;) at += await conn.write(buffer.subarray(at));
  })();
  const replies: string[] = [];
  for (let i = 0; i < commands.length; i++) replies.push((await reader.read()).raw);
  await writing;
  return replies;
}

Deno.test("LPOP, RPOP, LPUSH, RPUSH, LINDEX and LSET cost the same on a 1M-element list as on a small one", async () => {
  const server = await startInProcess();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const reader = new ReplyReader(conn);
  try {
    // Fill 1M elements: 1000 RPUSH commands of 1000 elements each.
    const batch = Array.from({ length: 1000 }, (_, i) => `element-${i}`);
    let replies: string[] = [];
    const fill = performance.now();
    for (let round = 0; round < 10; round++) {
      replies = await pipeline(
        conn,
        reader,
        Array.from({ length: 100 }, () => ["RPUSH", "big", ...batch]),
      );
    }
    const fillMs = performance.now() - fill;
    assert.equal(replies[replies.length - 1], `:${MILLION}\r\n`);
    await pipeline(conn, reader, [["RPUSH", "small", ...batch.slice(0, 100)]]);

    const ops = 20_000;
    const commandsFor = (key: string) =>
      Array.from({ length: ops }, (_, i) => {
        switch (i % 6) {
          case 0:
            return ["LPUSH", key, "x"];
          case 1:
            return ["RPOP", key];
          case 2:
            return ["RPUSH", key, "y"];
          case 3:
            return ["LPOP", key];
          case 4:
            return ["LINDEX", key, String(key === "big" ? 500_000 : 50)];
          default:
            return ["LSET", key, String(key === "big" ? -400_000 : -40), "z"];
        }
      });
    const run = async (key: string) => {
      const started = performance.now();
      await pipeline(conn, reader, commandsFor(key));
      return performance.now() - started;
    };
    await run("small"); // warm-up
    const small = Math.min(await run("small"), await run("small"));
    const big = Math.min(await run("big"), await run("big"));
    assert.equal((await pipeline(conn, reader, [["LLEN", "big"]]))[0], `:${MILLION}\r\n`);
    console.log(`  Through the server (pipelined, one connection):
    RPUSH 1M elements    ${fillMs.toFixed(0)} ms
    mixed ops on 100     ${perOp(small, ops)}
    mixed ops on 1M      ${perOp(big, ops)}`);
    assert.ok(big < small * 5 + 50, `mixed ops at 1M ${big} ms vs at 100 ${small} ms`);
  } finally {
    conn.close();
    await server.stop();
  }
});
