// INFO over TCP against a running Redeno; field names are checked against real
// Redis 7.0.15 when redis-server is installed.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { freePort, type RunningServer, skipWithout, startRedeno, startRedis } from "../_server.ts";

/** One connection; `raw` answers a reply's bytes, `text` a bulk or verbatim reply's text. */
interface Client {
  raw(...argv: string[]): Promise<string>;
  text(...argv: string[]): Promise<string>;
  close(): void;
}

async function connect(port: number): Promise<Client> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new ReplyReader(conn);
  const raw = async (...argv: string[]) => {
    await conn.write(encodeCommand(argv));
    return (await reader.read()).raw;
  };
  return {
    raw,
    text: async (...argv) => {
      const reply = await raw(...argv);
      const body = reply.slice(reply.indexOf("\r\n") + 2, -2);
      return reply[0] === "=" ? body.slice(4) : body;
    },
    close: () => conn.close(),
  };
}

/** The "# Title" headers of an INFO text. */
function headers(info: string): string[] {
  return info.split("\r\n").filter((line) => line.startsWith("# "));
}

/** field -> value of an INFO text. */
function fields(info: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of info.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

const DEFAULT_SECTIONS = [
  "# Server",
  "# Clients",
  "# Memory",
  "# Persistence",
  "# Stats",
  "# Replication",
  "# CPU",
  "# Modules",
  "# Errorstats",
  "# Cluster",
  "# Keyspace",
];

const ALL_SECTIONS = [
  ...DEFAULT_SECTIONS.slice(0, 8),
  "# Commandstats",
  "# Errorstats",
  "# Latencystats",
  "# Cluster",
  "# Keyspace",
];

Deno.test("INFO", async (t) => {
  const server = await startRedeno(freePort());
  let redis: RunningServer | null = null;
  const c = await connect(server.port);
  try {
    if (!skipWithout("redis-server")) redis = await startRedis(freePort());

    await t.step("INFO without arguments shows the default sections in Redis's order", async () => {
      const info = await c.text("INFO");
      assert.deepEqual(headers(info), DEFAULT_SECTIONS);
      assert.deepEqual(headers(await c.text("INFO", "default")), DEFAULT_SECTIONS);
    });

    await t.step("INFO lines end in CRLF and a blank line separates sections", async () => {
      const info = await c.text("INFO");
      assert.ok(info.startsWith("# Server\r\nredis_version:7.0.15\r\n"));
      assert.ok(info.endsWith("\r\n"));
      assert.ok(!/[^\r]\n/.test(info), "a bare LF");
      assert.ok(info.includes("\r\n\r\n# Clients\r\n"));
      assert.ok(!info.includes("\r\n\r\n\r\n"));
    });

    await t.step("INFO all and INFO everything add the command and latency stats", async () => {
      assert.deepEqual(headers(await c.text("INFO", "all")), ALL_SECTIONS);
      assert.deepEqual(headers(await c.text("INFO", "EVERYTHING")), ALL_SECTIONS);
      assert.deepEqual(headers(await c.text("INFO", "default", "commandstats")), [
        ...DEFAULT_SECTIONS.slice(0, 8),
        "# Commandstats",
        ...DEFAULT_SECTIONS.slice(8),
      ]);
    });

    await t.step(
      "INFO picks sections in any letter case and prints them in Redis's order",
      async () => {
        assert.deepEqual(headers(await c.text("INFO", "cpu", "SERVER")), ["# Server", "# CPU"]);
        assert.deepEqual(headers(await c.text("INFO", "Keyspace")), ["# Keyspace"]);
      },
    );

    await t.step("INFO with an unknown section answers an empty string", async () => {
      assert.equal(await c.raw("INFO", "nosuch"), "$0\r\n\r\n");
    });

    await t.step("INFO server reports the Redis version clients choose features by", async () => {
      const f = fields(await c.text("INFO", "server"));
      assert.equal(f.get("redis_version"), "7.0.15");
      assert.match(f.get("redeno_version")!, /^\d+\.\d+\.\d+/);
      assert.equal(f.get("redis_mode"), "standalone");
      assert.equal(f.get("tcp_port"), String(server.port));
      assert.match(f.get("run_id")!, /^[0-9a-f]{40}$/);
      assert.equal(f.get("process_id"), String(server.process.pid));
      assert.match(f.get("uptime_in_seconds")!, /^\d+$/);
    });

    await t.step("INFO keyspace lists each non-empty database", async () => {
      await c.raw("FLUSHALL");
      assert.equal(await c.text("INFO", "keyspace"), "# Keyspace\r\n");
      await c.raw("SET", "a", "1");
      await c.raw("SET", "b", "2");
      await c.raw("SELECT", "3");
      await c.raw("SET", "c", "3", "EX", "100");
      await c.raw("SELECT", "0");
      // avg_ttl is the expiry cycle's estimate: 0 until the cycle has sampled the key.
      assert.match(
        await c.text("INFO", "keyspace"),
        /^# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\ndb3:keys=1,expires=1,avg_ttl=\d+\r\n$/,
      );
      let avgTtl = 0;
      for (let i = 0; i < 50 && avgTtl === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        avgTtl = Number(/db3:.*avg_ttl=(\d+)/.exec(await c.text("INFO", "keyspace"))![1]);
      }
      assert.ok(avgTtl > 98_000 && avgTtl <= 100_000, `avg_ttl=${avgTtl}`);
      await c.raw("FLUSHALL");
      assert.equal(await c.text("INFO", "keyspace"), "# Keyspace\r\n");
    });

    await t.step("INFO stats and persistence count commands, hits, misses and writes", async () => {
      const before = fields(await c.text("INFO", "stats", "persistence"));
      await c.raw("SET", "k", "v");
      await c.raw("GET", "k");
      await c.raw("GET", "missing");
      const after = fields(await c.text("INFO", "stats", "persistence"));
      const grew = (name: string) => Number(after.get(name)) - Number(before.get(name));
      assert.equal(grew("total_commands_processed"), 4);
      assert.equal(grew("keyspace_hits"), 1);
      assert.equal(grew("keyspace_misses"), 1);
      assert.ok(grew("rdb_changes_since_last_save") >= 1);
      assert.equal(after.get("loading"), "0");
      assert.equal(after.get("aof_enabled"), "0");
    });

    await t.step("INFO commandstats counts calls per command", async () => {
      await c.raw("PING");
      await c.raw("CONFIG", "GET", "port");
      const f = fields(await c.text("INFO", "commandstats"));
      assert.match(
        f.get("cmdstat_ping")!,
        /^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/,
      );
      assert.ok(f.has("cmdstat_config|get"));
    });

    await t.step("INFO replication describes a master with no replicas", async () => {
      const f = fields(await c.text("INFO", "replication"));
      assert.equal(f.get("role"), "master");
      assert.equal(f.get("connected_slaves"), "0");
      assert.match(f.get("master_replid")!, /^[0-9a-f]{40}$/);
      assert.equal(f.get("master_repl_offset"), "0");
    });

    await t.step("INFO answers verbatim text in RESP3", async () => {
      const r3 = await connect(server.port);
      try {
        await r3.raw("HELLO", "3");
        const reply = await r3.raw("INFO", "server");
        assert.match(reply, /^=\d+\r\ntxt:# Server\r\nredis_version:7.0.15\r\n/);
      } finally {
        r3.close();
      }
    });

    await t.step("INFO has every field Redis 7.0.15 shows, in the same order", async () => {
      if (redis === null) return;
      const real = await connect(redis.port);
      try {
        const sections = ["server", "clients", "memory", "persistence", "stats", "replication"];
        for (const section of [...sections, "cpu", "cluster"]) {
          const ours = [...fields(await c.text("INFO", section)).keys()]
            .filter((name) => name !== "redeno_version");
          const theirs = [...fields(await real.text("INFO", section)).keys()];
          assert.deepEqual(ours, theirs, section);
        }
      } finally {
        real.close();
      }
    });
  } finally {
    c.close();
    await server.stop();
    await redis?.stop();
  }
});
