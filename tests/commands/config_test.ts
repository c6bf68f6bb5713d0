// CONFIG GET/SET/RESETSTAT/REWRITE/HELP over TCP against a running Redeno, and the
// config file rewriting rules as unit tests.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { freePort, type RunningServer, startRedeno, waitForPing } from "../_server.ts";
import { directiveLines, quoteConfigValue, rewriteConfigText } from "../../src/commands/config.ts";

/** One connection; `raw` answers a reply's bytes. */
interface Client {
  raw(...argv: string[]): Promise<string>;
  close(): void;
}

async function connect(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  return {
    raw: async (...argv) => {
      await conn.write(encodeCommand(argv));
      return (await reader.read()).raw;
    },
    close: () => conn.close(),
  };
}

/** A RESP2 array of bulk strings, as Redis encodes CONFIG GET's flat map. */
function bulks(...items: string[]): string {
  return `*${items.length}\r\n` + items.map((s) => `$${s.length}\r\n${s}\r\n`).join("");
}

/** field -> value of an INFO text in a bulk reply. */
function infoFields(reply: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Starts Redeno with a config file as its first argument, as redis-server takes it. */
async function startWithConfigFile(path: string, port: number): Promise<RunningServer> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/main.ts`, path, "--port", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server: RunningServer = {
    port,
    process,
    output: () => "",
    stop: async () => {
      try {
        process.kill("SIGTERM");
      } catch { /* already gone */ }
      return await process.status;
    },
  };
  try {
    await waitForPing(port);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

Deno.test("CONFIG", async (t) => {
  const server = await startRedeno(freePort());
  const c = await connect(server.port);
  try {
    await t.step("CONFIG GET answers a directive and its value", async () => {
      assert.equal(await c.raw("CONFIG", "GET", "port"), bulks("port", String(server.port)));
    });

    await t.step("CONFIG GET names a directive as the client spelled it", async () => {
      assert.equal(await c.raw("config", "get", "PORT"), bulks("PORT", String(server.port)));
      assert.equal(await c.raw("CONFIG", "GET", "P*RT"), bulks("port", String(server.port)));
      assert.equal(
        await c.raw("CONFIG", "GET", "Port", "port", "p*rt"),
        bulks("Port", String(server.port)),
      );
    });

    await t.step("CONFIG GET reports each directive once across several patterns", async () => {
      assert.equal(
        await c.raw("CONFIG", "GET", "port", "port", "p*rt"),
        bulks("port", String(server.port)),
      );
      const reply = await c.raw("CONFIG", "GET", "port", "databases");
      assert.ok(reply.startsWith("*4\r\n"), reply);
      assert.ok(reply.includes("$9\r\ndatabases\r\n$2\r\n16\r\n"), reply);
    });

    await t.step("CONFIG GET answers an empty map when nothing matches", async () => {
      assert.equal(await c.raw("CONFIG", "GET", "nosuch*"), "*0\r\n");
    });

    await t.step("CONFIG GET answers a map in RESP3", async () => {
      const r3 = await connect(server.port);
      try {
        await r3.raw("HELLO", "3");
        assert.equal(
          await r3.raw("CONFIG", "GET", "port"),
          `%1\r\n$4\r\nport\r\n$${String(server.port).length}\r\n${server.port}\r\n`,
        );
      } finally {
        r3.close();
      }
    });

    await t.step("CONFIG SET changes directives that CONFIG GET then reports", async () => {
      assert.equal(await c.raw("CONFIG", "SET", "timeout", "30", "loglevel", "warning"), "+OK\r\n");
      assert.equal(await c.raw("CONFIG", "GET", "timeout"), bulks("timeout", "30"));
      assert.equal(await c.raw("CONFIG", "GET", "loglevel"), bulks("loglevel", "warning"));
      assert.equal(await c.raw("CONFIG", "SET", "TIMEOUT", "0"), "+OK\r\n");
      assert.equal(await c.raw("CONFIG", "GET", "timeout"), bulks("timeout", "0"));
    });

    await t.step("CONFIG SET changes nothing when one of the directives is wrong", async () => {
      assert.equal(
        await c.raw("CONFIG", "SET", "timeout", "45", "nosuch", "1"),
        "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'\r\n",
      );
      assert.equal(await c.raw("CONFIG", "GET", "timeout"), bulks("timeout", "0"));
      assert.equal(
        await c.raw("CONFIG", "SET", "timeout", "1", "timeout", "2"),
        "-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n",
      );
    });

    await t.step("CONFIG SET answers a syntax error for a directive without a value", async () => {
      assert.equal(
        await c.raw("CONFIG", "SET", "timeout", "10", "loglevel"),
        "-ERR syntax error\r\n",
      );
    });

    await t.step("CONFIG subcommands check their arity as Redis does", async () => {
      const cases: [string[], string][] = [
        [["GET"], "config|get"],
        [["SET"], "config|set"],
        [["SET", "timeout"], "config|set"],
        [["RESETSTAT", "x"], "config|resetstat"],
        [["REWRITE", "x"], "config|rewrite"],
        [["HELP", "x"], "config|help"],
      ];
      for (const [argv, name] of cases) {
        assert.equal(
          await c.raw("CONFIG", ...argv),
          `-ERR wrong number of arguments for '${name}' command\r\n`,
        );
      }
      assert.equal(
        await c.raw("CONFIG"),
        "-ERR wrong number of arguments for 'config' command\r\n",
      );
      assert.equal(
        await c.raw("CONFIG", "foo"),
        "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n",
      );
    });

    await t.step("CONFIG RESETSTAT zeroes the statistics INFO reports", async () => {
      await c.raw("SET", "k", "v");
      await c.raw("GET", "k");
      await c.raw("GET", "missing");
      assert.equal(await c.raw("CONFIG", "RESETSTAT"), "+OK\r\n");
      const stats = infoFields(await c.raw("INFO", "stats"));
      assert.equal(stats.get("total_commands_processed"), "1");
      assert.equal(stats.get("keyspace_hits"), "0");
      assert.equal(stats.get("keyspace_misses"), "0");
      assert.equal(stats.get("total_connections_received"), "0");
      const commandstats = infoFields(await c.raw("INFO", "commandstats"));
      assert.deepEqual([...commandstats.keys()].sort(), [
        "cmdstat_config|resetstat",
        "cmdstat_info",
      ]);
    });

    await t.step("CONFIG REWRITE needs a config file", async () => {
      assert.equal(
        await c.raw("CONFIG", "REWRITE"),
        "-ERR The server is running without a config file\r\n",
      );
    });

    await t.step("CONFIG HELP lists the subcommands as status lines", async () => {
      const help = await c.raw("CONFIG", "HELP");
      assert.ok(
        help.startsWith("*12\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
        help,
      );
      for (const word of ["GET", "SET", "RESETSTAT", "REWRITE", "HELP"]) {
        assert.ok(help.includes(`\r\n+${word}`), word);
      }
    });
  } finally {
    c.close();
    await server.stop();
  }
});

Deno.test("CONFIG REWRITE writes changed directives back to the config file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/redeno.conf`;
  await Deno.writeTextFile(
    path,
    "# kept as is\nbind 127.0.0.1\ntimeout 10\n\nloglevel notice\ndir " + dir + "\n",
  );
  const server = await startWithConfigFile(path, freePort());
  const c = await connect(server.port);
  try {
    assert.equal(await c.raw("CONFIG", "SET", "timeout", "20", "maxclients", "500"), "+OK\r\n");
    assert.equal(await c.raw("CONFIG", "REWRITE"), "+OK\r\n");
    const text = await Deno.readTextFile(path);
    const lines = text.split("\n");
    assert.equal(lines[0], "# kept as is");
    assert.equal(lines[1], "bind 127.0.0.1");
    assert.equal(lines[2], "timeout 20");
    assert.equal(lines[4], "loglevel notice");
    assert.ok(lines.includes("# Generated by CONFIG REWRITE"), text);
    assert.ok(lines.includes("maxclients 500"), text);
  } finally {
    c.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a config file rewrite replaces lines in place and appends the rest", () => {
  const values = new Map([["port", "7000"], ["save", "900 1 300 10"], ["hz", "10"]]);
  const text =
    "# comment\nport 6379\n\nsave 3600 1\nsave 300 100\nsave 60 10000\nrename-command X Y\n";
  const out = rewriteConfigText(text, (name) => values.get(name), ["hz"]);
  assert.equal(
    out,
    "# comment\nport 7000\n\nsave 900 1\nsave 300 10\nrename-command X Y\n\n" +
      "# Generated by CONFIG REWRITE\nhz 10\n",
  );
  // Rewriting again changes nothing.
  assert.equal(rewriteConfigText(out, (name) => values.get(name), ["hz"]), out);
});

Deno.test("a config file rewrite writes each directive in the form the parser reads", () => {
  assert.deepEqual(directiveLines("save", ""), ['save ""']);
  assert.deepEqual(directiveLines("save", "3600 1 300 100"), ["save 3600 1", "save 300 100"]);
  assert.deepEqual(directiveLines("bind", "127.0.0.1 -::1"), ["bind 127.0.0.1 -::1"]);
  assert.deepEqual(
    directiveLines("client-output-buffer-limit", "normal 0 0 0 pubsub 33554432 8388608 60"),
    [
      "client-output-buffer-limit normal 0 0 0",
      "client-output-buffer-limit pubsub 33554432 8388608 60",
    ],
  );
  assert.deepEqual(directiveLines("logfile", ""), ['logfile ""']);
  assert.deepEqual(directiveLines("masterauth", 'a "b"'), ['masterauth "a \\"b\\""']);
  assert.equal(quoteConfigValue("plain"), "plain");
  assert.equal(quoteConfigValue("tab\there\x01"), '"tab\\there\\x01"');
});
