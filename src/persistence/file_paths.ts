// Where the persistence files are, as the configuration names them: the RDB file
// (`dir`, `dbfilename`), the AOF directory (`appenddirname`) and the names of the AOF
// files in it (`appendfilename`).

import { AofNames } from "./aof_manifest.ts";
import type { ConfigView } from "./persistence_host.ts";
import { fsPath } from "../util/latin1.ts";
import { inDir } from "./files.ts";

// The configuration holds paths and names as bytes; the file system API takes text.

/** The data directory (`dir`) as a path. */
export function dirPath(config: Pick<ConfigView, "string">): string {
  return fsPath(config.string("dir"));
}

/** The RDB file's path. */
export function rdbPath(config: Pick<ConfigView, "string">): string {
  return inDir(dirPath(config), config.string("dbfilename"));
}

/** The single AOF file of Redis before 7.0 (`appendfilename` in `dir`, no manifest). */
export function oldStyleAofPath(config: Pick<ConfigView, "string">): string {
  return inDir(dirPath(config), config.string("appendfilename"));
}

/** The AOF directory's path. */
export function aofDir(config: ConfigView): string {
  return inDir(dirPath(config), config.string("appenddirname"));
}

/** The names of the AOF files (base, incr, manifest, temporaries). */
export function aofNames(config: ConfigView): AofNames {
  return new AofNames(config.string("appendfilename"));
}
