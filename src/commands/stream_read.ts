// XREAD and XREADGROUP: read entries after given IDs from several streams, for a
// consumer group when XREADGROUP, waiting for new entries with BLOCK.
//
// A blocked call is run again whenever one of its keys changes; `$` is replaced in its
// arguments by the ID it stood for when the call blocked, so the run again reads what
// came after that. On a run again, XREAD keeps waiting when a key is missing or holds
// another type; XREADGROUP answers that the key or the group is gone, as Redis does.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONG_TYPE } from "../protocol/errors.ts";
import { StreamValue } from "../store/stream.ts";
import {
  type Consumer,
  type ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  type PendingEntry,
} from "../store/stream_groups.ts";
import { formatId, MAX_ID, type StreamId } from "../store/stream_id.ts";
import { parseInteger } from "../util/int64.ts";
import { collectEntries, replyEntry, replyRange, strictIdOrReply } from "./_stream.ts";
import type { Session } from "./context.ts";
import { cString } from "../util/latin1.ts";

const ERR_UNBALANCED =
  "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
const ERR_DOLLAR_IN_GROUP =
  "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.";
const ERR_GT_WITHOUT_GROUP =
  "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.";
const ERR_KEY_GONE = "UNBLOCKED the stream key no longer exists";
const ERR_GROUP_GONE = "NOGROUP the consumer group this client was blocked on no longer exists";

/** Calls that are being run again after blocking. */
const waiting = new WeakSet<string[]>();

/** XREAD / XREADGROUP options, as parsed. */
export interface ReadArgs {
  /** BLOCK in ms (0: forever), or -1 without BLOCK. */
  block: number;
  /** COUNT (0: no limit). */
  count: number;
  group: string | null;
  consumer: string | null;
  noAck: boolean;
  /** Index of the first key; the IDs follow the keys. */
  keysAt: number;
  streams: number;
}

/** Parses the options of XREAD (`group` false) or XREADGROUP; null after an error. */
export function streamReadArgs(s: Session, argv: string[], group: boolean): ReadArgs | null {
  const out: ReadArgs = {
    block: -1,
    count: 0,
    group: null,
    consumer: null,
    noAck: false,
    keysAt: 0,
    streams: 0,
  };
  const name = group ? "XREADGROUP" : "XREAD";
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const option = argv[i].toLowerCase();
    if (option === "block" && more > 0) {
      if (s.inScript) {
        s.reply.error(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
        return null;
      }
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error("ERR timeout is not an integer or out of range");
        return null;
      }
      if (n < 0) {
        s.reply.error("ERR timeout is negative");
        return null;
      }
      out.block = Number(n);
    } else if (option === "count" && more > 0) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      out.count = n < 0 ? 0 : Number(n);
    } else if (option === "streams" && more > 0) {
      out.keysAt = i + 1;
      const rest = argv.length - out.keysAt;
      if (rest % 2 !== 0) {
        s.reply.error(ERR_UNBALANCED);
        return null;
      }
      out.streams = rest / 2;
      break;
    } else if (option === "group" && more >= 2) {
      if (!group) {
        s.reply.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return null;
      }
      out.group = argv[i + 1];
      out.consumer = argv[i + 2];
      i += 2;
    } else if (option === "noack") {
      if (!group) {
        s.reply.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return null;
      }
      out.noAck = true;
    } else {
      s.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  if (out.keysAt === 0) {
    s.reply.error(ERR_SYNTAX);
    return null;
  }
  if (group && out.group === null) {
    s.reply.error(`ERR Missing GROUP option for ${name}`);
    return null;
  }
  return out;
}

/** One stream of the call: its key, value, group and where to read from. */
interface Source {
  key: string;
  stream: StreamValue | undefined;
  group: ConsumerGroup | null;
  /** Read entries after this ID; with `fresh` (`>`), after the group's last ID. */
  after: StreamId;
  fresh: boolean;
}

