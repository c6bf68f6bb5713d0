// Stream commands on entries: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID and
// XREAD. Consumer groups are in stream_groups.ts, XINFO in stream_info.ts.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NO_SUCH_KEY, ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import { StreamValue } from "../store/stream.ts";
import { formatId, MAX_ID, parseId, type StreamId } from "../store/stream_id.ts";
import { parseInteger } from "../util/int64.ts";
import {
  ERR_INVALID_ID,
  intervalOrReply,
  nodeLimits,
  replyRange,
  strictIdOrReply,
} from "./_stream.ts";
import { readTyped, writeTyped } from "./_lookup.ts";
import type { CommandSpec, Session } from "./context.ts";
import { familySpec, keyAt } from "./table.ts";
import { readStreams, streamReadArgs } from "./stream_read.ts";
import { cString } from "../util/latin1.ts";

const ERR_TRIM_BOTH =
  "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
const ERR_LIMIT_NO_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option";
const ERR_LIMIT_NO_STRATEGY =
  "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
const ERR_ID_TOO_SMALL =
  "ERR The ID specified in XADD is equal or smaller than the target stream top item";
const ERR_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0";
const ERR_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items";

/** The trimming and XADD options, as parsed. */
interface TrimArgs {
  strategy: "maxlen" | "minid" | null;
  maxLen: number;
  minId: StreamId;
  approx: boolean;
  /** Entries a `~` trim may remove at most (0: no limit). */
  limit: number;
  /** Index of the threshold argument (rewritten for propagation). */
  thresholdAt: number;
  noMkStream: boolean;
  /** XADD: index of the ID argument (argv.length when absent). */
  idAt: number;
}

/** XADD's arguments when the ID comes first: no options (shared, never changed). */
const PLAIN_XADD: Readonly<TrimArgs> = {
  strategy: null,
  maxLen: 0,
  minId: 0n,
  approx: false,
  limit: 0,
  thresholdAt: -1,
  noMkStream: false,
  idAt: 2,
};

/** Parses XADD's options before the ID, or XTRIM's; null after replying an error. */
function trimArgsOrReply(s: Session, argv: string[], xadd: boolean): TrimArgs | null {
  const out: TrimArgs = { ...PLAIN_XADD, idAt: argv.length };
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const option = argv[i].toLowerCase();
    if ((option === "maxlen" || option === "minid") && more > 0) {
      if (out.strategy !== null) {
        s.reply.error(ERR_TRIM_BOTH);
        return null;
      }
      out.strategy = option;
      const next = argv[i + 1];
      if (more >= 2 && next === "~") {
        out.approx = true;
        i++;
      } else if (more >= 2 && next === "=") i++;
      i++;
      out.thresholdAt = i;
      if (option === "maxlen") {
        const n = parseInteger(argv[i]);
        if (n === null) {
          s.reply.error(ERR_NOT_INTEGER);
          return null;
        }
        if (n < 0) {
          s.reply.error("ERR The MAXLEN argument must be >= 0.");
          return null;
        }
        out.maxLen = Number(n);
      } else {
        const id = strictIdOrReply(s, argv[i]);
        if (id === null) return null;
        out.minId = id;
      }
    } else if (option === "limit" && more > 0) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return null;
      }
      if (n < 0) {
        s.reply.error("ERR The LIMIT argument must be >= 0.");
        return null;
      }
      out.limit = Number(n);
      limitGiven = true;
    } else if (xadd && option === "nomkstream") {
      out.noMkStream = true;
    } else if (xadd) {
      out.idAt = i;
      break;
    } else {
      s.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  if (limitGiven && out.strategy === null) {
    s.reply.error(ERR_LIMIT_NO_STRATEGY);
    return null;
  }
  if (limitGiven && !out.approx && !s.mustObey) {
    s.reply.error(ERR_LIMIT_NO_APPROX);
    return null;
  }
  if (out.approx && !limitGiven) {
    out.limit = 100 * s.server.config.number("stream-node-max-entries");
    if (out.limit <= 0 || out.limit > 1_000_000) out.limit = 10_000;
  } else if (!out.approx && !limitGiven) out.limit = 0;
  return out;
}

/**
 * Trims as parsed; returns the entries removed. With `~`, the propagated form names
 * `=` and the threshold actually reached (the length, or the first ID kept, deleted
 * or not), so replicas and the AOF trim exactly as this did.
 */
