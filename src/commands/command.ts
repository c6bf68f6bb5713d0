// COMMAND and its subcommands: introspection of the command table (INFO, DOCS, LIST,
// COUNT, GETKEYS, GETKEYSANDFLAGS, HELP), in Redis 7.0's reply shapes.

import { ACL_CATEGORIES } from "../acl/catalog.ts";
import { ERR_SYNTAX } from "../protocol/errors.ts";
import type { ReplyWriter } from "../protocol/reply_writer.ts";
import { globMatch } from "../util/glob.ts";
import type { ArgDoc, CommandFlag, CommandSpec, Session } from "./context.ts";
import { replyHelp } from "./_help.ts";
import { arityAccepts, findSubcommand, keysOfCall, keySpecsOf } from "./table.ts";

const ERR_INVALID_COMMAND = "ERR Invalid command specified";
const ERR_NO_KEY_ARGUMENTS = "ERR The command has no key arguments";
const ERR_INVALID_ARG_COUNT = "ERR Invalid number of arguments specified for command";
const ERR_INVALID_ARGS = "ERR Invalid arguments specified for command";

/** Flags in the order Redis lists them in COMMAND INFO. */
const FLAG_ORDER: readonly CommandFlag[] = [
  "write",
  "readonly",
  "denyoom",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  // may_replicate is never shown: Redis hides it on purpose.
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "allow_busy",
];

/** A command together with its full name ("get", "config|get"). */
interface Named {
  spec: CommandSpec;
  fullName: string;
}

/** The command's flags, sorted as Redis sorts them. */
export function commandFlags(spec: CommandSpec): string[] {
  const flags: string[] = FLAG_ORDER.filter((flag) => spec.flags.includes(flag));
  // Redis adds "movablekeys" (just before allow_busy) when the keys can't be found
  // from fixed positions: a key count, a keyword to search for, a getkeys procedure.
  const movable = spec.getKeys !== undefined ||
    keySpecsOf(spec).some((ks) => !("index" in ks.begin) || !("range" in ks.find));
  if (movable) {
    const at = flags.indexOf("allow_busy");
    flags.splice(at < 0 ? flags.length : at, 0, "movablekeys");
  }
  return flags;
}

/**
 * The command's ACL categories without '@': the declared ones plus those its flags
 * imply (write, read, admin+dangerous, pubsub, fast or else slow, blocking), in
 * Redis's order.
 */
export function commandCategories(spec: CommandSpec): string[] {
  const has = new Set(spec.categories ?? []);
  const flags = spec.flags;
  if (flags.includes("write")) has.add("write");
  if (flags.includes("readonly") && !has.has("scripting")) has.add("read");
  if (flags.includes("admin")) {
    has.add("admin");
    has.add("dangerous");
  }
  if (flags.includes("pubsub")) has.add("pubsub");
  if (flags.includes("fast")) has.add("fast");
  if (flags.includes("blocking")) has.add("blocking");
  if (!flags.includes("fast")) has.add("slow");
  return ACL_CATEGORIES.filter((c) => has.has(c));
}

// Every command and subcommand with its full name, containers before their children.
function* everyCommand(s: Session): Generator<Named> {
  for (const spec of s.server.commands.values()) {
    yield { spec, fullName: spec.name };
    for (const sub of spec.subcommands ?? []) {
      yield { spec: sub, fullName: `${spec.name}|${sub.name}` };
    }
  }
}

// A command by the name COMMAND INFO/DOCS accept: "get", "GET", "config|get".
function lookupFullName(s: Session, name: string): Named | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf("|");
  if (bar < 0) {
    const spec = s.server.commands.get(lower);
    return spec === undefined ? undefined : { spec, fullName: spec.name };
  }
  const parent = s.server.commands.get(lower.slice(0, bar));
  if (parent === undefined) return undefined;
  const sub = findSubcommand(parent, lower.slice(bar + 1));
  return sub === undefined ? undefined : { spec: sub, fullName: `${parent.name}|${sub.name}` };
}

/* ---- COMMAND, COMMAND INFO ---- */

