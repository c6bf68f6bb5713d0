// Running Lua: EVAL scripts and FUNCTION libraries' functions, on the one VM.
//
// A script's commands (redis.call) run as a client of their own, after the checks
// call() makes, so they take the same write path as any command: their effects reach
// the AOF as the commands they are, wrapped in MULTI/EXEC when there are several. A
// script that runs past busy-reply-threshold yields now and then (see lua_vm.ts): other
// clients are then answered -BUSY, and SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE
// are served.

import {
  BIT_DENYOOM,
  BIT_MAY_REPLICATE,
  BIT_NOSCRIPT,
  BIT_STALE,
  BIT_WRITE,
  type CommandSpec,
  type ScriptRunOptions,
} from "../commands/context.ts";
import { arityAccepts, callTarget, fullNameOf } from "../commands/table.ts";
import {
  type CallReply,
  EVAL_STATE,
  FUNCTION_STATE,
  LuaVm,
  type StateIndex,
  type VmHost,
} from "../scripting/lua_vm.ts";
import { Client } from "./client.ts";
import { countRejected, runCommand } from "./dispatch.ts";
import { ERR_OOM } from "../protocol/errors.ts";
import { aclDenial, deniedObject, logAclDenial } from "../commands/acl.ts";
import { DENIED_COMMAND, DENIED_KEY } from "../acl/acl.ts";
import type { Server } from "./server.ts";
import { FROZEN_AT_START } from "../store/keyspace.ts";

const encoder = new TextEncoder();

// What a Run starts as before its fields are set.
const NO_RUN: Readonly<Run> = {
  caller: null as unknown as Client,
  what: "",
  readOnly: false,
  isFunction: false,
  started: 0,
  wrote: false,
  killRequested: false,
  oom: false,
  argv: [],
  functionName: "",
  busy: false,
  replication: 3,
};

/** The script (or function) running now. */
interface Run {
  caller: Client;
  /** "script: <sha>" or "function: <name>" hint for errors (see `failed`). */
  what: string;
  readOnly: boolean;
  isFunction: boolean;
  started: number;
  /** It called a write command (even one that changed nothing): SCRIPT KILL can no longer stop it. */
  wrote: boolean;
  /** SCRIPT KILL / FUNCTION KILL asked for it to stop. */
  killRequested: boolean;
  /**
   * Over maxmemory with nothing to evict when it began, without allow-oom: commands
   * flagged denyoom are refused until it has written something (as in Redis).
   */
  oom: boolean;
  /** The command that runs it (FUNCTION STATS). */
  argv: string[];
  /** The function's name, for FUNCTION STATS. */
  functionName: string;
  /** Past the busy threshold: other clients are answered -BUSY. */
  busy: boolean;
  /** redis.set_repl flags (REPL_ALL by default). */
  replication: number;
}

// While a slow script runs, the allow_busy commands meant for the other kind of script
// (FUNCTION KILL during EVAL, SCRIPT KILL during FCALL) are refused too.
function busyWith(kill: string, refused: string[]) {
  return {
    error: `BUSY Redis is busy running a script. You can only call ${kill} or SHUTDOWN NOSAVE.`,
    refused: new Set(refused),
  };
}
const BUSY_SCRIPT = busyWith("SCRIPT KILL", ["function|kill", "function|stats"]);
const BUSY_FUNCTION = busyWith("FUNCTION KILL", ["script|kill"]);

/** Errors from redis.call that Redis words its own way. */
const ERR_UNKNOWN = "ERR Unknown Redis command called from script";
const ERR_ARITY = "ERR Wrong number of args calling Redis command from script";
const ERR_NOT_ALLOWED = "ERR This Redis command is not allowed from script";
const ERR_READ_ONLY = "ERR Write commands are not allowed from read-only scripts.";
/** The largest reply buffer the script client keeps between its commands (bytes). */
const KEEP_REPLY_BUFFER = 64 * 1024;
// How often a script past busy-reply-threshold yields to serve other clients (ms).
const YIELD_EVERY_MS = 100;

