// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS and XINFO CONSUMERS.

import { ERR_NO_SUCH_KEY, ERR_NOT_INTEGER } from "../protocol/errors.ts";
import { StreamValue } from "../store/stream.ts";
import { type ConsumerGroup, ENTRIES_READ_UNKNOWN } from "../store/stream_groups.ts";
import { formatId, idToRaw, MAX_ID } from "../store/stream_id.ts";
import { parseInteger } from "../util/int64.ts";
import { replyHelp } from "./_help.ts";
import { readTyped } from "./_lookup.ts";
import { collectEntries, noGroupForKey, replyEntry, replyRange } from "./_stream.ts";
import type { CommandSpec, Session } from "./context.ts";
import { familySpec, keyAt } from "./table.ts";

/** The stream at `key` for XINFO; null after replying (missing key, wrong type). */
function infoStream(s: Session, key: string): StreamValue | null {
  const value = readTyped(s, key, StreamValue);
  if (value === undefined) s.reply.error(ERR_NO_SUCH_KEY);
  return value ?? null;
}

/**
 * How many nodes Redis's radix tree over the node keys (16-byte IDs) has: a chain of
 * shared bytes is one node, a branching point one node, and each key ends in a leaf.
 */
export function radixTreeNodes(keys: readonly string[]): number {
  if (keys.length === 0) return 1;
  // keys are sorted, equally long and distinct.
  function count(lo: number, hi: number, depth: number): number {
    const width = keys[lo].length;
    if (depth === width) return 1;
    if (hi - lo === 1) return 2; // a chain to the end, then the leaf
    // Shared bytes from `depth` on: the first and last key bound every other one.
    let shared = depth;
    while (keys[lo].charCodeAt(shared) === keys[hi - 1].charCodeAt(shared)) shared++;
    if (shared > depth) return 1 + count(lo, hi, shared);
    let total = 1;
    let start = lo;
    for (let i = lo + 1; i <= hi; i++) {
      if (i === hi || keys[i].charCodeAt(depth) !== keys[start].charCodeAt(depth)) {
        total += count(start, i, depth + 1);
        start = i;
      }
    }
    return total;
  }
  return count(0, keys.length, 0);
}

/** A consumer group's lag, or null when it can't be known. */
function groupLag(stream: StreamValue, group: ConsumerGroup): number | null {
  if (stream.entriesAdded === 0) return 0;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !stream.hasTombstones(group.lastId)) {
    return stream.entriesAdded - group.entriesRead;
  }
  const read = stream.entriesBefore(group.lastId);
  return read === ENTRIES_READ_UNKNOWN ? null : stream.entriesAdded - read;
}

function replyMaybe(s: Session, n: number | null): void {
  if (n === null) s.reply.null();
  else s.reply.integer(n);
}

/** A group's `entries-read` and `lag` fields (null when unknown), as both XINFOs give them. */
function replyReadState(s: Session, stream: StreamValue, group: ConsumerGroup): void {
  s.reply.bulk("entries-read");
  replyMaybe(s, group.entriesRead === ENTRIES_READ_UNKNOWN ? null : group.entriesRead);
  s.reply.bulk("lag");
  replyMaybe(s, groupLag(stream, group));
}

