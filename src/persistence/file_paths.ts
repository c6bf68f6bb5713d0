// Where the persistence files are, as the configuration names them: the RDB file
// (`dir`, `dbfilename`), the AOF directory (`appenddirname`) and the names of the AOF
// files in it (`appendfilename`).

import { AofNames } from "./aof_manifest.ts";
import type { ConfigView } from "./persistence_host.ts";

/** The RDB file's path. */
export function rdbPath(config: ConfigView): string {
  return `${config.string("dir")}/${config.string("dbfilename")}`;
}

/** The AOF directory's path. */
export function aofDir(config: ConfigView): string {
  return `${config.string("dir")}/${config.string("appenddirname")}`;
}

/** The names of the AOF files (base, incr, manifest, temporaries). */
export function aofNames(config: ConfigView): AofNames {
  return new AofNames(config.string("appendfilename"));
}
