// The sorted set type: members (one-byte strings) ordered by score, ties by member bytes.
//
// Two encodings, as in Redis. A small set is a "listpack": two parallel arrays, members
// and scores, kept in order; a lookup scans, an insert splices, which at listpack sizes
// is cheap and keeps the set compact. Past zset-max-listpack-entries or
// zset-max-listpack-value it becomes a "skiplist": a skip list whose links carry span
// counts (so ranks cost O(log n)) plus a Map member → score. Like Redis it never
// converts back, except for results built afresh (ZRANGESTORE, ZUNIONSTORE ...), which
// `fromEntries` sizes the way Redis does.
//
// Everything here is addressed by rank (0 = lowest score) so the commands above never
// see the encoding: a score or lex bound turns into a rank, and `walk` visits members
// from a rank forward or backward.

/** The thresholds past which Redis stops keeping a sorted set as a listpack. */
export interface ZsetLimits {
  maxListpackEntries: number;
  maxListpackValue: number;
}

/** A score interval: ZRANGEBYSCORE's min and max, each possibly exclusive ("(1.5"). */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/**
 * One end of a lex interval: `-` (below everything, `infinite` -1), `+` (above
 * everything, 1), or a member, inclusive (`[a`) or exclusive (`(a`).
 */
export interface LexBound {
  value: string;
  exclusive: boolean;
  infinite: -1 | 0 | 1;
}

/** ZRANGEBYLEX's min and max. */
export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** Visits one member; returning false stops the walk. */
export type Visit = (member: string, score: number) => boolean | void;

// ---------------------------------------------------------------------------------
// Bounds

/** True when `member` is at or above the lex lower bound. */
export function lexGteMin(member: string, min: LexBound): boolean {
  if (min.infinite !== 0) return min.infinite < 0;
  return min.exclusive ? member > min.value : member >= min.value;
}

/** True when `member` is at or below the lex upper bound. */
export function lexLteMax(member: string, max: LexBound): boolean {
  if (max.infinite !== 0) return max.infinite > 0;
  return max.exclusive ? member < max.value : member <= max.value;
}

