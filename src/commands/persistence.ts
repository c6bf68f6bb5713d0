// Persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, SHUTDOWN. The work is
// done by the server's persistence manager (s.server.persistence); these handlers
// parse the arguments and turn its outcomes into Redis's exact replies.

import { ERR_SYNTAX } from "../protocol/errors.ts";
import type { CommandSpec, Session } from "./context.ts";

/** SAVE or BGSAVE while a BGSAVE runs. */
export const ERR_BGSAVE_IN_PROGRESS = "ERR Background save already in progress";
/** BGSAVE (without SCHEDULE) while an AOF rewrite runs. */
export const ERR_BGSAVE_CHILD_ACTIVE =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE " +
  "in order to schedule a BGSAVE whenever possible.";
/** BGREWRITEAOF while one runs. */
export const ERR_REWRITE_IN_PROGRESS =
  "ERR Background append only file rewriting already in progress";
/** BGREWRITEAOF that could not start. */
export const ERR_REWRITE_FAILED =
  "ERR Can't execute an AOF background rewriting. Please check the server logs for more " +
  "information.";
/** SHUTDOWN whose final save failed. */
export const ERR_SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs.";
/** SHUTDOWN ABORT with no shutdown waiting (for replicas, or a signal's save). */
export const ERR_NO_SHUTDOWN = "ERR No shutdown in progress.";

/** SAVE: a synchronous snapshot; Redis answers a bare "-ERR" when it fails. */
function save(s: Session): void {
  const error = s.server.persistence.save();
  if (error === null) s.reply.ok();
  else if (error === "in-progress") s.reply.error(ERR_BGSAVE_IN_PROGRESS);
  else s.reply.error("ERR");
}

/** BGSAVE [SCHEDULE] */
function bgsave(s: Session, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && argv[1].toLowerCase() === "schedule") schedule = true;
    else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  switch (s.server.persistence.bgsave(schedule, s.executingTransaction)) {
    case "started":
      s.reply.simple("Background saving started");
      return;
    case "scheduled":
      s.reply.simple("Background saving scheduled");
      return;
    case "in-progress":
      s.reply.error(ERR_BGSAVE_IN_PROGRESS);
      return;
    case "child-active":
      s.reply.error(ERR_BGSAVE_CHILD_ACTIVE);
      return;
    case "failed":
      s.reply.error("ERR");
      return;
  }
}

/** BGREWRITEAOF */
function bgrewriteaof(s: Session): void {
  switch (s.server.persistence.bgrewriteaof(s.executingTransaction)) {
    case "started":
      s.reply.simple("Background append only file rewriting started");
      return;
    case "scheduled":
      s.reply.simple("Background append only file rewriting scheduled");
      return;
    case "in-progress":
      s.reply.error(ERR_REWRITE_IN_PROGRESS);
      return;
    case "failed":
      s.reply.error(ERR_REWRITE_FAILED);
      return;
  }
}

/** LASTSAVE */
function lastsave(s: Session): void {
  s.reply.integer(s.server.persistence.lastSave());
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. With no replicas to wait for, NOW
 * changes nothing, and the only shutdown ABORT can cancel is one a signal asked for
 * that has not run yet. On success the connection closes without a reply.
 */
function shutdown(s: Session, argv: string[]): void {
  let nosave = false, saveFlag = false, force = false, now = false, abort = false;
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i].toLowerCase();
    if (word === "nosave") nosave = true;
    else if (word === "save") saveFlag = true;
    else if (word === "now") now = true;
    else if (word === "force") force = true;
    else if (word === "abort") abort = true;
    else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if ((abort && (nosave || saveFlag || now || force)) || (nosave && saveFlag)) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (abort) {
    const persistence = s.server.persistence;
    if (!persistence.shutdownAsap) {
      s.reply.error(ERR_NO_SHUTDOWN);
      return;
    }
    persistence.shutdownAsap = false;
    s.server.log.notice("Shutdown manually aborted.");
    s.reply.ok();
    return;
  }
  // As in Redis, nothing is saved while a dataset loads (the file would be overwritten
  // with part of it); an asynchronous load keeps the old dataset, which is saved.
  const persistence = s.server.persistence;
  if (persistence.transferLoad?.async === false) {
    nosave = true;
    saveFlag = false;
  }
  const finish = () => {
    const ok = s.server.persistence.prepareShutdown({
      save: nosave ? false : saveFlag ? true : undefined,
      force,
    });
    if (!ok) {
      s.reply.error(ERR_SHUTDOWN_FAILED);
      return;
    }
    s.server.shutdown();
  };
  // Lagging replicas get shutdown-timeout seconds to catch up, unless NOW.
  if (now || s.executingTransaction) {
    finish();
    return;
  }
  s.defer(
    s.server.waitForLaggingReplicas(true).then((go) => {
      if (go) finish();
      else s.reply.error(ERR_SHUTDOWN_FAILED);
    }),
  );
}

const base = {
  group: "server",
  firstKey: 0,
  lastKey: 0,
  step: 0,
  categories: ["slow", "dangerous"],
} as const;

/** The persistence commands. */
export const persistenceCommands: CommandSpec[] = [
  {
    ...base,
    name: "save",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    summary: "Writes a snapshot of every database to the RDB file, blocking until done.",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    handler: save,
  },
  {
    ...base,
    name: "bgsave",
    arity: -1,
    flags: ["admin", "noscript", "no_async_loading"],
    summary: "Writes a snapshot to the RDB file in the background while clients are served.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [{ name: "schedule", type: "pure-token", token: "SCHEDULE", optional: true }],
    handler: bgsave,
  },
  {
    ...base,
    name: "bgrewriteaof",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading"],
    summary: "Compacts the append-only file in the background into a new base file.",
    since: "1.0.0",
    complexity: "O(1)",
    handler: bgrewriteaof,
  },
  {
    ...base,
    name: "lastsave",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    categories: ["admin", "fast", "dangerous"],
    tips: ["nondeterministic_output"],
    summary: "Answers the Unix time of the last successful save to disk.",
    since: "1.0.0",
    complexity: "O(1)",
    handler: lastsave,
  },
  {
    ...base,
    name: "shutdown",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    summary: "Saves if asked to (or when save rules exist), then stops the server.",
    since: "1.0.0",
    complexity:
      "O(N) when saving, where N is the total number of keys in all databases when saving " +
      "data, otherwise O(1)",
    args: [
      {
        name: "nosave_save",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nosave", type: "pure-token", token: "NOSAVE" },
          { name: "save", type: "pure-token", token: "SAVE" },
        ],
      },
      { name: "now", type: "pure-token", token: "NOW", optional: true },
      { name: "force", type: "pure-token", token: "FORCE", optional: true },
      { name: "abort", type: "pure-token", token: "ABORT", optional: true },
    ],
    handler: shutdown,
  },
];
