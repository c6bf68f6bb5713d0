// Function commands: FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL/HELP and
// FCALL, FCALL_RO. Libraries are kept by src/scripting/libraries.ts; payloads (DUMP,
// RESTORE) use the RDB's function records.

import { isWord } from "./_parse.ts";
import type { CommandSpec, ServerApi, Session } from "./context.ts";
import { helpSubcommand, keyCount, killSubcommand, scriptKeySpec } from "./scripting.ts";
import { globMatch } from "../util/glob.ts";
import { dumpFunctions, readFunctionsPayload } from "../persistence/function_payload.ts";
import { latin1Bytes } from "../util/latin1.ts";
import { rdbWriteOptions } from "./dump.ts";
import { tokenChoice } from "./table.ts";
import { errSubcommandSyntax } from "../protocol/errors.ts";

function functionLoad(s: Session, argv: string[]): void {
  let replace = false;
  let at = 2;
  for (; at < argv.length - 1; at++) {
    if (isWord(argv[at], "replace")) replace = true;
    else {
      s.reply.error(`ERR Unknown option given: ${argv[at]}`);
      return;
    }
  }
  const result = s.server.functions.load(argv[argv.length - 1], replace);
  if (result.startsWith("ERR ")) {
    s.reply.error(result);
    return;
  }
  s.server.dirty++;
  s.reply.bulk(result);
}

function functionDelete(s: Session, argv: string[]): void {
  if (!s.server.functions.delete(argv[2])) {
    s.reply.error("ERR Library not found");
    return;
  }
  s.server.dirty++;
  s.reply.ok();
}

function functionFlush(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(errSubcommandSyntax(argv[1], "function"));
    return;
  }
  if (argv.length === 3 && !/^(a?sync)$/i.test(argv[2])) {
    s.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  s.server.functions.flush();
  s.server.dirty++;
  s.reply.ok();
}

function functionList(s: Session, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], "withcode") && !withCode) withCode = true;
    else if (isWord(argv[i], "libraryname") && pattern === null) {
      if (i + 1 >= argv.length) {
        s.reply.error("ERR library name argument was not given");
        return;
      }
      pattern = argv[++i];
    } else {
      s.reply.error(`ERR Unknown argument ${argv[i]}`);
      return;
    }
  }
  const libraries = [...s.server.functions.libraries()].filter((library) =>
    pattern === null || globMatch(pattern, library.name)
  );
  const r = s.reply;
  r.arrayLen(libraries.length);
  for (const library of libraries) {
    r.mapLen(withCode ? 4 : 3);
    r.bulk("library_name");
    r.bulk(library.name);
    r.bulk("engine");
    r.bulk("LUA");
    r.bulk("functions");
    r.arrayLen(library.functions.size);
    for (const fn of library.functions.values()) {
      r.mapLen(3);
      r.bulk("name");
      r.bulk(fn.name);
      r.bulk("description");
      if (fn.description === null) r.null();
      else r.bulk(fn.description);
      r.bulk("flags");
      r.setLen(fn.flags.length);
      for (const flag of fn.flags) r.simple(flag);
    }
    if (withCode) {
      r.bulk("library_code");
      r.bulk(library.code);
    }
  }
}

function functionStats(s: Session): void {
  const r = s.reply;
  const functions = s.server.functions;
  r.mapLen(2);
  r.bulk("running_script");
  const running = s.server.scripting.runningFunction();
  if (running === null) r.null();
  else {
    r.mapLen(3);
    r.bulk("name");
    r.bulk(running.name);
    r.bulk("command");
    r.arrayLen(running.argv.length);
    for (const arg of running.argv) r.bulk(arg);
    r.bulk("duration_ms");
    r.integer(running.durationMs);
  }
  r.bulk("engines");
  r.mapLen(1);
  r.bulk("LUA");
  r.mapLen(2);
  r.bulk("libraries_count");
  r.integer(functions.libraryCount);
  r.bulk("functions_count");
  r.integer(functions.functionCount);
}

