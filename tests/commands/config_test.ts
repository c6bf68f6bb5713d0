// CONFIG GET/SET/RESETSTAT/REWRITE/HELP over TCP against a running Redeno, and the
// config file rewriting rules as unit tests.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import {
  call,
  freePort,
  type RunningServer,
  skipWithout,
  startRedeno,
  startRedenoAsGiven,
  startRedis,
} from "../_server.ts";
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

/** The strings of a RESP2 array of bulk strings (the inverse of `bulks`). */
function parseBulks(raw: string): string[] {
  const out: string[] = [];
  let at = raw.indexOf("\r\n") + 2;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n", at);
    const length = Number(raw.slice(at + 1, end));
    out.push(raw.slice(end + 2, end + 2 + length));
    at = end + 4 + length;
  }
  return out;
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
function startWithConfigFile(path: string, port: number): Promise<RunningServer> {
  return startRedenoAsGiven(port, [path, "--port", String(port)]);
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

    await t.step("CONFIG GET with several patterns answers their union", async () => {
      const reply = parseBulks(await c.raw("CONFIG", "GET", "maxmemory", "port", "*-max-*"));
      const names = reply.filter((_, i) => i % 2 === 0);
      assert.equal(new Set(names).size, names.length, names.join(" "));
      for (const name of ["maxmemory", "port", "hash-max-listpack-entries", "slowlog-max-len"]) {
        assert.ok(names.includes(name), name);
      }
      assert.ok(!names.includes("maxclients"));
      // Redis's own check: aliases come under their own names, nothing twice.
      const more = parseBulks(
        await c.raw("CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of"),
      );
      const moreNames = more.filter((_, i) => i % 2 === 0);
      assert.equal(new Set(moreNames).size, moreNames.length, moreNames.join(" "));
      for (
        const name of ["maxmemory-clients", "maxmemory-samples", "bind", "replicaof", "slaveof"]
      ) {
        assert.ok(moreNames.includes(name), name);
      }
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

    await t.step("CONFIG SET names the failing argument and rolls back the others", async () => {
      assert.equal(await c.raw("CONFIG", "SET", "maxmemory", "10000002"), "+OK\r\n");
      assert.equal(
        await c.raw(
          "CONFIG",
          "SET",
          "maxmemory",
          "10000001",
          "maxmemory-clients",
          "200%",
          "client-query-buffer-limit",
          "invalid",
        ),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - " +
          "percentage argument must be less or equal to 100\r\n",
      );
      assert.equal(await c.raw("CONFIG", "GET", "maxmemory"), bulks("maxmemory", "10000002"));
      assert.equal(
        await c.raw("CONFIG", "SET", "maxmemory", "5", "HZ", "x"),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - " +
          "argument couldn't be parsed into an integer\r\n",
      );
      assert.equal(
        await c.raw("CONFIG", "SET", "maxmemory", "5", "DAEMONIZE", "no"),
        "-ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - " +
          "can't set immutable config\r\n",
      );
      assert.equal(await c.raw("CONFIG", "SET", "maxmemory", "0"), "+OK\r\n");
    });

    await t.step("maxmemory-clients takes bytes or a percentage of maxmemory", async () => {
      assert.equal(
        await c.raw("CONFIG", "GET", "maxmemory-clients"),
        bulks("maxmemory-clients", "0"),
      );
      assert.equal(await c.raw("CONFIG", "SET", "maxmemory-clients", "10%"), "+OK\r\n");
      assert.equal(
        await c.raw("CONFIG", "GET", "maxmemory-clients"),
        bulks("maxmemory-clients", "10%"),
      );
      assert.equal(await c.raw("CONFIG", "SET", "maxmemory-clients", "0%"), "+OK\r\n");
      assert.equal(
        await c.raw("CONFIG", "SET", "maxmemory-clients", "lots"),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - " +
          "argument must be a memory or percent value\r\n",
      );
    });

    await t.step("a directive of a missing feature takes only its default value", async () => {
      // supervised is immutable as in Redis; it is read at start-up, where only "no" passes.
      assert.equal(
        await c.raw("CONFIG", "SET", "supervised", "no"),
        "-ERR CONFIG SET failed (possibly related to argument 'supervised') - " +
          "can't set immutable config\r\n",
      );
      assert.equal(await c.raw("CONFIG", "GET", "supervised"), bulks("supervised", "no"));
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

Deno.test("CONFIG SET port moves the listener, and a port in use undoes the whole change", async () => {
  const server = await startRedeno(freePort());
  const c = await connect(server.port);
  const busy = Deno.listen({ hostname: "127.0.0.1", port: freePort() });
  try {
    const busyPort = (busy.addr as Deno.NetAddr).port;
    assert.equal(
      await c.raw("CONFIG", "SET", "maxmemory", "10000001", "port", String(busyPort)),
      "-ERR CONFIG SET failed (possibly related to argument 'port') - " +
        "Unable to listen on this port. Check server logs.\r\n",
    );
    assert.equal(await c.raw("CONFIG", "GET", "maxmemory"), bulks("maxmemory", "0"));
    // A later failure takes the new port back: the old one still answers.
    assert.equal(
      await c.raw("CONFIG", "SET", "port", String(freePort()), "bind", "192.0.2.1"),
      "-ERR CONFIG SET failed (possibly related to argument 'port') - " +
        "Unable to listen on this port. Check server logs.\r\n",
    );
    const again = await connect(server.port);
    assert.equal(await again.raw("PING"), "+PONG\r\n");
    again.close();

    const moved = freePort();
    assert.equal(await c.raw("CONFIG", "SET", "port", String(moved)), "+OK\r\n");
    const there = await connect(moved);
    assert.equal(await there.raw("CONFIG", "GET", "port"), bulks("port", String(moved)));
    there.close();
    // The connection made before the move stays.
    assert.equal(await c.raw("PING"), "+PONG\r\n");
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }));
  } finally {
    busy.close();
    c.close();
    await server.stop();
  }
});

Deno.test("a non-default value of a missing feature stops start-up with a clear message", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}src/main.ts`,
      "--port",
      String(freePort()),
      "--supervised",
      "systemd",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.match(stderr, /FATAL CONFIG FILE ERROR/);
  assert.match(stderr, /supervised "systemd"/);
  assert.match(
    stderr,
    /supervision by upstart or systemd is not supported by Redeno \(only the default 'no' is accepted\)/,
  );
});

Deno.test("pidfile is written at start-up and removed at shutdown", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/redeno.pid`;
  const server = await startRedeno(freePort(), ["--pidfile", path]);
  try {
    assert.equal(await Deno.readTextFile(path), `${server.process.pid}\n`);
  } finally {
    await server.stop();
  }
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
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

Deno.test("DEBUG CONFIG-REWRITE-FORCE-ALL writes every directive, and the file starts the same server", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/redeno.conf`;
  await Deno.writeTextFile(
    path,
    [
      "bind 127.0.0.1",
      "enable-debug-command yes",
      `dir ${dir}`,
      `unixsocket ${dir}/redis.sock`,
      "unixsocketperm 700",
      'shutdown-on-sigterm "nosave now"',
      'save ""',
      "",
    ].join("\n"),
  );
  const port = freePort();
  let server = await startWithConfigFile(path, port);
  let c = await connect(server.port);
  try {
    assert.equal(
      await c.raw("CONFIG", "SET", "maxmemory", "10mb", "notify-keyspace-events", "KEA"),
      "+OK\r\n",
    );
    const before = parseBulks(await c.raw("CONFIG", "GET", "*"));
    assert.equal(await c.raw("DEBUG", "CONFIG-REWRITE-FORCE-ALL"), "+OK\r\n");
    const written = new Set(
      (await Deno.readTextFile(path)).split("\n").map((line) => line.split(" ")[0]),
    );
    // Every directive, hidden ones too, but those Redis leaves out while unset.
    for (const name of ["hz", "maxmemory", "key-load-delay", "rdb-key-save-delay", "user"]) {
      assert.ok(written.has(name), name);
    }
    for (const name of ["pidfile", "requirepass", "replicaof", "bind-source-addr"]) {
      assert.ok(!written.has(name), name);
    }
    c.close();
    await server.stop();
    server = await startWithConfigFile(path, port);
    c = await connect(server.port);
    assert.deepEqual(parseBulks(await c.raw("CONFIG", "GET", "*")), before);
  } finally {
    c.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "DEBUG CONFIG-REWRITE-FORCE-ALL without a config file fails as in Redis",
  ignore: skipWithout("redis-server"),
  async fn() {
    for (const start of [startRedis, startRedeno]) {
      const server = await start(freePort(), ["--enable-debug-command", "yes"]);
      try {
        assert.equal(
          await call(server.port, "DEBUG", "CONFIG-REWRITE-FORCE-ALL"),
          "-ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address\r\n",
        );
      } finally {
        await server.stop();
      }
    }
  },
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
  // Byte counts in the largest unit that divides them, as redis-server writes them.
  assert.deepEqual(directiveLines("maxmemory", "0"), ["maxmemory 0"]);
  assert.deepEqual(directiveLines("maxmemory", "10485760"), ["maxmemory 10mb"]);
  assert.deepEqual(directiveLines("client-query-buffer-limit", "2147483648"), [
    "client-query-buffer-limit 2gb",
  ]);
  assert.deepEqual(directiveLines("auto-aof-rewrite-min-size", "3072"), [
    "auto-aof-rewrite-min-size 3kb",
  ]);
  assert.deepEqual(directiveLines("maxmemory", "1000"), ["maxmemory 1000"]);
  assert.deepEqual(directiveLines("masterauth", 'a "b"'), ['masterauth "a \\"b\\""']);
  assert.equal(quoteConfigValue("plain"), "plain");
  assert.equal(quoteConfigValue("tab\there\x01"), '"tab\\there\\x01"');
});
