// Unit tests of the sorted set structure: both encodings against a naive model under
// random operations (with the tree's invariants checked as it goes), conversions,
// and timings at a million members showing logarithmic costs.

import assert from "node:assert/strict";
import {
  type LexBound,
  type LexRange,
  type ScoreRange,
  SortedSetValue,
  type ZsetLimits,
} from "../../src/store/zset.ts";

const LISTPACK: ZsetLimits = { maxListpackEntries: 1_000_000, maxListpackValue: 1_000_000 };
const SKIPLIST: ZsetLimits = { maxListpackEntries: 0, maxListpackValue: 0 };

/** A seeded generator (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function order(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The model: a Map, sorted on demand. */
function sorted(model: Map<string, number>): [string, number][] {
  return [...model].sort(order);
}

function walkAll(zset: SortedSetValue, rank: number, reverse: boolean): string[] {
  const out: string[] = [];
  zset.walk(rank, reverse, (member) => {
    out.push(member);
  });
  return out;
}

function lexBound(text: string, exclusive: boolean): LexBound {
  if (text === "-") return { value: "", exclusive: true, infinite: -1 };
  if (text === "+") return { value: "", exclusive: true, infinite: 1 };
  return { value: text, exclusive, infinite: 0 };
}

function runRandomOperations(seed: number, limits: ZsetLimits, steps: number) {
  const rnd = random(seed);
  const zset = SortedSetValue.create(1, limits);
  const model = new Map<string, number>();
  const memberOf = () => {
    const n = Math.floor(rnd() * 300);
    return rnd() < 0.1 ? `m\x00${n}` : rnd() < 0.1 ? `\xff${n}` : `m${n}`;
  };
  // Few distinct scores, so ties (ordered by member bytes) are common.
  const scoreOf = () =>
    rnd() < 0.05 ? (rnd() < 0.5 ? Infinity : -Infinity) : Math.floor(rnd() * 20) / 2;
  for (let step = 0; step < steps; step++) {
    const op = rnd();
    if (op < 0.45) {
      const member = memberOf(), score = scoreOf();
      assert.equal(zset.set(member, score, limits), !model.has(member));
      model.set(member, score);
    } else if (op < 0.7) {
      const member = memberOf();
      assert.equal(zset.delete(member), model.delete(member));
    } else if (op < 0.75 && model.size > 0) {
      // Remove a random rank range.
      const start = Math.floor(rnd() * model.size);
      const end = Math.min(model.size - 1, start + Math.floor(rnd() * 5));
      const expected = sorted(model).slice(start, end + 1);
      assert.equal(zset.deleteRanks(start, end), expected.length);
      for (const [member] of expected) model.delete(member);
    } else if (op < 0.85) {
      const entries = sorted(model);
      const member = memberOf();
      const at = entries.findIndex(([m]) => m === member);
      assert.equal(zset.rank(member), at < 0 ? undefined : at);
      assert.equal(zset.rank(member, true), at < 0 ? undefined : entries.length - 1 - at);
      assert.equal(zset.score(member), model.get(member));
      if (entries.length > 0) {
        const r = Math.floor(rnd() * entries.length);
        assert.equal(zset.memberAt(r), entries[r][0]);
        assert.equal(zset.scoreAt(r), entries[r][1]);
        assert.deepEqual(walkAll(zset, r, false), entries.slice(r).map(([m]) => m));
        assert.deepEqual(walkAll(zset, r, true), entries.slice(0, r + 1).reverse().map(([m]) => m));
      }
    } else if (op < 0.95) {
      const a = scoreOf(), b = scoreOf();
      const range: ScoreRange = {
        min: Math.min(a, b),
        max: Math.max(a, b),
        minExclusive: rnd() < 0.5,
        maxExclusive: rnd() < 0.5,
      };
      const entries = sorted(model);
      const inside = entries.map(([, s], i) => [s, i] as const).filter(([s]) =>
        (range.minExclusive ? s > range.min : s >= range.min) &&
        (range.maxExclusive ? s < range.max : s <= range.max)
      );
      assert.equal(zset.countInScoreRange(range), inside.length);
      assert.equal(zset.firstInScoreRange(range), inside.length ? inside[0][1] : -1);
      assert.equal(zset.lastInScoreRange(range), inside.length ? inside[inside.length - 1][1] : -1);
    } else {
      // Lex ranges on a set whose scores are all equal: a fresh copy with score 0.
      const flat = SortedSetValue.fromEntries([...model.keys()].map((m) => [m, 0]), limits);
      flat.checkInvariants();
      const names = [...model.keys()].sort();
      const pick = () => rnd() < 0.1 ? "-" : rnd() < 0.1 ? "+" : memberOf();
      const range: LexRange = {
        min: lexBound(pick(), rnd() < 0.5),
        max: lexBound(pick(), rnd() < 0.5),
      };
      const gte = (m: string) =>
        range.min.infinite
          ? range.min.infinite < 0
          : range.min.exclusive
          ? m > range.min.value
          : m >= range.min.value;
      const lte = (m: string) =>
        range.max.infinite
          ? range.max.infinite > 0
          : range.max.exclusive
          ? m < range.max.value
          : m <= range.max.value;
      const inside = names.map((m, i) => [m, i] as const).filter(([m]) => gte(m) && lte(m));
      assert.equal(flat.countInLexRange(range), inside.length);
      assert.equal(flat.firstInLexRange(range), inside.length ? inside[0][1] : -1);
      assert.equal(flat.lastInLexRange(range), inside.length ? inside[inside.length - 1][1] : -1);
    }
    assert.equal(zset.size, model.size);
    if (step % 50 === 0) {
      zset.checkInvariants();
      assert.deepEqual([...zset.entries()], sorted(model));
    }
  }
  zset.checkInvariants();
  assert.deepEqual([...zset.entries()], sorted(model));
  const copy = zset.clone();
  copy.checkInvariants();
  assert.equal(copy.encoding, zset.encoding);
  assert.deepEqual([...copy.entries()], sorted(model));
  return zset;
}

