// The set commands (being written).

import type { CommandSpec } from "./context.ts";

/** The set commands. */
export const setCommands: CommandSpec[] = [];
