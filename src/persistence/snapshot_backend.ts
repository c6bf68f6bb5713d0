// Snapshots behind an interface (SnapshotBackend): what the persistence manager asks
// of the RDB module (writing RDB files and AOF bases, in the foreground or the
// background, and loading them), and the implementation on top of snapshot.ts, aof.ts
// and snapshot_stream.ts (defaultSnapshots).

import type { Keyspace } from "../store/keyspace.ts";
import {
  keyDelay,
  type LoadOptions,
  type LoadResult,
  loadSnapshotBytes,
  loadSnapshotInSteps,
  type LoadSteps,
  saveSnapshot,
  saveSnapshotSync,
  type SnapshotOptions,
  type WriteGuard,
} from "./snapshot.ts";
import { writeAofBase } from "./aof.ts";
import { syncDirectory } from "./aof_manifest.ts";
import type { ReplicationAux } from "./rdb_writer.ts";
import { SnapshotStream } from "./snapshot_stream.ts";
import { removeQuietly } from "./files.ts";
import { applyAccess, encodingLimits } from "./load_settings.ts";
import type { ConfigView, FunctionsView, PersistenceHost } from "./persistence_host.ts";

/** How a snapshot is written. */
export interface SaveOptions {
  /** The base of an AOF: the aof-base AUX field is 1. */
  aofBase: boolean;
  /** For an AOF base: an RDB (aof-use-rdb-preamble yes) or commands. */
  preamble: boolean;
  /** For an AOF base of commands: a timestamp annotation first (aof-timestamp-enabled). */
  timestamp?: boolean;
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

/** A background job the manager runs, and when it started (ms). */
export interface RunningJob {
  job: BackgroundJob;
  started: number;
}

/** The libraries as they are now (a snapshot's point-in-time view of them). */
export function functionCodes(host: PersistenceHost): string[] {
  return host.functions?.codes() ?? [];
}

/** GuardOptions that install the guard as the host's before-write hook. */
export function guardOptions(host: PersistenceHost): GuardOptions {
  return {
    installGuard: (guard: WriteGuard | null) => {
      host.beforeWrite = guard;
    },
  };
}

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
        writeAofBase(keyspace, temp, Date.now(), options.functions, options.timestamp);
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

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at < 0 ? "." : at === 0 ? "/" : path.slice(0, at);
}
