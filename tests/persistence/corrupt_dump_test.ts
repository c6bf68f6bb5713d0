// Corrupt DUMP payloads and RDB files. Every single-byte change of DUMP payloads of
// each type, with the checksum made right again so that the value's parser itself
// meets the damage, and random damage with the checksum skipped (as Redis's
// corrupt-dump fuzzer makes it): RESTORE answers OK or Redis's "Bad data format",
// never an internal error, and whatever it accepted can then be read, written and
// dumped without one. Then each structure's whole check, one kind of damage at a
// time (listpacks, ziplists, zipmaps, intsets, quicklists, stream nodes and groups),
// what RESTORE logs, DEBUG SET-SKIP-CHECKSUM-VALIDATION, and damaged RDB files at
// start-up.

import assert from "node:assert/strict";
import { latin1Text } from "../../src/util/latin1.ts";
import { DEFAULT_LIMITS } from "../../src/persistence/codecs/codec.ts";
import { crc64 } from "../../src/persistence/crc64.ts";
import { ListpackBuilder } from "../../src/persistence/listpack.ts";
import {
  ByteWriter,
  OP_EOF,
  OP_SELECTDB,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_VERSION,
  RdbError,
  TYPE_HASH_LISTPACK,
  TYPE_HASH_ZIPLIST,
  TYPE_HASH_ZIPMAP,
  TYPE_LIST_QUICKLIST,
  TYPE_LIST_QUICKLIST_2,
  TYPE_LIST_ZIPLIST,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_STREAM_LISTPACKS_2,
  TYPE_STRING,
  TYPE_ZSET_LISTPACK,
  TYPE_ZSET_ZIPLIST,
  writeBlob,
  writeString,
} from "../../src/persistence/rdb_format.ts";
import { readPayload } from "../../src/persistence/rdb_reader.ts";
import { ERR_INTERNAL } from "../../src/protocol/errors.ts";
import { HashValue } from "../../src/store/hash.ts";
import { StreamValue } from "../../src/store/stream.ts";
import { idToRaw, makeId } from "../../src/store/stream_id.ts";
import { type InProcessServer, startInProcess } from "../_inprocess.ts";
import { rng } from "../_random.ts";
import { bytes, freePort } from "../_server.ts";

// The bulk string of a raw `$n\r\n...\r\n` reply.
function bulkOf(reply: string): string {
  const start = reply.indexOf("\r\n") + 2;
  return reply.slice(start, reply.length - 2);
}

// A payload with its value bytes changed: the RDB version kept, the CRC64 redone.
function withChecksum(body: Uint8Array, version: Uint8Array): string {
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  out.set(version, body.length);
  const crc = crc64(out.subarray(0, body.length + 2));
  for (let i = 0; i < 8; i++) out[body.length + 2 + i] = Number((crc >> BigInt(8 * i)) & 0xffn);
  return latin1Text(out);
}

// Commands that read and change a value of each type.
const TOUCH: Record<string, string[][]> = {
  string: [["GET", "t"], ["STRLEN", "t"], ["APPEND", "t", "x"], ["PFCOUNT", "t"]],
  list: [["LRANGE", "t", "0", "-1"], ["LPOP", "t"], ["RPUSH", "t", "y"], ["LINDEX", "t", "1"]],
  hash: [["HGETALL", "t"], ["HSET", "t", "nf", "nv"], ["HDEL", "t", "f1"]],
  set: [["SMEMBERS", "t"], ["SADD", "t", "9"], ["SPOP", "t"]],
  zset: [["ZRANGE", "t", "0", "-1", "WITHSCORES"], ["ZADD", "t", "3", "c"], ["ZREM", "t", "a"]],
  stream: [["XRANGE", "t", "-", "+"], ["XINFO", "STREAM", "t", "FULL"], [
    "XADD",
    "t",
    "*",
    "a",
    "b",
  ]],
};

