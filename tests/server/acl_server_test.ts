// ACL end to end: users from an ACL file (ACL SAVE and ACL LOAD) or from `user`
// directives (and CONFIG REWRITE), start-up refusals, requirepass as the default
// user's password, and the connections closed when their user is deleted, replaced
// or loses a channel it listens on.

import assert from "node:assert/strict";
import { RespClient } from "../_resp_client.ts";
import { freePort, startRedeno } from "../_server.ts";
import { passwordHash } from "../../src/acl/user.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

// What a closed connection answers: the read ends.
async function isClosed(client: RespClient): Promise<boolean> {
  try {
    await client.call("PING");
    return false;
  } catch {
    return true;
  }
}

Deno.test("ACL SAVE writes the users and ACL LOAD brings them back, closing replaced users' clients", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-acl-" });
  Deno.writeTextFileSync(`${dir}/users.acl`, "user alice on >alice ~* &* +@all\n");
  const server = await startRedeno(freePort(), ["--dir", dir, "--aclfile", "users.acl"]);
  try {
    const admin = await RespClient.connect(server.port);
    assert.deepEqual(await admin.call("ACL", "USERS"), ["alice", "default"]);
    assert.equal(await admin.call("ACL", "SETUSER", "eve", "on", ">eve", "+get", "allkeys"), "OK");
    assert.equal(await admin.call("ACL", "SAVE"), "OK");
    const text = Deno.readTextFileSync(`${dir}/users.acl`);
    assert.equal(
      text,
      `user alice on #${passwordHash("alice")} ~* &* +@all\n` +
        "user default on nopass ~* &* +@all\n" +
        `user eve on #${passwordHash("eve")} ~* resetchannels -@all +get\n`,
    );
    const eve = await RespClient.connect(server.port);
    assert.equal(await eve.call("AUTH", "eve", "eve"), "OK");
    assert.equal(await eve.call("GET", "k"), null);
    // A broken file changes nothing.
    Deno.writeTextFileSync(`${dir}/users.acl`, text + "user bob +nosuch\n");
    const error = await admin.call("ACL", "LOAD") as Error;
    assert.match(error.message, /users\.acl:4: Error in applying operation '\+nosuch'/);
    assert.equal(await eve.call("GET", "k"), null);
    // A good one replaces every user: eve's connection is closed, default's stays.
    Deno.writeTextFileSync(`${dir}/users.acl`, "user eve on >eve2 +set allkeys\n");
    assert.equal(await admin.call("ACL", "LOAD"), "OK");
    assert.equal(await isClosed(eve), true);
    assert.equal(await admin.call("PING"), "PONG");
    assert.deepEqual(await admin.call("ACL", "USERS"), ["default", "eve"]);
  } finally {
    await server.stop();
  }
});

Deno.test("user directives define the users, and CONFIG REWRITE writes them back", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-acl-" });
  const file = `${dir}/redis.conf`;
  Deno.writeTextFileSync(file, `dir ${dir}\nuser default on nopass ~* &* +@all -flushdb\n`);
  const port = freePort();
  const server = await startRedeno(port, [file]);
  try {
    const client = await RespClient.connect(server.port);
    assert.match(String(await client.call("FLUSHDB")), /NOPERM/);
    assert.equal(await client.call("ACL", "SETUSER", "ops", "on", ">pw", "+info"), "OK");
    assert.equal(await client.call("CONFIG", "REWRITE"), "OK");
    const text = Deno.readTextFileSync(file);
    assert.match(text, /^user default on nopass sanitize-payload ~\* &\* \+@all -flushdb$/m);
    assert.match(text, /^user ops on #\w{64} resetchannels -@all \+info$/m);
  } finally {
    await server.stop();
  }
  const again = await startRedeno(port, [file]);
  try {
    const client = await RespClient.connect(again.port);
    assert.match(String(await client.call("FLUSHDB")), /NOPERM/);
    assert.equal(await client.call("AUTH", "ops", "pw"), "OK");
  } finally {
    await again.stop();
  }
});

