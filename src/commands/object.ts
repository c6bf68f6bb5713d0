// OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP: what Redis would say about the
// value behind a key.
//
// REFCOUNT mimics Redis's shared integers: a string holding 0..9999 is one shared
// object (refcount INT_MAX) unless maxmemory is set with an LRU or LFU policy.
// IDLETIME and FREQ come from the database's access tracking, which starts the first
// time either is asked for (keeping it for every key always would cost memory).

import type { Config } from "../config/mod.ts";
import { stringEncoding } from "../store/string.ts";
import { encodingOf, type Value } from "../store/value.ts";
import type { CommandSpec, Session } from "./context.ts";
import { replyHelp } from "./_help.ts";

const ERR_LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
  "Please note that when switching between policies at runtime LRU and LFU data will take " +
  "some time to adjust.";
const ERR_LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. " +
  "Please note that when switching between policies at runtime LRU and LFU data will take " +
  "some time to adjust.";

/** Redis's refcount of objects shared by every key that uses them. */
const SHARED_REFCOUNT = 2147483647;

// The value at argv[2] without counting an access (but counting a hit or a miss);
// undefined after replying nil.
function lookup(s: Session, argv: string[]): Value | undefined {
  const value = s.db.peek(argv[2]);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.reply.null();
  } else {
    s.server.stats.keyspaceHits++;
  }
  return value;
}

function lfuPolicy(s: Session): boolean {
  return s.server.config.string("maxmemory-policy").endsWith("-lfu");
}

/** OBJECT ENCODING key */
function encoding(s: Session, argv: string[]): void {
  const value = lookup(s, argv);
  if (value !== undefined) s.reply.bulk(encodingOf(value));
}

/** The refcount Redis would report for a value (OBJECT REFCOUNT, DEBUG OBJECT). */
export function refcountOf(config: Config, value: Value): number {
  if (typeof value === "string" && stringEncoding(value) === "int") {
    const n = Number(value);
    const policy = config.string("maxmemory-policy");
    const sharingOff = config.number("maxmemory") !== 0 &&
      (policy.endsWith("-lru") || policy.endsWith("-lfu"));
    if (n >= 0 && n < 10000 && !sharingOff) return SHARED_REFCOUNT;
  }
  return 1;
}

/** OBJECT REFCOUNT key */
function refcount(s: Session, argv: string[]): void {
  const value = lookup(s, argv);
  if (value !== undefined) s.reply.integer(refcountOf(s.server.config, value));
}

/** OBJECT IDLETIME key: seconds since the last access. */
function idletime(s: Session, argv: string[]): void {
  if (lookup(s, argv) === undefined) return;
  if (lfuPolicy(s)) {
    s.reply.error(ERR_LFU_SELECTED);
    return;
  }
  s.reply.integer(s.db.idleSeconds(argv[2]));
}

/** OBJECT FREQ key: the logarithmic access counter (LFU policies only). */
function freq(s: Session, argv: string[]): void {
  if (lookup(s, argv) === undefined) return;
  if (!lfuPolicy(s)) {
    s.reply.error(ERR_LFU_NOT_SELECTED);
    return;
  }
  s.reply.integer(s.db.frequency(argv[2], {
    logFactor: s.server.config.number("lfu-log-factor"),
    decayTime: s.server.config.number("lfu-decay-time"),
  }));
}

const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Name the internal representation of the value stored at <key>.",
  "FREQ <key>",
  "    Give the logarithmic access frequency counter of <key> (LFU policies only).",
  "IDLETIME <key>",
  "    Give the seconds since <key> was last read or written (approximate).",
  "REFCOUNT <key>",
  "    Give how many references the value stored at <key> has.",
];

const sub = {
  arity: 3,
  flags: ["readonly"],
  categories: ["keyspace"],
  firstKey: 2,
  lastKey: 2,
  step: 1,
  group: "generic",
  since: "2.2.3",
  complexity: "O(1)",
  keySpecs: [{
    flags: ["RO"],
    begin: { index: 2 },
    find: { range: { lastKey: 0, step: 1, limit: 0 } },
  }],
  tips: ["nondeterministic_output"],
  args: [{ name: "key", type: "key", keySpecIndex: 0 }],
} as const;

/** OBJECT and its subcommands (in the order Redis lists them). */
export const objectCommands: CommandSpec[] = [{
  name: "object",
  arity: -2,
  flags: [],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "generic",
  summary: "Inspects how the value behind a key is stored.",
  since: "2.2.3",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "encoding",
      summary: "Answers the internal encoding of the value at a key.",
      handler: encoding,
    },
    {
      ...sub,
      name: "idletime",
      summary: "Answers the seconds since a key was last accessed.",
      handler: idletime,
    },
    {
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      categories: ["keyspace"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "generic",
      summary: "Lists the OBJECT subcommands.",
      since: "6.2.0",
      complexity: "O(1)",
      handler: (s) => replyHelp(s, HELP),
    },
    {
      ...sub,
      name: "refcount",
      summary: "Answers the reference count of the value at a key.",
      handler: refcount,
    },
    {
      ...sub,
      name: "freq",
      summary: "Answers the logarithmic access frequency of a key (LFU policies).",
      since: "4.0.0",
      handler: freq,
    },
  ],
}];
