// The stream type: entries (an ID and field/value pairs) in ID order, and consumer
// groups (stream_groups.ts).
//
// Entries live in nodes laid out exactly as Redis lays them out: each node is a
// listpack (stream_listpack.ts) that starts with a master entry (live count, deleted
// count, the field names of the node's first entry, a 0) and then holds entries as
// flags, the ID as a difference from the node's first ID, the values (only the
// values when the fields are the master's), and the entry's element count. A node
// takes entries until it reaches stream-node-max-entries or stream-node-max-bytes.
// Deleting an entry only sets its deleted flag; a node whose entries are all deleted
// goes. Keeping Redis's layout keeps a small entry at Redis's size, makes approximate
// trimming (which removes whole nodes) trim exactly where Redis trims, and lets the
// RDB file carry the nodes' bytes as they are.

import { Listpack } from "./stream_listpack.ts";
import { ConsumerGroup } from "./stream_groups.ts";
import { formatId, idMs, idSeq, makeId, MAX_ID, type StreamId, U64_MAX } from "./stream_id.ts";
import type { Account } from "./accounting.ts";

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;
/** Redis's cap on a node's size, whatever stream-node-max-bytes says. */
const NODE_MAX_BYTES_CAP = 1 << 30;

/** When a node is full (stream-node-max-bytes, stream-node-max-entries; 0: no limit). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** One node: a listpack of entries that share a master ID and master fields. */
export class StreamNode {
  readonly master: StreamId;
  readonly masterMs: bigint;
  readonly masterSeq: bigint;
  // The master's parts as numbers (NaN past 2^53), for the common XADD's arithmetic.
  readonly masterMsNum: number;
  readonly masterSeqNum: number;
  lp: Listpack;
  /** Live and deleted entries (mirrors of the master entry's first two elements). */
  live: number;
  deleted: number;
  /** The master entry's fields. */
  readonly fields: string[];
  /** The ID of the node's last entry, deleted or not. */
  lastId: StreamId;

  constructor(
    master: StreamId,
    lp: Listpack,
    counts: { live: number; deleted: number; fields: string[]; lastId: StreamId },
  ) {
    this.master = master;
    this.masterMs = idMs(master);
    this.masterSeq = idSeq(master);
    this.masterMsNum = this.masterMs <= SAFE ? Number(this.masterMs) : NaN;
    this.masterSeqNum = this.masterSeq <= SAFE ? Number(this.masterSeq) : NaN;
    this.lp = lp;
    this.live = counts.live;
    this.deleted = counts.deleted;
    this.fields = counts.fields;
    this.lastId = counts.lastId;
  }

  /** A node holding only the master entry for `fields`, its first entry to come. */
  static create(
    master: StreamId,
    fields: readonly string[],
    pairs: number,
    capacity = 64,
    from = 0,
  ): StreamNode {
    const lp = new Listpack(capacity);
    lp.appendInt(0);
    lp.appendInt(0);
    lp.appendInt(pairs);
    const own: string[] = [];
    for (let i = 0; i < pairs; i++) {
      lp.append(fields[from + 2 * i]);
      own.push(fields[from + 2 * i]);
    }
    lp.appendInt(0);
    return new StreamNode(master, lp, { live: 0, deleted: 0, fields: own, lastId: master });
  }

