// COMMAND and its subcommands over TCP against a running Redeno; shapes are checked
// against real Redis 7.0.15 when redis-server is installed.

import assert from "node:assert/strict";
import { encodeCommand, type Reply, ReplyReader } from "../compat/harness.ts";
import {
  freePort,
  hasTool,
  redisCli,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedis,
} from "../_server.ts";

/** A decoded reply: strings, numbers, null, arrays, {error}, and maps as [key, value][]. */
type Value = string | number | boolean | null | { error: string } | Value[] | { map: Value[][] };

function decode(reply: Reply): Value {
  const eol = reply.raw.indexOf("\r\n");
  const line = reply.raw.slice(1, eol);
  switch (reply.type) {
    case "+":
      return line;
    case "-":
      return { error: line };
    case ":":
      return Number(line);
    case "_":
      return null;
    case "#":
      return line === "t";
    case "$":
    case "=":
      if (Number(line) < 0) return null;
      return reply.raw.slice(eol + 2 + (reply.type === "=" ? 4 : 0), -2);
    case "*":
    case "~":
      return reply.children === undefined ? null : reply.children.map(decode);
    case "%": {
      const kids = reply.children!.map(decode);
      const pairs: Value[][] = [];
      for (let i = 0; i < kids.length; i += 2) pairs.push([kids[i], kids[i + 1]]);
      return { map: pairs };
    }
    default:
      throw new Error(`unexpected reply ${reply.raw}`);
  }
}

/** One connection: `raw` answers the reply's bytes, `call` the decoded reply. */
interface Client {
  raw(...argv: string[]): Promise<string>;
  call(...argv: string[]): Promise<Value>;
  close(): void;
}

async function connect(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  const send = async (argv: string[]) => {
    await conn.write(encodeCommand(argv));
    return await reader.read();
  };
  return {
    raw: async (...argv) => (await send(argv)).raw,
    call: async (...argv) => decode(await send(argv)),
    close: () => conn.close(),
  };
}

// Whether dispatch lets a container command with a handler run without a subcommand.
async function bareCommandRuns(c: Client): Promise<boolean> {
  const raw = await c.raw("COMMAND");
  if (raw.startsWith("-ERR wrong number of arguments for 'command' command")) {
    console.log("SKIP: dispatch answers a bare COMMAND with an arity error");
    return false;
  }
  return true;
}

// The exact bytes real Redis 7.0.15 sends for COMMAND INFO GET in RESP2.
const GET_INFO = "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" +
  "*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n" +
  "+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" +
  "*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n" +
  "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

// Replaces texts written in our own words, so shapes can be compared with Redis's.
function shape(value: Value): Value {
  if (Array.isArray(value)) {
    const out: Value[] = [];
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      out.push(
        i > 0 && (value[i - 1] === "summary" || value[i - 1] === "complexity")
          ? "<text>"
          : shape(v),
      );
    }
    return out;
  }
  if (value !== null && typeof value === "object" && "map" in value) {
    return {
      map: value.map.map((
        [k, v],
      ) => [k, k === "summary" || k === "complexity" ? "<text>" : shape(v)]),
    };
  }
  return value;
}