Deno.test("every single-byte change of a DUMP payload is restored or refused cleanly", async () => {
  const srv: InProcessServer = await startInProcess();
  captureLog(srv);
  const internal = `-${ERR_INTERNAL}\r\n`;
  try {
    const setup = [
      ["SET", "s", "hello world"],
      ["SET", "n", "12345"],
      ["RPUSH", "l", "a", "b", "c", "1", "2"],
      ["HSET", "h", "f1", "v1", "f2", "2"],
      ["SADD", "si", "1", "2", "3"],
      ["SADD", "ss", "a", "b", "c"],
      ["ZADD", "z", "1", "a", "2.5", "b"],
      ["XADD", "x", "1-1", "f", "v"],
      ["XADD", "x", "2-1", "f", "w", "g", "1"],
      ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"],
      ["PFADD", "p", "a", "b", "c"],
    ];
    for (const argv of setup) await srv.call(...argv);
    let restored = 0;
    let refused = 0;
    for (const key of ["s", "n", "l", "h", "si", "ss", "z", "x", "p"]) {
      const payload = bytes(bulkOf(await srv.call("DUMP", key)));
      const body = payload.subarray(0, payload.length - 10);
      const version = payload.subarray(payload.length - 10, payload.length - 8);
      for (let at = 0; at < body.length; at++) {
        for (const delta of [1, 0x80, 0xff]) {
          const damaged = body.slice();
          damaged[at] = (damaged[at] + delta) & 0xff;
          const reply = await srv.call(
            "RESTORE",
            "t",
            "0",
            withChecksum(damaged, version),
            "REPLACE",
          );
          if (reply !== "+OK\r\n") {
            assert.equal(reply, "-ERR Bad data format\r\n", `${key} byte ${at} +${delta}`);
            refused++;
            continue;
          }
          restored++;
          const type = (await srv.call("TYPE", "t")).slice(1, -2);
          for (const argv of [...TOUCH[type] ?? [], ["DUMP", "t"], ["OBJECT", "ENCODING", "t"]]) {
            const answer = await srv.call(...argv);
            assert.notEqual(answer, internal, `${key} byte ${at} +${delta}: ${argv.join(" ")}`);
          }
        }
      }
    }
    assert.ok(restored > 0 && refused > 0, `${restored} restored, ${refused} refused`);
    assert.equal(await srv.call("PING"), "+PONG\r\n");
  } finally {
    await srv.stop();
  }
});

// ---------------------------------------------------------------------------
// Each structure is checked whole: payloads made by hand, read as RESTORE reads them.

// A DUMP payload of a value of RDB type `type` whose body is `body` (the checksum is
// not checked here).
function payloadOf(type: number, body: ArrayLike<number>): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(type);
  w.bytes(Uint8Array.from(body));
  w.u16le(RDB_VERSION);
  w.bytes(new Uint8Array(8));
  return w.take().slice();
}

// An RDB string holding `blob`.
function blob(bytes: ArrayLike<number>): number[] {
  const w = new ByteWriter(64);
  writeBlob(w, Uint8Array.from(bytes), false);
  return [...w.take()];
}

function listpack(items: (string | number)[]): number[] {
  const lp = new ListpackBuilder();
  for (const item of items) {
    if (typeof item === "number") lp.appendInt(item);
    else lp.append(item);
  }
  return [...lp.finish()];
}

// A ziplist of short strings and small integers (0..12 packed in the encoding byte).
function ziplist(items: (string | number)[]): number[] {
  const entries: number[][] = [];
  let previous = 0;
  let tail = 10;
  let offset = 10;
  for (const item of items) {
    const body = typeof item === "number"
      ? [0xf1 + item]
      : [item.length, ...Array.from(item, (c) => c.charCodeAt(0))];
    const entry = [previous, ...body];
    entries.push(entry);
    tail = offset;
    offset += entry.length;
    previous = entry.length;
  }
  const flat = entries.flat();
  const total = 10 + flat.length + 1;
  const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 0xff);
  return [...le(total, 4), ...le(tail, 4), ...le(items.length, 2), ...flat, 0xff];
}

function refusal(payload: Uint8Array): string {
  try {
    readPayload(payload, DEFAULT_LIMITS);
  } catch (error) {
    assert.ok(error instanceof RdbError, `expected an RdbError, got ${error}`);
    return error.message;
  }
  return assert.fail("the payload was accepted");
}

