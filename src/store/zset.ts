// The sorted set type: members (one-byte strings) ordered by score, ties by member bytes.
//
// Two encodings, as in Redis. A small set is a "listpack": two parallel arrays, members
// and scores, kept in order; a lookup scans, an insert splices, which at listpack sizes
// is cheap and keeps the set compact. Past zset-max-listpack-entries or
// zset-max-listpack-value it becomes what Redis calls a "skiplist": here an
// order-statistics B+tree (inner nodes count the members under each child, so ranks
// cost O(log n) like a skip list's spans, with far fewer objects and cache misses in
// JS) plus a Map member → score. Like Redis it never
// converts back, except for results built afresh (ZRANGESTORE, ZUNIONSTORE ...), which
// `fromEntries` sizes the way Redis does.
//
// Everything here is addressed by rank (0 = lowest score) so the commands above never
// see the encoding: a score or lex bound turns into a rank, and `walk` visits members
// from a rank forward or backward.

import type { Account } from "./accounting.ts";
import { StringTable } from "./string_table.ts";

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

// Array insertion and removal by shifting in place (splice allocates a result array).
function insertAt(members: string[], scores: number[], at: number, member: string, score: number) {
  members.push(member);
  scores.push(score);
  for (let k = members.length - 1; k > at; k--) {
    members[k] = members[k - 1];
    scores[k] = scores[k - 1];
  }
  members[at] = member;
  scores[at] = score;
}

