// SLOWLOG GET [count] | LEN | RESET | HELP: reads and clears the slow log kept in
// src/stats/slowlog.ts (commands are recorded there after they run).

import { ERR_SLOWLOG_COUNT, errSubcommandSyntax } from "../protocol/errors.ts";
import type { CommandSpec, Session } from "./context.ts";
import { replyHelp } from "./_help.ts";
import { parseInteger } from "../util/int64.ts";

/** Entries SLOWLOG GET returns without a count. */
const DEFAULT_COUNT = 10;

/** SLOWLOG GET [count]: the newest entries first, each [id, time, µs, args, addr, name]. */
function slowlogGet(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(errSubcommandSyntax(argv[1], argv[0]));
    return;
  }
  let count = DEFAULT_COUNT;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]);
    if (n === null || n < -1) {
      s.reply.error(ERR_SLOWLOG_COUNT);
      return;
    }
    count = n;
  }
  const entries = s.server.slowlog.get(count);
  const r = s.reply;
  r.arrayLen(entries.length);
  for (const e of entries) {
    r.arrayLen(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.durationUs);
    r.arrayLen(e.args.length);
    for (const arg of e.args) r.bulk(arg);
    r.bulk(e.addr);
    r.bulk(e.name);
  }
}

const HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    The newest <count> entries, newest first (default 10; -1 for all). Each entry",
  "    holds an id, a Unix time, a duration in microseconds, the arguments, the",
  "    client's address and the client's name.",
  "LEN",
  "    How many entries the slow log holds.",
  "RESET",
  "    Empty the slow log.",
];

const sub = {
  flags: ["admin", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  since: "2.2.12",
} as const;

/** SLOWLOG and its subcommands. */
export const slowlogCommands: CommandSpec[] = [{
  ...sub,
  name: "slowlog",
  arity: -2,
  flags: [],
  summary: "Reads and clears the log of slow commands.",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "get",
      arity: -2,
      summary: "Answers the newest slow log entries.",
      complexity: "O(N) in the number of entries returned",
      tips: ["request_policy:all_nodes", "nondeterministic_output"],
      args: [{ name: "count", type: "integer", optional: true }],
      handler: slowlogGet,
    },
    {
      ...sub,
      name: "len",
      arity: 2,
      summary: "Answers how many entries the slow log holds.",
      complexity: "O(1)",
      tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
      handler: (s) => s.reply.integer(s.server.slowlog.length),
    },
    {
      ...sub,
      name: "reset",
      arity: 2,
      summary: "Empties the slow log.",
      complexity: "O(N) in the number of entries dropped",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      handler: (s) => {
        s.server.slowlog.reset();
        s.reply.ok();
      },
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      summary: "Lists the SLOWLOG subcommands.",
      since: "6.2.0",
      complexity: "O(1)",
      handler: (s) => replyHelp(s, HELP),
    },
  ],
}];
