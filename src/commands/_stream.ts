// What the stream commands share: ID arguments, entry replies, node limits and the
// error strings Redis answers with.

import { perConfigChange } from "../config/mod.ts";
import type { NodeLimits, StreamValue } from "../store/stream.ts";
import {
  formatId,
  type IdSyntax,
  MAX_ID,
  parseId,
  type StreamId,
  U64_MAX,
} from "../store/stream_id.ts";
import type { Session } from "./context.ts";
import { cString } from "../util/latin1.ts";

export const ERR_INVALID_ID = "ERR Invalid stream ID specified as stream command argument";

/** An ID argument, or null after replying Redis's "Invalid stream ID" error. */
export function idOrReply(s: Session, text: string, syntax: IdSyntax): StreamId | null {
  const parsed = parseId(text, syntax);
  if (parsed === null || parsed.seqAuto) {
    s.reply.error(ERR_INVALID_ID);
    return null;
  }
  return parsed.id;
}

/**
 * A bound of an ID interval (XRANGE, XPENDING, XAUTOCLAIM): `-`, `+`, an ID (a missing
 * seq is 0 for a start, the largest for an end), or `(` and an ID for an exclusive
 * bound; null after replying an error.
 */
export function intervalOrReply(s: Session, text: string, isStart: boolean): StreamId | null {
  const missingSeq = isStart ? 0n : U64_MAX;
  if (text.length > 1 && text[0] === "(") {
    const id = idOrReply(s, text.slice(1), { missingSeq });
    if (id === null) return null;
    if (isStart ? id === MAX_ID : id === 0n) {
      s.reply.error(`ERR invalid ${isStart ? "start" : "end"} ID for the interval`);
      return null;
    }
    return isStart ? id + 1n : id - 1n;
  }
  return idOrReply(s, text, { missingSeq, minMax: true });
}

/** An ID where only `<ms>[-<seq>]` is accepted (missing seq: 0). */
export function strictIdOrReply(s: Session, text: string): StreamId | null {
  return idOrReply(s, text, { missingSeq: 0n });
}

const readNodeLimits = perConfigChange((config): NodeLimits => ({
  maxBytes: config.number("stream-node-max-bytes"),
  maxEntries: config.number("stream-node-max-entries"),
}));

/** The node limits in force (stream-node-max-bytes and -entries); not to be changed. */
export function nodeLimits(s: Session): NodeLimits {
  return readNodeLimits(s.server.config);
}

/** Replies with one entry: `[id, [field, value, ...]]` (`idText`: the ID's text, if known). */
export function replyEntry(
  s: Session,
  id: StreamId,
  pairs: readonly string[],
  idText = formatId(id),
): void {
  const reply = s.reply;
  reply.arrayLen(2);
  reply.bulk(idText);
  reply.arrayLen(pairs.length);
  for (let i = 0; i < pairs.length; i++) reply.bulk(pairs[i]);
}

/** An interval of entries: start..end (descending with `rev`), at most `count` (0: all). */
export interface EntryRange {
  start: StreamId;
  end: StreamId;
  rev: boolean;
  count: number;
}

/** The entries in a range: their IDs, field, value pairs and ID texts. */
export function collectEntries(
  stream: StreamValue,
  range: EntryRange,
): [StreamId, string[], string][] {
  const entries: [StreamId, string[], string][] = [];
  const { count } = range;
  stream.walk(range.start, range.end, range.rev, (entry) => {
    entries.push([entry.id, entry.pairs(), entry.idText()]);
    return count === 0 || entries.length < count;
  });
  return entries;
}

/** Replies with the entries of a range as an array. */
export function replyRange(s: Session, stream: StreamValue, range: EntryRange): void {
  const entries = collectEntries(stream, range);
  s.reply.arrayLen(entries.length);
  for (const [id, pairs, text] of entries) replyEntry(s, id, pairs, text);
}

/** XGROUP's and XINFO's error for a group the stream does not have. */
export function noGroupForKey(key: string, group: string): string {
  return `NOGROUP No such consumer group '${cString(group)}' for key name '${cString(key)}'`;
}
