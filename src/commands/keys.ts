// Generic key commands: DEL, EXISTS.

import type { CommandSpec, Session } from "./context.ts";

/** DEL key [key ...] */
function del(s: Session, argv: string[]): void {
  let removed = 0;
  for (let i = 1; i < argv.length; i++) {
    if (s.db.delete(argv[i])) removed++;
  }
  if (removed > 0) {
    s.server.dirty += removed;
    s.server.propagate(s.db.id, argv);
  }
  s.reply.integer(removed);
}

/** EXISTS key [key ...]: a key named twice counts twice. */
function exists(s: Session, argv: string[]): void {
  let found = 0;
  for (let i = 1; i < argv.length; i++) {
    if (s.db.has(argv[i])) found++;
  }
  s.reply.integer(found);
}

/** The generic key commands. */
export const keyCommands: CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    categories: ["keyspace", "slow"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    summary: "Removes keys; answers how many existed.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys, plus the size of each removed value",
    args: [{ name: "key", type: "key", keySpecIndex: 0, multiple: true }],
    handler: del,
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    firstKey: 1,
    lastKey: -1,
    step: 1,
    group: "generic",
    summary: "Counts how many of the named keys exist.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys",
    args: [{ name: "key", type: "key", keySpecIndex: 0, multiple: true }],
    handler: exists,
  },
];
