// The HELP subcommand reply shared by container commands (CLIENT HELP, CONFIG HELP ...).

import type { Session } from "./context.ts";

/** Replies with help lines as an array of simple strings, as Redis does. */
export function replyHelp(s: Session, lines: readonly string[]): void {
  s.reply.arrayLen(lines.length + 2);
  for (const line of lines) s.reply.simple(line);
  s.reply.simple("HELP");
  s.reply.simple("    Print this help.");
}
