// MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP: what the server's memory
// holds. Key sizes are estimates of Redeno's own representation (the model in
// src/store/memory.ts, each type's part in its codec in src/persistence/codecs/);
// used_memory and its parts are the server's running estimate (src/server/used_memory.ts);
// allocator and RSS figures are V8's. INFO memory reports the same figures.

import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import { memoryUsage } from "../persistence/codecs/mod.ts";
import { DEFAULT_SAMPLES } from "../store/memory.ts";
import type { CommandSpec, ServerApi, Session } from "./context.ts";
import { bytesToHuman, memoryFigures } from "./info.ts";
import { replyHelp } from "./_help.ts";
import { isWord } from "./_parse.ts";
import { parseInteger } from "../util/int64.ts";
import { collectSoon } from "../util/gc.ts";

/** MEMORY USAGE key [SAMPLES count] */
function memoryUsageCommand(s: Session, argv: string[]): void {
  let samples = DEFAULT_SAMPLES;
  for (let i = 3; i < argv.length; i++) {
    if (isWord(argv[i], "samples") && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n < 0) {
        s.reply.error(ERR_SYNTAX);
        return;
      }
      samples = n;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  // Like Redis, a key whose time ran out but that is still held counts.
  const value = s.db.data.get(argv[2]);
  if (value === undefined) s.reply.null();
  else s.reply.integer(memoryUsage(argv[2], value, { samples }));
}

/** What the databases cost beyond their keys and values: their tables. */
function databaseOverheads(server: ServerApi): { id: number; main: number; expires: number }[] {
  const out = [];
  for (const db of server.keyspace.databases) {
    if (db.size === 0) continue;
    out.push({ id: db.id, main: db.mainTableBytes, expires: db.expiresTableBytes });
  }
  return out;
}

/** MEMORY STATS: Redis's fields, from our estimates (used_memory) and V8's figures. */
function memoryStats(s: Session): void {
  const server = s.server;
  const m = memoryFigures(server);
  const dbs = databaseOverheads(server);
  const keys = m.keys;
  const overhead = m.overhead;
  const net = Math.max(m.used - m.startup, 0);
  const dataset = m.dataset;
  const ratio = (a: number, b: number) => b === 0 ? 0 : a / b;
  // [name, integer] or [name, double, true]; a database's entry is written apart.
  type Field = [string, number] | [string, number, true];
  const head: Field[] = [
    ["peak.allocated", m.peak],
    ["total.allocated", m.used],
    ["startup.allocated", m.startup],
    ["replication.backlog", m.backlog],
    ["clients.slaves", m.replicaClients],
    ["clients.normal", m.clients],
    ["cluster.links", 0],
    ["aof.buffer", 0],
    ["lua.caches", server.scripts.memory],
    ["functions.caches", server.functions.memory],
  ];
  const tail: Field[] = [
    ["overhead.total", overhead],
    ["keys.count", keys],
    ["keys.bytes-per-key", keys === 0 ? 0 : Math.floor(net / keys)],
    ["dataset.bytes", dataset],
    ["dataset.percentage", ratio(dataset * 100, net), true],
    ["peak.percentage", ratio(m.used * 100, m.peak), true],
    ["allocator.allocated", m.allocated],
    ["allocator.active", m.active],
    ["allocator.resident", m.rss],
    ["allocator-fragmentation.ratio", ratio(m.active, m.allocated), true],
    ["allocator-fragmentation.bytes", m.active - m.allocated],
    ["allocator-rss.ratio", ratio(m.rss, m.active), true],
    ["allocator-rss.bytes", m.rss - m.active],
    ["rss-overhead.ratio", 1, true],
    ["rss-overhead.bytes", 0],
    ["fragmentation", ratio(m.rss, m.used), true],
    ["fragmentation.bytes", m.rss - m.used],
  ];
  const r = s.reply;
  const write = ([name, value, double]: Field) => {
    r.bulk(name);
    if (double) r.double(value);
    else r.integer(Math.round(value));
  };
  r.mapLen(head.length + dbs.length + tail.length);
  head.forEach(write);
  for (const db of dbs) {
    r.bulk(`db.${db.id}`);
    r.mapLen(3);
    write(["overhead.hashtable.main", db.main]);
    write(["overhead.hashtable.expires", db.expires]);
    write(["overhead.hashtable.slot-to-keys", 0]);
  }
  tail.forEach(write);
}

/** MEMORY DOCTOR: a short report in our own words. */
function memoryDoctor(s: Session): void {
  const m = memoryFigures(s.server);
  let keys = 0;
  for (const db of s.server.keyspace.databases) keys += db.size;
  const data = m.used - m.startup;
  let text: string;
  if (keys === 0 || data < 5 * 1024 * 1024) {
    text = `The server holds ${keys} keys in ${bytesToHuman(Math.max(data, 0))} beyond ` +
      "what it used at start-up: too little data to say anything useful about memory.";
  } else if (m.peak > m.used * 1.5) {
    text = `The peak (${bytesToHuman(m.peak)}) is well above the memory used now ` +
      `(${bytesToHuman(m.used)}): the process may keep memory it no longer needs until ` +
      "the garbage collector hands it back.";
  } else {
    text = `No memory problems found (${keys} keys, ${bytesToHuman(m.used)} used).`;
  }
  s.reply.verbatim(text + "\n");
}

/** MEMORY MALLOC-STATS: V8's heap figures (there is no malloc of our own to ask). */
function mallocStats(s: Session): void {
  const m = Deno.memoryUsage();
  s.reply.verbatim(
    "V8 heap statistics (bytes)\n" +
      `rss: ${m.rss}\nheap_total: ${m.heapTotal}\nheap_used: ${m.heapUsed}\n` +
      `external: ${m.external}\n`,
  );
}

const HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    A report in plain words on possible memory problems.",
  "MALLOC-STATS",
  "    The heap statistics of the JavaScript engine.",
  "PURGE",
  "    Runs a full garbage collection soon, so that freed memory is given back.",
  "STATS",
  "    Figures on the memory the server uses, as a map.",
  "USAGE <key> [SAMPLES <count>]",
  "    Estimated bytes taken by <key> and its value. Collections are estimated from",
  "    <count> of their elements (default 5; 0 measures every element).",
];