function removeAt(members: string[], scores: number[], at: number): void {
  const n = members.length - 1;
  for (let k = at; k < n; k++) {
    members[k] = members[k + 1];
    scores[k] = scores[k + 1];
  }
  members.pop();
  scores.pop();
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
    insertAt(this.members, this.scores, at, member, score);
  }

  remove(member: string): void {
    const at = this.members.indexOf(member);
    removeAt(this.members, this.scores, at);
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

// A leaf: a run of members in order, linked to its neighbours for walks.
class Leaf {
  members: string[] = [];
  scores: number[] = [];
  prev: Leaf | null = null;
  next: Leaf | null = null;
}

// An inner node: children with their sizes, and for child i >= 1 a separator key
// (every member of child i is at or above it, every member of child i-1 below it).
class Inner {
  children: (Leaf | Inner)[] = [];
  counts: number[] = [];
  sepScores: number[] = [];
  sepMembers: string[] = [];
}

/** Leaves split past this many members; inner nodes past this many children. */
const MAX_LEAF = 128;
const MAX_INNER = 64;

// The path of the last descent: inner nodes and the child taken in each.
const pathNodes: Inner[] = [];
const pathIndex: number[] = [];

/** A monotone test over the order: true for every key below some point, false after. */
type Below = (score: number, member: string) => boolean;

/**
 * The skiplist encoding's order: a B+tree whose inner nodes count the members below
 * each child (an order-statistics tree), so inserts, deletes, ranks and the start of
 * a range cost O(log n) with few, cache-friendly nodes.
 */
class CountedTree implements Ordered {
  root: Leaf | Inner = new Leaf();
  first: Leaf = this.root as Leaf;
  last: Leaf = this.root as Leaf;
  length = 0;

  // Which child of `node` holds (score, member): the last one whose separator is at
  // or below it (binary search), else the first.
  #childFor(node: Inner, score: number, member: string): number {
    let lo = 1, hi = node.children.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(score, member, node.sepScores[mid], node.sepMembers[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  // Descends to the leaf for (score, member), adding `delta` to the counts on the
  // way and recording the path.
  #descend(score: number, member: string, delta: number): Leaf {
    let node = this.root;
    let depth = 0;
    while (node instanceof Inner) {
      const i = this.#childFor(node, score, member);
      node.counts[i] += delta;
      pathNodes[depth] = node;
      pathIndex[depth] = i;
      depth++;
      node = node.children[i];
    }
    pathNodes.length = depth;
    pathIndex.length = depth;
    return node;
  }

  insert(member: string, score: number): void {
    const leaf = this.#descend(score, member, 1);
    const { members, scores } = leaf;
    let lo = 0, hi = members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(scores[mid], members[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    insertAt(members, scores, lo, member, score);
    this.length++;
    if (members.length > MAX_LEAF) this.#splitLeaf(leaf);
  }

  #splitLeaf(leaf: Leaf): void {
    const right = new Leaf();
    const half = leaf.members.length >>> 1;
    right.members = leaf.members.splice(half);
    right.scores = leaf.scores.splice(half);
    right.prev = leaf;
    right.next = leaf.next;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.last = right;
    leaf.next = right;
    this.#addSibling(
      pathNodes.length - 1,
      leaf,
      right,
      leaf.members.length,
      right.members.length,
      right.scores[0],
      right.members[0],
    );
  }

  // Puts `right` just after `left` (the child at path depth `depth`) in its parent,
  // growing a new root when `left` was the root; splits the parent when too wide.
  #addSibling(
    depth: number,
    left: Leaf | Inner,
    right: Leaf | Inner,
    leftCount: number,
    rightCount: number,
    sepScore: number,
    sepMember: string,
  ): void {
    if (depth < 0) {
      const root = new Inner();
      root.children = [left, right];
      root.counts = [leftCount, rightCount];
      root.sepScores = [0, sepScore];
      root.sepMembers = ["", sepMember];
      this.root = root;
      return;
    }
    const parent = pathNodes[depth];
    const i = pathIndex[depth];
    parent.children.splice(i + 1, 0, right);
    parent.counts[i] = leftCount;
    parent.counts.splice(i + 1, 0, rightCount);
    parent.sepScores.splice(i + 1, 0, sepScore);
    parent.sepMembers.splice(i + 1, 0, sepMember);
    if (parent.children.length <= MAX_INNER) return;
    const half = parent.children.length >>> 1;
    const sibling = new Inner();
    sibling.children = parent.children.splice(half);
    sibling.counts = parent.counts.splice(half);
    sibling.sepScores = parent.sepScores.splice(half);
    sibling.sepMembers = parent.sepMembers.splice(half);
    this.#addSibling(
      depth - 1,
      parent,
      sibling,
      sum(parent.counts),
      sum(sibling.counts),
      sibling.sepScores[0],
      sibling.sepMembers[0],
    );
  }

  remove(member: string, score: number): void {
    const leaf = this.#descend(score, member, -1);
    let at = -1;
    const { members, scores } = leaf;
    let lo = 0, hi = members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(scores[mid], members[mid], score, member)) lo = mid + 1;
      else hi = mid;
    }
    if (lo < members.length && members[lo] === member) at = lo;
    if (at < 0) throw new Error("zset: removing a member that is not there");
    removeAt(members, scores, at);
    this.length--;
    this.#rebalance(leaf);
  }

  // After a removal: drops an empty leaf, or merges a small one into a neighbour in
  // the same parent when both fit in one leaf; then shrinks a root with one child.
  #rebalance(leaf: Leaf): void {
    const depth = pathNodes.length - 1;
    if (depth < 0) return;
    const parent = pathNodes[depth];
    const i = pathIndex[depth];
    if (leaf.members.length === 0) {
      this.#unlinkLeaf(leaf);
      this.#removeChild(depth, i);
    } else if (leaf.members.length < MAX_LEAF / 4) {
      const left = i > 0 ? parent.children[i - 1] as Leaf : null;
      const right = i + 1 < parent.children.length ? parent.children[i + 1] as Leaf : null;
      if (left !== null && left.members.length + leaf.members.length <= MAX_LEAF) {
        left.members.push(...leaf.members);
        left.scores.push(...leaf.scores);
        parent.counts[i - 1] += parent.counts[i];
        this.#unlinkLeaf(leaf);
        this.#removeChild(depth, i);
      } else if (right !== null && right.members.length + leaf.members.length <= MAX_LEAF) {
        leaf.members.push(...right.members);
        leaf.scores.push(...right.scores);
        parent.counts[i] += parent.counts[i + 1];
        this.#unlinkLeaf(right);
        this.#removeChild(depth, i + 1);
      }
    }
    while (this.root instanceof Inner && this.root.children.length === 1) {
      this.root = this.root.children[0];
    }
  }

  #unlinkLeaf(leaf: Leaf): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    else this.first = leaf.next!;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    else this.last = leaf.prev!;
  }

  // Removes child i of the inner node at path depth `depth`, and that node too
  // (from its own parent) when it is left with no children.
  #removeChild(depth: number, i: number): void {
    const node = pathNodes[depth];
    node.children.splice(i, 1);
    node.counts.splice(i, 1);
    node.sepScores.splice(i, 1);
    node.sepMembers.splice(i, 1);
    if (node.children.length === 0 && depth > 0) this.#removeChild(depth - 1, pathIndex[depth - 1]);
  }

  /** How many members pass `below` (a test that holds up to some point of the order). */
  countWhile(below: Below): number {
    let node = this.root;
    let total = 0;
    while (node instanceof Inner) {
      let lo = 1, hi = node.children.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (below(node.sepScores[mid], node.sepMembers[mid])) lo = mid + 1;
        else hi = mid;
      }
      const child = lo - 1;
      for (let j = 0; j < child; j++) total += node.counts[j];
      node = node.children[child];
    }
    let lo = 0, hi = node.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (below(node.scores[mid], node.members[mid])) lo = mid + 1;
      else hi = mid;
    }
    return total + lo;
  }

  rank(member: string, score: number): number {
    return this.countWhile((s, m) => before(s, m, score, member));
  }

  countBelow(score: number, orEqual: boolean): number {
    return orEqual ? this.countWhile((s) => s <= score) : this.countWhile((s) => s < score);
  }

  lexFirst(min: LexBound): number {
    return this.countWhile((_, m) => !lexGteMin(m, min));
  }

  lexLast(max: LexBound): number {
    return this.countWhile((_, m) => lexLteMax(m, max)) - 1;
  }

  // The leaf holding a rank and the rank's index in it.
  #locate(rank: number): [Leaf, number] {
    let node = this.root;
    while (node instanceof Inner) {
      let i = 0;
      while (rank >= node.counts[i]) rank -= node.counts[i++];
      node = node.children[i];
    }
    return [node, rank];
  }

  memberAt(rank: number): string {
    const [leaf, i] = this.#locate(rank);
    return leaf.members[i];
  }

  scoreAt(rank: number): number {
    const [leaf, i] = this.#locate(rank);
    return leaf.scores[i];
  }

  walk(rank: number, reverse: boolean, visit: Visit): void {
    if (rank < 0 || rank >= this.length) return;
    let [at, i] = this.#locate(rank) as [Leaf | null, number];
    while (at !== null) {
      const { members, scores } = at;
      if (reverse) {
        for (; i >= 0; i--) if (visit(members[i], scores[i]) === false) return;
        at = at.prev;
        if (at !== null) i = at.members.length - 1;
      } else {
        for (; i < members.length; i++) if (visit(members[i], scores[i]) === false) return;
        at = at.next;
        i = 0;
      }
    }
  }

  removeRanks(start: number, end: number, removed: (member: string) => void): void {
    const gone: [string, number][] = [];
    let left = end - start + 1;
    this.walk(start, false, (member, score) => {
      gone.push([member, score]);
      return --left > 0;
    });
    for (const [member, score] of gone) {
      this.remove(member, score);
      removed(member);
    }
  }
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

