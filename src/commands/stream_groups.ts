// Consumer-group commands: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
//
// XREADGROUP, XCLAIM and XAUTOCLAIM are never propagated as sent: each delivery or
// claim goes to the AOF (and replicas) as an XCLAIM ... FORCE JUSTID LASTID that
// recreates the pending entry exactly, and a NOACK read as XGROUP SETID.

import { NOTIFY } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import { StreamValue } from "../store/stream.ts";
import {
  type Consumer,
  ConsumerGroup,
  ENTRIES_READ_UNKNOWN,
  type PendingEntry,
} from "../store/stream_groups.ts";
import { formatId, MAX_ID, parseId, type StreamId } from "../store/stream_id.ts";
import { parseInteger } from "../util/int64.ts";
import {
  idOrReply,
  intervalOrReply,
  noGroupForKey,
  replyEntry,
  strictIdOrReply,
} from "./_stream.ts";
import { writeTyped } from "./_lookup.ts";
import type { CommandSpec, Session } from "./context.ts";
import { claimForm, consumerFor, readStreams, streamReadArgs } from "./stream_read.ts";
import { familySpec, keyAt } from "./table.ts";
import { replyHelp } from "./_help.ts";
import { cString } from "../util/latin1.ts";

const ERR_KEY_REQUIRED =
  "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

function noGroup(key: string, group: string): string {
  return `NOGROUP No such key '${cString(key)}' or consumer group '${cString(group)}'`;
}

function badSubcommandArgs(name: string): string {
  return `ERR unknown subcommand or wrong number of arguments for '${
    cString(name)
  }'. Try XGROUP HELP.`;
}

/** The stream and group of a command that needs both; null after replying. */
function streamAndGroup(
  s: Session,
  key: string,
  groupName: string,
): { stream: StreamValue; group: ConsumerGroup } | null {
  const stream = writeTyped(s, key, StreamValue);
  if (stream === null) return null;
  const group = stream?.groups.get(groupName);
  if (stream === undefined || group === undefined) {
    s.reply.error(noGroup(key, groupName));
    return null;
  }
  return { stream, group };
}

/** ENTRIESREAD's value, or null after replying. */
function entriesReadOrReply(s: Session, text: string): number | null {
  const n = parseInteger(text);
  if (n === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return null;
  }
  if (n < -1) {
    s.reply.error("ERR value for ENTRIESREAD must be positive or -1");
    return null;
  }
  return Number(n);
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] */
function xgroupCreate(s: Session, argv: string[]): void {
  const [, , key, name, idText] = argv;
  let mkStream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (option === "mkstream") mkStream = true;
    else if (option === "entriesread" && i + 1 < argv.length) {
      const n = entriesReadOrReply(s, argv[++i]);
      if (n === null) return;
      entriesRead = n;
    } else {
      s.reply.error(badSubcommandArgs("CREATE"));
      return;
    }
  }
  let stream = writeTyped(s, key, StreamValue);
  if (stream === null) return;
  if (stream === undefined && !mkStream) {
    s.reply.error(ERR_KEY_REQUIRED);
    return;
  }
  let id: StreamId;
  if (cString(idText) === "$") id = stream?.lastId ?? 0n;
  else {
    const parsed = strictIdOrReply(s, idText);
    if (parsed === null) return;
    id = parsed;
  }
  if (stream?.groups.has(name)) {
    s.reply.error("BUSYGROUP Consumer Group name already exists");
    return;
  }
  // A stream MKSTREAM creates is a change; a new group alone is none to WATCH.
  if (stream === undefined) {
    stream = new StreamValue();
    s.db.set(key, stream);
    s.keyChanged(key);
  } else s.noKeyChanged();
  stream.groups.set(name, new ConsumerGroup(name, id, entriesRead));
  s.reply.ok();
  s.server.dirty++;
  s.notify(NOTIFY.STREAM, "xgroup-create", key);
}

/** The stream of an XGROUP subcommand other than CREATE; null after replying. */
function groupTarget(s: Session, key: string): StreamValue | null {
  const stream = writeTyped(s, key, StreamValue);
  if (stream === null) return null;
  if (stream === undefined) {
    s.reply.error(ERR_KEY_REQUIRED);
    return null;
  }
  return stream;
}