/** Runs scripts for the server; one at a time, like Redis. */
export class ScriptRunner implements VmHost {
  readonly #server: Server;
  #vm: LuaVm | null = null;
  #client: Client | null = null;
  #run: Run | null = null;
  #spareRun: Run | null = null;
  // What call() answers the VM (one object, filled anew each time).
  readonly #callReply: CallReply = { bytes: new Uint8Array(0), length: 0 };
  /** The script client's writer holds the last reply handed to the VM (emptied on the next call). */
  #replyPending = false;
  /** The last script (or the running one) called a read-only command. */
  #read = false;
  // When the running script last yielded (performance.now() ms).
  #lastYield = 0;

  /** busy-reply-threshold, in ms. */
  #threshold: number;

  constructor(server: Server) {
    this.#server = server;
    const config = server.config;
    this.#threshold = config.number("busy-reply-threshold");
    config.onChange("busy-reply-threshold", () => {
      this.#threshold = config.number("busy-reply-threshold");
    });
  }

  /** The VM, created on first use. */
  get vm(): LuaVm {
    this.#vm ??= new LuaVm(this);
    return this.#vm;
  }

  /** True while a script that went past the busy threshold runs. */
  get busy(): boolean {
    return this.#run?.busy ?? false;
  }

  /** A script's command read keys (see `lastRunRead`). */
  noteRead(): void {
    this.#read = true;
  }

  /** The last script run called a read-only command: its caller tracks its keys. */
  get lastRunRead(): boolean {
    return this.#read;
  }

  /** True while any script runs (also one suspended past the busy threshold). */
  get running(): boolean {
    return this.#run !== null;
  }

  runningFunction(): { name: string; argv: string[]; durationMs: number } | null {
    const run = this.#run;
    if (run === null || !run.isFunction) return null;
    return {
      name: run.functionName,
      argv: run.argv,
      durationMs: Math.round(performance.now() - run.started),
    };
  }

  /**
   * What other clients get while a slow script runs: the -BUSY error, and the allow_busy
   * commands still served (those of the kind of script running, besides the others').
   */
  busyState(): { error: string; refused: ReadonlySet<string> } {
    return this.#run?.isFunction ? BUSY_FUNCTION : BUSY_SCRIPT;
  }

  /**
   * SCRIPT KILL / FUNCTION KILL (dispatch refuses the one for the other kind of script):
   * null when the script will stop, else the error reply.
   */
  kill(): string | null {
    const run = this.#run;
    if (run === null || !run.busy) return "NOTBUSY No scripts in execution right now.";
    if (run.wrote) {
      return "UNKILLABLE Sorry the script already executed write commands against the dataset. " +
        "You can either wait the script termination or kill the server in a hard way using the " +
        "SHUTDOWN NOSAVE command.";
    }
    run.killRequested = true;
    return null;
  }