// Orders two lex bounds (-, +, or a value; the exclusive flag plays no part).
function compareBounds(a: LexBound, b: LexBound): number {
  if (a.infinite !== 0 || b.infinite !== 0) {
    if (a.infinite === b.infinite) return 0;
    if (a.infinite < 0 || b.infinite > 0) return -1;
    return 1;
  }
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** True when no member could fall inside the lex interval. */
export function lexRangeEmpty(range: LexRange): boolean {
  const cmp = compareBounds(range.min, range.max);
  return cmp > 0 || (cmp === 0 && (range.min.exclusive || range.max.exclusive));
}

/** True when no score could fall inside the interval. */
export function scoreRangeEmpty(range: ScoreRange): boolean {
  return range.min > range.max ||
    (range.min === range.max && (range.minExclusive || range.maxExclusive));
}

export function scoreGteMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

export function scoreLteMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

// ---------------------------------------------------------------------------------
// The ordered part of each encoding

/** What both encodings provide, by rank; members given with their current score. */
interface Ordered {
  readonly length: number;
  insert(member: string, score: number): void;
  remove(member: string, score: number): void;
  /** The member's rank (0-based); the member must be present with that score. */
  rank(member: string, score: number): number;
  /** How many members score below `score` (or at most `score` when `orEqual`). */
  countBelow(score: number, orEqual: boolean): number;
  /** The rank of the first member at or above `min` (length when none). */
  lexFirst(min: LexBound): number;
  /** The rank of the last member at or below `max` (-1 when none). */
  lexLast(max: LexBound): number;
  memberAt(rank: number): string;
  scoreAt(rank: number): number;
  /** Visits members from `rank`, upward or (reverse) downward, until `visit` says stop. */
  walk(rank: number, reverse: boolean, visit: Visit): void;
  /** Removes ranks start..end (inclusive), telling `removed` each member. */
  removeRanks(start: number, end: number, removed: (member: string) => void): void;
}

// Comparison in the set's order: by score, then by member bytes.
function before(score: number, member: string, otherScore: number, other: string): boolean {
  return score < otherScore || (score === otherScore && member < other);
}

/** The listpack encoding: sorted parallel arrays. */
class Packed implements Ordered {
  members: string[] = [];
  scores: number[] = [];

  get length(): number {
    return this.members.length;
  }

  indexOf(member: string): number {
    return this.members.indexOf(member);
  }

  // The index where (score, member) belongs: binary search.
  #position(score: number, member: string): number {
    let lo = 0, hi = this.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.scores[mid], this.members[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(member: string, score: number): void {
    // A listpack keeps a zero score as the integer 0, so -0 comes back as 0.
    if (score === 0) score = 0;
    const at = this.#position(score, member);
    this.members.splice(at, 0, member);
    this.scores.splice(at, 0, score);
  }

  remove(member: string): void {
    const at = this.members.indexOf(member);
    this.members.splice(at, 1);
    this.scores.splice(at, 1);
  }

  rank(member: string): number {
    return this.members.indexOf(member);
  }

  countBelow(score: number, orEqual: boolean): number {
    let lo = 0, hi = this.scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.scores[mid];
      if (s < score || (orEqual && s === score)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Redis walks a listpack from its head (or tail) for lex bounds; with members of
  // mixed scores the answers differ from a binary search, so walk the same way.
  lexFirst(min: LexBound): number {
    const n = this.members.length;
    for (let i = 0; i < n; i++) if (lexGteMin(this.members[i], min)) return i;
    return n;
  }

  lexLast(max: LexBound): number {
    for (let i = this.members.length - 1; i >= 0; i--) {
      if (lexLteMax(this.members[i], max)) return i;
    }
    return -1;
  }

  memberAt(rank: number): string {
    return this.members[rank];
  }

  scoreAt(rank: number): number {
    return this.scores[rank];
  }

  walk(rank: number, reverse: boolean, visit: Visit): void {
    const members = this.members, scores = this.scores;
    if (reverse) {
      for (let i = rank; i >= 0; i--) if (visit(members[i], scores[i]) === false) return;
    } else {
      for (let i = rank; i < members.length; i++) {
        if (visit(members[i], scores[i]) === false) return;
      }
    }
  }

  removeRanks(start: number, end: number, removed: (member: string) => void): void {
    const gone = this.members.splice(start, end - start + 1);
    this.scores.splice(start, end - start + 1);
    for (const member of gone) removed(member);
  }

  clone(): Packed {
    const copy = new Packed();
    copy.members = this.members.slice();
    copy.scores = this.scores.slice();
    return copy;
  }
}

const MAX_LEVEL = 32;

/** A skip-list node: `next[i]` skips `span[i]` ranks at level i. */
class ZNode {
  backward: ZNode | null = null;
  readonly next: (ZNode | null)[];
  readonly span: number[];

  constructor(public member: string, public score: number, level: number) {
    this.next = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

// Scratch space for the search path of an insert or delete (the server is single-threaded).
const updatePath: ZNode[] = new Array(MAX_LEVEL);
const rankPath: number[] = new Array(MAX_LEVEL).fill(0);

// Levels with probability 1/4 of going one higher, as Redis's skip list does.
function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < 0.25) level++;
  return level;
}

/** The skiplist encoding's order: a skip list with span counts. */
class SkipList implements Ordered {
  readonly head = new ZNode("", 0, MAX_LEVEL);
  tail: ZNode | null = null;
  level = 1;
  length = 0;

  insert(member: string, score: number): void {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rankPath[i] = i === this.level - 1 ? 0 : rankPath[i + 1];
      let next = x.next[i];
      while (next !== null && before(next.score, next.member, score, member)) {
        rankPath[i] += x.span[i];
        x = next;
        next = x.next[i];
      }
      updatePath[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rankPath[i] = 0;
        updatePath[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const prev = updatePath[i];
      node.next[i] = prev.next[i];
      prev.next[i] = node;
      node.span[i] = prev.span[i] - (rankPath[0] - rankPath[i]);
      prev.span[i] = rankPath[0] - rankPath[i] + 1;
    }
    for (let i = level; i < this.level; i++) updatePath[i].span[i]++;
    node.backward = updatePath[0] === this.head ? null : updatePath[0];
    if (node.next[0] !== null) node.next[0].backward = node;
    else this.tail = node;
    this.length++;
  }

  // Unlinks x, whose predecessors at each level are in updatePath.
  #unlink(x: ZNode): void {
    for (let i = 0; i < this.level; i++) {
      const prev = updatePath[i];
      if (prev.next[i] === x) {
        prev.span[i] += x.span[i] - 1;
        prev.next[i] = x.next[i];
      } else {
        prev.span[i]--;
      }
    }
    if (x.next[0] !== null) x.next[0].backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  remove(member: string, score: number): void {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.next[i];
      while (next !== null && before(next.score, next.member, score, member)) {
        x = next;
        next = x.next[i];
      }
      updatePath[i] = x;
    }
    const target = x.next[0];
    if (target === null || target.member !== member || target.score !== score) {
      throw new Error("zset: removing a member that is not there");
    }
    this.#unlink(target);
  }

  rank(member: string, score: number): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.next[i];
      while (
        next !== null &&
        (next.score < score || (next.score === score && next.member <= member))
      ) {
        rank += x.span[i];
        x = next;
        next = x.next[i];
      }
      if (x !== this.head && x.member === member) return rank - 1;
    }
    return -1;
  }

  countBelow(score: number, orEqual: boolean): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.next[i];
      while (next !== null && (next.score < score || (orEqual && next.score === score))) {
        rank += x.span[i];
        x = next;
        next = x.next[i];
      }
    }
    return rank;
  }

  lexFirst(min: LexBound): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.next[i];
      while (next !== null && !lexGteMin(next.member, min)) {
        rank += x.span[i];
        x = next;
        next = x.next[i];
      }
    }
    return rank;
  }

  lexLast(max: LexBound): number {
    let x = this.head;
    let rank = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.next[i];
      while (next !== null && lexLteMax(next.member, max)) {
        rank += x.span[i];
        x = next;
        next = x.next[i];
      }
    }
    return rank - 1;
  }

  /** The node at a 0-based rank, in O(log n). */
  nodeAt(rank: number): ZNode {
    let x = this.head;
    let traversed = 0;
    const wanted = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= wanted) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      if (traversed === wanted) return x;
    }
    throw new Error(`zset: no rank ${rank}`);
  }

  memberAt(rank: number): string {
    return this.nodeAt(rank).member;
  }

  scoreAt(rank: number): number {
    return this.nodeAt(rank).score;
  }

  walk(rank: number, reverse: boolean, visit: Visit): void {
    if (rank < 0 || rank >= this.length) return;
    let x: ZNode | null = this.nodeAt(rank);
    while (x !== null) {
      if (visit(x.member, x.score) === false) return;
      x = reverse ? x.backward : x.next[0];
    }
  }

  removeRanks(start: number, end: number, removed: (member: string) => void): void {
    let x = this.head;
    let traversed = 0;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= start) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      updatePath[i] = x;
    }
    let node = x.next[0];
    for (let n = end - start + 1; n > 0 && node !== null; n--) {
      const following: ZNode | null = node.next[0];
      this.#unlink(node);
      removed(node.member);
      node = following;
    }
  }
}

