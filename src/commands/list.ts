// The list commands (being written).

import type { CommandSpec } from "./context.ts";

/** The list commands. */
export const listCommands: CommandSpec[] = [];
