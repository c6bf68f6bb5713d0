// Small file-system helpers the parts of the persistence manager share.

import { fsPath } from "../util/latin1.ts";

/** A file named in bytes (as the configuration and the AOF manifest name files) in a directory given as a path. */
export function inDir(dir: string, name: string): string {
  return `${dir}/${fsPath(name)}`;
}

/** True when something (a file, a directory) is at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes a file, if it is there. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Not there.
  }
}