function functionDump(s: Session): void {
  s.reply.bulk(dumpFunctions(s.server.functions.codes(), rdbWriteOptions(s.server.config)));
}

function functionRestore(s: Session, argv: string[]): void {
  let policy: "append" | "replace" | "flush" = "append";
  if (argv.length > 4) {
    s.reply.error(errSubcommandSyntax(argv[1], "function"));
    return;
  }
  if (argv.length === 4) {
    const word = argv[3].toLowerCase();
    if (word !== "append" && word !== "replace" && word !== "flush") {
      s.reply.error(
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
      );
      return;
    }
    policy = word;
  }
  const codes = readFunctionsPayload(latin1Bytes(argv[2]));
  if (codes === null) {
    s.reply.error("ERR DUMP payload version or checksum are wrong");
    return;
  }
  if (typeof codes === "string") {
    s.reply.error(codes);
    return;
  }
  const problem = s.server.functions.restore(codes, policy);
  if (problem !== null) {
    s.reply.error(problem);
    return;
  }
  s.server.dirty++;
  s.reply.ok();
}

function fcall(s: Session, argv: string[], readOnly: boolean): void {
  const fn = s.server.functions.get(argv[1]);
  if (fn === undefined) {
    s.reply.error("ERR Function not found");
    return;
  }
  const keys = keyCount(s, argv, "ERR Bad number of keys provided");
  if (keys === null) return;
  let options = fn.options;
  if (options === undefined || (readOnly && !options.readOnly)) {
    const noWrites = fn.flags.includes("no-writes");
    if (readOnly && !noWrites) {
      s.reply.error("ERR Can not execute a script with write flag using *_ro command.");
      return;
    }
    options = {
      what: `script: ${fn.name}`,
      readOnly: readOnly || noWrites,
      isFunction: true,
      functionName: fn.name,
      allowOom: fn.flags.includes("allow-oom"),
    };
    if (!readOnly) fn.options = options;
  }
  const done = s.server.scripting.run(s, fn.ref, argv, keys, options);
  if (done !== undefined) s.defer(done);
}

// A function is a denyoom command unless its flags say no-writes or allow-oom.
function functionDeniesOom(server: ServerApi, argv: readonly string[]): boolean {
  const flags = server.functions.get(argv[1] ?? "")?.flags;
  return flags !== undefined && !flags.includes("no-writes") && !flags.includes("allow-oom");
}

const HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Loads a library (its code starts with #!lua name=<library>); REPLACE lets it",
  "    take the place of a library of the same name.",
  "DELETE <LIBRARY NAME>",
  "    Deletes a library and its functions.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Describes the libraries (those whose name matches PATTERN): name, engine,",
  "    functions with their descriptions and flags, and with WITHCODE their code.",
  "STATS",
  "    Describes the function running now (or nil) and the engines' library and",
  "    function counts.",
  "KILL",
  "    Stops the running function, if it has not written yet.",
  "FLUSH [ASYNC|SYNC]",
  "    Deletes every library.",
  "DUMP",
  "    Returns every library as one payload for FUNCTION RESTORE.",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Loads the libraries of a payload. FLUSH deletes the existing libraries first;",
  "    APPEND (the default) fails when a library name is taken; REPLACE replaces",
  "    libraries of the same name. Either way a function name used by another",
  "    library is an error.",
  "HELP",
  "    Prints this help.",
];

const base = {
  group: "scripting",
  categories: ["slow", "scripting"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
} as const;

const writeSub = { ...base, categories: ["write", "slow", "scripting"] } as const;

const FCALL_ARGS = [
  { name: "function", type: "string" },
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 0, optional: true, multiple: true },
  { name: "arg", type: "string", optional: true, multiple: true },
] as const;