// ---------------------------------------------------------------------------------
// The value

/** A zset value. */
export class SortedSetValue {
  readonly type = "zset";
  #packed: Packed | null = new Packed();
  #list: SkipList | null = null;
  #dict: Map<string, number> | null = null;

  /**
   * A new, empty sorted set encoded as Redis encodes the one ZADD creates: a skiplist
   * when listpacks are disabled or the first member is already too long.
   */
  static create(firstMemberLength: number, limits: ZsetLimits): SortedSetValue {
    const zset = new SortedSetValue();
    if (limits.maxListpackEntries === 0 || firstMemberLength > limits.maxListpackValue) {
      zset.#toSkiplist();
    }
    return zset;
  }

  /**
   * A sorted set holding `entries` (distinct members, any order), encoded as Redis
   * encodes a freshly computed result: a listpack when it fits the limits.
   */
  static fromEntries(entries: Iterable<[string, number]>, limits: ZsetLimits): SortedSetValue {
    const sorted = [...entries].sort((a, b) =>
      a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
    );
    let longest = 0;
    for (const [member] of sorted) if (member.length > longest) longest = member.length;
    const zset = new SortedSetValue();
    if (sorted.length > limits.maxListpackEntries || longest > limits.maxListpackValue) {
      zset.#toSkiplist();
      for (const [member, score] of sorted) {
        zset.#list!.insert(member, score);
        zset.#dict!.set(member, score);
      }
    } else {
      const packed = zset.#packed!;
      for (const [member, score] of sorted) {
        packed.members.push(member);
        packed.scores.push(score === 0 ? 0 : score);
      }
    }
    return zset;
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "listpack" | "skiplist" {
    return this.#packed !== null ? "listpack" : "skiplist";
  }

  /** The number of members. */
  get size(): number {
    return this.#order.length;
  }

  get #order(): Ordered {
    return this.#packed ?? this.#list!;
  }

