// The persistence manager the server owns: loads the dataset at start-up (the AOF when
// appendonly is yes, else the RDB file), keeps the append-only log (on/off, fsync
// policy, rewrites), runs snapshots (SAVE, BGSAVE, the `save` rules), and reports all
// of it under INFO persistence with Redis's field names.
//
// Background jobs (BGSAVE, BGREWRITEAOF) never overlap, as Redis never runs two
// children: a second request is refused or scheduled, and the cron starts scheduled
// jobs once the running one is done.

import { type Database, Keyspace } from "../store/keyspace.ts";
import type { EncodingLimits } from "./codecs/codec.ts";
import {
  keyDelay,
  type LoadOptions,
  type LoadResult,
  loadSnapshotBytes,
  loadSnapshotInSteps,
  type LoadSteps,
  readFileBytes,
  saveSnapshot,
  saveSnapshotSync,
  type SnapshotOptions,
  type WriteGuard,
} from "./snapshot.ts";
import { AofWriter, type FsyncPolicy, writeAofBase } from "./aof.ts";
import { AofLoadError, replayAofFile, type ReplayTarget } from "./aof_loader.ts";
import {
  type AofManifest,
  AofNames,
  copyManifest,
  emptyManifest,
  ManifestError,
  readManifest,
  syncDirectory,
  writeManifest,
} from "./aof_manifest.ts";
import { RdbError, rdbTypeName } from "./rdb_format.ts";
import { leadingAux } from "./rdb_reader.ts";
import type { ReplicationAux } from "./rdb_writer.ts";
import { SnapshotStream } from "./snapshot_stream.ts";

/** The configuration as the manager reads it (the server's Config fits). */
export interface ConfigView {
  string(name: string): string;
  number(name: string): number;
  saveRules(): { seconds: number; changes: number }[];
  onChange(name: string, fn: (value: string, name: string) => string | void | null): unknown;
}

/** The log as the manager writes to it. */
export interface LogView {
  notice(message: string): void;
  warning(message: string): void;
  verbose(message: string): void;
}

/**
 * The FUNCTION libraries as persistence sees them (the server's FunctionLibraries
 * fits): their code for snapshots and AOF rewrites, and loading them from files.
 */
export interface FunctionsView {
  /** Every library's code (shebang included), in load order. */
  codes(): string[];
  /** Compiles and adds libraries: null, or the error reply text (nothing changed). */
  restore(
    codes: readonly string[],
    policy: "append" | "replace" | "flush",
    wording?: "restore" | "load",
  ): string | null;
}

/** What the manager needs from the server. */
export interface PersistenceHost {
  readonly keyspace: Keyspace;
  /**
   * The FUNCTION libraries, saved in RDB files and AOF rewrites and loaded from them
   * (without it, none are saved and a file holding some is refused).
   */
  readonly functions?: FunctionsView;
  readonly config: ConfigView;
  readonly log: LogView;
  /** Writes since the last save. */
  dirty: number;
  /** The dispatch hook a background snapshot installs. */
  beforeWrite: WriteGuard | null;
  /**
   * Run by each connection before it sends the replies of a batch, while the AOF is
   * on: writes the log to the OS, and with appendfsync always waits for the fsync.
   */
  beforeReplies: (() => Promise<void> | void) | null;
  /**
   * The write stream: every propagated write goes to each of these (an EXEC's writes
   * wrapped in MULTI/EXEC, db -1 meaning no SELECT).
   */
  readonly replicationFeed: ((db: number, argv: string[], replicasOnly?: boolean) => void)[];
  /** Runs one command read from a file (see ReplayTarget.run). */
  replay(db: number, argv: string[]): string | null;
  /** used_memory, for an RDB's used-mem field (without it: the process's RSS). */
  usedMemory?(): number;
  /** The replication AUX fields an RDB records, or null when there is no stream. */
  replicationAux?(): ReplicationAux | null;
  /**
   * Resolves once the clients have been served (a start-up load pauses for it every
   * loading-process-events-interval-bytes); without it the load does not pause.
   */
  serveClients?(): Promise<void>;
}

/** The RDB file, being read while the rest of start-up goes on (src/main.ts). */
export interface PrefetchedFile {
  /** Its path, as `dir` and `dbfilename` make it. */
  path: string;
  /**
   * Its bytes, or null when it could not be read (the load then reads it itself). Once
   * only: the file then lets go of them.
   */
  take(): Promise<Uint8Array | null>;
}

/** How a snapshot is written. */
export interface SaveOptions {
  /** The base of an AOF: the aof-base AUX field is 1. */
  aofBase: boolean;
  /** For an AOF base: an RDB (aof-use-rdb-preamble yes) or commands. */
  preamble: boolean;
  /**
   * The file written first, in the target's directory, and renamed over the target
   * once complete (default temp-<pid>.rdb).
   */
  tempName?: string;
  /**
   * The FUNCTION libraries' code: records after the AUX fields of an RDB, FUNCTION
   * LOAD commands ahead of the keys of a command base (as Redis 7.0 writes them).
   */
  functions?: readonly string[];
  /** The replication AUX fields to record. */
  replication?: ReplicationAux;
  /** A diskless replication transfer: the bytes go here, no file is written. */
  sink?: (chunk: Uint8Array) => Promise<void>;
  /** No keys, only the AUX fields and `functions` (REPLCONF rdb-filter-only). */
  withoutKeys?: boolean;
}

/** What a background snapshot needs to keep a point-in-time view. */
export interface GuardOptions {
  /** Sets (a function) or clears (null) the server's before-write hook. */
  installGuard(guard: WriteGuard | null): void;
}

/** A snapshot being written in the background. */
export interface BackgroundJob {
  /** Settles when the file is complete (renamed into place) or has failed. */
  done: Promise<void>;
  /**
   * Stops writing and removes the partial file: at once if it exists, and again once
   * the writer has stopped (it may have been creating the file just then).
   */
  abort(): Promise<void>;
  /** Keys written so far. */
  keys(): number;
}

/** What loading an RDB file found. */
export interface LoadSummary {
  keys: number;
  expired: number;
  /** Keys of the empty collections skipped (Redis never writes them: corruption). */
  emptyKeys: string[];
  /** Bytes the RDB part took (an AOF tail may follow). */
  bytes: number;
  /** The file's AUX fields (repl-id and repl-offset tell where replication stood). */
  aux?: ReadonlyMap<string, string>;
}

/** Writes and reads snapshots (the RDB module behind an interface). */
export interface SnapshotBackend {
  save(keyspace: Keyspace, path: string, options: SaveOptions): void;
  saveInBackground(
    keyspace: Keyspace,
    path: string,
    options: SaveOptions & GuardOptions,
  ): BackgroundJob;
  /** Loads keys into `keyspace` and libraries into `functions` (refused without it). */
  load(
    bytes: Uint8Array,
    keyspace: Keyspace,
    functions?: FunctionsView,
    onExpired?: (db: number, key: string) => void,
    keepExpired?: boolean,
  ): LoadSummary;
  /** `load`, pausing as `steps` says (a start-up load that serves clients meanwhile). */
  loadInSteps(
    bytes: Uint8Array,
    keyspace: Keyspace,
    steps: LoadSteps,
    functions?: FunctionsView,
    onExpired?: (db: number, key: string) => void,
    keepExpired?: boolean,
  ): Promise<LoadSummary>;
  /**
   * A load fed the snapshot's bytes as they arrive (`expected`: its size, 0 when
   * unknown), keeping keys whose time has run out (a replica's full resync).
   */
  loadAsItArrives(keyspace: Keyspace, expected: number, functions?: FunctionsView): ArrivingLoad;
}

/** A snapshot being loaded as it arrives. */
export interface ArrivingLoad {
  /** Loads the records the bytes complete; throws RdbError on bad data. */
  push(bytes: Uint8Array): void;
  /** The bytes have all come; throws RdbError when the snapshot ended early. */
  finish(): LoadSummary;
  /** The transfer broke off: what was loaded stays. */
  abort(): void;
}

/** A snapshot for replicas (see Persistence.replicationSave). */
export interface ReplicationSaveOptions {
  replication: ReplicationAux;
  sink?: (chunk: Uint8Array) => Promise<void>;
  /** REPLCONF rdb-filter-only: no keys, and the libraries only with `functions`. */
  only?: { functions: boolean };
}