  /**
   * A node over listpack bytes read from a file; null when they don't hold a valid
   * master entry and entries (corrupt data).
   */
  static load(master: StreamId, lp: Listpack): StreamNode | null {
    try {
      let at = lp.first;
      if (!lp.isInt(at)) return null;
      const live = lp.int(at);
      at = lp.next(at);
      if (!lp.isInt(at)) return null;
      const deleted = lp.int(at);
      at = lp.next(at);
      const count = lp.int(at);
      at = lp.next(at);
      const fields: string[] = [];
      for (let i = 0; i < count; i++) {
        if (at >= lp.end) return null;
        fields.push(lp.string(at));
        at = lp.next(at);
      }
      if (lp.int(at) !== 0) return null;
      const node = new StreamNode(master, lp, { live, deleted, fields, lastId: master });
      const cursor = new EntryCursor();
      let seenLive = 0;
      let seenDeleted = 0;
      for (at = lp.next(at); at < lp.end; at = cursor.next) {
        if (!cursor.decode(node, at) || cursor.next > lp.end) return null;
        if (cursor.deleted) seenDeleted++;
        else seenLive++;
        node.lastId = cursor.id;
      }
      if (seenLive !== live || seenDeleted !== deleted) return null;
      return node;
    } catch {
      return null;
    }
  }

  /** Offset of the first entry, after the master entry. */
  entriesStart(): number {
    const lp = this.lp;
    let at = lp.next(lp.next(lp.next(lp.first)));
    for (let i = 0; i < this.fields.length; i++) at = lp.next(at);
    return lp.next(at);
  }

  #writeCounts(): void {
    const lp = this.lp;
    lp.replaceInt(lp.first, this.live);
    lp.replaceInt(lp.next(lp.first), this.deleted);
  }

  /**
   * Appends an entry (`pairs` flat field, value, ..., from index `from`). `ms` and
   * `seq`, when given, are the ID's parts as numbers below 2^53 (they spare the bigint
   * arithmetic).
   */
  append(id: StreamId, pairs: readonly string[], ms = NaN, seq = NaN, from = 0): void {
    const lp = this.lp;
    const n = (pairs.length - from) / 2;
    let same = n === this.fields.length;
    for (let i = 0; same && i < n; i++) same = pairs[from + 2 * i] === this.fields[i];
    this.live++;
    // Only the live count changes (the first element of the master entry).
    lp.replaceInt(lp.first, this.live);
    lp.appendInt(same ? FLAG_SAMEFIELDS : 0);
    const msDiff = ms - this.masterMsNum;
    const seqDiff = seq - this.masterSeqNum;
    if (msDiff === msDiff && seqDiff === seqDiff) {
      // Both parts and the master's are below 2^53: the differences are exact.
      lp.appendInt(msDiff);
      lp.appendInt(seqDiff);
    } else {
      appendDiff(lp, idMs(id) - this.masterMs);
      appendDiff(lp, idSeq(id) - this.masterSeq);
    }
    if (same) {
      for (let i = from + 1; i < pairs.length; i += 2) lp.append(pairs[i]);
      lp.appendInt(n + 3);
    } else {
      lp.appendInt(n);
      for (let i = from; i < pairs.length; i++) lp.append(pairs[i]);
      lp.appendInt(2 * n + 4);
    }
    this.lastId = id;
  }

  /** Marks the entry whose flags are at `at` deleted. */
  markDeleted(at: number, flags: number): void {
    this.lp.replaceInt(at, flags | FLAG_DELETED);
    this.live--;
    this.deleted++;
    this.#writeCounts();
  }

  /** Offsets of every entry (deleted ones too), in order. */
  entryOffsets(): number[] {
    const out: number[] = [];
    const cursor = new EntryCursor();
    for (let at = this.entriesStart(); at < this.lp.end; at = cursor.next) {
      cursor.decode(this, at);
      out.push(at);
    }
    return out;
  }
}

function appendDiff(lp: Listpack, diff: bigint): void {
  // Redis stores each difference as a signed 64-bit integer.
  const signed = BigInt.asIntN(64, diff);
  lp.appendInt(
    signed >= -(2n ** 53n) && signed <= 2n ** 53n ? Number(signed) : signed,
  );
}

