// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. The scripts run
// on the server's Lua VM (src/server/scripting.ts); their commands take the usual
// write path.

import { replyHelp } from "./_help.ts";
import type { CommandSpec, KeySpec, ServerApi, Session } from "./context.ts";
import { parseScriptShebang } from "../scripting/shebang.ts";
import { ERR_NOT_INTEGER } from "../protocol/errors.ts";
import { parseInt64 } from "../util/int64.ts";
import { countedKeys, tokenChoice } from "./table.ts";

/**
 * The key count at argv[2] (EVAL, FCALL: the keys follow it, then the arguments); null
 * when the count is wrong (the error is sent).
 */
export function keyCount(
  s: Session,
  argv: readonly string[],
  notAnInteger = ERR_NOT_INTEGER,
): number | null {
  const text = argv[2];
  // The usual case, a one-digit count, without parsing.
  const digit = text.length === 1 ? text.charCodeAt(0) - 48 : -1;
  let n: number;
  if (digit >= 0 && digit <= 9) n = digit;
  else {
    const count = parseInt64(text);
    if (count === null) {
      s.reply.error(notAnInteger);
      return null;
    }
    if (count < 0n) {
      s.reply.error("ERR Number of keys can't be negative");
      return null;
    }
    n = count > BigInt(argv.length) ? argv.length : Number(count);
  }
  if (n > argv.length - 3) {
    s.reply.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  return n;
}

function evalGeneric(s: Session, argv: string[], bySha: boolean, readOnly: boolean): void {
  const keys = keyCount(s, argv);
  if (keys === null) return;
  const scripts = s.server.scripts;
  let script;
  if (bySha) {
    script = scripts.get(argv[1]);
    if (script === undefined) {
      s.reply.error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
  } else {
    script = scripts.load(argv[1]);
    if (typeof script === "string") {
      s.reply.error(script);
      return;
    }
  }
  let options = script.options;
  if (options === undefined || (readOnly && !options.readOnly)) {
    const noWrites = script.flags?.includes("no-writes") ?? false;
    // A script with a shebang says whether it writes; *_RO runs only those that do not.
    if (readOnly && script.flags !== null && !noWrites) {
      s.reply.error("ERR Can not execute a script with write flag using *_ro command.");
      return;
    }
    options = {
      what: `script: ${script.sha}`,
      readOnly: readOnly || noWrites,
      isFunction: false,
      allowOom: script.flags?.includes("allow-oom") ?? false,
    };
    if (!readOnly) script.options = options;
  }
  const done = s.server.scripting.run(s, script.ref, argv, keys, options);
  if (done !== undefined) s.defer(done);
}

function scriptLoad(s: Session, argv: string[]): void {
  const script = s.server.scripts.load(argv[2]);
  if (typeof script === "string") s.reply.error(script);
  else s.reply.bulk(script.sha);
}

function scriptExists(s: Session, argv: string[]): void {
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    s.reply.integer(s.server.scripts.get(argv[i]) === undefined ? 0 : 1);
  }
}

function scriptFlush(s: Session, argv: string[]): void {
  if (argv.length > 3 || (argv.length === 3 && !/^(a?sync)$/i.test(argv[2]))) {
    s.reply.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  s.server.scripts.flush();
  s.reply.ok();
}

function scriptKill(s: Session): void {
  const problem = s.server.scripting.kill();
  if (problem === null) s.reply.ok();
  else s.reply.error(problem);
}

// Redeno has no Lua debugger: NO is accepted (it is the mode scripts run in).
function scriptDebug(s: Session, argv: string[]): void {
  const mode = argv[2].toLowerCase();
  if (mode !== "yes" && mode !== "sync" && mode !== "no") {
    s.reply.error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
    return;
  }
  if (s.executingTransaction) {
    s.reply.error("ERR SCRIPT DEBUG must be called outside a pipeline");
    return;
  }
  if (mode === "no") s.reply.ok();
  else s.reply.error("ERR SCRIPT DEBUG YES/SYNC is not supported: Redeno has no Lua debugger");
}

const HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Redeno has no Lua debugger: only NO (the default) is accepted.",
  "EXISTS <sha1> [<sha1> ...]",
  "    For each SHA-1, 1 if the script is in the cache, else 0.",
  "FLUSH [ASYNC|SYNC]",
  "    Empties the script cache.",
  "KILL",
  "    Stops the running script, if it has not written anything yet.",
  "LOAD <script>",
  "    Puts a script in the cache without running it; replies with its SHA-1.",
  "HELP",
  "    Prints this help.",
];

/** The HELP subcommand of SCRIPT or FUNCTION. */
export function helpSubcommand(
  container: string,
  since: string,
  lines: readonly string[],
): CommandSpec {
  return {
    ...base,
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    summary: `Describes the ${container} subcommands.`,
    since,
    complexity: "O(1)",
    handler: (s) => replyHelp(s, lines),
  };
}

/** SCRIPT KILL or FUNCTION KILL: stops the slow script of its kind (see dispatch). */
export function killSubcommand(kind: "script" | "function", since: string): CommandSpec {
  return {
    ...base,
    name: "kill",
    arity: 2,
    flags: ["noscript", "allow_busy"],
    tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
    summary: `Stops the running ${kind}, if it has not written yet.`,
    since,
    complexity: "O(1)",
    handler: scriptKill,
  };
}

/** Where EVAL and FCALL find their keys: a count at argument 2, the keys after it. */
export function scriptKeySpec(readOnly: boolean, notes: boolean): KeySpec {
  const base = countedKeys(2, readOnly ? ["RO", "access"] : ["RW", "access", "update"]);
  if (!notes) return base;
  return {
    notes: readOnly
      ? "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
      : "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
    ...base,
  };
}

const base = {
  group: "scripting",
  categories: ["slow", "scripting"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
} as const;

const SCRIPT_ARGS = [
  { name: "script", type: "string" },
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 0, optional: true, multiple: true },
  { name: "arg", type: "string", optional: true, multiple: true },
] as const;

const SHA_ARGS = [{ name: "sha1", type: "string" }, ...SCRIPT_ARGS.slice(1)] as const;

function evalSpec(
  name: string,
  readOnly: boolean,
  bySha: boolean,
  since: string,
  summary: string,
): CommandSpec {
  return {
    ...base,
    name,
    arity: -3,
    flags: readOnly
      ? ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"]
      : ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
    keySpecs: [scriptKeySpec(readOnly, !bySha)],
    summary,
    since,
    complexity: "Depends on the script",
    args: bySha ? SHA_ARGS : SCRIPT_ARGS,
    scriptMayWrite: readOnly ? () => false : bySha ? evalshaMayWrite : evalMayWrite,
    scriptDeniesOom: bySha ? evalshaDeniesOom : evalDeniesOom,
    scriptFlags: bySha ? evalshaFlags : evalFlags,
    handler: (s, argv) => evalGeneric(s, argv, bySha, readOnly),
  };
}

// A script without a shebang (or with a wrong one) may write; one with says so by
// leaving out no-writes.
function evalMayWrite(_server: ServerApi, argv: readonly string[]): boolean {
  const shebang = parseScriptShebang(argv[1] ?? "");
  return typeof shebang === "string" || !(shebang.flags?.includes("no-writes") ?? false);
}

function evalshaMayWrite(server: ServerApi, argv: readonly string[]): boolean {
  return !(server.scripts.get(argv[1] ?? "")?.flags?.includes("no-writes") ?? false);
}

function evalFlags(_server: ServerApi, argv: readonly string[]): readonly string[] | null {
  const shebang = parseScriptShebang(argv[1] ?? "");
  return typeof shebang === "string" ? null : shebang.flags;
}

function evalshaFlags(server: ServerApi, argv: readonly string[]): readonly string[] | null {
  return server.scripts.get(argv[1] ?? "")?.flags ?? null;
}

// A script with a shebang is a denyoom command unless its flags say no-writes or
// allow-oom; one without is judged command by command as it runs.
function flagsDenyOom(flags: readonly string[] | null | undefined): boolean {
  return flags != null && !flags.includes("no-writes") && !flags.includes("allow-oom");
}

function evalDeniesOom(_server: ServerApi, argv: readonly string[]): boolean {
  const shebang = parseScriptShebang(argv[1] ?? "");
  return typeof shebang !== "string" && flagsDenyOom(shebang.flags);
}

function evalshaDeniesOom(server: ServerApi, argv: readonly string[]): boolean {
  return flagsDenyOom(server.scripts.get(argv[1] ?? "")?.flags);
}

/** The scripting commands. */
export const scriptingCommands: CommandSpec[] = [
  evalSpec("eval", false, false, "2.6.0", "Runs a Lua script."),
  evalSpec("evalsha", false, true, "2.6.0", "Runs a cached Lua script by its SHA-1."),
  evalSpec("eval_ro", true, false, "7.0.0", "Runs a read-only Lua script."),
  evalSpec("evalsha_ro", true, true, "7.0.0", "Runs a cached read-only Lua script by its SHA-1."),
  {
    ...base,
    name: "script",
    arity: -2,
    flags: [],
    categories: ["slow"],
    summary: "Manages the Lua script cache.",
    since: "2.6.0",
    complexity: "Depends on the subcommand",
    subcommands: [
      {
        ...base,
        name: "flush",
        arity: -2,
        flags: ["noscript"],
        tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
        summary: "Empties the script cache.",
        since: "2.6.0",
        complexity: "O(N) in the number of scripts",
        args: [tokenChoice("flush-type", ["ASYNC", "SYNC"], { optional: true })],
        handler: scriptFlush,
      },
      {
        ...base,
        name: "debug",
        arity: 3,
        flags: ["noscript"],
        summary: "Sets the debug mode of later scripts (only NO: there is no debugger).",
        since: "3.2.0",
        complexity: "O(1)",
        args: [tokenChoice("mode", ["YES", "SYNC", "NO"])],
        handler: scriptDebug,
      },
      helpSubcommand("SCRIPT", "5.0.0", HELP),
      killSubcommand("script", "2.6.0"),
      {
        ...base,
        name: "load",
        arity: 3,
        flags: ["noscript", "stale"],
        tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
        summary: "Puts a script in the cache without running it.",
        since: "2.6.0",
        complexity: "O(N) in the script's length",
        args: [{ name: "script", type: "string" }],
        handler: scriptLoad,
      },
      {
        ...base,
        name: "exists",
        arity: -3,
        flags: ["noscript"],
        tips: ["request_policy:all_shards", "response_policy:agg_logical_and"],
        summary: "Tells which scripts are in the cache.",
        since: "2.6.0",
        complexity: "O(N) in the number of SHA-1s",
        args: [{ name: "sha1", type: "string", multiple: true }],
        handler: scriptExists,
      },
    ],
  },
];
