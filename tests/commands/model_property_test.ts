// Model-based property test with fast-check: random sequences of string, hash, list
// and sorted set commands, over a few keys so that types collide, run against an
// in-process Redeno and against a plain model of what Redis answers. Every raw reply
// must be the model's.

import assert from "node:assert/strict";
import fc from "npm:fast-check@3";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";

type Entry =
  | { type: "string"; value: string }
  | { type: "hash"; value: Map<string, string> }
  | { type: "list"; value: string[] }
  | { type: "zset"; value: Map<string, number> };
type Model = Map<string, Entry>;
type Real = InProcessServer;

const WRONGTYPE = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INTEGER = "-ERR value is not an integer or out of range\r\n";
const bulk = (v: string | undefined) => v === undefined ? "$-1\r\n" : `$${v.length}\r\n${v}\r\n`;
const int = (n: number) => `:${n}\r\n`;

// The entry of `key` when it holds `type` (undefined when missing); null: another type.
function typed<T extends Entry["type"]>(
  m: Model,
  key: string,
  type: T,
): Extract<Entry, { type: T }> | undefined | null {
  const entry = m.get(key);
  if (entry === undefined) return undefined;
  return entry.type === type ? entry as Extract<Entry, { type: T }> : null;
}

// One command: its arguments and the reply the model predicts (updating the model).
class Command implements fc.AsyncCommand<Model, Real> {
  constructor(readonly argv: string[], readonly expect: (m: Model) => string) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const expected = this.expect(m);
    assert.equal(await r.call(...this.argv), expected, this.toString());
  }
  toString(): string {
    return this.argv.join(" ");
  }
}

const key = fc.constantFrom("k1", "k2", "k3");
const field = fc.constantFrom("f", "g", "\xff\x00");
const text = fc.constantFrom("", "1", "22", "-3", "x", "a b", "\r\n", "\x00\xff");
const score = fc.integer({ min: -5, max: 5 });

const commands = [
  fc.tuple(key, text).map(([k, v]) =>
    new Command(["SET", k, v], (m) => {
      m.set(k, { type: "string", value: v });
      return "+OK\r\n";
    })
  ),
  key.map((k) =>
    new Command(["GET", k], (m) => {
      const e = typed(m, k, "string");
      return e === null ? WRONGTYPE : bulk(e?.value);
    })
  ),
  fc.tuple(key, text).map(([k, v]) =>
    new Command(["APPEND", k, v], (m) => {
      const e = typed(m, k, "string");
      if (e === null) return WRONGTYPE;
      const value = (e?.value ?? "") + v;
      m.set(k, { type: "string", value });
      return int(value.length);
    })
  ),
  key.map((k) =>
    new Command(["INCR", k], (m) => {
      const e = typed(m, k, "string");
      if (e === null) return WRONGTYPE;
      const current = e?.value ?? "0";
      if (!/^(0|-?[1-9][0-9]*)$/.test(current)) return NOT_INTEGER;
      const value = String(Number(current) + 1);
      m.set(k, { type: "string", value });
      return int(Number(value));
    })
  ),
  key.map((k) =>
    new Command(["DEL", k], (m) => {
      const had = m.delete(k);
      return int(had ? 1 : 0);
    })
  ),
  fc.tuple(key, field, text).map(([k, f, v]) =>
    new Command(["HSET", k, f, v], (m) => {
      const e = typed(m, k, "hash");
      if (e === null) return WRONGTYPE;
      const map = e?.value ?? new Map<string, string>();
      const added = map.has(f) ? 0 : 1;
      map.set(f, v);
      m.set(k, { type: "hash", value: map });
      return int(added);
    })
  ),
  fc.tuple(key, field).map(([k, f]) =>
    new Command(["HGET", k, f], (m) => {
      const e = typed(m, k, "hash");
      return e === null ? WRONGTYPE : bulk(e?.value.get(f));
    })
  ),
  fc.tuple(key, field).map(([k, f]) =>
    new Command(["HDEL", k, f], (m) => {
      const e = typed(m, k, "hash");
      if (e === null) return WRONGTYPE;
      const removed = e?.value.delete(f) ? 1 : 0;
      if (e !== undefined && e.value.size === 0) m.delete(k);
      return int(removed);
    })
  ),
  fc.tuple(key, text).map(([k, v]) =>
    new Command(["RPUSH", k, v], (m) => {
      const e = typed(m, k, "list");
      if (e === null) return WRONGTYPE;
      const list = e?.value ?? [];
      list.push(v);
      m.set(k, { type: "list", value: list });
      return int(list.length);
    })
  ),
  key.map((k) =>
    new Command(["LPOP", k], (m) => {
      const e = typed(m, k, "list");
      if (e === null) return WRONGTYPE;
      const item = e?.value.shift();
      if (e !== undefined && e.value.length === 0) m.delete(k);
      return bulk(item);
    })
  ),
  key.map((k) =>
    new Command(["LRANGE", k, "0", "-1"], (m) => {
      const e = typed(m, k, "list");
      if (e === null) return WRONGTYPE;
      const list = e?.value ?? [];
      return `*${list.length}\r\n` + list.map(bulk).join("");
    })
  ),
  fc.tuple(key, score, field).map(([k, s, member]) =>
    new Command(["ZADD", k, String(s), member], (m) => {
      const e = typed(m, k, "zset");
      if (e === null) return WRONGTYPE;
      const zset = e?.value ?? new Map<string, number>();
      const added = zset.has(member) ? 0 : 1;
      zset.set(member, s);
      m.set(k, { type: "zset", value: zset });
      return int(added);
    })
  ),
  fc.tuple(key, field).map(([k, member]) =>
    new Command(["ZSCORE", k, member], (m) => {
      const e = typed(m, k, "zset");
      if (e === null) return WRONGTYPE;
      const s = e?.value.get(member);
      return bulk(s === undefined ? undefined : String(s));
    })
  ),
  key.map((k) =>
    new Command(["ZRANGE", k, "0", "-1"], (m) => {
      const e = typed(m, k, "zset");
      if (e === null) return WRONGTYPE;
      // By score, then by member bytes.
      const members = [...(e?.value ?? new Map<string, number>())].sort((a, b) =>
        a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
      ).map(([member]) => member);
      return `*${members.length}\r\n` + members.map(bulk).join("");
    })
  ),
  key.map((k) => new Command(["TYPE", k], (m) => `+${m.get(k)?.type ?? "none"}\r\n`)),
];

Deno.test("random string, hash, list and sorted set commands agree with a model", async () => {
  const srv = await startInProcess();
  try {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        await srv.call("FLUSHALL");
        await fc.asyncModelRun(() => ({ model: new Map() as Model, real: srv }), cmds);
      }),
      { numRuns: 1000 },
    );
  } finally {
    await srv.stop();
  }
});