const sub = {
  flags: [],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  since: "4.0.0",
  complexity: "O(1)",
} as const;

const SHARDS_SPECIAL = [
  "nondeterministic_output",
  "request_policy:all_shards",
  "response_policy:special",
];

/** MEMORY and its subcommands. */
export const memoryCommands: CommandSpec[] = [{
  ...sub,
  name: "memory",
  arity: -2,
  summary: "Reports on the server's memory.",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "doctor",
      arity: 2,
      summary: "Answers a report on possible memory problems.",
      tips: SHARDS_SPECIAL,
      handler: memoryDoctor,
    },
    {
      ...sub,
      name: "malloc-stats",
      arity: 2,
      summary: "Answers the JavaScript engine's heap statistics.",
      complexity: "Depends on how much memory is allocated",
      tips: SHARDS_SPECIAL,
      handler: mallocStats,
    },
    {
      ...sub,
      name: "purge",
      arity: 2,
      summary: "Asks the allocator to give memory back (a full garbage collection, soon).",
      complexity: "Depends on how much memory is allocated",
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      handler: (s) => {
        collectSoon();
        s.reply.ok();
      },
    },
    {
      ...sub,
      name: "stats",
      arity: 2,
      summary: "Answers figures on the server's memory use.",
      tips: SHARDS_SPECIAL,
      handler: memoryStats,
    },
    {
      ...sub,
      name: "usage",
      arity: -3,
      flags: ["readonly"],
      firstKey: 2,
      lastKey: 2,
      step: 1,
      summary: "Answers the estimated bytes a key and its value take.",
      complexity: "O(N) in the number of samples",
      keySpecs: [{
        flags: ["RO"],
        begin: { index: 2 },
        find: { range: { lastKey: 0, step: 1, limit: 0 } },
      }],
      args: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "count", type: "integer", token: "SAMPLES", optional: true },
      ],
      handler: memoryUsageCommand,
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      summary: "Lists the MEMORY subcommands.",
      handler: (s) => replyHelp(s, HELP),
    },
  ],
}];