/** XGROUP SETID key group id|$ [ENTRIESREAD n] */
function xgroupSetId(s: Session, argv: string[]): void {
  const [, , key, name, idText] = argv;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  if (argv.length === 7 && argv[5].toLowerCase() === "entriesread") {
    const n = entriesReadOrReply(s, argv[6]);
    if (n === null) return;
    entriesRead = n;
  } else if (argv.length !== 5) {
    s.reply.error(badSubcommandArgs("SETID"));
    return;
  }
  const stream = groupTarget(s, key);
  if (stream === null) return;
  const group = stream.groups.get(name);
  if (group === undefined) {
    s.reply.error(noGroupForKey(key, name));
    return;
  }
  let id: StreamId;
  if (cString(idText) === "$") id = stream.lastId;
  else {
    const parsed = idOrReply(s, idText, { missingSeq: 0n, minMax: true });
    if (parsed === null) return;
    id = parsed;
  }
  group.lastId = id;
  group.entriesRead = entriesRead;
  s.noKeyChanged();
  s.reply.ok();
  s.server.dirty++;
  s.notify(NOTIFY.STREAM, "xgroup-setid", key);
}

/** XGROUP DESTROY key group */
function xgroupDestroy(s: Session, argv: string[]): void {
  const stream = groupTarget(s, argv[2]);
  if (stream === null) return;
  if (!stream.groups.delete(argv[3])) {
    s.reply.integer(0);
    return;
  }
  s.reply.integer(1);
  s.server.dirty++;
  // Its blocked readers are answered -NOGROUP; watchers see no change.
  s.noKeyChanged();
  s.keyReady(argv[2]);
  s.notify(NOTIFY.STREAM, "xgroup-destroy", argv[2]);
}

/** XGROUP CREATECONSUMER key group consumer */
function xgroupCreateConsumer(s: Session, argv: string[]): void {
  const [, , key, name, consumerName] = argv;
  const stream = groupTarget(s, key);
  if (stream === null) return;
  const group = stream.groups.get(name);
  if (group === undefined) {
    s.reply.error(noGroupForKey(key, name));
    return;
  }
  const { created } = group.consumer(consumerName, Date.now());
  s.noKeyChanged();
  s.reply.integer(created ? 1 : 0);
  if (created) {
    s.server.dirty++;
    s.notify(NOTIFY.STREAM, "xgroup-createconsumer", key);
  }
}

/** XGROUP DELCONSUMER key group consumer: answers the consumer's pending count. */
function xgroupDelConsumer(s: Session, argv: string[]): void {
  const [, , key, name, consumerName] = argv;
  const stream = groupTarget(s, key);
  if (stream === null) return;
  const group = stream.groups.get(name);
  if (group === undefined) {
    s.reply.error(noGroupForKey(key, name));
    return;
  }
  if (!group.consumers.has(consumerName)) {
    s.reply.integer(0);
    return;
  }
  s.reply.integer(group.deleteConsumer(consumerName));
  s.noKeyChanged();
  s.server.dirty++;
  s.notify(NOTIFY.STREAM, "xgroup-delconsumer", key);
}

/** XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ... */
function xreadgroup(s: Session, argv: string[]): void {
  const args = streamReadArgs(s, argv, true);
  if (args === null) return;
  readStreams(s, argv, args);
}

