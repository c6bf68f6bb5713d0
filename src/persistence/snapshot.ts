// Saving the keyspace to an RDB file and loading it back.
//
// A save writes `temp-<pid>.rdb` next to the target, fsyncs it, renames it over the
// target and fsyncs the directory, so a crash at any moment leaves either the old
// file or the new one, never a torn one.
//
// The background save (BGSAVE, AOF rewrites) keeps serving clients: it serializes in
// slices of a few milliseconds and yields to the event loop between them, writing
// with async file I/O. It still produces the keyspace exactly as it was when it
// started: the server calls a guard before every write command, and the guard
// serializes each key the command may change, as it is now, before the command runs
// (a key that does not exist yet is noted as absent, so a key created later is never
// saved). The slices skip keys the guard already handled. Commands that reach beyond
// their key arguments (FLUSHALL, SWAPDB, MOVE ...) first make the snapshot finish
// serializing everything, synchronously.

import type { Database, Keyspace } from "../store/keyspace.ts";
import type { StringTable } from "../store/string_table.ts";
import type { Value } from "../store/value.ts";
import { isEmptyValue } from "./codecs/mod.ts";
import { Crc64 } from "./crc64.ts";
import { ByteReader, ByteWriter } from "./rdb_format.ts";
import { type LoadedKey, type ReadOptions, readRdbFrom, type ReadSummary } from "./rdb_reader.ts";
import {
  type ReplicationAux,
  writeDbHeader,
  writeEntry,
  writeEof,
  writeFunction,
  writeHeader,
  type WriteOptions,
} from "./rdb_writer.ts";

export { RdbError } from "./rdb_format.ts";

/** How a snapshot is written. */
export interface SnapshotOptions {
  /** rdbcompression (default true). */
  compress?: boolean;
  /** rdbchecksum (default true); without it the checksum is written as 0. */
  checksum?: boolean;
  /** list-max-listpack-size (default -2). */
  listMaxListpackSize?: number;
  /** list-compress-depth (default 0). */
  listCompressDepth?: number;
  /** Marks the file as an AOF base (the aof-base AUX field). */
  aofBase?: boolean;
  /** The used-mem AUX field (default: this process's resident set size). */
  usedMemory?: number;
  /** The temporary file's name, in the target's directory (default temp-<pid>.rdb). */
  tempName?: string;
  /** fsync the file and the directory (default true; tests may turn it off). */
  fsync?: boolean;
  /**
   * The FUNCTION libraries' code (shebang included), written after the AUX fields and
   * before the first database, as Redis writes them (default none).
   */
  functions?: readonly string[];
  /**
   * rdb-key-save-delay: microseconds to wait after each key (tests of saving use it); a
   * negative -n waits one microsecond once in n keys, at random (default 0). A
   * background save waits between its slices, and only for a positive delay.
   */
  keySaveDelay?: number;
  /** The replication AUX fields (repl-id, repl-offset, repl-stream-db), when there are any. */
  replication?: ReplicationAux;
  /** No keys, only the AUX fields and `functions` (REPLCONF rdb-filter-only). */
  withoutKeys?: boolean;
}

/** What a finished save reports. */
export interface SnapshotResult {
  path: string;
  bytes: number;
  keys: number;
  durationMs: number;
}

/**
 * Called before every write command while a background save runs, with the keys the
 * command may change, or null when it reaches beyond its key arguments (FLUSHDB,
 * SWAPDB, MOVE ...): the snapshot then finishes before the command runs.
 */
export type WriteGuard = (db: number, keys: readonly string[] | null) => void;

/** What a background save needs from the server. */
export interface BackgroundOptions extends SnapshotOptions {
  /** Installs the guard (`server.beforeWrite = guard`), or removes it (null). */
  installGuard(guard: WriteGuard | null): void;
  /** Milliseconds of serializing between yields to the event loop (default 5). */
  sliceMs?: number;
  /**
   * Where the bytes go instead of a file (a diskless replication transfer): each chunk
   * is handed over in order, the next one once the promise settles. `path` is unused.
   */
  sink?: (chunk: Uint8Array) => Promise<void>;
}

