// ACL and its subcommands: users and their rules (SETUSER, GETUSER, DELUSER, LIST,
// USERS, WHOAMI), categories (CAT), DRYRUN, GENPASS, the ACL LOG, and the ACL file
// (LOAD, SAVE). The users themselves live in src/acl/.

import { Buffer } from "node:buffer";
import { randomHex } from "../util/hex.ts";
import {
  ACL_CATEGORIES,
  AclCatalog,
  type AclCommand,
  type CatalogEntry,
  categoryBit,
} from "../acl/catalog.ts";
import {
  type Denial,
  DENIED_CHANNEL,
  DENIED_COMMAND,
  REASON_NAMES,
  type User,
} from "../acl/acl.ts";
import { ERR_NOT_INTEGER, errSubcommandSyntax, errWrongArity } from "../protocol/errors.ts";
import { parseInteger } from "../util/int64.ts";
import { replyHelp } from "./_help.ts";
import { describeClient } from "./client.ts";
import { commandCategories } from "./command.ts";
import type { CommandSpec, Session } from "./context.ts";
import { arityAccepts, callTarget, fullNameOf, keysOfCall } from "./table.ts";
import { cString, fsPath } from "../util/latin1.ts";

const ERR_NO_ACL_FILE =
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
const ERR_GENPASS =
  "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096";

/**
 * The ACL catalog of a command table: every command and subcommand with an id, which
 * is also written on its record (`aclId`) so that dispatch finds it at once.
 */
export function aclCatalogOf(records: Iterable<CommandSpec>): AclCatalog {
  const specs = [...records];
  const entries: CatalogEntry[] = [];
  const entryOf = (spec: CommandSpec): CatalogEntry => {
    return {
      name: spec.name,
      categories: commandCategories(spec),
      noAuth: spec.flags.includes("no_auth"),
      subcommands: spec.subcommands?.map(entryOf),
    };
  };
  for (const spec of specs) entries.push(entryOf(spec));
  const catalog = new AclCatalog(entries);
  // The catalog numbers containers before their subcommands, as entryOf met them.
  const byName = new Map(catalog.all.map((c) => [c.fullName, c.id]));
  for (const spec of specs) {
    spec.aclId = byName.get(spec.name);
    for (const sub of spec.subcommands ?? []) {
      sub.aclId = byName.get(`${spec.name}|${sub.name}`);
    }
  }
  return catalog;
}

/** The channel arguments of a call that ACL rules judge (publishing and subscribing). */
export function channelArgs(
  fullName: string,
  argv: readonly string[],
): { index: number; pattern: boolean }[] {
  switch (fullName) {
    case "publish":
    case "spublish":
      return [{ index: 1, pattern: false }];
    case "subscribe":
    case "ssubscribe":
    case "psubscribe": {
      const pattern = fullName === "psubscribe";
      const out = [];
      for (let i = 1; i < argv.length; i++) out.push({ index: i, pattern });
      return out;
    }
  }
  return [];
}

/**
 * Whether a user may run a call (the record the call runs: a subcommand for CONFIG
 * GET). Returns null, or the refusal.
 */
export function aclDenial(
  s: Session,
  user: User,
  spec: CommandSpec,
  fullName: string,
  argv: readonly string[],
): Denial | null {
  const acl = s.server.acl;
  const command: AclCommand = acl.catalog.all[spec.aclId!];
  return acl.check(user, command, {
    argv,
    // A "not_key" argument (SPUBLISH's channel) only routes the command in a cluster.
    // Keys are found as COMMAND GETKEYS finds them: a call whose key count or range
    // does not fit its arguments (EVAL "" 3 k) names no key, and fails later as a
    // syntax error, as in Redis.
    keys: () => (keysOfCall(spec, argv) ?? []).filter((key) => !key.flags.includes("not_key")),
    channels: () => channelArgs(fullName, argv),
  });
}

/** Records a refusal in the ACL LOG. */
export function logAclDenial(
  s: Session,
  denial: Denial,
  context: string,
  object: string,
  username: string,
): void {
  const now = Date.now();
  s.server.acl.log.add({
    reason: REASON_NAMES[denial.reason],
    context,
    object,
    username,
    time: now,
    clientInfo: describeClient(s, now).slice(0, -1),
  }, s.server.config.number("acllog-max-len"));
}