function replyKeySpecs(r: ReplyWriter, spec: CommandSpec): void {
  const specs = keySpecsOf(spec);
  r.setLen(specs.length);
  for (const ks of specs) {
    r.mapLen(ks.notes === undefined ? 3 : 4);
    if (ks.notes !== undefined) {
      r.bulk("notes");
      r.bulk(ks.notes);
    }
    r.bulk("flags");
    r.setLen(ks.flags.length);
    for (const flag of ks.flags) r.simple(flag);
    r.bulk("begin_search");
    r.mapLen(2);
    r.bulk("type");
    if ("index" in ks.begin) {
      r.bulk("index");
      r.bulk("spec");
      r.mapLen(1);
      r.bulk("index");
      r.integer(ks.begin.index);
    } else if ("unknown" in ks.begin) {
      r.bulk("unknown");
      r.bulk("spec");
      r.mapLen(0);
    } else {
      r.bulk("keyword");
      r.bulk("spec");
      r.mapLen(2);
      r.bulk("keyword");
      r.bulk(ks.begin.keyword);
      r.bulk("startfrom");
      r.integer(ks.begin.startFrom);
    }
    r.bulk("find_keys");
    r.mapLen(2);
    r.bulk("type");
    if ("range" in ks.find) {
      r.bulk("range");
      r.bulk("spec");
      r.mapLen(3);
      r.bulk("lastkey");
      r.integer(ks.find.range.lastKey);
      r.bulk("keystep");
      r.integer(ks.find.range.step);
      r.bulk("limit");
      r.integer(ks.find.range.limit);
    } else if ("unknown" in ks.find) {
      r.bulk("unknown");
      r.bulk("spec");
      r.mapLen(0);
    } else {
      r.bulk("keynum");
      r.bulk("spec");
      r.mapLen(3);
      r.bulk("keynumidx");
      r.integer(ks.find.keynum.keyNumIndex);
      r.bulk("firstkey");
      r.integer(ks.find.keynum.firstKey);
      r.bulk("keystep");
      r.integer(ks.find.keynum.step);
    }
  }
}

/** One COMMAND INFO entry: the ten fields of Redis 7. */
function replyCommandInfo(r: ReplyWriter, spec: CommandSpec, fullName: string): void {
  r.arrayLen(10);
  r.bulk(fullName);
  r.integer(spec.arity);
  const flags = commandFlags(spec);
  r.setLen(flags.length);
  for (const flag of flags) r.simple(flag);
  r.integer(spec.firstKey);
  r.integer(spec.lastKey);
  r.integer(spec.step);
  const categories = commandCategories(spec);
  r.setLen(categories.length);
  for (const category of categories) r.simple("@" + category);
  const tips = spec.tips ?? [];
  r.setLen(tips.length);
  for (const tip of tips) r.bulk(tip);
  replyKeySpecs(r, spec);
  const subs = spec.subcommands;
  if (subs === undefined || subs.length === 0) {
    r.setLen(0);
    return;
  }
  r.arrayLen(subs.length);
  for (const sub of subs) replyCommandInfo(r, sub, `${fullName}|${sub.name}`);
}

/** COMMAND: every command's info. */
function commandAll(s: Session): void {
  s.reply.arrayLen(s.server.commands.size);
  for (const spec of s.server.commands.values()) replyCommandInfo(s.reply, spec, spec.name);
}

/** COMMAND INFO [name ...]: unknown names answer nil in their place. */
function commandInfo(s: Session, argv: string[]): void {
  if (argv.length === 2) {
    commandAll(s);
    return;
  }
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const found = lookupFullName(s, argv[i]);
    if (found === undefined) s.reply.null();
    else replyCommandInfo(s.reply, found.spec, found.fullName);
  }
}

/** COMMAND COUNT: the number of top-level commands. */
function commandCount(s: Session): void {
  s.reply.integer(s.server.commands.size);
}

/* ---- COMMAND DOCS ---- */

function argFlags(arg: ArgDoc): string[] {
  const flags: string[] = [];
  if (arg.optional) flags.push("optional");
  if (arg.multiple) flags.push("multiple");
  if (arg.multipleToken) flags.push("multiple_token");
  return flags;
}

function replyArgs(r: ReplyWriter, args: readonly ArgDoc[]): void {
  r.arrayLen(args.length);
  for (const arg of args) {
    const flags = argFlags(arg);
    // Patterns naming keys (SORT's BY and GET) have a key spec index too.
    const isKey = arg.type === "key" || arg.keySpecIndex !== undefined;
    const nested = arg.type === "oneof" || arg.type === "block";
    r.mapLen(
      2 + (isKey ? 1 : 0) + (arg.token !== undefined ? 1 : 0) +
        (arg.since !== undefined ? 1 : 0) + (flags.length > 0 ? 1 : 0) + (nested ? 1 : 0),
    );
    r.bulk("name");
    r.bulk(arg.name);
    r.bulk("type");
    r.bulk(arg.type);
    if (isKey) {
      r.bulk("key_spec_index");
      r.integer(arg.keySpecIndex ?? 0);
    }
    if (arg.token !== undefined) {
      r.bulk("token");
      r.bulk(arg.token);
    }
    if (arg.since !== undefined) {
      r.bulk("since");
      r.bulk(arg.since);
    }
    if (flags.length > 0) {
      r.bulk("flags");
      r.setLen(flags.length);
      for (const flag of flags) r.simple(flag);
    }
    if (nested) {
      r.bulk("arguments");
      replyArgs(r, arg.arguments ?? []);
    }
  }
}