  /**
   * Runs a compiled function for `caller`, writing its result to the caller's reply.
   * Returns a promise when the script yielded (it went past the busy threshold).
   */
  run(
    caller: Client,
    ref: number,
    argv: readonly string[],
    keyCount: number,
    options: ScriptRunOptions,
  ): void | Promise<void> {
    const state: StateIndex = options.isFunction ? FUNCTION_STATE : EVAL_STATE;
    const client = this.#scriptClient();
    client.db = caller.db;
    // The last run's record when it ended without yielding (one object fewer per run).
    const run: Run = this.#spareRun ?? { ...NO_RUN };
    this.#spareRun = null;
    run.caller = caller;
    run.what = options.what;
    run.readOnly = options.readOnly;
    run.isFunction = options.isFunction;
    run.argv = caller.currentArgv;
    run.functionName = options.functionName ?? "";
    // The command's own start time (one clock reading per command).
    run.started = this.#server.calls.current?.started ?? performance.now();
    run.wrote = false;
    run.killRequested = false;
    run.oom = caller.id !== 0 && !options.allowOom && this.#server.maxmemory.oomAtCommandStart;
    run.busy = false;
    run.replication = 3;
    this.#run = run;
    this.#read = false;
    // Keys expire by the script's start time until it ends.
    const clock = this.#server.keyspace.expiryClock;
    clock.frozenAt = FROZEN_AT_START;
    clock.startedAt = run.started;
    client.scriptCaller = caller;
    // The script runs as its caller's user (call() checks its ACL rules; SORT asks).
    client.user = caller.user;
    this.#server.beginEffects();
    // MONITOR shows the script's command before the commands it runs.
    this.#server.monitorCommand(caller, caller.currentArgv);
    // Only a top-level command may be suspended: EXEC and blocked retries must finish.
    // (Nor a script replayed from an old AOF at start-up: no connection, nobody waits.)
    const canYield = caller.connected && !caller.executingTransaction && !caller.retrying &&
      this.#threshold > 0;
    let outcome: boolean | Promise<boolean>;
    try {
      // EVAL and FCALL alike: the keys from argv[3], then the arguments.
      outcome = this.vm.run(state, ref, argv, 3, keyCount, caller.reply, canYield);
    } catch (error) {
      this.#end(run);
      throw error;
    }
    if (typeof outcome === "boolean") {
      this.#end(run);
      this.#spareRun = run;
      return;
    }
    return outcome.then(() => this.#end(run), (error) => {
      this.#end(run);
      throw error;
    });
  }

  #end(run: Run): void {
    if (this.#run === run) this.#run = null;
    this.#server.keyspace.expiryClock.frozenAt = 0;
    this.#releaseReply();
    if (this.#client !== null) this.#client.scriptCaller = null;
  }

  #scriptClient(): Client {
    if (this.#client === null) {
      const server = this.#server;
      const client = new Client(0, null, server, {
        // No connection: the slow log shows "?:0", as for Redis's script client (MONITOR
        // shows "lua").
        endpoints: { addr: "?:0", laddr: "", fd: -1 },
        db: server.keyspace.databases[0],
      });
      client.authenticated = true;
      client.attach(server);
      client.reply.onError = (message) => server.countError(message);
      // Commands run by a script never block and never serve others in between.
      client.executingTransaction = true;
      client.lastCommand = "eval";
      this.#client = client;
    }
    return this.#client;
  }

  // ---------------------------------------------------------------------------
  // VmHost: what the VM asks for while a script runs

  call(argv: string[], resp: 2 | 3): CallReply {
    const run = this.#run!;
    const server = this.#server;
    const top = server.table.lookup(argv[0]);
    if (top === undefined) return this.#refuse(ERR_UNKNOWN);
    const spec: CommandSpec | undefined = callTarget(top, argv);
    if (spec === undefined) return this.#refuse(argv.length < 2 ? ERR_ARITY : ERR_UNKNOWN);
    const fullName = fullNameOf(top, spec);
    if (!arityAccepts(spec.arity, argv.length)) return this.#refuse(ERR_ARITY, fullName);
    const bits = spec.bits!;
    // DEBUG SET-DISABLE-DENY-SCRIPTS lets tests call such commands from scripts.
    if ((bits & BIT_NOSCRIPT) !== 0 && !server.debug.scriptsRunAnyCommand) {
      return this.#refuse(ERR_NOT_ALLOWED, fullName);
    }
    const caller = run.caller;
    if (!caller.user.unrestricted) {
      const denial = aclDenial(caller, caller.user, spec, fullName, argv);
      if (denial !== null) {
        logAclDenial(caller, denial, "lua", deniedObject(denial, fullName, argv), caller.user.name);
        return this.#refuse(
          denial.reason === DENIED_COMMAND
            ? "ERR The user executing the script can't run this command or subcommand"
            : denial.reason === DENIED_KEY
            ? "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
            : "ERR The user executing the script can't publish to the channel mentioned in the command",
          fullName,
        );
      }
    }
    const write = (bits & BIT_WRITE) !== 0;
    if (run.readOnly && (bits & (BIT_WRITE | BIT_MAY_REPLICATE)) !== 0) {
      return this.#refuse(ERR_READ_ONLY, fullName);
    }
    // On a replica, or with min-replicas-to-write (server.replicationChecks): a stale
    // replica runs only commands fit for stale data; writes may be refused.
    const replicated = server.replicationChecks && !caller.isMaster;
    if (replicated && server.staleReplica && (bits & BIT_STALE) === 0) {
      return this.#refuse("ERR Can not execute the command on a stale replica", fullName);
    }
    if (write) {
      const replication = server.replication;
      let refusal = replicated && replication.isReplica && server.config.bool("replica-read-only")
        ? "READONLY You can't write against a read only replica."
        : server.writeRefusal();
      if (refusal === null && replicated) refusal = replication.writeRefusal();
      if (refusal !== null) return this.#refuse(refusal, fullName);
    }
    if (run.oom && !run.wrote && (bits & BIT_DENYOOM) !== 0) {
      return this.#refuse(ERR_OOM, fullName);
    }
    const client = this.#client!;
    this.#releaseReply();
    client.reply.resp = resp;
    // Any write command makes the script unkillable, even one that changed nothing.
    if (write) run.wrote = true;
    server.propagating = (run.replication & 1) !== 0;
    try {
      // call() made the checks a script's command needs (Redis's scriptCall).
      runCommand(server, client, spec, fullName, argv);
    } finally {
      server.propagating = true;
    }
    // The VM copies the reply at once: the buffer is given back on the next call.
    this.#replyPending = true;
    const out = this.#callReply;
    out.bytes = client.reply.buffer;
    out.length = client.reply.length;
    return out;
  }

  // A command a script may not run: the error counts in INFO errorstats now (the script
  // may swallow it with pcall), as a command's own error does, and a command that
  // exists counts a rejected call.
  #refuse(message: string, fullName?: string): CallReply {
    this.#server.countError(message);
    if (fullName !== undefined) countRejected(this.#server.stats, fullName);
    const bytes = encoder.encode(`-${message}\r\n`);
    return { bytes, length: bytes.length };
  }

  #releaseReply(): void {
    if (this.#replyPending) {
      const reply = this.#client!.reply;
      reply.truncate(0);
      // A big reply (LRANGE of a long list) does not keep its buffer.
      if (reply.capacity > KEEP_REPLY_BUFFER) reply.shrinkIdle();
      this.#replyPending = false;
    }
  }

  aclCheck(argv: string[]): number {
    const top = this.#server.table.lookup(argv[0]);
    const spec = top === undefined ? undefined : callTarget(top, argv);
    if (spec === undefined) return -1;
    const caller = this.#run?.caller;
    if (caller === undefined || caller.user.unrestricted) return 1;
    const fullName = fullNameOf(top!, spec);
    return aclDenial(caller, caller.user, spec, fullName, argv) === null ? 1 : 0;
  }

  log(level: number, text: string): void {
    const log = this.#server.log;
    if (level === 0) log.debug(text);
    else if (level === 1) log.verbose(text);
    else if (level === 2) log.notice(text);
    else log.warning(text);
  }

  setReplication(flags: number): void {
    if (this.#run !== null) this.#run.replication = flags;
  }

  tick(): number {
    const run = this.#run;
    if (run === null) return 0;
    if (run.killRequested) return 2;
    const now = this.#server.scriptClock();
    if (!run.busy) {
      const threshold = this.#threshold;
      if (threshold <= 0 || now - run.started < threshold) return 0;
      run.busy = true;
      this.#server.log.warning(
        `Slow script detected: still in execution after ${
          Math.round(now - run.started)
        } milliseconds. You can try killing the script using the ${
          run.isFunction ? "FUNCTION KILL" : "SCRIPT KILL"
        } command.`,
      );
    }
    // Past the threshold the script lets other clients in every few milliseconds, not
    // at every check: a yield costs a timer turn, and the script must keep its speed.
    if (now - this.#lastYield < YIELD_EVERY_MS) return 0;
    this.#lastYield = now;
    return 1;
  }

  pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  killMessage(): string {
    // Redis 7.0 says SCRIPT KILL for functions too.
    return "ERR Script killed by user with SCRIPT KILL...";
  }

  registerFunction(
    ref: number,
    name: string,
    description: string | null,
    flags: string[],
  ): string | null {
    return this.#server.functions.register(ref, name, description, flags);
  }

  failed(text: string, source: string, line: number, counted: boolean): void {
    const run = this.#run;
    if (run === null) return;
    // Redis's form: "<error> script: <sha>, on @user_script:<line>."
    const message = line < 0 ? text : `${text} ${run.what}, on ${source}:${line}.`;
    if (counted) run.caller.reply.errorCounted(message);
    else run.caller.reply.error(message);
  }

  memory(state: "eval" | "functions"): number {
    return this.vm.memory(state === "eval" ? EVAL_STATE : FUNCTION_STATE);
  }
}
