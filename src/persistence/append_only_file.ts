// The append-only file as the server keeps it: loaded at start-up from the files its
// manifest names (an old-style single file is migrated first), opened for appending,
// switched on and off at run time (CONFIG SET appendonly), and rewritten in the
// background (BGREWRITEAOF and the automatic rewrites): a new base is written, then
// the manifest switches to it and the files it replaces are deleted. Keeps the
// figures INFO reports under aof_*.
//
// Switched on at run time, the log first writes to a temporary incr file and waits
// for a rewrite to write its base (wait_rewrite), as Redis does.

import { AofWriter, type FsyncPolicy } from "./aof.ts";
import { AofLoadError, replayAofFile, type ReplayTarget } from "./aof_loader.ts";
import {
  type AofManifest,
  type AofNames,
  copyManifest,
  emptyManifest,
  ManifestError,
  readManifest,
  syncDirectory,
  writeManifest,
} from "./aof_manifest.ts";
import { readFileBytes } from "./snapshot.ts";
import type { DatasetLoader } from "./dataset_loader.ts";
import type { PersistenceHost } from "./persistence_host.ts";
import type { RdbSaves } from "./rdb_saves.ts";
import {
  type BackgroundJob,
  functionCodes,
  guardOptions,
  type RunningJob,
  type SnapshotBackend,
} from "./snapshot_backend.ts";
import { aofDir, aofNames, dirPath, oldStyleAofPath } from "./file_paths.ts";
import { exists, inDir, removeQuietly } from "./files.ts";
import { mb, rate, seconds } from "./log_figures.ts";

/** off; on; switched on at run time and waiting for its first rewrite. */
export type AofState = "off" | "on" | "wait_rewrite";

/** An AOF rewrite being written: its temporary name and the base it becomes. */
export type RunningRewrite = RunningJob & { temp: string; base: string };

