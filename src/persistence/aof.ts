// The append-only log writer: every propagated write, as a RESP multibulk, appended to
// the current incremental file, with a SELECT whenever the database changes, and
// flushed to disk by the appendfsync policy:
//
// - always: the connection waits for `sync()` before it sends the replies of a batch;
//   every client waiting at the same time shares one fsync (group commit);
// - everysec: the bytes reach the OS before the replies go out, and a background fsync
//   runs once a second;
// - no: the bytes reach the OS before the replies go out; the OS decides when they
//   reach the disk.
//
// Writing to the OS before replying means a killed process never loses a write it
// acknowledged, whatever the policy (as in Redis, which writes in beforeSleep).
//
// With aof-timestamp-enabled, a `#TS:<unix seconds>` line goes before the first
// command of each new second (and first in a rewritten base), which
// `redis-check-aof --truncate-to-timestamp` cuts by; loading skips such lines.

import { ReplyWriter } from "../protocol/reply_writer.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import { codecOf } from "./codecs/mod.ts";
import { sleepSync } from "../util/sleep_sync.ts";

/** The appendfsync policies. */
export type FsyncPolicy = "always" | "everysec" | "no";

/** Appends a command as a RESP multibulk to a buffer. */
export function encodeCommand(out: ReplyWriter, argv: readonly string[]): void {
  out.arrayLen(argv.length);
  for (const arg of argv) out.bulk(arg);
}

/** What the writer reports to its owner. */
export interface AofWriterOptions {
  fsync: FsyncPolicy;
  /** A write or fsync failed (the writer keeps the bytes and tries again later). */
  onError(error: Error, during: "write" | "fsync"): void;
  /** Writing works again after a failure. */
  onRecovered?(): void;
  /** Microseconds to block before each write (DEBUG AOF-FLUSH-SLEEP); none by default. */
  flushSleepMicros?(): number;
}

