// Tests for the shebang line of EVAL scripts and FUNCTION libraries.
import assert from "node:assert/strict";
import {
  parseFlags,
  parseLibraryShebang,
  parseScriptShebang,
} from "../../src/scripting/shebang.ts";

Deno.test("a script without a shebang is a legacy script with no flags", () => {
  assert.deepEqual(parseScriptShebang("return 1"), { flags: null, code: "return 1" });
});

Deno.test("a shebang's flags are read and its line stays as a comment", () => {
  const parsed = parseScriptShebang("#!lua flags=no-writes,allow-oom\nreturn 1");
  assert.deepEqual(parsed, {
    flags: ["no-writes", "allow-oom"],
    code: "--lua flags=no-writes,allow-oom\nreturn 1",
  });
});

Deno.test("an empty flags= declares no flags, a trailing comma an empty one", () => {
  assert.deepEqual(parseFlags(""), []);
  assert.equal(parseFlags("no-writes,"), "Unexpected flag in script shebang: ");
  assert.equal(parseFlags("bad"), "Unexpected flag in script shebang: bad");
});

Deno.test("EVAL refuses other engines and options, in Redis's words", () => {
  assert.equal(
    parseScriptShebang("#!luax\nreturn 1"),
    "Unexpected engine in script shebang: #!luax",
  );
  assert.equal(parseScriptShebang("#!LUA\nreturn 1"), "Unexpected engine in script shebang: #!LUA");
  assert.equal(parseScriptShebang("#!lua x=y\nreturn 1"), "Unknown lua shebang option: x=y");
  assert.equal(parseScriptShebang('#!lua flags="no\nreturn 1'), "Invalid engine in script shebang");
});

Deno.test("the shebang line needs its newline, and no NUL byte before it", () => {
  assert.equal(parseScriptShebang("#!lua"), "Invalid script shebang");
  assert.equal(parseScriptShebang("#!lua\x00\nreturn 1"), "Invalid script shebang");
  assert.equal(parseLibraryShebang("#!lua name=x"), "Invalid library metadata");
  assert.equal(parseLibraryShebang("#!lua name=x\x00\ncode"), "Invalid library metadata");
  // A NUL after the first line is the code's business.
  assert.ok(typeof parseScriptShebang("#!lua\nreturn '\x00'") === "object");
});

Deno.test("flags= may come more than once in a script's shebang", () => {
  const parsed = parseScriptShebang("#!lua flags=no-writes flags=allow-oom,no-writes\nreturn 1");
  assert.ok(typeof parsed === "object");
  assert.deepEqual(parsed.flags, ["no-writes", "allow-oom"]);
});

Deno.test("library options split like an inline command, checked in Redis's order", () => {
  const parsed = parseLibraryShebang("#!lua  name='my lib'   \ncode");
  assert.ok(typeof parsed === "object");
  assert.equal(parsed.name, "my lib");
  assert.equal(parsed.engine, "lua");
  assert.equal(parseLibraryShebang('#!lua name="x\ncode'), "Invalid library metadata");
  assert.equal(
    parseLibraryShebang("#!lua name=a name=b\ncode"),
    "Invalid metadata value, name argument was given multiple times",
  );
  assert.equal(parseLibraryShebang("#!lua foo name=a\ncode"), "Invalid metadata value given: foo");
  assert.equal(parseLibraryShebang("#!js\ncode"), "Library name was not given");
  assert.equal(parseLibraryShebang("return 1"), "Missing library metadata");
  // The option's name and the engine in any letter case (the engine is looked up later).
  const upper = parseLibraryShebang("#!LUA NAME=x\n");
  assert.ok(typeof upper === "object");
  assert.deepEqual([upper.engine, upper.name], ["LUA", "x"]);
});
