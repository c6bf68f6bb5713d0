// Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself happens
// in dispatch; the client keeps the queue and the watched keys.

import type { CommandSpec, Session } from "./context.ts";
import { keyAt } from "./table.ts";

function multi(s: Session): void {
  if (s.inMulti) {
    s.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  s.beginTransaction();
  s.reply.ok();
}

function exec(s: Session): void {
  if (!s.inMulti) {
    s.reply.error("ERR EXEC without MULTI");
    return;
  }
  s.execTransaction();
}

function discard(s: Session): void {
  if (!s.inMulti) {
    s.reply.error("ERR DISCARD without MULTI");
    return;
  }
  s.discardTransaction();
  s.reply.ok();
}

function watch(s: Session, argv: string[]): void {
  if (s.inMulti) {
    s.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (let i = 1; i < argv.length; i++) s.watchKey(argv[i]);
  s.reply.ok();
}

function unwatch(s: Session): void {
  s.unwatchAll();
  s.reply.ok();
}

const base = {
  group: "transactions",
  categories: ["transaction"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
} as const;

/** The transaction commands. */
export const transactionCommands: CommandSpec[] = [
  {
    ...base,
    name: "multi",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    summary: "Starts a transaction: later commands are queued until EXEC.",
    since: "1.2.0",
    complexity: "O(1)",
    handler: multi,
  },
  {
    ...base,
    name: "exec",
    arity: 1,
    flags: ["noscript", "loading", "stale", "skip_slowlog"],
    categories: ["transaction", "slow"],
    summary: "Runs every queued command atomically, unless a watched key changed.",
    since: "1.2.0",
    complexity: "The sum of the queued commands' complexities",
    handler: exec,
  },
  {
    ...base,
    name: "discard",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    summary: "Drops the queued commands and ends the transaction.",
    since: "2.0.0",
    complexity: "O(N) in the number of queued commands",
    handler: discard,
  },
  {
    ...base,
    name: "watch",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    keySpecs: [keyAt(1, ["RO"], -1)],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    summary: "Makes the next EXEC fail if any of these keys changes first.",
    since: "2.2.0",
    complexity: "O(1) per key",
    args: [{ name: "key", type: "key", keySpecIndex: 0, multiple: true }],
    handler: watch,
  },
  {
    ...base,
    name: "unwatch",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    summary: "Forgets every watched key.",
    since: "2.2.0",
    complexity: "O(1)",
    handler: unwatch,
  },
];
