// Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH and the PUBSUB introspection container. The registry
// and the delivery of messages live in src/messaging/pubsub.ts.

import type { Kind } from "../messaging/pubsub.ts";
import { globMatch } from "../util/glob.ts";
import { replyHelp } from "./_help.ts";
import type { CommandSpec, Session } from "./context.ts";
import { familySpec } from "./table.ts";

function subscriber(kind: Kind): (s: Session, argv: string[]) => void {
  return (s, argv) => {
    for (let i = 1; i < argv.length; i++) s.server.pubsub.subscribe(s, kind, argv[i]);
  };
}

function unsubscriber(kind: Kind): (s: Session, argv: string[]) => void {
  return (s, argv) => s.server.pubsub.unsubscribe(s, kind, argv.slice(1));
}

/** PUBLISH channel message: the number of clients that received it. */
function publish(s: Session, argv: string[]): void {
  s.reply.integer(s.server.pubsub.publish(argv[1], argv[2]));
  // Replicas publish it to their own subscribers; the AOF never holds it.
  s.propagateToReplicas();
}

/** SPUBLISH shardchannel message. */
function spublish(s: Session, argv: string[]): void {
  s.reply.integer(s.server.pubsub.publish(argv[1], argv[2], true));
  s.propagateToReplicas();
}

