// The command table as data: lookup by name (any letter case), and the facts every
// consumer derives from a record (full name, keys of a call, COMMAND INFO flags).

import type { CommandSpec } from "./context.ts";

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

  /** All top-level commands. */
  all(): IterableIterator<CommandSpec> {
    return this.byName.values();
  }
}

/** The subcommand of a container command named by argv[1], or undefined. */
export function findSubcommand(spec: CommandSpec, name: string): CommandSpec | undefined {
  const lower = name.toLowerCase();
  return spec.subcommands?.find((sub) => sub.name === lower);
}

/** Positions of the key arguments of one call, from the spec's first/last/step. */
export function keyPositions(spec: CommandSpec, argc: number): number[] {
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const positions: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += spec.step) positions.push(i);
  return positions;
}
