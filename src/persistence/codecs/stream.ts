// The stream type's forms: RDB STREAM_LISTPACKS_2 (and STREAM_LISTPACKS on load), the
// node listpacks carried as they are; XADD, XSETID, XGROUP CREATE, XCLAIM and
// XGROUP CREATECONSUMER in an AOF rewrite; entries, IDs and groups in JSON Lines.
//
// The RDB body: the number of nodes; each node's first ID (16 bytes big-endian, as a
// string) and listpack; the length; the last ID (ms, seq as lengths); then, since
// STREAM_LISTPACKS_2, the first ID, the largest deleted ID and the entries added;
// then the groups in name order: name, last ID, (since _2) entries read (2^64-1 for
// unknown), the pending entries (raw 16-byte ID, delivery time as 8 bytes LE ms,
// delivery count) and the consumers in name order (name, seen time, the raw IDs of
// the pending entries they own).
//
// A stream read from a file or payload is checked whole before it is built (as Redis's
// deep check of a payload does, and more: Redeno relies on the order of IDs): each
// node's listpack and entries, nodes and live entries in ascending ID order, a last
// ID not before the last entry, and groups whose pending entries each have one owner.

import {
  arrayBytes,
  mapBytes,
  OBJECT_BYTES,
  scaled,
  stringBytes,
  TYPED_ARRAY_BYTES,
} from "../../store/memory.ts";
import { StreamNode, StreamValue } from "../../store/stream.ts";
import { ConsumerGroup } from "../../store/stream_groups.ts";
import {
  formatId,
  idFromRaw,
  idToRaw,
  makeId,
  parseId,
  type StreamId,
  U64_MAX,
} from "../../store/stream_id.ts";
import { Listpack } from "../../store/stream_listpack.ts";
import { fromJsonText, type JsonText, toJsonText } from "../json_text.ts";
import { listpackIntegers } from "../listpack.ts";
import {
  type ByteReader,
  type ByteWriter,
  TYPE_STREAM_LISTPACKS,
  TYPE_STREAM_LISTPACKS_2,
  writeBlob,
  writeString,
} from "../rdb_format.ts";
import { mixDigest } from "../digest_fold.ts";
import { failIntegrity, type JsonFail, readBlob, type ValueCodec, ValueError } from "./codec.ts";

/** A decoded consumer group. */
interface DecodedGroup {
  name: string;
  lastId: StreamId;
  /** null: not in the file (an old format); estimated from the stream. */
  entriesRead: number | null;
  pending: { id: StreamId; time: number; count: number }[];
  consumers: { name: string; seenTime: number; pending: StreamId[] }[];
}

/** A decoded stream: nodes (from a file) or entries (from JSON), and the metadata. */
export interface DecodedStream {
  nodes: { master: StreamId; lp: Uint8Array }[];
  entries: [StreamId, string[]][];
  length: number;
  lastId: StreamId;
  /** null for an old format: found from the entries. */
  firstId: StreamId | null;
  maxDeletedId: StreamId;
  /** null for an old format: the length. */
  entriesAdded: number | null;
  groups: DecodedGroup[];
}

const JSON_NODE_LIMITS = { maxBytes: 4096, maxEntries: 100 };

const NODE = "Stream listpack";
// Entry flags (a stream node's entries: deleted, same fields as the master entry).
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

// An ID part (ms or seq) of `base` plus a difference, wrapping around 2^64 as Redis's
// unsigned arithmetic does: a number while exact, else a bigint. Numbers and bigints
// compare exactly with <, > and == (not ===), which the checks below rely on.
function idPart(base: number | bigint, diff: number | bigint): number | bigint {
  if (typeof base === "number" && typeof diff === "number") {
    const v = base + diff;
    if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return v;
  }
  return BigInt.asUintN(64, BigInt(base) + BigInt(diff));
}

// An ID part as a number while exact.
function partOf(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * The deep check of one stream node, `blob` its listpack at file offset `at`: a master
 * entry (live and deleted counts, the field names, a 0), then entries of flags, ID
 * differences from the node's `master` ID, fields or values as the flags say, and an
 * lp-count that agrees, nothing after the last; the counts match what is there, and
 * every live entry's ID comes after `after` (the stream's previous live entry, 0 for
 * none), every entry's at or after the master ID. Returns the last live entry's ID.
 */