Deno.test("a hash listpack or ziplist with a field twice fails its integrity check", () => {
  const pairs = ["a", "1", "b", "2", "a", "3"];
  assert.match(
    refusal(payloadOf(TYPE_HASH_LISTPACK, blob(listpack(pairs)))),
    /^Hash listpack integrity check failed: listpack with dup elements at byte offset 2$/,
  );
  assert.match(
    refusal(payloadOf(TYPE_HASH_ZIPLIST, blob(ziplist(pairs)))),
    /^Hash ziplist integrity check failed: ziplist with dup elements/,
  );
  assert.match(
    refusal(payloadOf(TYPE_ZSET_LISTPACK, blob(listpack(["m", "1", "m", "2"])))),
    /^Zset listpack integrity check failed: listpack with dup elements/,
  );
  // The same pairs without the repeat load.
  const hash = readPayload(payloadOf(TYPE_HASH_LISTPACK, blob(listpack(pairs.slice(0, 4)))), {
    ...DEFAULT_LIMITS,
  });
  assert.ok(hash instanceof HashValue && hash.size === 2);
});

Deno.test("a hash listpack with an odd number of elements fails its integrity check", () => {
  assert.match(
    refusal(payloadOf(TYPE_HASH_LISTPACK, blob(listpack(["a", "1", "b"])))),
    /^Hash listpack integrity check failed: listpack with an odd number of elements/,
  );
});

Deno.test("a sorted set listpack whose score is not a number fails its integrity check", () => {
  for (const score of ["abc", "nan", ""]) {
    assert.match(
      refusal(payloadOf(TYPE_ZSET_LISTPACK, blob(listpack(["m", score])))),
      /^Zset listpack integrity check failed: invalid score/,
    );
  }
});

Deno.test("an empty zipmap, or one whose pair count is wrong, fails its integrity check", () => {
  assert.match(
    refusal(payloadOf(TYPE_HASH_ZIPMAP, blob([0, 0xff]))),
    /^Zipmap integrity check failed: zipmap without entries/,
  );
  const pair = [1, 0x66, 1, 0, 0x76];
  assert.match(
    refusal(payloadOf(TYPE_HASH_ZIPMAP, blob([2, ...pair, 0xff]))),
    /^Zipmap integrity check failed: zipmap header says 2 pairs, found 1/,
  );
  assert.ok(readPayload(payloadOf(TYPE_HASH_ZIPMAP, blob([1, ...pair, 0xff])), DEFAULT_LIMITS));
});

Deno.test("an empty intset fails its integrity check rather than loading as an empty set", () => {
  assert.match(
    refusal(payloadOf(TYPE_SET_INTSET, blob([2, 0, 0, 0, 0, 0, 0, 0]))),
    /^Intset integrity check failed: intset without members/,
  );
});

Deno.test("a quicklist node of no bytes is refused, plain or packed", () => {
  for (const container of [QUICKLIST_NODE_PLAIN, QUICKLIST_NODE_PACKED]) {
    assert.match(
      refusal(payloadOf(TYPE_LIST_QUICKLIST_2, [1, container, 0])),
      /^Quicklist integrity check failed: empty node at byte offset 4$/,
    );
  }
  assert.match(
    refusal(payloadOf(TYPE_LIST_QUICKLIST_2, [1, 3, ...blob(listpack(["a"]))])),
    /^Quicklist integrity check failed: invalid node container 3/,
  );
  // A quicklist of only empty listpacks is an empty list: nothing to restore.
  assert.equal(
    readPayload(payloadOf(TYPE_LIST_QUICKLIST_2, [1, 2, ...blob(listpack([]))]), DEFAULT_LIMITS),
    null,
  );
});

