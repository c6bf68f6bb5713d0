// Sorted set operations: ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
// Inputs may be plain sets, whose members score 1. Assembled in sorted_set.ts.

import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONG_TYPE } from "../protocol/errors.ts";
import { SetValue } from "../store/set.ts";
import { SortedSetValue } from "../store/zset.ts";
import { lookupRead } from "./_lookup.ts";
import type { CommandSpec, Session } from "./context.ts";
import { countedKeys, keyAt } from "./table.ts";
import { isWord } from "./_parse.ts";
import { parseDouble } from "./_zset_args.ts";
import { parseInteger } from "../util/int64.ts";
import {
  AGGREGATE,
  KEYS,
  NUMKEYS,
  replyPair,
  replyPairsHeader,
  spec,
  storeResult,
  WEIGHTS,
  WITHSCORES,
} from "./_sorted_set.ts";

const ERR_WEIGHT = "ERR weight value is not a float";
const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

function errNoInputKeys(command: string): string {
  return `ERR at least 1 input key is needed for '${command}' command`;
}

// ---------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD

/** An input of a set operation: a sorted set, a set (every member scores 1) or nothing. */
interface Source {
  size: number;
  weight: number;
  score(member: string): number | undefined;
  entries(): Iterable<[string, number]>;
}

function* setEntries(set: SetValue): Generator<[string, number]> {
  for (const member of set.members()) yield [member, 1];
}

function sourceOf(value: SortedSetValue | SetValue | undefined): Source {
  if (value instanceof SortedSetValue) {
    return {
      size: value.size,
      weight: 1,
      score: (member) => value.score(member),
      entries: () => value.entries(),
    };
  }
  if (value instanceof SetValue) {
    return {
      size: value.size,
      weight: 1,
      score: (member) => value.has(member) ? 1 : undefined,
      entries: () => setEntries(value),
    };
  }
  return { size: 0, weight: 1, score: () => undefined, entries: () => [] };
}

type Aggregate = "sum" | "min" | "max";

function aggregate(current: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = current + value;
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === "min") return value < current ? value : current;
  return value > current ? value : current;
}

// A weighted score, where 0 × ±inf counts as 0 rather than NaN.
function weighted(score: number, weight: number): number {
  const value = score * weight;
  return Number.isNaN(value) ? 0 : value;
}

type SetOp = "union" | "inter" | "diff";

/**
 * ZUNION/ZINTER/ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
 * [WITHSCORES], the STORE forms (destination first, no WITHSCORES) and ZINTERCARD
 * numkeys key [key ...] [LIMIT limit]. Inputs may be sets, whose members score 1.
 */
function setOpGeneric(s: Session, argv: string[], op: SetOp, store: boolean, cardOnly = false) {
  const numkeysAt = store ? 2 : 1;
  const n = parseInteger(argv[numkeysAt]);
  if (n === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (n < 1) {
    s.reply.error(errNoInputKeys(argv[0].toLowerCase()));
    return;
  }
  if (n > argv.length - numkeysAt - 1) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const sources: Source[] = [];
  let j = numkeysAt + 1;
  for (let i = 0; i < n; i++, j++) {
    const value = lookupRead(s, argv[j]);
    if (
      value !== undefined && !(value instanceof SortedSetValue) && !(value instanceof SetValue)
    ) {
      s.reply.error(ERR_WRONG_TYPE);
      return;
    }
    sources.push(sourceOf(value));
  }
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const arg = argv[j];
    if (op !== "diff" && !cardOnly && remaining >= n + 1 && isWord(arg, "weights")) {
      j++;
      for (let i = 0; i < n; i++, j++) {
        const weight = parseDouble(argv[j]);
        if (weight === null) {
          s.reply.error(ERR_WEIGHT);
          return;
        }
        sources[i].weight = weight;
      }
    } else if (op !== "diff" && !cardOnly && remaining >= 2 && isWord(arg, "aggregate")) {
      const which = argv[j + 1].toLowerCase();
      if (which !== "sum" && which !== "min" && which !== "max") {
        s.reply.error(ERR_SYNTAX);
        return;
      }
      how = which;
      j += 2;
    } else if (cardOnly && remaining >= 2 && isWord(arg, "limit")) {
      const l = parseInteger(argv[j + 1]);
      if (l === null || l < 0) {
        s.reply.error(ERR_LIMIT_NEGATIVE);
        return;
      }
      limit = l;
      j += 2;
    } else if (!store && !cardOnly && isWord(arg, "withscores")) {
      withScores = true;
      j++;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }

  // Smallest inputs first, as Redis orders them (which also fixes the order in which
  // floating-point sums are taken). ZDIFF keeps the first input first.
  if (op !== "diff") sources.sort((a, b) => a.size - b.size);
  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === "inter") {
    const first = sources[0];
    if (first.size > 0) {
      for (const [member, score] of first.entries()) {
        let total = weighted(score, first.weight);
        let everywhere = true;
        for (let i = 1; i < sources.length; i++) {
          const other = sources[i].score(member);
          if (other === undefined) {
            everywhere = false;
            break;
          }
          total = aggregate(total, other * sources[i].weight, how);
        }
        if (!everywhere) continue;
        if (cardOnly) {
          cardinality++;
          if (limit > 0 && cardinality >= limit) break;
        } else {
          result.set(member, total);
        }
      }
    }
  } else if (op === "union") {
    for (const source of sources) {
      if (source.size === 0) continue;
      for (const [member, score] of source.entries()) {
        const value = weighted(score, source.weight);
        const current = result.get(member);
        result.set(member, current === undefined ? value : aggregate(current, value, how));
      }
    }
  } else {
    const first = sources[0];
    for (const [member, score] of first.entries()) {
      let elsewhere = false;
      for (let i = 1; i < sources.length && !elsewhere; i++) {
        elsewhere = sources[i].score(member) !== undefined;
      }
      if (!elsewhere) result.set(member, score);
    }
  }

  if (cardOnly) {
    s.reply.integer(cardinality);
    return;
  }
  if (store) {
    storeResult(s, argv[1], result, argv, `z${op}store`);
    return;
  }
  const sorted = [...result].sort((a, b) =>
    a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
  replyPairsHeader(s, sorted.length, withScores);
  for (const [member, score] of sorted) replyPair(s, member, score, withScores);
}

function zunion(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "union", false);
}

