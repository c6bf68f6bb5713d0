// The sorted_set commands (being written).

import type { CommandSpec } from "./context.ts";

/** The sorted_set commands. */
export const sortedSetCommands: CommandSpec[] = [];
