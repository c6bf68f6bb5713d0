// Tests for the Lua VM on its own: bytes both ways, reply conversion, errors, and a
// library loading through the host.
import assert from "node:assert/strict";
import {
  type CallReply,
  EVAL_STATE,
  FUNCTION_STATE,
  LuaVm,
  mayRunLuaBeneathC,
  type VmHost,
} from "../../src/scripting/lua_vm.ts";
import { ReplyWriter } from "../../src/protocol/reply_writer.ts";

const latin1 = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join("");

function callReply(text: string): CallReply {
  const bytes = new TextEncoder().encode(text);
  return { bytes, length: bytes.length };
}

function host(overrides: Partial<VmHost> = {}): VmHost & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    call: () => callReply("+OK\r\n"),
    aclCheck: () => 1,
    log: () => {},
    setReplication: () => {},
    tick: () => 0,
    pause: () => Promise.resolve(),
    killMessage: () => "ERR killed",
    registerFunction: () => null,
    failed: (text, source, line) => errors.push(`${text} @${source}:${line}`),
    ...overrides,
  };
}

function run(vm: LuaVm, code: string, keys: string[] = [], args: string[] = []): string {
  const ref = vm.compile(EVAL_STATE, "@user_script", code);
  assert.equal(typeof ref, "number", String(ref));
  const reply = new ReplyWriter();
  vm.run(EVAL_STATE, ref as number, [...keys, ...args], 0, keys.length, reply, false);
  return latin1(reply.take());
}

Deno.test("every byte value goes into a script and comes back unchanged", () => {
  const vm = new LuaVm(host());
  let all = "";
  for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
  assert.equal(run(vm, "return ARGV[1]", [], [all]), `$256\r\n${all}\r\n`);
  assert.equal(
    run(vm, "return KEYS[1] .. ARGV[1]", ["\x00\xff"], ["\x80"]),
    "$3\r\n\x00\xff\x80\r\n",
  );
});

Deno.test("numbers become integers, truncated, as Redis converts them", () => {
  const vm = new LuaVm(host());
  assert.equal(run(vm, "return 3.99"), ":3\r\n");
  assert.equal(run(vm, "return -3.99"), ":-3\r\n");
  assert.equal(run(vm, "return 1e30"), ":-9223372036854775808\r\n");
  assert.equal(run(vm, "return tostring(10/2)"), "$1\r\n5\r\n");
});

Deno.test("redis.call hands the command's arguments to the host and converts its reply", () => {
  const seen: string[][] = [];
  const vm = new LuaVm(host({
    call: (argv) => {
      seen.push(argv);
      return callReply("*2\r\n:1\r\n$-1\r\n");
    },
  }));
  assert.equal(run(vm, "return redis.call('mget', 'a', 0.1, 3)"), "*2\r\n:1\r\n$-1\r\n");
  assert.deepEqual(seen, [["mget", "a", "0.10000000000000001", "3"]]);
});

Deno.test("a runtime error names the line it happened on", () => {
  const h = host();
  const vm = new LuaVm(h);
  run(vm, "local x = 1\nerror('boom')");
  assert.deepEqual(h.errors, ["ERR user_script:2: boom @@user_script:2"]);
});

Deno.test("a compile error comes back as text", () => {
  const vm = new LuaVm(host());
  assert.equal(
    vm.compile(EVAL_STATE, "@user_script", "return +"),
    "user_script:1: unexpected symbol near '+'",
  );
});

Deno.test("a library registers its functions through the host and can call them later", () => {
  const registered: [number, string][] = [];
  const vm = new LuaVm(host({
    registerFunction: (ref, name) => {
      registered.push([ref, name]);
      return null;
    },
  }));
  assert.equal(
    vm.loadLibrary("redis.register_function('f', function(keys, args) return #keys end)"),
    null,
  );
  assert.equal(registered.length, 1);
  const reply = new ReplyWriter();
  vm.run(FUNCTION_STATE, registered[0][0], ["a", "b"], 0, 2, reply, false);
  assert.equal(latin1(reply.take()), ":2\r\n");
});

Deno.test("library code that runs too long is stopped", () => {
  const vm = new LuaVm(host());
  assert.deepEqual(vm.loadLibrary("while true do end"), { run: "ERR FUNCTION LOAD timeout" });
});

Deno.test("a script that may yield comes back as a promise only when it yielded", async () => {
  let ticks = 0;
  let pauses = 0;
  // Every check lets other clients in: each run of the loop below yields several times.
  const vm = new LuaVm(host({
    tick: () => (ticks++, 1),
    pause: () => (pauses++, Promise.resolve()),
  }));
  const compile = (code: string) => vm.compile(EVAL_STATE, "@user_script", code) as number;
  const loop = "local n = 0 for i = 1, 1000000 do n = n + i end";
  const cases: [string, string][] = [
    // A coroutine the hook yields, and one on a JSPI stack (pcall).
    [`${loop} return n`, ":500000500000\r\n"],
    [`local ok, n = pcall(function() ${loop} return n end) return n`, ":500000500000\r\n"],
  ];
  for (const [code, expected] of cases) {
    const reply = new ReplyWriter();
    const done = vm.run(EVAL_STATE, compile(code), [], 0, 0, reply, true);
    assert.ok(done instanceof Promise, code);
    assert.equal(await done, true);
    assert.equal(latin1(reply.take()), expected);
  }
  assert.ok(pauses >= 2 * 5, `paused ${pauses} times`);
  // A short script answers at once; an error after yields names its line.
  const quick = new ReplyWriter();
  assert.equal(vm.run(EVAL_STATE, compile("return 1"), [], 0, 0, quick, true), true);
  const errors = host().errors;
  const failing = new LuaVm(host({
    tick: () => 1,
    failed: (text, source, line) => errors.push(`${text} @${source}:${line}`),
  }));
  const ref = failing.compile(EVAL_STATE, "@user_script", `${loop}\nerror('late')`) as number;
  assert.equal(await failing.run(EVAL_STATE, ref, [], 0, 0, new ReplyWriter(), true), false);
  assert.deepEqual(errors, ["ERR user_script:2: late @@user_script:2"]);
});

Deno.test("scripts that may run Lua beneath a C function are told apart", () => {
  for (
    const code of [
      "pcall(f)",
      "return xpcall(f, g)",
      "table.sort(t, function(a, b) return a > b end)",
      "s:gsub('x', f)",
      "setmetatable({}, mt)",
      "coroutine.wrap(f)()",
      "load(reader)",
      "debug.sethook()",
      "table.foreach(t, f)",
    ]
  ) assert.ok(mayRunLuaBeneathC(code), code);
  for (
    const code of [
      "return redis.call('incr', KEYS[1])",
      "return redis.pcall('incr', KEYS[1])",
      "return redis . pcall('x')",
      "return loadstring('return 1')()",
      "local sorted = 1 return sorted",
      "return cjson.decode(ARGV[1])",
    ]
  ) assert.ok(!mayRunLuaBeneathC(code), code);
});
