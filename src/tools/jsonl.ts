// Offline export and import of the whole dataset as JSON Lines (format: see
// src/persistence/jsonl.ts), with the same configuration the server takes:
//
//   deno task export -- data.jsonl [--force] [redis.conf] [--dir DIR] [--appendonly yes]
//   deno task import -- data.jsonl [--force] [redis.conf] [--dir DIR] [--appendonly yes]
//
// export loads what the server would load at start-up (the AOF when appendonly is
// yes, else dbfilename in dir) without changing any file, and writes the lines to the
// named file (`-`: standard output). import reads the lines and writes the dataset
// where the server will load it: dbfilename in dir, or a new AOF directory (an RDB
// base, an empty incr file and the manifest) when appendonly is yes. Nothing that
// exists is overwritten without --force, and the export never replaces the dataset's
// own files. Run them while the server is stopped, or export from a running server
// (Redeno or Redis) with --from host:port: the tool takes a snapshot over the
// replication protocol (REPLCONF rdb-only, SYNC), as redis-cli --rdb does.

import { type Config, ConfigError, loadConfig } from "../config/mod.ts";
import { Logger, type LogLevel } from "../log.ts";
import {
  AofNames,
  readManifest,
  syncDirectory,
  writeManifest,
} from "../persistence/aof_manifest.ts";
import { exportLines, importLine, JsonlError } from "../persistence/jsonl.ts";
import { encodingLimits } from "../persistence/load_settings.ts";
import { saveSnapshotSync } from "../persistence/snapshot.ts";
import { aofDir, dirPath, oldStyleAofPath, rdbPath } from "../persistence/file_paths.ts";
import { fsPath } from "../util/latin1.ts";
import { Server } from "../server/server.ts";
import { Keyspace } from "../store/keyspace.ts";
import { fetchSnapshot } from "../replication/master_connection.ts";

const USAGE = `Usage:
  deno task export -- <file.jsonl|-> [--force] [redis.conf] [--dir DIR] [--appendonly yes] ...
  deno task export -- <file.jsonl|-> [--force] --from HOST:PORT [--user NAME] [--password PASS]
  deno task import -- <file.jsonl> [--force] [redis.conf] [--dir DIR] [--appendonly yes] ...

The options after the file are redis-server's (a config file first, then --name value).`;

/** Log lines go to standard error, so an export to standard output stays clean. */
class StderrLogger extends Logger {
  override write(level: LogLevel, message: string): void {
    if (level === "debug" || level === "verbose") return;
    console.error(message);
  }
}

class UsageError extends Error {}