function checkStreamNode(
  blob: Uint8Array,
  master: StreamId,
  after: StreamId,
  at: number,
): StreamId {
  const el = listpackIntegers(blob, at, NODE);
  const fail = (problem: string): never => failIntegrity(NODE, problem, at);
  const n = el.length;
  // A count (or flags) at `k`: a small non-negative number; -1 when it is not one.
  const countAt = (k: number): number => {
    const v = k < n ? el[k] : null;
    return typeof v === "number" && v >= 0 ? v : -1;
  };
  const live = countAt(0);
  const deleted = countAt(1);
  const masterFields = countAt(2);
  if (live <= 0 || deleted < 0 || masterFields <= 0) fail("bad master entry counts");
  let i = 3 + masterFields;
  if (i >= n || el[i] !== 0) fail("master entry without its terminator");
  i++;
  const masterMs = partOf(master >> 64n);
  const masterSeq = partOf(master & U64_MAX);
  let lastMs = partOf(after >> 64n);
  let lastSeq = partOf(after & U64_MAX);
  let seenLive = 0;
  let seenDeleted = 0;
  while (i < n) {
    const flags = countAt(i);
    if (flags < 0 || flags > (FLAG_DELETED | FLAG_SAMEFIELDS)) fail("bad entry flags");
    const msDiff = i + 1 < n ? el[i + 1] : null;
    const seqDiff = i + 2 < n ? el[i + 2] : null;
    if (msDiff === null || seqDiff === null) fail("entry without its ID");
    const ms = idPart(masterMs, msDiff!);
    const seq = idPart(masterSeq, seqDiff!);
    if (ms < masterMs || (ms == masterMs && seq < masterSeq)) {
      fail("entry ID before the node's master ID");
    }
    i += 3;
    let counted = 3 + masterFields;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      const fields = countAt(i);
      if (fields <= 0) fail("entry without fields");
      i += 1 + 2 * fields;
      counted = 4 + 2 * fields;
    } else {
      i += masterFields;
    }
    if (i >= n) fail("entry cut short");
    if (el[i] !== counted) fail("entry with a wrong lp-count");
    i++;
    if ((flags & FLAG_DELETED) !== 0) {
      seenDeleted++;
    } else {
      if (ms < lastMs || (ms == lastMs && seq <= lastSeq)) fail("entry IDs out of order");
      lastMs = ms;
      lastSeq = seq;
      seenLive++;
    }
  }
  if (seenLive !== live || seenDeleted !== deleted) fail("entry counts do not match the entries");
  return makeId(BigInt(lastMs), BigInt(lastSeq));
}

function writeLen64(w: ByteWriter, v: bigint): void {
  if (v <= 0xffff_ffffn) w.length(Number(v));
  else {
    w.u8(0x81);
    for (let shift = 56n; shift >= 0n; shift -= 8n) w.u8(Number((v >> shift) & 0xffn));
  }
}

function readLen64(r: ByteReader): bigint {
  if (r.buf[r.pos] === 0x81) {
    r.u8();
    const bytes = r.view(8);
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[i]);
    return v;
  }
  return BigInt(r.length());
}

function writeId(w: ByteWriter, id: StreamId): void {
  writeLen64(w, id >> 64n);
  writeLen64(w, id & U64_MAX);
}

function readId(r: ByteReader): StreamId {
  const ms = readLen64(r);
  return makeId(ms, readLen64(r));
}

function readRawId(r: ByteReader): StreamId {
  return idFromRaw(r.view(16));
}

function writeRawId(w: ByteWriter, id: StreamId): void {
  w.latin1(idToRaw(id));
}

function idFromJson(value: unknown, fail: JsonFail): StreamId {
  const parsed = typeof value === "string" ? parseId(value, { missingSeq: 0n }) : null;
  return parsed?.id ?? fail(`bad stream ID ${JSON.stringify(value)}`);
}

function numberFromJson(value: unknown, fail: JsonFail): number {
  return typeof value === "number" && Number.isSafeInteger(value)
    ? value
    : fail(`bad number ${JSON.stringify(value)} in the stream value`);
}

function textFromJson(value: unknown, fail: JsonFail): string {
  return fromJsonText(value) ?? fail("bad string in the stream value");
}

