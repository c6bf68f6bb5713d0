// The command table as data: lookup by name (any letter case), and the facts every
// consumer derives from a record (full name, keys of a call, COMMAND INFO flags).

import {
  type ArgDoc,
  BIT_TIMED_WHEN_SLOW,
  type CommandGroup,
  type CommandSpec,
  flagBits,
  type KeySpec,
} from "./context.ts";

/** Commands by lowercase name, plus an uppercase alias of each for the common case. */
export class CommandTable {
  readonly byName = new Map<string, CommandSpec>();
  readonly #fast = new Map<string, CommandSpec>();
  // The last name looked up and its record (see lookup).
  #lastName = "";
  #lastSpec: CommandSpec | undefined = undefined;

  constructor(specs: readonly CommandSpec[]) {
    for (const given of specs) {
      const spec = uniformRecord(given);
      this.byName.set(spec.name, spec);
      this.#fast.set(spec.name, spec);
      this.#fast.set(spec.name.toUpperCase(), spec);
    }
  }

  /**
   * rename-command: the command answers to `to` instead of its name (statistics and
   * COMMAND INFO keep the name it was born with); an empty `to` disables it. Returns
   * Redis's reason when it cannot be done.
   */
  rename(from: string, to: string): string | null {
    const spec = this.byName.get(from.toLowerCase());
    if (spec === undefined) return "No such command in rename-command";
    const target = to.toLowerCase();
    if (to !== "" && this.byName.has(target)) return "Target command name already exists";
    this.#lastName = "";
    this.#lastSpec = undefined;
    for (const [name, entry] of this.byName) if (entry === spec) this.byName.delete(name);
    for (const [name, entry] of this.#fast) if (entry === spec) this.#fast.delete(name);
    if (to !== "") {
      this.byName.set(target, spec);
      this.#fast.set(target, spec);
      this.#fast.set(target.toUpperCase(), spec);
    }
    return null;
  }

  /** The command named by argv[0], or undefined; tries the exact text first. */
  lookup(name: string): CommandSpec | undefined {
    // The decoder hands out one string for a name that repeats (a pipeline's), so the
    // last answer is found by identity, before the Map hashes and compares the name.
    if (name === this.#lastName) return this.#lastSpec;
    const spec = this.#fast.get(name) ?? this.byName.get(name.toLowerCase());
    if (spec !== undefined) {
      this.#lastName = name;
      this.#lastSpec = spec;
    }
    return spec;
  }
}

/**
 * A copy of a command record with every field of CommandSpec present, in one order,
 * and its flag bits filled in. The records are written as object literals, each with
 * the optional fields it needs, so V8 gives nearly every one a hidden class of its own;
 * dispatch reads the same fields of whichever record a call names, and once a reading
 * site has met more than four classes it falls back to a generic look-up (measured:
 * after the benchmark's mix of commands, PFCOUNT with -P 16 spent 8% more CPU than on
 * a server that had only run it). One shape keeps every such read a single load.
 */
function uniformRecord(spec: CommandSpec): CommandSpec {
  return {
    name: spec.name,
    arity: spec.arity,
    flags: spec.flags,
    bits: flagBits(spec.flags) | (spec.timedWhenSlow ? BIT_TIMED_WHEN_SLOW : 0),
    aclId: -1,
    categories: spec.categories,
    firstKey: spec.firstKey,
    lastKey: spec.lastKey,
    step: spec.step,
    group: spec.group,
    summary: spec.summary,
    since: spec.since,
    complexity: spec.complexity,
    docFlags: spec.docFlags,
    deprecatedSince: spec.deprecatedSince,
    replacedBy: spec.replacedBy,
    history: spec.history,
    keySpecs: spec.keySpecs,
    getKeys: spec.getKeys,
    beyondKeys: spec.beyondKeys,
    timedWhenSlow: spec.timedWhenSlow,
    scriptMayWrite: spec.scriptMayWrite,
    scriptDeniesOom: spec.scriptDeniesOom,
    scriptFlags: spec.scriptFlags,
    tips: spec.tips,
    protectedBy: spec.protectedBy,
    args: spec.args,
    handler: spec.handler,
    subcommands: spec.subcommands?.map(uniformRecord),
  } satisfies { [K in keyof Required<CommandSpec>]: CommandSpec[K] };
}

/**
 * The record a call runs: for a container called with a subcommand (CONFIG GET), that
 * subcommand; for any other call, the command itself (a bare COMMAND runs COMMAND's
 * own handler). Undefined when the container has no such subcommand, or needs one
 * (a bare CONFIG).
 */
export function callTarget(spec: CommandSpec, argv: readonly string[]): CommandSpec | undefined {
  if (spec.subcommands === undefined || (argv.length < 2 && spec.handler !== undefined)) {
    return spec;
  }
  return argv.length < 2 ? undefined : findSubcommand(spec, argv[1]);
}

/** A command's name as Redis reports it: `name`, or `container|subcommand`. */
export function fullNameOf(top: CommandSpec, spec: CommandSpec): string {
  return spec === top ? top.name : `${top.name}|${spec.name}`;
}

/** Redis's arity rule: N means exactly N arguments (name included), -N at least N. */
export function arityAccepts(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}

/** The subcommand of a container command named by argv[1], or undefined. */
export function findSubcommand(spec: CommandSpec, name: string): CommandSpec | undefined {
  const lower = name.toLowerCase();
  return spec.subcommands?.find((sub) => sub.name === lower);
}

/** The key specs of a command: its own, or one derived from firstKey/lastKey/step. */
export function keySpecsOf(spec: CommandSpec): readonly KeySpec[] {
  if (spec.keySpecs !== undefined) return spec.keySpecs;
  if (spec.firstKey === 0) return [];
  const write = spec.flags.includes("write");
  return [{
    flags: write ? ["RW", "update"] : ["RO", "access"],
    begin: { index: spec.firstKey },
    find: {
      range: {
        lastKey: spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey,
        step: spec.step,
        limit: 0,
      },
    },
  }];
}

/** One key of a call: its position in argv and the flags of the spec that found it. */
export interface KeyAt {
  index: number;
  flags: readonly string[];
}

/** The keys of one call, found through the command's key specs, in argument order. */
export function keysOf(spec: CommandSpec, argv: readonly string[]): KeyAt[] {
  return findKeys(spec, argv, false) ?? [];
}

/**
 * Like `keysOf`, but null when a key spec does not fit the call (a key count that is
 * not a positive integer or runs past the arguments, a range past the end): COMMAND
 * GETKEYS then finds no keys, as Redis does. A keyword that is absent is no error.
 */
export function keysOfCall(spec: CommandSpec, argv: readonly string[]): KeyAt[] | null {
  return findKeys(spec, argv, true);
}

function findKeys(spec: CommandSpec, argv: readonly string[], strict: boolean): KeyAt[] | null {
  if (spec.getKeys !== undefined) return spec.getKeys(argv);
  const found: KeyAt[] = [];
  const argc = argv.length;
  for (const ks of keySpecsOf(spec)) {
    let first: number;
    if ("index" in ks.begin) first = ks.begin.index;
    else if ("keyword" in ks.begin) {
      first = keywordEnd(argv, ks.begin.keyword, ks.begin.startFrom);
      if (first < 0) continue;
    } else continue;
    let last: number;
    let step: number;
    if ("unknown" in ks.find) continue;
    if ("range" in ks.find) {
      const { lastKey, limit } = ks.find.range;
      step = ks.find.range.step;
      if (lastKey >= 0) last = first + lastKey;
      else if (limit > 1) last = first + Math.floor((argc - first) / limit) - 1;
      else last = argc + lastKey;
    } else {
      const { keyNumIndex, firstKey } = ks.find.keynum;
      step = ks.find.keynum.step;
      const text = argv[first + keyNumIndex];
      const count = text !== undefined && /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : -1;
      if (count < 0) {
        if (strict) return null;
        continue;
      }
      first += firstKey;
      last = first + count - 1;
    }
    if (first >= argc || last < first || last >= argc) {
      if (strict) return null;
      last = Math.min(last, argc - 1);
    }
    const flags = ks.flagsOf?.(argv) ?? ks.flags;
    for (let i = first; i <= last; i += Math.max(step, 1)) found.push({ index: i, flags });
  }
  found.sort((a, b) => a.index - b.index);
  return found;
}

// The index just past `keyword` (any letter case), searched forwards from `startFrom`,
// or backwards from the end when it is negative; -1 when absent.
function keywordEnd(argv: readonly string[], keyword: string, startFrom: number): number {
  const lower = keyword.toLowerCase();
  if (startFrom >= 0) {
    for (let i = startFrom; i < argv.length; i++) {
      if (argv[i].toLowerCase() === lower) return i + 1;
    }
  } else {
    for (let i = argv.length + startFrom; i > 0; i--) {
      if (argv[i].toLowerCase() === lower) return i + 1;
    }
  }
  return -1;
}

/** A key spec for the key at argument `index` and, with `lastKey`, those after it. */
export function keyAt(index: number, flags: readonly string[], lastKey = 0, step = 1): KeySpec {
  return { flags, begin: { index }, find: { range: { lastKey, step, limit: 0 } } };
}

/** A key spec for keys counted by the argument at `index`, right after it (ZUNION, ZMPOP). */
export function countedKeys(index: number, flags: readonly string[]): KeySpec {
  return { flags, begin: { index }, find: { keynum: { keyNumIndex: 0, firstKey: 1, step: 1 } } };
}

/** A command record without what a family fills in (see `familySpec`). */
export type FamilyFields =
  & Omit<CommandSpec, "firstKey" | "lastKey" | "step" | "group" | "categories">
  & Partial<Pick<CommandSpec, "firstKey" | "lastKey" | "step" | "categories">>;

/**
 * A record builder for one command family: its group, its ACL categories unless a
 * record names its own, and one key at argument 1 unless the record says otherwise.
 */
export function familySpec(
  group: CommandGroup,
  categories?: readonly string[],
): (fields: FamilyFields) => CommandSpec {
  return (fields) => ({
    firstKey: 1,
    lastKey: 1,
    step: 1,
    ...fields,
    group,
    categories: fields.categories ?? categories,
  });
}

/**
 * A COMMAND DOCS argument that is one of several keywords (`ON|OFF`, `LEFT|RIGHT`):
 * each token's lowercase form is its name.
 */
export function tokenChoice(
  name: string,
  tokens: readonly string[],
  options: { optional?: boolean; token?: string } = {},
): ArgDoc {
  return {
    name,
    type: "oneof",
    ...options,
    arguments: tokens.map((token) => ({
      name: token.toLowerCase(),
      type: "pure-token" as const,
      token,
    })),
  };
}