/** Answers of BGSAVE. */
export type BgsaveOutcome = "started" | "scheduled" | "in-progress" | "child-active" | "failed";
/** Answers of BGREWRITEAOF. */
export type RewriteOutcome = "started" | "scheduled" | "in-progress" | "failed";

/** SHUTDOWN's options. */
export interface ShutdownOptions {
  /** true: SAVE, false: NOSAVE, undefined: save when save rules exist. */
  save?: boolean;
  /** Exit even when saving fails. */
  force?: boolean;
}

type AofState = "off" | "on" | "wait_rewrite";

interface RunningJob {
  job: BackgroundJob;
  started: number;
}

const ERR_MISCONF = "MISCONF Redis is configured to save RDB snapshots, but it's currently " +
  "unable to persist to disk. Commands that may modify the data set are disabled, because " +
  "this instance is configured to report errors during writes if RDB snapshotting fails " +
  "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about " +
  "the RDB error.";

/**
 * A load that clients are served during, and INFO's loading figures for it: a full
 * resync's snapshot received to be loaded as it arrives (a diskless load), or the
 * start-up load. An `async` one leaves the old dataset served meanwhile.
 */
export interface TransferLoad {
  readonly async: boolean;
  /** When it started (ms). */
  readonly started: number;
  /** The snapshot's size, 0 when not known (a master's diskless stream, an AOF). */
  total: number;
  /** Bytes received so far. */
  loaded: number;
  /** The used-mem the snapshot records, once its AUX fields have arrived (else 0). */
  usedMem: number;
}

// Redis waits this long before retrying a failed BGSAVE from the save rules.
const BGSAVE_RETRY_DELAY_MS = 5000;
const CRON_MS = 100;