Deno.test("a ziplist's damage names the structure it was found in", () => {
  const good = ziplist(["a", 1]);
  const wrongPrevious = good.slice();
  wrongPrevious[13] = 9; // the second entry's previous-entry length
  assert.match(
    refusal(payloadOf(TYPE_LIST_QUICKLIST, [1, ...blob(wrongPrevious)])),
    /^Ziplist integrity check failed: ziplist entry with a wrong previous length/,
  );
  assert.match(
    refusal(payloadOf(TYPE_LIST_ZIPLIST, blob(wrongPrevious))),
    /^List ziplist integrity check failed/,
  );
  assert.match(
    refusal(payloadOf(TYPE_ZSET_ZIPLIST, blob(wrongPrevious))),
    /^Zset ziplist integrity check failed/,
  );
});

// ---------------------------------------------------------------------------
// Streams: each node's listpack and the entries in it, the IDs, the groups.

const STREAM_FLAG_SAMEFIELDS = 2;

interface NodeSpec {
  master: [number, number];
  /** The node's listpack elements; default: entries of field "f", IDs master+i. */
  elements: (string | number)[];
}

// A node whose entries are `ids` (ms, seq) with the master entry's one field "f".
function node(master: [number, number], ids: [number, number][], deleted = 0): NodeSpec {
  const elements: (string | number)[] = [ids.length - deleted, deleted, 1, "f", 0];
  ids.forEach(([ms, seq], i) => {
    elements.push(i < deleted ? 1 | STREAM_FLAG_SAMEFIELDS : STREAM_FLAG_SAMEFIELDS);
    elements.push(ms - master[0], seq - master[1], "v", 4);
  });
  return { master, elements };
}

interface GroupSpec {
  pending: [number, number][];
  consumers: { name: string; pending: [number, number][] }[];
}

function streamPayload(
  nodes: NodeSpec[],
  length: number,
  last: [number, number],
  groups: GroupSpec[] = [],
): Uint8Array {
  const w = new ByteWriter(256);
  w.length(nodes.length);
  for (const n of nodes) {
    writeString(w, idToRaw(makeId(BigInt(n.master[0]), BigInt(n.master[1]))), false);
    writeBlob(w, Uint8Array.from(listpack(n.elements)), false);
  }
  w.length(length);
  w.length(last[0]);
  w.length(last[1]);
  w.length(nodes.length > 0 ? nodes[0].master[0] : 0); // first ID
  w.length(nodes.length > 0 ? nodes[0].master[1] : 0);
  w.length(0); // max deleted ID
  w.length(0);
  w.length(length); // entries added
  w.length(groups.length);
  groups.forEach((g, i) => {
    writeString(w, `g${i}`, false);
    w.length(0);
    w.length(0);
    w.length(0); // entries read
    w.length(g.pending.length);
    for (const [ms, seq] of g.pending) {
      w.latin1(idToRaw(makeId(BigInt(ms), BigInt(seq))));
      w.i64le(1000);
      w.length(1);
    }
    w.length(g.consumers.length);
    for (const c of g.consumers) {
      writeString(w, c.name, false);
      w.i64le(1000);
      w.length(c.pending.length);
      for (const [ms, seq] of c.pending) w.latin1(idToRaw(makeId(BigInt(ms), BigInt(seq))));
    }
  });
  return payloadOf(TYPE_STREAM_LISTPACKS_2, w.take());
}

Deno.test("a well-formed stream made by hand loads, the test's baseline", () => {
  const stream = readPayload(
    streamPayload([node([1, 0], [[1, 0], [1, 1]]), node([2, 5], [[2, 5], [3, 0]], 1)], 3, [3, 0], [
      {
        pending: [[1, 1]],
        consumers: [{ name: "alice", pending: [[1, 1]] }, { name: "bob", pending: [] }],
      },
    ]),
    DEFAULT_LIMITS,
  );
  assert.ok(stream instanceof StreamValue);
  assert.equal(stream.length, 3);
});