Deno.test("COMMAND and its subcommands", async (t) => {
  const server = await startRedeno(freePort());
  let redis: RunningServer | null = null;
  const c = await connect(server.port);
  try {
    if (!skipWithout("redis-server")) redis = await startRedis(freePort());

    await t.step("COMMAND COUNT answers the number of top-level commands", async () => {
      const count = await c.call("COMMAND", "COUNT");
      const names = await c.call("COMMAND", "LIST") as string[];
      assert.equal(count, names.filter((n) => !n.includes("|")).length);
      assert.ok((count as number) > 10);
    });

    await t.step({
      name: "COMMAND without arguments describes every top-level command",
      // Dispatch still answers a bare container command with an arity error; COMMAND
      // (arity -1) must run its own handler when no subcommand is given.
      ignore: !(await bareCommandRuns(c)),
      fn: async () => {
        const all = await c.call("COMMAND") as Value[][];
        assert.equal(all.length, await c.call("COMMAND", "COUNT"));
        const names = all.map((entry) => entry[0]);
        for (const name of ["get", "set", "config", "command", "info"]) {
          assert.ok(names.includes(name), name);
        }
        assert.ok(all.every((entry) => entry.length === 10));
      },
    });

    await t.step("COMMAND INFO GET sends the same bytes as Redis 7.0.15", async () => {
      assert.equal(await c.raw("COMMAND", "INFO", "get"), `*1\r\n${GET_INFO}`);
      assert.equal(await c.raw("COMMAND", "INFO", "GeT"), `*1\r\n${GET_INFO}`);
    });

    await t.step("COMMAND INFO answers nil for a command it does not know", async () => {
      assert.equal(await c.raw("COMMAND", "INFO", "nosuch", "get"), `*2\r\n$-1\r\n${GET_INFO}`);
      assert.equal(
        await c.raw("COMMAND", "INFO", "nosuch|x", "config|nosuch"),
        "*2\r\n$-1\r\n$-1\r\n",
      );
    });

    await t.step(
      "COMMAND INFO derives categories and key specs from flags and positions",
      async () => {
        const [del] = await c.call("COMMAND", "INFO", "del") as Value[][];
        assert.deepEqual(del.slice(0, 7), ["del", -2, ["write"], 1, -1, 1, [
          "@keyspace",
          "@write",
          "@slow",
        ]]);
        const [spec] = del[8] as Value[][];
        assert.deepEqual(spec.slice(2), [
          "begin_search",
          ["type", "index", "spec", ["index", 1]],
          "find_keys",
          ["type", "range", "spec", ["lastkey", -1, "keystep", 1, "limit", 0]],
        ]);
      },
    );

    await t.step("COMMAND INFO CONFIG lists the subcommands under their full names", async () => {
      const [config] = await c.call("COMMAND", "INFO", "config") as Value[][];
      assert.deepEqual(config.slice(0, 9), ["config", -2, [], 0, 0, 0, ["@slow"], [], []]);
      const subs = config[9] as Value[][];
      const get = subs.find((s) => s[0] === "config|get")!;
      assert.deepEqual(get, [
        "config|get",
        -3,
        ["admin", "noscript", "loading", "stale"],
        0,
        0,
        0,
        ["@admin", "@slow", "@dangerous"],
        [],
        [],
        [],
      ]);
      assert.deepEqual(await c.call("COMMAND", "INFO", "CONFIG|GET"), [get]);
    });

    await t.step("COMMAND INFO uses sets and nulls in RESP3", async () => {
      const r3 = await connect(server.port);
      try {
        await r3.call("HELLO", "3");
        const raw = await r3.raw("COMMAND", "INFO", "get", "nosuch");
        assert.ok(raw.startsWith("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n"), raw);
        assert.ok(raw.includes("~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n"), raw);
        assert.ok(raw.endsWith("~0\r\n_\r\n"), raw);
      } finally {
        r3.close();
      }
    });

    await t.step("COMMAND DOCS GET answers a map of name to docs", async () => {
      const docs = await c.call("COMMAND", "DOCS", "get") as Value[];
      assert.equal(docs[0], "get");
      const doc = docs[1] as Value[];
      assert.deepEqual(doc.filter((_, i) => i % 2 === 0), [
        "summary",
        "since",
        "group",
        "complexity",
        "arguments",
      ]);
      assert.deepEqual(doc.slice(2, 6), ["since", "1.0.0", "group", "string"]);
      assert.deepEqual(doc[9], [["name", "key", "type", "key", "key_spec_index", 0]]);
    });

    await t.step("COMMAND DOCS leaves out names it does not know", async () => {
      assert.equal(await c.raw("COMMAND", "DOCS", "nosuch"), "*0\r\n");
      const docs = await c.call("COMMAND", "DOCS", "nosuch", "GET") as Value[];
      assert.equal(docs.length, 2);
      assert.equal(docs[0], "get");
    });

    await t.step("COMMAND DOCS describes argument tokens, flags and nesting", async () => {
      const [, set] = await c.call("COMMAND", "DOCS", "set") as Value[][];
      const args = set[set.indexOf("arguments") + 1] as Value[][];
      assert.deepEqual(args[0], ["name", "key", "type", "key", "key_spec_index", 0]);
      assert.deepEqual(args[1], ["name", "value", "type", "string"]);
      const condition = args[2];
      assert.deepEqual(condition.slice(0, 6), ["name", "condition", "type", "oneof", "flags", [
        "optional",
      ]]);
      assert.deepEqual((condition[7] as Value[])[0], [
        "name",
        "nx",
        "type",
        "pure-token",
        "token",
        "NX",
      ]);
    });

    await t.step("COMMAND DOCS CONFIG nests the subcommands' docs", async () => {
      const [, config] = await c.call("COMMAND", "DOCS", "config") as Value[][];
      assert.equal(config[config.length - 2], "subcommands");
      const subs = config[config.length - 1] as Value[];
      const names = subs.filter((_, i) => i % 2 === 0).sort();
      assert.deepEqual(names, [
        "config|get",
        "config|help",
        "config|resetstat",
        "config|rewrite",
        "config|set",
      ]);
      const docs = await c.call("COMMAND", "DOCS", "config|set") as Value[];
      assert.equal(docs[0], "config|set");
    });

    await t.step("COMMAND DOCS answers a map in RESP3", async () => {
      const r3 = await connect(server.port);
      try {
        await r3.call("HELLO", "3");
        const raw = await r3.raw("COMMAND", "DOCS", "get");
        assert.ok(raw.startsWith("%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n"), raw);
        assert.ok(
          raw.endsWith(
            "$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n" +
              "$4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n",
          ),
          raw,
        );
      } finally {
        r3.close();
      }
    });

    await t.step("COMMAND LIST names commands and subcommands, optionally filtered", async () => {
      const all = await c.call("COMMAND", "LIST") as string[];
      assert.ok(all.includes("get") && all.includes("config|get") && all.includes("command|docs"));
      const conf = await c.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONF*") as string[];
      assert.deepEqual(conf.sort(), [
        "config",
        "config|get",
        "config|help",
        "config|resetstat",
        "config|rewrite",
        "config|set",
      ]);
      const hash = await c.call("COMMAND", "LIST", "filterby", "aclcat", "HASH") as string[];
      assert.ok(hash.includes("hset") && !hash.includes("get"));
      const dangerous = await c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "dangerous");
      assert.ok((dangerous as string[]).includes("config|set"));
      assert.deepEqual(await c.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "@hash"), []);
      assert.deepEqual(await c.call("COMMAND", "LIST", "FILTERBY", "MODULE", "foo"), []);
    });

    await t.step(
      "COMMAND LIST filters as Redis 7.0.15 does, for the commands both know",
      async () => {
        if (redis === null) return;
        const real = await connect(redis.port);
        try {
          const ours = new Set(await c.call("COMMAND", "LIST") as string[]);
          const categories = await real.call("ACL", "CAT") as string[];
          const filters = [
            ...[...categories, "non_existing_category"].map((cat) => ["ACLCAT", cat]),
            ...["set", "config|*re*", "cl*help", "*|help", "non_exists*", "Z*"].map((p) => [
              "PATTERN",
              p,
            ]),
            ["MODULE", "non_existing_module"],
          ];
          for (const filter of filters) {
            const mine = await c.call("COMMAND", "LIST", "FILTERBY", ...filter) as string[];
            const theirs = await real.call("COMMAND", "LIST", "FILTERBY", ...filter) as string[];
            assert.deepEqual(
              mine.sort(),
              theirs.filter((name) => ours.has(name)).sort(),
              filter.join(" "),
            );
          }
        } finally {
          real.close();
        }
      },
    );

    await t.step("COMMAND LIST rejects a malformed filter with a syntax error", async () => {
      for (
        const argv of [
          ["x"],
          ["FILTERBY"],
          ["FILTERBY", "PATTERN"],
          ["FILTERBY", "foo", "bar"],
          ["FILTERBY", "PATTERN", "c*", "extra"],
        ]
      ) {
        assert.equal(await c.raw("COMMAND", "LIST", ...argv), "-ERR syntax error\r\n");
      }
    });

    await t.step("COMMAND GETKEYS finds the keys of a command line", async () => {
      assert.deepEqual(await c.call("COMMAND", "GETKEYS", "GET", "a"), ["a"]);
      assert.deepEqual(await c.call("COMMAND", "GETKEYS", "set", "a", "b", "EX", "10"), ["a"]);
      assert.deepEqual(await c.call("COMMAND", "GETKEYS", "del", "a", "b", "c"), ["a", "b", "c"]);
      assert.deepEqual(await c.call("COMMAND", "GETKEYS", "hset", "h", "f", "v"), ["h"]);
    });

    await t.step("COMMAND GETKEYS answers Redis's errors", async () => {
      const cases: [string[], string][] = [
        [["nosuch", "a"], "-ERR Invalid command specified\r\n"],
        [["config", "nosuch"], "-ERR Invalid command specified\r\n"],
        [["config", "get", "x"], "-ERR The command has no key arguments\r\n"],
        [["config", "get"], "-ERR The command has no key arguments\r\n"],
        [["echo", "a"], "-ERR The command has no key arguments\r\n"],
        [["get", "a", "b"], "-ERR Invalid number of arguments specified for command\r\n"],
        [["hset", "h", "f"], "-ERR Invalid number of arguments specified for command\r\n"],
        [["get"], "-ERR wrong number of arguments for 'command|getkeys' command\r\n"],
      ];
      for (const [argv, error] of cases) {
        assert.equal(await c.raw("COMMAND", "GETKEYS", ...argv), error, argv.join(" "));
      }
    });

    await t.step("COMMAND GETKEYSANDFLAGS pairs each key with its access flags", async () => {
      assert.deepEqual(await c.call("COMMAND", "GETKEYSANDFLAGS", "get", "k"), [[
        "k",
        ["RO", "access"],
      ]]);
      assert.deepEqual(await c.call("COMMAND", "GETKEYSANDFLAGS", "hset", "h", "f", "v"), [[
        "h",
        ["RW", "update"],
      ]]);
      assert.deepEqual(await c.call("COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"), [
        ["a", ["OW", "update"]],
        ["b", ["OW", "update"]],
      ]);
      assert.deepEqual(
        await c.call("COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2", "a", "b"),
        [["d", ["OW", "update"]], ["a", ["RO", "access"]], ["b", ["RO", "access"]]],
      );
    });

    await t.step(
      "COMMAND GETKEYSANDFLAGS gives SET and BITFIELD the flags of the call",
      async () => {
        const cases: [string[], string[]][] = [
          [["set", "k", "v"], ["OW", "update"]],
          [["set", "k", "get"], ["OW", "update"]],
          [["set", "k", "v", "EX", "10", "GeT"], ["RW", "access", "update"]],
          [["bitfield", "k"], ["RO", "access"]],
          [["bitfield", "k", "GET", "u8", "0", "OVERFLOW", "SAT"], ["RO", "access"]],
          [["bitfield", "k", "get", "set", "0"], ["RO", "access"]],
          [["bitfield", "k", "get", "u8", "0", "incrby", "u8", "0", "1"], [
            "RW",
            "access",
            "update",
          ]],
          [["bitfield", "k", "overflow"], ["RW", "access", "update"]],
          [["bitfield", "k", "nosuch"], ["RW", "access", "update"]],
        ];
        const real = redis === null ? null : await connect(redis.port);
        try {
          for (const [argv, flags] of cases) {
            const ours = await c.call("COMMAND", "GETKEYSANDFLAGS", ...argv);
            assert.deepEqual(ours, [["k", flags]], argv.join(" "));
            if (real !== null) {
              assert.deepEqual(ours, await real.call("COMMAND", "GETKEYSANDFLAGS", ...argv));
            }
          }
        } finally {
          real?.close();
        }
      },
    );

    await t.step(
      "COMMAND GETKEYS reads key counts, and refuses one that does not fit",
      async () => {
        const keys = Array.from({ length: 260 }, (_, i) => `key${i + 1}`);
        assert.deepEqual(
          await c.call("COMMAND", "GETKEYS", "ZUNIONSTORE", "target", "260", ...keys),
          ["target", ...keys],
        );
        assert.deepEqual(await c.call("COMMAND", "GETKEYS", "zinter", "1", "a", "b", "c"), ["a"]);
        assert.deepEqual(await c.call("COMMAND", "GETKEYS", "zmpop", "2", "a", "b", "min"), [
          "a",
          "b",
        ]);
        assert.deepEqual(await c.call("COMMAND", "GETKEYS", "bzmpop", "0", "1", "a", "max"), ["a"]);
        for (const count of ["0", "-1", "3", "x", "01"]) {
          assert.equal(
            await c.raw("COMMAND", "GETKEYS", "zunionstore", "d", count, "a", "b"),
            "-ERR Invalid arguments specified for command\r\n",
            count,
          );
        }
      },
    );

    await t.step("COMMAND INFO marks commands whose keys move as movablekeys", async () => {
      const flagsOf = async (name: string) =>
        ((await c.call("COMMAND", "INFO", name)) as Value[][])[0][2] as string[];
      for (const name of ["zunionstore", "zunion", "zmpop", "bzmpop", "lmpop", "zintercard"]) {
        assert.ok((await flagsOf(name)).includes("movablekeys"), name);
      }
      for (const name of ["set", "get", "mset", "bitfield", "lmove", "blpop", "memory|usage"]) {
        assert.ok(!(await flagsOf(name)).includes("movablekeys"), name);
      }
    });

    await t.step("COMMAND INFO answers nil for a subcommand of a command without any", async () => {
      assert.equal(
        await c.raw("COMMAND", "INFO", "get|key", "config|get|key"),
        "*2\r\n$-1\r\n$-1\r\n",
      );
    });

    await t.step("COMMAND INFO matches Redis 7.0.15 for every command both know", async () => {
      if (redis === null) return;
      const real = await connect(redis.port);
      try {
        const theirs = new Set(await real.call("COMMAND", "LIST") as string[]);
        const names = (await c.call("COMMAND", "LIST") as string[]).filter((n) => theirs.has(n));
        assert.ok(names.length > 100);
        for (const name of names) {
          const [ours] = await c.call("COMMAND", "INFO", name) as Value[][];
          const [real7] = await real.call("COMMAND", "INFO", name) as Value[][];
          // Tips and key-spec notes are Redis's documentation; subcommands are compared
          // one by one under their own names.
          const comparable = (entry: Value[]) => [
            ...entry.slice(0, 7),
            (entry[8] as Value[][]).map((spec) => {
              const at = spec.indexOf("notes");
              return at < 0 ? spec : [...spec.slice(0, at), ...spec.slice(at + 2)];
            }),
          ];
          assert.deepEqual(comparable(ours), comparable(real7), `COMMAND INFO ${name}`);
        }
      } finally {
        real.close();
      }
    });

    await t.step("COMMAND checks the arity of its subcommands as Redis does", async () => {
      const cases: [string[], string][] = [
        [["COUNT", "x"], "command|count"],
        [["HELP", "x"], "command|help"],
      ];
      for (const [argv, name] of cases) {
        assert.equal(
          await c.raw("COMMAND", ...argv),
          `-ERR wrong number of arguments for '${name}' command\r\n`,
        );
      }
      assert.equal(
        await c.raw("COMMAND", "foo"),
        "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n",
      );
    });

    await t.step("COMMAND HELP lists the subcommands as status lines", async () => {
      const help = await c.call("COMMAND", "HELP") as string[];
      assert.equal(help[0], "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
      for (const word of ["COUNT", "LIST", "INFO", "DOCS", "GETKEYS", "HELP"]) {
        assert.ok(help.some((line) => line.startsWith(word)), word);
      }
      assert.ok((await c.raw("COMMAND", "HELP")).includes("\r\n+HELP\r\n"));
    });

    await t.step("COMMAND INFO and DOCS have the shape Redis 7.0.15 gives them", async () => {
      if (redis === null) return;
      const real = await connect(redis.port);
      try {
        for (const protocol of ["2", "3"]) {
          await c.call("HELLO", protocol);
          await real.call("HELLO", protocol);
          for (const name of ["get", "hset", "hget", "hgetall", "ping", "client|list"]) {
            assert.deepEqual(
              await c.call("COMMAND", "INFO", name),
              await real.call("COMMAND", "INFO", name),
              `COMMAND INFO ${name} (RESP${protocol})`,
            );
          }
          const ours = await c.call("COMMAND", "DOCS", "get", "hgetall", "config|resetstat");
          const theirs = await real.call("COMMAND", "DOCS", "get", "hgetall", "config|resetstat");
          assert.deepEqual(shape(ours), shape(theirs), `COMMAND DOCS (RESP${protocol})`);
        }
        await c.call("HELLO", "2");
      } finally {
        real.close();
      }
    });

    await t.step("redis-cli builds its help from our COMMAND DOCS", async () => {
      if (skipWithout("redis-cli")) return;
      const { stdout } = await redisCli(server.port, ["help", "set"]);
      // deno-lint-ignore no-control-regex
      const text = stdout.replace(/\x1b\[[0-9;]*m/g, "");
      assert.ok(text.includes("SET key value [NX|XX] [GET] [EX seconds|PX milliseconds"), text);
      const [, set] = await c.call("COMMAND", "DOCS", "set") as Value[][];
      assert.ok(text.includes(`summary: ${set[1]}`), text);
    });

    await t.step("redis-cli shows argument hints while typing a command", async () => {
      if (!hasTool("tmux") || !hasTool("redis-cli")) {
        console.log("SKIP: needs tmux and redis-cli");
        return;
      }
      const session = `redeno-hints-${server.port}`;
      const tmux = (...args: string[]) =>
        new Deno.Command("tmux", { args, stdout: "piped", stderr: "null" }).output();
      await tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "200",
        "-y",
        "10",
        `redis-cli -p ${server.port}`,
      );
      try {
        await new Promise((r) => setTimeout(r, 500));
        await tmux("send-keys", "-t", session, "HSET ");
        let screen = "";
        for (let i = 0; i < 50 && !screen.includes("field value"); i++) {
          await new Promise((r) => setTimeout(r, 100));
          screen = new TextDecoder().decode(
            (await tmux("capture-pane", "-t", session, "-p")).stdout,
          );
        }
        assert.ok(screen.includes("HSET key field value [field value ...]"), screen);
      } finally {
        await tmux("kill-session", "-t", session);
      }
    });
  } finally {
    c.close();
    await server.stop();
    await redis?.stop();
  }
});