/** A timestamp annotation line: `#TS:<unix seconds>` and CRLF. */
function timestampLine(second: number): Uint8Array {
  const text = `#TS:${second}\r\n`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Appends commands to one open incremental file at a time. */
export class AofWriter {
  fsync: FsyncPolicy;
  /** Bytes written to the current file (its size, counting what it had when opened). */
  fileSize = 0;
  /** The last write or fsync failed. */
  failed = false;
  #options: AofWriterOptions;
  #file: Deno.FsFile | null = null;
  #buffer = new ReplyWriter();
  #selectedDb = -1;
  /** aof-timestamp-enabled: annotate each new second. */
  timestamps = false;
  // The second of the last annotation written (0: none yet).
  #stampedSecond = 0;
  // Bytes handed to the OS and bytes known to be on disk, counted since creation.
  #written = 0;
  #durable = 0;
  #syncing: Promise<void> | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: AofWriterOptions) {
    this.#options = options;
    this.fsync = options.fsync;
  }

  /** Bytes fed but not yet handed to the OS. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** True when some fed bytes are not known to be on disk yet. */
  get needsSync(): boolean {
    return this.#buffer.length > 0 || this.#durable < this.#written;
  }

  /** True while a file is open. */
  get isOpen(): boolean {
    return this.#file !== null;
  }

  /**
   * Opens `path` for appending (created if missing) and makes it the file new writes
   * go to. The previous file, if any, is written out, flushed to disk and closed.
   * The next command is preceded by a SELECT, as in a new Redis incr file.
   */
  open(path: string): void {
    this.closeSync();
    const file = Deno.openSync(path, { append: true, create: true });
    this.#file = file;
    this.fileSize = file.statSync().size;
    this.#selectedDb = -1;
    if (this.fsync === "everysec") this.#startTimer();
  }

  /** Appends one command; `db` -1 means "whatever database is selected" (EXEC). */
  feed(db: number, argv: readonly string[]): void {
    const out = this.#buffer;
    if (this.timestamps) {
      const second = Math.floor(Date.now() / 1000);
      if (second > this.#stampedSecond) {
        out.raw(timestampLine(second));
        this.#stampedSecond = second;
      }
    }
    if (db !== -1 && db !== this.#selectedDb) {
      const name = String(db);
      out.arrayLen(2);
      out.bulk("SELECT");
      out.bulk(name);
      this.#selectedDb = db;
    }
    encodeCommand(out, argv);
  }

  /** Hands every pending byte to the OS (a synchronous write, like Redis's write(2)). */
  write(): void {
    const file = this.#file;
    if (file === null || this.#buffer.length === 0) return;
    const sleep = this.#options.flushSleepMicros?.() ?? 0;
    if (sleep > 0) sleepSync(sleep / 1000);
    const chunk = this.#buffer.take();
    let offset = 0;
    try {
      while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
    } catch (error) {
      // Keep what did not make it, ahead of anything fed since.
      const rest = chunk.slice(offset);
      const later = this.#buffer.take();
      this.#buffer.release(chunk);
      this.#buffer.raw(rest);
      this.#buffer.raw(later);
      this.fileSize += offset;
      this.#written += offset;
      this.#fail(error as Error, "write");
      return;
    }
    this.#buffer.release(chunk);
    this.fileSize += chunk.length;
    this.#written += chunk.length;
    if (this.failed) this.#recover();
  }

  /**
   * Resolves once everything fed so far is on disk (appendfsync always). Callers that
   * arrive while an fsync runs wait for the next one, which covers all of them.
   */
  async sync(): Promise<void> {
    this.write();
    const target = this.#written;
    while (this.#durable < target && this.#file !== null) {
      if (this.#syncing === null) this.#syncing = this.#fsyncOnce();
      await this.#syncing;
      if (this.failed) return;
    }
  }

  #fsyncOnce(): Promise<void> {
    const file = this.#file!;
    const upTo = this.#written;
    return file.syncData().then(() => {
      this.#durable = Math.max(this.#durable, upTo);
      if (this.failed) this.#recover();
    }, (error) => {
      // A file switched or closed meanwhile was flushed synchronously when it was.
      if (file === this.#file) this.#fail(error as Error, "fsync");
    }).finally(() => {
      this.#syncing = null;
    });
  }

  /** Writes and flushes to disk synchronously (shutdown, switching files). */
  flushSync(): void {
    this.write();
    if (this.#file === null) return;
    try {
      this.#file.syncDataSync();
      this.#durable = this.#written;
    } catch (error) {
      this.#fail(error as Error, "fsync");
    }
  }

  /** Writes, flushes and closes the current file. */
  closeSync(): void {
    if (this.#file === null) return;
    this.flushSync();
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
    this.#file = null;
  }

  /** Changes the policy of an open writer (CONFIG SET appendfsync). */
  setPolicy(policy: FsyncPolicy): void {
    this.fsync = policy;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (policy === "everysec" && this.#file !== null) this.#startTimer();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.write();
      if (this.#durable < this.#written && this.#syncing === null && this.#file !== null) {
        this.#syncing = this.#fsyncOnce();
      }
    }, 1000);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  #fail(error: Error, during: "write" | "fsync"): void {
    const first = !this.failed;
    this.failed = true;
    if (first) this.#options.onError(error, during);
  }

  #recover(): void {
    this.failed = false;
    this.#options.onRecovered?.();
  }
}

/**
 * The commands that rebuild one key, as Redis's AOF rewrite writes them: its type's
 * form (SET, RPUSH, SADD, ZADD or HMSET, 64 elements a command; see codecs/), then
 * PEXPIREAT when it has a TTL.
 */
export function* keyCommands(
  key: string,
  value: Value,
  expireAt: number | bigint | undefined,
): Generator<string[]> {
  yield* codecOf(value).rewrite(key, value);
  if (expireAt !== undefined) yield ["PEXPIREAT", key, String(expireAt)];
}

/**
 * Writes the whole dataset as commands to `path` (an AOF base when
 * aof-use-rdb-preamble is no): first a FUNCTION LOAD for each library in `functions`
 * (their code, shebang included), as Redis 7.0 starts its rewrites, then a SELECT
 * before each non-empty database, keys whose time has run out left out; with
 * `timestamp`, a timestamp annotation first. The file is flushed to disk before this
 * returns.
 */
export function writeAofBase(
  keyspace: Keyspace,
  path: string,
  now = Date.now(),
  functions: readonly string[] = [],
  timestamp = false,
): void {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    const out = new ReplyWriter();
    const flush = () => {
      const chunk = out.take();
      let offset = 0;
      while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
      out.release(chunk);
    };
    if (timestamp) out.raw(timestampLine(Math.floor(now / 1000)));
    for (const code of functions) {
      encodeCommand(out, ["FUNCTION", "LOAD", code]);
      if (out.length > 1 << 20) flush();
    }
    for (const db of keyspace.databases) {
      if (db.size === 0) continue;
      encodeCommand(out, ["SELECT", String(db.id)]);
      for (const [key, value] of db.data) {
        const at = db.getExpireExact(key);
        if (at !== undefined && Number(at) <= now) continue;
        for (const argv of keyCommands(key, value, at)) {
          encodeCommand(out, argv);
          if (out.length > 1 << 20) flush();
        }
      }
    }
    flush();
    file.syncSync();
  } finally {
    file.close();
  }
}
