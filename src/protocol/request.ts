// A request as a client sends it: a RESP array of bulk strings. The replication link
// sends its own commands this way, and a master streams its writes this way.

import { ReplyWriter } from "./reply_writer.ts";

// The reply writer already writes bulk strings fast (short ones byte by byte, long ones
// natively): requests are encoded with it, then copied out.
const scratch = new ReplyWriter();

/** `argv` (one-byte strings) as the bytes of a RESP multibulk request. */
export function encodeRequest(argv: readonly string[]): Uint8Array {
  scratch.arrayLen(argv.length);
  for (const arg of argv) scratch.bulk(arg);
  const view = scratch.take();
  const bytes = view.slice();
  scratch.release(view);
  return bytes;
}
