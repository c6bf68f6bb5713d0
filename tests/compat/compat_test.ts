// Runs every scenario in tests/compat/scenarios/ on real redis-server and on Redeno and
// demands byte-identical replies (the syntax is documented in harness.ts).
//
// Environment variables:
// - REDENO_COMPAT_PENDING=1 also runs tests/compat/scenarios_pending/: scenarios for
//   features Redeno does not have yet (a file moves to scenarios/ when its feature lands);
// - REDENO_COMPAT_SELF=redis runs every scenario on two real Redis servers instead, to
//   check that a scenario is deterministic before trusting it. With both set, a new
//   pending scenario is verified against Redis alone.

import assert from "node:assert/strict";
import { skipWithout } from "../_server.ts";
import {
  encodeCommand,
  escapeBytes,
  formatDifferences,
  parseScenario,
  ReplyReader,
  runScenario,
  splitLine,
} from "./harness.ts";

const against = Deno.env.get("REDENO_COMPAT_SELF") === "redis" ? "redis" : "redeno";
const folders = ["scenarios"];
if (Deno.env.get("REDENO_COMPAT_PENDING") === "1") folders.push("scenarios_pending");

for (const folder of folders) {
  const dir = new URL(`./${folder}/`, import.meta.url);
  const files = [...Deno.readDirSync(dir)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".txt"))
    .map((entry) => entry.name)
    .sort();
  const where = folder === "scenarios" ? "" : `${folder}/`;
  for (const file of files) {
    Deno.test(
      `scenario ${where}${file} gets the same replies from ${
        against === "redis" ? "a second Redis" : "Redeno"
      } as from Redis`,
      async () => {
        if (skipWithout("redis-server")) return;
        const scenario = parseScenario(file, Deno.readTextFileSync(new URL(file, dir)));
        const result = await runScenario(scenario, { against });
        assert.ok(result.compared > 0, `${file} compared no replies`);
        assert.equal(result.differences.length, 0, formatDifferences(file, result.differences));
      },
    );
  }
}

Deno.test("scenario lines split like Redis inline commands", () => {
  assert.deepEqual(splitLine(`SET k "a b" 'c d' e`), ["SET", "k", "a b", "c d", "e"]);
  assert.deepEqual(splitLine(`SET "\\x00\\xff\\r\\n" "\\"q\\\\"`), ["SET", "\x00\xff\r\n", '"q\\']);
  assert.deepEqual(splitLine(`SET k ''`), ["SET", "k", ""]);
  assert.deepEqual(splitLine(`SET k 'it\\'s'`), ["SET", "k", "it's"]);
  assert.deepEqual(splitLine(`a"b c"d`), null);
  assert.deepEqual(splitLine(`a"b c" d`), ["ab c", "d"]);
  assert.equal(splitLine(`SET "open`), null);
  assert.deepEqual(splitLine("   "), []);
  assert.deepEqual(splitLine("SET {{v}} '{{v}}'", new Map([["v", "xyz"]])), [
    "SET",
    "xyz",
    "{{v}}",
  ]);
});

Deno.test("scenario directives parse into steps", () => {
  const scenario = parseScenario(
    "t.txt",
    "@args --databases 4\n# comment\n\n@let big ab 3\nSET k {{big}}\n@resp3\n" +
      "@skip-reply CLIENT ID\n@sort HGETALL h\n@read\n@sleep 5\n@reconnect\n",
  );
  assert.deepEqual(scenario.args, ["--databases", "4"]);
  assert.equal(scenario.aof, false);
  assert.deepEqual(scenario.steps, [
    { kind: "command", line: 5, client: 1, argv: ["SET", "k", "ababab"], compare: "bytes" },
    { kind: "hello", line: 6, client: 1, version: 3 },
    { kind: "command", line: 7, client: 1, argv: ["CLIENT", "ID"], compare: "type" },
    { kind: "command", line: 8, client: 1, argv: ["HGETALL", "h"], compare: "sorted" },
    { kind: "read", line: 9, client: 1 },
    { kind: "sleep", line: 10, ms: 5 },
    { kind: "reconnect", line: 11, client: 1 },
  ]);
  assert.throws(() => parseScenario("t.txt", "@bogus\n"), /t\.txt:1: unknown directive/);
  assert.throws(() => parseScenario("t.txt", "GET k\n@args --port 1\n"), /before the first/);
});

