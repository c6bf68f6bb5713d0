// The Config class: the current value of every directive, typed reads, CONFIG GET
// matching, CONFIG SET (all or nothing, with change listeners) and applying loaded lines.
import { splitArgs } from "../protocol/split_args.ts";
import { globMatch } from "../util/glob.ts";
import { ALL_NAMES, BY_NAME, type Directive, DIRECTIVES, findDirective } from "./directives.ts";
import {
  type OutputBufferLimits,
  type Parsed,
  parseOutputBufferLimits,
  parseSave,
  parseValue,
  type SaveRule,
} from "./parsers.ts";
import { cString } from "../util/latin1.ts";

/** Options of Config.set. */
export interface SetOptions {
  /** The client is connected from the local host (for enable-protected-configs local). */
  local?: boolean;
}

/** Called after CONFIG SET changed a directive; returning a string fails and undoes the SET. */
export type ChangeListener = (value: string, name: string) => string | void | null;

const DEFAULTS = new Map<string, Parsed>();

/** For a directive that takes only its default value, why `parsed` is refused; else null. */
function refuseNonDefault(d: Directive, parsed: Parsed): string | null {
  if (d.onlyDefault === undefined) return null;
  const text = DEFAULTS.get(d.name)!.text;
  if (parsed.text === text) return null;
  return text === "" ? d.onlyDefault : `${d.onlyDefault} (only the default '${text}' is accepted)`;
}

/** A `rename-command` line: applied to the command table when the server starts. */
export interface CommandRename {
  from: string;
  /** The new name; "" disables the command. */
  to: string;
  /** Where it was read, for the start-up error when it cannot be applied. */
  source: string;
  line: number;
  text: string;
}

/**
 * The server's configuration: typed values for every directive of DIRECTIVES,
 * starting from Redis 7.0.15's defaults.
 *
 * @example
 * ```ts
 * const config = new Config();
 * config.set([["maxmemory", "100mb"]]); // null: success
 * config.number("maxmemory"); // 104857600
 * config.get("save"); // "3600 1 300 100 60 10000"
 * ```
 */
/**
 * A value worked out from the config, worked out again only once the config changed
 * (a command's hot path reads it with one comparison). The value is shared: callers
 * must not change it.
 */
export function perConfigChange<T>(read: (config: Config) => T): (config: Config) => T {
  let seen = -1;
  let source: Config | null = null;
  let value: T;
  return (config) => {
    if (config.generation !== seen || config !== source) {
      value = read(config);
      seen = config.generation;
      source = config;
    }
    return value;
  };
}

export class Config {
  /** The `rename-command` lines, in the order read. */
  readonly renames: CommandRename[] = [];
  /** `user` directives in order: the user name, then its rules. */
  readonly users: string[][] = [];
  #values = new Map<string, Parsed>();
  #numbers = new Map<string, number>();
  #generation = 0;
  #listeners = new Map<string, ChangeListener[]>();

  constructor() {
    for (const d of DIRECTIVES) {
      let parsed = d.name === "dir" ? undefined : DEFAULTS.get(d.name);
      if (!parsed) {
        const args = d.multiArg ? d.default.split(" ") : [d.default];
        const result = parseValue(d, args, false);
        if (typeof result === "string") throw new Error(`bad default for ${d.name}: ${result}`);
        parsed = result;
        if (d.name !== "dir") DEFAULTS.set(d.name, parsed);
      }
      this.#values.set(d.name, parsed);
      this.#changed();
    }
  }

  /** CONFIG GET's text for a directive (any case, aliases too), or undefined if unknown. */
  get(name: string): string | undefined {
    const d = findDirective(name);
    return d ? this.#values.get(d.name)!.text : undefined;
  }

  /**
   * Goes up whenever a value changes: a hot path can keep values it read until then
   * (one comparison instead of a lookup per read).
   */
  get generation(): number {
    return this.#generation;
  }

