import { splitArgs } from "../protocol/split_args.ts";

// The first line of a script or library: `#!lua` with its options (EVAL scripts:
// `flags=...`; FUNCTION libraries: `name=...`), as Redis 7 reads it.

/** The flags a script or function may declare. */
export const SCRIPT_FLAGS = [
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
] as const;
export type ScriptFlag = typeof SCRIPT_FLAGS[number];

/** A parsed shebang: its options, and the code to compile (same line numbers). */
export interface Shebang {
  /** Declared flags; null for a script without a shebang (Redis's legacy mode). */
  flags: ScriptFlag[] | null;
  /** The code with the shebang line turned into a Lua comment. */
  code: string;
}

/**
 * The shebang line (before the first newline), as Redis finds its end with strchr:
 * null when there is no newline, or a NUL byte comes before it.
 */
function shebangLine(body: string): string | null {
  const newline = body.indexOf("\n");
  if (newline < 0) return null;
  const line = body.slice(0, newline);
  return line.includes("\x00") ? null : line;
}

// The code to compile: the shebang line stays, as a comment, so that error line
// numbers match the source.
function commented(body: string): string {
  return "--" + body.slice(2);
}

/** Reads an EVAL script's shebang; an error text (without "ERR ") when it is wrong. */
export function parseScriptShebang(body: string): Shebang | string {
  if (!body.startsWith("#!")) return { flags: null, code: body };
  const line = shebangLine(body);
  if (line === null) return "Invalid script shebang";
  // Split like an inline command: quotes group, as in `flags="no-writes"`.
  const parts = splitArgs(line);
  if (parts === null || parts.length === 0) return "Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `Unexpected engine in script shebang: ${parts[0]}`;
  const flags: ScriptFlag[] = [];
  // `flags=` may come more than once: each adds its flags.
  for (let i = 1; i < parts.length; i++) {
    if (!parts[i].startsWith("flags=")) return `Unknown lua shebang option: ${parts[i]}`;
    const more = parseFlags(parts[i].slice(6));
    if (typeof more === "string") return more;
    for (const flag of more) if (!flags.includes(flag)) flags.push(flag);
  }
  return { flags, code: commented(body) };
}

/** A FUNCTION library's first line: its engine (any letter case) and name. */
export interface LibraryShebang {
  engine: string;
  name: string;
  code: string;
}

/**
 * Reads a FUNCTION library's shebang, checked in Redis's order; an error text (without
 * "ERR ") when it is wrong. The engine is only named here: the caller looks it up.
 */
export function parseLibraryShebang(body: string): LibraryShebang | string {
  if (!body.startsWith("#!")) return "Missing library metadata";
  const line = shebangLine(body);
  if (line === null) return "Invalid library metadata";
  const parts = splitArgs(line);
  if (parts === null || parts.length === 0) return "Invalid library metadata";
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part.slice(0, 5).toLowerCase() !== "name=") {
      return `Invalid metadata value given: ${part}`;
    }
    if (name !== null) return "Invalid metadata value, name argument was given multiple times";
    name = part.slice(5);
  }
  if (name === null) return "Library name was not given";
  return { engine: parts[0].slice(2), name, code: commented(body) };
}

/** Parses the `flags=` value: comma separated; an error text on an unknown flag. */
export function parseFlags(text: string): ScriptFlag[] | string {
  if (text === "") return [];
  const flags: ScriptFlag[] = [];
  for (const flag of text.split(",")) {
    if (!(SCRIPT_FLAGS as readonly string[]).includes(flag)) {
      return `Unexpected flag in script shebang: ${flag}`;
    }
    flags.push(flag as ScriptFlag);
  }
  return flags;
}
