// Dispatch: finds a request's command in the table, checks arity and authentication,
// runs the handler and keeps the statistics. Every command runs to completion here,
// synchronously, so each one is atomic with respect to all other clients.

import { arityAccepts, callTarget } from "../commands/table.ts";
import type { CommandTable } from "../commands/table.ts";
import {
  BIT_ALLOW_BUSY,
  BIT_NO_AUTH,
  BIT_NO_MULTI,
  BIT_WRITE,
  type CommandSpec,
  type ServerStats,
} from "../commands/context.ts";
import type { CallFrame } from "./call.ts";
import {
  ERR_INTERNAL,
  ERR_NOAUTH,
  errProtectedCommand,
  errUnknownCommand,
  errUnknownSubcommand,
  errWrongArity,
} from "../protocol/errors.ts";
import type { Logger } from "../log.ts";
import type { Client } from "./client.ts";
import { aclDenial, deniedObject, logAclDenial } from "../commands/acl.ts";
import { DENIED_COMMAND, DENIED_KEY } from "../acl/acl.ts";

/** What dispatch needs from the server. */
export interface DispatchContext {
  readonly table: CommandTable;
  readonly stats: ServerStats;
  /** The directives a protected command checks (enable-debug-command ...). */
  readonly config: { string(name: string): string };
  readonly log: Logger;
  /** Runs after each top-level command: serves clients blocked on keys it changed. */
  afterCommand(): void;
  /** Opens the frame that takes the handler's reports. */
  beginCall(client: Client, spec: CommandSpec, fullName: string, argv: string[]): CallFrame;
  /** The post-command stage (see call.ts); `counted` false for a blocked retry. */
  finishCall(frame: CallFrame, counted: boolean): void;
  /** CLIENT PAUSE: true when this command must wait for the pause to end. */
  mustWait(client: Client, spec: CommandSpec, argv: readonly string[]): boolean;
  /** Holds a command back until the pause ends. */
  postpone(client: Client, argv: string[]): void;
  /** A client whose command ended later (a script that yielded): send, go on. */
  resume(client: Client): void;
  /**
   * While a slow script runs: the -BUSY error for this client, and the allow_busy
   * commands refused all the same; null otherwise.
   */
  busyError(client: Client): { error: string; refused: ReadonlySet<string> } | null;
  /** Why writes are refused (MISCONF after a failed background save), or null. */
  writeRefusal(): string | null;
  /** True when replication may refuse commands (a replica; min-replicas-to-write set). */
  readonly replicationChecks: boolean;
  /**
   * NOREPLICAS, READONLY (a read-only replica), MASTERDOWN (a replica without its
   * master that must not serve stale data), or a replica's own connection touching
   * keys: the error, or null.
   */
  replicationRefusal(
    client: Client,
    spec: CommandSpec,
    topName: string,
    argv: readonly string[],
  ): string | null;
  /**
   * maxmemory: evicts keys as needed before a client's command, then the OOM error
   * to refuse it with (an EXEC's transaction is discarded), or null.
   */
  memoryRefusal(client: Client, spec: CommandSpec, topName: string, argv: string[]): string | null;
  /**
   * Set while a background snapshot (BGSAVE, AOF rewrite) is being written: called
   * before every write command with the database and the keys it may change (null:
   * beyond its key arguments), so the snapshot can save them as they were.
   */
  beforeWrite: ((db: number, keys: readonly string[] | null) => void) | null;
}

// What a RESP2 client may run while subscribed: its replies are pub/sub messages.
const SUBSCRIBED_MODE = new Set([
  "subscribe",
  "ssubscribe",
  "psubscribe",
  "unsubscribe",
  "sunsubscribe",
  "punsubscribe",
  "ping",
  "quit",
  "reset",
]);

