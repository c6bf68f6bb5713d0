// The V8 flags Redeno ships with are the same however it is started: `deno task start`,
// the compiled binary (`deno task compile`, so the Docker image too), and the servers
// the tests, benchmarks and Redis-suite launchers start; and so are its permissions.

import assert from "node:assert/strict";
import { SHIPPED_PERMISSIONS, SHIPPED_V8_FLAGS } from "./_server.ts";

const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));

Deno.test("the start and compile tasks pass the same V8 flags, and the harness uses them", () => {
  const flagsOf = (task: string) => (config.tasks[task] as string).match(/--v8-flags=\S+/g);
  assert.equal(SHIPPED_V8_FLAGS.length, 1);
  assert.deepEqual(flagsOf("start"), SHIPPED_V8_FLAGS);
  assert.deepEqual(flagsOf("compile"), SHIPPED_V8_FLAGS);
  for (const launcher of ["../.ci/redis_suite.sh", "../tools/suite/redis-server"]) {
    const text = Deno.readTextFileSync(new URL(launcher, import.meta.url));
    assert.match(text, /grep -o -- '--v8-flags=\[\^ "\]\*'/, launcher);
  }
});

Deno.test("the start and compile tasks and the harness grant the same permissions, FFI among them", () => {
  const permissionsOf = (task: string) =>
    ((config.tasks[task] as string).match(/--allow-[a-z-]+/g) ?? []).toSorted();
  assert.deepEqual(permissionsOf("start"), permissionsOf("compile"));
  // Replies are sent, and commands timed, through the C library (src/util/libc.ts).
  assert.ok(permissionsOf("start").includes("--allow-ffi"));
  // The harness's servers (tests, benchmark) run with them too.
  assert.deepEqual(SHIPPED_PERMISSIONS.toSorted(), permissionsOf("start"));
});