/** Runs `export` or `import`; returns the exit code. */
export async function runJsonlTool(args: string[]): Promise<number> {
  try {
    // `deno task` runs in the project directory; paths are meant from where it was typed.
    const invokedFrom = Deno.env.get("INIT_CWD");
    if (invokedFrom) Deno.chdir(invokedFrom);
    const [mode, ...given] = args;
    const rest = given[0] === "--" ? given.slice(1) : given;
    if (mode !== "export" && mode !== "import") throw new UsageError(USAGE);
    const force = rest.includes("--force");
    // --from host:port [--user name] [--password secret]: a running server's dataset.
    const live = takeLiveSource(rest);
    const positional = rest.filter((a) => a !== "--force");
    const file = positional[0];
    if (file === undefined || (file.startsWith("-") && file !== "-")) throw new UsageError(USAGE);
    const loaded = await loadConfig(positional.slice(1));
    if (loaded.kind !== "config") throw new UsageError(USAGE);
    if (live !== null && mode !== "export") throw new UsageError(USAGE);
    if (mode === "export") await exportTo(file, loaded.config, force, live);
    else await importFrom(file, loaded.config, force);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    if (error instanceof JsonlError || error instanceof ToolError) {
      console.error(`Error: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

class ToolError extends Error {}

/** A running server to export from (`--from host:port`). */
interface LiveSource {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

// Removes --from, --user and --password (and their values) from `args`.
function takeLiveSource(args: string[]): LiveSource | null {
  const take = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (value === undefined) throw new UsageError(USAGE);
    args.splice(at, 2);
    return value;
  };
  const from = take("--from");
  const user = take("--user");
  const password = take("--password");
  if (from === undefined) {
    if (user !== undefined || password !== undefined) throw new UsageError(USAGE);
    return null;
  }
  const colon = from.lastIndexOf(":");
  const port = Number(from.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new UsageError(USAGE);
  }
  return { host: from.slice(0, colon).replace(/^\[|\]$/g, ""), port, user, password };
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

// The files the server reads and writes in `dir`.
function datasetPaths(config: Config): { rdb: string; aofDir: string } {
  return { rdb: rdbPath(config), aofDir: aofDir(config) };
}

async function exportTo(
  file: string,
  config: Config,
  force: boolean,
  live: LiveSource | null,
): Promise<void> {
  const toStdout = file === "-";
  const target = toStdout ? "" : absolute(file);
  if (!toStdout) {
    const own = datasetPaths(config);
    const appendfile = oldStyleAofPath(config);
    if (target === own.rdb || target === appendfile || target.startsWith(`${own.aofDir}/`)) {
      throw new ToolError(`refusing to write the export over the dataset's own file ${file}`);
    }
    if (exists(target)) {
      if (Deno.statSync(target).isDirectory) throw new ToolError(`${file} is a directory`);
      if (!force) throw new ToolError(`${file} exists (use --force to overwrite it)`);
    }
  }
  const started = performance.now();
  const server = new Server(config, new StderrLogger("warning"));
  if (live === null) await server.persistence.load({ readOnly: true });
  else {
    // The server's snapshot as a replica would receive it; nothing is written there.
    let payload: Uint8Array;
    try {
      payload = await fetchSnapshot(live.host, live.port, live);
    } catch (error) {
      throw new ToolError(`${live.host}:${live.port}: ${(error as Error).message}`);
    }
    server.persistence.loadReplicationPayload(payload);
  }
  const out = toStdout
    ? Deno.stdout
    : Deno.openSync(target, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  let keys = 0;
  let chunk: string[] = [];
  let size = 0;
  const flush = async () => {
    const bytes = encoder.encode(chunk.join(""));
    let offset = 0;
    while (offset < bytes.length) offset += await out.write(bytes.subarray(offset));
    chunk = [];
    size = 0;
  };
  try {
    for (const line of exportLines(server.keyspace)) {
      chunk.push(line, "\n");
      size += line.length;
      keys++;
      if (size > 1 << 20) await flush();
    }
    await flush();
    if (!toStdout) (out as Deno.FsFile).syncSync();
  } finally {
    if (!toStdout) (out as Deno.FsFile).close();
  }
  const source = live !== null
    ? `the server at ${live.host}:${live.port}`
    : `${
      config.string("appendonly") === "yes" ? "the AOF" : fsPath(config.string("dbfilename"))
    } in ${dirPath(config)}`;
  console.error(
    `Exported ${keys} keys from ${source} to ${toStdout ? "standard output" : file} in ${
      ((performance.now() - started) / 1000).toFixed(3)
    } s`,
  );
}

// Reads a file line by line (lines are UTF-8 JSON), calling `fn` with each non-blank one.
async function forEachLine(path: string, fn: (line: string, n: number) => void): Promise<void> {
  const file = await Deno.open(path, { read: true });
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rest = "";
  let n = 0;
  try {
    const buf = new Uint8Array(1 << 20);
    while (true) {
      const read = await file.read(buf);
      const text = read === null ? decoder.decode() : decoder.decode(buf.subarray(0, read), {
        stream: true,
      });
      const parts = (rest + text).split("\n");
      rest = read === null ? "" : parts.pop()!;
      for (const part of parts) {
        n++;
        const line = part.endsWith("\r") ? part.slice(0, -1) : part;
        if (line.trim() !== "") fn(line, n);
      }
      if (read === null) break;
    }
  } catch (error) {
    if (error instanceof TypeError) {
      throw new ToolError(`${path} is not UTF-8 text near line ${n + 1}`);
    }
    throw error;
  } finally {
    file.close();
  }
}

async function importFrom(file: string, config: Config, force: boolean): Promise<void> {
  const source = absolute(file);
  if (!exists(source) || !Deno.statSync(source).isFile) {
    throw new ToolError(`${file} is not a file`);
  }
  const aof = config.string("appendonly") === "yes";
  const paths = datasetPaths(config);
  const names = new AofNames(config.string("appendfilename"));
  if (aof) {
    if (exists(paths.aofDir) && readManifest(paths.aofDir, names) !== null && !force) {
      throw new ToolError(`${paths.aofDir} already holds an AOF (use --force to replace it)`);
    }
  } else if (exists(paths.rdb) && !force) {
    throw new ToolError(`${paths.rdb} exists (use --force to replace it)`);
  }
  const started = performance.now();
  const keyspace = new Keyspace(config.number("databases"));
  const limits = encodingLimits(config);
  let loaded = 0, expired = 0;
  const now = Date.now();
  await forEachLine(source, (line, n) => {
    if (importLine(line, n, keyspace, limits, now) === "loaded") loaded++;
    else expired++;
  });
  const options = {
    compress: config.string("rdbcompression") === "yes",
    checksum: config.string("rdbchecksum") === "yes",
    listMaxListpackSize: config.number("list-max-listpack-size"),
  };
  let written: string;
  if (aof) {
    written = replaceAof(keyspace, paths.aofDir, names, options);
  } else {
    saveSnapshotSync(keyspace, paths.rdb, options);
    written = paths.rdb;
  }
  console.error(
    `Imported ${loaded} keys (${expired} already expired, skipped) from ${file} into ` +
      `${written} in ${((performance.now() - started) / 1000).toFixed(3)} s`,
  );
}

// A new AOF for the keyspace: an RDB base and an empty incr file after whatever the
// directory held, the manifest switched to them, then the old files removed.
function replaceAof(
  keyspace: Keyspace,
  dir: string,
  names: AofNames,
  options: { compress: boolean; checksum: boolean; listMaxListpackSize: number },
): string {
  Deno.mkdirSync(dir, { recursive: true });
  const old = readManifest(dir, names);
  const baseSeq = (old?.baseSeq ?? 0) + 1;
  const incrSeq = (old?.incrSeq ?? 0) + 1;
  const base = names.base(baseSeq, true);
  const incr = names.incr(incrSeq);
  saveSnapshotSync(keyspace, `${dir}/${base}`, { ...options, aofBase: true });
  Deno.writeFileSync(`${dir}/${incr}`, new Uint8Array(0));
  syncDirectory(dir);
  writeManifest(dir, names, {
    base: { name: base, seq: baseSeq, type: "b" },
    incrs: [{ name: incr, seq: incrSeq, type: "i" }],
    history: [],
    baseSeq,
    incrSeq,
  });
  if (old !== null) {
    for (const f of [...(old.base ? [old.base] : []), ...old.incrs, ...old.history]) {
      try {
        Deno.removeSync(`${dir}/${f.name}`);
      } catch {
        // Already gone.
      }
    }
  }
  return `${dir}/${names.manifest}`;
}

if (import.meta.main) {
  Deno.exit(await runJsonlTool(Deno.args));
}
