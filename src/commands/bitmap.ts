// Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD): being written now.

import type { CommandSpec } from "./context.ts";

/** The bitmap commands. */
export const bitmapCommands: CommandSpec[] = [];
