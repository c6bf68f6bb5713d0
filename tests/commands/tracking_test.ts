// Client-side caching (CLIENT TRACKING ...) end to end, over raw RESP connections.
// Every scenario checks exact bytes, and runs against Redeno and, when redis-server is
// installed, against real Redis 7.0.15 too, so the expectations are Redis's own.

import assert from "node:assert/strict";
import { encodeCommand, ReplyReader } from "../compat/harness.ts";
import { freePort, hasTool, type RunningServer, startRedeno, startRedis } from "../_server.ts";

/** One raw connection. */
class Conn {
  readonly #conn: Deno.Conn;
  readonly #reader: ReplyReader;
  id = 0;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reader = new ReplyReader(conn);
  }

  static async open(port: number): Promise<Conn> {
    const c = new Conn(await Deno.connect({ hostname: "127.0.0.1", port }));
    c.id = Number((await c.call("CLIENT", "ID")).slice(1, -2));
    return c;
  }

  /** Sends a command and answers its reply's bytes. */
  async call(...argv: string[]): Promise<string> {
    await this.send(...argv);
    return await this.next();
  }

  async send(...argv: string[]): Promise<void> {
    await this.#conn.write(encodeCommand(argv));
  }

  /** The bytes of the next reply or push. */
  async next(): Promise<string> {
    return (await this.#reader.read(3000)).raw;
  }

  /** Asserts the next replies (pushes count as replies) are exactly these. */
  async expect(...raws: string[]): Promise<void> {
    for (const raw of raws) assert.equal(await this.next(), raw);
  }

  /** Asserts that nothing more arrives for a while. */
  async quiet(ms = 100): Promise<void> {
    assert.equal((await this.#reader.read(ms)).raw, "<timeout>");
  }

  /** HELLO 3, its reply skipped. */
  async resp3(): Promise<void> {
    await this.call("HELLO", "3");
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

const OK = "+OK\r\n";
const NIL2 = "$-1\r\n";
const NIL3 = "_\r\n";

function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

function keys(...names: string[]): string {
  return `*${names.length}\r\n${names.map(bulk).join("")}`;
}

/** The RESP2 pub/sub message a redirect target in pub/sub mode receives. */
function message(payload: string): string {
  return `*3\r\n${bulk("message")}${bulk("__redis__:invalidate")}${payload}`;
}

/** The RESP3 push. */
function push(payload: string): string {
  return `>2\r\n${bulk("invalidate")}${payload}`;
}

function error(text: string): string {
  return `-ERR ${text}\r\n`;
}

type Scenario = (port: number, open: () => Promise<Conn>) => Promise<void>;

const scenarios: [string, Scenario][] = [];

function scenario(name: string, body: Scenario): void {
  scenarios.push([name, body]);
}

scenario("a RESP2 redirect target in pub/sub mode gets each key read once", async (_p, open) => {
  const r = await open(), target = await open(), writer = await open();
  await target.call("SUBSCRIBE", "__redis__:invalidate");
  assert.equal(await r.call("CLIENT", "TRACKING", "on", "REDIRECT", String(target.id)), OK);
  await writer.call("MSET", "a", "1", "b", "2");
  await r.call("MGET", "a", "b", "c");
  await writer.call("SET", "a", "2");
  await target.expect(message(keys("a")));
  // Forgotten once reported; keys are tracked by name, whatever the database.
  await writer.call("SET", "a", "3");
  await writer.call("SELECT", "1");
  await writer.call("SET", "b", "3");
  await target.expect(message(keys("b")));
  // The writer's own change is reported too (no NOLOOP).
  await r.call("GET", "c");
  assert.equal(await r.call("SET", "c", "1"), OK);
  await target.expect(message(keys("c")));
  await target.quiet();
  // A client subscribed to anything counts as in pub/sub mode.
  const other = await open();
  await other.call("SUBSCRIBE", "news");
  await r.call("CLIENT", "TRACKING", "on", "REDIRECT", String(other.id));
  await r.call("GET", "d");
  await writer.call("SET", "d", "1");
  await other.expect(message(keys("d")));
  // A RESP2 client without a redirect cannot take pushes: nothing is sent.
  await r.call("CLIENT", "TRACKING", "off");
  await r.call("CLIENT", "TRACKING", "on");
  await r.call("GET", "e");
  await writer.call("SET", "e", "1");
  assert.equal(await r.call("PING"), "+PONG\r\n");
  for (const c of [r, target, writer, other]) c.close();
});

scenario(
  "RESP3 invalidations follow the reply of the command that caused them",
  async (_p, open) => {
    const r = await open(), writer = await open();
    await r.resp3();
    await r.call("CLIENT", "TRACKING", "on");
    await r.call("MGET", "a", "b", "c");
    await writer.call("SET", "a", "1");
    await r.expect(push(keys("a")));
    await r.send("SET", "b", "1");
    await r.expect(OK, push(keys("b")));
    await r.send("MULTI");
    await r.send("INCR", "c");
    await r.send("GET", "b");
    await r.send("EXEC");
    await r.expect(OK, "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n:1\r\n$1\r\n1\r\n", push(keys("c")));
    await r.send("MULTI");
    await r.send("SET", "b", "2");
    await r.send("FLUSHALL");
    await r.send("EXEC");
    await r.expect(OK, "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n+OK\r\n+OK\r\n");
    await r.expect(push(keys("b")), push(NIL3));
    // NOLOOP: no word about the connection's own changes.
    await r.call("CLIENT", "TRACKING", "on", "NOLOOP");
    await r.call("GET", "d");
    assert.equal(await r.call("SET", "d", "1"), OK);
    await r.quiet();
    r.close();
    writer.close();
  },
);

scenario("FLUSHALL and FLUSHDB send a null, SWAPDB sends nothing", async (_p, open) => {
  const r2 = await open(), r3 = await open(), target = await open(), writer = await open();
  await target.call("SUBSCRIBE", "__redis__:invalidate");
  await r3.resp3();
  await r2.call("CLIENT", "TRACKING", "on", "REDIRECT", String(target.id));
  await r3.call("CLIENT", "TRACKING", "on", "REDIRECT", String(target.id));
  await writer.call("FLUSHDB");
  // The null is written in the tracking client's protocol.
  await target.expect(message(NIL2), message(NIL3));
  await writer.call("SWAPDB", "0", "1");
  await r3.call("GET", "k");
  await writer.call("FLUSHALL");
  await target.expect(message(NIL2), message(NIL3));
  await target.quiet();
  for (const c of [r2, r3, target, writer]) c.close();
});

scenario("BCAST reports every key changed under its prefixes, once per turn", async (_p, open) => {
  const r = await open(), writer = await open();
  await r.resp3();
  assert.equal(await r.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a"), OK);
  await writer.call("MSET", "b2", "1", "x", "1", "a1", "1", "b1", "1");
  await r.expect(push(keys("a1")), push(keys("b1", "b2")));
  await r.send("SET", "a2", "1");
  await r.expect(OK, push(keys("a2")));
  // NOLOOP leaves out the keys this connection changed last.
  await r.call("CLIENT", "TRACKING", "off");
  await r.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP");
  assert.equal(await r.call("SET", "mine", "1"), OK);
  await r.quiet();
  await writer.call("SET", "theirs", "1");
  await r.expect(push(keys("theirs")));
  // Keys read before the switch to BCAST are not reported.
  await r.call("CLIENT", "TRACKING", "off");
  await r.call("CLIENT", "TRACKING", "on");
  await r.call("GET", "old");
  await r.call("CLIENT", "TRACKING", "off");
  await r.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "zzz");
  await writer.call("SET", "old", "2");
  await r.quiet();
  r.close();
  writer.close();
});

scenario("OPTIN and OPTOUT follow CLIENT CACHING for one command", async (_p, open) => {
  const r = await open(), writer = await open();
  await r.resp3();
  await r.call("CLIENT", "TRACKING", "on", "OPTIN");
  await r.call("GET", "o1"); // not tracked
  await r.call("CLIENT", "CACHING", "yes");
  await r.call("CLIENT", "ID"); // CLIENT commands leave CACHING alone
  await r.call("GET", "o2"); // tracked
  await r.call("GET", "o3"); // not tracked: CACHING is used up
  await r.call("CLIENT", "CACHING", "yes");
  await r.call("MULTI");
  await r.call("PING");
  await r.call("GET", "o4");
  await r.call("EXEC"); // o4 tracked: CACHING lasts the transaction
  await writer.call("MSET", "o1", "1", "o2", "1", "o3", "1", "o4", "1");
  await r.expect(push(keys("o2")), push(keys("o4")));
  await r.call("CLIENT", "TRACKING", "off");
  await r.call("CLIENT", "TRACKING", "on", "OPTOUT");
  await r.call("CLIENT", "CACHING", "no");
  await r.call("GET", "p1"); // not tracked
  await r.call("GET", "p2");
  await writer.call("MSET", "p1", "1", "p2", "1");
  await r.expect(push(keys("p2")));
  await r.quiet();
  r.close();
  writer.close();
});

scenario("CLIENT TRACKING and CACHING refuse bad options with Redis's errors", async (_p, open) => {
  const r = await open(), other = await open();
  const tracking = (...args: string[]) => r.call("CLIENT", "TRACKING", ...args);
  const id = String(other.id);
  assert.equal(
    await tracking("on", "REDIRECT", id, "REDIRECT", id),
    error("A client can only redirect to a single other client"),
  );
  assert.equal(
    await tracking("on", "REDIRECT", "987654"),
    error("The client ID you want redirect to does not exist"),
  );
  assert.equal(
    await tracking("on", "REDIRECT", "x"),
    error("value is not an integer or out of range"),
  );
  assert.equal(await tracking("on", "REDIRECT"), error("syntax error"));
  assert.equal(await tracking("on", "FOO"), error("syntax error"));
  assert.equal(await tracking("maybe"), error("syntax error"));
  assert.equal(await tracking("off", "BCAST", "PREFIX", "x"), OK);
  assert.equal(
    await tracking("on", "PREFIX", "a"),
    error("PREFIX option requires BCAST mode to be enabled"),
  );
  assert.equal(
    await tracking("on", "OPTIN", "BCAST"),
    error("OPTIN and OPTOUT are not compatible with BCAST"),
  );
  assert.equal(
    await tracking("on", "OPTIN", "OPTOUT"),
    error("You can't specify both OPTIN mode and OPTOUT mode"),
  );
  assert.equal(
    await r.call("CLIENT", "CACHING", "yes"),
    error(
      "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    ),
  );
  assert.equal(await tracking("on", "OPTIN"), OK);
  assert.equal(
    await tracking("on", "OPTOUT"),
    error(
      "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
    ),
  );
  assert.equal(
    await tracking("on", "BCAST"),
    error(
      "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
    ),
  );
  assert.equal(
    await r.call("CLIENT", "CACHING", "no"),
    error("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."),
  );
  assert.equal(await r.call("CLIENT", "CACHING", "maybe"), error("syntax error"));
  await tracking("off");
  assert.equal(
    await tracking("on", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
    error(
      "Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not overlap.",
    ),
  );
  assert.equal(await tracking("on", "BCAST", "PREFIX", "foo"), OK);
  assert.equal(
    await tracking("on", "BCAST", "PREFIX", "fo"),
    error(
      "Prefix 'fo' overlaps with an existing prefix 'foo'. Prefixes for a single client must not overlap.",
    ),
  );
  // Redis 7.0 reports an overlap after the first new prefix, then goes on anyway.
  await r.send("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "y", "PREFIX", "x", "PREFIX", "xy");
  await r.expect(
    error(
      "Prefix 'x' overlaps with another provided prefix 'xy'. Prefixes for a single client must not overlap.",
    ),
    OK,
  );
  assert.equal(
    await r.call("CLIENT", "TRACKINGINFO"),
    `*6\r\n${bulk("flags")}*2\r\n${bulk("on")}${bulk("bcast")}${bulk("redirect")}:0\r\n` +
      `${bulk("prefixes")}${keys("foo", "x", "xy", "y")}`,
  );
  assert.equal(
    await r.call("CLIENT", "TRACKING"),
    "-ERR wrong number of arguments for 'client|tracking' command\r\n",
  );
  r.close();
  other.close();
});

scenario("TRACKINGINFO, GETREDIR, CLIENT LIST and INFO describe the tracking", async (_p, open) => {
  const r = await open(), target = await open(), writer = await open();
  const info = (flags: string[], redirect: number, prefixes: string[]) =>
    `%3\r\n${bulk("flags")}~${flags.length}\r\n${flags.map(bulk).join("")}` +
    `${bulk("redirect")}:${redirect}\r\n${bulk("prefixes")}${keys(...prefixes)}`;
  const listed = async (c: Conn) => {
    const line = await writer.call("CLIENT", "LIST", "ID", String(c.id));
    return [/ flags=(\S+) /.exec(line)![1], / redir=(\S+) /.exec(line)![1]];
  };
  const stat = async (name: string) => {
    const text = await writer.call("INFO");
    return Number(new RegExp(`\r\n${name}:(\\d+)\r\n`).exec(text)![1]);
  };
  await r.resp3();
  assert.equal(await r.call("CLIENT", "GETREDIR"), ":-1\r\n");
  assert.equal(await r.call("CLIENT", "TRACKINGINFO"), info(["off"], -1, []));
  assert.deepEqual(await listed(r), ["N", "-1"]);
  await r.call("CLIENT", "TRACKING", "on", "OPTIN", "NOLOOP", "REDIRECT", String(target.id));
  await r.call("CLIENT", "CACHING", "yes");
  assert.equal(
    await r.call("CLIENT", "TRACKINGINFO"),
    info(["on", "optin", "caching-yes", "noloop"], target.id, []),
  );
  assert.equal(await r.call("CLIENT", "GETREDIR"), `:${target.id}\r\n`);
  assert.deepEqual(await listed(r), ["t", String(target.id)]);
  await r.call("MGET", "k1", "k2");
  const base = await stat("tracking_clients");
  assert.equal(await stat("tracking_total_keys"), 2);
  assert.equal(await stat("tracking_total_items"), 2);
  // The redirect target goes away: the next invalidation finds it gone.
  target.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await writer.call("SET", "k1", "1");
  await r.expect(`>2\r\n${bulk("tracking-redir-broken")}:${target.id}\r\n`);
  assert.equal(
    await r.call("CLIENT", "TRACKINGINFO"),
    info(["on", "optin", "noloop", "broken_redirect"], target.id, []),
  );
  assert.deepEqual(await listed(r), ["tR", String(target.id)]);
  await r.call("CLIENT", "TRACKING", "off");
  assert.equal(await stat("tracking_clients"), base - 1);
  await r.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:");
  assert.deepEqual(await listed(r), ["tB", "0"]);
  assert.equal(await stat("tracking_total_prefixes"), 1);
  assert.equal(await r.call("CLIENT", "TRACKINGINFO"), info(["on", "bcast"], 0, ["p:"]));
  r.close();
  writer.close();
});

scenario("tracking-table-max-keys trims the table with invalidations", async (_p, open) => {
  const r = await open(), target = await open(), admin = await open();
  await target.call("SUBSCRIBE", "__redis__:invalidate");
  await r.call("CLIENT", "TRACKING", "on", "REDIRECT", String(target.id));
  for (let i = 0; i < 250; i++) await r.call("GET", `key${i}`);
  assert.equal(await admin.call("CONFIG", "SET", "tracking-table-max-keys", "1"), OK);
  const seen = new Set<string>();
  for (let i = 0; i < 249; i++) {
    const raw = await target.next();
    assert.match(raw, /^\*3\r\n\$7\r\nmessage\r\n\$20\r\n__redis__:invalidate\r\n\*1\r\n/);
    seen.add(raw);
  }
  assert.equal(seen.size, 249);
  await target.quiet(300);
  assert.equal(await admin.call("CONFIG", "SET", "tracking-table-max-keys", "1000000"), OK);
  for (const c of [r, target, admin]) c.close();
});

scenario("expired keys are reported, actively or lazily expired", async (_p, open) => {
  const r = await open(), target = await open();
  await target.call("SUBSCRIBE", "__redis__:invalidate");
  await r.call("CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "REDIRECT", String(target.id));
  await r.call("SET", "soon", "v", "PX", "1");
  await r.call("SET", "later", "v");
  await target.expect(message(keys("soon")));
  await r.call("CLIENT", "TRACKING", "off");
  await r.resp3();
  await r.call("CLIENT", "TRACKING", "on");
  await r.call("SET", "lazy", "v", "PX", "50");
  await r.call("GET", "lazy");
  await r.call("SET", "never", "1");
  await new Promise((resolve) => setTimeout(resolve, 60));
  // Whichever way it expires, the invalidation comes after a reply, never inside one.
  await r.send("MGET", "lazy", "never");
  const replies = [await r.next(), await r.next()];
  const pushAt = replies.indexOf(push(keys("lazy")));
  assert.notEqual(pushAt, -1);
  assert.equal(replies[1 - pushAt], `*2\r\n${NIL3}${bulk("1")}`);
  r.close();
  target.close();
});

async function runAll(port: number, t: Deno.TestContext): Promise<void> {
  const opened: Conn[] = [];
  const open = async () => {
    const c = await Conn.open(port);
    opened.push(c);
    return c;
  };
  for (const [name, body] of scenarios) {
    await t.step(name, async () => {
      const admin = await open();
      await admin.call("FLUSHALL");
      try {
        await body(port, open);
      } finally {
        for (const c of opened) c.close();
        opened.length = 0;
      }
    });
  }
}

Deno.test("client-side caching on Redeno", async (t) => {
  let server: RunningServer | null = null;
  try {
    server = await startRedeno(freePort());
    await runAll(server.port, t);
  } finally {
    await server?.stop();
  }
});

Deno.test({
  name: "client-side caching on real Redis (the expectations are Redis's)",
  ignore: !hasTool("redis-server"),
  async fn(t) {
    let server: RunningServer | null = null;
    try {
      server = await startRedis(freePort());
      await runAll(server.port, t);
    } finally {
      await server?.stop();
    }
  },
});
