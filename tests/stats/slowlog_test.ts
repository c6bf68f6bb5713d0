// Unit tests of the slow log: threshold and length from the configuration, ids,
// argument trimming and redaction as Redis 7.0.15 does them.

import assert from "node:assert/strict";
import { Config } from "../../src/config/mod.ts";
import { entryArgs, SlowLog } from "../../src/stats/slowlog.ts";

function slowlog(settings: [string, string][] = []): { log: SlowLog; config: Config } {
  const config = new Config();
  assert.equal(config.set(settings), null);
  return { log: new SlowLog({ config }), config };
}

const client = { name: "worker", facts: { addr: "127.0.0.1:5000" } };

Deno.test("only commands at or above slowlog-log-slower-than are logged", () => {
  const { log } = slowlog([["slowlog-log-slower-than", "100"]]);
  assert.equal(log.record(client, ["PING"], 99), false);
  assert.equal(log.record(client, ["PING"], 100), true);
  assert.equal(log.length, 1);
});

Deno.test("logs() says whether a duration would be logged, without logging it", () => {
  const { log, config } = slowlog([["slowlog-log-slower-than", "100"]]);
  assert.equal(log.logs(99.4), false);
  assert.equal(log.logs(99.5), true);
  config.set([["slowlog-log-slower-than", "-1"]]);
  assert.equal(log.logs(1e9), false);
  assert.equal(log.length, 0);
});

Deno.test("a negative threshold turns the log off, zero logs everything", () => {
  const { log, config } = slowlog([["slowlog-log-slower-than", "-1"]]);
  assert.equal(log.record(client, ["PING"], 1e9), false);
  config.set([["slowlog-log-slower-than", "0"]]);
  assert.equal(log.record(client, ["PING"], 0), true);
});

Deno.test("entries come newest first with their id, time, duration, client address and name", () => {
  const { log } = slowlog([["slowlog-log-slower-than", "0"]]);
  const before = Math.floor(Date.now() / 1000);
  log.record(client, ["SET", "k", "v"], 12.4);
  log.record({ name: "", facts: { addr: "10.0.0.1:1" } }, ["GET", "k"], 7);
  const [newest, oldest] = log.get(-1);
  assert.deepEqual({ ...newest, time: 0 }, {
    id: 1,
    time: 0,
    durationUs: 7,
    args: ["GET", "k"],
    addr: "10.0.0.1:1",
    name: "",
  });
  assert.equal(oldest.id, 0);
  assert.equal(oldest.durationUs, 12);
  assert.equal(oldest.name, "worker");
  assert.ok(oldest.time >= before && oldest.time <= before + 1);
  assert.equal(log.get(1).length, 1);
  assert.equal(log.get(0).length, 0);
  assert.equal(log.get(10).length, 2);
});

Deno.test("slowlog-max-len keeps the newest entries, and ids keep counting after RESET", () => {
  const { log } = slowlog([["slowlog-log-slower-than", "0"], ["slowlog-max-len", "3"]]);
  for (let i = 0; i < 5; i++) log.record(client, ["INCR", String(i)], 1);
  assert.deepEqual(log.get(-1).map((e) => e.id), [4, 3, 2]);
  log.reset();
  assert.equal(log.length, 0);
  log.record(client, ["PING"], 1);
  assert.equal(log.get(1)[0].id, 5);
});

Deno.test("slowlog-max-len 0 keeps nothing", () => {
  const { log } = slowlog([["slowlog-log-slower-than", "0"], ["slowlog-max-len", "0"]]);
  log.record(client, ["PING"], 1);
  assert.equal(log.length, 0);
});

Deno.test("more than 32 arguments keep 31 and say how many more there were", () => {
  const argv = ["SADD", "set", ...Array.from({ length: 31 }, (_, i) => String(i + 3))];
  const args = entryArgs(argv);
  assert.equal(args.length, 32);
  assert.equal(args[30], "31");
  assert.equal(args[31], "... (2 more arguments)");
  assert.equal(entryArgs(argv.slice(0, 32)).length, 32);
});

Deno.test("arguments over 128 bytes are cut and say how many bytes more there were", () => {
  const [, , , arg] = entryArgs(["SADD", "set", "foo", "A".repeat(129)]);
  assert.equal(arg, "A".repeat(128) + "... (1 more bytes)");
  assert.equal(entryArgs(["GET", "B".repeat(128)])[1], "B".repeat(128));
});

Deno.test("secrets are redacted", () => {
  assert.deepEqual(entryArgs(["AUTH", "pw"]), ["AUTH", "(redacted)"]);
  assert.deepEqual(entryArgs(["auth", "user", "pw"]), ["auth", "(redacted)", "(redacted)"]);
  assert.deepEqual(
    entryArgs(["HELLO", "3", "SETNAME", "n", "AUTH", "u", "p"]),
    ["HELLO", "3", "SETNAME", "n", "AUTH", "(redacted)", "(redacted)"],
  );
  assert.deepEqual(
    entryArgs(["config", "set", "requirepass", "pw", "maxmemory", "1mb"]),
    ["config", "set", "requirepass", "(redacted)", "maxmemory", "1mb"],
  );
  assert.deepEqual(
    entryArgs(["acl", "setuser", "u", "+get"]),
    ["acl", "setuser", "(redacted)", "(redacted)"],
  );
  assert.deepEqual(
    entryArgs(["migrate", "h", "1", "key", "9", "5000", "AUTH2", "u", "p"]),
    ["migrate", "h", "1", "key", "9", "5000", "AUTH2", "(redacted)", "(redacted)"],
  );
  assert.deepEqual(entryArgs(["config", "set", "maxmemory", "1mb"]), [
    "config",
    "set",
    "maxmemory",
    "1mb",
  ]);
});

Deno.test("the arguments are copied, so later changes to argv do not show", () => {
  const { log } = slowlog([["slowlog-log-slower-than", "0"]]);
  const argv = ["SPOP", "set", "10"];
  log.record(client, argv, 1);
  argv.splice(0, 3, "DEL", "set");
  assert.deepEqual(log.get(1)[0].args, ["SPOP", "set", "10"]);
});
