// Loading the configuration: redis.conf files (with include), stdin and redis-server style
// command-line options (`--port 7000`), their error reports, and the `--help` text.
import { splitArgs } from "../protocol/split_args.ts";
import { fsPath, latin1Text, utf8Latin1 } from "../util/latin1.ts";
import { quoted } from "../util/quoted.ts";
import { Config } from "./config.ts";
import { DEPRECATED, findDirective } from "./directives.ts";

/** What loadConfig found in the command line. */
export type LoadResult =
  | { kind: "help" }
  | { kind: "version" }
  | {
    kind: "config";
    config: Config;
    /** Absolute path of the redis.conf given as first argument, if any (INFO, CONFIG REWRITE). */
    configFile?: string;
  };

/**
 * A configuration that cannot be loaded. The message is ready to print on stderr,
 * in the spirit of Redis's "*** FATAL CONFIG FILE ERROR ***" block.
 */
export class ConfigError extends Error {
  /** The file path, "stdin" or "command line". */
  readonly source: string;
  /** 1-based line number in the file (or option number on the command line); 0 if none. */
  readonly line: number;
  /** The offending line or option, as read. */
  readonly text: string;
  /** Why it is wrong. */
  readonly reason: string;

  constructor(source: string, line: number, text: string, reason: string) {
    const where = source === "command line"
      ? `Reading the command line, at option ${line}`
      : `Reading the configuration file ${source}, at line ${line}`;
    super(
      line > 0
        ? `\n*** FATAL CONFIG FILE ERROR (Redeno) ***\n${where}\n>>> '${text}'\n${reason}`
        : reason,
    );
    this.name = "ConfigError";
    this.source = source;
    this.line = line;
    this.text = text;
    this.reason = reason;
  }
}

/** One directive line of a configuration text. */
interface ConfigLine {
  name: string;
  args: string[];
  line: number;
  text: string;
}

/** Splits a redis.conf text into directive lines; throws ConfigError on unbalanced quotes. */
function parseLines(text: string, source: string): ConfigLine[] {
  const nul = text.indexOf("\0");
  if (nul >= 0) text = text.slice(0, nul);
  const out: ConfigLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "" || line[0] === "#") continue;
    const args = splitArgs(line);
    if (args === null) {
      throw new ConfigError(source, i + 1, line, "Unbalanced quotes in configuration line");
    }
    if (args.length === 0) continue;
    out.push({ name: args[0].toLowerCase(), args: args.slice(1), line: i + 1, text: line });
  }
  return out;
}

/**
 * Parses redis.conf syntax: one directive per line, `#` comments, blank lines,
 * arguments split like Redis (quotes, escapes). Directive names come back in
 * lower case. Throws ConfigError (naming `source` and the line) on unbalanced quotes.
 *
 * @example
 * ```ts
 * parseConfigText('port 7000\nsave ""\n', "redis.conf"); // [["port", ["7000"]], ["save", [""]]]
 * ```
 */
export function parseConfigText(text: string, source: string): [string, string[]][] {
  return parseLines(text, source).map((l) => [l.name, l.args]);
}

/** Reads a file as a latin1 "one-byte" string. */
async function readLatin1(path: string): Promise<string> {
  return latin1Text(await Deno.readFile(path));
}

/** Reads and applies configuration lines, handling include and `save` accumulation. */
class Loader {
  #config: Config;
  #saveSeen = false;
  #depth = 0;

  constructor(config: Config) {
    this.#config = config;
  }

  async file(path: string): Promise<void> {
    let text: string;
    try {
      text = await readLatin1(path);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "No such file or directory"
        : e instanceof Deno.errors.PermissionDenied
        ? "Permission denied"
        : e instanceof Error
        ? e.message
        : String(e);
      throw new ConfigError(path, 0, "", `Fatal error, can't open config file '${path}': ${why}`);
    }
    await this.text(text, path);
  }

  async text(text: string, source: string): Promise<void> {
    for (const l of parseLines(text, source)) {
      if (l.name === "include" && l.args.length === 1) {
        if (this.#depth >= 16) {
          throw new ConfigError(source, l.line, l.text, "include nesting is too deep");
        }
        this.#depth++;
        await this.file(fsPath(l.args[0]));
        this.#depth--;
        continue;
      }
      this.apply(l, source);
    }
  }