  /** A member's score, or undefined when absent. */
  score(member: string): number | undefined {
    if (this.#dict !== null) return this.#dict.get(member);
    const packed = this.#packed!;
    const at = packed.indexOf(member);
    return at < 0 ? undefined : packed.scores[at];
  }

  has(member: string): boolean {
    return this.score(member) !== undefined;
  }

  /**
   * Sets a member's score; returns true when the member is new. A listpack that
   * outgrows the limits becomes a skiplist, for good.
   */
  set(member: string, score: number, limits: ZsetLimits): boolean {
    const current = this.score(member);
    if (current !== undefined) {
      if (current !== score) this.#move(member, current, score);
      return false;
    }
    if (
      this.#packed !== null && (this.#packed.length + 1 > limits.maxListpackEntries ||
        member.length > limits.maxListpackValue)
    ) {
      this.#toSkiplist();
    }
    this.#order.insert(member, score);
    this.#dict?.set(member, score);
    return true;
  }

  #move(member: string, from: number, to: number): void {
    const order = this.#order;
    order.remove(member, from);
    order.insert(member, to);
    this.#dict?.set(member, to);
  }

  /** Removes a member; true when it was there. */
  delete(member: string): boolean {
    const score = this.score(member);
    if (score === undefined) return false;
    this.#order.remove(member, score);
    this.#dict?.delete(member);
    return true;
  }

  /** The member's rank from the lowest score (or from the highest, `reverse`). */
  rank(member: string, reverse = false): number | undefined {
    const score = this.score(member);
    if (score === undefined) return undefined;
    const rank = this.#order.rank(member, score);
    return reverse ? this.size - 1 - rank : rank;
  }

  memberAt(rank: number): string {
    return this.#order.memberAt(rank);
  }

  scoreAt(rank: number): number {
    return this.#order.scoreAt(rank);
  }

  /** Visits members from a rank (counted from the lowest score) up, or down (reverse). */
  walk(rank: number, reverse: boolean, visit: Visit): void {
    if (rank < 0 || rank >= this.size) return;
    this.#order.walk(rank, reverse, visit);
  }

  /** Every member with its score, lowest first. */
  *entries(): Generator<[string, number]> {
    const packed = this.#packed;
    if (packed !== null) {
      for (let i = 0; i < packed.length; i++) yield [packed.members[i], packed.scores[i]];
      return;
    }
    for (let x = this.#list!.head.next[0]; x !== null; x = x.next[0]) yield [x.member, x.score];
  }

  /** Member → score in no particular order (ZSCAN's walk over a skiplist's table). */
  unordered(): Iterable<[string, number]> {
    return this.#dict ?? this.entries();
  }

  /** The rank of the first member inside the score range, or -1 (ZRANGEBYSCORE). */
  firstInScoreRange(range: ScoreRange): number {
    if (scoreRangeEmpty(range) || this.size === 0) return -1;
    const rank = this.#order.countBelow(range.min, range.minExclusive);
    if (rank >= this.size || !scoreLteMax(this.scoreAt(rank), range)) return -1;
    return rank;
  }

  /** The rank of the last member inside the score range, or -1 (ZREVRANGEBYSCORE). */
  lastInScoreRange(range: ScoreRange): number {
    if (scoreRangeEmpty(range) || this.size === 0) return -1;
    const rank = this.#order.countBelow(range.max, !range.maxExclusive) - 1;
    if (rank < 0 || !scoreGteMin(this.scoreAt(rank), range)) return -1;
    return rank;
  }

  /** How many members the score range holds (ZCOUNT). */
  countInScoreRange(range: ScoreRange): number {
    const first = this.firstInScoreRange(range);
    if (first < 0) return 0;
    return this.lastInScoreRange(range) - first + 1;
  }

  // Redis first checks the range against the lowest and highest members.
  #lexOverlaps(range: LexRange): boolean {
    if (lexRangeEmpty(range) || this.size === 0) return false;
    return lexGteMin(this.memberAt(this.size - 1), range.min) &&
      lexLteMax(this.memberAt(0), range.max);
  }

  /** The rank of the first member inside the lex range, or -1 (ZRANGEBYLEX). */
  firstInLexRange(range: LexRange): number {
    if (!this.#lexOverlaps(range)) return -1;
    const rank = this.#order.lexFirst(range.min);
    if (rank >= this.size || !lexLteMax(this.memberAt(rank), range.max)) return -1;
    return rank;
  }

  /** The rank of the last member inside the lex range, or -1 (ZREVRANGEBYLEX). */
  lastInLexRange(range: LexRange): number {
    if (!this.#lexOverlaps(range)) return -1;
    const rank = this.#order.lexLast(range.max);
    if (rank < 0 || !lexGteMin(this.memberAt(rank), range.min)) return -1;
    return rank;
  }

  /**
   * How many members the lex range holds (ZLEXCOUNT, ZREMRANGEBYLEX): counted by a walk
   * from the first for a listpack, from the two ends' ranks for a skiplist, as Redis does.
   */
  countInLexRange(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (first < 0) return 0;
    if (this.#packed !== null) {
      let n = 0;
      this.#packed.walk(first, false, (member) => {
        if (!lexLteMax(member, range.max)) return false;
        n++;
        return true;
      });
      return n;
    }
    return this.lastInLexRange(range) - first + 1;
  }

  /** Removes ranks start..end (inclusive, valid); answers the number removed. */
  deleteRanks(start: number, end: number): number {
    const before = this.size;
    const dict = this.#dict;
    this.#order.removeRanks(start, end, (member) => dict?.delete(member));
    return before - this.size;
  }

  /** A copy sharing nothing mutable (COPY), in the same encoding. */
  clone(): SortedSetValue {
    const copy = new SortedSetValue();
    if (this.#packed !== null) {
      copy.#packed = this.#packed.clone();
      return copy;
    }
    copy.#toSkiplist();
    for (const [member, score] of this.entries()) {
      copy.#list!.insert(member, score);
      copy.#dict!.set(member, score);
    }
    return copy;
  }

  #toSkiplist(): void {
    const packed = this.#packed!;
    const list = new SkipList();
    const dict = new Map<string, number>();
    for (let i = 0; i < packed.length; i++) {
      list.insert(packed.members[i], packed.scores[i]);
      dict.set(packed.members[i], packed.scores[i]);
    }
    this.#packed = null;
    this.#list = list;
    this.#dict = dict;
  }

  /**
   * Checks the structure's invariants (tests): order, spans, back links, tail, length,
   * and agreement between the list and the table. Throws on the first violation.
   */
  checkInvariants(): void {
    if (this.#packed !== null) {
      const { members, scores } = this.#packed;
      if (members.length !== scores.length) throw new Error("listpack arrays differ in length");
      for (let i = 1; i < members.length; i++) {
        if (!before(scores[i - 1], members[i - 1], scores[i], members[i])) {
          throw new Error(`listpack out of order at ${i}`);
        }
      }
      return;
    }
    const list = this.#list!, dict = this.#dict!;
    if (list.length !== dict.size) throw new Error("skip list and table differ in size");
    // Level 0: order, back links, tail, and agreement with the table.
    let count = 0;
    let prev: ZNode | null = null;
    for (let x = list.head.next[0]; x !== null; x = x.next[0]) {
      if (x.backward !== prev) throw new Error(`bad back link at rank ${count}`);
      if (prev !== null && !before(prev.score, prev.member, x.score, x.member)) {
        throw new Error(`skip list out of order at rank ${count}`);
      }
      if (dict.get(x.member) !== x.score) throw new Error(`table disagrees at rank ${count}`);
      prev = x;
      count++;
    }
    if (count !== list.length) throw new Error("length is wrong");
    if (list.tail !== prev) throw new Error("tail is wrong");
    // Every level: spans add up to the ranks they skip.
    const rankOf = new Map<ZNode, number>();
    let r = 0;
    for (let x = list.head.next[0]; x !== null; x = x.next[0]) rankOf.set(x, ++r);
    for (let i = 0; i < MAX_LEVEL; i++) {
      if (i >= list.level) {
        if (list.head.next[i] !== null) throw new Error(`link above the level at ${i}`);
        continue;
      }
      let x: ZNode = list.head;
      let at = 0;
      while (true) {
        const next = x.next[i];
        const target = next === null ? list.length + 1 : rankOf.get(next)!;
        if (next !== null && x.span[i] !== target - at) {
          throw new Error(`wrong span at level ${i}, rank ${at}`);
        }
        if (next === null) break;
        at = target;
        x = next;
      }
    }
  }
}