/**
 * One COMMAND DOCS entry: summary, since, group, complexity, doc flags, deprecation,
 * history, arguments, subcommands (each field only when the command has it).
 */
function replyCommandDocs(r: ReplyWriter, spec: CommandSpec, fullName: string): void {
  const args = spec.args ?? [];
  const subs = spec.subcommands ?? [];
  const docFlags = spec.docFlags ?? [];
  const history = spec.history ?? [];
  r.mapLen(
    3 + (spec.complexity !== undefined ? 1 : 0) + (docFlags.length > 0 ? 1 : 0) +
      (spec.deprecatedSince !== undefined ? 1 : 0) + (spec.replacedBy !== undefined ? 1 : 0) +
      (history.length > 0 ? 1 : 0) + (args.length > 0 ? 1 : 0) + (subs.length > 0 ? 1 : 0),
  );
  r.bulk("summary");
  r.bulk(spec.summary);
  r.bulk("since");
  r.bulk(spec.since);
  r.bulk("group");
  r.bulk(spec.group);
  if (spec.complexity !== undefined) {
    r.bulk("complexity");
    r.bulk(spec.complexity);
  }
  if (docFlags.length > 0) {
    r.bulk("doc_flags");
    r.setLen(docFlags.length);
    for (const flag of docFlags) r.simple(flag);
  }
  if (spec.deprecatedSince !== undefined) {
    r.bulk("deprecated_since");
    r.bulk(spec.deprecatedSince);
  }
  if (spec.replacedBy !== undefined) {
    r.bulk("replaced_by");
    r.bulk(spec.replacedBy);
  }
  if (history.length > 0) {
    r.bulk("history");
    r.setLen(history.length);
    for (const [version, change] of history) {
      r.arrayLen(2);
      r.bulk(version);
      r.bulk(change);
    }
  }
  if (args.length > 0) {
    r.bulk("arguments");
    replyArgs(r, args);
  }
  if (subs.length > 0) {
    r.bulk("subcommands");
    r.mapLen(subs.length);
    for (const sub of subs) {
      const name = `${fullName}|${sub.name}`;
      r.bulk(name);
      replyCommandDocs(r, sub, name);
    }
  }
}

/** COMMAND DOCS [name ...]: a map of name to docs; unknown names are left out. */
function commandDocs(s: Session, argv: string[]): void {
  const found: Named[] = [];
  if (argv.length === 2) {
    for (const spec of s.server.commands.values()) found.push({ spec, fullName: spec.name });
  } else {
    for (let i = 2; i < argv.length; i++) {
      const named = lookupFullName(s, argv[i]);
      if (named !== undefined) found.push(named);
    }
  }
  s.reply.mapLen(found.length);
  for (const { spec, fullName } of found) {
    s.reply.bulk(fullName);
    replyCommandDocs(s.reply, spec, fullName);
  }
}

/* ---- COMMAND LIST ---- */

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] */
function commandList(s: Session, argv: string[]): void {
  let keep: (named: Named) => boolean = () => true;
  if (argv.length === 5 && argv[2].toLowerCase() === "filterby") {
    const kind = argv[3].toLowerCase();
    const value = argv[4];
    if (kind === "module") {
      keep = () => false; // no modules
    } else if (kind === "aclcat") {
      const category = value.toLowerCase();
      keep = ({ spec }) => commandCategories(spec).includes(category);
    } else if (kind === "pattern") {
      keep = ({ fullName }) => globMatch(value, fullName, true);
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  } else if (argv.length !== 2) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const named of everyCommand(s)) {
    if (keep(named)) names.push(named.fullName);
  }
  s.reply.arrayLen(names.length);
  for (const name of names) s.reply.bulk(name);
}

/* ---- COMMAND GETKEYS, COMMAND GETKEYSANDFLAGS ---- */

// The key positions of the command in argv[2..], or null after replying with an error.
function callKeys(
  s: Session,
  argv: string[],
): { spec: CommandSpec; keys: { key: string; flags: readonly string[] }[] } | null {
  const call = argv.slice(2);
  let spec = s.server.commands.get(call[0].toLowerCase());
  if (spec !== undefined && spec.subcommands !== undefined && call.length > 1) {
    spec = findSubcommand(spec, call[1]);
  }
  if (spec === undefined) {
    s.reply.error(ERR_INVALID_COMMAND);
    return null;
  }
  if (keySpecsOf(spec).length === 0) {
    s.reply.error(ERR_NO_KEY_ARGUMENTS);
    return null;
  }
  if (!arityAccepts(spec.arity, call.length)) {
    s.reply.error(ERR_INVALID_ARG_COUNT);
    return null;
  }
  const keys = (keysOfCall(spec, call) ?? []).map((k) => ({ key: call[k.index], flags: k.flags }));
  if (keys.length === 0 && !spec.flags.includes("no_mandatory_keys")) {
    s.reply.error(ERR_INVALID_ARGS);
    return null;
  }
  return { spec, keys };
}

