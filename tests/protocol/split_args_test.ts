// Tests for splitArgs, including a comparison with real redis-server's inline command parser.
import assert from "node:assert/strict";
import { splitArgs } from "../../src/protocol/split_args.ts";

Deno.test("an empty or blank line gives no arguments", () => {
  assert.deepEqual(splitArgs(""), []);
  assert.deepEqual(splitArgs("   \t \r\n"), []);
  assert.deepEqual(splitArgs("\v\f"), []);
});

Deno.test("plain words are separated by runs of whitespace", () => {
  assert.deepEqual(splitArgs("set  key\tvalue\r\n"), ["set", "key", "value"]);
  assert.deepEqual(splitArgs("  a b  "), ["a", "b"]);
});

Deno.test("vertical tab and form feed are skipped between words but kept inside a word", () => {
  assert.deepEqual(splitArgs("\va\vb"), ["a\vb"]);
  assert.deepEqual(splitArgs("a \fb\fc"), ["a", "b\fc"]);
});

Deno.test("double quotes understand the C escapes and hex bytes", () => {
  assert.deepEqual(splitArgs(`"a\\n\\r\\t\\b\\a\\\\\\"z"`), ['a\n\r\t\b\x07\\"z']);
  assert.deepEqual(splitArgs(`"a\\x41b" "\\xff\\x00"`), ["aAb", "\xff\x00"]);
  assert.deepEqual(splitArgs(`"\\xAf"`), ["\xaf"]);
});

Deno.test("an unknown escape or a half hex escape gives the character itself", () => {
  assert.deepEqual(splitArgs(`"\\q\\x4" "\\xZZ"`), ["qx4", "xZZ"]);
  assert.deepEqual(splitArgs(`"\\'"`), ["'"]);
});

Deno.test("single quotes only understand an escaped single quote", () => {
  assert.deepEqual(splitArgs(`'it\\'s' '\\n\\x41'`), ["it's", "\\n\\x41"]);
  assert.deepEqual(splitArgs(`'a "b" c'`), ['a "b" c']);
});

Deno.test("empty quotes make an empty argument", () => {
  assert.deepEqual(splitArgs(`set k ""`), ["set", "k", ""]);
  assert.deepEqual(splitArgs(`'' ""`), ["", ""]);
});

Deno.test("a quote may start in the middle of a word", () => {
  assert.deepEqual(splitArgs(`ab"c d"`), ["abc d"]);
  assert.deepEqual(splitArgs(`ab'c d' e`), ["abc d", "e"]);
});

Deno.test("a closing quote must be followed by whitespace or the end", () => {
  assert.equal(splitArgs(`"a"b`), null);
  assert.equal(splitArgs(`'a'b`), null);
  assert.deepEqual(splitArgs(`"a"\tb`), ["a", "b"]);
  assert.deepEqual(splitArgs(`"a"\vb`), ["a", "b"]);
});

Deno.test("unterminated quotes are unbalanced", () => {
  assert.equal(splitArgs(`"abc`), null);
  assert.equal(splitArgs(`'abc`), null);
  assert.equal(splitArgs(`"abc\\"`), null);
  assert.equal(splitArgs(`"abc\\`), null);
  assert.equal(splitArgs(`'abc\\'`), null);
});

Deno.test("a NUL character ends the line like the end of a C string", () => {
  assert.deepEqual(splitArgs("a b\0c d"), ["a", "b"]);
  assert.equal(splitArgs('"ab\0c"'), null);
  assert.deepEqual(splitArgs('"ab"\0junk'), ["ab"]);
});

Deno.test("bytes above 127 pass through unchanged", () => {
  assert.deepEqual(splitArgs("\xe9t\xe9 \xa0\xff"), ["\xe9t\xe9", "\xa0\xff"]);
});

Deno.test("a long argument is split quickly", () => {
  const big = "x".repeat(1 << 20);
  const args = splitArgs(`set k "${big}" ${big}`);
  assert.ok(args !== null);
  assert.equal(args.length, 4);
  assert.equal(args[2].length, 1 << 20);
  assert.equal(args[3], big);
});

// ---- Comparison with real Redis -------------------------------------------------------------

/** Encodes a latin1 string as bytes. */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Reads whole RESP replies (simple, error, integer, bulk, array) from a connection. */
class Reader {
  #conn: Deno.Conn;
  #buf = "";
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(chunk[i]);
    this.#buf += s;
    return true;
  }
  async #line(): Promise<string> {
    while (true) {
      const i = this.#buf.indexOf("\r\n");
      if (i >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return line;
      }
      if (!await this.#fill()) throw new Error("connection closed");
    }
  }
  async reply(): Promise<unknown> {
    const line = await this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return rest;
      case "-":
        return new Error(rest);
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        if (n < 0) return null;
        while (this.#buf.length < n + 2) {
          if (!await this.#fill()) throw new Error("connection closed");
        }
        const s = this.#buf.slice(0, n);
        this.#buf = this.#buf.slice(n + 2);
        return s;
      }
      case "*": {
        const n = Number(rest);
        const items = [];
        for (let i = 0; i < n; i++) items.push(await this.reply());
        return items;
      }
    }
    throw new Error(`unexpected reply line ${line}`);
  }
}

/** Starts a throw-away redis-server on a free port, or explains why it can't. */
async function startRedis(): Promise<{ port: number; stop: () => Promise<void> } | string> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (e) {
    return `redis-server could not be started: ${e}`;
  }
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
  };
  for (let i = 0; i < 100; i++) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return { port, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await stop();
  return "redis-server did not start listening";
}

/** Sends `RPUSH k <line>` inline and reads back the list Redis built from it. */
async function redisSplit(port: number, line: string): Promise<string[] | null | "error"> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const reader = new Reader(conn);
    await conn.write(bytes("*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"));
    await reader.reply();
    await conn.write(bytes(`RPUSH k ${line}\r\n`));
    const pushed = await reader.reply();
    if (pushed instanceof Error) {
      if (pushed.message.includes("unbalanced quotes")) return null;
      return "error";
    }
    await conn.write(bytes("*4\r\n$6\r\nLRANGE\r\n$1\r\nk\r\n$1\r\n0\r\n$2\r\n-1\r\n"));
    return await reader.reply() as string[];
  } finally {
    conn.close();
  }
}

Deno.test("inline commands are split the same way real Redis splits them", async () => {
  const redis = await startRedis();
  if (typeof redis === "string") {
    if (Deno.env.get("CI") === "true") throw new Error(redis);
    console.log(`skipped: ${redis}`);
    return;
  }
  try {
    const cases = [
      `a b c`,
      `"a\\x41b"`,
      `"\\xZZ" "\\x4g"`,
      `"\\n\\r\\t\\b\\a\\\\\\"\\q"`,
      `'it\\'s' '\\n'`,
      `"" ''`,
      `ab"c d"`,
      `"a"b`,
      `'a'b`,
      `"abc`,
      `'abc`,
      `"abc\\"`,
      `x\vy \fz`,
      `"q"\vr`,
      `\xe9\xff "\\xe9"`,
      `tab\there\rcr`,
    ];
    for (const line of cases) {
      const ours = splitArgs(`RPUSH k ${line}`);
      const theirs = await redisSplit(redis.port, line);
      if (ours === null) {
        assert.equal(theirs, null, `line ${JSON.stringify(line)}`);
      } else {
        assert.deepEqual(theirs, ours.slice(2), `line ${JSON.stringify(line)}`);
      }
    }
  } finally {
    await redis.stop();
  }
});
