// The persistence manager the server owns: loads the dataset at start-up (the AOF when
// appendonly is yes, else the RDB file), keeps the append-only log (on/off, fsync
// policy, rewrites), runs snapshots (SAVE, BGSAVE, the `save` rules), and reports all
// of it under INFO persistence with Redis's field names.
//
// Background jobs (BGSAVE, BGREWRITEAOF) never overlap, as Redis never runs two
// children: a second request is refused or scheduled, and the cron starts scheduled
// jobs once the running one is done.
//
// The work is done by its parts: dataset_loader.ts (loads), rdb_saves.ts (the RDB
// file's saves), append_only_file.ts (the AOF and its rewrites), persistence_info.ts
// (INFO persistence); this file starts and stops them, answers the commands, and runs
// the cron that schedules them.

import { readFileBytes } from "./snapshot.ts";
import { readManifest } from "./aof_manifest.ts";
import { AppendOnlyFile } from "./append_only_file.ts";
import { DatasetLoader, type TransferLoad } from "./dataset_loader.ts";
import { RdbSaves, type ReplicationSaveOptions } from "./rdb_saves.ts";
import { persistenceInfo } from "./persistence_info.ts";
import type { PersistenceHost, PrefetchedFile } from "./persistence_host.ts";
import { type ArrivingLoad, defaultSnapshots, type SnapshotBackend } from "./snapshot_backend.ts";
import { aofDir, aofNames, oldStyleAofPath, rdbPath } from "./file_paths.ts";
import { exists } from "./files.ts";
import { seconds } from "./log_figures.ts";

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

const ERR_MISCONF = "MISCONF Redis is configured to save RDB snapshots, but it's currently " +
  "unable to persist to disk. Commands that may modify the data set are disabled, because " +
  "this instance is configured to report errors during writes if RDB snapshotting fails " +
  "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about " +
  "the RDB error.";

// Redis waits this long before retrying a failed BGSAVE from the save rules.
const BGSAVE_RETRY_DELAY_MS = 5000;
const CRON_MS = 100;

/** The persistence manager. */
export class Persistence {
  /** Set once prepareShutdown has run (the server then skips its own message). */
  shutdownPrepared = false;
  /** See PersistenceApi.shutdownAsap. */
  shutdownAsap = false;
  // While prepareShutdownInSlices writes the final snapshot: no other job starts.
  #finalSave = false;
  #host: PersistenceHost;
  // Aborted background jobs still cleaning up (the server waits for them on close).
  #aborting: Promise<void>[] = [];
  #loader: DatasetLoader;
  #saves: RdbSaves;
  #aof: AppendOnlyFile;
  #cron: ReturnType<typeof setInterval> | undefined;