/** What ACL LOG names as the object of a refusal: the command, key or channel. */
export function deniedObject(denial: Denial, fullName: string, argv: readonly string[]): string {
  return denial.reason === DENIED_COMMAND ? fullName : argv[denial.index];
}

/** Closes every connection logged in as one of the users (it was deleted or replaced). */
export function disconnectUsers(s: Session, users: ReadonlySet<User>): void {
  for (const other of s.server.sessions()) {
    if (users.has(other.user)) other.close();
  }
}

// After a user's channel rules changed: a subscriber that is no longer allowed one of
// its channels or patterns is disconnected, as in Redis.
function dropUnallowedSubscribers(s: Session, user: User): void {
  const selectors = [user.root, ...user.selectors];
  if (selectors.some((sel) => sel.allChannels)) return;
  const allows = (name: string, pattern: boolean) =>
    selectors.some((sel) => sel.allowsChannel(name, pattern));
  for (const other of s.server.sessions()) {
    const subs = other.subscriptions;
    if (other.user !== user || subs === null) continue;
    const denied = [...subs.channels].some((c) => !allows(c, false)) ||
      [...subs.shardChannels].some((c) => !allows(c, false)) ||
      [...subs.patterns].some((p) => !allows(p, true));
    if (denied) other.close();
  }
}

/** ACL SETUSER username [rule ...] */
function setUser(s: Session, argv: string[]): void {
  const error = s.server.acl.setUser(argv[2], argv.slice(3));
  if (error !== null) {
    s.reply.error(error);
    return;
  }
  const user = s.server.acl.users.get(argv[2])!;
  dropUnallowedSubscribers(s, user);
  s.reply.ok();
}

/** ACL GETUSER username */
function getUser(s: Session, argv: string[]): void {
  const user = s.server.acl.users.get(argv[2]);
  const r = s.reply;
  if (user === undefined) {
    r.null();
    return;
  }
  r.mapLen(6);
  r.bulk("flags");
  const flags = user.flags();
  r.setLen(flags.length);
  for (const flag of flags) r.bulk(flag);
  r.bulk("passwords");
  r.arrayLen(user.passwords.length);
  for (const hash of user.passwords) r.bulk(hash);
  r.bulk("commands");
  r.bulk(user.root.describeCommands());
  r.bulk("keys");
  r.bulk(user.root.describeKeys());
  r.bulk("channels");
  r.bulk(user.root.describeChannels());
  r.bulk("selectors");
  r.arrayLen(user.selectors.length);
  for (const selector of user.selectors) {
    r.mapLen(3);
    r.bulk("commands");
    r.bulk(selector.describeCommands());
    r.bulk("keys");
    r.bulk(selector.describeKeys());
    r.bulk("channels");
    r.bulk(selector.describeChannels());
  }
}

/** ACL DELUSER username [username ...] */
function delUser(s: Session, argv: string[]): void {
  const acl = s.server.acl;
  const names = argv.slice(2);
  if (names.includes("default")) {
    s.reply.error("ERR The 'default' user cannot be removed");
    return;
  }
  const deleted = new Set<User>();
  for (const name of names) {
    const user = acl.users.get(name);
    if (user === undefined) continue;
    acl.users.delete(name);
    deleted.add(user);
  }
  disconnectUsers(s, deleted);
  s.reply.integer(deleted.size);
}

/** ACL DRYRUN username command [arg ...] */
function dryRun(s: Session, argv: string[]): void {
  const user = s.server.acl.users.get(argv[2]);
  if (user === undefined) {
    s.reply.error(`ERR User '${cString(argv[2])}' not found`);
    return;
  }
  const call = argv.slice(3);
  const top = s.server.commands.get(call[0].toLowerCase());
  const spec = top === undefined ? undefined : callTarget(top, call);
  if (top !== undefined && spec === undefined && call.length < 2) {
    s.reply.error(errWrongArity(top.name));
    return;
  }
  if (spec === undefined) {
    s.reply.error(`ERR Command '${cString(call[0])}' not found`);
    return;
  }
  const fullName = fullNameOf(top!, spec);
  if (!arityAccepts(spec.arity, call.length)) {
    s.reply.error(errWrongArity(fullName));
    return;
  }
  const denial = aclDenial(s, user, spec, fullName, call);
  if (denial === null) s.reply.ok();
  else if (denial.reason === DENIED_COMMAND) {
    s.reply.bulk(`This user has no permissions to run the '${fullName}' command`);
  } else {
    const what = denial.reason === DENIED_CHANNEL ? "channel" : "key";
    s.reply.bulk(`This user has no permissions to access the '${call[denial.index]}' ${what}`);
  }
}

