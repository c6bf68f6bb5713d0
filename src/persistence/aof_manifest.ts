// The manifest of a Redis 7.0 multi-part AOF: which files in the AOF directory make up
// the log (one base, then incremental files in sequence order), read and written in the
// format Redis writes (`file appendonly.aof.1.base.rdb seq 1 type b`), plus the file
// names Redis derives from `appendfilename` and the atomic way a manifest is replaced.

import { latin1Bytes, latin1Text } from "../util/latin1.ts";
import { inDir } from "./files.ts";
import { quoted } from "../util/quoted.ts";
import { splitArgs } from "../protocol/split_args.ts";

/** b: the base (an RDB or an AOF), h: history waiting to be deleted, i: incremental. */
export type AofFileType = "b" | "h" | "i";

/** One line of the manifest. */
export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** The parsed manifest. */
export interface AofManifest {
  base: AofFileInfo | null;
  incrs: AofFileInfo[];
  history: AofFileInfo[];
  /** The highest base and incr sequence numbers used so far. */
  baseSeq: number;
  incrSeq: number;
}

/** A manifest that cannot be used; start-up stops with this message. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

// Redis refuses manifest lines longer than this.
const MAX_LINE = 1024;

/** An empty manifest (no AOF yet). */
export function emptyManifest(): AofManifest {
  return { base: null, incrs: [], history: [], baseSeq: 0, incrSeq: 0 };
}

/** A deep copy, to change while the current one stays in use until the switch. */
export function copyManifest(m: AofManifest): AofManifest {
  return {
    base: m.base === null ? null : { ...m.base },
    incrs: m.incrs.map((f) => ({ ...f })),
    history: m.history.map((f) => ({ ...f })),
    baseSeq: m.baseSeq,
    incrSeq: m.incrSeq,
  };
}

/** The file names Redis derives from `appendfilename`. */
export class AofNames {
  constructor(readonly prefix: string) {}

  get manifest(): string {
    return `${this.prefix}.manifest`;
  }

  get tempManifest(): string {
    return `temp-${this.prefix}.manifest`;
  }

  /** Where writes go while AOF is being turned on (renamed once the base exists). */
  get tempIncr(): string {
    return `temp-${this.prefix}.incr`;
  }

  base(seq: number, rdb: boolean): string {
    return `${this.prefix}.${seq}.base.${rdb ? "rdb" : "aof"}`;
  }

  incr(seq: number): string {
    return `${this.prefix}.${seq}.incr.aof`;
  }

  /** The temporary file a rewrite writes its new base to. */
  tempRewrite(pid: number): string {
    return `temp-rewriteaof-bg-${pid}.aof`;
  }
}

/**
 * Parses a manifest's text (one-byte string). Comment lines start with `#`; every
 * other line holds key/value pairs of which `file`, `seq` and `type` are required
 * (unknown keys are ignored, for forward compatibility, as Redis does).
 */
export function parseManifest(text: string): AofManifest {
  const m = emptyManifest();
  if (text.length === 0) throw new ManifestError("Found an empty AOF manifest");
  const lines = text.split("\n");
  // A last line without its newline is a manifest written halfway.
  const complete = text.endsWith("\n");
  let maxIncrSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (i === lines.length - 1) {
      if (raw === "") break;
      if (!complete) {
        if (raw.startsWith("#")) break;
        throw new ManifestError(`The AOF manifest file is invalid format (line ${i + 1})`);
      }
    }
    if (raw.startsWith("#")) continue;
    if (raw.length > MAX_LINE) {
      throw new ManifestError(`The AOF manifest file contains too long line (line ${i + 1})`);
    }
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    const args = line === "" ? null : splitArgs(line);
    if (args === null || args.length < 6 || args.length % 2 !== 0) {
      throw new ManifestError(`Invalid AOF manifest file format (line ${i + 1})`);
    }
    let name: string | undefined;
    let seq = 0;
    let type = "";
    for (let j = 0; j < args.length; j += 2) {
      const key = args[j].toLowerCase();
      if (key === "file") name = args[j + 1];
      else if (key === "seq") seq = atoll(args[j + 1]);
      else if (key === "type") type = args[j + 1].charAt(0);
    }
    if (name === undefined || name === "" || seq === 0 || type === "") {
      throw new ManifestError(`Invalid AOF manifest file format (line ${i + 1})`);
    }
    if (name.includes("/")) {
      throw new ManifestError(`File can't be a path, just a filename (line ${i + 1})`);
    }
    const info: AofFileInfo = { name, seq, type: type as AofFileType };
    if (type === "b") {
      if (m.base !== null) {
        throw new ManifestError(`Found duplicate base file information (line ${i + 1})`);
      }
      m.base = info;
      m.baseSeq = seq;
    } else if (type === "h") {
      m.history.push(info);
    } else if (type === "i") {
      if (seq <= maxIncrSeq) {
        throw new ManifestError(`Found a non-monotonic sequence number (line ${i + 1})`);
      }
      m.incrs.push(info);
      m.incrSeq = seq;
      maxIncrSeq = seq;
    } else {
      throw new ManifestError(`Unknown AOF file type '${type}' (line ${i + 1})`);
    }
  }
  return m;
}

// C's atoll: optional blanks and sign, then digits; stops at the first other character.
function atoll(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** The manifest's text, as Redis writes it: the base, then history, then incr files. */
export function formatManifest(m: AofManifest): string {
  let out = "";
  const line = (f: AofFileInfo) => {
    out += `file ${quoteName(f.name)} seq ${f.seq} type ${f.type}\n`;
  };
  if (m.base !== null) line(m.base);
  for (const f of m.history) line(f);
  for (const f of m.incrs) line(f);
  return out;
}

// Names with blanks, quotes or unprintable bytes are written in double quotes with
// escapes, so splitArgs reads them back.
function quoteName(name: string): string {
  if (!/[^\x21-\x7e]|["\\]/.test(name)) return name;
  return quoted(name);
}

/** Reads `dir/<manifest>`; null when there is none. */
export function readManifest(dir: string, names: AofNames): AofManifest | null {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(inDir(dir, names.manifest));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return parseManifest(latin1Text(bytes));
}

/**
 * Replaces the manifest atomically: a temporary file is written and flushed, renamed
 * over the old one, and the directory is flushed so the rename survives a crash.
 */
export function writeManifest(dir: string, names: AofNames, m: AofManifest): void {
  const temp = inDir(dir, names.tempManifest);
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
  try {
    const bytes = latin1Bytes(formatManifest(m));
    let offset = 0;
    while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
    file.syncSync();
  } finally {
    file.close();
  }
  Deno.renameSync(temp, inDir(dir, names.manifest));
  syncDirectory(dir);
}

/** Flushes a directory's entries (after a rename or a new file) to disk. */
export function syncDirectory(dir: string): void {
  try {
    const handle = Deno.openSync(dir, { read: true });
    try {
      handle.syncSync();
    } finally {
      handle.close();
    }
  } catch {
    // Some platforms cannot open or flush a directory; the rename is still atomic.
  }
}