const FLUSH_BYTES = 1 << 20;

function writeOptions(options: SnapshotOptions): WriteOptions {
  return {
    compress: options.compress ?? true,
    listMaxListpackSize: options.listMaxListpackSize ?? -2,
    listCompressDepth: options.listCompressDepth ?? 0,
  };
}

function usedMemory(options: SnapshotOptions): number {
  if (options.usedMemory !== undefined) return options.usedMemory;
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return 0;
  }
}

function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return { dir: ".", base: path };
  return { dir: slash === 0 ? "/" : path.slice(0, slash), base: path.slice(slash + 1) };
}

function tempPath(path: string, options: SnapshotOptions): string {
  const { dir } = splitPath(path);
  return `${dir}/${options.tempName ?? `temp-${Deno.pid}.rdb`}`;
}

function syncDirectory(path: string): void {
  const dir = Deno.openSync(splitPath(path).dir, { read: true });
  try {
    dir.syncSync();
  } finally {
    dir.close();
  }
}

async function syncDirectoryAsync(path: string): Promise<void> {
  const dir = await Deno.open(splitPath(path).dir, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

function writeAllSync(file: Deno.FsFile, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += file.writeSync(chunk.subarray(off));
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += await file.write(chunk.subarray(off));
}

// Writes one key unless it has expired (at snapshot time) or is empty; true if written.
function writeKey(
  w: ByteWriter,
  db: Database,
  key: string,
  value: Value,
  options: WriteOptions,
): boolean {
  // A key whose time ran out but that is still there is written too, as Redis writes
  // it: a master loading the file skips it, a replica keeps it for its master's DEL.
  const expireAt = db.expires.size !== 0 ? db.getExpireExact(key) : undefined;
  if (isEmptyValue(value)) return false;
  writeEntry(w, key, value, expireAt, options);
  return true;
}

/**
 * The pause after each key of a synchronous save or load (rdb-key-save-delay,
 * key-load-delay): `micros` microseconds, or for a negative -n one microsecond once in
 * n keys, at random. Undefined for 0.
 */
export function keyDelay(micros: number): (() => void) | undefined {
  if (micros === 0) return undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  // The work is synchronous: Atomics.wait is the way to sleep without spinning.
  const pause = (us: number) => Atomics.wait(cell, 0, 0, us / 1000);
  return micros > 0 ? () => pause(micros) : () => {
    if (Math.floor(Math.random() * -micros) === 0) pause(1);
  };
}

function trailer(crc: Crc64, checksum: boolean): Uint8Array {
  return checksum ? crc.bytesLE() : new Uint8Array(8);
}

/**
 * Saves the whole keyspace now, synchronously (SAVE, SHUTDOWN): temp file, fsync,
 * rename over `path`, fsync the directory. On failure the temp file is removed and
 * `path` is untouched; the error is rethrown.
 */
export function saveSnapshotSync(
  keyspace: Keyspace,
  path: string,
  options: SnapshotOptions = {},
): SnapshotResult {
  const started = performance.now();
  const now = Date.now();
  const wopts = writeOptions(options);
  const temp = tempPath(path, options);
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
  let bytes = 0;
  let keys = 0;
  const delay = keyDelay(options.keySaveDelay ?? 0);
  try {
    const crc = new Crc64();
    const w = new ByteWriter(FLUSH_BYTES + 65536);
    const flush = () => {
      const chunk = w.take();
      crc.update(chunk);
      writeAllSync(file, chunk);
      bytes += chunk.length;
    };
    writeHeader(w, {
      ctime: now / 1000,
      usedMem: usedMemory(options),
      aofBase: !!options.aofBase,
      replication: options.replication,
    });
    for (const code of options.functions ?? []) writeFunction(w, code, wopts.compress);
    for (const db of keyspace.databases) {
      if (db.size === 0) continue;
      writeDbHeader(w, db.id, db.size, db.expires.size);
      for (const [key, value] of db.data) {
        if (writeKey(w, db, key, value, wopts)) keys++;
        if (w.pos >= FLUSH_BYTES) flush();
        delay?.();
      }
    }
    writeEof(w);
    flush();
    const tail = trailer(crc, options.checksum ?? true);
    writeAllSync(file, tail);
    bytes += tail.length;
    if (options.fsync ?? true) file.syncSync();
    file.close();
  } catch (error) {
    try {
      file.close();
    } catch {
      // Already closed.
    }
    try {
      Deno.removeSync(temp);
    } catch {
      // Nothing to remove.
    }
    throw error;
  }
  Deno.renameSync(temp, path);
  if (options.fsync ?? true) syncDirectory(path);
  return { path, bytes, keys, durationMs: performance.now() - started };
}

/** A background save in progress. */
export interface BackgroundSave {
  /** Settles when the file is in place (or the save failed or was aborted). */
  readonly done: Promise<SnapshotResult>;
  /** Serializes everything still pending now (the file is still written in the background). */
  finishNow(): void;
  /** Stops the save, removes the temp file, leaves `path` untouched; `done` rejects. */
  abort(): Promise<void>;
  /** Keys serialized so far. */
  readonly keys: number;
}

/** Raised by `done` when a background save was aborted. */
export class SnapshotAborted extends Error {
  constructor() {
    super("background save aborted");
    this.name = "SnapshotAborted";
  }
}

/**
 * Starts a background save of the keyspace as it is right now (BGSAVE, AOF
 * rewrites). Installs the write guard through `options.installGuard` and removes it
 * when the snapshot is fully serialized.
 */
export function saveSnapshot(
  keyspace: Keyspace,
  path: string,
  options: BackgroundOptions,
): BackgroundSave {
  return new BackgroundSaver(keyspace, path, options);
}

class BackgroundSaver implements BackgroundSave {
  readonly done: Promise<SnapshotResult>;
  keys = 0;
  readonly #options: BackgroundOptions;
  readonly #wopts: WriteOptions;
  readonly #path: string;
  readonly #temp: string;
  readonly #now = Date.now();
  readonly #started = performance.now();
  readonly #databases: Database[];
  readonly #sizes: { keys: number; expires: number }[];
  // Per database, as the save started: its table, the table's generation and its
  // entries' high-water mark (0 when the database was empty, or once it is done). The
  // walk visits the entries below that mark in place: an entry stays where it is while
  // its key lives, so every key of the start is reached once unless a write deleted it
  // first, and then the guard kept it.
  readonly #tables: StringTable<Value>[];
  readonly #generations: number[];
  readonly #limits: number[];
  // Per database: what the guard kept before a write: the key's bytes as they were, or
  // null for nothing to write (the key did not exist, or the walk has written it).
  // Bytes are written when the walk reaches the key, or at the end of the database
  // when the walk does not reach it (the key was deleted).
  readonly #before: (Map<string, Uint8Array | null> | null)[];
  #current = -1;
  #next = 0;
  // rdb-key-save-delay (microseconds per key, positive only), and what the keys of the
  // last slice owe: the pause before the next one.
  readonly #keyDelay: number;
  #owed = 0;
  #w = new ByteWriter(FLUSH_BYTES + 65536);
  readonly #crc = new Crc64();
  readonly #queue: Uint8Array[] = [];
  #serialized = false;
  #aborted = false;
  #guardInstalled = false;
  #wake: (() => void) | null = null;

  constructor(keyspace: Keyspace, path: string, options: BackgroundOptions) {
    this.#options = options;
    this.#wopts = writeOptions(options);
    this.#keyDelay = Math.max(0, options.keySaveDelay ?? 0);
    this.#path = path;
    this.#temp = tempPath(path, options);
    this.#databases = keyspace.databases.slice();
    this.#sizes = this.#databases.map((db) => ({ keys: db.size, expires: db.expires.size }));
    this.#tables = this.#databases.map((db) => db.data);
    this.#generations = this.#tables.map((table) => table.generation);
    this.#limits = this.#databases.map((db) =>
      db.size === 0 || options.withoutKeys ? 0 : db.data.entryLimit
    );
    this.#before = this.#databases.map(() => null);
    writeHeader(this.#w, {
      ctime: this.#now / 1000,
      usedMem: usedMemory(options),
      aofBase: !!options.aofBase,
      replication: options.replication,
    });
    // Library code is immutable: the point-in-time view is the list as it is now.
    for (const code of options.functions ?? []) {
      writeFunction(this.#w, code, this.#wopts.compress);
    }
    options.installGuard(this.#guard);
    this.#guardInstalled = true;
    this.done = this.#run();
    // An unobserved rejection should not crash the process; callers await `done`.
    this.done.catch(() => {});
  }

  finishNow(): void {
    if (this.#serialized || this.#aborted) return;
    this.#step(Infinity, false);
  }

  async abort(): Promise<void> {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#uninstall();
    this.#wake?.();
    try {
      await this.done;
    } catch {
      // Expected: SnapshotAborted.
    }
  }

  readonly #guard: WriteGuard = (dbId, keys) => {
    if (this.#serialized || this.#aborted) return;
    if (keys === null) {
      this.finishNow();
      return;
    }
    for (const key of keys) this.#preserve(dbId, key);
  };

  // Before `key` in database `dbId` changes: keep it as it is, unless the walk is past
  // it or it was kept already.
  #preserve(dbId: number, key: string): void {
    if (this.#limits[dbId] === 0 || dbId < this.#current) return;
    let before = this.#before[dbId];
    if (before === null) before = this.#before[dbId] = new Map();
    if (before.has(key)) return;
    const db = this.#databases[dbId];
    const entry = db.data.entryOf(key);
    if (entry < 0) {
      before.set(key, null);
      return;
    }
    // A key with nothing kept has lived in its entry since the start (a key added
    // since went through the guard), so an entry behind the walk has been written.
    if (dbId === this.#current && entry < this.#next && this.#walking(dbId)) {
      before.set(key, null);
      return;
    }
    const w = new ByteWriter(256);
    before.set(
      key,
      writeKey(w, db, key, db.data.valueAt(entry), this.#wopts) ? w.buf.slice(0, w.pos) : null,
    );
  }

  // Whether database `dbId`'s entries are still those the walk started on.
  #walking(dbId: number): boolean {
    const table = this.#tables[dbId];
    return this.#databases[dbId].data === table && table.generation === this.#generations[dbId];
  }

  // The end of database `dbId`'s walk: what the guard kept of keys deleted since.
  #finishDatabase(dbId: number): void {
    const before = this.#before[dbId];
    if (before !== null) {
      for (const kept of before.values()) {
        if (kept !== null) {
          this.#w.bytes(kept);
          this.keys++;
        }
      }
    }
    this.#before[dbId] = null;
    this.#limits[dbId] = 0;
  }

  // Serializes until `deadline` (performance.now() ms) or the end; `paced`: also until
  // the keys written owe rdb-key-save-delay's pause.
  #step(deadline: number, paced = true): void {
    const delay = paced ? this.#keyDelay : 0;
    const w = this.#w;
    while (!this.#serialized) {
      if (this.#current < 0 || this.#limits[this.#current] === 0) {
        let next = this.#current + 1;
        while (next < this.#databases.length && this.#limits[next] === 0) next++;
        this.#current = next;
        if (next >= this.#databases.length) {
          writeEof(w);
          this.#serialized = true;
          this.#flush();
          this.#uninstall();
          break;
        }
        writeDbHeader(w, next, this.#sizes[next].keys, this.#sizes[next].expires);
        this.#next = 0;
      }
      const id = this.#current;
      const db = this.#databases[id];
      const table = this.#tables[id];
      const limit = this.#walking(id) ? this.#limits[id] : this.#next;
      const before = this.#before[id];
      // With a key delay, a slice takes about a millisecond's worth of keys.
      const slice = delay > 0 ? Math.max(1, Math.floor(1000 / delay)) : 64;
      const end = Math.min(limit, this.#next + slice);
      let written = 0;
      let entry = this.#next;
      // A slice ends early once it has written FLUSH_BYTES (large values).
      for (; entry < end && w.pos < FLUSH_BYTES; entry++) {
        const key = table.keyAt(entry);
        if (key === undefined) continue;
        written++;
        if (before !== null) {
          const kept = before.get(key);
          if (kept !== undefined) {
            if (kept !== null) {
              w.bytes(kept);
              this.keys++;
              before.set(key, null);
            }
            continue;
          }
        }
        if (writeKey(w, db, key, table.valueAt(entry), this.#wopts)) this.keys++;
      }
      this.#owed += written * delay;
      this.#next = entry;
      if (entry === limit) this.#finishDatabase(id);
      if (w.pos >= FLUSH_BYTES) this.#flush();
      if (performance.now() >= deadline || this.#owed > 0) break;
    }
  }

  #flush(): void {
    if (this.#w.pos === 0) return;
    const chunk = this.#w.take();
    this.#crc.update(chunk);
    this.#queue.push(chunk);
    this.#wake?.();
  }

  #uninstall(): void {
    if (!this.#guardInstalled) return;
    this.#guardInstalled = false;
    this.#options.installGuard(null);
  }

  async #run(): Promise<SnapshotResult> {
    const sliceMs = this.#options.sliceMs ?? 5;
    const fsync = this.#options.fsync ?? true;
    let file: Deno.FsFile | null = null;
    let bytes = 0;
    const sink = this.#options.sink;
    try {
      if (sink === undefined) {
        file = await Deno.open(this.#temp, { write: true, create: true, truncate: true });
      }
      const write = sink ?? ((chunk: Uint8Array) => writeAll(file!, chunk));
      while (true) {
        if (this.#aborted) throw new SnapshotAborted();
        if (!this.#serialized) this.#step(performance.now() + sliceMs);
        while (this.#queue.length > 0) {
          const chunk = this.#queue.shift()!;
          await write(chunk);
          bytes += chunk.length;
          if (this.#aborted) throw new SnapshotAborted();
        }
        if (this.#serialized) break;
        // Let clients in before the next slice, after the keys' delay if any.
        const pause = this.#owed / 1000;
        this.#owed = 0;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, pause);
        });
        this.#wake = null;
      }
      const tail = trailer(this.#crc, this.#options.checksum ?? true);
      await write(tail);
      bytes += tail.length;
      if (file === null) {
        return { path: "", bytes, keys: this.keys, durationMs: performance.now() - this.#started };
      }
      if (fsync) await file.sync();
      file.close();
      file = null;
      if (this.#aborted) throw new SnapshotAborted();
      await Deno.rename(this.#temp, this.#path);
      if (fsync) await syncDirectoryAsync(this.#path);
      return {
        path: this.#path,
        bytes,
        keys: this.keys,
        durationMs: performance.now() - this.#started,
      };
    } catch (error) {
      this.#uninstall();
      this.#aborted = true;
      try {
        file?.close();
      } catch {
        // Already closed.
      }
      if (sink === undefined) {
        try {
          await Deno.remove(this.#temp);
        } catch {
          // Nothing to remove.
        }
      }
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------
// Loading

/** How a snapshot is loaded. */
export interface LoadOptions extends ReadOptions {
  /** Called for keys carrying IDLE or FREQ (OBJECT IDLETIME / FREQ on load). */
  onAccessInfo?(db: Database, key: string, idleSeconds?: number, frequency?: number): void;
  /** Called after each key is loaded (key-load-delay). */
  afterKey?(): void;
}

/** What loading found, plus timing. */
export interface LoadResult extends ReadSummary {
  durationMs: number;
}

/**
 * Loads RDB bytes into the keyspace (keys are added; an existing key is a duplicate
 * and an error). Throws RdbError naming the byte offset on bad data, and when the
 * file uses more databases than the keyspace has.
 */
export function loadSnapshotBytes(
  keyspace: Keyspace,
  bytes: Uint8Array,
  options: LoadOptions = {},
): LoadResult {
  const load = loadFrom(keyspace, new ByteReader(bytes), options, Infinity);
  let step = load.next();
  while (!step.done) step = load.next();
  return step.value;
}

/** When a load in steps pauses, and what it awaits then. */
export interface LoadSteps {
  /** Pause after the key that takes the read this many bytes past the last pause. */
  every: number;
  /** Called at each pause with the bytes read so far; the load goes on once it resolves. */
  pause(loaded: number): Promise<void>;
}

/**
 * loadSnapshotBytes, pausing every `steps.every` bytes, so that the server can answer
 * its clients meanwhile (a start-up load, like Redis's, serves them -LOADING).
 */
export async function loadSnapshotInSteps(
  keyspace: Keyspace,
  bytes: Uint8Array,
  options: LoadOptions,
  steps: LoadSteps,
): Promise<LoadResult> {
  const load = loadFrom(keyspace, new ByteReader(bytes), options, steps.every);
  try {
    let step = load.next();
    while (!step.done) {
      await steps.pause(step.value);
      step = load.next();
    }
    return step.value;
  } finally {
    // A pause that threw leaves the load suspended: its own `finally` runs now.
    load.return(undefined as unknown as LoadResult);
  }
}

/**
 * The load, yielding the bytes read so far every `every` bytes, and MORE_BYTES when an
 * open reader has run out (see readRdbFrom). The keyspace counts as loading until the
 * load ends, or is abandoned with `return()`.
 */
export function* loadFrom(
  keyspace: Keyspace,
  reader: ByteReader,
  options: LoadOptions,
  every: number,
): Generator<number, LoadResult> {
  const started = performance.now();
  const loading = keyspace.loading;
  keyspace.loading = true;
  try {
    const summary = yield* readRdbFrom(reader, keyAdder(keyspace, options), {
      ...options,
      databases: keyspace.databases.length,
      onSizeHint: (db, keys) => keyspace.databases[db].reserve(keys),
    }, every);
    return { ...summary, durationMs: performance.now() - started };
  } finally {
    keyspace.loading = loading;
  }
}

// Adds each key read to its database (false: it is there already, a corrupt file).
function keyAdder(keyspace: Keyspace, options: LoadOptions): (entry: LoadedKey) => boolean {
  const databases = keyspace.databases;
  const afterKey = options.afterKey;
  return (entry: LoadedKey) => {
    const db = databases[entry.db];
    if (!db.add(entry.key, entry.value)) return false;
    if (entry.expireAt !== undefined) db.setExpire(entry.key, entry.expireAt);
    if (entry.idleSeconds !== undefined || entry.frequency !== undefined) {
      options.onAccessInfo?.(db, entry.key, entry.idleSeconds, entry.frequency);
    }
    if (afterKey !== undefined) afterKey();
    return true;
  };
}

/**
 * A whole file, read into a buffer of its size (Deno.readFileSync grows its buffer as
 * it reads: a third of a large load's time went there).
 */
export function readFileBytes(path: string): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    let bytes = new Uint8Array(file.statSync().size);
    let filled = 0;
    while (true) {
      if (filled === bytes.length) {
        // As long as the file was: anything more was written since.
        const more = new Uint8Array(65536);
        const n = file.readSync(more);
        if (n === null) return bytes;
        const grown = new Uint8Array(Math.max(2 * filled, filled + n + more.length));
        grown.set(bytes);
        grown.set(more.subarray(0, n), filled);
        bytes = grown;
        filled += n;
        continue;
      }
      const n = file.readSync(bytes.subarray(filled));
      if (n === null) return bytes.subarray(0, filled);
      filled += n;
    }
  } finally {
    file.close();
  }
}

/**
 * Loads an RDB file into the keyspace; null when the file does not exist (a first
 * start). See `loadSnapshotBytes` for errors.
 */
export function loadSnapshot(
  keyspace: Keyspace,
  path: string,
  options: LoadOptions = {},
): LoadResult | null {
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return loadSnapshotBytes(keyspace, bytes, options);
}
