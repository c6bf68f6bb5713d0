// Tests for splitArgs, including a comparison with real redis-server's inline command parser.
import assert from "node:assert/strict";
import { splitArgs } from "../../src/protocol/split_args.ts";
import { RespClient, withRealRedis } from "../_resp_client.ts";

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

/** Sends `RPUSH k <line>` inline and reads back the list Redis built from it. */
async function redisSplit(port: number, line: string): Promise<string[] | null | "error"> {
  const client = await RespClient.connect(port);
  try {
    await client.call("DEL", "k");
    await client.send(`RPUSH k ${line}\r\n`);
    const pushed = await client.reply();
    if (pushed instanceof Error) {
      if (pushed.message.includes("unbalanced quotes")) return null;
      return "error";
    }
    return await client.call("LRANGE", "k", "0", "-1") as string[];
  } finally {
    client.close();
  }
}

Deno.test("inline commands are split the same way real Redis splits them", async () => {
  await withRealRedis(async (_client, port) => {
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
      const theirs = await redisSplit(port, line);
      if (ours === null) {
        assert.equal(theirs, null, `line ${JSON.stringify(line)}`);
      } else {
        assert.deepEqual(theirs, ours.slice(2), `line ${JSON.stringify(line)}`);
      }
    }
  });
});