Deno.test("client numbers pick the connection a line runs on", () => {
  const scenario = parseScenario(
    "t.txt",
    "2: GET k\n@send 3: BLPOP q 0\n3: @read\n@read 3: 2\n@none 2:\n@resp3 2:\n" +
      "@skip-reply 2: CLIENT ID\n@sort 4: SMEMBERS s\n@reconnect 2:\n" +
      "@mask (?<=id=)\\d+ '\\d+ x'\n@mask\n@aof\n12:PING\n@id 3: c3\nCLIENT UNBLOCK {{c3}}\n",
  );
  assert.equal(scenario.aof, true);
  assert.deepEqual(scenario.steps, [
    { kind: "command", line: 1, client: 2, argv: ["GET", "k"], compare: "bytes" },
    { kind: "send", line: 2, client: 3, argv: ["BLPOP", "q", "0"] },
    { kind: "read", line: 3, client: 3 },
    { kind: "read", line: 4, client: 3 },
    { kind: "read", line: 4, client: 3 },
    { kind: "none", line: 5, client: 2 },
    { kind: "hello", line: 6, client: 2, version: 3 },
    { kind: "command", line: 7, client: 2, argv: ["CLIENT", "ID"], compare: "type" },
    { kind: "command", line: 8, client: 4, argv: ["SMEMBERS", "s"], compare: "sorted" },
    { kind: "reconnect", line: 9, client: 2 },
    { kind: "mask", line: 10, patterns: ["(?<=id=)\\d+", "\\d+ x"] },
    { kind: "mask", line: 11, patterns: [] },
    { kind: "aof", line: 12 },
    { kind: "command", line: 13, client: 12, argv: ["PING"], compare: "bytes" },
    { kind: "id", line: 14, client: 3, name: "c3" },
    // Each server gets its own id in place of {{c3}} when the line runs.
    {
      kind: "command",
      line: 15,
      client: 1,
      argv: ["CLIENT", "UNBLOCK", "{{c3}}"],
      compare: "bytes",
    },
  ]);
  assert.throws(() => parseScenario("t.txt", "0: PING\n"), /numbered from 1/);
  assert.throws(() => parseScenario("t.txt", "2: @read 3:\n"), /two client numbers/);
  assert.throws(() => parseScenario("t.txt", "@sleep 2: 5\n"), /takes no client/);
  assert.throws(() => parseScenario("t.txt", "@read 2: x\n"), /count of replies/);
  assert.throws(() => parseScenario("t.txt", "@none 2: x\n"), /takes no arguments/);
  assert.throws(() => parseScenario("t.txt", "@mask (\n"), /bad regex/);
  assert.throws(() => parseScenario("t.txt", "@send 2:\n"), /no command/);
});

Deno.test("the harness drives several clients and catches what differs (Redis against Redis)", async () => {
  if (skipWithout("redis-server")) return;
  const ok = parseScenario(
    "ok.txt",
    [
      "@send 2: BLPOP q 0",
      "@none 2:",
      "RPUSH q a",
      "@read 2:",
      "@id 3: c3",
      "@send 3: BRPOP q 0",
      "CLIENT UNBLOCK {{c3}} ERROR",
      "@read 3:",
      "@resp3 4:",
      "4: SUBSCRIBE ch",
      "4: PUBLISH ch m",
      "@read 4:",
      "@mask (?<=id=)\\d+ (?<=addr=|laddr=|fd=|age=|idle=|tot-mem=)[\\d.:]+",
      "CLIENT INFO",
      "@mask",
      "@aof",
    ].join("\n"),
  );
  const passed = await runScenario(ok, { against: "redis" });
  assert.equal(passed.differences.length, 0, formatDifferences("ok.txt", passed.differences));
  assert.equal(passed.compared, 12);
  // A message nobody expected, and a reply that never comes, are differences.
  const bad = parseScenario("bad.txt", "2: SUBSCRIBE ch\nPUBLISH ch m\n@none 2:\n@read 3:\n");
  const failed = await runScenario(bad, { against: "redis", replyTimeoutMs: 300 });
  assert.deepEqual(failed.differences.map((d) => [d.line, d.command]), [
    [3, "2: @none"],
    [4, "3: @read"],
  ]);
});

Deno.test("the reply reader takes exactly one RESP2 or RESP3 reply at a time", async () => {
  const replies = [
    "+OK\r\n",
    "-ERR x\r\n",
    ":-5\r\n",
    "$-1\r\n",
    "$5\r\na\r\nbc\r\n",
    "*-1\r\n",
    "*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
    "_\r\n",
    ",1.5\r\n",
    "#t\r\n",
    "(12345678901234567890\r\n",
    "!3\r\nERR\r\n",
    "=7\r\ntxt:abc\r\n",
    "%1\r\n+k\r\n~2\r\n:1\r\n:2\r\n",
    ">2\r\n+message\r\n+x\r\n",
    "|1\r\n+key\r\n+attr\r\n:7\r\n",
  ];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    const all = new TextEncoder().encode(replies.join(""));
    // Cut the stream into uneven pieces so replies straddle reads.
    for (let i = 0; i < all.length; i += 7) {
      await conn.write(all.subarray(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    conn.close();
  })();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const reader = new ReplyReader(conn);
  for (const expected of replies) assert.equal((await reader.read()).raw, expected);
  assert.equal((await reader.read()).raw, "<closed>");
  await serving;
  conn.close();
  listener.close();
});

Deno.test("commands are encoded as multibulk and reports escape bytes", () => {
  assert.equal(
    new TextDecoder().decode(encodeCommand(["SET", "k", ""])),
    "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n",
  );
  assert.deepEqual(
    encodeCommand(["\xff"]),
    new Uint8Array([42, 49, 13, 10, 36, 49, 13, 10, 255, 13, 10]),
  );
  assert.equal(escapeBytes('a\r\n\x00\xff"\\'), '"a\\r\\n\\x00\\xff\\"\\\\"');
  assert.equal(escapeBytes("abcdef", 3), '"abc... (6 bytes)"');
});