/** The persistence manager. */
export class Persistence {
  #loading = false;
  /**
   * The load clients are served during, if any (see TransferLoad): a full resync being
   * loaded as it arrives, or the start-up load.
   */
  transferLoad: TransferLoad | null = null;
  /** The AUX fields of the RDB file loaded at start-up (replication resumes from them). */
  loadedAux: ReadonlyMap<string, string> | null = null;
  /** The keys the start-up load skipped as expired, as [db, key] (taken by replication). */
  expiredAtLoad: [number, string][] = [];
  /** Set once prepareShutdown has run (the server then skips its own message). */
  shutdownPrepared = false;
  /** See PersistenceApi.shutdownAsap. */
  shutdownAsap = false;
  // While prepareShutdownInSlices writes the final snapshot: no other job starts.
  #finalSave = false;
  #host: PersistenceHost;
  #snapshots: SnapshotBackend;
  // RDB state
  #lastSave = Date.now();
  #lastBgsaveTry = 0;
  // Aborted background jobs still cleaning up (the server waits for them on close).
  #aborting: Promise<void>[] = [];
  #lastBgsaveOk = true;
  #lastBgsaveSeconds = -1;
  #rdbSaves = 0;
  #bgsave: (RunningJob & { dirtyAtStart: number; path: string }) | null = null;
  #bgsaveScheduled = false;
  #loadedKeys = 0;
  #loadedExpired = 0;
  // AOF state
  #aofState: AofState = "off";
  #writer: AofWriter | null = null;
  #manifest: AofManifest = emptyManifest();
  #rewrite: (RunningJob & { temp: string; base: string }) | null = null;
  #rewriteScheduled = false;
  #lastRewriteSeconds = -1;
  #lastRewriteOk = true;
  #rewrites = 0;
  #rewriteFailures = 0;
  #lastRewriteFailure = 0;
  #aofWriteOk = true;
  #baseSize = 0;
  // Sizes of the incr files before the one open now.
  #closedIncrSize = 0;
  #rewriteBaseSize = 0;
  #cron: ReturnType<typeof setInterval> | undefined;
  #listener = (db: number, argv: string[], replicasOnly?: boolean) => {
    if (replicasOnly !== true) this.#writer!.feed(db, argv);
  };

  constructor(host: PersistenceHost, options: { snapshots?: SnapshotBackend } = {}) {
    this.#host = host;
    this.#snapshots = options.snapshots ??
      defaultSnapshots(host.config, () => host.usedMemory?.());
    const config = host.config;
    config.onChange("appendonly", () => this.#appendonlyChanged());
    config.onChange("appendfsync", () => {
      this.#writer?.setPolicy(this.#fsyncPolicy());
      this.#installHooks();
    });
  }

  /**
   * True while the dataset is being loaded. The keyspace knows it too (see
   * Keyspace.loading): keys created meanwhile are loaded keys, even those an AOF's
   * commands create.
   */
  get loading(): boolean {
    return this.#loading;
  }

  set loading(on: boolean) {
    this.#loading = on;
    this.#host.keyspace.loading = on;
  }

  // ---------------------------------------------------------------------------
  // Start-up and shutdown

  /**
   * Loads the dataset from disk, opens the AOF when it is on, and starts the cron
   * that runs the save rules and scheduled jobs. Throws (with a message for the log)
   * when the data on disk cannot be loaded: the server must not start then.
   * `rdbFile`: the RDB file, read ahead (see PrefetchedFile).
   */
  async start(options: { rdbFile?: PrefetchedFile } = {}): Promise<void> {
    const log = this.#host.log;
    const started = performance.now();
    await this.load({ rdbFile: options.rdbFile });
    if (this.#config("appendonly") === "yes") {
      this.#openAofOnStart();
      log.verbose(`Start-up load took ${seconds(performance.now() - started)} seconds`);
    }
    this.#cron = setInterval(() => this.#tick(), CRON_MS);
    Deno.unrefTimer(this.#cron as unknown as number);
  }

  /**
   * Loads the dataset as start-up does: the AOF when appendonly is yes, else the RDB
   * file. `readOnly` (export tools) leaves every file as it is: an old-style AOF is
   * read where it is and a truncated tail is ignored, not cut off.
   */
  async load(options: { readOnly?: boolean; rdbFile?: PrefetchedFile } = {}): Promise<void> {
    this.loading = true;
    // With a host that serves clients meanwhile, they are refused (-LOADING) from the
    // first moment: the RDB file may still be on its way from the disk.
    if (this.#host.serveClients !== undefined) {
      this.transferLoad = { async: false, started: Date.now(), total: 0, loaded: 0, usedMem: 0 };
    }
    try {
      if (this.#config("appendonly") === "yes") {
        await this.#loadAof(options.readOnly ?? false);
      } else {
        const early = options.rdbFile;
        const bytes = early === undefined ? null : await early.take();
        await this.#loadRdbAtStart(early?.path === this.#rdbPath() ? bytes : null);
      }
    } finally {
      this.loading = false;
      this.transferLoad = null;
    }
    this.#host.dirty = 0;
  }

  /**
   * SHUTDOWN and SIGTERM, before the server closes: stops background jobs, flushes
   * the AOF to disk, and saves an RDB when asked to (or when save rules exist).
   * Returns false when the save failed and `force` is not set: the server must keep
   * running then.
   */
  prepareShutdown(options: ShutdownOptions = {}): boolean {
    return !this.#beginShutdown(options) || this.#endShutdown(this.#saveSync(), options);
  }

  /**
   * prepareShutdown for a signal: the same steps, but the final save is written in
   * slices, so that the process still hears a second SIGINT while it runs (Redis's
   * signal handler interrupts its blocking save). The caller holds clients back.
   */
  async prepareShutdownInSlices(options: ShutdownOptions = {}): Promise<boolean> {
    if (!this.#beginShutdown(options)) return true;
    this.#finalSave = true;
    try {
      // An aborted BGSAVE removes its temporary file, the name the final save writes.
      await Promise.all(this.#aborting);
      return this.#endShutdown(await this.#saveInSlices(), options);
    } finally {
      this.#finalSave = false;
    }
  }

  // The steps before the final save; true when there is one to make.
  #beginShutdown(options: ShutdownOptions): boolean {
    const log = this.#host.log;
    log.warning("User requested shutdown...");
    this.shutdownPrepared = true;
    if (this.#bgsave !== null) {
      log.warning("There is a child saving an .rdb. Killing it!");
      this.#abortBgsave();
    }
    if (this.#rewrite !== null) {
      log.warning("There is a child rewriting the AOF. Killing it!");
      this.#abortRewrite();
    }
    if (this.#writer !== null) {
      log.notice("Calling fsync() on the AOF file.");
      this.#writer.flushSync();
    }
    const save = options.save ?? this.#host.config.saveRules().length > 0;
    if (save) log.notice("Saving the final RDB snapshot before exiting.");
    return save;
  }

  // After the final save (`error` null when it succeeded): whether to exit.
  #endShutdown(error: string | null, options: ShutdownOptions): boolean {
    if (error === null) return true;
    const log = this.#host.log;
    if (options.force) {
      log.warning("Error trying to save the DB. Exit anyway.");
      return true;
    }
    log.warning("Error trying to save the DB, can't exit.");
    this.shutdownPrepared = false;
    return false;
  }

  /**
   * Stops the cron and background jobs and closes the AOF (the server is closing);
   * resolves once aborted jobs have removed their partial files.
   */
  async close(): Promise<void> {
    clearInterval(this.#cron);
    this.#cron = undefined;
    if (this.#bgsave !== null) this.#abortBgsave();
    if (this.#rewrite !== null) this.#abortRewrite();
    this.#stopAof();
    await Promise.all(this.#aborting);
  }

  // ---------------------------------------------------------------------------
  // Commands

  /** SAVE: null on success, else the reason (already logged). */
  save(): string | null {
    if (this.#bgsave !== null) return "in-progress";
    return this.#saveSync();
  }

  /** BGSAVE [SCHEDULE]; `inExec` makes it scheduled like Redis does inside EXEC. */
  bgsave(schedule: boolean, inExec = false): BgsaveOutcome {
    if (this.#bgsave !== null) return "in-progress";
    if (this.#rewrite !== null || inExec) {
      if (schedule || inExec) {
        this.#bgsaveScheduled = true;
        return "scheduled";
      }
      return "child-active";
    }
    return this.#startBgsave() !== null ? "started" : "failed";
  }

  /** BGREWRITEAOF. */
  bgrewriteaof(inExec = false): RewriteOutcome {
    if (this.#rewrite !== null) return "in-progress";
    if (this.#bgsave !== null || inExec) {
      this.#rewriteScheduled = true;
      return "scheduled";
    }
    return this.#startRewrite() ? "started" : "failed";
  }

  /**
   * Why write commands (and PING) are refused right now, or null: after a failed
   * background save, while save rules exist and stop-writes-on-bgsave-error is yes.
   */
  writeRefusal(): string | null {
    if (this.#lastBgsaveOk) return null;
    const config = this.#host.config;
    if (config.string("stop-writes-on-bgsave-error") !== "yes") return null;
    if (config.saveRules().length === 0) return null;
    return ERR_MISCONF;
  }

  /** LASTSAVE: Unix seconds of the last successful save. */
  lastSave(): number {
    return Math.floor(this.#lastSave / 1000);
  }

  /**
   * DEBUG RELOAD: saves the RDB file (unless `save` is false), empties every database
   * and the FUNCTION libraries (unless `flush` is false) and loads the file back. With
   * `merge`, keys and libraries from the file replace those of the same name; without
   * it, a key or library already there fails the load, with what came before it loaded
   * (Redis stops the server then). Null, or the step that failed (logged).
   */
  reload(options: { save: boolean; flush: boolean; merge: boolean }): "save" | "load" | null {
    const host = this.#host;
    // A background snapshot or rewrite finishes first: its view must not change.
    host.beforeWrite?.(0, null);
    if (options.save && this.#saveSync() !== null) return "save";
    if (options.flush) this.#emptyData();
    const name = this.#config("dbfilename");
    try {
      const bytes = readFileBytes(`${this.#dir()}/${name}`);
      if (options.merge) this.#mergeRdb(bytes, name);
      else this.#loadRdbBytes(bytes, name);
    } catch (error) {
      host.log.warning((error as Error).message);
      return "load";
    }
    host.log.warning("DB reloaded by DEBUG RELOAD");
    return null;
  }

  /**
   * DEBUG LOADAOF: writes the AOF out, empties every database and the libraries, and
   * replays the AOF files the manifest names (whether or not appendonly is on, as in
   * Redis). Resolves to null, or why loading failed (Redis exits then; a directory
   * without an AOF is refused before anything is emptied).
   */
  async reloadAof(): Promise<string | null> {
    const host = this.#host;
    // With no AOF at all Redis exits; Redeno refuses and keeps the data.
    const names = this.#names();
    let found = true;
    try {
      found = readManifest(this.#aofDir(), names) !== null ||
        exists(`${this.#dir()}/${names.prefix}`);
    } catch {
      // A bad manifest fails the load below, with its message.
    }
    if (!found) {
      return "there is no AOF to load";
    }
    host.beforeWrite?.(0, null);
    this.#writer?.flushSync();
    this.#emptyData();
    this.loading = true;
    try {
      await this.#loadAof(false);
    } catch (error) {
      host.log.warning((error as Error).message);
      return (error as Error).message;
    } finally {
      this.loading = false;
    }
    host.dirty = 0;
    host.log.warning("Append Only File loaded by DEBUG LOADAOF");
    return null;
  }

  // Every key of every database and every library go (Redis's emptyData).
  #emptyData(): void {
    this.#host.keyspace.flushAll();
    this.#host.functions?.restore([], "flush");
  }

  // Loads an RDB file over the data in memory: keys and libraries in the file win.
  #mergeRdb(bytes: Uint8Array, name: string): void {
    const host = this.#host;
    const keyspace = host.keyspace;
    const scratch = new Keyspace(keyspace.databases.length);
    const codes: string[] = [];
    const collect: FunctionsView = {
      codes: () => [],
      restore: (more) => {
        codes.push(...more);
        return null;
      },
    };
    let summary: LoadSummary;
    try {
      summary = this.#snapshots.load(bytes, scratch, collect);
    } catch (error) {
      throw new Error(`Failed loading the RDB file ${name}: ${(error as Error).message}`);
    }
    if (codes.length > 0) {
      const functions = host.functions;
      const problem = functions === undefined
        ? "the file holds functions, which cannot be loaded here"
        : functions.restore(codes, "replace", "load");
      if (problem !== null) throw new Error(`Failed loading library, ${problem}`);
    }
    for (const from of scratch.databases) {
      const to = keyspace.databases[from.id];
      for (const key of [...from.data.keys()]) to.put(key, from.take(key)!);
    }
    this.#loadedKeys = summary.keys;
    this.#loadedExpired = summary.expired;
  }

  /** True while a BGSAVE or an AOF rewrite runs. */
  get busy(): boolean {
    return this.#bgsave !== null || this.#rewrite !== null;
  }

  /** Resolves when no background job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy) {
      await (this.#bgsave?.job.done ?? this.#rewrite?.job.done)?.catch(() => {});
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  /** The fields of INFO persistence, in Redis 7.0's order. */
  info(): [string, string | number][] {
    const now = Date.now();
    const aofOn = this.#aofState !== "off";
    const transfer = this.transferLoad;
    const fields: [string, string | number][] = [
      ["loading", this.loading || transfer?.async === false ? 1 : 0],
      ["async_loading", transfer?.async ? 1 : 0],
      ...(transfer === null ? [] : transferLoadInfo(transfer, now)),
      ["current_cow_peak", 0],
      ["current_cow_size", 0],
      ["current_cow_size_age", 0],
      ["current_fork_perc", "0.00"],
      ["current_save_keys_processed", 0],
      ["current_save_keys_total", 0],
      ["rdb_changes_since_last_save", this.#host.dirty],
      ["rdb_bgsave_in_progress", this.#bgsave !== null ? 1 : 0],
      ["rdb_last_save_time", this.lastSave()],
      ["rdb_last_bgsave_status", this.#lastBgsaveOk ? "ok" : "err"],
      ["rdb_last_bgsave_time_sec", this.#lastBgsaveSeconds],
      [
        "rdb_current_bgsave_time_sec",
        this.#bgsave !== null ? Math.floor((now - this.#bgsave.started) / 1000) : -1,
      ],
      ["rdb_saves", this.#rdbSaves],
      ["rdb_last_cow_size", 0],
      ["rdb_last_load_keys_expired", this.#loadedExpired],
      ["rdb_last_load_keys_loaded", this.#loadedKeys],
      ["aof_enabled", aofOn ? 1 : 0],
      ["aof_rewrite_in_progress", this.#rewrite !== null ? 1 : 0],
      ["aof_rewrite_scheduled", this.#rewriteScheduled ? 1 : 0],
      ["aof_last_rewrite_time_sec", this.#lastRewriteSeconds],
      [
        "aof_current_rewrite_time_sec",
        this.#rewrite !== null ? Math.floor((now - this.#rewrite.started) / 1000) : -1,
      ],
      ["aof_last_bgrewrite_status", this.#lastRewriteOk ? "ok" : "err"],
      ["aof_rewrites", this.#rewrites],
      ["aof_rewrites_consecutive_failures", this.#rewriteFailures],
      ["aof_last_write_status", this.#aofWriteOk ? "ok" : "err"],
      ["aof_last_cow_size", 0],
      ["module_fork_in_progress", 0],
      ["module_fork_last_cow_size", 0],
    ];
    if (aofOn) {
      fields.push(
        ["aof_current_size", this.#currentSize()],
        ["aof_base_size", this.#baseSize],
        ["aof_pending_rewrite", this.#rewriteScheduled ? 1 : 0],
        ["aof_buffer_length", this.#writer?.pending ?? 0],
        ["aof_pending_bio_fsync", 0],
        ["aof_delayed_fsync", 0],
      );
    }
    return fields;
  }

  // ---------------------------------------------------------------------------
  // Loading

  #config(name: string): string {
    return this.#host.config.string(name);
  }

  #dir(): string {
    return this.#config("dir");
  }

  #aofDir(): string {
    return `${this.#dir()}/${this.#config("appenddirname")}`;
  }

  #names(): AofNames {
    return new AofNames(this.#config("appendfilename"));
  }

  #fsyncPolicy(): FsyncPolicy {
    return this.#config("appendfsync") as FsyncPolicy;
  }

  #rdbPath(): string {
    return `${this.#dir()}/${this.#config("dbfilename")}`;
  }

  // AOF off: the RDB file in `dir`, if there is one (`early`: its bytes, read ahead).
  async #loadRdbAtStart(early: Uint8Array | null): Promise<void> {
    const path = this.#rdbPath();
    if (!exists(path)) return;
    const started = performance.now();
    const bytes = early ?? readFileBytes(path);
    let summary: LoadSummary;
    try {
      // A master remembers the keys that expired while it was down: once its
      // replication history is restored, its replicas are told with a DEL each.
      const expired: [number, string][] = [];
      this.expiredAtLoad = expired;
      summary = await this.#loadRdbServing(
        bytes,
        this.#config("dbfilename"),
        this.#config("replicaof") === "" ? (db, key) => expired.push([db, key]) : undefined,
      );
    } catch (error) {
      // Bad data (not a missing file or such): as Redis, the server stops.
      if (!((error as Error).cause instanceof RdbError)) throw error;
      this.#host.log.warning((error as Error).message);
      throw new Error("Terminating server after rdb file reading failure.");
    }
    const elapsed = performance.now() - started;
    this.#logRdbLoaded(summary);
    this.#host.log.notice(
      `DB loaded from disk: ${seconds(elapsed)} seconds (${rate(bytes.length, elapsed)})`,
    );
  }

  // #loadRdbBytes, serving clients (-LOADING to most commands, INFO's loading_*
  // figures) every loading-process-events-interval-bytes, as Redis does.
  async #loadRdbServing(
    bytes: Uint8Array,
    name: string,
    onExpired?: (db: number, key: string) => void,
  ): Promise<LoadSummary> {
    const host = this.#host;
    // Set by load() when the host serves clients meanwhile.
    const progress = this.transferLoad;
    if (progress === null) return this.#loadRdbBytes(bytes, name, onExpired);
    progress.total = bytes.length;
    progress.usedMem = Number(leadingAux(bytes).get("used-mem") ?? 0) || 0;
    try {
      const steps = this.#servingSteps(progress);
      return this.#rdbLoaded(
        await this.#snapshots.loadInSteps(bytes, host.keyspace, steps, host.functions, onExpired),
      );
    } catch (error) {
      throw this.#rdbLoadFailed(error as Error, name);
    }
  }

  // A load's pauses: every loading-process-events-interval-bytes, the progress is
  // recorded and the host serves its clients.
  #servingSteps(progress: TransferLoad): LoadSteps {
    return {
      every: this.#host.config.number("loading-process-events-interval-bytes"),
      pause: (loaded) => {
        progress.loaded = loaded;
        return this.#host.serveClients!();
      },
    };
  }

  #loadRdbBytes(
    bytes: Uint8Array,
    name: string,
    onExpired?: (db: number, key: string) => void,
  ): LoadSummary {
    try {
      return this.#rdbLoaded(
        this.#snapshots.load(bytes, this.#host.keyspace, this.#host.functions, onExpired),
      );
    } catch (error) {
      throw this.#rdbLoadFailed(error as Error, name);
    }
  }

  // What a load that went through records.
  #rdbLoaded(summary: LoadSummary): LoadSummary {
    this.#loadedKeys = summary.keys;
    this.#loadedExpired = summary.expired;
    this.loadedAux = summary.aux ?? null;
    return summary;
  }

  // The error a failed load throws (bad data is reported in the log first).
  #rdbLoadFailed(error: Error, name: string): Error {
    if (error instanceof RdbError) this.#reportBadRdb(error, name);
    return new Error(`Failed loading the RDB file ${name}: ${error.message}`, { cause: error });
  }

  // Where bad data in an RDB file was found, as Redis's checker reports it then.
  #reportBadRdb(error: RdbError, name: string): void {
    const log = this.#host.log;
    log.warning(`Bad data in the RDB file ${name}, at byte offset ${error.offset}:`);
    if (error.key !== undefined) {
      const key = error.key.length > 128 ? `${error.key.slice(0, 128)}...` : error.key;
      log.warning(
        `  in the value of key '${key}', type ${error.type} (${rdbTypeName(error.type!)})`,
      );
    }
    log.warning(`  ${error.problem}`);
  }

  // The summary of an RDB load, and each empty collection skipped (a corrupt file).
  #logRdbLoaded(summary: LoadSummary): void {
    const log = this.#host.log;
    for (const key of summary.emptyKeys) log.warning(`RDB loading skipping empty key: ${key}`);
    const empty = summary.emptyKeys.length;
    log.notice(
      `Done loading RDB, keys loaded: ${summary.keys}, keys expired: ${summary.expired}` +
        (empty > 0 ? `, empty keys skipped: ${empty}.` : "."),
    );
  }

  async #loadAof(readOnly: boolean): Promise<void> {
    const log = this.#host.log;
    const dir = this.#aofDir();
    const names = this.#names();
    let manifest: AofManifest | null;
    try {
      manifest = readManifest(dir, names);
    } catch (error) {
      if (error instanceof ManifestError) {
        throw new Error(`Loading the AOF manifest ${names.manifest} failed: ${error.message}`);
      }
      throw error;
    }
    const oldStyle = `${this.#dir()}/${names.prefix}`;
    // Where each file is read from (an old-style file stays in `dir` when read-only).
    const pathOf = (name: string) =>
      readOnly && name === names.prefix && !exists(`${dir}/${name}`) ? oldStyle : `${dir}/${name}`;
    if (manifest === null) {
      manifest = emptyManifest();
      if (readOnly && exists(oldStyle) && Deno.statSync(oldStyle).isFile) {
        manifest.base = { name: names.prefix, seq: 1, type: "b" };
        manifest.baseSeq = 1;
      } else if (exists(oldStyle) && Deno.statSync(oldStyle).isFile) {
        // Redis 7.0's upgrade: the single file becomes the base of a new manifest.
        Deno.mkdirSync(dir, { recursive: true });
        manifest.base = { name: names.prefix, seq: 1, type: "b" };
        manifest.baseSeq = 1;
        writeManifest(dir, names, manifest);
        Deno.renameSync(oldStyle, `${dir}/${names.prefix}`);
        syncDirectory(dir);
        syncDirectory(this.#dir());
        log.notice(
          `Successfully migrated an old-style AOF file (${names.prefix}) into the AOF ` +
            `directory (${this.#config("appenddirname")}).`,
        );
      }
    } else if (
      !readOnly && manifest.base?.name === names.prefix && !exists(`${dir}/${names.prefix}`) &&
      exists(oldStyle)
    ) {
      // An upgrade interrupted between the manifest and the move: finish it.
      Deno.renameSync(oldStyle, `${dir}/${names.prefix}`);
      syncDirectory(dir);
    }
    this.#manifest = manifest;
    const files = [
      ...(manifest.base !== null ? [manifest.base] : []),
      ...manifest.incrs,
    ];
    if (files.length === 0) return;
    for (const f of files) {
      if (!exists(pathOf(f.name))) {
        throw new Error(`The AOF file ${f.name} listed in ${names.manifest} doesn't exist`);
      }
    }
    const started = performance.now();
    const target: ReplayTarget = {
      databases: this.#host.keyspace.databases.length,
      run: (db, argv) => this.#host.replay(db, argv),
    };
    const truncatedOk = this.#config("aof-load-truncated") === "yes";
    this.#closedIncrSize = 0;
    for (let i = 0; i < files.length; i++) {
      const f = files[i];
      const path = pathOf(f.name);
      const last = i === files.length - 1;
      const fileStarted = performance.now();
      const kind = f.type === "b" ? "base" : "incr";
      let offset = 0;
      let size = Deno.statSync(path).size;
      if (f.type === "b" && startsWithRedis(path)) {
        const bytes = readFileBytes(path);
        const summary = this.#loadRdbBytes(bytes, f.name);
        this.#logRdbLoaded(summary);
        offset = summary.bytes;
        if (offset < bytes.length) log.notice("Reading the remaining AOF tail...");
      }
      if (offset < size) {
        try {
          const result = await replayAofFile(path, target, {
            name: f.name,
            offset,
            allowTruncated: last && (truncatedOk || readOnly),
            readOnly,
            manifestName: names.manifest,
            onProgress: (done, total, commands) => {
              const elapsed = performance.now() - fileStarted;
              log.notice(
                `Loading ${f.name}: ${commands} commands, ${this.#host.keyspace.size} keys, ` +
                  `${mb(done)} of ${mb(total)} MB (${Math.floor(done * 100 / total)}%), ` +
                  `${rate(done, elapsed)}`,
              );
            },
            warn: (message) => log.warning(message),
          });
          size = result.size;
        } catch (error) {
          if (error instanceof AofLoadError) {
            if (!last && error.message.startsWith("Unexpected end of file")) {
              throw new Error(
                `Fatal error: the truncated file ${f.name} is not the last file. ` +
                  error.message,
              );
            }
            throw new Error(error.message);
          }
          throw error;
        }
      }
      if (f.type === "b") this.#baseSize = size;
      else if (!last) this.#closedIncrSize += size;
      log.notice(
        `DB loaded from ${kind} file ${f.name}: ${
          seconds(performance.now() - fileStarted)
        } seconds (${rate(size, performance.now() - fileStarted)})`,
      );
    }
    log.notice(
      `DB loaded from append only file: ${seconds(performance.now() - started)} seconds, ` +
        `${this.#host.keyspace.size} keys`,
    );
  }

  // AOF on at start-up: make sure there is a base and an incr file, open the incr.
  #openAofOnStart(): void {
    const log = this.#host.log;
    const dir = this.#aofDir();
    const names = this.#names();
    const manifest = this.#manifest;
    Deno.mkdirSync(dir, { recursive: true });
    let changed = false;
    if (manifest.base === null && manifest.incrs.length === 0) {
      const seq = manifest.baseSeq + 1;
      const preamble = this.#config("aof-use-rdb-preamble") === "yes";
      const name = names.base(seq, preamble);
      this.#snapshots.save(this.#host.keyspace, `${dir}/${name}`, {
        aofBase: true,
        preamble,
        tempName: names.tempRewrite(Deno.pid),
        functions: this.#functionCodes(),
      });
      manifest.base = { name, seq, type: "b" };
      manifest.baseSeq = seq;
      this.#baseSize = Deno.statSync(`${dir}/${name}`).size;
      changed = true;
      log.notice(`Creating AOF base file ${name} on server start`);
    }
    let incr = manifest.incrs.at(-1);
    const created = incr === undefined;
    if (incr === undefined) {
      const seq = manifest.incrSeq + 1;
      incr = { name: names.incr(seq), seq, type: "i" };
      manifest.incrs.push(incr);
      manifest.incrSeq = seq;
      changed = true;
    }
    this.#writer = this.#newWriter();
    this.#writer.open(`${dir}/${incr.name}`);
    log.notice(
      `${created ? "Creating" : "Opening"} AOF incr file ${incr.name} on server start`,
    );
    if (manifest.history.length > 0) {
      this.#deleteHistory(manifest);
      changed = true;
    }
    if (changed) writeManifest(dir, names, manifest);
    this.#aofState = "on";
    this.#attach();
    this.#rewriteBaseSize = this.#currentSize();
  }

  #newWriter(): AofWriter {
    return new AofWriter({
      fsync: this.#fsyncPolicy(),
      onError: (error, during) => {
        this.#aofWriteOk = false;
        this.#host.log.warning(
          `Error ${during === "write" ? "writing to" : "calling fsync() on"} the AOF file: ` +
            `${error.message}`,
        );
        if (this.#writer?.fsync === "always") {
          this.#host.log.warning(
            "Can't recover from AOF write error when the AOF fsync policy is 'always'. " +
              "Exiting...",
          );
          Deno.exit(1);
        }
      },
      onRecovered: () => {
        this.#aofWriteOk = true;
        this.#host.log.warning("AOF write error looks solved, Redeno can write again.");
      },
    });
  }

  // Starts sending propagated writes to the writer.
  #attach(): void {
    const listeners = this.#host.replicationFeed;
    if (!listeners.includes(this.#listener)) listeners.push(this.#listener);
    this.#installHooks();
  }

  #detach(): void {
    const listeners = this.#host.replicationFeed;
    const at = listeners.indexOf(this.#listener);
    if (at >= 0) listeners.splice(at, 1);
    this.#host.beforeReplies = null;
  }

  #installHooks(): void {
    const writer = this.#writer;
    if (writer === null || this.#aofState === "off") {
      this.#host.beforeReplies = null;
      return;
    }
    this.#host.beforeReplies = writer.fsync === "always"
      ? () => writer.needsSync ? writer.sync() : undefined
      : () => writer.write();
  }

  #deleteHistory(manifest: AofManifest): void {
    const dir = this.#aofDir();
    for (const f of manifest.history) {
      try {
        Deno.removeSync(`${dir}/${f.name}`);
        this.#host.log.notice(`Removing the history file ${f.name}`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          this.#host.log.warning(`Can't remove the history file ${f.name}: ${error}`);
        }
      }
    }
    manifest.history = [];
  }

  #currentSize(): number {
    return this.#baseSize + this.#closedIncrSize + (this.#writer?.fileSize ?? 0);
  }

  // ---------------------------------------------------------------------------
  // Snapshots

  #saveSync(): string | null {
    const path = `${this.#dir()}/${this.#config("dbfilename")}`;
    const started = performance.now();
    // Counted when attempted, as Redis counts rdb_saves.
    this.#rdbSaves++;
    try {
      this.#snapshots.save(this.#host.keyspace, path, {
        replication: this.#host.replicationAux?.() ?? undefined,
        aofBase: false,
        preamble: true,
        functions: this.#functionCodes(),
      });
    } catch (error) {
      this.#host.log.warning(`Failed saving the DB: ${(error as Error).message}`);
      return (error as Error).message;
    }
    this.#saved(started);
    return null;
  }

  // #saveSync written by the background writer, which yields between slices.
  async #saveInSlices(): Promise<string | null> {
    const path = `${this.#dir()}/${this.#config("dbfilename")}`;
    const started = performance.now();
    this.#rdbSaves++;
    try {
      await this.#snapshots.saveInBackground(this.#host.keyspace, path, {
        replication: this.#host.replicationAux?.() ?? undefined,
        aofBase: false,
        preamble: true,
        functions: this.#functionCodes(),
        ...this.#guardOptions(),
      }).done;
    } catch (error) {
      this.#host.log.warning(`Failed saving the DB: ${(error as Error).message}`);
      return (error as Error).message;
    }
    this.#saved(started);
    return null;
  }

  // A foreground save succeeded.
  #saved(started: number): void {
    this.#host.dirty = 0;
    this.#lastSave = Date.now();
    this.#lastBgsaveOk = true;
    this.#host.log.notice(`DB saved on disk (${seconds(performance.now() - started)} seconds)`);
  }

  // The libraries as they are now (a snapshot's point-in-time view of them).
  #functionCodes(): string[] {
    return this.#host.functions?.codes() ?? [];
  }

  #guardOptions() {
    return {
      installGuard: (guard: WriteGuard | null) => {
        this.#host.beforeWrite = guard;
      },
    };
  }

  /**
   * A snapshot for replicas (a full resync), in the background like BGSAVE and in its
   * place (BGSAVE answers that a save is in progress meanwhile): to the RDB file, or
   * with `sink` straight to the replicas' sockets; with `only`, no keys and the
   * libraries only when it says so (REPLCONF rdb-filter-only). Null when a BGSAVE or
   * an AOF rewrite runs already, or the save could not start; else settles when it ends.
   */
  replicationSave(options: ReplicationSaveOptions): {
    path: string;
    done: Promise<void>;
    abort(): void;
  } | null {
    if (this.busy || this.#finalSave) return null;
    const running = this.#startBgsave(options);
    if (running === null) return null;
    return {
      path: running.path,
      done: running.job.done,
      // No replica wants it any more (Redis kills the child): `done` then rejects.
      abort: () => {
        if (this.#bgsave === running) this.#abortBgsave();
      },
    };
  }

  /**
   * A full resync's payload, received from the master: replaces every key and library
   * (Redis's emptyData, then the load). Throws when the payload does not load; the
   * dataset is then empty. With a host that serves clients, they are served while it
   * loads (-LOADING to most commands), as at start-up.
   */
  async loadReplicationPayload(bytes: Uint8Array): Promise<void> {
    const host = this.#host;
    this.#emptyData();
    let summary: LoadSummary;
    this.loading = true;
    const progress: TransferLoad | null = host.serveClients === undefined ? null : {
      async: false,
      started: Date.now(),
      total: bytes.length,
      loaded: 0,
      usedMem: Number(leadingAux(bytes).get("used-mem") ?? 0) || 0,
    };
    this.transferLoad = progress;
    try {
      // A replica keeps keys whose time ran out: its master's DEL removes them.
      if (progress === null) {
        summary = this.#snapshots.load(bytes, host.keyspace, host.functions, undefined, true);
      } else {
        summary = await this.#snapshots.loadInSteps(
          bytes,
          host.keyspace,
          this.#servingSteps(progress),
          host.functions,
          undefined,
          true,
        );
      }
    } catch (error) {
      this.#emptyData();
      throw error;
    } finally {
      this.loading = false;
      if (this.transferLoad === progress) this.transferLoad = null;
    }
    this.#loadedKeys = summary.keys;
    this.#loadedExpired = summary.expired;
  }

  /**
   * A full resync's payload loaded as it arrives (repl-diskless-load). Without `swap`
   * every key and library goes first and the new ones are loaded in their place; with
   * it they are loaded aside and replace the current ones only once the whole payload
   * has loaded, so a transfer that breaks off leaves the dataset as it was (swapdb).
   * Without `swap`, a failed or abandoned load leaves the dataset empty.
   */
  loadReplicationAsItArrives(swap: boolean, expected: number): ArrivingLoad {
    const host = this.#host;
    const codes: string[] = [];
    const aside: FunctionsView = {
      codes: () => codes,
      restore: (more) => {
        codes.push(...more);
        return null;
      },
    };
    let target = host.keyspace;
    if (swap) {
      target = host.keyspace.emptyCopy();
    } else {
      this.#emptyData();
      this.loading = true;
    }
    const load = this.#snapshots.loadAsItArrives(
      target,
      expected,
      swap ? aside : host.functions,
    );
    const failed = () => {
      if (swap) return;
      this.loading = false;
      this.#emptyData();
    };
    return {
      push: (bytes) => {
        try {
          load.push(bytes);
        } catch (error) {
          failed();
          throw error;
        }
      },
      finish: () => {
        let summary: LoadSummary;
        try {
          summary = load.finish();
          if (swap) {
            // The libraries first: when they fail, nothing has changed.
            const problem = host.functions === undefined
              ? codes.length === 0
                ? null
                : "the payload holds functions, which cannot be loaded here"
              : host.functions.restore(codes, "flush", "load")?.replace(/^ERR /, "") ?? null;
            if (problem !== null) throw new Error(`Failed loading library, ${problem}`);
            host.keyspace.swapContents(target);
          }
        } catch (error) {
          failed();
          throw error;
        }
        this.loading = false;
        this.#loadedKeys = summary.keys;
        this.#loadedExpired = summary.expired;
        return summary;
      },
      abort: () => {
        load.abort();
        failed();
      },
    };
  }

  /**
   * After a full resync, with the AOF on: the log is started again from a rewrite of
   * the new dataset (Redis's restartAOFAfterSYNC).
   */
  restartAofAfterSync(): void {
    if (this.#aofState === "off") return;
    this.#stopAof();
    const failure = this.#startAof();
    if (failure !== undefined) {
      this.#host.log.warning(
        `Failed enabling the AOF after successful master synchronization! ${failure}`,
      );
    }
  }

  #startBgsave(
    replication?: ReplicationSaveOptions,
  ): (RunningJob & { dirtyAtStart: number; path: string }) | null {
    const path = `${this.#dir()}/${this.#config("dbfilename")}`;
    const dirtyAtStart = this.#host.dirty;
    const started = Date.now();
    this.#lastBgsaveTry = started;
    const sink = replication?.sink;
    const only = replication?.only;
    let job: BackgroundJob;
    try {
      job = this.#snapshots.saveInBackground(this.#host.keyspace, path, {
        aofBase: false,
        preamble: true,
        functions: only === undefined || only.functions ? this.#functionCodes() : [],
        withoutKeys: only !== undefined,
        replication: replication?.replication ?? this.#host.replicationAux?.() ?? undefined,
        sink,
        ...this.#guardOptions(),
      });
    } catch (error) {
      this.#lastBgsaveOk = false;
      this.#host.log.warning(`Can't save in background: ${(error as Error).message}`);
      return null;
    }
    const running = { job, started, dirtyAtStart, path };
    this.#bgsave = running;
    this.#rdbSaves++;
    this.#host.log.notice(
      sink !== undefined
        ? "Starting BGSAVE for SYNC with target: replicas sockets"
        : "Background saving started",
    );
    // A transfer to sockets is not a save: the file and the save counters stay as they are.
    if (sink !== undefined) {
      job.done.then(() => {
        if (this.#bgsave !== running) return;
        this.#bgsave = null;
        this.#host.log.notice("Background RDB transfer terminated with success");
      }, (error) => {
        if (this.#bgsave !== running) return;
        this.#bgsave = null;
        this.#host.log.warning(`Background transfer error: ${(error as Error)?.message ?? error}`);
      });
      return running;
    }
    job.done.then(() => {
      if (this.#bgsave !== running) return;
      this.#bgsave = null;
      this.#host.dirty -= dirtyAtStart;
      this.#lastSave = Date.now();
      this.#lastBgsaveOk = true;
      this.#lastBgsaveSeconds = Math.round((Date.now() - started) / 1000);
      this.#host.log.notice("Background saving terminated with success");
    }, (error) => {
      if (this.#bgsave !== running) return;
      this.#bgsave = null;
      this.#lastBgsaveOk = false;
      this.#lastBgsaveSeconds = Math.round((Date.now() - started) / 1000);
      this.#host.log.warning(`Background saving error: ${(error as Error)?.message ?? error}`);
    });
    return running;
  }

  // Remembers an aborting job until it has cleaned up.
  #track(aborting: Promise<void>): void {
    this.#aborting.push(aborting);
    aborting.finally(() => {
      this.#aborting = this.#aborting.filter((p) => p !== aborting);
    });
  }

  #abortBgsave(): void {
    const running = this.#bgsave;
    if (running === null) return;
    this.#bgsave = null;
    this.#track(running.job.abort());
  }

  // ---------------------------------------------------------------------------
  // AOF rewrite and on/off

  #startRewrite(): boolean {
    const log = this.#host.log;
    const dir = this.#aofDir();
    const names = this.#names();
    const started = Date.now();
    const preamble = this.#config("aof-use-rdb-preamble") === "yes";
    try {
      Deno.mkdirSync(dir, { recursive: true });
      if (this.#aofState === "on") {
        // New writes go to a new incr file from now on; the manifest lists it at
        // once, so a crash during the rewrite still loads every write.
        const manifest = this.#manifest;
        const seq = manifest.incrSeq + 1;
        const name = names.incr(seq);
        this.#writer!.flushSync();
        const previous = this.#writer!.fileSize;
        this.#writer!.open(`${dir}/${name}`);
        this.#closedIncrSize += previous;
        manifest.incrs.push({ name, seq, type: "i" });
        manifest.incrSeq = seq;
        writeManifest(dir, names, manifest);
        log.notice(`Creating AOF incr file ${name} on background rewrite`);
      }
    } catch (error) {
      log.warning(`Can't open a new AOF incr file: ${(error as Error).message}`);
      this.#rewriteFailed();
      return false;
    }
    // The new base is written under a temporary name and renamed into place when
    // complete; the manifest only points at it after that.
    const temp = names.tempRewrite(Deno.pid);
    const base = names.base(this.#manifest.baseSeq + 1, preamble);
    let job: BackgroundJob;
    try {
      job = this.#snapshots.saveInBackground(this.#host.keyspace, `${dir}/${base}`, {
        aofBase: true,
        preamble,
        tempName: temp,
        functions: this.#functionCodes(),
        ...this.#guardOptions(),
      });
    } catch (error) {
      log.warning(`Can't rewrite the AOF in background: ${(error as Error).message}`);
      this.#rewriteFailed();
      return false;
    }
    const running = { job, started, temp, base };
    this.#rewrite = running;
    this.#rewriteScheduled = false;
    log.notice("Background append only file rewriting started");
    job.done.then(() => {
      if (this.#rewrite !== running) return;
      this.#rewrite = null;
      try {
        this.#finishRewrite(running);
      } catch (error) {
        log.warning(`Background AOF rewrite failed at the switch: ${(error as Error).message}`);
        removeQuietly(`${dir}/${base}`);
        this.#rewriteFailed();
      }
    }, (error) => {
      if (this.#rewrite !== running) return;
      this.#rewrite = null;
      log.warning(
        `Background AOF rewrite terminated with error: ${(error as Error)?.message ?? error}`,
      );
      this.#rewriteFailed();
    });
    return true;
  }

  // After failed rewrites, wait longer each time (up to a minute) before another.
  #rewriteBackingOff(now: number): boolean {
    if (this.#rewriteFailures === 0) return false;
    const wait = Math.min(60_000, 1000 * 2 ** Math.min(this.#rewriteFailures, 6));
    return now - this.#lastRewriteFailure < wait;
  }

  #rewriteFailed(): void {
    this.#lastRewriteOk = false;
    this.#rewriteFailures++;
    this.#lastRewriteFailure = Date.now();
    // AOF being switched on needs its first base: try again (the cron waits a while).
    if (this.#aofState === "wait_rewrite") this.#rewriteScheduled = true;
  }

  // The new base is complete: switch the manifest to it and drop the old files.
  #finishRewrite(running: { started: number; temp: string; base: string }): void {
    const log = this.#host.log;
    const dir = this.#aofDir();
    const names = this.#names();
    const next = copyManifest(this.#manifest);
    const seq = next.baseSeq + 1;
    const baseName = running.base;
    log.notice(
      `Successfully renamed the temporary AOF base file ${running.temp} into ${baseName}`,
    );
    if (next.base !== null) next.history.push({ ...next.base, type: "h" });
    next.base = { name: baseName, seq, type: "b" };
    next.baseSeq = seq;
    if (this.#aofState === "on") {
      // Every incr file but the one opened when the rewrite began is in the new base.
      const current = next.incrs.pop()!;
      for (const f of next.incrs) next.history.push({ ...f, type: "h" });
      next.incrs = [current];
    } else if (this.#aofState === "wait_rewrite") {
      for (const f of next.incrs) next.history.push({ ...f, type: "h" });
      const incrSeq = next.incrSeq + 1;
      const incrName = names.incr(incrSeq);
      // The writer keeps its handle: the file it appends to just gets its real name.
      Deno.renameSync(`${dir}/${names.tempIncr}`, `${dir}/${incrName}`);
      log.notice(
        `Successfully renamed the temporary AOF incr file ${names.tempIncr} into ${incrName}`,
      );
      next.incrs = [{ name: incrName, seq: incrSeq, type: "i" }];
      next.incrSeq = incrSeq;
    } else {
      for (const f of next.incrs) next.history.push({ ...f, type: "h" });
      next.incrs = [];
    }
    writeManifest(dir, names, next);
    this.#manifest = next;
    if (this.#aofState === "wait_rewrite") {
      this.#aofState = "on";
      log.notice("AOF rewrite successful: the append only file is on");
    }
    this.#deleteHistory(next);
    writeManifest(dir, names, next);
    this.#baseSize = Deno.statSync(`${dir}/${baseName}`).size;
    this.#closedIncrSize = 0;
    this.#lastRewriteOk = true;
    this.#rewriteFailures = 0;
    this.#rewrites++;
    this.#lastRewriteSeconds = Math.round((Date.now() - running.started) / 1000);
    this.#rewriteBaseSize = this.#currentSize();
    log.notice("Background AOF rewrite finished successfully");
  }

  #abortRewrite(): void {
    const running = this.#rewrite;
    if (running === null) return;
    this.#rewrite = null;
    this.#track(running.job.abort());
  }

  // CONFIG SET appendonly.
  #appendonlyChanged(): string | void {
    const wanted = this.#config("appendonly") === "yes";
    if (wanted && this.#aofState === "off") return this.#startAof();
    if (!wanted && this.#aofState !== "off") this.#stopAof();
  }

  // AOF switched on at run time: writes go to a temporary incr file until a rewrite
  // has written the base, then the manifest switches to both (as Redis does).
  #startAof(): string | void {
    const dir = this.#aofDir();
    const names = this.#names();
    try {
      Deno.mkdirSync(dir, { recursive: true });
      const existing = readManifest(dir, names);
      if (existing !== null) this.#manifest = existing;
      this.#writer = this.#newWriter();
      const temp = `${dir}/${names.tempIncr}`;
      Deno.writeFileSync(temp, new Uint8Array(0));
      this.#writer.open(temp);
    } catch (error) {
      this.#host.log.warning(`Can't open the append only file: ${(error as Error).message}`);
      this.#writer = null;
      return "Can't open the append only file";
    }
    this.#closedIncrSize = 0;
    this.#aofState = "wait_rewrite";
    this.#attach();
    if (this.#rewrite !== null) this.#abortRewrite();
    if (this.#bgsave !== null) {
      this.#rewriteScheduled = true;
      this.#host.log.notice(
        "AOF was enabled but there is already another background operation. An AOF " +
          "background was scheduled to start when possible.",
      );
    } else if (!this.#startRewrite()) {
      this.#stopAof();
      return "Can't start the AOF rewrite";
    }
  }

  #stopAof(): void {
    if (this.#aofState === "off" && this.#writer === null) return;
    this.#detach();
    if (this.#rewrite !== null) this.#abortRewrite();
    const waiting = this.#aofState === "wait_rewrite";
    this.#writer?.closeSync();
    this.#writer = null;
    if (waiting) removeQuietly(`${this.#aofDir()}/${this.#names().tempIncr}`);
    this.#aofState = "off";
    this.#rewriteScheduled = false;
  }

  // ---------------------------------------------------------------------------
  // Cron: scheduled jobs, save rules, automatic AOF rewrites.

  #tick(): void {
    if (this.loading || this.busy || this.#finalSave) return;
    const now = Date.now();
    if (this.#rewriteScheduled) {
      if (this.#rewriteBackingOff(now)) return;
      this.#startRewrite();
      return;
    }
    if (this.#bgsaveScheduled) {
      if (this.#lastBgsaveOk || now - this.#lastBgsaveTry > BGSAVE_RETRY_DELAY_MS) {
        this.#bgsaveScheduled = false;
        this.#startBgsave();
      }
      return;
    }
    const dirty = this.#host.dirty;
    const elapsed = Math.floor(now / 1000) - Math.floor(this.#lastSave / 1000);
    for (const rule of this.#host.config.saveRules()) {
      if (
        dirty >= rule.changes && elapsed > rule.seconds &&
        (this.#lastBgsaveOk || now - this.#lastBgsaveTry > BGSAVE_RETRY_DELAY_MS)
      ) {
        this.#host.log.notice(`${rule.changes} changes in ${rule.seconds} seconds. Saving...`);
        this.#startBgsave();
        return;
      }
    }
    if (this.#aofState === "on") {
      const percent = this.#host.config.number("auto-aof-rewrite-percentage");
      const minSize = this.#host.config.number("auto-aof-rewrite-min-size");
      const size = this.#currentSize();
      if (percent > 0 && size > minSize) {
        const base = this.#rewriteBaseSize > 0 ? this.#rewriteBaseSize : 1;
        const growth = Math.floor(size * 100 / base) - 100;
        if (growth >= percent && !this.#rewriteBackingOff(now)) {
          this.#host.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
          this.#startRewrite();
        }
      }
    }
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function startsWithRedis(path: string): boolean {
  const file = Deno.openSync(path, { read: true });
  try {
    const head = new Uint8Array(5);
    let filled = 0;
    while (filled < 5) {
      const n = file.readSync(head.subarray(filled));
      if (n === null) return false;
      filled += n;
    }
    return String.fromCharCode(...head) === "REDIS";
  } finally {
    file.close();
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Not there.
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function rate(bytes: number, ms: number): string {
  return `${(bytes / 1048576 / Math.max(ms, 1) * 1000).toFixed(1)} MB/s`;
}

// ---------------------------------------------------------------------------
// The RDB module behind the SnapshotBackend interface.

/** Snapshots as RDB files (or AOF-format bases), through the RDB module. */
export function defaultSnapshots(
  config: ConfigView,
  usedMemory: () => number | undefined = () => undefined,
): SnapshotBackend {
  const rdbOptions = (options: SaveOptions): SnapshotOptions => ({
    usedMemory: usedMemory(),
    compress: config.string("rdbcompression") === "yes",
    checksum: config.string("rdbchecksum") === "yes",
    listMaxListpackSize: config.number("list-max-listpack-size"),
    listCompressDepth: config.number("list-compress-depth"),
    keySaveDelay: config.number("rdb-key-save-delay"),
    aofBase: options.aofBase,
    tempName: options.tempName,
    functions: options.functions,
    replication: options.replication,
    withoutKeys: options.withoutKeys,
  });
  const loadOptions = (
    functions?: FunctionsView,
    onExpired?: (db: number, key: string) => void,
    keepExpired?: boolean,
  ): LoadOptions => ({
    onExpired,
    skipExpired: keepExpired !== true,
    limits: encodingLimits(config),
    // One library at a time, as Redis loads them: the first that fails (does not
    // compile, registers nothing, clashes with one loaded before) fails the load.
    onFunction: functions === undefined
      ? undefined
      : (code) => functions.restore([code], "append", "load")?.replace(/^ERR /, "") ?? null,
    onAccessInfo: (db, key, idle, frequency) =>
      applyAccess(config, db, key, idle ?? -1, frequency ?? -1),
    afterKey: keyDelay(config.number("key-load-delay")),
  });
  const loadSummary = (result: LoadResult): LoadSummary => ({
    keys: result.keys,
    expired: result.expiredSkipped,
    emptyKeys: result.emptyKeys,
    bytes: result.bytes,
    aux: result.aux,
  });
  return {
    save(keyspace, path, options) {
      if (options.aofBase && !options.preamble) {
        const temp = `${dirname(path)}/${options.tempName ?? `temp-${Deno.pid}.aof`}`;
        writeAofBase(keyspace, temp, Date.now(), options.functions);
        Deno.renameSync(temp, path);
        syncDirectory(dirname(path));
        return;
      }
      saveSnapshotSync(keyspace, path, rdbOptions(options));
    },
    saveInBackground(keyspace, path, options) {
      if (options.aofBase && !options.preamble) {
        // Commands are written in one go (a point-in-time view by construction); the
        // incremental writer exists for RDB files only.
        try {
          this.save(keyspace, path, options);
          return {
            done: Promise.resolve(),
            abort: () => Promise.resolve(),
            keys: () => keyspace.size,
          };
        } catch (error) {
          const done = Promise.reject(error);
          done.catch(() => {});
          return { done, abort: () => Promise.resolve(), keys: () => 0 };
        }
      }
      const job = saveSnapshot(keyspace, path, {
        ...rdbOptions(options),
        installGuard: (guard) => options.installGuard(guard),
        sink: options.sink,
      });
      const temp = `${dirname(path)}/${options.tempName ?? `temp-${Deno.pid}.rdb`}`;
      return {
        done: job.done.then(() => {}),
        abort: () => {
          removeQuietly(temp);
          return job.abort().catch(() => {}).then(() => removeQuietly(temp));
        },
        keys: () => job.keys,
      };
    },
    load(bytes, keyspace, functions, onExpired, keepExpired) {
      return loadSummary(
        loadSnapshotBytes(keyspace, bytes, loadOptions(functions, onExpired, keepExpired)),
      );
    },
    async loadInSteps(bytes, keyspace, steps, functions, onExpired, keepExpired) {
      return loadSummary(
        await loadSnapshotInSteps(
          keyspace,
          bytes,
          loadOptions(functions, onExpired, keepExpired),
          steps,
        ),
      );
    },
    loadAsItArrives(keyspace, expected, functions) {
      const stream = new SnapshotStream(
        keyspace,
        loadOptions(functions, undefined, true),
        expected,
      );
      return {
        push: (bytes) => stream.push(bytes),
        finish: () => loadSummary(stream.finish()),
        abort: () => stream.abort(),
      };
    },
  };
}

/**
 * A key's recorded access (RESTORE IDLETIME/FREQ, an RDB's IDLE/FREQ; negative: not
 * given): as in Redis, FREQ counts only under an LFU policy, IDLETIME under any other.
 */
export function applyAccess(
  config: { string(name: string): string; number(name: string): number },
  db: Database,
  key: string,
  idleSeconds: number,
  frequency: number,
): void {
  const lfu = config.string("maxmemory-policy").endsWith("-lfu");
  if (lfu && frequency >= 0) {
    db.setFrequency(key, frequency, {
      logFactor: config.number("lfu-log-factor"),
      decayTime: config.number("lfu-decay-time"),
    });
  } else if (!lfu && idleSeconds >= 0) {
    db.setIdleSeconds(key, idleSeconds);
  }
}

/** The encoding thresholds in force, for values built while loading. */
export function encodingLimits(config: ConfigView): EncodingLimits {
  return {
    hashMaxListpackEntries: config.number("hash-max-listpack-entries"),
    hashMaxListpackValue: config.number("hash-max-listpack-value"),
    setMaxIntsetEntries: config.number("set-max-intset-entries"),
    zsetMaxListpackEntries: config.number("zset-max-listpack-entries"),
    zsetMaxListpackValue: config.number("zset-max-listpack-value"),
    listMaxListpackSize: config.number("list-max-listpack-size"),
  };
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at < 0 ? "." : at === 0 ? "/" : path.slice(0, at);
}

// INFO persistence's loading_* fields for a snapshot being loaded as it arrives. The
// share done is of the size when the master told it, else of the used-mem the snapshot
// records; the time left assumes the rate so far goes on.
function transferLoadInfo(load: TransferLoad, now: number): [string, string | number][] {
  const whole = load.total > 0 ? load.total : load.usedMem;
  const share = whole > 0 ? load.loaded / whole : 0;
  const elapsed = (now - load.started) / 1000;
  const rate = elapsed > 0 ? load.loaded / elapsed : 0;
  const eta = rate > 0 && whole > load.loaded ? Math.floor((whole - load.loaded) / rate) : 1;
  return [
    ["loading_start_time", Math.floor(load.started / 1000)],
    ["loading_total_bytes", load.total],
    ["loading_rdb_used_mem", load.usedMem],
    ["loading_loaded_bytes", load.loaded],
    ["loading_loaded_perc", (share * 100).toFixed(2)],
    ["loading_eta_seconds", eta],
  ];
}