/** COMMAND GETKEYS command [arg ...] */
function commandGetKeys(s: Session, argv: string[]): void {
  const found = callKeys(s, argv);
  if (found === null) return;
  s.reply.arrayLen(found.keys.length);
  for (const { key } of found.keys) s.reply.bulk(key);
}

/** COMMAND GETKEYSANDFLAGS command [arg ...]: each key with its key-spec flags. */
function commandGetKeysAndFlags(s: Session, argv: string[]): void {
  const found = callKeys(s, argv);
  if (found === null) return;
  s.reply.arrayLen(found.keys.length);
  for (const { key, flags } of found.keys) {
    s.reply.arrayLen(2);
    s.reply.bulk(key);
    s.reply.setLen(flags.length);
    for (const flag of flags) s.reply.simple(flag);
  }
}

const HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Describes every command the server knows.",
  "COUNT",
  "    The number of commands the server knows.",
  "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
  "    The names of the commands, optionally only those matching one filter.",
  "INFO [<command-name> ...]",
  "    Describes the named commands (or every command when none is named):",
  "    arity, flags, key positions, ACL categories, key specs and subcommands.",
  "DOCS [<command-name> ...]",
  "    Documents the named commands (or every command when none is named):",
  "    summary, version, group, complexity and arguments.",
  "GETKEYS <full-command>",
  "    The key arguments of the given command line.",
  "GETKEYSANDFLAGS <full-command>",
  "    The key arguments of the given command line, each with its access flags.",
];

const fullCommandArgs = [
  { name: "command", type: "string" },
  { name: "arg", type: "string", optional: true, multiple: true },
] as const;

const sub = {
  group: "server",
  flags: ["loading", "stale"],
  categories: ["slow", "connection"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
} as const;

/** COMMAND and its subcommands. */
export const commandCommands: CommandSpec[] = [{
  ...sub,
  name: "command",
  arity: -1,
  summary: "Describes the commands this server knows.",
  since: "2.8.13",
  complexity: "O(N) in the number of commands",
  tips: ["nondeterministic_output_order"],
  handler: commandAll,
  subcommands: [
    {
      ...sub,
      name: "count",
      arity: 2,
      summary: "Answers the number of commands this server knows.",
      since: "2.8.13",
      complexity: "O(1)",
      handler: commandCount,
    },
    {
      ...sub,
      name: "list",
      arity: -2,
      summary: "Answers the names of the commands, optionally filtered.",
      since: "7.0.0",
      complexity: "O(N) in the number of commands",
      tips: ["nondeterministic_output_order"],
      args: [{
        name: "filterby",
        type: "oneof",
        token: "FILTERBY",
        optional: true,
        arguments: [
          { name: "module-name", type: "string", token: "MODULE" },
          { name: "category", type: "string", token: "ACLCAT" },
          { name: "pattern", type: "pattern", token: "PATTERN" },
        ],
      }],
      handler: commandList,
    },
    {
      ...sub,
      name: "info",
      arity: -2,
      summary: "Describes the named commands, or all of them.",
      since: "2.8.13",
      complexity: "O(N) in the number of commands named",
      tips: ["nondeterministic_output_order"],
      args: [{ name: "command-name", type: "string", optional: true, multiple: true }],
      handler: commandInfo,
    },
    {
      ...sub,
      name: "getkeysandflags",
      arity: -4,
      summary: "Answers the keys of a full command line, with their access flags.",
      since: "7.0.0",
      complexity: "O(N) in the number of arguments",
      args: fullCommandArgs,
      handler: commandGetKeysAndFlags,
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      summary: "Lists the COMMAND subcommands.",
      since: "5.0.0",
      complexity: "O(1)",
      handler: (s) => replyHelp(s, HELP),
    },
    {
      ...sub,
      name: "docs",
      arity: -2,
      summary: "Documents the named commands, or all of them.",
      since: "7.0.0",
      complexity: "O(N) in the number of commands named",
      tips: ["nondeterministic_output_order"],
      args: [{ name: "command-name", type: "string", optional: true, multiple: true }],
      handler: commandDocs,
    },
    {
      ...sub,
      name: "getkeys",
      arity: -4,
      summary: "Answers the keys of a full command line.",
      since: "2.8.13",
      complexity: "O(N) in the number of arguments",
      args: fullCommandArgs,
      handler: commandGetKeys,
    },
  ],
}];
