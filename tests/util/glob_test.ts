// Tests for globMatch, including a differential test against KEYS on a real redis-server.
import assert from "node:assert/strict";
import { globMatch } from "../../src/util/glob.ts";
import { withRealRedis } from "../_resp_client.ts";

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
  await withRealRedis(async (client) => {
    for (const key of KEYS) await client.call("SET", key, "1");
    for (const pattern of PATTERNS) {
      const theirs = (await client.call("KEYS", pattern) as string[]).sort();
      // KEYS skips matching for a lone "*", so it also returns the empty key.
      const ours = pattern === "*" ? [...KEYS] : KEYS.filter((k) => globMatch(pattern, k));
      assert.deepEqual(ours.sort(), theirs, `pattern ${JSON.stringify(pattern)}`);
    }
  });
});