  apply(l: ConfigLine, source: string): void {
    const fail = (reason: string) => {
      throw new ConfigError(source, l.line, l.text, reason);
    };
    if (l.name === "rename-command") {
      if (l.args.length !== 2) fail("wrong number of arguments");
      this.#config.renames.push({
        from: l.args[0],
        to: l.args[1],
        source,
        line: l.line,
        text: l.text,
      });
      return;
    }
    if (l.name === "user") {
      if (l.args.length < 1) fail("wrong number of arguments");
      if (this.#config.users.some((u) => u[0] === l.args[0])) {
        fail(
          `Error in user declaration '${
            l.args[0]
          }': Duplicate user found. A user can only be defined once in config files`,
        );
      }
      this.#config.users.push([...l.args]);
      return;
    }
    if (!findDirective(l.name)) {
      if (DEPRECATED[l.name] === l.args.length) return;
      if (["loadmodule", "sentinel"].includes(l.name)) {
        fail(`${l.name} is not supported by Redeno`);
      }
      fail("Bad directive or wrong number of arguments");
    }
    const isSave = findDirective(l.name)!.name === "save";
    const error = this.#config.applyDirective(l.name, l.args, isSave && this.#saveSeen);
    if (error) fail(error);
    if (isSave) this.#saveSeen = true;
  }
}

/**
 * The configuration text redis-server makes of its options (`--name value ...`), to be
 * read like a config file after it: each `--` token starts a line and goes in as written
 * (so "--maxmemory '700mb'" or a name with its values in one argument work as in a
 * file), each value goes in quoted, as it is. A name alone takes the next token as its
 * value even if it starts with "--"; `--save` followed by another option, or last, means
 * `--save ""`. Values before the first name make a line of their own, whose first value
 * is the name ("redeno redis.conf loglevel verbose").
 */
function optionsText(tokens: string[]): string {
  let text = "";
  // Whether the last name has a value yet: until then, a token is a value.
  let hasValue = true;
  for (let j = 0; j < tokens.length; j++) {
    const token = tokens[j];
    if (!hasValue || !token.startsWith("--")) {
      text += quoted(token) + " ";
      hasValue = true;
      continue;
    }
    if (text !== "") text += "\n";
    text += token.slice(2) + " ";
    // One word (as the config parser splits the whole token): a name without a value.
    hasValue = splitArgs(token)?.length !== 1;
    if (!hasValue && token.toLowerCase() === "--save") {
      const next = tokens[j + 1];
      if (next === undefined || next.startsWith("--")) {
        text += '""';
        hasValue = true;
      }
    }
  }
  return text;
}

/**
 * Reads the configuration the way redis-server reads its arguments: an optional
 * first argument naming a redis.conf file (one not starting with "-"), an optional
 * "-" (first or last) to read more configuration from stdin, then `--name value
 * [value ...]` options, which are applied after the file and so override it.
 * `--help`/`-h` and `--version`/`-v` as the first argument ask for help or the version.
 * Throws ConfigError for an unreadable file, an unknown directive, a wrong number
 * of arguments or a bad value.
 */
export async function loadConfig(argv: string[]): Promise<LoadResult> {
  const first = argv[0];
  if (first === "-v" || first === "--version") return { kind: "version" };
  if (first === "-h" || first === "--help") return { kind: "help" };

  const config = new Config();
  const loader = new Loader(config);
  let j = 0;
  let configFile: string | undefined;
  if (first !== undefined && !first.startsWith("-")) {
    configFile = absolutePath(first);
    await loader.file(first);
    j = 1;
  }
  // Values are bytes: an argument's are its UTF-8 bytes, as redis-server sees them.
  let rest = argv.slice(j).map(utf8Latin1);
  const stdinAt = rest.findIndex((t, i) => t === "-" && (i + j === 0 || i === rest.length - 1));
  if (stdinAt >= 0) {
    rest = rest.filter((_, i) => i !== stdinAt);
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    await loader.text(latin1Text(bytes), "stdin");
  }
  await loader.text(optionsText(rest), "command line");
  return configFile === undefined
    ? { kind: "config", config }
    : { kind: "config", config, configFile };
}

/** `path` made absolute against the current directory, `.` and `..` resolved (no symlinks). */
function absolutePath(path: string): string {
  const parts: string[] = [];
  const full = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The text for `redeno --help`. */
export function helpText(): string {
  return [
    "Usage: redeno [/path/to/redis.conf] [options] [-]",
    "       redeno -v or --version",
    "       redeno -h or --help",
    "",
    "Redeno reads redis.conf files. Every directive can also be given as an option,",
    "--name value [value ...], applied after the file so that it wins over it.",
    'A lone "-" reads more configuration from standard input.',
    "",
    "Examples:",
    "       redeno                                  (default configuration)",
    "       redeno /etc/redis/redis.conf",
    "       redeno --port 7777",
    "       redeno --port 7777 --dir /data --appendonly yes",
    "       redeno /etc/redeno.conf --loglevel verbose --save 900 1 --save 300 10",
    '       redeno --save ""                        (no RDB snapshots)',
    '       redeno redeno.conf "--maxmemory 100mb"  (a name and its value in one argument)',
    "       echo 'maxmemory 100mb' | redeno -",
    "",
    "CONFIG GET * lists every directive; CONFIG SET changes the mutable ones.",
    "Directives for features Redeno lacks (replication, client eviction, ...) accept",
    "only their default value; the README lists them.",
  ].join("\n");
}
