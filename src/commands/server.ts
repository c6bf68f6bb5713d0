// Server commands on the keyspace as a whole: DBSIZE, FLUSHDB, FLUSHALL, TIME.

import { ERR_SYNTAX } from "../protocol/errors.ts";
import type { CommandSpec, Session } from "./context.ts";

function dbsize(s: Session): void {
  s.reply.integer(s.db.size);
}

// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC; both empty the data at once here.
function flushMode(s: Session, argv: string[]): boolean {
  if (argv.length === 1) return true;
  const mode = argv[1].toLowerCase();
  if (argv.length === 2 && (mode === "async" || mode === "sync")) return true;
  s.reply.error(ERR_SYNTAX);
  return false;
}

function flushdb(s: Session, argv: string[]): void {
  if (!flushMode(s, argv)) return;
  s.server.dirty += s.db.size;
  // Reported first: WATCH only counts the keys that existed before the flush.
  s.databaseChanged(s.db.id);
  s.propagateAs(argv);
  s.db.clear();
  s.reply.ok();
}

function flushall(s: Session, argv: string[]): void {
  if (!flushMode(s, argv)) return;
  s.server.dirty += s.server.keyspace.size;
  for (const db of s.server.keyspace.databases) s.databaseChanged(db.id);
  s.propagateAs(argv);
  s.server.keyspace.flushAll();
  // Like Redis, with save rules the now empty dataset is saved at once, so a restart
  // cannot bring the flushed keys back.
  if (s.server.config.saveRules().length > 0) s.server.persistence.save();
  s.reply.ok();
}

/** TIME: [unix seconds, microseconds] as two bulk strings. */
function time(s: Session): void {
  const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
  s.reply.arrayLen(2);
  s.reply.bulk(String(micros / 1_000_000n));
  s.reply.bulk(String(micros % 1_000_000n));
}

const flushArgs = [{
  name: "flush-type",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "async", type: "pure-token", token: "ASYNC" },
    { name: "sync", type: "pure-token", token: "SYNC" },
  ],
}] as const;

const noKeys = { firstKey: 0, lastKey: 0, step: 0 } as const;

/** The keyspace-wide server commands. */
export const serverCommands: CommandSpec[] = [
  {
    ...noKeys,
    name: "monitor",
    arity: 1,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Streams every command the server runs to this connection.",
    since: "1.0.0",
    handler: (s) => {
      if (s.executingTransaction) {
        s.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
      }
      if (!s.monitoring) s.startMonitor();
      s.reply.ok();
    },
  },
  {
    ...noKeys,
    name: "dbsize",
    arity: 1,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    group: "server",
    summary: "Answers the number of keys in the selected database.",
    since: "1.0.0",
    complexity: "O(1)",
    handler: dbsize,
  },
  {
    ...noKeys,
    name: "flushdb",
    beyondKeys: true,
    arity: -1,
    flags: ["write"],
    categories: ["keyspace", "slow", "dangerous"],
    group: "server",
    summary: "Deletes every key of the selected database.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys",
    args: flushArgs,
    handler: flushdb,
  },
  {
    ...noKeys,
    name: "flushall",
    beyondKeys: true,
    arity: -1,
    flags: ["write"],
    categories: ["keyspace", "slow", "dangerous"],
    group: "server",
    summary: "Deletes every key of every database.",
    since: "1.0.0",
    complexity: "O(N) in the number of keys",
    args: flushArgs,
    handler: flushall,
  },
  {
    ...noKeys,
    name: "time",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    categories: ["fast"],
    group: "server",
    summary: "Answers the server's clock as Unix seconds and microseconds.",
    since: "2.6.0",
    complexity: "O(1)",
    handler: time,
  },
];