/** ACL CAT [category] */
function cat(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(errSubcommandSyntax(argv[1], argv[0]));
    return;
  }
  if (argv.length === 2) {
    s.reply.arrayLen(ACL_CATEGORIES.length);
    for (const name of ACL_CATEGORIES) s.reply.bulk(name);
    return;
  }
  const bit = categoryBit(argv[2]);
  if (bit === 0) {
    s.reply.error(`ERR Unknown category '${cString(argv[2])}'`);
    return;
  }
  const names = s.server.acl.catalog.all.filter((c) => (c.categories & bit) !== 0)
    .map((c) => c.fullName);
  s.reply.arrayLen(names.length);
  for (const name of names) s.reply.bulk(name);
}

/** ACL GENPASS [bits] */
function genPass(s: Session, argv: string[]): void {
  let bits = 256;
  if (argv.length > 2) {
    const n = parseInteger(argv[2]);
    if (n === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    if (n <= 0 || n > 4096) {
      s.reply.error(ERR_GENPASS);
      return;
    }
    bits = n;
  }
  s.reply.bulk(randomHex(Math.ceil(bits / 4)));
}

/** ACL LOG [count | RESET] */
function log(s: Session, argv: string[]): void {
  const acl = s.server.acl;
  if (argv.length > 3) {
    s.reply.error(errSubcommandSyntax(argv[1], argv[0]));
    return;
  }
  let count = Infinity;
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === "reset") {
      acl.log.reset();
      s.reply.ok();
      return;
    }
    const n = parseInteger(argv[2]);
    if (n === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    count = Math.max(n, 0);
  }
  const now = Date.now();
  const entries = acl.log.entries.slice(0, count);
  const r = s.reply;
  r.arrayLen(entries.length);
  for (const e of entries) {
    r.mapLen(7);
    r.bulk("count");
    r.integer(e.count);
    r.bulk("reason");
    r.bulk(e.reason);
    r.bulk("context");
    r.bulk(e.context);
    r.bulk("object");
    r.bulk(e.object);
    r.bulk("username");
    r.bulk(e.username);
    r.bulk("age-seconds");
    r.double((now - e.time) / 1000);
    r.bulk("client-info");
    r.bulk(e.clientInfo);
  }
}

/** ACL LOAD: replaces every user with the ACL file's; their clients are disconnected. */
function load(s: Session): void {
  const path = s.server.config.string("aclfile");
  if (path === "") {
    s.reply.error(ERR_NO_ACL_FILE);
    return;
  }
  let text: string;
  try {
    text = Buffer.from(Deno.readFileSync(fsPath(path))).toString("latin1");
  } catch (error) {
    s.reply.error(`ERR Error loading ACLs, opening file '${path}': ${(error as Error).message}`);
    return;
  }
  const outcome = s.server.acl.loadFile(text, path);
  if ("error" in outcome) {
    s.reply.error("ERR " + outcome.error);
    return;
  }
  disconnectUsers(s, new Set(outcome.removed));
  s.reply.ok();
}

/** ACL SAVE: writes every user to the ACL file (temp file, fsync, rename). */
function save(s: Session): void {
  const path = s.server.config.string("aclfile");
  if (path === "") {
    s.reply.error(ERR_NO_ACL_FILE);
    return;
  }
  try {
    writeAclFile(fsPath(path), s.server.acl.fileText());
    s.reply.ok();
  } catch (error) {
    s.server.log.warning(`Failed to save the ACL file '${path}': ${(error as Error).message}`);
    s.reply.error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
    );
  }
}

/** Writes an ACL file safely: a temporary file beside it, fsync, then rename. */
export function writeAclFile(path: string, text: string): void {
  const temp = `${path}.tmp-${Deno.pid}`;
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
  try {
    const bytes = Buffer.from(text, "latin1");
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    file.syncSync();
  } finally {
    file.close();
  }
  Deno.renameSync(temp, path);
}

