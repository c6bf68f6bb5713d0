// Replays AOF files: reads a file through the request decoder (in its AOF mode), a
// megabyte at a time, and hands each command to the server's command table, tracking
// SELECT and running MULTI ... EXEC blocks only once their EXEC is read.
//
// Two kinds of damage are told apart, as Redis does: a file that ends in the middle of
// a command (or of a MULTI block) was cut short by a crash, and may be truncated after
// its last complete command when it is the last file and aof-load-truncated is yes; a
// file that does not follow the format is corrupt, and start-up stops with a message
// naming the byte offset.

import { MAX_ARGUMENT_LENGTH, ProtocolError, RequestDecoder } from "../protocol/decoder.ts";
import { parseInteger } from "../util/int64.ts";

/** Runs the commands read from a file. */
export interface ReplayTarget {
  /** Number of databases (SELECT beyond it is corruption). */
  readonly databases: number;
  /**
   * Runs one command against database `db`; returns null, or an error text when the
   * command does not exist or has the wrong number of arguments (loading stops).
   */
  run(db: number, argv: string[]): string | null;
}

/** A file that cannot be loaded; start-up stops. */
export class AofLoadError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "AofLoadError";
  }
}

/** How one file is replayed. */
export interface ReplayOptions {
  /** The name shown in messages. */
  name: string;
  /** Start reading here (after an RDB preamble). */
  offset?: number;
  /** The database selected when the file starts (0 for a new file). */
  db?: number;
  /**
   * Whether a file that ends inside a command may be cut after its last complete
   * command (the last file of the log, with aof-load-truncated yes).
   */
  allowTruncated: boolean;
  /** Leave the file as it is (a truncated tail is ignored instead of cut off). */
  readOnly?: boolean;
  /** The manifest's name, for the redis-check-aof hint. */
  manifestName: string;
  /** Called about once a second while a big file loads. */
  onProgress?(done: number, total: number, commands: number): void;
  /** Log lines for a truncated tail. */
  warn(message: string): void;
}

/** What replaying one file did. */
export interface ReplayResult {
  commands: number;
  /** The file's length after any truncation. */
  size: number;
  /** Set when the tail was cut off: the offset it was cut at. */
  truncatedAt?: number;
}

/**
 * Replays the commands of one AOF file (or the AOF tail after an RDB preamble).
 * Throws AofLoadError for corruption, or for a truncated file that may not be cut.
 */
export async function replayAofFile(
  path: string,
  target: ReplayTarget,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const file = await Deno.open(path, { read: true });
  let result: ReplayResult;
  try {
    const total = (await file.stat()).size;
    const start = options.offset ?? 0;
    if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    const state = new ReplayState(target, options, total);
    result = await state.run(file, start);
  } finally {
    file.close();
  }
  if (result.truncatedAt !== undefined && !options.readOnly) {
    await Deno.truncate(path, result.truncatedAt);
  }
  return result;
}

// Bytes read at a time. Small reads (a stream's 64 kB) left the loader waiting on
// thousands of them, a fifth of a large file's load.
const READ_BYTES = 1 << 20;

class ReplayState {
  #target: ReplayTarget;
  #options: ReplayOptions;
  #total: number;
  #db: number;
  #commands = 0;
  // While a MULTI block is read: its start offset and its commands with their db.
  #multiAt = -1;
  #queued: [number, string[]][] = [];
  #lastReport = performance.now();

  constructor(target: ReplayTarget, options: ReplayOptions, total: number) {
    this.#target = target;
    this.#options = options;
    this.#total = total;
    this.#db = options.db ?? 0;
  }