Deno.test("the skiplist encoding (a counted B+tree) agrees with a naive model under random operations", () => {
  for (const seed of [1, 2, 3]) {
    assert.equal(runRandomOperations(seed, SKIPLIST, 3000).encoding, "skiplist");
  }
});

Deno.test("the listpack arrays agree with a naive model under random operations", () => {
  for (const seed of [4, 5]) {
    assert.equal(runRandomOperations(seed, LISTPACK, 3000).encoding, "listpack");
  }
});

Deno.test("a listpack that outgrows its limits converts midway and keeps agreeing", () => {
  const limits: ZsetLimits = { maxListpackEntries: 40, maxListpackValue: 64 };
  assert.equal(runRandomOperations(6, limits, 3000).encoding, "skiplist");
});

Deno.test("a listpack becomes a skiplist past either limit and never converts back", () => {
  const limits: ZsetLimits = { maxListpackEntries: 3, maxListpackValue: 4 };
  const zset = SortedSetValue.create(1, limits);
  zset.set("a", 1, limits);
  zset.set("b", 2, limits);
  zset.set("c", 3, limits);
  assert.equal(zset.encoding, "listpack");
  zset.set("c", 30, limits);
  assert.equal(zset.encoding, "listpack");
  zset.set("d", 4, limits);
  assert.equal(zset.encoding, "skiplist");
  zset.delete("d");
  zset.delete("c");
  assert.equal(zset.encoding, "skiplist");
  const long = SortedSetValue.create(1, limits);
  long.set("abcde", 1, limits);
  assert.equal(long.encoding, "skiplist");
  assert.equal(SortedSetValue.create(5, limits).encoding, "skiplist");
  assert.equal(SortedSetValue.create(1, { ...limits, maxListpackEntries: 0 }).encoding, "skiplist");
  assert.equal(SortedSetValue.fromEntries([["a", 1], ["b", 2]], limits).encoding, "listpack");
  assert.equal(SortedSetValue.fromEntries([["abcde", 1]], limits).encoding, "skiplist");
  assert.equal(
    SortedSetValue.fromEntries([["a", 1], ["b", 2], ["c", 3], ["d", 4]], limits).encoding,
    "skiplist",
  );
});

