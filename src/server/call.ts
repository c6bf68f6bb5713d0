// Redis's call(): what a command reported while it ran (its dirty count, a rewritten
// propagation, the keys and databases it changed, keyspace events) and the one
// post-command stage that acts on it, always in this order:
//   0. the memory total: collections the command may have changed in place are
//      measured again before it is next read (see store/accounting.ts);
//   1. the AOF and replication feed;
//   2. WATCH invalidation;
//   3. blocked clients marked ready (served once the top-level command is done);
//   4. keyspace notifications;
//   5. client-side caching invalidations;
//   6. statistics, the slow log and MONITOR.
// Handlers only report; nothing else in the server performs these side effects.

import type { CommandSpec } from "../commands/context.ts";
import { keysOf } from "../commands/table.ts";
import type { Client } from "./client.ts";

/** One command being run: set up by dispatch, filled in by the handler's reports. */
export class CallFrame {
  client!: Client;
  spec!: CommandSpec;
  /** The full name for statistics ("config|get"). */
  fullName = "";
  argv!: string[];
  /** The database selected when the command started. */
  db = 0;
  /** server.dirty before the command, plus what commands run inside it changed. */
  dirtyBefore = 0;
  /** server.dirty before the command. */
  dirtyAtStart = 0;
  /** performance.now() when the command started. */
  started = 0;
  /** The client's error reply count when the command started. */
  errorsBefore = 0;
  /** Error replies of commands run inside this one (EXEC's), which are not its own. */
  nestedErrors = 0;
  /** What to propagate instead of argv (propagateAs), or null. */
  propagated: string[][] | null = null;
  /** Propagated to replicas only, not the AOF (PUBLISH). */
  replicasOnly = false;
  /** Keys reported changed, as db and key pairs (flat), or null: every key argument. */
  changed: (number | string)[] | null = null;
  /** Keyspace events reported, flat: type, event, key, db. */
  events: (number | string)[] | null = null;
  /** A database was emptied (FLUSHALL, FLUSHDB; not SWAPDB): tracking clients drop everything. */
  flushed = false;
  /** The handler said its slow part started (Session.slowPart): the call is timed alone. */
  slow = false;
  #keys: string[] | null = null;

  reset(
    client: Client,
    spec: CommandSpec,
    fullName: string,
    argv: string[],
    dirty: number,
    started: number,
  ): void {
    this.client = client;
    this.spec = spec;
    this.fullName = fullName;
    this.argv = argv;
    this.db = client.db.id;
    this.dirtyBefore = dirty;
    this.dirtyAtStart = dirty;
    this.started = started;
    this.errorsBefore = client.reply.errors;
    this.nestedErrors = 0;
    this.propagated = null;
    this.replicasOnly = false;
    this.changed = null;
    this.events = null;
    this.flushed = false;
    this.slow = false;
    this.#keys = null;
  }

  /** The keys the command may write (its key arguments that are not read-only); worked out once. */
  get writeKeys(): string[] {
    if (this.#keys === null) {
      const keys: string[] = [];
      const argv = this.argv;
      for (const key of keysOf(this.spec, argv)) {
        if (!key.flags.includes("RO")) keys.push(argv[key.index]);
      }
      this.#keys = keys;
    }
    return this.#keys;
  }

  /** Every key argument of the call (reads too: client-side caching remembers them). */
  allKeys(): string[] {
    const argv = this.argv;
    return keysOf(this.spec, argv).map((key) => argv[key.index]);
  }
}

/**
 * Fast commands that ran back to back at one depth and whose time is not read yet:
 * client requests, or the commands one script or one EXEC runs (with the calls of
 * CommandSpec.timedWhenSlow commands that did only constant work). Reading the clock
 * costs about as much as running a fast command on a VM, so such a run is timed as a
 * whole, once: when a command that is not fast or at another depth starts or ends
 * (the EXEC or script the run is inside), when the batch of requests ends, or at
 * RUN_LIMIT commands. Each of its commands then counts the run's average. No command
 * of a run can have taken longer than the whole run, so while the run stays under the
 * slow log's and the latency monitor's thresholds, what they record is exactly what
 * timing every command would record.
 */
export class PendingTimes {
  static readonly RUN_LIMIT = 64;
  size = 0;
  /** The call depth of the run's commands (1: a client's own requests). */
  depth = 0;
  /** performance.now() when the run's first command started. */
  started = 0;
  readonly names: string[] = [];
  clients: Client[] = [];
  argvs: string[][] = [];
  readonly failed: boolean[] = [];
  readonly logged: boolean[] = [];
  /** Whether each command is `fast` (the latency monitor's fast-command event) or not. */
  readonly fast: boolean[] = [];

  /** Adds a command; `logged` false for a command the slow log skips. */
  add(
    started: number,
    depth: number,
    name: string,
    client: Client,
    argv: string[],
    failed: boolean,
    logged: boolean,
    fast: boolean,
  ): void {
    const i = this.size++;
    if (i === 0) {
      this.started = started;
      this.depth = depth;
    }
    this.names[i] = name;
    this.clients[i] = client;
    this.argvs[i] = argv;
    this.failed[i] = failed;
    this.logged[i] = logged;
    this.fast[i] = fast;
  }

  /**
   * Empties the run, dropping its references to clients and arguments: new arrays
   * take the next run's (V8 records every store of a new object into an old array, such
   * as a long-lived one reused, in its remembered set; a store into a new array costs
   * nothing extra).
   */
  clear(): void {
    this.clients = [];
    this.argvs = [];
    this.size = 0;
  }
}

/** A stack of frames, reused: EXEC and blocked retries run commands inside commands. */
export class CallStack {
  readonly #frames: CallFrame[] = [];
  #depth = 0;

  /** The frame of the innermost running command, or null between commands. */
  get current(): CallFrame | null {
    return this.#depth === 0 ? null : this.#frames[this.#depth - 1];
  }

  /** How many commands are running (2 or more: a command inside another). */
  get depth(): number {
    return this.#depth;
  }

  push(): CallFrame {
    let frame = this.#frames[this.#depth];
    if (frame === undefined) this.#frames.push(frame = new CallFrame());
    this.#depth++;
    return frame;
  }

  pop(): void {
    this.#depth--;
  }
}