function arrayFromJson(value: unknown, fail: JsonFail): unknown[] {
  return Array.isArray(value) ? value : fail("the stream value holds a non-array");
}

/** Streams. */
export const streamCodec: ValueCodec<StreamValue, DecodedStream> = {
  type: "stream",
  // A stream is a value even without entries (Redis keeps and saves empty streams).
  size: (stream) => Math.max(1, stream.length),

  rdbTypes: [TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2],
  rdbType: () => TYPE_STREAM_LISTPACKS_2,
  writeRdb(w, stream, options) {
    w.length(stream.nodes.length);
    for (const node of stream.nodes) {
      writeString(w, idToRaw(node.master), false);
      writeBlob(w, node.lp.view(), options.compress);
    }
    w.length(stream.length);
    writeId(w, stream.lastId);
    writeId(w, stream.firstId);
    writeId(w, stream.maxDeletedId);
    w.length(stream.entriesAdded);
    const groups = stream.sortedGroups();
    w.length(groups.length);
    for (const group of groups) {
      writeString(w, group.name, options.compress);
      writeId(w, group.lastId);
      writeLen64(w, BigInt.asUintN(64, BigInt(group.entriesRead)));
      w.length(group.pending.size);
      for (const [id, nack] of group.pending.entries()) {
        writeRawId(w, id);
        w.i64le(nack.deliveryTime);
        w.length(nack.deliveryCount);
      }
      const consumers = group.sortedConsumers();
      w.length(consumers.length);
      for (const consumer of consumers) {
        writeString(w, consumer.name, options.compress);
        w.i64le(consumer.seenTime);
        w.length(consumer.pending.size);
        for (const [id] of consumer.pending.entries()) writeRawId(w, id);
      }
    }
  },
  readRdb(r, type) {
    const v2 = type === TYPE_STREAM_LISTPACKS_2;
    const nodeCount = r.count(2);
    const nodes: DecodedStream["nodes"] = [];
    let lastLive = 0n;
    for (let i = 0; i < nodeCount; i++) {
      const at = r.pos;
      const key = r.stringBytes();
      if (key.length !== 16) r.fail("stream node key is not a 16-byte ID", at);
      const master = idFromRaw(key);
      if (i > 0 && master <= nodes[i - 1].master) {
        r.fail("stream node IDs repeated or out of order", at);
      }
      const [lp, lpAt] = readBlob(r);
      if (lp.length < 7 || lp[6] === 0xff) r.fail("empty listpack inside a stream", at);
      lastLive = checkStreamNode(lp, master, lastLive, lpAt);
      nodes.push({ master, lp: lp.slice() });
    }
    const length = r.length();
    const lastAt = r.pos;
    const lastId = readId(r);
    if (lastId < lastLive) r.fail("stream last ID before its last entry", lastAt);
    let firstId: StreamId | null = null;
    let maxDeletedId = 0n;
    let entriesAdded: number | null = null;
    if (v2) {
      firstId = readId(r);
      maxDeletedId = readId(r);
      entriesAdded = r.length();
    }
    const groupCount = r.length();
    const groups: DecodedGroup[] = [];
    for (let g = 0; g < groupCount; g++) {
      const name = r.string();
      const groupLast = readId(r);
      let entriesRead: number | null = null;
      if (v2) entriesRead = Number(BigInt.asIntN(64, readLen64(r)));
      const pendingCount = r.count(17);
      const pending: DecodedGroup["pending"] = [];
      for (let i = 0; i < pendingCount; i++) {
        const id = readRawId(r);
        const time = Number(r.i64le());
        pending.push({ id, time, count: r.length() });
      }
      const consumerCount = r.length();
      const consumers: DecodedGroup["consumers"] = [];
      for (let c = 0; c < consumerCount; c++) {
        const consumerName = r.string();
        const seenTime = Number(r.i64le());
        const owned = r.count(16);
        const ids: StreamId[] = [];
        for (let i = 0; i < owned; i++) ids.push(readRawId(r));
        consumers.push({ name: consumerName, seenTime, pending: ids });
      }
      groups.push({ name, lastId: groupLast, entriesRead, pending, consumers });
    }
    return {
      nodes,
      entries: [],
      length,
      lastId,
      firstId,
      maxDeletedId,
      entriesAdded,
      groups,
    };
  },
  // Never 0: an empty stream is still a value to load.
  decodedSize: (decoded) => Math.max(1, decoded.length),
  build(decoded) {
    const stream = new StreamValue();
    for (const { master, lp } of decoded.nodes) {
      const node = StreamNode.load(master, Listpack.wrap(lp, lp[4] | (lp[5] << 8)));
      if (node === null) throw new ValueError("corrupt stream node");
      if (node.live === 0) throw new ValueError("stream node without entries");
      stream.nodes.push(node);
      stream.length += node.live;
    }
    for (const [id, pairs] of decoded.entries) {
      if (id <= stream.lastId) throw new ValueError("stream entries out of order");
      stream.append(id, pairs, JSON_NODE_LIMITS);
    }
    if (stream.length !== decoded.length) throw new ValueError("stream length mismatch");
    stream.lastId = decoded.lastId;
    stream.maxDeletedId = decoded.maxDeletedId;
    stream.firstId = decoded.firstId ?? stream.edgeId(false) ?? 0n;
    stream.entriesAdded = decoded.entriesAdded ?? stream.length;
    for (const g of decoded.groups) {
      if (stream.groups.has(g.name)) throw new ValueError("Duplicate consumer group name");
      const entriesRead = g.entriesRead ?? stream.entriesBefore(g.lastId);
      const group = new ConsumerGroup(g.name, g.lastId, entriesRead);
      const times = new Map<StreamId, { time: number; count: number }>();
      for (const nack of g.pending) {
        if (times.has(nack.id)) {
          throw new ValueError(`Duplicate entry ${formatId(nack.id)} in a consumer group's PEL`);
        }
        times.set(nack.id, nack);
      }
      for (const c of g.consumers) {
        const { consumer, created } = group.consumer(c.name, c.seenTime);
        if (!created) throw new ValueError("Duplicate stream consumer detected in a group");
        for (const id of c.pending) {
          const nack = times.get(id);
          if (nack === undefined || group.pending.has(id)) {
            throw new ValueError(
              `Consumer PEL entry ${formatId(id)} missing from its group's PEL, or there twice`,
            );
          }
          const entry = group.deliver(id, consumer, nack.time, false);
          entry.deliveryCount = nack.count;
        }
      }
      if (group.pending.size !== times.size) {
        throw new ValueError("Stream consumer group PEL entry without a consumer");
      }
      stream.groups.set(g.name, group);
    }
    return stream;
  },

  *rewrite(key, stream) {
    if (stream.length > 0) {
      const entries: string[][] = [];
      stream.walk(0n, U64_MAX << 64n | U64_MAX, false, (entry) => {
        entries.push(["XADD", key, formatId(entry.id), ...entry.pairs()]);
      });
      yield* entries;
    } else yield ["XADD", key, "MAXLEN", "0", "0-1", "x", "y"];
    yield [
      "XSETID",
      key,
      formatId(stream.lastId),
      "ENTRIESADDED",
      String(stream.entriesAdded),
      "MAXDELETEDID",
      formatId(stream.maxDeletedId),
    ];
    for (const group of stream.sortedGroups()) {
      yield [
        "XGROUP",
        "CREATE",
        key,
        group.name,
        formatId(group.lastId),
        "ENTRIESREAD",
        String(group.entriesRead),
      ];
      for (const consumer of group.sortedConsumers()) {
        if (consumer.pending.size === 0) {
          yield ["XGROUP", "CREATECONSUMER", key, group.name, consumer.name];
          continue;
        }
        for (const [id, nack] of consumer.pending.entries()) {
          yield [
            "XCLAIM",
            key,
            group.name,
            consumer.name,
            "0",
            formatId(id),
            "TIME",
            String(nack.deliveryTime),
            "RETRYCOUNT",
            String(nack.deliveryCount),
            "JUSTID",
            "FORCE",
          ];
        }
      }
    }
  },

  toJson(stream) {
    const entries: [string, JsonText[]][] = [];
    stream.walk(0n, U64_MAX << 64n | U64_MAX, false, (entry) => {
      entries.push([formatId(entry.id), entry.pairs().map(toJsonText)]);
    });
    return {
      entries,
      lastId: formatId(stream.lastId),
      maxDeletedId: formatId(stream.maxDeletedId),
      entriesAdded: stream.entriesAdded,
      groups: stream.sortedGroups().map((group) => ({
        name: toJsonText(group.name),
        lastId: formatId(group.lastId),
        entriesRead: group.entriesRead,
        pending: [...group.pending.entries()].map(([id, nack]) => [
          formatId(id),
          toJsonText(nack.consumer.name),
          nack.deliveryTime,
          nack.deliveryCount,
        ]),
        consumers: group.sortedConsumers().map((consumer) => ({
          name: toJsonText(consumer.name),
          seenTime: consumer.seenTime,
        })),
      })),
    };
  },
  fromJson(json, fail) {
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      fail("a stream value is an object");
    }
    const obj = json as Record<string, unknown>;
    const entries: [StreamId, string[]][] = [];
    for (const item of arrayFromJson(obj.entries ?? [], fail)) {
      const [id, pairs] = arrayFromJson(item, fail);
      const flat = arrayFromJson(pairs, fail).map((p) => textFromJson(p, fail));
      if (flat.length === 0 || flat.length % 2 !== 0) {
        fail("a stream entry needs field, value pairs");
      }
      entries.push([idFromJson(id, fail), flat]);
    }
    const groups: DecodedGroup[] = [];
    for (const item of arrayFromJson(obj.groups ?? [], fail)) {
      const g = item as Record<string, unknown>;
      const pendingOf = new Map<string, StreamId[]>();
      const pending: DecodedGroup["pending"] = [];
      for (const row of arrayFromJson(g.pending ?? [], fail)) {
        const [id, consumer, time, count] = arrayFromJson(row, fail);
        const parsed = idFromJson(id, fail);
        const owner = textFromJson(consumer, fail);
        pending.push({
          id: parsed,
          time: numberFromJson(time, fail),
          count: numberFromJson(count, fail),
        });
        if (!pendingOf.has(owner)) pendingOf.set(owner, []);
        pendingOf.get(owner)!.push(parsed);
      }
      const consumers = arrayFromJson(g.consumers ?? [], fail).map((c) => {
        const consumer = c as Record<string, unknown>;
        const name = textFromJson(consumer.name, fail);
        return {
          name,
          seenTime: numberFromJson(consumer.seenTime, fail),
          pending: pendingOf.get(name) ?? [],
        };
      });
      groups.push({
        name: textFromJson(g.name, fail),
        lastId: idFromJson(g.lastId, fail),
        entriesRead: numberFromJson(g.entriesRead, fail),
        pending,
        consumers,
      });
    }
    return {
      nodes: [],
      entries,
      length: entries.length,
      lastId: idFromJson(obj.lastId, fail),
      firstId: null,
      maxDeletedId: idFromJson(obj.maxDeletedId ?? "0-0", fail),
      entriesAdded: numberFromJson(obj.entriesAdded, fail),
      groups,
    };
  },

  digestType: 6,
  // Each entry in order: its ID written `<ms>.<seq>`, then its fields and values.
  digest(stream, digest) {
    stream.walk(0n, U64_MAX << 64n | U64_MAX, false, (entry) => {
      mixDigest(digest, formatId(entry.id).replace("-", "."));
      for (const item of entry.pairs()) mixDigest(digest, item);
    });
  },
  memory(stream, samples) {
    // Like Redis, only the first `samples` nodes are measured; their average stands
    // for all of them.
    const nodes = stream.nodes;
    const count = Math.min(nodes.length, samples);
    let measured = 0;
    for (let i = 0; i < count; i++) {
      const node = nodes[i];
      measured += OBJECT_BYTES + TYPED_ARRAY_BYTES + node.lp.bytes.length +
        arrayBytes(node.fields.length);
      for (const field of node.fields) measured += stringBytes(field.length);
    }
    let bytes = OBJECT_BYTES + arrayBytes(nodes.length) + mapBytes(stream.groups.size) +
      scaled(measured, count, nodes.length);
    for (const group of stream.groups.values()) {
      bytes += OBJECT_BYTES + mapBytes(group.pending.size) * 2 + group.pending.size * OBJECT_BYTES;
      bytes += mapBytes(group.consumers.size) + group.consumers.size * OBJECT_BYTES;
    }
    return bytes;
  },
};