/** Decodes one entry of a node; reused while walking, so it allocates little. */
export class EntryCursor {
  node!: StreamNode;
  /** Offset of the entry's flags. */
  at = 0;
  flags = 0;
  // The ID, worked out when first asked for (a walk over whole nodes never needs it);
  // null until then.
  #id: StreamId | null = 0n;
  #msDiff: number | bigint = 0;
  #seqDiff: number | bigint = 0;
  /** Offset of the first field (or value) element. */
  body = 0;
  /** Offset of the next entry. */
  next = 0;
  /** Field, value pairs the entry holds. */
  size = 0;
  // The ID's parts as numbers, NaN when one is past 2^53 (idText then formats the bigint).
  #ms = NaN;
  #seq = NaN;

  get deleted(): boolean {
    return (this.flags & FLAG_DELETED) !== 0;
  }

  /** Reads the entry at `at`; false when its layout is not an entry's. */
  decode(node: StreamNode, at: number): boolean {
    const lp = node.lp;
    this.node = node;
    this.at = at;
    if (!lp.isInt(at)) return false;
    this.flags = lp.int(at);
    let p = lp.next(at);
    if (!lp.isInt(p)) return false;
    const msDiff = lp.intExact(p);
    p = lp.next(p);
    if (!lp.isInt(p)) return false;
    const seqDiff = lp.intExact(p);
    p = lp.next(p);
    this.#id = null;
    this.#msDiff = msDiff;
    this.#seqDiff = seqDiff;
    const msNum = typeof msDiff === "number" ? node.masterMsNum + msDiff : NaN;
    const seqNum = typeof seqDiff === "number" ? node.masterSeqNum + seqDiff : NaN;
    this.#ms = msNum >= 0 && msNum <= Number.MAX_SAFE_INTEGER ? msNum : NaN;
    this.#seq = seqNum >= 0 && seqNum <= Number.MAX_SAFE_INTEGER ? seqNum : NaN;
    this.body = p;
    let elements: number;
    if (this.flags & FLAG_SAMEFIELDS) {
      this.size = node.fields.length;
      elements = this.size;
    } else {
      if (!lp.isInt(p)) return false;
      this.size = lp.int(p);
      elements = 2 * this.size;
      p = lp.next(p);
      this.body = p;
    }
    for (let i = 0; i < elements; i++) p = lp.next(p);
    this.next = lp.next(p);
    return true;
  }

  /** The entry's ID. */
  get id(): StreamId {
    if (this.#id === null) {
      const node = this.node;
      const msDiff = this.#msDiff;
      const seqDiff = this.#seqDiff;
      const ms = msDiff === 0 ? node.masterMs : (node.masterMs + BigInt(msDiff)) & U64_MAX;
      const seq = seqDiff === 0 ? node.masterSeq : (node.masterSeq + BigInt(seqDiff)) & U64_MAX;
      this.#id = (ms << 64n) | seq;
    }
    return this.#id;
  }

  /** The entry's ID as Redis prints it (formatId's text, without bigint arithmetic). */
  idText(): string {
    const ms = this.#ms;
    const seq = this.#seq;
    return ms === ms && seq === seq ? ms + "-" + seq : formatId(this.id);
  }

  /** The entry's field, value pairs, flat. */
  pairs(): string[] {
    const node = this.node;
    const lp = node.lp;
    let p = this.body;
    if (this.flags & FLAG_SAMEFIELDS) {
      const fields = node.fields;
      const out = new Array<string>(fields.length * 2);
      for (let i = 0; i < fields.length; i++) {
        out[2 * i] = fields[i];
        out[2 * i + 1] = lp.string(p);
        p = lp.next(p);
      }
      return out;
    }
    const n = 2 * this.size;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      out[i] = lp.string(p);
      p = lp.next(p);
    }
    return out;
  }
}