const HELP = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    The command categories, or the commands and subcommands of one category.",
  "DELUSER <username> [<username> ...]",
  "    Delete users; their connections are closed.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Whether the user could run the command, without running it.",
  "GETUSER <username>",
  "    A user's flags, password hashes, keys, channels, commands and selectors.",
  "GENPASS [<bits>]",
  "    A random password of 256 bits, or of the number of bits given, in hex.",
  "LIST",
  "    Every user, as the rules an ACL file would hold.",
  "LOAD",
  "    Replace the users with those of the ACL file.",
  "LOG [<count> | RESET]",
  "    The latest refused commands and logins, or empty the log.",
  "SAVE",
  "    Write the users to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create a user or change its rules.",
  "USERS",
  "    The user names.",
  "WHOAMI",
  "    The user this connection is logged in as.",
];

const sub = {
  flags: ["admin", "noscript", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  since: "6.0.0",
} as const;
const open = ["noscript", "loading", "stale"] as const;

/** ACL and its subcommands. */
export const aclCommands: CommandSpec[] = [{
  ...sub,
  name: "acl",
  arity: -2,
  flags: [],
  summary: "Manages users and what they may run.",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "cat",
      arity: -2,
      flags: open,
      summary: "Lists the ACL categories, or the commands of one.",
      complexity: "O(1): the categories and commands are fixed",
      args: [{ name: "categoryname", type: "string", optional: true }],
      handler: cat,
    },
    {
      ...sub,
      name: "deluser",
      arity: -3,
      summary: "Deletes users and closes their connections.",
      complexity: "O(1) per user deleted",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      args: [{ name: "username", type: "string", multiple: true }],
      handler: delUser,
    },
    {
      ...sub,
      name: "dryrun",
      arity: -4,
      summary: "Answers whether a user could run a command, without running it.",
      since: "7.0.0",
      complexity: "O(1)",
      args: [
        { name: "username", type: "string" },
        { name: "command", type: "string" },
        { name: "arg", type: "string", optional: true, multiple: true },
      ],
      handler: dryRun,
    },
    {
      ...sub,
      name: "genpass",
      arity: -2,
      flags: open,
      summary: "Answers a random password.",
      complexity: "O(1)",
      args: [{ name: "bits", type: "integer", optional: true }],
      handler: genPass,
    },
    {
      ...sub,
      name: "getuser",
      arity: 3,
      summary: "Answers a user's rules.",
      complexity: "O(N) in the user's rules",
      args: [{ name: "username", type: "string" }],
      handler: getUser,
    },
    {
      ...sub,
      name: "list",
      arity: 2,
      summary: "Answers every user's rules in ACL file form.",
      complexity: "O(N) in the users",
      handler: (s) => {
        const lines = s.server.acl.list();
        s.reply.arrayLen(lines.length);
        for (const line of lines) s.reply.bulk(line);
      },
    },
    {
      ...sub,
      name: "load",
      arity: 2,
      summary: "Replaces the users with those of the ACL file.",
      complexity: "O(N) in the users",
      handler: load,
    },
    {
      ...sub,
      name: "log",
      arity: -2,
      summary: "Answers the latest refused commands and logins, or empties the list.",
      complexity: "O(N) in the entries answered",
      args: [{
        name: "operation",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "count", type: "integer" },
          { name: "reset", type: "pure-token", token: "RESET" },
        ],
      }],
      handler: log,
    },
    {
      ...sub,
      name: "save",
      arity: 2,
      summary: "Writes the users to the ACL file.",
      complexity: "O(N) in the users",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      handler: save,
    },
    {
      ...sub,
      name: "setuser",
      arity: -3,
      summary: "Creates a user or changes its rules.",
      complexity: "O(N) in the rules given",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      args: [
        { name: "username", type: "string" },
        { name: "rule", type: "string", optional: true, multiple: true },
      ],
      handler: setUser,
    },
    {
      ...sub,
      name: "users",
      arity: 2,
      summary: "Answers the user names.",
      complexity: "O(N) in the users",
      handler: (s) => {
        const names = [...s.server.acl.users.keys()].sort();
        s.reply.arrayLen(names.length);
        for (const name of names) s.reply.bulk(name);
      },
    },
    {
      ...sub,
      name: "whoami",
      arity: 2,
      flags: open,
      summary: "Answers the user this connection is logged in as.",
      complexity: "O(1)",
      handler: (s) => s.reply.bulk(s.user.name),
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      summary: "Lists the ACL subcommands.",
      complexity: "O(1)",
      handler: (s) => replyHelp(s, HELP),
    },
  ],
}];