function channelsIn(s: Session, argv: string[], registry: ReadonlyMap<string, unknown>): void {
  if (argv.length > 3) {
    s.reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try PUBSUB HELP.`,
    );
    return;
  }
  const pattern = argv[2];
  const names: string[] = [];
  for (const name of registry.keys()) {
    if (pattern === undefined || globMatch(pattern, name)) names.push(name);
  }
  s.reply.arrayLen(names.length);
  for (const name of names) s.reply.bulk(name);
}

function countsIn(s: Session, argv: string[], registry: ReadonlyMap<string, Set<unknown>>): void {
  s.reply.arrayLen((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    s.reply.bulk(argv[i]);
    s.reply.integer(registry.get(argv[i])?.size ?? 0);
  }
}

const HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Channels with at least one subscriber, optionally only those matching <pattern>.",
  "NUMPAT",
  "    The number of distinct patterns subscribed to.",
  "NUMSUB [<channel> ...]",
  "    For each channel given, its number of subscribers (pattern subscriptions not",
  "    counted).",
  "SHARDCHANNELS [<pattern>]",
  "    Shard channels with at least one subscriber, optionally matching <pattern>.",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    For each shard channel given, its number of subscribers.",
];

const spec = familySpec("pubsub", []);
const noKeys = { firstKey: 0, lastKey: 0, step: 0 } as const;
const shardKeys = (lastKey: number) => ({
  firstKey: 1,
  lastKey,
  step: 1,
  keySpecs: [{
    flags: ["not_key"],
    begin: { index: 1 },
    find: { range: { lastKey: lastKey < 0 ? -1 : 0, step: 1, limit: 0 } },
  }],
});
const subscribeFlags = ["pubsub", "noscript", "loading", "stale"] as const;
const introspection = ["pubsub", "loading", "stale"] as const;

/** The pub/sub commands. */
export const pubsubCommands: CommandSpec[] = [
  spec({
    name: "subscribe",
    arity: -2,
    flags: subscribeFlags,
    ...noKeys,
    summary: "Listens for messages published to the given channels.",
    since: "2.0.0",
    complexity: "O(N) where N is the number of channels",
    args: [{ name: "channel", type: "string", multiple: true }],
    handler: subscriber("channel"),
  }),
  spec({
    name: "unsubscribe",
    arity: -1,
    flags: subscribeFlags,
    ...noKeys,
    summary: "Stops listening to the given channels, or to all of them.",
    since: "2.0.0",
    complexity: "O(N) where N is the number of channels",
    args: [{ name: "channel", type: "string", optional: true, multiple: true }],
    handler: unsubscriber("channel"),
  }),
  spec({
    name: "psubscribe",
    arity: -2,
    flags: subscribeFlags,
    ...noKeys,
    summary: "Listens for messages published to channels matching the given patterns.",
    since: "2.0.0",
    complexity: "O(N) where N is the number of patterns",
    args: [{ name: "pattern", type: "pattern", multiple: true }],
    handler: subscriber("pattern"),
  }),
  spec({
    name: "punsubscribe",
    arity: -1,
    flags: subscribeFlags,
    ...noKeys,
    summary: "Stops listening to the given patterns, or to all of them.",
    since: "2.0.0",
    complexity: "O(N) where N is the number of patterns",
    args: [{ name: "pattern", type: "pattern", optional: true, multiple: true }],
    handler: unsubscriber("pattern"),
  }),
  spec({
    name: "ssubscribe",
    arity: -2,
    flags: subscribeFlags,
    ...shardKeys(-1),
    summary: "Listens for messages published to the given shard channels.",
    since: "7.0.0",
    complexity: "O(N) where N is the number of shard channels",
    args: [{ name: "shardchannel", type: "string", multiple: true }],
    handler: subscriber("shard"),
  }),
  spec({
    name: "sunsubscribe",
    arity: -1,
    flags: subscribeFlags,
    ...shardKeys(-1),
    summary: "Stops listening to the given shard channels, or to all of them.",
    since: "7.0.0",
    complexity: "O(N) where N is the number of shard channels",
    args: [{ name: "shardchannel", type: "string", optional: true, multiple: true }],
    handler: unsubscriber("shard"),
  }),
  spec({
    name: "publish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast", "may_replicate"],
    ...noKeys,
    summary: "Sends a message to a channel; answers how many clients received it.",
    since: "2.0.0",
    complexity: "O(N+M) where N is the channel's subscribers and M the patterns",
    args: [{ name: "channel", type: "string" }, { name: "message", type: "string" }],
    handler: publish,
  }),
  spec({
    name: "spublish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast", "may_replicate"],
    ...shardKeys(1),
    summary: "Sends a message to a shard channel; answers how many clients received it.",
    since: "7.0.0",
    complexity: "O(N) where N is the shard channel's subscribers",
    args: [{ name: "shardchannel", type: "string" }, { name: "message", type: "string" }],
    handler: spublish,
  }),
  spec({
    name: "pubsub",
    arity: -2,
    flags: [],
    ...noKeys,
    summary: "Introspection of the pub/sub subsystem.",
    since: "2.8.0",
    complexity: "Depends on subcommand.",
    subcommands: [
      spec({
        name: "channels",
        arity: -2,
        flags: introspection,
        ...noKeys,
        summary: "Channels that have subscribers.",
        since: "2.8.0",
        complexity: "O(N) where N is the number of active channels",
        args: [{ name: "pattern", type: "pattern", optional: true }],
        handler: (s, argv) => channelsIn(s, argv, s.server.pubsub.channels),
      }),
      spec({
        name: "numsub",
        arity: -2,
        flags: introspection,
        ...noKeys,
        summary: "The number of subscribers of each channel given.",
        since: "2.8.0",
        complexity: "O(N) for the N channels requested",
        args: [{ name: "channel", type: "string", optional: true, multiple: true }],
        handler: (s, argv) => countsIn(s, argv, s.server.pubsub.channels),
      }),
      spec({
        name: "numpat",
        arity: 2,
        flags: introspection,
        ...noKeys,
        summary: "The number of distinct patterns subscribed to.",
        since: "2.8.0",
        complexity: "O(1)",
        handler: (s) => s.reply.integer(s.server.pubsub.patterns.size),
      }),
      spec({
        name: "shardchannels",
        arity: -2,
        flags: introspection,
        ...noKeys,
        summary: "Shard channels that have subscribers.",
        since: "7.0.0",
        complexity: "O(N) where N is the number of active shard channels",
        args: [{ name: "pattern", type: "pattern", optional: true }],
        handler: (s, argv) => channelsIn(s, argv, s.server.pubsub.shardChannels),
      }),
      spec({
        name: "shardnumsub",
        arity: -2,
        flags: introspection,
        ...noKeys,
        summary: "The number of subscribers of each shard channel given.",
        since: "7.0.0",
        complexity: "O(N) for the N shard channels requested",
        args: [{ name: "shardchannel", type: "string", optional: true, multiple: true }],
        handler: (s, argv) => countsIn(s, argv, s.server.pubsub.shardChannels),
      }),
      spec({
        name: "help",
        arity: 2,
        flags: ["loading", "stale"],
        ...noKeys,
        summary: "Shows the PUBSUB subcommands.",
        since: "6.2.0",
        complexity: "O(1)",
        handler: (s) => replyHelp(s, HELP),
      }),
    ],
  }),
];