// ---------------------------------------------------------------------------------
// The value

/** A zset value. */
export class SortedSetValue {
  readonly type = "zset";
  /** Where the memory total counts this value (see store/accounting.ts). */
  account: Account | null = null;
  #packed: Packed | null = new Packed();
  #list: CountedTree | null = null;
  #dict: StringTable<number> | null = null;

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
    this.addNew(member, score, limits);
    return true;
  }

  /** Changes the score of a member the caller found with score `current`. */
  rescore(member: string, current: number, score: number): void {
    if (current !== score) this.#move(member, current, score);
  }

  /** Adds a member the caller found absent (one lookup instead of two). */
  addNew(member: string, score: number, limits: ZsetLimits): void {
    if (
      this.#packed !== null && (this.#packed.length + 1 > limits.maxListpackEntries ||
        member.length > limits.maxListpackValue)
    ) {
      this.#toSkiplist();
    }
    this.#order.insert(member, score);
    this.#dict?.set(member, score);
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
    for (let leaf: Leaf | null = this.#list!.first; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.members.length; i++) yield [leaf.members[i], leaf.scores[i]];
    }
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
    const list = new CountedTree();
    const dict = new StringTable<number>();
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
    const tree = this.#list!, dict = this.#dict!;
    if (tree.length !== dict.size) throw new Error("tree and table differ in size");
    // The leaves in order: sorted, linked both ways, agreeing with the table.
    let count = 0;
    let prev: Leaf | null = null;
    let last: [number, string] | null = null;
    for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) {
      if (leaf.prev !== prev) throw new Error(`bad back link at rank ${count}`);
      if (leaf.members.length === 0 && tree.root !== leaf) throw new Error("empty leaf");
      if (leaf.members.length !== leaf.scores.length) throw new Error("leaf arrays differ");
      for (let i = 0; i < leaf.members.length; i++) {
        const [m, sc] = [leaf.members[i], leaf.scores[i]];
        if (last !== null && !before(last[0], last[1], sc, m)) {
          throw new Error(`out of order at rank ${count}`);
        }
        if (dict.get(m) !== sc) throw new Error(`table disagrees at rank ${count}`);
        last = [sc, m];
        count++;
      }
      prev = leaf;
    }
    if (count !== tree.length) throw new Error("length is wrong");
    if (tree.last !== prev) throw new Error("last leaf is wrong");
    // Inner nodes: counts are subtree sizes, separators split the children, depth is even.
    const check = (
      node: Leaf | Inner,
      lo: [number, string] | null,
      hi: [number, string] | null,
      depth: number,
      leafDepth: number[],
    ): number => {
      if (node instanceof Leaf) {
        if (leafDepth.length === 0) leafDepth.push(depth);
        else if (leafDepth[0] !== depth) throw new Error("leaves at different depths");
        for (let i = 0; i < node.members.length; i++) {
          const m = node.members[i], sc = node.scores[i];
          if (lo !== null && before(sc, m, lo[0], lo[1])) throw new Error("below its separator");
          if (hi !== null && !before(sc, m, hi[0], hi[1])) throw new Error("above its separator");
        }
        return node.members.length;
      }
      if (node.children.length === 0) throw new Error("inner node without children");
      if (node.children.length > MAX_INNER) throw new Error("inner node too wide");
      let total = 0;
      for (let i = 0; i < node.children.length; i++) {
        const from: [number, string] | null = i === 0
          ? lo
          : [node.sepScores[i], node.sepMembers[i]];
        const to: [number, string] | null = i + 1 < node.children.length
          ? [node.sepScores[i + 1], node.sepMembers[i + 1]]
          : hi;
        const size = check(node.children[i], from, to, depth + 1, leafDepth);
        if (size !== node.counts[i]) {
          throw new Error(`count ${node.counts[i]} for a child of ${size}`);
        }
        total += size;
      }
      return total;
    };
    if (check(tree.root, null, null, 0, []) !== tree.length) throw new Error("root size is wrong");
  }
}
