// The command table as data: lookup by name (any letter case), and the facts every
// consumer derives from a record (full name, keys of a call, COMMAND INFO flags).

import type { CommandGroup, CommandSpec, KeySpec } from "./context.ts";

/** Commands by lowercase name, plus an uppercase alias of each for the common case. */
export class CommandTable {
  readonly byName = new Map<string, CommandSpec>();
  readonly #fast = new Map<string, CommandSpec>();

  constructor(specs: readonly CommandSpec[]) {
    for (const spec of specs) {
      this.byName.set(spec.name, spec);
      this.#fast.set(spec.name, spec);
      this.#fast.set(spec.name.toUpperCase(), spec);
    }
  }

  /** The command named by argv[0], or undefined; tries the exact text first. */
  lookup(name: string): CommandSpec | undefined {
    return this.#fast.get(name) ?? this.byName.get(name.toLowerCase());
  }
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
  const found: KeyAt[] = [];
  const argc = argv.length;
  for (const ks of keySpecsOf(spec)) {
    let begin: number;
    if ("index" in ks.begin) begin = ks.begin.index;
    else {
      const { keyword, startFrom } = ks.begin;
      const lower = keyword.toLowerCase();
      begin = -1;
      if (startFrom >= 0) {
        for (let i = startFrom; i < argc; i++) {
          if (argv[i].toLowerCase() === lower) {
            begin = i + 1;
            break;
          }
        }
      } else {
        for (let i = argc + startFrom; i > 0; i--) {
          if (argv[i].toLowerCase() === lower) {
            begin = i + 1;
            break;
          }
        }
      }
      if (begin < 0) continue;
    }
    if ("range" in ks.find) {
      const { lastKey, step, limit } = ks.find.range;
      let last = lastKey >= 0 ? begin + lastKey : argc + lastKey;
      if (lastKey < 0 && limit > 1) last = begin + Math.floor((argc - begin) / limit) - 1;
      for (let i = begin; i <= last && i < argc; i += Math.max(step, 1)) {
        found.push({ index: i, flags: ks.flags });
      }
    } else {
      const { keyNumIndex, firstKey, step } = ks.find.keynum;
      const count = Number(argv[begin + keyNumIndex]);
      if (!Number.isInteger(count) || count <= 0) continue;
      const first = begin + firstKey;
      for (let n = 0, i = first; n < count && i < argc; n++, i += Math.max(step, 1)) {
        found.push({ index: i, flags: ks.flags });
      }
    }
  }
  found.sort((a, b) => a.index - b.index);
  return found;
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