/** XINFO STREAM key [FULL [COUNT count]] */
function xinfoStream(s: Session, argv: string[]): void {
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    const bad = () =>
      s.reply.error(
        "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.",
      );
    if (argv[3].toLowerCase() !== "full" || (argv.length !== 4 && argv.length !== 6)) {
      bad();
      return;
    }
    full = true;
    if (argv.length === 6) {
      if (argv[4].toLowerCase() !== "count") {
        bad();
        return;
      }
      const n = parseInteger(argv[5]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      count = n < 0 ? 0 : Number(n);
    }
  }
  const stream = infoStream(s, argv[2]);
  if (stream === null) return;
  const reply = s.reply;
  reply.mapLen(full ? 9 : 10);
  reply.bulk("length");
  reply.integer(stream.length);
  reply.bulk("radix-tree-keys");
  reply.integer(stream.nodes.length);
  reply.bulk("radix-tree-nodes");
  reply.integer(radixTreeNodes(stream.nodes.map((node) => idToRaw(node.master))));
  reply.bulk("last-generated-id");
  reply.bulk(formatId(stream.lastId));
  reply.bulk("max-deleted-entry-id");
  reply.bulk(formatId(stream.maxDeletedId));
  reply.bulk("entries-added");
  reply.integer(stream.entriesAdded);
  reply.bulk("recorded-first-entry-id");
  reply.bulk(formatId(stream.firstId));
  if (!full) {
    reply.bulk("groups");
    reply.integer(stream.groups.size);
    for (const [name, rev] of [["first-entry", false], ["last-entry", true]] as const) {
      reply.bulk(name);
      const [edge] = collectEntries(stream, { start: 0n, end: MAX_ID, rev, count: 1 });
      if (edge === undefined) reply.null();
      else replyEntry(s, edge[0], edge[1]);
    }
    return;
  }
  reply.bulk("entries");
  replyRange(s, stream, { start: 0n, end: MAX_ID, rev: false, count });
  reply.bulk("groups");
  const groups = stream.sortedGroups();
  reply.arrayLen(groups.length);
  for (const group of groups) {
    reply.mapLen(7);
    reply.bulk("name");
    reply.bulk(group.name);
    reply.bulk("last-delivered-id");
    reply.bulk(formatId(group.lastId));
    replyReadState(s, stream, group);
    reply.bulk("pel-count");
    reply.integer(group.pending.size);
    reply.bulk("pending");
    const pending = [...group.pending.entries()].slice(0, count === 0 ? undefined : count);
    reply.arrayLen(pending.length);
    for (const [id, nack] of pending) {
      reply.arrayLen(4);
      reply.bulk(formatId(id));
      reply.bulk(nack.consumer.name);
      reply.integer(nack.deliveryTime);
      reply.integer(nack.deliveryCount);
    }
    reply.bulk("consumers");
    const consumers = group.sortedConsumers();
    reply.arrayLen(consumers.length);
    for (const consumer of consumers) {
      reply.mapLen(4);
      reply.bulk("name");
      reply.bulk(consumer.name);
      reply.bulk("seen-time");
      reply.integer(consumer.seenTime);
      reply.bulk("pel-count");
      reply.integer(consumer.pending.size);
      reply.bulk("pending");
      const own = [...consumer.pending.entries()].slice(0, count === 0 ? undefined : count);
      reply.arrayLen(own.length);
      for (const [id, nack] of own) {
        reply.arrayLen(3);
        reply.bulk(formatId(id));
        reply.integer(nack.deliveryTime);
        reply.integer(nack.deliveryCount);
      }
    }
  }
}

/** XINFO GROUPS key */
function xinfoGroups(s: Session, argv: string[]): void {
  const stream = infoStream(s, argv[2]);
  if (stream === null) return;
  const reply = s.reply;
  const groups = stream.sortedGroups();
  reply.arrayLen(groups.length);
  for (const group of groups) {
    reply.mapLen(6);
    reply.bulk("name");
    reply.bulk(group.name);
    reply.bulk("consumers");
    reply.integer(group.consumers.size);
    reply.bulk("pending");
    reply.integer(group.pending.size);
    reply.bulk("last-delivered-id");
    reply.bulk(formatId(group.lastId));
    replyReadState(s, stream, group);
  }
}

/** XINFO CONSUMERS key group */
function xinfoConsumers(s: Session, argv: string[]): void {
  const stream = infoStream(s, argv[2]);
  if (stream === null) return;
  const group = stream.groups.get(argv[3]);
  if (group === undefined) {
    s.reply.error(noGroupForKey(argv[2], argv[3]));
    return;
  }
  const reply = s.reply;
  const now = Date.now();
  const consumers = group.sortedConsumers();
  reply.arrayLen(consumers.length);
  for (const consumer of consumers) {
    reply.mapLen(3);
    reply.bulk("name");
    reply.bulk(consumer.name);
    reply.bulk("pending");
    reply.integer(consumer.pending.size);
    reply.bulk("idle");
    reply.integer(Math.max(0, now - consumer.seenTime));
  }
}

const spec = familySpec("stream", ["stream"]);

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    List the consumers of a consumer group.",
  "GROUPS <key>",
  "    List the consumer groups of a stream.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Describe a stream (FULL: with its entries, groups and pending entries).",
];

/** XINFO and its subcommands. */
export const streamInfoCommands: CommandSpec[] = [
  {
    name: "xinfo",
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "stream",
    summary: "A container for stream introspection commands.",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
    subcommands: [
      spec({
        name: "stream",
        arity: -3,
        flags: ["readonly"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: [keyAt(2, ["RO", "access"])],
        summary: "Describes a stream.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xinfoStream,
      }),
      spec({
        name: "groups",
        arity: 3,
        flags: ["readonly"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: [keyAt(2, ["RO", "access"])],
        summary: "Lists a stream's consumer groups.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xinfoGroups,
      }),
      spec({
        name: "consumers",
        arity: 4,
        flags: ["readonly"],
        firstKey: 2,
        lastKey: 2,
        keySpecs: [keyAt(2, ["RO", "access"])],
        tips: ["nondeterministic_output"],
        summary: "Lists the consumers of a consumer group.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: xinfoConsumers,
      }),
      spec({
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        firstKey: 0,
        lastKey: 0,
        step: 0,
        summary: "Shows the XINFO subcommands.",
        since: "5.0.0",
        complexity: "O(1)",
        handler: (s) => replyHelp(s, XINFO_HELP),
      }),
    ],
  },
];