/** The append-only file, its rewrites, and their figures. */
export class AppendOnlyFile {
  /** Off, on, or switched on and waiting for its first rewrite. */
  aofState: AofState = "off";
  #writer: AofWriter | null = null;
  #manifest: AofManifest = emptyManifest();
  /** The rewrite running, if any. */
  rewrite: RunningRewrite | null = null;
  /** A rewrite waits for the running job to end (the cron starts it). */
  rewriteScheduled = false;
  lastRewriteSeconds = -1;
  lastRewriteOk = true;
  rewrites = 0;
  rewriteFailures = 0;
  #lastRewriteFailure = 0;
  aofWriteOk = true;
  /** The base file's size. */
  baseSize = 0;
  // Sizes of the incr files before the one open now.
  #closedIncrSize = 0;
  /** The size after the last rewrite (the automatic rewrite measures growth from it). */
  rewriteBaseSize = 0;
  #listener = (db: number, argv: string[], replicasOnly?: boolean) => {
    if (replicasOnly !== true) this.#writer!.feed(db, argv);
  };
  #host: PersistenceHost;
  #snapshots: SnapshotBackend;
  #track: (aborting: Promise<void>) => void;
  #saves: RdbSaves;
  #loader: DatasetLoader;

  /**
   * `saves`: a rewrite switched on at run time waits for a BGSAVE; `loader`: loads an
   * AOF's RDB base; `track`: remembers an aborting job until it has cleaned up.
   */
  constructor(
    host: PersistenceHost,
    parts: {
      snapshots: SnapshotBackend;
      saves: RdbSaves;
      loader: DatasetLoader;
      track(aborting: Promise<void>): void;
    },
  ) {
    this.#host = host;
    this.#snapshots = parts.snapshots;
    this.#saves = parts.saves;
    this.#loader = parts.loader;
    this.#track = parts.track;
    const config = host.config;
    config.onChange("appendonly", () => this.#appendonlyChanged());
    config.onChange("appendfsync", () => {
      this.#writer?.setPolicy(this.#fsyncPolicy());
      this.#installHooks();
    });
    config.onChange("aof-timestamp-enabled", () => {
      if (this.#writer !== null) this.#writer.timestamps = this.#timestamps();
    });
  }

  /** The writer appending to the current incr file (null while the AOF is off). */
  get writer(): AofWriter | null {
    return this.#writer;
  }

  #config(name: string): string {
    return this.#host.config.string(name);
  }

  #aofDir(): string {
    return aofDir(this.#host.config);
  }

  #names(): AofNames {
    return aofNames(this.#host.config);
  }

  #fsyncPolicy(): FsyncPolicy {
    return this.#config("appendfsync") as FsyncPolicy;
  }

  #timestamps(): boolean {
    return this.#config("aof-timestamp-enabled") === "yes";
  }

  /**
   * Loads the files the manifest names (migrating an old-style AOF first, unless
   * `readOnly`: see Persistence.load).
   */
  async load(readOnly: boolean): Promise<void> {
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
    const oldStyle = oldStyleAofPath(this.#host.config);
    // Where each file is read from (an old-style file stays in `dir` when read-only).
    const pathOf = (name: string) =>
      readOnly && name === names.prefix && !exists(inDir(dir, name)) ? oldStyle : inDir(dir, name);
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
        Deno.renameSync(oldStyle, inDir(dir, names.prefix));
        syncDirectory(dir);
        syncDirectory(dirPath(this.#host.config));
        log.notice(
          `Successfully migrated an old-style AOF file (${names.prefix}) into the AOF ` +
            `directory (${this.#config("appenddirname")}).`,
        );
      }
    } else if (
      !readOnly && manifest.base?.name === names.prefix && !exists(inDir(dir, names.prefix)) &&
      exists(oldStyle)
    ) {
      // An upgrade interrupted between the manifest and the move: finish it.
      Deno.renameSync(oldStyle, inDir(dir, names.prefix));
      syncDirectory(dir);
    }
    this.#manifest = manifest;
    const files = [
      ...(manifest.base !== null ? [manifest.base] : []),
      ...manifest.incrs,
    ];
    if (files.length === 0) return;
    for (const f of files) {
      try {
        Deno.statSync(pathOf(f.name));
      } catch (error) {
        // Redis's words, with the reason as strerror gives it.
        const reason = error instanceof Deno.errors.NotFound
          ? "No such file or directory"
          : (error as Error).message;
        throw new Error(`Unable to obtain the AOF file ${f.name} length. stat: ${reason}`);
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
        const summary = this.#loader.loadRdbBytes(bytes, f.name);
        this.#loader.logRdbLoaded(summary);
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
      if (f.type === "b") this.baseSize = size;
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

  /** AOF on at start-up: make sure there is a base and an incr file, open the incr. */
  openOnStart(): void {
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
      this.#snapshots.save(this.#host.keyspace, inDir(dir, name), {
        aofBase: true,
        preamble,
        timestamp: this.#timestamps(),
        tempName: names.tempRewrite(Deno.pid),
        functions: functionCodes(this.#host),
      });
      manifest.base = { name, seq, type: "b" };
      manifest.baseSeq = seq;
      this.baseSize = Deno.statSync(inDir(dir, name)).size;
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
    this.#writer.open(inDir(dir, incr.name));
    log.notice(
      `${created ? "Creating" : "Opening"} AOF incr file ${incr.name} on server start`,
    );
    if (manifest.history.length > 0) {
      this.#deleteHistory(manifest);
      changed = true;
    }
    if (changed) writeManifest(dir, names, manifest);
    this.aofState = "on";
    this.#attach();
    this.rewriteBaseSize = this.currentSize();
  }

  #newWriter(): AofWriter {
    const writer = this.#createWriter();
    writer.timestamps = this.#timestamps();
    return writer;
  }

  #createWriter(): AofWriter {
    return new AofWriter({
      fsync: this.#fsyncPolicy(),
      flushSleepMicros: () => this.#host.debug?.aofFlushSleepMicros ?? 0,
      onError: (error, during) => {
        this.aofWriteOk = false;
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
        this.aofWriteOk = true;
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
    this.#host.repliesWaitForDisk = false;
  }

  #installHooks(): void {
    const writer = this.#writer;
    if (writer === null || this.aofState === "off") {
      this.#host.beforeReplies = null;
      this.#host.repliesWaitForDisk = false;
      return;
    }
    this.#host.repliesWaitForDisk = writer.fsync === "always";
    this.#host.beforeReplies = writer.fsync === "always"
      ? () => writer.needsSync ? writer.sync() : undefined
      : () => writer.write();
  }

  #deleteHistory(manifest: AofManifest): void {
    const dir = this.#aofDir();
    for (const f of manifest.history) {
      try {
        Deno.removeSync(inDir(dir, f.name));
        this.#host.log.notice(`Removing the history file ${f.name}`);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          this.#host.log.warning(`Can't remove the history file ${f.name}: ${error}`);
        }
      }
    }
    manifest.history = [];
  }

  /** The base and incr files' sizes together. */
  currentSize(): number {
    return this.baseSize + this.#closedIncrSize + (this.#writer?.fileSize ?? 0);
  }

  /**
   * After a full resync, with the AOF on: the log is started again from a rewrite of
   * the new dataset (Redis's restartAOFAfterSYNC).
   */
  restartAofAfterSync(): void {
    if (this.aofState === "off") return;
    this.stopAof();
    const failure = this.#startAof();
    if (failure !== undefined) {
      this.#host.log.warning(
        `Failed enabling the AOF after successful master synchronization! ${failure}`,
      );
    }
  }

  /** Starts a rewrite: false when it could not start (logged). */
  startRewrite(): boolean {
    const log = this.#host.log;
    const dir = this.#aofDir();
    const names = this.#names();
    const started = Date.now();
    const preamble = this.#config("aof-use-rdb-preamble") === "yes";
    try {
      Deno.mkdirSync(dir, { recursive: true });
      if (this.aofState === "on") {
        // New writes go to a new incr file from now on; the manifest lists it at
        // once, so a crash during the rewrite still loads every write.
        const manifest = this.#manifest;
        const seq = manifest.incrSeq + 1;
        const name = names.incr(seq);
        this.#writer!.flushSync();
        const previous = this.#writer!.fileSize;
        this.#writer!.open(inDir(dir, name));
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
      job = this.#snapshots.saveInBackground(this.#host.keyspace, inDir(dir, base), {
        aofBase: true,
        preamble,
        timestamp: this.#timestamps(),
        tempName: temp,
        functions: functionCodes(this.#host),
        ...guardOptions(this.#host),
      });
    } catch (error) {
      log.warning(`Can't rewrite the AOF in background: ${(error as Error).message}`);
      this.#rewriteFailed();
      return false;
    }
    const running = { job, started, temp, base };
    this.rewrite = running;
    this.rewriteScheduled = false;
    log.notice("Background append only file rewriting started");
    job.done.then(() => {
      if (this.rewrite !== running) return;
      this.rewrite = null;
      try {
        this.#finishRewrite(running);
      } catch (error) {
        log.warning(`Background AOF rewrite failed at the switch: ${(error as Error).message}`);
        removeQuietly(inDir(dir, base));
        this.#rewriteFailed();
      }
    }, (error) => {
      if (this.rewrite !== running) return;
      this.rewrite = null;
      log.warning(
        `Background AOF rewrite terminated with error: ${(error as Error)?.message ?? error}`,
      );
      this.#rewriteFailed();
    });
    return true;
  }

  /** After failed rewrites, wait longer each time (up to a minute) before another. */
  rewriteBackingOff(now: number): boolean {
    if (this.rewriteFailures === 0) return false;
    const wait = Math.min(60_000, 1000 * 2 ** Math.min(this.rewriteFailures, 6));
    return now - this.#lastRewriteFailure < wait;
  }

  #rewriteFailed(): void {
    this.lastRewriteOk = false;
    this.rewriteFailures++;
    this.#lastRewriteFailure = Date.now();
    // AOF being switched on needs its first base: try again (the cron waits a while).
    if (this.aofState === "wait_rewrite") this.rewriteScheduled = true;
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
    if (this.aofState === "on") {
      // Every incr file but the one opened when the rewrite began is in the new base.
      const current = next.incrs.pop()!;
      for (const f of next.incrs) next.history.push({ ...f, type: "h" });
      next.incrs = [current];
    } else if (this.aofState === "wait_rewrite") {
      for (const f of next.incrs) next.history.push({ ...f, type: "h" });
      const incrSeq = next.incrSeq + 1;
      const incrName = names.incr(incrSeq);
      // The writer keeps its handle: the file it appends to just gets its real name.
      Deno.renameSync(inDir(dir, names.tempIncr), inDir(dir, incrName));
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
    if (this.aofState === "wait_rewrite") {
      this.aofState = "on";
      log.notice("AOF rewrite successful: the append only file is on");
    }
    this.#deleteHistory(next);
    writeManifest(dir, names, next);
    this.baseSize = Deno.statSync(inDir(dir, baseName)).size;
    this.#closedIncrSize = 0;
    this.lastRewriteOk = true;
    this.rewriteFailures = 0;
    this.rewrites++;
    this.lastRewriteSeconds = Math.round((Date.now() - running.started) / 1000);
    this.rewriteBaseSize = this.currentSize();
    log.notice("Background AOF rewrite finished successfully");
  }

  /** Stops the rewrite running, if any; its partial file is removed. */
  abortRewrite(): void {
    const running = this.rewrite;
    if (running === null) return;
    this.rewrite = null;
    this.#track(running.job.abort());
  }

  // CONFIG SET appendonly.
  #appendonlyChanged(): string | void {
    const wanted = this.#config("appendonly") === "yes";
    if (wanted && this.aofState === "off") return this.#startAof();
    if (!wanted && this.aofState !== "off") this.stopAof();
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
      const temp = inDir(dir, names.tempIncr);
      Deno.writeFileSync(temp, new Uint8Array(0));
      this.#writer.open(temp);
    } catch (error) {
      this.#host.log.warning(`Can't open the append only file: ${(error as Error).message}`);
      this.#writer = null;
      return "Can't open the append only file";
    }
    this.#closedIncrSize = 0;
    this.aofState = "wait_rewrite";
    this.#attach();
    if (this.rewrite !== null) this.abortRewrite();
    if (this.#saves.bgsave !== null) {
      this.rewriteScheduled = true;
      this.#host.log.notice(
        "AOF was enabled but there is already another background operation. An AOF " +
          "background was scheduled to start when possible.",
      );
    } else if (!this.startRewrite()) {
      this.stopAof();
      return "Can't start the AOF rewrite";
    }
  }

  /** Switches the AOF off (CONFIG SET appendonly no, the server closing). */
  stopAof(): void {
    if (this.aofState === "off" && this.#writer === null) return;
    this.#detach();
    if (this.rewrite !== null) this.abortRewrite();
    const waiting = this.aofState === "wait_rewrite";
    this.#writer?.closeSync();
    this.#writer = null;
    if (waiting) removeQuietly(inDir(this.#aofDir(), this.#names().tempIncr));
    this.aofState = "off";
    this.rewriteScheduled = false;
  }
}

// A base written with aof-use-rdb-preamble is an RDB file: it starts with REDIS.
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