// The last lines a server prints when it refuses to start, and its exit code.
async function refusal(args: string[]): Promise<[string, number]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "--port", String(freePort()), "--save", "", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return [text, out.code];
}

Deno.test("a server with bad users refuses to start, with Redis's reasons", async () => {
  const [duplicate, code] = await refusal(["--user", "foo", "--user", "foo"]);
  assert.equal(code, 1);
  assert.match(duplicate, /Error in user declaration 'foo': Duplicate user found/);
  const [badRule] = await refusal(["--user", "foo", "on", "+nosuch"]);
  assert.match(
    badRule,
    /Error loading ACL rule '\+nosuch' for the user named 'foo': Unknown command or category name in ACL/,
  );
  const dir = Deno.makeTempDirSync({ prefix: "redeno-acl-" });
  Deno.writeTextFileSync(`${dir}/u.acl`, "user a on\n");
  const [both] = await refusal(["--dir", dir, "--aclfile", "u.acl", "--user", "b"]);
  assert.match(both, /users defined in redis.conf and at the same setting an ACL file path/);
  const [missing] = await refusal(["--dir", dir, "--aclfile", "nosuch.acl"]);
  assert.match(missing, /Error loading ACLs, opening file 'nosuch.acl'/);
});

Deno.test("requirepass is the default user's password", async () => {
  const server = await startRedeno(freePort(), ["--requirepass", "secret"]);
  try {
    const client = await RespClient.connect(server.port);
    assert.match(String(await client.call("PING")), /NOAUTH/);
    assert.equal(await client.call("AUTH", "default", "secret"), "OK");
    const list = await client.call("ACL", "LIST") as string[];
    assert.equal(list[0], `user default on #${passwordHash("secret")} ~* &* +@all`);
    assert.equal(await client.call("CONFIG", "SET", "requirepass", ""), "OK");
    assert.deepEqual(await client.call("ACL", "LIST"), ["user default on nopass ~* &* +@all"]);
    const fresh = await RespClient.connect(server.port);
    assert.equal(await fresh.call("PING"), "PONG");
  } finally {
    await server.stop();
  }
});

Deno.test("deleting a user closes its connections, its own after the reply", async () => {
  const server = await startRedeno(freePort());
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call("ACL", "SETUSER", "temp", "on", ">pw", "+acl", "+ping");
    const other = await RespClient.connect(server.port);
    assert.equal(await other.call("AUTH", "temp", "pw"), "OK");
    const self = await RespClient.connect(server.port);
    assert.equal(await self.call("AUTH", "temp", "pw"), "OK");
    assert.equal(await self.call("ACL", "DELUSER", "temp"), 1);
    assert.equal(await isClosed(self), true);
    assert.equal(await isClosed(other), true);
    assert.equal(await admin.call("PING"), "PONG");
  } finally {
    await server.stop();
  }
});

Deno.test("a subscriber loses its connection with the permission of a channel it listens on", async () => {
  const server = await startRedeno(freePort());
  try {
    const admin = await RespClient.connect(server.port);
    await admin.call(
      "ACL",
      "SETUSER",
      "ps",
      "on",
      "nopass",
      "+@all",
      "resetchannels",
      "&news",
      "&sport.*",
    );
    const subscriber = await RespClient.connect(server.port);
    await subscriber.call("AUTH", "ps", "x");
    assert.deepEqual(await subscriber.call("SUBSCRIBE", "news"), ["subscribe", "news", 1]);
    assert.deepEqual(await subscriber.call("PSUBSCRIBE", "sport.*"), ["psubscribe", "sport.*", 2]);
    // Still allowed: more channels, or all of them.
    await admin.call("ACL", "SETUSER", "ps", "&weather");
    await admin.call("ACL", "SETUSER", "ps", "allchannels");
    assert.match(String(await admin.call("CLIENT", "LIST")), /user=ps/);
    await admin.call("ACL", "SETUSER", "ps", "resetchannels", "&news");
    assert.doesNotMatch(String(await admin.call("CLIENT", "LIST")), /user=ps/);
    assert.equal(await isClosed(subscriber), true);
  } finally {
    await server.stop();
  }
});