Deno.test("a listpack keeps a -0 score as 0, a skiplist keeps -0", () => {
  const packed = SortedSetValue.create(1, LISTPACK);
  packed.set("a", -0, LISTPACK);
  assert.ok(Object.is(packed.score("a"), 0));
  const list = SortedSetValue.create(1, SKIPLIST);
  list.set("a", -0, SKIPLIST);
  assert.ok(Object.is(list.score("a"), -0));
});

Deno.test("ties are ordered by member bytes, binary members included", () => {
  const limits = SKIPLIST;
  const zset = SortedSetValue.create(1, limits);
  for (const m of ["b", "a", "\xff", "\x00", "", "B", "aa", "a\x00"]) zset.set(m, 1, limits);
  assert.deepEqual([...zset.entries()].map(([m]) => m), [
    "",
    "\x00",
    "B",
    "a",
    "a\x00",
    "aa",
    "b",
    "\xff",
  ]);
});

// ---------------------------------------------------------------------------------
// Timings at a million members

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

Deno.test("ZADD, ZRANK, ZREM and range starts stay logarithmic up to a million members", () => {
  const limits = { maxListpackEntries: 128, maxListpackValue: 64 };
  const probes = 50_000;
  const rows: string[] = [];
  const perOp: Record<string, number[]> = { add: [], rank: [], rem: [], range: [] };
  for (const size of [10_000, 100_000, 1_000_000]) {
    const rnd = random(size);
    const zset = SortedSetValue.create(8, limits);
    const members: string[] = new Array(size);
    for (let i = 0; i < size; i++) members[i] = `member:${i}`;
    const addMs = time(() => {
      for (let i = 0; i < size; i++) zset.set(members[i], Math.floor(rnd() * size), limits);
    });
    assert.equal(zset.size, size);
    let checksum = 0;
    const rankMs = time(() => {
      for (let i = 0; i < probes; i++) checksum += zset.rank(members[(i * 7919) % size])!;
    });
    const rangeMs = time(() => {
      for (let i = 0; i < probes; i++) {
        let n = 10;
        zset.walk((i * 104729) % size, false, () => --n > 0);
      }
    });
    const remMs = time(() => {
      for (let i = 0; i < probes; i++) zset.delete(members[(i * 7919) % size]);
    });
    assert.ok(checksum > 0);
    const us = (ms: number, n: number) => (ms * 1000) / n;
    perOp.add.push(us(addMs, size));
    perOp.rank.push(us(rankMs, probes));
    perOp.range.push(us(rangeMs, probes));
    perOp.rem.push(us(remMs, probes));
    rows.push(
      `${String(size).padStart(9)} members: ZADD ${addMs.toFixed(0)} ms total ` +
        `(${us(addMs, size).toFixed(2)} µs/op), ZRANK ${us(rankMs, probes).toFixed(2)} µs/op, ` +
        `ZRANGE start+10 ${us(rangeMs, probes).toFixed(2)} µs/op, ` +
        `ZREM ${us(remMs, probes).toFixed(2)} µs/op`,
    );
  }
  console.log(`\n${rows.join("\n")}`);
  // A hundredfold growth costs a little more per operation (log n grows 1.5x, plus
  // cache misses), nowhere near the hundredfold a linear structure would show.
  for (const [name, costs] of Object.entries(perOp)) {
    const growth = costs[2] / costs[0];
    assert.ok(growth < 30, `${name}: ${growth.toFixed(1)}x slower per op at 1M than at 10k`);
  }
});
