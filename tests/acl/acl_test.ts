// The ACL model on its own: rules applied to users and selectors, what a call is
// allowed, how rules are shown again, ACL files, and the ACL LOG.

import assert from "node:assert/strict";
import { Acl, DENIED_CHANNEL, DENIED_COMMAND, DENIED_KEY } from "../../src/acl/acl.ts";
import { AclLog } from "../../src/acl/acl_log.ts";
import { ACL_CATEGORIES } from "../../src/acl/catalog.ts";
import type { CallArgs, KeyArg } from "../../src/acl/selector.ts";
import { aclCatalogOf, channelArgs } from "../../src/commands/acl.ts";
import { allCommandSpecs } from "../../src/commands/mod.ts";
import { callTarget, keysOf } from "../../src/commands/table.ts";

const specs = allCommandSpecs();
const catalog = aclCatalogOf(specs);
const byName = new Map(specs.map((s) => [s.name, s]));

function newAcl(allChannels = false): Acl {
  return new Acl(catalog, () => allChannels);
}

// The ACL view of one call, as dispatch builds it.
function callOf(argv: string[]): { command: ReturnType<typeof catalog.lookup>; call: CallArgs } {
  const top = byName.get(argv[0].toLowerCase())!;
  const spec = callTarget(top, argv)!;
  const fullName = spec === top ? top.name : `${top.name}|${spec.name}`;
  const keys: KeyArg[] = keysOf(spec, argv).filter((k) => !k.flags.includes("not_key"));
  return {
    command: catalog.lookup(fullName),
    call: { argv, keys: () => keys, channels: () => channelArgs(fullName, argv) },
  };
}

function allowed(acl: Acl, name: string, ...argv: string[]): number {
  const { command, call } = callOf(argv);
  return acl.check(acl.users.get(name)!, command!, call)?.reason ?? 0;
}

function commandsOf(acl: Acl, name: string): string {
  return acl.users.get(name)!.root.describeCommands();
}

Deno.test("the default user may run anything and is shown as Redis shows it", () => {
  const acl = newAcl();
  assert.deepEqual(acl.list(), ["user default on nopass ~* &* +@all"]);
  assert.equal(acl.defaultUser.unrestricted, true);
  assert.equal(allowed(acl, "default", "FLUSHALL"), 0);
});

Deno.test("a new user starts off, with no commands, keys or channels", () => {
  const acl = newAcl();
  assert.equal(acl.setUser("u", []), null);
  assert.deepEqual(acl.list()[1], "user u off resetchannels -@all");
  assert.equal(allowed(acl, "u", "GET", "k"), DENIED_COMMAND);
  assert.equal(acl.authenticate("u", "x"), null);
});

Deno.test("passwords are kept as SHA-256 and open only a user that is on", () => {
  const acl = newAcl();
  acl.setUser("u", [">secret"]);
  assert.equal(acl.authenticate("u", "secret"), null);
  acl.setUser("u", ["on"]);
  assert.equal(acl.authenticate("u", "secret")?.name, "u");
  assert.equal(acl.authenticate("u", "other"), null);
  const hashes = acl.users.get("u")!.passwords;
  assert.deepEqual(hashes, ["2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"]);
  assert.ok(!acl.list().join().includes("secret"));
  acl.setUser("u", ["nopass"]);
  assert.equal(acl.authenticate("u", "anything")?.name, "u");
});

Deno.test("SETUSER applies all rules or none", () => {
  const acl = newAcl();
  acl.setUser("u", ["on", "+get"]);
  const error = acl.setUser("u", ["off", "+set", "+nosuch"]);
  assert.equal(
    error,
    "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL",
  );
  assert.equal(acl.users.get("u")!.enabled, true);
  assert.equal(commandsOf(acl, "u"), "-@all +get");
});

