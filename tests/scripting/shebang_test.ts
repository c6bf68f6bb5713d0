// Tests for the shebang line of EVAL scripts and FUNCTION libraries.
import assert from "node:assert/strict";
import {
  INVALID_METADATA,
  parseFlags,
  parseOptions,
  parseScriptShebang,
  REPEATED,
} from "../../src/scripting/shebang.ts";

Deno.test("a script without a shebang is a legacy script with no flags", () => {
  assert.deepEqual(parseScriptShebang("return 1"), { flags: null, name: null, code: "return 1" });
});

Deno.test("a shebang's flags are read and its line stays as a comment", () => {
  const parsed = parseScriptShebang("#!lua flags=no-writes,allow-oom\nreturn 1");
  assert.deepEqual(parsed, {
    flags: ["no-writes", "allow-oom"],
    name: null,
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

Deno.test("options split like an inline command: quotes group, spaces separate", () => {
  const parsed = parseOptions("#!lua  name='my lib'   \ncode", true);
  assert.ok(typeof parsed === "object");
  assert.equal(parsed.options.get("name"), "my lib");
  assert.equal(parseOptions('#!lua name="x\ncode', true), INVALID_METADATA);
  assert.equal(parseOptions("#!lua name=a name=b\ncode", true), REPEATED);
});

Deno.test("library shebangs take the engine name in any letter case", () => {
  assert.ok(typeof parseOptions("#!LUA name=x\n", true) === "object");
  assert.equal(typeof parseOptions("#!LUA name=x\n", false), "string");
});