  #changed(): void {
    this.#numbers.clear();
    this.#generation++;
  }

  /** The value of an int, memory or bool (1/0) directive, or the notify-keyspace-events flags. */
  number(name: string): number {
    // Commands read limits on every call: remember answers by the exact name asked.
    const cached = this.#numbers.get(name);
    if (cached !== undefined) return cached;
    const n = this.#parsed(name).num;
    if (n === undefined) throw new Error(`config ${name} is not a number`);
    this.#numbers.set(name, n);
    return n;
  }

  /** The value of a bool directive. */
  bool(name: string): boolean {
    const d = this.#directive(name);
    if (d.type !== "bool") throw new Error(`config ${name} is not a bool`);
    return this.#values.get(d.name)!.num === 1;
  }

  /** The text of a directive (strings and enums; any directive's CONFIG GET form). */
  string(name: string): string {
    return this.#parsed(name).text;
  }

  /** The snapshot rules from `save`. */
  saveRules(): SaveRule[] {
    return (this.#values.get("save")!.value as SaveRule[]).map((r) => ({ ...r }));
  }

  /** The addresses from `bind`, as written (`*`, `-::1`, ...). */
  bindAddresses(): string[] {
    return [...this.#values.get("bind")!.value as string[]];
  }

  /** The client-output-buffer-limit settings per client class. */
  outputBufferLimits(): OutputBufferLimits {
    return structuredClone(
      this.#values.get("client-output-buffer-limit")!.value as OutputBufferLimits,
    );
  }

  /**
   * CONFIG GET: [name, value] pairs for one or more names or glob patterns. A
   * pattern (with `*`, `?` or `[`) is matched without case against every name,
   * aliases included; a plain name is looked up and echoed as given. Each name
   * appears once, in table order for patterns.
   */
  match(patterns: string | string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    for (const pattern of typeof patterns === "string" ? [patterns] : patterns) {
      if (!/[[*?]/.test(pattern)) {
        const key = pattern.toLowerCase();
        const d = BY_NAME.get(key);
        if (d && !seen.has(key)) {
          seen.add(key);
          out.push([pattern, this.#values.get(d.name)!.text]);
        }
        continue;
      }
      for (const name of ALL_NAMES) {
        if (seen.has(name) || !globMatch(pattern, name, true)) continue;
        seen.add(name);
        out.push([name, this.#values.get(BY_NAME.get(name)!.name)!.text]);
      }
    }
    return out;
  }

  /**
   * CONFIG SET with one or more [name, value] pairs, all or nothing. Returns null
   * on success, or Redis's error text (without the leading "-"). Listeners run
   * after every value is in place, and only for values that changed.
   */
  set(pairs: [string, string][], options: SetOptions = {}): string | null {
    const failed = (name: string, why: string) =>
      `ERR CONFIG SET failed (possibly related to argument '${cString(name)}') - ${why}`;
    const protectedOk = this.string("enable-protected-configs") === "yes" ||
      (this.string("enable-protected-configs") === "local" && options.local === true);
    const todo: { key: string; d: Directive; value: string }[] = [];
    for (const [name, value] of pairs) {
      const key = name.toLowerCase();
      const d = BY_NAME.get(key);
      if (!d) {
        return `ERR Unknown option or number of arguments for CONFIG SET - '${cString(name)}'`;
      }
      if (!d.mutable) return failed(name, "can't set immutable config");
      if (d.protected && !protectedOk) return failed(name, "can't set protected config");
      if (todo.some((t) => t.key === key)) return failed(name, "duplicate parameter");
      todo.push({ key, d, value });
    }

    const parsed: Parsed[] = [];
    for (const { key, d, value } of todo) {
      // Redis splits several-argument values on single spaces.
      const args = d.multiArg ? (value === "" ? [] : value.split(" ")) : [value];
      const result = d.name === "client-output-buffer-limit"
        ? parseOutputBufferLimits(args, true, this.outputBufferLimits())
        : parseValue(d, args, true);
      if (typeof result === "string") return failed(key, result);
      const refused = refuseNonDefault(d, result);
      if (refused) return failed(key, refused);
      parsed.push(result);
    }

    const old = new Map<string, Parsed>();
    todo.forEach(({ d }, i) => {
      if (!old.has(d.name)) old.set(d.name, this.#values.get(d.name)!);
      this.#values.set(d.name, parsed[i]);
      this.#changed();
    });
    const notified: string[] = [];
    for (const { key, d } of todo) {
      if (notified.includes(d.name) || this.#values.get(d.name)!.text === old.get(d.name)!.text) {
        continue;
      }
      notified.push(d.name);
      const error = this.#notify(d.name);
      if (error) {
        // Undo everything, and tell the listeners that already saw a new value.
        for (const [name, value] of old) this.#values.set(name, value);
        this.#changed();
        for (const name of notified) this.#notify(name);
        return failed(key, error);
      }
    }
    return null;
  }

  /**
   * Registers `fn` to run when CONFIG SET changes `name` (canonical or alias). It
   * may return an error text to refuse the change (for example when a new port
   * cannot be bound); the whole CONFIG SET is then undone. Returns a function that
   * removes the listener.
   */
  onChange(name: string, fn: ChangeListener): () => void {
    const d = this.#directive(name);
    const list = this.#listeners.get(d.name) ?? [];
    list.push(fn);
    this.#listeners.set(d.name, list);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /**
   * Applies one directive as read from redis.conf or the command line (no listeners,
   * immutable directives allowed). `accumulate` makes `save` add to the rules already
   * set rather than replace them. Returns an error reason, or null.
   */
  applyDirective(name: string, args: string[], accumulate = false): string | null {
    const d = findDirective(name);
    if (!d) return "Bad directive or wrong number of arguments";
    if (!d.multiArg && args.length !== 1) return "wrong number of arguments";
    if (d.multiArg && args.length === 1 && args[0] !== "") {
      // Redis 7 lets a several-argument directive come as one quoted string.
      const split = splitArgs(args[0]);
      if (split === null) return "Unbalanced quotes in configuration line";
      args = split;
    }
    if (d.name === "save" && accumulate && !(args.length === 1 && args[0] === "")) {
      const check = parseSave(args);
      if (typeof check === "string") return check;
      args = [...this.#values.get("save")!.text.split(" ").filter((a) => a !== ""), ...args];
    }
    const result = d.name === "client-output-buffer-limit"
      ? parseOutputBufferLimits(args, false, this.outputBufferLimits())
      : parseValue(d, args, false);
    if (typeof result === "string") return result;
    const refused = refuseNonDefault(d, result);
    if (refused) return refused;
    this.#values.set(d.name, result);
    this.#changed();
    return null;
  }

  #notify(name: string): string | null {
    const text = this.#values.get(name)!.text;
    for (const fn of this.#listeners.get(name) ?? []) {
      const error = fn(text, name);
      if (typeof error === "string") return error;
    }
    return null;
  }

  #directive(name: string): Directive {
    const d = findDirective(name);
    if (!d) throw new Error(`unknown config ${name}`);
    return d;
  }

  #parsed(name: string): Parsed {
    return this.#values.get(this.#directive(name).name)!;
  }
}