function zinter(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", false);
}

function zdiff(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "diff", false);
}

function zunionstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "union", true);
}

function zinterstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", true);
}

function zdiffstore(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "diff", true);
}

function zintercard(s: Session, argv: string[]): void {
  setOpGeneric(s, argv, "inter", false, true);
}

// ---------------------------------------------------------------------------------
// The command records

/** The set operations' records, in the order COMMAND lists them. */
export const sortedSetSetOpCommands: CommandSpec[] = [
  spec({
    name: "zunion",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the union of sorted sets (and sets), with weighted, aggregated scores.",
    since: "6.2.0",
    complexity: "O(N) + O(M log M) for N input members and M members answered",
    args: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
    handler: zunion,
  }),
  spec({
    name: "zinter",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the intersection of sorted sets (and sets), with weighted, aggregated " +
      "scores.",
    since: "6.2.0",
    complexity: "O(N K) + O(M log M) for the smallest input's N members and K inputs",
    args: [NUMKEYS, KEYS, WEIGHTS, AGGREGATE, WITHSCORES],
    handler: zinter,
  }),
  spec({
    name: "zdiff",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the members of the first sorted set that are in none of the others.",
    since: "6.2.0",
    complexity: "O(N) for N input members",
    args: [NUMKEYS, KEYS, WITHSCORES],
    handler: zdiff,
  }),
  spec({
    name: "zunionstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the union of sorted sets (and sets) at a key; answers its size.",
    since: "2.0.0",
    complexity: "O(N) + O(M log M) for N input members and M members stored",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
      WEIGHTS,
      AGGREGATE,
    ],
    handler: zunionstore,
  }),
  spec({
    name: "zinterstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the intersection of sorted sets (and sets) at a key; answers its size.",
    since: "2.0.0",
    complexity: "O(N K) + O(M log M) for the smallest input's N members and K inputs",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
      WEIGHTS,
      AGGREGATE,
    ],
    handler: zinterstore,
  }),
  spec({
    name: "zdiffstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keyAt(1, ["OW", "update"]), countedKeys(2, ["RO", "access"])],
    summary: "Stores the members of the first sorted set that are in none of the others; " +
      "answers their number.",
    since: "6.2.0",
    complexity: "O(N) for N input members",
    args: [
      { name: "destination", type: "key", keySpecIndex: 0 },
      NUMKEYS,
      { ...KEYS, keySpecIndex: 1 },
    ],
    handler: zdiffstore,
  }),
  spec({
    name: "zintercard",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [countedKeys(1, ["RO", "access"])],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Counts the members common to sorted sets (and sets), stopping at a limit.",
    since: "7.0.0",
    complexity: "O(N K) for the smallest input's N members and K inputs",
    args: [NUMKEYS, KEYS, { name: "limit", type: "integer", token: "LIMIT", optional: true }],
    handler: zintercard,
  }),
];