Deno.test("command rules are shown with the categories that fit best", () => {
  const acl = newAcl();
  const cases: [string[], string][] = [
    [["-@all", "+@fast", "+@slow"], "-@all +@slow +@fast"],
    [["-@all", "+@string", "+@list"], "-@all +@list +@string"],
    [["+@all", "-config", "+config|get", "-@admin"], "+@all -@admin -config"],
    [["-@all", "+get", "+@string"], "-@all +@string"],
    [["-@all", "+@string", "-get", "+@list"], "-@all +@list +@string -get"],
    [["-@all", "+memory|doctor"], "-@all +memory|doctor"],
    [["-@all", "+memory|doctor", "+memory"], "-@all +memory"],
    [["+@all", "-client|kill"], "+@all -client|kill"],
    [["-@all", "+select|0", "+select|1"], "-@all +select|0 +select|1"],
    [["-@all", "+select|0", "+@connection"], "-@all +@connection"],
  ];
  for (const [rules, shown] of cases) {
    acl.setUser("u", ["reset", ...rules]);
    assert.equal(commandsOf(acl, "u"), shown, rules.join(" "));
  }
});

Deno.test("every category alone is shown as itself, allowed or refused", () => {
  const acl = newAcl();
  for (const category of ACL_CATEGORIES) {
    acl.setUser("u", ["reset", "+@all", `-@${category}`]);
    assert.equal(commandsOf(acl, "u"), `+@all -@${category}`);
    acl.setUser("u", ["reset", "-@all", `+@${category}`]);
    assert.equal(commandsOf(acl, "u"), `-@all +@${category}`);
  }
});

Deno.test("shown rules give back exactly what they describe", () => {
  const acl = newAcl();
  const rules = ["+@all", "-@dangerous", "+flushdb", "-@list", "+lpush", "+select|9", "-config"];
  acl.setUser("u", ["reset", ...rules]);
  const shown = commandsOf(acl, "u").split(" ");
  acl.setUser("v", ["reset", ...shown]);
  assert.deepEqual(acl.users.get("v")!.root.allowed, acl.users.get("u")!.root.allowed);
});

Deno.test("key patterns need read for access and write for changes", () => {
  const acl = newAcl();
  acl.setUser("u", ["on", "+@all", "%R~r*", "%W~w*", "~rw*"]);
  assert.equal(allowed(acl, "u", "GET", "r1"), 0);
  assert.equal(allowed(acl, "u", "GET", "w1"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "SET", "w1", "v"), 0);
  assert.equal(allowed(acl, "u", "SET", "w1", "v", "GET"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "SET", "r1", "v"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "COPY", "r1", "w1"), 0);
  assert.equal(allowed(acl, "u", "LMOVE", "r1", "w1", "LEFT", "LEFT"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "INCR", "rw1"), 0);
  assert.equal(acl.users.get("u")!.root.describeKeys(), "%R~r* %W~w* ~rw*");
});

Deno.test("channels match as globs, subscription patterns only as written", () => {
  const acl = newAcl();
  acl.setUser("u", ["on", "+@all", "~*", "resetchannels", "&news.*"]);
  assert.equal(allowed(acl, "u", "PUBLISH", "news.today", "x"), 0);
  assert.equal(allowed(acl, "u", "PUBLISH", "sport", "x"), DENIED_CHANNEL);
  assert.equal(allowed(acl, "u", "SPUBLISH", "news.x", "x"), 0);
  assert.equal(allowed(acl, "u", "PSUBSCRIBE", "news.*"), 0);
  assert.equal(allowed(acl, "u", "PSUBSCRIBE", "news.a*"), DENIED_CHANNEL);
  assert.equal(allowed(acl, "u", "UNSUBSCRIBE", "sport"), 0);
});