function applyTrim(stream: StreamValue, args: TrimArgs, propagated: string[] | null): number {
  const removed = stream.trim({
    maxLen: args.strategy === "maxlen" ? args.maxLen : undefined,
    minId: args.strategy === "minid" ? args.minId : undefined,
    approx: args.approx,
    limit: args.limit,
  });
  if (args.approx && propagated !== null) {
    propagated[args.thresholdAt - 1] = "=";
    propagated[args.thresholdAt] = args.strategy === "maxlen"
      ? String(stream.length)
      : formatId(stream.nodes[0]?.master ?? MAX_ID);
  }
  return removed;
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ... */
function xadd(s: Session, argv: string[]): void {
  // An ID first (`*` or a digit) means no options: most XADDs are parsed no further.
  const first = argv[2].charCodeAt(0);
  const args = first === 42 || (first >= 48 && first <= 57)
    ? PLAIN_XADD
    : trimArgsOrReply(s, argv, true);
  if (args === null) return;
  const idText = argv[args.idAt];
  let given: { id: StreamId; seqAuto: boolean } | null = null;
  if (idText !== undefined && cString(idText) !== "*") {
    given = parseId(idText, { missingSeq: 0n, seqAuto: true });
    if (given === null) {
      s.reply.error(ERR_INVALID_ID);
      return;
    }
  }
  const fieldsAt = args.idAt + 1;
  const fieldArgs = argv.length - fieldsAt;
  if (fieldArgs < 2 || fieldArgs % 2 === 1) {
    s.reply.error("ERR wrong number of arguments for 'xadd' command");
    return;
  }
  if (given !== null && !given.seqAuto && given.id === 0n) {
    s.reply.error(ERR_ID_ZERO);
    return;
  }
  const key = argv[1];
  let stream = writeTyped(s, key, StreamValue);
  if (stream === null) return;
  if (stream === undefined) {
    if (args.noMkStream) {
      s.reply.null();
      return;
    }
  }
  if (stream !== undefined && stream.lastId === MAX_ID) {
    s.reply.error(ERR_EXHAUSTED);
    return;
  }
  const current = stream ?? new StreamValue();
  let added: boolean;
  if (given === null) added = current.appendNow(Date.now(), argv, nodeLimits(s), fieldsAt);
  else {
    const id = given.seqAuto
      ? current.nextId(0, given.id >> 64n)
      : given.id > current.lastId
      ? given.id
      : null;
    if (id !== null) current.append(id, argv, nodeLimits(s), fieldsAt);
    added = id !== null;
  }
  if (!added) {
    s.reply.error(ERR_ID_TOO_SMALL);
    return;
  }
  if (stream === undefined) {
    stream = current;
    s.db.set(key, stream);
  }
  // The ID taken, written from its numbers when they are exact (no string to build).
  const ms = stream.lastMsNumber;
  const seq = stream.lastSeqNumber;
  if (ms === ms && seq === seq) s.reply.bulkPair(ms, seq);
  else s.reply.bulk(stream.lastIdText());
  s.server.dirty++;
  s.notify(NOTIFY.STREAM, "xadd", key);
  // Rewritten only for a feed that reads it (the AOF, replicas).
  const propagated = s.server.replicating ? argv.slice() : null;
  // An ID chosen here (`*`, `<ms>-*`) is propagated as chosen; a given one as typed.
  if (propagated !== null && (given === null || given.seqAuto)) {
    propagated[args.idAt] = stream.lastIdText();
  }
  if (args.strategy !== null && applyTrim(stream, args, propagated) > 0) {
    s.notify(NOTIFY.STREAM, "xtrim", key);
  }
  if (propagated !== null) s.propagateAs(propagated);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
function xtrim(s: Session, argv: string[]): void {
  const args = trimArgsOrReply(s, argv, false);
  if (args === null) return;
  const stream = writeTyped(s, argv[1], StreamValue);
  if (stream === null) return;
  if (stream === undefined) {
    s.reply.integer(0);
    return;
  }
  const propagated = argv.slice();
  const removed = applyTrim(stream, args, propagated);
  s.reply.integer(removed);
  if (removed > 0) {
    s.server.dirty += removed;
    s.notify(NOTIFY.STREAM, "xtrim", argv[1]);
    s.propagateAs(propagated);
  }
}

/** XRANGE / XREVRANGE key start end [COUNT count] */
function xrange(s: Session, argv: string[], rev: boolean): void {
  const [startText, endText] = rev ? [argv[3], argv[2]] : [argv[2], argv[3]];
  const start = intervalOrReply(s, startText, true);
  if (start === null) return;
  const end = intervalOrReply(s, endText, false);
  if (end === null) return;
  let count = -1;
  for (let i = 4; i < argv.length; i++) {
    if (argv[i].toLowerCase() === "count" && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      count = n < 0 ? 0 : Number(n);
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const value = readTyped(s, argv[1], StreamValue);
  if (value === null) return;
  // A missing key answers an empty array, before a COUNT of 0 answers a null one.
  if (value === undefined) {
    s.reply.arrayLen(0);
    return;
  }
  if (count === 0) {
    s.reply.nullArray();
    return;
  }
  replyRange(s, value, { start, end, rev, count: Math.max(count, 0) });
}

/** XLEN key */
function xlen(s: Session, argv: string[]): void {
  const value = readTyped(s, argv[1], StreamValue);
  if (value !== null) s.reply.integer(value?.length ?? 0);
}

/** XDEL key id [id ...] */
function xdel(s: Session, argv: string[]): void {
  const stream = writeTyped(s, argv[1], StreamValue);
  if (stream === null) return;
  if (stream === undefined) {
    s.reply.integer(0);
    return;
  }
  // Every ID is checked first: the command runs whole or not at all.
  const ids: StreamId[] = [];
  for (let i = 2; i < argv.length; i++) {
    const id = strictIdOrReply(s, argv[i]);
    if (id === null) return;
    ids.push(id);
  }
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  s.reply.integer(deleted);
  if (deleted > 0) {
    s.server.dirty += deleted;
    s.notify(NOTIFY.STREAM, "xdel", argv[1]);
  }
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(s: Session, argv: string[]): void {
  // The last ID is no key change to WATCH (as in Redis).
  s.noKeyChanged();
  const id = strictIdOrReply(s, argv[2]);
  if (id === null) return;
  let entriesAdded = -1;
  let maxDeleted: StreamId | null = null;
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    const more = argv.length - 1 - i;
    if (option === "entriesadded" && more > 0) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 0) {
        s.reply.error("ERR entries_added must be positive");
        return;
      }
      entriesAdded = Number(n);
    } else if (option === "maxdeletedid" && more > 0) {
      maxDeleted = strictIdOrReply(s, argv[++i]);
      if (maxDeleted === null) return;
      if (id < maxDeleted) {
        s.reply.error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
        return;
      }
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const stream = writeTyped(s, argv[1], StreamValue);
  if (stream === null) return;
  if (stream === undefined) {
    s.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (stream.length > 0) {
    const top = stream.lastLiveId()!;
    if (id < top) {
      s.reply.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      s.reply.error(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
      return;
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (maxDeleted !== null) stream.maxDeletedId = maxDeleted;
  s.reply.ok();
  s.server.dirty++;
  s.notify(NOTIFY.STREAM, "xsetid", argv[1]);
}

/** XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...] */
function xread(s: Session, argv: string[]): void {
  const args = streamReadArgs(s, argv, false);
  if (args === null) return;
  readStreams(s, argv, args);
}

const spec = familySpec("stream", ["stream"]);
const KEY = { name: "key", type: "key", keySpecIndex: 0 } as const;

/** The stream entry commands. */
export const streamCommands: CommandSpec[] = [
  spec({
    name: "xadd",
    arity: -5,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [{
      notes: "UPDATE instead of INSERT because of the optional trimming feature",
      ...keyAt(1, ["RW", "update"]),
    }],
    tips: ["nondeterministic_output"],
    summary: "Appends an entry to a stream, creating it; answers the entry's ID.",
    since: "5.0.0",
    complexity:
      "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
    handler: xadd,
  }),
  spec({
    name: "xrange",
    arity: -4,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers the entries of a stream within a range of IDs.",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    args: [
      KEY,
      { name: "start", type: "string" },
      { name: "end", type: "string" },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: (s, argv) => xrange(s, argv, false),
  }),
  spec({
    name: "xrevrange",
    arity: -4,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    summary: "Answers the entries of a stream within a range of IDs, newest first.",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    args: [
      KEY,
      { name: "end", type: "string" },
      { name: "start", type: "string" },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: (s, argv) => xrange(s, argv, true),
  }),
  spec({
    name: "xlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keyAt(1, ["RO"])],
    summary: "Answers the number of entries in a stream.",
    since: "5.0.0",
    complexity: "O(1)",
    args: [KEY],
    handler: xlen,
  }),
  spec({
    name: "xdel",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    summary: "Deletes entries from a stream; answers how many were deleted.",
    since: "5.0.0",
    complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
    args: [KEY, { name: "id", type: "string", multiple: true }],
    handler: xdel,
  }),
  spec({
    name: "xtrim",
    arity: -4,
    flags: ["write"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    tips: ["nondeterministic_output"],
    summary: "Removes a stream's oldest entries; answers how many were removed.",
    since: "5.0.0",
    complexity:
      "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
    handler: xtrim,
  }),
  spec({
    name: "xsetid",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keyAt(1, ["RW", "update"])],
    summary: "Sets a stream's last ID (and its added and deleted markers).",
    since: "5.0.0",
    complexity: "O(1)",
    handler: xsetid,
  }),
  spec({
    name: "xread",
    arity: -4,
    flags: ["readonly", "blocking"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: ["stream", "blocking"],
    keySpecs: [{
      flags: ["RO", "access"],
      begin: { keyword: "STREAMS", startFrom: 1 },
      find: { range: { lastKey: -1, step: 1, limit: 2 } },
    }],
    summary: "Reads entries from streams after given IDs, optionally waiting for new ones.",
    since: "5.0.0",
    complexity:
      "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
    handler: xread,
  }),
];
