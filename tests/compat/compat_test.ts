// Runs every scenario in tests/compat/scenarios/ on real redis-server and on Redeno and
// demands byte-identical replies (the syntax is documented in harness.ts).

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

const dir = new URL("./scenarios/", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .filter((entry) => entry.isFile && entry.name.endsWith(".txt"))
  .map((entry) => entry.name)
  .sort();

for (const file of files) {
  Deno.test(`scenario ${file} gets the same replies from Redeno as from Redis`, async () => {
    if (skipWithout("redis-server")) return;
    const scenario = parseScenario(file, Deno.readTextFileSync(new URL(file, dir)));
    const result = await runScenario(scenario);
    assert.ok(result.compared > 0, `${file} compared no replies`);
    assert.equal(result.differences.length, 0, formatDifferences(file, result.differences));
  });
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
  assert.deepEqual(scenario.steps, [
    { kind: "command", line: 5, argv: ["SET", "k", "ababab"], compare: "bytes" },
    { kind: "hello", line: 6, version: 3 },
    { kind: "command", line: 7, argv: ["CLIENT", "ID"], compare: "type" },
    { kind: "command", line: 8, argv: ["HGETALL", "h"], compare: "sorted" },
    { kind: "read", line: 9 },
    { kind: "sleep", line: 10, ms: 5 },
    { kind: "reconnect", line: 11 },
  ]);
  assert.throws(() => parseScenario("t.txt", "@bogus\n"), /t\.txt:1: unknown directive/);
  assert.throws(() => parseScenario("t.txt", "GET k\n@args --port 1\n"), /before the first/);
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