Deno.test("a call is allowed when one selector allows all of it", () => {
  const acl = newAcl();
  acl.setUser("u", ["on", "+get", "~a*", "(+set ~b*)"]);
  assert.equal(allowed(acl, "u", "GET", "a1"), 0);
  assert.equal(allowed(acl, "u", "SET", "b1", "v"), 0);
  assert.equal(allowed(acl, "u", "SET", "a1", "v"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "GET", "b1"), DENIED_KEY);
  assert.equal(allowed(acl, "u", "DEL", "a1"), DENIED_COMMAND);
  assert.equal(
    acl.list()[1],
    "user u on ~a* resetchannels -@all +get (~b* resetchannels -@all +set)",
  );
});

Deno.test("AUTH and HELLO are never refused by command rules", () => {
  const acl = newAcl();
  acl.setUser("u", ["on", "nopass"]);
  assert.equal(allowed(acl, "u", "AUTH", "x"), 0);
  assert.equal(allowed(acl, "u", "HELLO", "3"), 0);
  assert.equal(allowed(acl, "u", "PING"), DENIED_COMMAND);
});

Deno.test("an ACL file replaces every user, or changes nothing when a line is wrong", () => {
  const acl = newAcl();
  acl.setUser("old", ["on"]);
  const bad = acl.loadFile("user a on\nuser b +nosuch\nnot a user\nuser a off\n", "f.acl");
  assert.ok("error" in bad);
  assert.equal(
    bad.error,
    "f.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. " +
      "f.acl:3 should start with user keyword followed by the username. " +
      "WARNING: Duplicate user 'a' found on line 4. " +
      "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
  );
  assert.deepEqual([...acl.users.keys()].sort(), ["default", "old"]);
  const defaultUser = acl.defaultUser;
  const good = acl.loadFile("user a on >x ~* +@all\n\n  \nuser default on nopass -@all\n", "f.acl");
  assert.ok("removed" in good);
  assert.deepEqual(good.removed.map((u) => u.name), ["old"]);
  assert.equal(acl.defaultUser, defaultUser);
  assert.equal(commandsOf(acl, "default"), "-@all");
  assert.equal(
    acl.fileText(),
    "user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~* resetchannels +@all\n" +
      "user default on nopass resetchannels -@all\n",
  );
});

Deno.test("user directives reset the default user before their rules", () => {
  const acl = newAcl();
  assert.equal(acl.loadDirectives([["default", "on", "nopass", "~*", "+@all"], ["u", "on"]]), null);
  assert.deepEqual(acl.list(), [
    "user default on nopass sanitize-payload ~* resetchannels +@all",
    "user u on resetchannels -@all",
  ]);
  assert.equal(
    acl.loadDirectives([["v", "+nosuch"]]),
    "Error loading ACL rule '+nosuch' for the user named 'v': Unknown command or category name in ACL",
  );
});

Deno.test("acl-pubsub-default decides the channels of new and reset users", () => {
  const acl = newAcl(true);
  acl.setUser("u", []);
  assert.equal(acl.users.get("u")!.root.describeChannels(), "&*");
  assert.match(acl.setUser("v", ["&one"]) ?? "", /start with an empty list of channels/);
});

Deno.test("the ACL LOG counts like refusals on one entry and keeps the newest", () => {
  const log = new AclLog();
  const entry = (object: string, time: number) => ({
    reason: "command",
    context: "toplevel",
    object,
    username: "u",
    time,
    clientInfo: "id=1",
  });
  log.add(entry("get", 1000), 3);
  log.add(entry("set", 1001), 3);
  log.add(entry("get", 1002), 3);
  assert.deepEqual(log.entries.map((e) => [e.object, e.count]), [["get", 2], ["set", 1]]);
  log.add(entry("get", 1002 + 61_000), 3);
  assert.deepEqual(log.entries.map((e) => [e.object, e.count]), [["get", 1], ["get", 2], [
    "set",
    1,
  ]]);
  log.add(entry("del", 70_000), 3);
  assert.deepEqual(log.entries.map((e) => e.object), ["del", "get", "get"]);
});
