// Placeholder until the command family lands (being written now).

import type { CommandSpec } from "./context.ts";

/** Commands of this family. */
export const commandCommands: CommandSpec[] = [];
