import assert from "node:assert/strict";
import { radixTreeNodes } from "../../src/commands/stream_info.ts";
import { StreamValue } from "../../src/store/stream.ts";
import {
  formatId,
  idFromRaw,
  idToRaw,
  makeId,
  MAX_ID,
  parseId,
  parseU64,
  type StreamId,
} from "../../src/store/stream_id.ts";

const LIMITS = { maxBytes: 4096, maxEntries: 100 };

function id(text: string): StreamId {
  return parseId(text, { missingSeq: 0n })!.id;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

Deno.test("a node's listpack holds exactly the bytes Redis 7.0.15 writes for it", () => {
  // DUMP of the same stream on redis-server (rdbcompression no): XADD s 1-1 a 1 b hello,
  // XADD s 1-5 a 2 b x, XADD s 3-0 c 99999999999, XADD s 18446744073709551615-0 a -5 b zz,
  // XDEL s 1-5.
  const stream = new StreamValue();
  stream.append(id("1-1"), ["a", "1", "b", "hello"], LIMITS);
  stream.append(id("1-5"), ["a", "2", "b", "x"], LIMITS);
  stream.append(id("3-0"), ["c", "99999999999"], LIMITS);
  stream.append(id("18446744073709551615-0"), ["a", "-5", "b", "zz"], LIMITS);
  assert.ok(stream.delete(id("1-5")));
  assert.equal(
    hex(stream.nodes[0].lp.view()),
    "5c 00 00 00 1f 00 03 01 01 01 02 01 81 61 02 81 62 02 00 01 02 01 00 01 00 01 01 01 " +
      "85 68 65 6c 6c 6f 06 05 01 03 01 00 01 04 01 02 01 81 78 02 05 01 00 01 02 01 df ff " +
      "02 01 01 81 63 02 f4 ff e7 76 48 17 00 00 00 09 06 01 02 01 df fe 02 df ff 02 df fb " +
      "02 82 7a 7a 03 05 01 ff",
  );
  assert.equal(stream.length, 3);
  assert.equal(stream.maxDeletedId, id("1-5"));
});

Deno.test("IDs parse as Redis reads them and print as <ms>-<seq>", () => {
  assert.equal(parseU64("+5"), 5n);
  assert.equal(parseU64(" 6"), 6n);
  assert.equal(parseU64("-9"), null);
  assert.equal(parseU64("-0"), 0n);
  assert.equal(parseU64(" -1"), 18446744073709551615n);
  assert.equal(parseU64("18446744073709551616"), null);
  assert.equal(parseU64(""), null);
  assert.equal(parseId("5-", { missingSeq: 0n }), null);
  assert.equal(parseId("-", { missingSeq: 0n }), null);
  assert.equal(parseId("-", { missingSeq: 0n, minMax: true })!.id, 0n);
  assert.equal(parseId("+", { missingSeq: 0n, minMax: true })!.id, MAX_ID);
  assert.deepEqual(parseId("7-*", { missingSeq: 0n, seqAuto: true }), {
    id: makeId(7n, 0n),
    seqAuto: true,
  });
  assert.equal(parseId("7-*", { missingSeq: 0n }), null);
  assert.equal(
    formatId(parseId("12", { missingSeq: 18446744073709551615n })!.id),
    "12-18446744073709551615",
  );
  assert.equal(formatId(MAX_ID), "18446744073709551615-18446744073709551615");
  const raw = idToRaw(id("1700000000000-42"));
  assert.equal(raw.length, 16);
  assert.equal(idFromRaw(Uint8Array.from(raw, (c) => c.charCodeAt(0))), id("1700000000000-42"));
});

Deno.test("the next ID follows the clock, then the last ID, and ends at the largest", () => {
  const stream = new StreamValue();
  assert.equal(formatId(stream.nextId(1000)!), "1000-0");
  stream.append(id("5000-3"), ["f", "v"], LIMITS);
  assert.equal(formatId(stream.nextId(1000)!), "5000-4");
  assert.equal(formatId(stream.nextId(0, 5000n)!), "5000-4");
  assert.equal(stream.nextId(0, 4999n), null);
  assert.equal(formatId(stream.nextId(0, 6000n)!), "6000-0");
  stream.append(id("7-18446744073709551615") + (7000n << 64n), ["f", "v"], LIMITS);
  assert.equal(formatId(stream.nextId(0)!), "7008-0");
  stream.lastId = MAX_ID;
  assert.equal(stream.nextId(0), null);
});

// A plain model: the live entries in order.
type Model = [StreamId, string[]][];

function collect(stream: StreamValue, start: StreamId, end: StreamId, rev: boolean, count: number) {
  const out: Model = [];
  stream.walk(start, end, rev, (entry) => {
    out.push([entry.id, entry.pairs()]);
    return count === 0 || out.length < count;
  });
  return out;
}

Deno.test("walks, deletions and exact trims agree with a plain list of entries", () => {
  let seed = 7;
  const random = (n: number) => {
    // xorshift32
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  for (const limits of [LIMITS, { maxBytes: 64, maxEntries: 3 }, { maxBytes: 0, maxEntries: 0 }]) {
    const stream = new StreamValue();
    let model: Model = [];
    let next = 1n;
    for (let step = 0; step < 3000; step++) {
      const op = random(10);
      if (op < 5) {
        next += BigInt(random(3)) * (1n << 64n) + BigInt(random(2));
        const newId = next++;
        const pairs = random(2)
          ? ["a", String(random(1000))]
          : ["b", "x".repeat(random(30)), "c", "7"];
        stream.append(newId, pairs, limits);
        model.push([newId, pairs]);
      } else if (op < 7 && model.length > 0) {
        const victim = model[random(model.length)][0];
        assert.ok(stream.delete(victim));
        assert.ok(!stream.delete(victim));
        model = model.filter(([x]) => x !== victim);
      } else if (op === 7) {
        const keep = random(model.length + 3);
        stream.trim({ maxLen: keep, approx: false, limit: 0 });
        if (model.length > keep) model = model.slice(model.length - keep);
      } else {
        const a = model.length ? model[random(model.length)][0] - BigInt(random(2)) : 0n;
        const b = a + BigInt(random(5)) * (1n << 64n);
        const count = random(4);
        const forward = model.filter(([x]) => x >= a && x <= b);
        assert.deepEqual(
          collect(stream, a, b, false, count),
          count ? forward.slice(0, count) : forward,
        );
        const backward = forward.slice().reverse();
        assert.deepEqual(
          collect(stream, a, b, true, count),
          count ? backward.slice(0, count) : backward,
        );
      }
      assert.equal(stream.length, model.length);
      assert.equal(stream.firstId, model.length ? model[0][0] : stream.firstId);
      assert.equal(stream.lastLiveId(), model.length ? model[model.length - 1][0] : null);
      for (const node of stream.nodes) assert.ok(node.live > 0 || node === stream.nodes.at(-1));
    }
    assert.deepEqual(collect(stream, 0n, MAX_ID, false, 0), model);
  }
});

Deno.test("approximate trims remove whole nodes only, and LIMIT caps them", () => {
  const stream = new StreamValue();
  const limits = { maxBytes: 4096, maxEntries: 10 };
  for (let i = 1n; i <= 95n; i++) stream.append(i << 64n, ["f", "v"], limits);
  assert.equal(stream.nodes.length, 10);
  assert.equal(stream.trim({ maxLen: 41, approx: true, limit: 0 }), 50);
  assert.equal(stream.length, 45);
  assert.equal(stream.trim({ maxLen: 0, approx: true, limit: 15 }), 10);
  assert.equal(stream.trim({ minId: 75n << 64n, approx: true, limit: 0 }), 10);
  assert.equal(stream.trim({ minId: 75n << 64n, approx: false, limit: 0 }), 4);
  assert.equal(formatId(stream.firstId), "75-0");
});

Deno.test("XINFO's radix-tree-nodes counts Redis's nodes for the node keys", () => {
  const keys = (...ids: string[]) => ids.map((x) => idToRaw(id(x)));
  assert.equal(radixTreeNodes([]), 1);
  assert.equal(radixTreeNodes(keys("1-0")), 2);
  assert.equal(radixTreeNodes(keys("1-0", "2-0")), 6);
  assert.equal(radixTreeNodes(keys("1-0", "2-0", "3-0")), 8);
  // Counted on redis-server 7.0.15 with stream-node-max-entries 1.
  assert.equal(radixTreeNodes(keys("1-0", "256-0", "257-0")), 9);
  const squares = Array.from({ length: 299 }, (_, i) => `${(i + 1) ** 2}-0`);
  assert.equal(radixTreeNodes(keys(...squares)), 634);
});
