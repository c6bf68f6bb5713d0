// MODULE LIST | LOAD | LOADEX | UNLOAD | HELP. Redeno cannot load Redis's native
// modules (shared libraries written against Redis's C module API): no module is ever
// loaded, so LIST is empty and LOAD / LOADEX fail as a failed load does in Redis, after
// the same argument checks, with the reason in the log. LOAD, LOADEX and UNLOAD are
// protected by enable-module-command (no by default), which dispatch checks first.

import type { CommandSpec, Session } from "./context.ts";
import { replyHelp } from "./_help.ts";
import { isWord } from "./_parse.ts";

const ERR_LOAD = "ERR Error loading the extension. Please check the server logs.";

function failLoad(s: Session, path: string): void {
  s.server.log.warning(
    `Module ${path} failed to load: Redeno cannot load native Redis modules`,
  );
  s.reply.error(ERR_LOAD);
}

/** MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]: its syntax, then the load. */
function moduleLoadex(s: Session, argv: string[]): void {
  for (let i = 3; i < argv.length; i++) {
    if (isWord(argv[i], "config")) {
      if (i + 2 >= argv.length) {
        s.server.log.notice("CONFIG specified without name value pair");
        s.reply.error(ERR_LOAD);
        return;
      }
      i += 2;
    } else if (isWord(argv[i], "args")) {
      break;
    } else {
      s.server.log.notice(`Syntax Error from arguments to loadex around ${argv[i]}.`);
      s.reply.error(ERR_LOAD);
      return;
    }
  }
  failLoad(s, argv[2]);
}

const HELP = [
  "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LIST",
  "    The modules loaded (Redeno loads none).",
  "LOAD <path> [<arg> ...]",
  "    Load the module at <path>, handing it the arguments.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Load the module at <path> with configuration values and arguments.",
  "UNLOAD <name>",
  "    Unload the module called <name>.",
];

const sub = {
  flags: ["admin", "noscript", "no_async_loading"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  since: "4.0.0",
  complexity: "O(1)",
} as const;

const PATH = { name: "path", type: "string" } as const;

/** MODULE and its subcommands. */
export const moduleCommands: CommandSpec[] = [{
  ...sub,
  name: "module",
  arity: -2,
  flags: [],
  summary: "Lists, loads and unloads Redis modules.",
  complexity: "Depends on subcommand.",
  subcommands: [
    {
      ...sub,
      name: "list",
      arity: 2,
      flags: ["admin", "noscript"],
      summary: "Answers the modules loaded.",
      tips: ["nondeterministic_output_order"],
      handler: (s) => s.reply.arrayLen(0),
    },
    {
      ...sub,
      name: "load",
      arity: -3,
      protectedBy: "enable-module-command",
      summary: "Loads a module from a shared library.",
      args: [PATH, { name: "arg", type: "string", optional: true, multiple: true }],
      handler: (s, argv) => failLoad(s, argv[2]),
    },
    {
      ...sub,
      name: "loadex",
      arity: -3,
      protectedBy: "enable-module-command",
      summary: "Loads a module from a shared library, with configuration values.",
      since: "7.0.0",
      args: [
        PATH,
        {
          name: "configs",
          type: "block",
          token: "CONFIG",
          optional: true,
          multiple: true,
          multipleToken: true,
          arguments: [{ name: "name", type: "string" }, { name: "value", type: "string" }],
        },
        {
          name: "args",
          type: "block",
          token: "ARGS",
          optional: true,
          multiple: true,
          arguments: [{ name: "arg", type: "string" }],
        },
      ],
      handler: moduleLoadex,
    },
    {
      ...sub,
      name: "unload",
      arity: 3,
      protectedBy: "enable-module-command",
      summary: "Unloads a module.",
      args: [{ name: "name", type: "string" }],
      handler: (s) => s.reply.error("ERR Error unloading module: no such module with that name"),
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      summary: "Lists the MODULE subcommands.",
      since: "5.0.0",
      handler: (s) => replyHelp(s, HELP),
    },
  ],
}];
