// LATENCY LATEST | HISTORY | RESET | GRAPH | DOCTOR | HISTOGRAM | HELP: the latency
// monitor's events and the per-command latency histograms kept in src/stats/latency.ts.

import { errNoLatencySamples } from "../protocol/errors.ts";
import type { LatencyHistogram } from "../stats/histogram.ts";
import type { CommandSpec, Session } from "./context.ts";
import { findSubcommand } from "./table.ts";
import { replyHelp } from "./_help.ts";

/** LATENCY LATEST: [event, time, latest ms, max ms] per event. */
function latencyLatest(s: Session): void {
  const latest = s.server.latency.latest();
  s.reply.arrayLen(latest.length);
  for (const e of latest) {
    s.reply.arrayLen(4);
    s.reply.bulk(e.event);
    s.reply.integer(e.time);
    s.reply.integer(e.latency);
    s.reply.integer(e.max);
  }
}

/** LATENCY HISTORY event: [time, ms] per sample, oldest first. */
function latencyHistory(s: Session, argv: string[]): void {
  const samples = s.server.latency.history(argv[2]);
  s.reply.arrayLen(samples.length);
  for (const { time, latency } of samples) {
    s.reply.arrayLen(2);
    s.reply.integer(time);
    s.reply.integer(latency);
  }
}

/** LATENCY RESET [event ...]: how many events were forgotten. */
function latencyReset(s: Session, argv: string[]): void {
  s.reply.integer(s.server.latency.reset(argv.slice(2)));
}

/** LATENCY GRAPH event */
function latencyGraph(s: Session, argv: string[]): void {
  const graph = s.server.latency.graph(argv[2]);
  if (graph === null) s.reply.error(errNoLatencySamples(argv[2]));
  else s.reply.verbatim(graph);
}

/** LATENCY DOCTOR */
function latencyDoctor(s: Session): void {
  s.reply.verbatim(s.server.latency.doctor());
}

/**
 * LATENCY HISTOGRAM [command ...]: for each named command (a container names all its
 * subcommands; unknown names are skipped) that has run, its calls and cumulative
 * distribution; every such command without arguments.
 */
function latencyHistogram(s: Session, argv: string[]): void {
  const latency = s.server.latency;
  const found: [string, LatencyHistogram][] = [];
  if (argv.length === 2) found.push(...latency.histograms());
  const add = (fullName: string) => {
    const histogram = latency.histogram(fullName);
    if (histogram !== undefined) found.push([fullName, histogram]);
  };
  for (let i = 2; i < argv.length; i++) {
    const parts = argv[i].toLowerCase().split("|");
    const spec = parts.length > 2 ? undefined : s.server.commands.get(parts[0]);
    if (spec === undefined) continue;
    const name = spec.name;
    if (parts.length === 2) {
      const sub = findSubcommand(spec, parts[1]);
      if (sub !== undefined) add(`${name}|${sub.name}`);
      continue;
    }
    add(name);
    for (const sub of spec.subcommands ?? []) add(`${name}|${sub.name}`);
  }
  const r = s.reply;
  r.mapLen(found.length);
  for (const [fullName, histogram] of found) {
    r.bulk(fullName);
    r.mapLen(2);
    r.bulk("calls");
    r.integer(histogram.count);
    r.bulk("histogram_usec");
    const buckets = histogram.cumulativeUsec();
    r.mapLen(buckets.length);
    for (const [usec, count] of buckets) {
      r.integer(usec);
      r.integer(count);
    }
  }
}

const HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    A report in plain words on the latency events recorded.",
  "GRAPH <event>",
  "    A text graph of the samples of <event>.",
  "HISTORY <event>",
  "    The samples of <event> as [unix-time, milliseconds] pairs, oldest first.",
  "LATEST",
  "    The newest sample and the all-time maximum of every event.",
  "RESET [<event> ...]",
  "    Forget the samples of the given events, or of every event.",
  "HISTOGRAM [<command> ...]",
  "    The cumulative latency distribution of the given commands (a command with",
  "    subcommands stands for all of them), or of every command that ran.",
];

const sub = {
  flags: ["admin", "noscript", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  since: "2.8.13",
  complexity: "O(1)",
} as const;

const NODES_SPECIAL = [
  "nondeterministic_output",
  "request_policy:all_nodes",
  "response_policy:special",
];

/** LATENCY and its subcommands. */
export const latencyCommands: CommandSpec[] = [{
  ...sub,
  name: "latency",
  arity: -2,
  flags: [],
  summary: "Reports latency events and per-command latency distributions.",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "doctor",
      arity: 2,
      summary: "Answers a report on the latency events recorded.",
      tips: NODES_SPECIAL,
      handler: latencyDoctor,
    },
    {
      ...sub,
      name: "graph",
      arity: 3,
      summary: "Answers a text graph of an event's samples.",
      tips: NODES_SPECIAL,
      args: [{ name: "event", type: "string" }],
      handler: latencyGraph,
    },
    {
      ...sub,
      name: "history",
      arity: 3,
      summary: "Answers an event's samples with their times.",
      tips: NODES_SPECIAL,
      args: [{ name: "event", type: "string" }],
      handler: latencyHistory,
    },
    {
      ...sub,
      name: "latest",
      arity: 2,
      summary: "Answers the newest sample of every event.",
      tips: NODES_SPECIAL,
      handler: latencyLatest,
    },
    {
      ...sub,
      name: "reset",
      arity: -2,
      summary: "Forgets the samples of some events, or of all.",
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      args: [{ name: "event", type: "string", optional: true, multiple: true }],
      handler: latencyReset,
    },
    {
      ...sub,
      name: "histogram",
      arity: -2,
      summary: "Answers the cumulative latency distribution of commands.",
      since: "7.0.0",
      complexity: "O(N) in the number of commands reported",
      tips: NODES_SPECIAL,
      args: [{ name: "command", type: "string", optional: true, multiple: true }],
      handler: latencyHistogram,
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      summary: "Lists the LATENCY subcommands.",
      handler: (s) => replyHelp(s, HELP),
    },
  ],
}];