// Commands that act on the transaction itself instead of being queued by MULTI.
const TRANSACTION_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/** Runs one request for a client; all replies go to the client's reply writer. */
export function dispatch(ctx: DispatchContext, client: Client, argv: string[]): void {
  const reply = client.reply;
  let spec = ctx.table.lookup(argv[0]);
  if (spec === undefined) {
    const lower = argv[0].toLowerCase();
    if (lower === "post" || lower === "host:") {
      // A browser or proxy talking HTTP to us: Redis closes without a word.
      ctx.log.warning(
        "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: " +
          "commands to Redis. This is likely due to an attacker attempting to use " +
          "Cross Protocol Scripting to compromise your Redis instance. Connection aborted.",
      );
      client.closeNow();
      return;
    }
    reply.error(errUnknownCommand(argv));
    flagTransaction(client);
    return;
  }
  const topName = spec.name;
  const target = callTarget(spec, argv);
  if (target === undefined) {
    // A container without (a known) subcommand.
    reply.error(
      argv.length < 2 ? errWrongArity(topName) : errUnknownSubcommand(argv[1], topName),
    );
    flagTransaction(client);
    return;
  }
  const fullName = target === spec ? topName : topName + "|" + target.name;
  spec = target;
  if (!arityAccepts(spec.arity, argv.length)) {
    reply.error(errWrongArity(fullName));
    countRejected(ctx.stats, fullName);
    flagTransaction(client);
    return;
  }
  // Checked before authentication, as Redis does.
  if (spec.protectedBy !== undefined && !protectedAllowed(ctx, client, spec.protectedBy)) {
    reply.error(errProtectedCommand(topName.toUpperCase(), spec.protectedBy));
    countRejected(ctx.stats, fullName);
    flagTransaction(client);
    return;
  }
  const bits = spec.bits!;
  if (!client.authenticated && (bits & BIT_NO_AUTH) === 0) {
    reply.error(ERR_NOAUTH);
    countRejected(ctx.stats, fullName);
    flagTransaction(client);
    return;
  }
  // A script's commands were checked against its caller's rules already (call()).
  if (!client.user.unrestricted && client.scriptCaller === null) {
    const refusal = aclRefusal(client, spec, fullName, argv);
    if (refusal !== null) {
      reply.error(refusal);
      countRejected(ctx.stats, fullName);
      flagTransaction(client);
      return;
    }
  }
  // Not for the commands EXEC, a script or a blocked client's retry runs: they were
  // judged when the client sent EXEC, the script, or the blocking command.
  if (client.id !== 0 && !client.executingTransaction && !client.retrying) {
    const refusal = ctx.memoryRefusal(client, spec, topName, argv);
    if (refusal !== null) {
      reply.error(refusal);
      countRejected(ctx.stats, fullName);
      flagTransaction(client);
      return;
    }
  }
  if ((bits & BIT_WRITE) !== 0 || topName === "ping") {
    const refusal = ctx.writeRefusal();
    if (refusal !== null) {
      reply.error(refusal);
      countRejected(ctx.stats, fullName);
      flagTransaction(client);
      return;
    }
  }
  // The commands EXEC runs were judged with EXEC (a REPLICAOF among them changes nothing).
  if ((ctx.replicationChecks || client.replica !== null) && !client.executingTransaction) {
    const refusal = ctx.replicationRefusal(client, spec, topName, argv);
    if (refusal !== null) {
      if (topName === "exec" && client.transaction !== null) {
        client.discardTransaction();
        reply.error(`EXECABORT Transaction discarded because of: ${refusal}`);
      } else reply.error(refusal);
      countRejected(ctx.stats, fullName);
      flagTransaction(client);
      return;
    }
  }
  if (
    client.subscriptions !== null && client.reply.resp === 2 && !SUBSCRIBED_MODE.has(fullName)
  ) {
    reply.error(
      `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    flagTransaction(client);
    return;
  }
  if (client.transaction !== null && (bits & BIT_NO_MULTI) !== 0) {
    reply.error("ERR Command not allowed inside a transaction");
    flagTransaction(client);
    return;
  }
  {
    const busy = ctx.busyError(client);
    if (
      busy !== null && !(topName === "shutdown" && argv[1]?.toLowerCase() === "nosave") &&
      ((bits & BIT_ALLOW_BUSY) === 0 || busy.refused.has(fullName))
    ) {
      const error = busy.error;
      if (topName === "exec" && client.transaction !== null) {
        client.discardTransaction();
        reply.error(`EXECABORT Transaction discarded because of: ${error}`);
      } else reply.error(error);
      countRejected(ctx.stats, fullName);
      flagTransaction(client);
      return;
    }
  }
  if (!client.executingTransaction && !client.retrying && ctx.mustWait(client, spec, argv)) {
    ctx.postpone(client, argv);
    return;
  }
  if (
    client.transaction !== null && !client.executingTransaction &&
    !TRANSACTION_CONTROL.has(topName)
  ) {
    client.transaction.push(argv);
    reply.simple("QUEUED");
    return;
  }
  runCommand(ctx, client, spec, fullName, argv);
}

/**
 * Runs a command that passed every check: its handler, then the post-command stage. A
 * script's redis.call comes here directly, having made the checks that apply to it.
 */
export function runCommand(
  ctx: DispatchContext,
  client: Client,
  spec: CommandSpec,
  fullName: string,
  argv: string[],
): void {
  const reply = client.reply;
  const frame = ctx.beginCall(client, spec, fullName, argv);
  if (ctx.beforeWrite !== null && (spec.bits! & BIT_WRITE) !== 0) {
    ctx.beforeWrite(client.db.id, spec.beyondKeys ? null : frame.writeKeys);
  }
  client.lastCommand = fullName;
  client.currentArgv = argv;
  client.running = true;
  // CLIENT REPLY OFF/SKIP: the reply is written, then taken back (pushes stay).
  const silenced = client.replyOff || client.replySkip;
  const replyStart = reply.length;
  if (silenced) reply.silence();
  try {
    spec.handler!(client, argv);
  } catch (error) {
    // A throw here is a bug in a handler: say so in the log, answer, keep serving.
    ctx.log.warning(`Internal error in '${fullName}': ${(error as Error)?.stack ?? error}`);
    reply.error(ERR_INTERNAL);
  } finally {
    client.running = false;
  }
  const deferred = client.deferred;
  if (deferred !== null) {
    // A script that yielded: the command ends when it does; the client waits.
    deferred.catch((error) => {
      ctx.log.warning(`Internal error in '${fullName}': ${(error as Error)?.stack ?? error}`);
      reply.error(ERR_INTERNAL);
    }).finally(() => {
      client.deferred = null;
      endCall(ctx, client, frame, silenced, replyStart);
      ctx.resume(client);
    });
    return;
  }
  endCall(ctx, client, frame, silenced, replyStart);
}

// The part of a call after its handler: replies taken back under CLIENT REPLY OFF/SKIP,
// the post-command stage, and serving clients blocked on what it changed.
function endCall(
  ctx: DispatchContext,
  client: Client,
  frame: CallFrame,
  silenced: boolean,
  replyStart: number,
): void {
  if (silenced) client.reply.unsilence(replyStart, client.replyOff || client.replySkip);
  if (!client.executingTransaction) {
    client.replySkip = client.replySkipNext;
    client.replySkipNext = false;
  }
  // A blocked command run again when its keys change was counted when it first ran.
  const retrying = client.retrying;
  ctx.finishCall(frame, !retrying);
  if (retrying) return;
  if (!client.executingTransaction) ctx.afterCommand();
}

// A protected command's directive: "yes" allows it, "local" only for a local client
// (the Unix socket, or exactly the IPv4 or IPv6 loopback: Redis's islocalClient), "no"
// never.
function protectedAllowed(ctx: DispatchContext, client: Client, directive: string): boolean {
  const setting = ctx.config.string(directive);
  // Scripts' and AOF loading's own client (id 0) has no address; Redis checks only
  // commands that come from connections.
  if (setting === "yes" || client.id === 0) return true;
  if (setting !== "local") return false;
  return client.facts.local;
}

// The ACL check: null, or the error to answer (logged in the ACL LOG). A command EXEC
// runs is checked again, since the rules may have changed since it was queued.
function aclRefusal(
  client: Client,
  spec: CommandSpec,
  fullName: string,
  argv: string[],
): string | null {
  const denial = aclDenial(client, client.user, spec, fullName, argv);
  if (denial === null) return null;
  const inMulti = client.transaction !== null || client.executingTransaction;
  logAclDenial(
    client,
    denial,
    inMulti ? "multi" : "toplevel",
    deniedObject(denial, fullName, argv),
    client.user.name,
  );
  if (client.executingTransaction) {
    return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " +
      (denial.reason === DENIED_COMMAND
        ? "no permission to execute the command or subcommand"
        : denial.reason === DENIED_KEY
        ? "no permission to touch the specified keys"
        : "no permission to access one of the channels used as arguments");
  }
  return denial.reason === DENIED_COMMAND
    ? `NOPERM this user has no permissions to run the '${fullName}' command`
    : denial.reason === DENIED_KEY
    ? "NOPERM this user has no permissions to access one of the keys used as arguments"
    : "NOPERM this user has no permissions to access one of the channels used as arguments";
}

// A command refused while MULTI queues makes the EXEC that follows abort.
function flagTransaction(client: Client): void {
  if (client.transaction !== null) client.transactionFailed = true;
}

/** Counts a call refused before it ran (commandstats' rejected_calls). */
export function countRejected(stats: ServerStats, fullName: string): void {
  let entry = stats.commands.get(fullName);
  if (entry === undefined) {
    entry = { calls: 0, usec: 0, failed: 0, rejected: 0 };
    stats.commands.set(fullName, entry);
  }
  entry.rejected++;
}