/** The function commands. */
export const functionCommands: CommandSpec[] = [
  {
    ...base,
    name: "fcall",
    arity: -3,
    flags: ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
    keySpecs: [scriptKeySpec(false, true)],
    summary: "Calls a function of a loaded library.",
    since: "7.0.0",
    complexity: "Depends on the function",
    args: FCALL_ARGS,
    scriptMayWrite: (server, argv) =>
      !(server.functions.get(argv[1] ?? "")?.flags.includes("no-writes") ?? false),
    scriptDeniesOom: functionDeniesOom,
    scriptFlags: (server, argv) => server.functions.get(argv[1] ?? "")?.flags ?? null,
    handler: (s, argv) => fcall(s, argv, false),
  },
  {
    ...base,
    name: "fcall_ro",
    arity: -3,
    flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
    keySpecs: [scriptKeySpec(true, true)],
    summary: "Calls a read-only function of a loaded library.",
    since: "7.0.0",
    complexity: "Depends on the function",
    args: FCALL_ARGS,
    scriptMayWrite: () => false,
    // Refused for maxmemory before it is refused for being called read-only, as in Redis.
    scriptDeniesOom: functionDeniesOom,
    scriptFlags: (server, argv) => server.functions.get(argv[1] ?? "")?.flags ?? null,
    handler: (s, argv) => fcall(s, argv, true),
  },
  {
    ...base,
    name: "function",
    arity: -2,
    flags: [],
    categories: ["slow"],
    summary: "Manages function libraries.",
    since: "7.0.0",
    complexity: "Depends on the subcommand",
    subcommands: [
      helpSubcommand("FUNCTION", "7.0.0", HELP),
      killSubcommand("function", "7.0.0"),
      {
        ...writeSub,
        name: "restore",
        arity: -3,
        flags: ["write", "denyoom", "noscript"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Loads the libraries of a FUNCTION DUMP payload.",
        since: "7.0.0",
        complexity: "O(N) in the number of functions in the payload",
        args: [
          { name: "serialized-value", type: "string" },
          tokenChoice("policy", ["FLUSH", "APPEND", "REPLACE"], { optional: true }),
        ],
        handler: functionRestore,
      },
      {
        ...writeSub,
        name: "load",
        arity: -3,
        flags: ["write", "denyoom", "noscript"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Loads a library.",
        since: "7.0.0",
        complexity: "O(1) (the library's own code aside)",
        args: [
          { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
          { name: "function-code", type: "string" },
        ],
        handler: functionLoad,
      },
      {
        ...writeSub,
        name: "flush",
        arity: -2,
        flags: ["write", "noscript"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Deletes every library.",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        args: [tokenChoice("flush-type", ["ASYNC", "SYNC"], { optional: true })],
        handler: functionFlush,
      },
      {
        ...base,
        name: "dump",
        arity: 2,
        flags: ["noscript"],
        summary: "Returns every library as one payload.",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        handler: functionDump,
      },
      {
        ...writeSub,
        name: "delete",
        arity: 3,
        flags: ["write", "noscript"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Deletes a library and its functions.",
        since: "7.0.0",
        complexity: "O(1)",
        args: [{ name: "library-name", type: "string" }],
        handler: functionDelete,
      },
      {
        ...base,
        name: "list",
        arity: -2,
        flags: ["noscript"],
        tips: ["nondeterministic_output_order"],
        summary: "Describes the loaded libraries.",
        since: "7.0.0",
        complexity: "O(N) in the number of functions",
        args: [
          { name: "library-name-pattern", type: "string", token: "LIBRARYNAME", optional: true },
          { name: "withcode", type: "pure-token", token: "WITHCODE", optional: true },
        ],
        handler: functionList,
      },
      {
        ...base,
        name: "stats",
        arity: 2,
        flags: ["noscript", "allow_busy"],
        tips: [
          "nondeterministic_output",
          "request_policy:all_shards",
          "response_policy:special",
        ],
        summary: "Describes the running function and counts the libraries and functions.",
        since: "7.0.0",
        complexity: "O(1)",
        handler: functionStats,
      },
    ],
  },
];
