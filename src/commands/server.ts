// Server commands on the keyspace as a whole: DBSIZE, FLUSHDB, FLUSHALL, TIME.

import { ERR_SYNTAX } from "../protocol/errors.ts";
import { collectSoon } from "../util/gc.ts";
import type { CommandSpec, Session } from "./context.ts";

function dbsize(s: Session): void {
  s.reply.integer(s.db.size);
}

// FLUSHDB/FLUSHALL take an optional ASYNC or SYNC (default: lazyfree-lazy-user-flush).
// Either way the keys go at once; ASYNC counts them as freed in the background and has
// the memory collected soon after, as Redis's background thread would free it.
function flushMode(s: Session, argv: string[]): "async" | "sync" | null {
  if (argv.length === 1) {
    return s.server.config.bool("lazyfree-lazy-user-flush") ? "async" : "sync";
  }
  const mode = argv[1].toLowerCase();
  if (argv.length === 2 && (mode === "async" || mode === "sync")) return mode;
  s.reply.error(ERR_SYNTAX);
  return null;
}

function freedLazily(s: Session, keys: number): void {
  if (keys === 0) return;
  s.server.stats.lazyfreedObjects += keys;
  collectSoon();
}

function flushdb(s: Session, argv: string[]): void {
  const mode = flushMode(s, argv);
  if (mode === null) return;
  const keys = s.db.size;
  s.server.dirty += keys;
  // Reported first: WATCH only counts the keys that existed before the flush.
  s.databaseChanged(s.db.id);
  s.propagateAs(argv);
  s.db.clear();
  if (mode === "async") freedLazily(s, keys);
  s.reply.ok();
}

function flushall(s: Session, argv: string[]): void {
  const mode = flushMode(s, argv);
  if (mode === null) return;
  const keys = s.server.keyspace.size;
  s.server.dirty += keys;
  for (const db of s.server.keyspace.databases) s.databaseChanged(db.id);
  s.propagateAs(argv);
  s.server.keyspace.flushAll();
  if (mode === "async") freedLazily(s, keys);
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
    tips: ["request_policy:all_shards", "response_policy:agg_sum"],
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
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
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
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
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
    tips: ["nondeterministic_output"],
    handler: time,
  },
];