/** Runs XREAD or XREADGROUP with parsed options. */
export function readStreams(s: Session, argv: string[], args: ReadArgs): void {
  const rerun = waiting.has(argv);
  // XREADGROUP propagates the deliveries it makes, never itself.
  if (args.group !== null) s.preventPropagation();
  const sources: Source[] = [];
  const { keysAt, streams, group: groupName } = args;
  for (let i = 0; i < streams; i++) {
    const key = argv[keysAt + i];
    const idText = argv[keysAt + streams + i];
    const value = s.db.get(key);
    let stream: StreamValue | undefined;
    if (value !== undefined) {
      if (value instanceof StreamValue) stream = value;
      else if (rerun) {
        if (groupName !== null) return finishWithError(s, argv, ERR_KEY_GONE);
      } else {
        s.reply.error(ERR_WRONG_TYPE);
        return;
      }
    }
    let group: ConsumerGroup | null = null;
    if (groupName !== null) {
      group = stream?.groups.get(groupName) ?? null;
      if (group === null) {
        if (rerun) {
          return finishWithError(s, argv, stream === undefined ? ERR_KEY_GONE : ERR_GROUP_GONE);
        }
        s.reply.error(
          `NOGROUP No such key '${cString(key)}' or consumer group '${
            cString(groupName)
          }' in XREADGROUP with GROUP option`,
        );
        return;
      }
    }
    if (cString(idText) === "$") {
      if (groupName !== null) {
        s.reply.error(ERR_DOLLAR_IN_GROUP);
        return;
      }
      sources.push({ key, stream, group, after: stream?.lastId ?? 0n, fresh: false });
      continue;
    }
    if (cString(idText) === ">") {
      if (groupName === null) {
        s.reply.error(ERR_GT_WITHOUT_GROUP);
        return;
      }
      sources.push({ key, stream, group, after: 0n, fresh: true });
      continue;
    }
    const id = strictIdOrReply(s, idText);
    if (id === null) return;
    sources.push({ key, stream, group, after: id, fresh: false });
  }

  // Serve what can be served now.
  const now = Date.now();
  const served: Source[] = [];
  // Run again for a write to one key: Redis serves that stream alone (once).
  const woken = rerun ? s.readyKey : null;
  for (const source of sources) {
    const { stream, group } = source;
    if (stream === undefined) continue;
    if (woken !== null && (source.key !== woken || served.length > 0)) continue;
    if (!source.fresh && group !== null) served.push(source);
    else if (hasEntriesAfter(stream, group === null ? source.after : group.lastId)) {
      served.push(source);
    }
  }
  if (served.length > 0) {
    waiting.delete(argv);
    const reply = s.reply;
    if (reply.resp === 3) reply.mapLen(served.length);
    else reply.arrayLen(served.length);
    for (const source of served) {
      if (reply.resp === 2) reply.arrayLen(2);
      reply.bulk(source.key);
      if (source.group === null) {
        replyRange(s, source.stream!, {
          start: source.after + 1n,
          end: MAX_ID,
          rev: false,
          count: args.count,
        });
      } else {
        serveGroup(s, source, args, now);
      }
    }
    return;
  }
  if (args.block >= 0) {
    // `$` becomes the ID it stands for now, so a run again reads what comes after it.
    for (let i = 0; i < streams; i++) {
      if (cString(argv[keysAt + streams + i]) === "$") {
        argv[keysAt + streams + i] = formatId(sources[i].after);
      }
    }
    if (s.block(sources.map((source) => source.key), args.block)) {
      waiting.add(argv);
      return;
    }
  }
  waiting.delete(argv);
  s.reply.nullArray();
}

// True when a live entry follows `after` (the last entry may have been deleted).
function hasEntriesAfter(stream: StreamValue, after: StreamId): boolean {
  if (stream.length === 0 || stream.lastId <= after) return false;
  return (stream.lastLiveId() ?? 0n) > after;
}

function finishWithError(s: Session, argv: string[], error: string): void {
  waiting.delete(argv);
  s.reply.error(error);
}

