// Writing the RDB file: SAVE (in the foreground, or in slices for the final save of a
// signalled shutdown), BGSAVE and the snapshots for replicas (in the background), and
// the figures INFO reports about them (last save, its status and duration, count).

import type { PersistenceHost } from "./persistence_host.ts";
import type { ReplicationAux } from "./rdb_writer.ts";
import {
  type BackgroundJob,
  functionCodes,
  guardOptions,
  type RunningJob,
  type SnapshotBackend,
} from "./snapshot_backend.ts";
import { rdbPath } from "./file_paths.ts";
import { seconds } from "./log_figures.ts";

/** A snapshot for replicas (see Persistence.replicationSave). */
export interface ReplicationSaveOptions {
  replication: ReplicationAux;
  sink?: (chunk: Uint8Array) => Promise<void>;
  /** REPLCONF rdb-filter-only: no keys, and the libraries only with `functions`. */
  only?: { functions: boolean };
}

/** A BGSAVE (or a snapshot for replicas) being written. */
export type RunningBgsave = RunningJob & { dirtyAtStart: number; path: string };

/** The RDB file's saves, and their figures. */
export class RdbSaves {
  /** When the last successful save ended (ms). */
  lastSave = Date.now();
  /** When the last BGSAVE was tried (ms). */
  lastBgsaveTry = 0;
  lastBgsaveOk = true;
  lastBgsaveSeconds = -1;
  /** Saves attempted (INFO's rdb_saves). */
  rdbSaves = 0;
  /** The BGSAVE running, if any. */
  bgsave: RunningBgsave | null = null;
  /** A BGSAVE waits for the running job to end (the cron starts it). */
  bgsaveScheduled = false;
  #host: PersistenceHost;
  #snapshots: SnapshotBackend;
  #track: (aborting: Promise<void>) => void;

  /** `track`: remembers an aborting job until it has cleaned up. */
  constructor(
    host: PersistenceHost,
    jobs: { snapshots: SnapshotBackend; track(aborting: Promise<void>): void },
  ) {
    this.#host = host;
    this.#snapshots = jobs.snapshots;
    this.#track = jobs.track;
  }

  /** Writes the RDB file in the foreground: null on success, else why not (logged). */
  saveSync(): string | null {
    const path = rdbPath(this.#host.config);
    const started = performance.now();
    // Counted when attempted, as Redis counts rdb_saves.
    this.rdbSaves++;
    try {
      this.#snapshots.save(this.#host.keyspace, path, {
        replication: this.#host.replicationAux?.() ?? undefined,
        aofBase: false,
        preamble: true,
        functions: functionCodes(this.#host),
      });
    } catch (error) {
      this.#host.log.warning(`Failed saving the DB: ${(error as Error).message}`);
      return (error as Error).message;
    }
    this.#saved(started);
    return null;
  }

  /** saveSync written by the background writer, which yields between slices. */
  async saveInSlices(): Promise<string | null> {
    const path = rdbPath(this.#host.config);
    const started = performance.now();
    this.rdbSaves++;
    try {
      await this.#snapshots.saveInBackground(this.#host.keyspace, path, {
        replication: this.#host.replicationAux?.() ?? undefined,
        aofBase: false,
        preamble: true,
        functions: functionCodes(this.#host),
        ...guardOptions(this.#host),
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
    this.lastSave = Date.now();
    this.lastBgsaveOk = true;
    this.#host.log.notice(`DB saved on disk (${seconds(performance.now() - started)} seconds)`);
  }

  /**
   * Starts a BGSAVE, or with `replication` a snapshot for replicas; null when it could
   * not start (logged).
   */
  startBgsave(
    replication?: ReplicationSaveOptions,
  ): RunningBgsave | null {
    const path = rdbPath(this.#host.config);
    const dirtyAtStart = this.#host.dirty;
    const started = Date.now();
    this.lastBgsaveTry = started;
    const sink = replication?.sink;
    const only = replication?.only;
    let job: BackgroundJob;
    try {
      job = this.#snapshots.saveInBackground(this.#host.keyspace, path, {
        aofBase: false,
        preamble: true,
        functions: only === undefined || only.functions ? functionCodes(this.#host) : [],
        withoutKeys: only !== undefined,
        replication: replication?.replication ?? this.#host.replicationAux?.() ?? undefined,
        sink,
        ...guardOptions(this.#host),
      });
    } catch (error) {
      this.lastBgsaveOk = false;
      this.#host.log.warning(`Can't save in background: ${(error as Error).message}`);
      return null;
    }
    const running = { job, started, dirtyAtStart, path };
    this.bgsave = running;
    this.rdbSaves++;
    this.#host.log.notice(
      sink !== undefined
        ? "Starting BGSAVE for SYNC with target: replicas sockets"
        : "Background saving started",
    );
    // A transfer to sockets is not a save: the file and the save counters stay as they are.
    if (sink !== undefined) {
      job.done.then(() => {
        if (this.bgsave !== running) return;
        this.bgsave = null;
        this.#host.log.notice("Background RDB transfer terminated with success");
      }, (error) => {
        if (this.bgsave !== running) return;
        this.bgsave = null;
        this.#host.log.warning(`Background transfer error: ${(error as Error)?.message ?? error}`);
      });
      return running;
    }
    job.done.then(() => {
      if (this.bgsave !== running) return;
      this.bgsave = null;
      this.#host.dirty -= dirtyAtStart;
      this.lastSave = Date.now();
      this.lastBgsaveOk = true;
      this.lastBgsaveSeconds = Math.round((Date.now() - started) / 1000);
      this.#host.log.notice("Background saving terminated with success");
    }, (error) => {
      if (this.bgsave !== running) return;
      this.bgsave = null;
      this.lastBgsaveOk = false;
      this.lastBgsaveSeconds = Math.round((Date.now() - started) / 1000);
      this.#host.log.warning(`Background saving error: ${(error as Error)?.message ?? error}`);
    });
    return running;
  }

  /** Stops the BGSAVE running, if any; its partial file is removed. */
  abortBgsave(): void {
    const running = this.bgsave;
    if (running === null) return;
    this.bgsave = null;
    this.#track(running.job.abort());
  }
}
