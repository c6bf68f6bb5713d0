// Tests for globMatch, including a differential test against KEYS on a real redis-server.
import assert from "node:assert/strict";
import { globMatch } from "../../src/util/glob.ts";

/** Asserts each [pattern, subject, expected] case, case-sensitively unless `noCase`. */
function check(cases: [string, string, boolean][], noCase = false): void {
  for (const [pattern, subject, expected] of cases) {
    assert.equal(
      globMatch(pattern, subject, noCase),
      expected,
      `${JSON.stringify(pattern)} vs ${JSON.stringify(subject)}${noCase ? " (nocase)" : ""}`,
    );
  }
}

Deno.test("literal patterns match only the same bytes", () => {
  check([
    ["hello", "hello", true],
    ["hello", "hell", false],
    ["hello", "hello!", false],
    ["hello", "Hello", false],
    ["", "", true],
    ["", "a", false],
  ]);
});

Deno.test("a star matches any run of bytes", () => {
  check([
    ["*", "anything", true],
    ["h*o", "hello", true],
    ["h*o", "ho", true],
    ["h*o", "hola", false],
    ["*llo", "hello", true],
    ["he*", "he", true],
    ["he**", "he", true],
    ["**", "x", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
    ["*a*", "banana", true],
    ["*x*", "banana", false],
  ]);
});

Deno.test("an empty subject matches no non-empty pattern, not even a star", () => {
  check([
    ["*", "", false],
    ["**", "", false],
    ["?", "", false],
  ]);
});

Deno.test("a question mark matches exactly one byte", () => {
  check([
    ["h?llo", "hello", true],
    ["h?llo", "hllo", false],
    ["???", "abc", true],
    ["???", "ab", false],
    ["?", "\xff", true],
  ]);
});

Deno.test("bracket classes match one byte from a set or range", () => {
  check([
    ["h[ae]llo", "hello", true],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hello", false],
    ["h[a-b]llo", "hbllo", true],
    ["h[a-b]llo", "hcllo", false],
    ["h[b-a]llo", "hallo", true],
    ["[z-a]", "m", true],
    ["[a-c-e]", "-", true],
    ["[a-c-e]", "e", true],
    ["[-a]", "-", true],
    // "a-]" is read as the range "]".."a", and the class is then left unterminated.
    ["[a-]", "-", false],
    ["[a-]", "_", true],
    ["[]a]", "a", false],
    ["[]a]", "]", false],
    ["[]", "]", false],
    ["[^]", "x", true],
    ["x[]y", "xy", false],
  ]);
});

Deno.test("backslash escapes the next byte inside and outside brackets", () => {
  check([
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
    ["\\?", "?", true],
    ["\\?", "a", false],
    ["[\\]]", "]", true],
    ["[\\-]", "-", true],
    ["[a\\-z]", "b", false],
    ["[\\^a]", "^", true],
    ["a\\", "a\\", true],
    ["a\\", "a", false],
    ["\\\\", "\\", true],
  ]);
});

Deno.test("an unterminated bracket acts as a class reaching the end of the pattern", () => {
  check([
    ["[", "[", false],
    ["[", "", false],
    ["a[bc", "ab", true],
    ["a[bc", "ac", true],
    ["a[bc", "a[", false],
    ["[^", "x", true],
    ["[^a", "a", false],
    ["[^a", "b", true],
    ["[a-", "-", true],
    ["[a-", "b", false],
    ["[\\", "\\", true],
  ]);
});

Deno.test("binary bytes are compared as bytes and ranges see them as signed chars", () => {
  check([
    ["\x00*\xff", "\x00abc\xff", true],
    ["[\x80-\xff]", "\x90", true],
    ["[\x80-\xff]", "a", false],
    // 'a'..0xff is the range -1..97 for a signed char: it holds 0xff and low bytes, not 'b'.
    ["[a-\xff]", "b", false],
    ["[a-\xff]", "\xff", true],
    ["[a-\xff]", "0", true],
    ["[a-\xff]", "\xfe", false],
  ]);
});

Deno.test("noCase folds ASCII letters except after an escape inside brackets", () => {
  check([
    ["HELLO", "hello", true],
    ["h*O", "HellO", true],
    ["[A-C]x", "bX", true],
    ["[a-c]", "B", true],
    ["[^A]", "a", false],
    ["\\A", "a", true],
    ["[\\A]", "a", false],
    ["\xc9", "\xe9", false],
  ], true);
});

Deno.test("pathological patterns finish quickly", () => {
  const subject = "a".repeat(5000);
  const start = performance.now();
  assert.equal(globMatch("a*".repeat(40) + "b", subject), false);
  assert.equal(globMatch("*a".repeat(200) + "*b", subject), false);
  assert.equal(globMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", subject), false);
  assert.equal(globMatch("*a".repeat(900), subject), true);
  assert.ok(performance.now() - start < 1000, "took too long");
});

Deno.test("more than 1000 nested stars never match, as in Redis", () => {
  const subject = "a".repeat(1100);
  assert.equal(globMatch("*a".repeat(1000), subject), true);
  assert.equal(globMatch("*a".repeat(1001), subject), false);
  assert.equal(globMatch("*a".repeat(1000) + "*", subject), true);
});

// ---- Differential test against KEYS on a real redis-server ----------------------------------

/** Encodes a latin1 string as bytes. */
function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Encodes a command as a RESP multibulk. */
function command(...args: string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return bytes(s);
}

/** A tiny RESP2 client over one connection, enough for SET and KEYS. */
class Client {
  #conn: Deno.Conn;
  #buf = "";
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  async call(...args: string[]): Promise<unknown> {
    await this.#conn.write(command(...args));
    return await this.#reply();
  }
  close(): void {
    this.#conn.close();
  }
  async #fill(): Promise<void> {
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("connection closed");
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(chunk[i]);
    this.#buf += s;
  }
  async #line(): Promise<string> {
    while (true) {
      const i = this.#buf.indexOf("\r\n");
      if (i >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return line;
      }
      await this.#fill();
    }
  }
  async #reply(): Promise<unknown> {
    const line = await this.#line();
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return rest;
      case "-":
        throw new Error(rest);
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        if (n < 0) return null;
        while (this.#buf.length < n + 2) await this.#fill();
        const s = this.#buf.slice(0, n);
        this.#buf = this.#buf.slice(n + 2);
        return s;
      }
      case "*": {
        const items = [];
        for (let i = Number(rest); i > 0; i--) items.push(await this.#reply());
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

const KEYS = [
  "",
  "a",
  "b",
  "ab",
  "abc",
  "aXc",
  "hello",
  "hallo",
  "hillo",
  "hllo",
  "heeeello",
  "Hello",
  "HELLO",
  "user:1",
  "user:12",
  "user:1:name",
  "user:x",
  "*",
  "?",
  "[",
  "]",
  "[a]",
  "a*b",
  "a\\b",
  "\\",
  "-",
  "^",
  "x-y",
  "\x00",
  "\x00bin\xff",
  "\x7f",
  "\x80",
  "\x90",
  "\xe9t\xe9",
  "\xff",
  "0",
  "9",
  "a".repeat(1100),
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
];

const PATTERNS = [
  "*",
  "**",
  "?",
  "??",
  "a*",
  "*b",
  "a*b",
  "a?c",
  "h?llo",
  "h*llo",
  "h[ae]llo",
  "h[^e]llo",
  "h[a-i]llo",
  "h[i-a]llo",
  "[A-Z]*",
  "[a-c]",
  "[^a-c]",
  "user:*",
  "user:?",
  "user:[0-9]*",
  "user:*:name",
  "\\*",
  "\\?",
  "\\[",
  "[[]",
  "[]]",
  "[\\]]",
  "[\\-]",
  "[-]",
  "[a-]",
  "[",
  "[a",
  "a[bc",
  "[^",
  "[^a",
  "a\\\\b",
  "a\\",
  "\\",
  "\\\\",
  "[\\",
  "*\\*",
  "[\x00]",
  "\x00*",
  "*\xff",
  "[\x80-\xff]",
  "[a-\xff]",
  "[\xff-a]",
  "[\x7f-\x80]",
  "?t?",
  "*a*a*a*a*a*a*a*a*a*b",
  "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c",
  "*a".repeat(1000),
  "*a".repeat(1001),
  "*a".repeat(1000) + "*",
  "[]a]*",
  "[^]*",
  "[a-c-e]",
  "[x-]",
  "?[a-]",
];

Deno.test("globMatch agrees with KEYS on a real redis-server", async () => {
  const redis = await startRedis();
  if (typeof redis === "string") {
    if (Deno.env.get("CI") === "true") throw new Error(redis);
    console.log(`skipped: ${redis}`);
    return;
  }
  const client = new Client(await Deno.connect({ hostname: "127.0.0.1", port: redis.port }));
  try {
    for (const key of KEYS) await client.call("SET", key, "1");
    for (const pattern of PATTERNS) {
      const theirs = (await client.call("KEYS", pattern) as string[]).sort();
      // KEYS skips matching for a lone "*", so it also returns the empty key.
      const ours = pattern === "*" ? [...KEYS] : KEYS.filter((k) => globMatch(pattern, k));
      assert.deepEqual(ours.sort(), theirs, `pattern ${JSON.stringify(pattern)}`);
    }
  } finally {
    client.close();
    await redis.stop();
  }
});
