// Replays AOF files: reads RESP multibulk commands from a file in chunks and hands
// each one to the server's command table, tracking SELECT and running MULTI ... EXEC
// blocks only once their EXEC is read.
//
// Two kinds of damage are told apart, as Redis does: a file that ends in the middle of
// a command (or of a MULTI block) was cut short by a crash, and may be truncated after
// its last complete command when it is the last file and aof-load-truncated is yes; a
// file that does not follow the format is corrupt, and start-up stops with a message
// naming the byte offset.

import { latin1Text } from "./aof_manifest.ts";

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

const CHUNK = 4 * 1024 * 1024;
const STAR = 42, DOLLAR = 36, HASH = 35, CR = 13, LF = 10;

// The result of parsing at one position of the buffer.
const INCOMPLETE = 0;

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
  let total: number;
  let reader: FileReader;
  try {
    total = (await file.stat()).size;
    reader = new FileReader(file, options.offset ?? 0);
    const state = new ReplayState(target, options, total);
    const result = await state.run(reader);
    if (result.truncatedAt === undefined || options.readOnly) return result;
    file.close();
    await Deno.truncate(path, result.truncatedAt);
    return result;
  } finally {
    try {
      file.close();
    } catch {
      // Closed before truncating.
    }
  }
}

// Reads a file in chunks and keeps the unparsed rest of the last one.
class FileReader {
  buf = new Uint8Array(0);
  /** File offset of buf[0]. */
  base: number;
  eof = false;
  #file: Deno.FsFile;
  #started = false;

  constructor(file: Deno.FsFile, offset: number) {
    this.#file = file;
    this.base = offset;
  }

  /** Drops bytes before `pos` and appends the next chunk (at least `need` bytes if possible). */
  async more(pos: number, need = 0): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      if (this.base > 0) await this.#file.seek(this.base, Deno.SeekMode.Start);
    }
    const rest = this.buf.subarray(pos);
    const size = Math.max(CHUNK, need, rest.length + CHUNK);
    const next = new Uint8Array(size);
    next.set(rest);
    let filled = rest.length;
    while (filled < next.length) {
      const n = await this.#file.read(next.subarray(filled));
      if (n === null) {
        this.eof = true;
        break;
      }
      filled += n;
    }
    this.base += pos;
    this.buf = next.subarray(0, filled);
  }
}

// One parsed command, or how much more is needed.
interface Parsed {
  argv: string[];
  end: number;
}

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

  async run(reader: FileReader): Promise<ReplayResult> {
    let pos = 0;
    await reader.more(0);
    while (true) {
      const buf = reader.buf;
      if (pos >= buf.length) {
        if (reader.eof) break;
        await reader.more(pos);
        pos = 0;
        continue;
      }
      const at = reader.base + pos;
      const parsed = this.#parse(buf, pos, at);
      if (typeof parsed === "number") {
        // Incomplete: read more, or the file ends here.
        if (reader.eof) return this.#truncated(at);
        await reader.more(pos, parsed);
        pos = 0;
        continue;
      }
      pos = parsed.end;
      if (parsed.argv.length > 0) this.#execute(parsed.argv, at);
      if ((this.#commands & 1023) === 0) this.#progress(reader.base + pos);
    }
    const end = reader.base + pos;
    if (this.#multiAt >= 0) return this.#truncated(this.#multiAt);
    return { commands: this.#commands, size: end };
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

  /**
   * Parses one command at `pos`. Returns the command and where it ends, or the number
   * of bytes needed from `pos` (a guess) when the buffer ends first. An annotation
   * line (`#...`) parses as an empty command.
   */
  #parse(buf: Uint8Array, pos: number, at: number): Parsed | number {
    const first = buf[pos];
    if (first === HASH) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) return INCOMPLETE;
      return { argv: [], end: nl + 1 };
    }
    if (first !== STAR) this.#corrupt(at, `expected '*', got ${describe(first)}`);
    let p = pos + 1;
    const count = readNumber(buf, p);
    if (count === null) return INCOMPLETE;
    if (count.value === null) this.#corrupt(at + (count.end - pos), "invalid multibulk length");
    if (count.value < 1) this.#corrupt(at + 1, "invalid multibulk length");
    p = count.end;
    const argc = count.value;
    const argv = new Array<string>(argc);
    for (let i = 0; i < argc; i++) {
      if (p >= buf.length) return INCOMPLETE;
      if (buf[p] !== DOLLAR) {
        this.#corrupt(at + (p - pos), `expected '$', got ${describe(buf[p])}`);
      }
      const len = readNumber(buf, p + 1);
      if (len === null) return INCOMPLETE;
      if (len.value === null) this.#corrupt(at + (len.end - pos), "invalid bulk length");
      if (len.value < 0) this.#corrupt(at + (p + 1 - pos), "invalid bulk length");
      p = len.end;
      const end = p + len.value;
      if (end + 2 > buf.length) return end + 2 - pos;
      if (buf[end] !== CR || buf[end + 1] !== LF) {
        this.#corrupt(at + (end - pos), "expected CRLF after an argument");
      }
      argv[i] = bytesToString(buf, p, end);
      p = end + 2;
    }
    return { argv, end: p };
  }

  #execute(argv: string[], at: number): void {
    const name = argv[0].toLowerCase();
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
      const db = argv.length === 2 && /^(0|[1-9][0-9]{0,9})$/.test(argv[1]) ? Number(argv[1]) : -1;
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

// A decimal number ending in CRLF at `p`: null when the buffer ends first; value null
// when it is not a number.
function readNumber(
  buf: Uint8Array,
  p: number,
): { value: number | null; end: number } | null {
  let n = 0;
  let digits = 0;
  let negative = false;
  if (p < buf.length && buf[p] === 45) {
    negative = true;
    p++;
  }
  while (p < buf.length) {
    const c = buf[p];
    if (c >= 48 && c <= 57) {
      n = n * 10 + c - 48;
      digits++;
      if (digits > 12) return { value: null, end: p };
      p++;
      continue;
    }
    if (c === CR) {
      if (p + 1 >= buf.length) return null;
      if (buf[p + 1] !== LF || digits === 0) return { value: null, end: p };
      return { value: negative ? -n : n, end: p + 2 };
    }
    return { value: null, end: p };
  }
  return null;
}

function describe(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${hex(byte)}`;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

// Short arguments are the common case: build them byte by byte.
function bytesToString(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return latin1Text(buf.subarray(start, end));
}