/** XACK key group id [id ...] */
function xack(s: Session, argv: string[]): void {
  const value = writeTyped(s, argv[1], StreamValue);
  if (value === null) return;
  // No key or no group: nothing to acknowledge, and the IDs are not even read.
  const group = value?.groups.get(argv[2]);
  if (group === undefined) {
    s.reply.integer(0);
    return;
  }
  // Every ID is checked before any is acknowledged.
  const ids: StreamId[] = [];
  for (let i = 3; i < argv.length; i++) {
    const id = strictIdOrReply(s, argv[i]);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) if (group.ack(id)) acked++;
  s.noKeyChanged();
  s.reply.integer(acked);
  if (acked > 0) s.server.dirty += acked;
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
function xpending(s: Session, argv: string[]): void {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  let minIdle = 0;
  let at = 3;
  let start = 0n;
  let end = MAX_ID;
  let count = -1;
  let consumerName: string | null = null;
  if (argc >= 6) {
    if (argc >= 8 && argv[3].toLowerCase() === "idle") {
      const n = parseInteger(argv[4]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      minIdle = Number(n);
      at += 2;
      if (argc - at < 3) {
        s.reply.error(ERR_SYNTAX);
        return;
      }
    }
    const n = parseInteger(argv[at + 2]);
    if (n === null) {
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    count = n < 0 ? 0 : Number(n);
    const first = intervalOrReply(s, argv[at], true);
    if (first === null) return;
    const last = intervalOrReply(s, argv[at + 1], false);
    if (last === null) return;
    start = first;
    end = last;
    if (argc > at + 3) {
      if (argc > at + 4) {
        s.reply.error(ERR_SYNTAX);
        return;
      }
      consumerName = argv[at + 3];
    }
  }
  const found = streamAndGroup(s, argv[1], argv[2]);
  if (found === null) return;
  const { group } = found;
  const reply = s.reply;
  if (count === -1) {
    const pending = group.pending;
    reply.arrayLen(4);
    reply.integer(pending.size);
    if (pending.size === 0) {
      reply.null();
      reply.null();
      reply.nullArray();
      return;
    }
    reply.bulk(formatId(pending.first()!));
    reply.bulk(formatId(pending.last()!));
    const owners = group.sortedConsumers().filter((c) => c.pending.size > 0);
    reply.arrayLen(owners.length);
    for (const consumer of owners) {
      reply.arrayLen(2);
      reply.bulk(consumer.name);
      reply.bulk(String(consumer.pending.size));
    }
    return;
  }
  const source = consumerName === null ? group.pending : group.consumers.get(consumerName)?.pending;
  const now = Date.now();
  const rows: PendingEntry[] = [];
  if (count > 0) {
    source?.range(start, end, (_, nack) => {
      if (minIdle > 0 && now - nack.deliveryTime < minIdle) return true;
      rows.push(nack);
      return rows.length < count;
    });
  }
  reply.arrayLen(rows.length);
  for (const nack of rows) {
    reply.arrayLen(4);
    reply.bulk(formatId(nack.id));
    reply.bulk(nack.consumer.name);
    reply.integer(Math.max(0, now - nack.deliveryTime));
    reply.integer(nack.deliveryCount);
  }
}

/**
 * XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms]
 * [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
 */
function xclaim(s: Session, argv: string[]): void {
  // Consumer-group state changes are no key change to WATCH (as in Redis).
  s.noKeyChanged();
  s.preventPropagation();
  const [, key, groupName, consumerName] = argv;
  const found = streamAndGroup(s, key, groupName);
  if (found === null) return;
  const { stream, group } = found;
  let minIdle = Number(parseInteger(argv[4]) ?? NaN);
  if (Number.isNaN(minIdle)) {
    s.reply.error("ERR Invalid min-idle-time argument for XCLAIM");
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const ids: [StreamId, string][] = [];
  let i = 5;
  for (; i < argv.length; i++) {
    const parsed = parseId(argv[i], { missingSeq: 0n });
    if (parsed === null) break;
    ids.push([parsed.id, argv[i]]);
  }
  const now = Date.now();
  let deliveryTime = -1;
  let retryCount = -1;
  let force = false;
  let justId = false;
  let lastId: StreamId | null = null;
  for (; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    const more = argv.length - 1 - i;
    if (option === "force") force = true;
    else if (option === "justid") justId = true;
    else if ((option === "idle" || option === "time" || option === "retrycount") && more > 0) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(`ERR Invalid ${option.toUpperCase()} option argument for XCLAIM`);
        return;
      }
      if (option === "idle") deliveryTime = now - Number(n);
      else if (option === "time") deliveryTime = Number(n);
      else retryCount = Number(n);
    } else if (option === "lastid" && more > 0) {
      lastId = strictIdOrReply(s, argv[++i]);
      if (lastId === null) return;
    } else {
      s.reply.error(`ERR Unrecognized XCLAIM option '${cString(argv[i])}'`);
      return;
    }
  }
  let propagateLastId = false;
  if (lastId !== null && lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const replies: [StreamId, string[] | null][] = [];
  let consumer: Consumer | null = null;
  for (const [id, idText] of ids) {
    let nack = group.pending.get(id);
    const pairs = stream.get(id);
    if (pairs === null) {
      if (nack !== undefined) {
        s.propagateAs(claimForm(key, group, nack, idText));
        propagateLastId = false;
        s.server.dirty++;
        group.ack(id);
      }
      continue;
    }
    let forced = false;
    if (force && nack === undefined) forced = true;
    else if (nack === undefined) continue;
    if (!forced && minIdle > 0 && now - nack!.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(s, key, group, consumerName, now).consumer;
    nack = group.deliver(id, consumer, deliveryTime, false);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    replies.push([id, justId ? null : pairs]);
    s.propagateAs(claimForm(key, group, nack, idText));
    propagateLastId = false;
    s.server.dirty++;
  }
  if (propagateLastId) {
    s.propagateAs([
      "XGROUP",
      "SETID",
      key,
      groupName,
      formatId(group.lastId),
      "ENTRIESREAD",
      String(group.entriesRead),
    ]);
    s.server.dirty++;
  }
  s.reply.arrayLen(replies.length);
  for (const [id, pairs] of replies) {
    if (pairs === null) s.reply.bulk(formatId(id));
    else replyEntry(s, id, pairs);
  }
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(s: Session, argv: string[]): void {
  // Consumer-group state changes are no key change to WATCH (as in Redis).
  s.noKeyChanged();
  s.preventPropagation();
  const [, key, groupName, consumerName] = argv;
  let minIdle = Number(parseInteger(argv[4]) ?? NaN);
  if (Number.isNaN(minIdle)) {
    s.reply.error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
    return;
  }
  if (minIdle < 0) minIdle = 0;
  const start = intervalOrReply(s, argv[5], true);
  if (start === null) return;
  const ATTEMPTS_FACTOR = 10;
  let count = 100;
  let justId = false;
  for (let i = 6; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    if (option === "count" && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]);
      if (n === null || n < 1 || n > Math.floor(Number.MAX_SAFE_INTEGER / ATTEMPTS_FACTOR)) {
        s.reply.error("ERR COUNT must be > 0");
        return;
      }
      count = Number(n);
    } else if (option === "justid") justId = true;
    else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const found = streamAndGroup(s, key, groupName);
  if (found === null) return;
  const { stream, group } = found;
  let attempts = count * ATTEMPTS_FACTOR;
  const now = Date.now();
  const claimed: [StreamId, string[] | null][] = [];
  const deleted: StreamId[] = [];
  let consumer: Consumer | null = null;
  let next: StreamId = 0n;
  let exhausted = true;
  for (const [id, nack] of group.pending.entries()) {
    if (id < start) continue;
    if (attempts <= 0 || count <= 0) {
      next = id;
      exhausted = false;
      break;
    }
    attempts--;
    const pairs = stream.get(id);
    if (pairs === null) {
      s.propagateAs(claimForm(key, group, nack));
      s.server.dirty++;
      group.ack(id);
      deleted.push(id);
      count--;
      continue;
    }
    if (minIdle > 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(s, key, group, consumerName, now).consumer;
    group.deliver(id, consumer, now, false);
    if (!justId) nack.deliveryCount++;
    claimed.push([id, justId ? null : pairs]);
    count--;
    s.propagateAs(claimForm(key, group, nack));
    s.server.dirty++;
  }
  if (exhausted) next = 0n;
  const reply = s.reply;
  reply.arrayLen(3);
  reply.bulk(formatId(next));
  reply.arrayLen(claimed.length);
  for (const [id, pairs] of claimed) {
    if (pairs === null) reply.bulk(formatId(id));
    else replyEntry(s, id, pairs);
  }
  reply.arrayLen(deleted.length);
  for (const id of deleted) reply.bulk(formatId(id));
}

const spec = familySpec("stream", ["stream"]);

function groupKeySpec(flags: readonly string[]) {
  return [keyAt(2, flags)];
}

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a consumer group starting after <id> ($: the last entry). Options:",
  "    * MKSTREAM",
  "      Create an empty stream when the key does not exist.",
  "    * ENTRIESREAD entries_read",
  "      How many entries the group has read already (for lag tracking).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Add a consumer to a consumer group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove a consumer and its pending entries from a group.",
  "DESTROY <key> <groupname>",
  "    Remove a consumer group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Move a consumer group's last delivered ID.",
];

/** The consumer-group commands. */
export const streamGroupCommands: CommandSpec[] = [
  {
    name: "xgroup",
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "stream",
    summary: "A container for consumer-group commands.",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
    subcommands: [
      spec({
        name: "create",
        arity: -5,
        flags: ["write", "denyoom"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: groupKeySpec(["RW", "insert"]),
        summary: "Creates a consumer group.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xgroupCreate,
      }),
      spec({
        name: "setid",
        arity: -5,
        flags: ["write"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: groupKeySpec(["RW", "update"]),
        summary: "Sets a consumer group's last delivered ID.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xgroupSetId,
      }),
      spec({
        name: "destroy",
        arity: 4,
        flags: ["write"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: groupKeySpec(["RW", "delete"]),
        summary: "Destroys a consumer group.",
        since: "5.0.0",
        complexity:
          "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        handler: xgroupDestroy,
      }),
      spec({
        name: "createconsumer",
        arity: 5,
        flags: ["write", "denyoom"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: groupKeySpec(["RW", "insert"]),
        summary: "Creates a consumer in a consumer group.",
        since: "6.2.0",
        complexity: "O(1)",
        handler: xgroupCreateConsumer,
      }),
      spec({
        name: "delconsumer",
        arity: 5,
        flags: ["write"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: groupKeySpec(["RW", "delete"]),
        summary: "Deletes a consumer from a consumer group.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xgroupDelConsumer,
      }),
      spec({
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        firstKey: 0,
        lastKey: 0,
        step: 0,
        summary: "Shows the XGROUP subcommands.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: (s) => replyHelp(s, XGROUP_HELP),
      }),
    ],
  },
  spec({
    name: "xreadgroup",
    arity: -7,
    flags: ["write", "blocking"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: ["stream", "blocking"],
    keySpecs: [{
      flags: ["RO", "access"],
      begin: { keyword: "STREAMS", startFrom: 4 },
      find: { range: { lastKey: -1, step: 1, limit: 2 } },
    }],
    summary: "Reads entries for a consumer of a group, optionally waiting for new ones.",
    since: "5.0.0",
    complexity:
      "For each stream mentioned: O(M) with M the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
    handler: xreadgroup,
  }),
  spec({
    name: "xack",
    arity: -4,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "update"])],
    summary: "Acknowledges entries of a consumer group; answers how many were pending.",
    since: "5.0.0",
    complexity: "O(1) for each message ID processed.",
    handler: xack,
  }),
  spec({
    name: "xpending",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [keyAt(1, ["RO", "access"])],
    tips: ["nondeterministic_output"],
    summary: "Answers a consumer group's pending entries, summed up or listed.",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
    handler: xpending,
  }),
  spec({
    name: "xclaim",
    arity: -6,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "update"])],
    tips: ["nondeterministic_output"],
    summary: "Gives pending entries of a group to another consumer.",
    since: "5.0.0",
    complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
    handler: xclaim,
  }),
  spec({
    name: "xautoclaim",
    arity: -6,
    flags: ["write", "fast"],
    keySpecs: [keyAt(1, ["RW", "delete"])],
    tips: ["nondeterministic_output"],
    summary: "Gives a consumer the group's entries pending longer than a time, walking from an ID.",
    since: "6.2.0",
    complexity: "O(1) if COUNT is small.",
    handler: xautoclaim,
  }),
];
