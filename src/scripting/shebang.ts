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
  /** `name=` (FUNCTION libraries). */
  name: string | null;
  /** The code with the shebang line turned into a Lua comment. */
  code: string;
}

/** Reads an EVAL script's shebang; an error text (without "ERR ") when it is wrong. */
export function parseScriptShebang(body: string): Shebang | string {
  if (!body.startsWith("#!")) return { flags: null, name: null, code: body };
  const parsed = parseOptions(body);
  if (parsed === INVALID_METADATA) return "Invalid engine in script shebang";
  if (typeof parsed === "string") return parsed;
  for (const [key, value] of parsed.options) {
    if (key !== "flags") return `Unknown lua shebang option: ${key}=${value}`;
  }
  const flags = parseFlags(parsed.options.get("flags") ?? "");
  if (typeof flags === "string") return flags;
  return { flags, name: null, code: parsed.code };
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

/** parseOptions: the shebang line does not split (an unbalanced quote). */
export const INVALID_METADATA = "invalid metadata";
/** parseOptions: an option given twice. */
export const REPEATED = "repeated option";

/**
 * Splits `#!lua opt=value ...` into options (in order); an error text when the engine
 * is not lua (FUNCTION libraries: in any letter case) or an option has no `=`.
 */
export function parseOptions(
  body: string,
  anyCase = false,
): { options: Map<string, string>; code: string; engine: string } | string {
  const newline = body.indexOf("\n");
  const line = newline < 0 ? body : body.slice(0, newline);
  // Split like an inline command: quotes group, as in `name="lib"`.
  const parts = splitArgs(line);
  if (parts === null || parts.length === 0) return INVALID_METADATA;
  const engine = parts[0].slice(2);
  const lua = anyCase ? parts[0].toLowerCase() === "#!lua" : parts[0] === "#!lua";
  if (!lua) return `Unexpected engine in script shebang: ${parts[0]}`;
  const options = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    if (eq < 0) return `Unknown lua shebang option: ${part}`;
    const key = part.slice(0, eq);
    if (options.has(key)) return REPEATED;
    options.set(key, part.slice(eq + 1));
  }
  // The shebang line stays, as a comment, so error line numbers match the source.
  return { options, code: "--" + body.slice(2), engine };
}