/**
 * XREADGROUP on one stream: new entries (`>`) are delivered, moving the group's last
 * ID and, unless NOACK, entering the pending lists; a history read answers the
 * consumer's pending entries from an ID (a deleted one with a null), counting a
 * delivery of each.
 */
function serveGroup(s: Session, source: Source, args: ReadArgs, now: number): void {
  const stream = source.stream!;
  const group = source.group!;
  const key = source.key;
  const { consumer, created } = consumerFor(s, key, group, args.consumer!, now);
  if (created) s.server.dirty++;
  // Without NOACK, the XCLAIMs of the deliveries create the consumer on replay.
  if (created && args.noAck) {
    s.propagateAs(["XGROUP", "CREATECONSUMER", key, group.name, consumer.name]);
  }
  if (!source.fresh) {
    replyHistory(s, stream, consumer, source.after, args.count, now);
    return;
  }
  const entries = collectEntries(stream, {
    start: group.lastId + 1n,
    end: MAX_ID,
    rev: false,
    count: args.count,
  });
  s.reply.arrayLen(entries.length);
  const replicating = s.server.replicating;
  for (const [id, pairs, text] of entries) {
    advanceGroup(stream, group, id);
    if (!args.noAck) {
      const nack = group.deliver(id, consumer, now, false);
      nack.deliveryCount = 1;
      if (replicating) s.propagateAs(claimForm(key, group, nack));
    }
    replyEntry(s, id, pairs, text);
  }
  if (entries.length > 0) {
    s.server.dirty++;
    if (args.noAck && replicating) {
      s.propagateAs([
        "XGROUP",
        "SETID",
        key,
        group.name,
        formatId(group.lastId),
        "ENTRIESREAD",
        String(group.entriesRead),
      ]);
    }
  }
}

/**
 * The consumer a read or a claim acts for, seen now; a new one is announced with
 * `xgroup-createconsumer`.
 */
export function consumerFor(
  s: Session,
  key: string,
  group: ConsumerGroup,
  name: string,
  now: number,
): { consumer: Consumer; created: boolean } {
  const found = group.consumer(name, now);
  found.consumer.seenTime = now;
  if (found.created) s.notify(NOTIFY.STREAM, "xgroup-createconsumer", key);
  return found;
}

/** Moves a group's last ID to `id`, keeping its read counter when it can. */
function advanceGroup(stream: StreamValue, group: ConsumerGroup, id: StreamId): void {
  if (id <= group.lastId) return;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !stream.hasTombstones(id)) {
    group.entriesRead++;
  } else if (stream.entriesAdded > 0) group.entriesRead = stream.entriesBefore(id);
  group.lastId = id;
}

/**
 * The XCLAIM that gives a replica (or the AOF) a pending entry as it stands: its
 * consumer, delivery time and count. `idText`: the ID as the client wrote it.
 */
export function claimForm(
  key: string,
  group: ConsumerGroup,
  nack: PendingEntry,
  idText = formatId(nack.id),
): string[] {
  return [
    "XCLAIM",
    key,
    group.name,
    nack.consumer.name,
    "0",
    idText,
    "TIME",
    String(nack.deliveryTime),
    "RETRYCOUNT",
    String(nack.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    formatId(group.lastId),
  ];
}

function replyHistory(
  s: Session,
  stream: StreamValue,
  consumer: Consumer,
  after: StreamId,
  count: number,
  now: number,
): void {
  const found: StreamId[] = [];
  consumer.pending.range(after + 1n, MAX_ID, (id) => {
    found.push(id);
    return count === 0 || found.length < count;
  });
  s.reply.arrayLen(found.length);
  for (const id of found) {
    const nack = consumer.pending.get(id)!;
    nack.deliveryTime = now;
    nack.deliveryCount++;
    const pairs = stream.get(id);
    if (pairs === null) {
      s.reply.arrayLen(2);
      s.reply.bulk(formatId(id));
      s.reply.nullArray();
    } else replyEntry(s, id, pairs);
  }
}