/** A stream value. */
export class StreamValue {
  readonly type = "stream";
  /** Where the memory total counts this value (see store/accounting.ts). */
  account: Account | null = null;
  readonly nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  #lastId: StreamId = 0n;
  // lastId's parts as numbers while both are below 2^53 (else NaN).
  #lastMs = 0;
  #lastSeq = 0;
  /** The first live entry's ID (0-0 when empty). */
  firstId: StreamId = 0n;
  /** The largest ID XDEL removed. */
  maxDeletedId: StreamId = 0n;
  /** Entries ever added. */
  entriesAdded = 0;
  /** Consumer groups by name. */
  readonly groups = new Map<string, ConsumerGroup>();
  // The last live entry's ID (null: none), or undefined until looked for (again): a
  // stream built from its nodes (a load, RESTORE) has it looked for at first use.
  #lastLive: StreamId | null | undefined = undefined;
  // Where a walk last stopped: readers that follow the stream resume there instead
  // of decoding their node from its start.
  #hintNode: StreamNode | null = null;
  #hintMoves = 0;
  #hintAt = 0;
  #hintId: StreamId = 0n;

  get encoding(): "stream" {
    return "stream";
  }

  /** lastId as Redis prints it. */
  lastIdText(): string {
    const ms = this.#lastMs;
    const seq = this.#lastSeq;
    return ms === ms && seq === seq ? ms + "-" + seq : formatId(this.#lastId);
  }

  /** lastId's milliseconds as a number, or NaN when a part of it is past 2^53. */
  get lastMsNumber(): number {
    return this.#lastMs;
  }

  /** lastId's sequence as a number, or NaN when a part of it is past 2^53. */
  get lastSeqNumber(): number {
    return this.#lastSeq;
  }

  /** The ID of the last entry ever added (or set by XSETID). */
  get lastId(): StreamId {
    return this.#lastId;
  }

  set lastId(id: StreamId) {
    this.#lastId = id;
    const ms = idMs(id);
    const seq = idSeq(id);
    const safe = ms <= SAFE && seq <= SAFE;
    this.#lastMs = safe ? Number(ms) : NaN;
    this.#lastSeq = safe ? Number(seq) : NaN;
  }

  /**
   * XADD `*`: appends with the next ID after the last one, from the clock `now` (Unix
   * ms). False when no larger ID is possible; the ID taken is then lastId.
   */
  appendNow(now: number, pairs: readonly string[], limits: NodeLimits, from = 0): boolean {
    const lastMs = this.#lastMs;
    if (now > lastMs) {
      this.#append(BigInt(now) << 64n, pairs, limits, now, 0, from);
      return true;
    }
    if (lastMs === lastMs && this.#lastSeq < Number.MAX_SAFE_INTEGER) {
      this.#append(this.#lastId + 1n, pairs, limits, lastMs, this.#lastSeq + 1, from);
      return true;
    }
    const id = this.nextId(now);
    if (id === null) return false;
    this.append(id, pairs, limits, from);
    return true;
  }

  /** Groups in name order (byte order), as Redis lists them. */
  sortedGroups(): ConsumerGroup[] {
    return [...this.groups.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /**
   * The ID XADD `*` (or `<ms>-*` when `ms` is given) gets: null when no larger ID is
   * possible (the stream is at the largest ID, or `ms` is below the last ID's).
   */
  nextId(now: number, ms?: bigint): StreamId | null {
    const last = this.lastId;
    if (ms === undefined) {
      const nowMs = BigInt(now);
      if (nowMs > idMs(last)) return makeId(nowMs, 0n);
      return last === MAX_ID ? null : last + 1n;
    }
    const lastMs = idMs(last);
    if (ms > lastMs) return makeId(ms, 0n);
    if (ms < lastMs || idSeq(last) === U64_MAX) return null;
    return last + 1n;
  }

  /** Appends an entry with an ID larger than lastId (its pairs from index `from`). */
  append(id: StreamId, pairs: readonly string[], limits: NodeLimits, from = 0): void {
    const ms = idMs(id);
    const seq = idSeq(id);
    const safe = ms <= SAFE && seq <= SAFE;
    this.#append(id, pairs, limits, safe ? Number(ms) : NaN, safe ? Number(seq) : NaN, from);
  }

  // `ms` and `seq`: the ID's parts as numbers, NaN when one is past 2^53.
  #append(
    id: StreamId,
    pairs: readonly string[],
    limits: NodeLimits,
    ms: number,
    seq: number,
    from: number,
  ): void {
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      let maxBytes = limits.maxBytes;
      if (maxBytes === 0 || maxBytes > NODE_MAX_BYTES_CAP) maxBytes = NODE_MAX_BYTES_CAP;
      let payload = 0;
      for (let i = from; i < pairs.length; i++) payload += pairs[i].length;
      if (node.lp.size + payload >= maxBytes) node = undefined;
      else if (limits.maxEntries > 0 && node.live + node.deleted >= limits.maxEntries) {
        node = undefined;
      }
    }
    if (node === undefined) {
      // A node that follows a full one starts with room for as much as that one took.
      const full = this.nodes[this.nodes.length - 1];
      let capacity = 64;
      if (full !== undefined) {
        full.lp.shrink();
        capacity = full.lp.size + 64;
      }
      node = StreamNode.create(id, pairs, (pairs.length - from) / 2, capacity, from);
      this.nodes.push(node);
    }
    node.append(id, pairs, ms, seq, from);
    this.#lastLive = id;
    if (this.length === 0) this.firstId = id;
    this.length++;
    this.entriesAdded++;
    this.#lastId = id;
    this.#lastMs = ms;
    this.#lastSeq = seq;
  }

  /** Index of the last node whose master ID is <= id (-1 when none). */
  #nodeFor(id: StreamId): number {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid].master <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /**
   * Calls `fn` for each live entry with start <= ID <= end, ascending (or descending
   * with `rev`), until it returns false. The cursor is reused between calls. The
   * stream must not change during the walk.
   */
  walk(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    fn: (entry: EntryCursor) => boolean | void,
  ): void {
    if (this.length === 0 || start > end) return;
    const cursor = new EntryCursor();
    const nodes = this.nodes;
    if (!rev) {
      let stop = false;
      for (let i = Math.max(0, this.#nodeFor(start)); i < nodes.length && !stop; i++) {
        const node = nodes[i];
        if (node.master > end) break;
        if (node.lastId < start || node.live === 0) continue;
        const lpEnd = node.lp.end;
        let at = node.entriesStart();
        if (
          this.#hintNode === node && this.#hintMoves === node.lp.moves && this.#hintId <= start
        ) at = this.#hintAt;
        // A node wholly inside the range needs no comparisons (nor the entries' IDs).
        const inside = node.master >= start && node.lastId <= end;
        for (; at < lpEnd; at = cursor.next) {
          cursor.decode(node, at);
          if (cursor.deleted || (!inside && cursor.id < start)) continue;
          if ((!inside && cursor.id > end) || fn(cursor) === false) {
            stop = true;
            break;
          }
        }
      }
      if (cursor.at !== 0 || cursor.id !== 0n) {
        this.#hintNode = cursor.node;
        this.#hintMoves = cursor.node.lp.moves;
        this.#hintAt = cursor.at;
        this.#hintId = cursor.id;
      }
      return;
    }
    for (let i = this.#nodeFor(end); i >= 0; i--) {
      const node = nodes[i];
      if (node.lastId < start) return;
      if (node.live === 0) continue;
      const offsets = node.entryOffsets();
      for (let k = offsets.length - 1; k >= 0; k--) {
        cursor.decode(node, offsets[k]);
        if (cursor.deleted || cursor.id > end) continue;
        if (cursor.id < start) return;
        if (fn(cursor) === false) return;
      }
    }
  }

  /** The field, value pairs of entry `id`, or null when there is no such live entry. */
  get(id: StreamId): string[] | null {
    let found: string[] | null = null;
    this.walk(id, id, false, (entry) => {
      found = entry.pairs();
      return false;
    });
    return found;
  }

  /** The last live entry's ID, or null when there is none. */
  lastLiveId(): StreamId | null {
    if (this.#lastLive === undefined) this.#lastLive = this.edgeId(true);
    return this.#lastLive;
  }

  /** The first (or with `last`, the last) live entry's ID, or null when empty. */
  edgeId(last: boolean): StreamId | null {
    let found: StreamId | null = null;
    this.walk(0n, MAX_ID, last, (entry) => {
      found = entry.id;
      return false;
    });
    return found;
  }

  /** Deletes entry `id`; false when there is no such live entry (XDEL). */
  delete(id: StreamId): boolean {
    const index = this.#nodeFor(id);
    if (index < 0) return false;
    const node = this.nodes[index];
    if (node.lastId < id) return false;
    const cursor = new EntryCursor();
    for (let at = node.entriesStart(); at < node.lp.end; at = cursor.next) {
      cursor.decode(node, at);
      if (cursor.id < id) continue;
      if (cursor.id > id || cursor.deleted) return false;
      node.markDeleted(at, cursor.flags);
      if (node.live === 0) this.nodes.splice(index, 1);
      this.length--;
      if (id === this.#lastLive) this.#lastLive = undefined;
      if (id > this.maxDeletedId) this.maxDeletedId = id;
      if (id === this.firstId) this.firstId = this.edgeId(false) ?? 0n;
      return true;
    }
    return false;
  }

  /**
   * Trims from the oldest entry: MAXLEN keeps the newest `threshold` entries, MINID
   * removes entries below ID `threshold`. `approx` removes whole nodes only and stops
   * at the first node it can't remove; `limit` (0: none) caps the entries removed.
   * Returns how many were removed.
   */
  trim(
    options: { maxLen?: number; minId?: StreamId; approx: boolean; limit: number },
  ): number {
    const { maxLen, minId, approx, limit } = options;
    let removed = 0;
    const nodes = this.nodes;
    while (nodes.length > 0) {
      if (maxLen !== undefined && this.length <= maxLen) break;
      const node = nodes[0];
      const entries = node.live;
      if (limit > 0 && removed + entries > limit) break;
      const whole = maxLen !== undefined ? this.length - entries >= maxLen : node.lastId < minId!;
      if (whole) {
        nodes.shift();
        this.length -= entries;
        removed += entries;
        continue;
      }
      if (approx) break;
      const cursor = new EntryCursor();
      for (let at = node.entriesStart(); at < node.lp.end; at = cursor.next) {
        cursor.decode(node, at);
        if (maxLen !== undefined ? this.length <= maxLen : cursor.id >= minId!) break;
        if (cursor.deleted) continue;
        // The master entry's counts may change size, moving every entry after them.
        const size = node.lp.size;
        node.markDeleted(at, cursor.flags);
        cursor.next += node.lp.size - size;
        this.length--;
        removed++;
      }
      break;
    }
    if (removed > 0) {
      this.firstId = this.edgeId(false) ?? 0n;
      this.#lastLive = undefined;
    }
    return removed;
  }

  /** A deep copy (COPY). */
  clone(): StreamValue {
    const copy = new StreamValue();
    for (const node of this.nodes) {
      const lp = Listpack.wrap(node.lp.view().slice(), node.lp.count);
      copy.nodes.push(
        new StreamNode(node.master, lp, {
          live: node.live,
          deleted: node.deleted,
          fields: node.fields,
          lastId: node.lastId,
        }),
      );
    }
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.#lastLive = this.#lastLive;
    for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    return copy;
  }

  /**
   * The number of entries before `id` in the whole history of the stream when it can
   * be known (Redis's estimate for consumer-group lag), else -1.
   */
  entriesBefore(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** True when an entry XDEL removed may lie in start..end (Redis's tombstone test). */
  hasTombstones(start: StreamId, end: StreamId = MAX_ID): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    // The latest deletion was before the first entry: nothing deleted lies ahead.
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }
}