  // Runs the commands of `file` from where it is, file offset `base`.
  async run(file: Deno.FsFile, base: number): Promise<ReplayResult> {
    const decoder = new RequestDecoder({ aof: true });
    const chunk = new Uint8Array(READ_BYTES);
    try {
      while (true) {
        const n = await file.read(chunk);
        if (n === null) break;
        decoder.push(chunk.subarray(0, n));
        let argv: string[] | null;
        while ((argv = decoder.next()) !== null) {
          const at = base + decoder.start;
          if (decoder.oversized) {
            throw new AofLoadError(
              `Can't load the append only file ${this.#options.name}: the command at offset ` +
                `${at} has an argument longer than ${MAX_ARGUMENT_LENGTH} bytes`,
              at,
            );
          }
          this.#execute(argv, at);
          if ((this.#commands & 1023) === 0) this.#progress(at);
        }
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.#corrupt(base + error.offset, error.message);
      throw error;
    }
    // The file ends in the middle of a command.
    if (decoder.incomplete) return this.#truncated(base + decoder.consumed);
    if (this.#multiAt >= 0) return this.#truncated(this.#multiAt);
    return { commands: this.#commands, size: base + decoder.consumed };
  }

  #progress(done: number): void {
    const now = performance.now();
    if (now - this.#lastReport < 1000) return;
    this.#lastReport = now;
    this.#options.onProgress?.(done, this.#total, this.#commands);
  }

  // The file ends in the middle of a command (or of a MULTI block starting at `at`).
  #truncated(at: number): ReplayResult {
    const o = this.#options;
    if (!o.allowTruncated) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${o.name} at offset ${at}. ` +
          `You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix ` +
          `<${o.manifestName}>. 2) Alternatively you can set the 'aof-load-truncated' ` +
          `configuration option to yes and restart the server.`,
        at,
      );
    }
    if (this.#multiAt >= 0) {
      o.warn(`Revert incomplete MULTI/EXEC transaction in AOF file ${o.name}`);
      this.#queued = [];
      this.#multiAt = -1;
    }
    o.warn(`!!! Warning: short read while loading the AOF file ${o.name}!!!`);
    o.warn(`!!! Truncating the AOF ${o.name} at offset ${at} !!!`);
    o.warn(`AOF ${o.name} loaded anyway because aof-load-truncated is enabled`);
    return { commands: this.#commands, size: at, truncatedAt: at };
  }

  #corrupt(at: number, why: string): never {
    const o = this.#options;
    throw new AofLoadError(
      `Bad file format reading the append only file ${o.name} at offset ${at} (${why}): ` +
        `make a backup of your AOF file, then use ./redis-check-aof --fix <${o.manifestName}>`,
      at,
    );
  }

  #execute(argv: string[], at: number): void {
    // Only MULTI, EXEC and SELECT matter here: other names are not copied to lower case.
    const length = argv[0].length;
    const name = length >= 4 && length <= 6 ? argv[0].toLowerCase() : "";
    if (name === "multi") {
      if (this.#multiAt >= 0) this.#corrupt(at, "nested MULTI");
      this.#multiAt = at;
      return;
    }
    if (name === "exec") {
      if (this.#multiAt < 0) this.#corrupt(at, "EXEC without MULTI");
      const queued = this.#queued;
      this.#queued = [];
      this.#multiAt = -1;
      for (const [db, command] of queued) this.#runOne(db, command, at);
      return;
    }
    if (name === "select") {
      const db = argv.length === 2 ? parseInteger(argv[1]) ?? -1 : -1;
      if (db < 0 || db >= this.#target.databases) {
        this.#corrupt(at, `SELECT of a database that does not exist: '${argv[1] ?? ""}'`);
      }
      this.#db = db;
      return;
    }
    if (this.#multiAt >= 0) {
      this.#queued.push([this.#db, argv]);
      return;
    }
    this.#runOne(this.#db, argv, at);
  }

  #runOne(db: number, argv: string[], at: number): void {
    const error = this.#target.run(db, argv);
    this.#commands++;
    if (error !== null) {
      throw new AofLoadError(
        `${error} reading the append only file ${this.#options.name} at offset ${at}`,
        at,
      );
    }
  }
}