Deno.test("stream nodes whose listpack entries do not add up fail the stream listpack check", () => {
  const cases: [string, NodeSpec][] = [];
  const good = node([1, 0], [[1, 0], [1, 1]]);
  const withElement = (at: number, value: string | number): NodeSpec => {
    const elements = good.elements.slice();
    elements[at] = value;
    return { master: good.master, elements };
  };
  cases.push(["entry with a wrong lp-count", withElement(9, 5)]);
  cases.push(["entry counts do not match the entries", withElement(0, 3)]);
  cases.push(["master entry without its terminator", withElement(4, 1)]);
  cases.push(["entry without its ID", withElement(6, "x")]);
  cases.push(["bad entry flags", withElement(5, 8)]);
  cases.push(["bad entry flags", withElement(5, "x")]);
  cases.push(["bad master entry counts", withElement(2, 0)]);
  cases.push(["entry IDs out of order", node([1, 0], [[1, 1], [1, 0]])]);
  cases.push(["entry ID before the node's master ID", node([1, 5], [[1, 5], [1, 2]])]);
  cases.push(["entry cut short", { master: good.master, elements: good.elements.slice(0, 8) }]);
  for (const [problem, spec] of cases) {
    assert.match(
      refusal(streamPayload([spec], 2, [9, 9])),
      new RegExp(`^Stream listpack integrity check failed: ${problem} at byte offset \\d+$`),
      problem,
    );
  }
});

Deno.test("stream nodes out of order, or a last ID before the last entry, are refused", () => {
  const a = node([1, 0], [[1, 0]]);
  assert.match(
    refusal(streamPayload([a, a], 2, [9, 9])),
    /^stream node IDs repeated or out of order/,
  );
  assert.match(
    refusal(streamPayload([node([5, 0], [[5, 0]]), node([6, 0], [[4, 0]])], 2, [9, 9])),
    /entry ID before the node's master ID|entry IDs out of order/,
  );
  assert.match(
    refusal(streamPayload([node([2, 0], [[2, 0]]), node([3, 0], [[3, 0]])], 2, [2, 5])),
    /^stream last ID before its last entry/,
  );
});

Deno.test("stream consumer groups with a consumer twice or an unowned pending entry are refused", () => {
  const nodes = [node([1, 0], [[1, 0], [1, 1]])];
  assert.match(
    refusal(streamPayload(nodes, 2, [1, 1], [{
      pending: [],
      consumers: [{ name: "alice", pending: [] }, { name: "alice", pending: [] }],
    }])),
    /Duplicate stream consumer detected/,
  );
  assert.match(
    refusal(streamPayload(nodes, 2, [1, 1], [{ pending: [[1, 0]], consumers: [] }])),
    /PEL entry without a consumer/,
  );
  assert.match(
    refusal(streamPayload(nodes, 2, [1, 1], [{
      pending: [[1, 0]],
      consumers: [{ name: "alice", pending: [[1, 0], [1, 0]] }],
    }])),
    /Consumer PEL entry 1-0/,
  );
});

// ---------------------------------------------------------------------------
// RESTORE: what it logs, what it leaves, DEBUG SET-SKIP-CHECKSUM-VALIDATION.

// Collects the server's warnings instead of printing them.
function captureLog(srv: InProcessServer): string[] {
  const lines: string[] = [];
  srv.server.log.write = (_level, message) => {
    lines.push(message);
  };
  return lines;
}

// A payload holding `body` with its checksum right.
function checkedPayload(type: number, body: ArrayLike<number>): string {
  const payload = payloadOf(type, body);
  return withChecksum(payload.subarray(0, payload.length - 10), Uint8Array.of(RDB_VERSION, 0));
}

Deno.test("RESTORE refuses a damaged payload, logs which check failed and creates nothing", async () => {
  const srv = await startInProcess();
  const log = captureLog(srv);
  try {
    for (const sanitize of ["no", "yes", "clients"]) {
      await srv.call("CONFIG", "SET", "sanitize-dump-payload", sanitize);
      const dups = checkedPayload(TYPE_HASH_LISTPACK, blob(listpack(["a", "1", "a", "2"])));
      assert.equal(await srv.call("RESTORE", "h", "0", dups), "-ERR Bad data format\r\n");
      assert.equal(await srv.call("EXISTS", "h"), ":0\r\n");
    }
    assert.equal(log.filter((line) => line.includes("integrity check failed")).length, 3);
    assert.match(
      log[0],
      /^RESTORE refused a corrupt payload: Hash listpack integrity check failed/,
    );
    // A key RESTORE ... REPLACE would have replaced stays as it was.
    await srv.call("SET", "h", "kept");
    const odd = checkedPayload(TYPE_HASH_LISTPACK, blob(listpack(["a", "1", "b"])));
    assert.equal(await srv.call("RESTORE", "h", "0", odd, "REPLACE"), "-ERR Bad data format\r\n");
    assert.equal(await srv.call("GET", "h"), "$4\r\nkept\r\n");
  } finally {
    await srv.stop();
  }
});