  constructor(host: PersistenceHost, options: { snapshots?: SnapshotBackend } = {}) {
    this.#host = host;
    const snapshots = options.snapshots ??
      defaultSnapshots(host.config, () => host.usedMemory?.());
    const track = (aborting: Promise<void>) => this.#track(aborting);
    this.#loader = new DatasetLoader(host, snapshots);
    this.#saves = new RdbSaves(host, { snapshots, track });
    this.#aof = new AppendOnlyFile(host, {
      snapshots,
      saves: this.#saves,
      loader: this.#loader,
      track,
    });
  }

  /**
   * True while the dataset is being loaded. The keyspace knows it too (see
   * Keyspace.loading): keys created meanwhile are loaded keys, even those an AOF's
   * commands create.
   */
  get loading(): boolean {
    return this.#loader.loading;
  }

  set loading(on: boolean) {
    this.#loader.loading = on;
  }

  /**
   * The load clients are served during, if any (see TransferLoad): a full resync being
   * loaded as it arrives, or the start-up load.
   */
  get transferLoad(): TransferLoad | null {
    return this.#loader.transferLoad;
  }

  set transferLoad(load: TransferLoad | null) {
    this.#loader.transferLoad = load;
  }

  /** The AUX fields of the RDB file loaded at start-up (replication resumes from them). */
  get loadedAux(): ReadonlyMap<string, string> | null {
    return this.#loader.loadedAux;
  }

  set loadedAux(aux: ReadonlyMap<string, string> | null) {
    this.#loader.loadedAux = aux;
  }

  /** The keys the start-up load skipped as expired, as [db, key] (taken by replication). */
  get expiredAtLoad(): [number, string][] {
    return this.#loader.expiredAtLoad;
  }

  set expiredAtLoad(keys: [number, string][]) {
    this.#loader.expiredAtLoad = keys;
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
      this.#aof.openOnStart();
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
      // The total is known from the start, as Redis stats the file before it reads it.
      let total = 0;
      if (this.#config("appendonly") !== "yes") {
        try {
          total = Deno.statSync(rdbPath(this.#host.config)).size;
        } catch {
          // No file (nothing to load), or one the load will report on.
        }
      }
      this.transferLoad = { async: false, started: Date.now(), total, loaded: 0, usedMem: 0 };
    }
    try {
      if (this.#config("appendonly") === "yes") {
        await this.#aof.load(options.readOnly ?? false);
      } else {
        const early = options.rdbFile;
        const bytes = early === undefined ? null : await early.take();
        await this.#loader.loadRdbAtStart(
          early?.path === rdbPath(this.#host.config) ? bytes : null,
        );
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
    const begun = this.#beginShutdown(options);
    if (begun === null) return false;
    return !begun || this.#endShutdown(this.#saves.saveSync(), options);
  }

  /**
   * prepareShutdown for a signal: the same steps, but the final save is written in
   * slices, so that the process still hears a second SIGINT while it runs (Redis's
   * signal handler interrupts its blocking save). The caller holds clients back.
   */
  async prepareShutdownInSlices(options: ShutdownOptions = {}): Promise<boolean> {
    const begun = this.#beginShutdown(options);
    if (begun === null) return false;
    if (!begun) return true;
    this.#finalSave = true;
    try {
      // An aborted BGSAVE removes its temporary file, the name the final save writes.
      await Promise.all(this.#aborting);
      return this.#endShutdown(await this.#saves.saveInSlices(), options);
    } finally {
      this.#finalSave = false;
    }
  }

  // The steps before the final save; true when there is one to make, null when the
  // shutdown cannot go on.
  #beginShutdown(options: ShutdownOptions): boolean | null {
    const log = this.#host.log;
    log.warning("User requested shutdown...");
    this.shutdownPrepared = true;
    if (this.#saves.bgsave !== null) {
      log.warning("There is a child saving an .rdb. Killing it!");
      this.#saves.abortBgsave();
    }
    if (this.#aof.rewrite !== null) {
      // The AOF was just switched on: its first rewrite holds the only copy of the
      // dataset in it, so the server does not exit without it (unless FORCE).
      if (this.#aof.aofState === "wait_rewrite") {
        if (!options.force) {
          log.warning("Writing initial AOF, can't exit.");
          return this.#shutdownFailed();
        }
        log.warning("Writing initial AOF. Exit anyway.");
      }
      log.warning("There is a child rewriting the AOF. Killing it!");
      this.#aof.abortRewrite();
    }
    if (this.#aof.writer !== null) {
      log.notice("Calling fsync() on the AOF file.");
      this.#aof.writer.flushSync();
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
    return this.#shutdownFailed() ?? false;
  }

  // The shutdown is called off: Redis's last words on it.
  #shutdownFailed(): null {
    this.#host.log.warning(
      "Errors trying to shut down the server. Check the logs for more information.",
    );
    this.shutdownPrepared = false;
    return null;
  }

  /**
   * Stops the cron and background jobs and closes the AOF (the server is closing);
   * resolves once aborted jobs have removed their partial files.
   */
  async close(): Promise<void> {
    clearInterval(this.#cron);
    this.#cron = undefined;
    if (this.#saves.bgsave !== null) this.#saves.abortBgsave();
    if (this.#aof.rewrite !== null) this.#aof.abortRewrite();
    this.#aof.stopAof();
    await Promise.all(this.#aborting);
  }

  // ---------------------------------------------------------------------------
  // Commands

  /** SAVE: null on success, else the reason (already logged). */
  save(): string | null {
    if (this.#saves.bgsave !== null) return "in-progress";
    return this.#saves.saveSync();
  }

  /** BGSAVE [SCHEDULE]; `inExec` makes it scheduled like Redis does inside EXEC. */
  bgsave(schedule: boolean, inExec = false): BgsaveOutcome {
    if (this.#saves.bgsave !== null) return "in-progress";
    if (this.#aof.rewrite !== null || inExec) {
      if (schedule || inExec) {
        this.#saves.bgsaveScheduled = true;
        return "scheduled";
      }
      return "child-active";
    }
    return this.#saves.startBgsave() !== null ? "started" : "failed";
  }

  /** BGREWRITEAOF. */
  bgrewriteaof(inExec = false): RewriteOutcome {
    if (this.#aof.rewrite !== null) return "in-progress";
    if (this.#saves.bgsave !== null || inExec) {
      this.#aof.rewriteScheduled = true;
      return "scheduled";
    }
    return this.#aof.startRewrite() ? "started" : "failed";
  }

  /**
   * Why write commands (and PING) are refused right now, or null: after a failed
   * background save, while save rules exist and stop-writes-on-bgsave-error is yes.
   */
  writeRefusal(): string | null {
    if (this.#saves.lastBgsaveOk) return null;
    const config = this.#host.config;
    if (config.string("stop-writes-on-bgsave-error") !== "yes") return null;
    if (config.saveRules().length === 0) return null;
    return ERR_MISCONF;
  }

  /** LASTSAVE: Unix seconds of the last successful save. */
  lastSave(): number {
    return Math.floor(this.#saves.lastSave / 1000);
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
    if (options.save && this.#saves.saveSync() !== null) return "save";
    if (options.flush) this.#loader.emptyData();
    const name = this.#config("dbfilename");
    try {
      const bytes = readFileBytes(rdbPath(this.#host.config));
      if (options.merge) this.#loader.mergeRdb(bytes, name);
      else this.#loader.loadRdbBytes(bytes, name);
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
    const names = aofNames(this.#host.config);
    let found = true;
    try {
      found = readManifest(aofDir(this.#host.config), names) !== null ||
        exists(oldStyleAofPath(this.#host.config));
    } catch {
      // A bad manifest fails the load below, with its message.
    }
    if (!found) {
      return "there is no AOF to load";
    }
    host.beforeWrite?.(0, null);
    this.#aof.writer?.flushSync();
    this.#loader.emptyData();
    this.loading = true;
    try {
      await this.#aof.load(false);
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

  /** True while a BGSAVE or an AOF rewrite runs. */
  get busy(): boolean {
    return this.#saves.bgsave !== null || this.#aof.rewrite !== null;
  }

  /** Resolves when no background job is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy) {
      await (this.#saves.bgsave?.job.done ?? this.#aof.rewrite?.job.done)?.catch(() => {});
      await new Promise((r) => setTimeout(r, 0));
    }
  }

  /** The fields of INFO persistence, in Redis 7.0's order. */
  info(): [string, string | number][] {
    return persistenceInfo(this.#host.dirty, {
      loader: this.#loader,
      saves: this.#saves,
      aof: this.#aof,
    });
  }

  // ---------------------------------------------------------------------------
  // Full resyncs (replication)

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
    const running = this.#saves.startBgsave(options);
    if (running === null) return null;
    return {
      path: running.path,
      done: running.job.done,
      // No replica wants it any more (Redis kills the child): `done` then rejects.
      abort: () => {
        if (this.#saves.bgsave === running) this.#saves.abortBgsave();
      },
    };
  }

  /**
   * A full resync's payload, received from the master: replaces every key and library
   * (Redis's emptyData, then the load). Throws when the payload does not load; the
   * dataset is then empty. With a host that serves clients, they are served while it
   * loads (-LOADING to most commands), as at start-up.
   */
  loadReplicationPayload(bytes: Uint8Array): Promise<void> {
    return this.#loader.loadReplicationPayload(bytes);
  }

  /**
   * A full resync's payload loaded as it arrives (repl-diskless-load). Without `swap`
   * every key and library goes first and the new ones are loaded in their place; with
   * it they are loaded aside and replace the current ones only once the whole payload
   * has loaded, so a transfer that breaks off leaves the dataset as it was (swapdb).
   * Without `swap`, a failed or abandoned load leaves the dataset empty.
   */
  loadReplicationAsItArrives(swap: boolean, expected: number): ArrivingLoad {
    return this.#loader.loadReplicationAsItArrives(swap, expected);
  }

  /**
   * After a full resync, with the AOF on: the log is started again from a rewrite of
   * the new dataset (Redis's restartAOFAfterSYNC).
   */
  restartAofAfterSync(): void {
    this.#aof.restartAofAfterSync();
  }

  #config(name: string): string {
    return this.#host.config.string(name);
  }

  // Remembers an aborting job until it has cleaned up.
  #track(aborting: Promise<void>): void {
    this.#aborting.push(aborting);
    aborting.finally(() => {
      this.#aborting = this.#aborting.filter((p) => p !== aborting);
    });
  }

  // ---------------------------------------------------------------------------
  // Cron: scheduled jobs, save rules, automatic AOF rewrites.

  #tick(): void {
    if (this.loading || this.busy || this.#finalSave) return;
    const now = Date.now();
    if (this.#aof.rewriteScheduled) {
      if (this.#aof.rewriteBackingOff(now)) return;
      this.#aof.startRewrite();
      return;
    }
    if (this.#saves.bgsaveScheduled) {
      if (this.#saves.lastBgsaveOk || now - this.#saves.lastBgsaveTry > BGSAVE_RETRY_DELAY_MS) {
        this.#saves.bgsaveScheduled = false;
        this.#saves.startBgsave();
      }
      return;
    }
    const dirty = this.#host.dirty;
    const elapsed = Math.floor(now / 1000) - Math.floor(this.#saves.lastSave / 1000);
    for (const rule of this.#host.config.saveRules()) {
      if (
        dirty >= rule.changes && elapsed > rule.seconds &&
        (this.#saves.lastBgsaveOk || now - this.#saves.lastBgsaveTry > BGSAVE_RETRY_DELAY_MS)
      ) {
        this.#host.log.notice(`${rule.changes} changes in ${rule.seconds} seconds. Saving...`);
        this.#saves.startBgsave();
        return;
      }
    }
    if (this.#aof.aofState === "on") {
      const percent = this.#host.config.number("auto-aof-rewrite-percentage");
      const minSize = this.#host.config.number("auto-aof-rewrite-min-size");
      const size = this.#aof.currentSize();
      if (percent > 0 && size > minSize) {
        const base = this.#aof.rewriteBaseSize > 0 ? this.#aof.rewriteBaseSize : 1;
        const growth = Math.floor(size * 100 / base) - 100;
        if (growth >= percent && !this.#aof.rewriteBackingOff(now)) {
          this.#host.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
          this.#aof.startRewrite();
        }
      }
    }
  }
}
