// Loading into the dataset: the RDB file at start-up (serving clients meanwhile, with
// INFO's loading figures), DEBUG RELOAD's loads, and a full resync's payload received
// from the master (whole, or loaded as it arrives). Keeps what the last load found
// (keys, expired keys, AUX fields) for INFO and replication.

import { Keyspace } from "../store/keyspace.ts";
import { type LoadSteps, readFileBytes } from "./snapshot.ts";
import { RdbError, rdbTypeName } from "./rdb_format.ts";
import { leadingAux } from "./rdb_reader.ts";
import type { FunctionsView, PersistenceHost } from "./persistence_host.ts";
import type { ArrivingLoad, LoadSummary, SnapshotBackend } from "./snapshot_backend.ts";
import { rdbPath } from "./file_paths.ts";
import { exists } from "./files.ts";
import { rate, seconds } from "./log_figures.ts";

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

/** Loads into the host's keyspace and libraries, and remembers what the last load found. */
export class DatasetLoader {
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
  /** Keys the last load brought in (INFO's rdb_last_load_keys_loaded). */
  loadedKeys = 0;
  /** Keys the last load skipped as expired (INFO's rdb_last_load_keys_expired). */
  loadedExpired = 0;
  #host: PersistenceHost;
  #snapshots: SnapshotBackend;

  constructor(host: PersistenceHost, snapshots: SnapshotBackend) {
    this.#host = host;
    this.#snapshots = snapshots;
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

  /** Every key of every database and every library go (Redis's emptyData). */
  emptyData(): void {
    this.#host.keyspace.flushAll();
    this.#host.functions?.restore([], "flush");
  }

  /** Loads an RDB file over the data in memory: keys and libraries in the file win. */
  mergeRdb(bytes: Uint8Array, name: string): void {
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
    this.loadedKeys = summary.keys;
    this.loadedExpired = summary.expired;
  }

  /** AOF off: the RDB file in `dir`, if there is one (`early`: its bytes, read ahead). */
  async loadRdbAtStart(early: Uint8Array | null): Promise<void> {
    const path = rdbPath(this.#host.config);
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
        this.#host.config.string("dbfilename"),
        this.#host.config.string("replicaof") === ""
          ? (db, key) => expired.push([db, key])
          : undefined,
      );
    } catch (error) {
      // Bad data (not a missing file or such): as Redis, the server stops.
      if (!((error as Error).cause instanceof RdbError)) throw error;
      this.#host.log.warning((error as Error).message);
      throw new Error("Terminating server after rdb file reading failure.");
    }
    const elapsed = performance.now() - started;
    this.logRdbLoaded(summary);
    this.#host.log.notice(
      `DB loaded from disk: ${seconds(elapsed)} seconds (${rate(bytes.length, elapsed)})`,
    );
  }

  // loadRdbBytes, serving clients (-LOADING to most commands, INFO's loading_*
  // figures) every loading-process-events-interval-bytes, as Redis does.
  async #loadRdbServing(
    bytes: Uint8Array,
    name: string,
    onExpired?: (db: number, key: string) => void,
  ): Promise<LoadSummary> {
    const host = this.#host;
    // Set by load() when the host serves clients meanwhile.
    const progress = this.transferLoad;
    if (progress === null) return this.loadRdbBytes(bytes, name, onExpired);
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

  /** Loads an RDB file's bytes (`name` for messages); throws when they do not load. */
  loadRdbBytes(
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
    this.loadedKeys = summary.keys;
    this.loadedExpired = summary.expired;
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

  /** Logs the summary of an RDB load, and each empty collection skipped (a corrupt file). */
  logRdbLoaded(summary: LoadSummary): void {
    const log = this.#host.log;
    for (const key of summary.emptyKeys) log.warning(`RDB loading skipping empty key: ${key}`);
    const empty = summary.emptyKeys.length;
    log.notice(
      `Done loading RDB, keys loaded: ${summary.keys}, keys expired: ${summary.expired}` +
        (empty > 0 ? `, empty keys skipped: ${empty}.` : "."),
    );
  }

  /**
   * A full resync's payload, received from the master: replaces every key and library
   * (Redis's emptyData, then the load). Throws when the payload does not load; the
   * dataset is then empty. With a host that serves clients, they are served while it
   * loads (-LOADING to most commands), as at start-up.
   */
  async loadReplicationPayload(bytes: Uint8Array): Promise<void> {
    const host = this.#host;
    this.emptyData();
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
      this.emptyData();
      throw error;
    } finally {
      this.loading = false;
      if (this.transferLoad === progress) this.transferLoad = null;
    }
    this.loadedKeys = summary.keys;
    this.loadedExpired = summary.expired;
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
      this.emptyData();
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
      this.emptyData();
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
        this.loadedKeys = summary.keys;
        this.loadedExpired = summary.expired;
        return summary;
      },
      abort: () => {
        load.abort();
        failed();
      },
    };
  }
}