Deno.test("DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 lets RESTORE skip the CRC64, not the value's checks", async () => {
  const srv = await startInProcess([["enable-debug-command", ["yes"]]]);
  captureLog(srv);
  try {
    const good = payloadOf(TYPE_HASH_LISTPACK, blob(listpack(["a", "1"])));
    const bad = payloadOf(TYPE_HASH_LISTPACK, blob(listpack(["a", "1", "a", "2"])));
    const wrong = "-ERR DUMP payload version or checksum are wrong\r\n";
    assert.equal(await srv.call("RESTORE", "k", "0", latin1Text(good)), wrong);
    assert.equal(await srv.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"), "+OK\r\n");
    assert.equal(await srv.call("RESTORE", "k", "0", latin1Text(good)), "+OK\r\n");
    assert.equal(await srv.call("HGET", "k", "a"), "$1\r\n1\r\n");
    assert.equal(
      await srv.call("RESTORE", "k2", "0", latin1Text(bad)),
      "-ERR Bad data format\r\n",
    );
    // The RDB version is still checked.
    const newer = good.slice();
    newer[newer.length - 10] = RDB_VERSION + 1;
    assert.equal(await srv.call("RESTORE", "k3", "0", latin1Text(newer)), wrong);
    assert.equal(await srv.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"), "+OK\r\n");
    assert.equal(await srv.call("RESTORE", "k4", "0", latin1Text(good)), wrong);
  } finally {
    await srv.stop();
  }
});

// Randomly damaged payloads, the checksum not checked, as Redis's corrupt-dump fuzzer
// makes them: one byte, sometimes two, set to a random value. Whatever RESTORE
// accepts must then survive the commands of its type.
Deno.test("randomly damaged payloads of every encoding, checksum skipped, are restored or refused cleanly", async () => {
  const srv = await startInProcess([
    ["enable-debug-command", ["yes"]],
    ["list-max-listpack-size", ["5"]],
    ["hash-max-listpack-entries", ["5"]],
    ["zset-max-listpack-entries", ["5"]],
    ["stream-node-max-entries", ["5"]],
  ]);
  const log = captureLog(srv);
  const internal = `-${ERR_INTERNAL}\r\n`;
  const random = rng(11);
  try {
    await srv.call("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1");
    for (const [suffix, n] of [["", 3], ["big", 10]] as const) {
      for (let j = 0; j < n; j++) {
        const v = j % 2 === 0 ? String(j) : `_${j}`;
        await srv.call("HSET", `hash${suffix}`, String(j), v);
        await srv.call("LPUSH", `list${suffix}`, v);
        await srv.call("ZADD", `zset${suffix}`, String(j), v);
        await srv.call("SADD", `set${suffix}`, v);
        await srv.call("XADD", `stream${suffix}`, `${j + 1}-1`, "item", "1", "value", v);
      }
    }
    await srv.call("SADD", "intset", "1", "2", "300", "70000");
    await srv.call("XGROUP", "CREATE", "stream", "g", "0");
    await srv.call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "stream", ">");
    await srv.call("XDEL", "stream", "2-1");
    await srv.call("XADD", "streambig", "20-1", "item", "1", "unique", "value");
    await srv.call("SET", "string", "str");
    await srv.call("INCR", "int");
    const keys = [
      "hash",
      "hashbig",
      "list",
      "listbig",
      "zset",
      "zsetbig",
      "set",
      "setbig",
      "intset",
      "stream",
      "streambig",
      "string",
      "int",
    ];
    let restored = 0;
    for (let cycle = 0; cycle < 1500; cycle++) {
      const key = keys[Math.floor(random() * keys.length)];
      const payload = bytes(bulkOf(await srv.call("DUMP", key)));
      for (let n = random() > 0.9 ? 2 : 1; n > 0; n--) {
        payload[Math.floor(random() * payload.length)] = Math.floor(random() * 255);
      }
      const reply = await srv.call("RESTORE", "t", "0", latin1Text(payload), "REPLACE");
      if (reply !== "+OK\r\n") {
        assert.match(
          reply,
          /^-ERR (Bad data format|DUMP payload version or checksum are wrong)\r\n$/,
        );
        continue;
      }
      restored++;
      const type = (await srv.call("TYPE", "t")).slice(1, -2);
      for (const argv of [...TOUCH[type] ?? [], ["DUMP", "t"], ["OBJECT", "ENCODING", "t"]]) {
        const answer = await srv.call(...argv);
        assert.notEqual(answer, internal, `${key}: ${argv.join(" ")}`);
      }
    }
    assert.ok(restored > 100, `${restored} restored`);
    assert.deepEqual(log.filter((line) => line.includes("Internal error")), []);
    assert.equal(await srv.call("PING"), "+PONG\r\n");
  } finally {
    await srv.stop();
  }
});

// ---------------------------------------------------------------------------
// RDB files at start-up.

// An RDB file of database 0 holding `entries` ([RDB type, key, body]).
function rdbFile(entries: [number, string, number[]][]): Uint8Array {
  const w = new ByteWriter(256);
  w.latin1(`REDIS00${RDB_VERSION}`);
  w.u8(OP_SELECTDB);
  w.u8(0);
  for (const [type, key, body] of entries) {
    w.u8(type);
    writeString(w, key, false);
    w.bytes(Uint8Array.from(body));
  }
  w.u8(OP_EOF);
  w.bytes(new Uint8Array(8)); // no checksum
  return w.take().slice();
}

async function startWithRdb(file: Uint8Array): Promise<{ code: number; out: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-corrupt-rdb-" });
  try {
    Deno.writeFileSync(`${dir}/dump.rdb`, file);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../src/main.ts", import.meta.url).pathname,
        "--port",
        String(freePort()),
        "--dir",
        dir,
        "--save",
        "",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // A server that loaded the file goes on: it is stopped once it says so.
    const decoder = new TextDecoder();
    let out = "";
    const reader = child.stdout.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      out += decoder.decode(value);
      if (out.includes("Ready to accept")) {
        child.kill("SIGTERM");
      }
    }
    const status = await child.status;
    out += decoder.decode(await new Response(child.stderr).arrayBuffer());
    return { code: status.code, out };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("a damaged value in the RDB file stops start-up, naming the key and the failed check", async () => {
  const { code, out } = await startWithRdb(rdbFile([
    [TYPE_STRING, "fine", [1, 0x78]],
    [TYPE_HASH_ZIPLIST, "broken", blob(ziplist(["a", "1", "a", "2"]))],
  ]));
  assert.equal(code, 1, out);
  assert.match(out, /in the value of key 'broken', type 13 \(hash ziplist\)/);
  assert.equal(
    out.match(/Hash ziplist integrity check failed: ziplist with dup elements/g)?.length,
    2,
  );
  assert.match(out, /# Terminating server after rdb file reading failure\.\n/);
  assert.doesNotMatch(out, /Ready to accept/);
});

Deno.test("empty collections in the RDB file are skipped, each one logged and counted", async () => {
  const { out } = await startWithRdb(rdbFile([
    [TYPE_SET, "set", [0]],
    [TYPE_HASH_ZIPLIST, "hash_ziplist", blob(ziplist([]))],
    [TYPE_LIST_QUICKLIST_2, "list", [1, 2, ...blob(listpack([]))]],
    [TYPE_STRING, "kept", [1, 0x78]],
  ]));
  for (const key of ["set", "hash_ziplist", "list"]) {
    assert.match(out, new RegExp(`skipping empty key: ${key}\n`));
  }
  assert.match(out, /Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 3\./);
});
