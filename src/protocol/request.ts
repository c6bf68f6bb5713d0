// A request as a client sends it: a RESP array of bulk strings. The replication link
// sends its own commands this way, and a master streams its writes this way.

import { latin1Bytes } from "../util/latin1.ts";

/** `argv` (one-byte strings) as the bytes of a RESP multibulk request. */
export function encodeRequest(argv: readonly string[]): Uint8Array {
  let text = `*${argv.length}\r\n`;
  for (const arg of argv) text += `$${arg.length}\r\n${arg}\r\n`;
  return latin1Bytes(text);
}
