// The cluster commands: CLUSTER and its subcommands, and READONLY, READWRITE and
// ASKING, which a cluster client may send to any server. Redeno runs without cluster
// support, so each answers as a Redis started with cluster-enabled no does (HELP
// included); they still exist for ACL rules, scripts' flag checks and COMMAND.

import { ERR_CLUSTER_DISABLED } from "../protocol/errors.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";
import { tokenChoice } from "./table.ts";

function clusterDisabled(s: Session): void {
  s.reply.error(ERR_CLUSTER_DISABLED);
}

const cluster = {
  arity: 1,
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "cluster",
  categories: ["connection"],
  since: "3.0.0",
  complexity: "O(1)",
  handler: clusterDisabled,
} as const;

/** What CLUSTER's subcommands share; each sets its own arity and flags. */
const sub = {
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "cluster",
  since: "3.0.0",
  complexity: "O(1)",
  handler: clusterDisabled,
} as const;

/** Subcommands that change the node's cluster state. */
const ADMIN = ["admin", "stale", "no_async_loading"] as const;
/** Subcommands that only report (some about other nodes). */
const ADMIN_REPORT = ["admin", "stale"] as const;
const NONDETERMINISTIC = ["nondeterministic_output"];

const NODE_ID: readonly ArgDoc[] = [{ name: "node-id", type: "string" }];
const SLOTS: readonly ArgDoc[] = [{ name: "slot", type: "integer", multiple: true }];
const SLOT_RANGES: readonly ArgDoc[] = [{
  name: "start-slot_end-slot",
  type: "block",
  multiple: true,
  arguments: [
    { name: "start-slot", type: "integer" },
    { name: "end-slot", type: "integer" },
  ],
}];
const SLOTS_COMPLEXITY = "O(N) where N is the total number of hash slot arguments";
const RANGES_COMPLEXITY =
  "O(N) where N is the total number of the slots between the start slot and end slot arguments.";
const NODES_COMPLEXITY = "O(N) where N is the total number of Cluster nodes";

/** CLUSTER's subcommands, alphabetically. */
const clusterSubcommands: CommandSpec[] = [
  {
    ...sub,
    name: "addslots",
    arity: -3,
    flags: ADMIN,
    summary: "Gives hash slots to this node.",
    complexity: SLOTS_COMPLEXITY,
    args: SLOTS,
  },
  {
    ...sub,
    name: "addslotsrange",
    arity: -4,
    flags: ADMIN,
    summary: "Gives ranges of hash slots to this node.",
    since: "7.0.0",
    complexity: RANGES_COMPLEXITY,
    args: SLOT_RANGES,
  },
  {
    ...sub,
    name: "bumpepoch",
    arity: 2,
    flags: ADMIN,
    summary: "Raises this node's configuration epoch.",
    tips: NONDETERMINISTIC,
  },
  {
    ...sub,
    name: "count-failure-reports",
    arity: 3,
    flags: ADMIN_REPORT,
    summary: "Answers how many nodes currently report a node as failing.",
    complexity: "O(N) where N is the number of failure reports",
    tips: NONDETERMINISTIC,
    args: NODE_ID,
  },
  {
    ...sub,
    name: "countkeysinslot",
    arity: 3,
    flags: ["stale"],
    summary: "Answers how many keys of this node hash to a slot.",
    args: [{ name: "slot", type: "integer" }],
  },
  {
    ...sub,
    name: "delslots",
    arity: -3,
    flags: ADMIN,
    summary: "Takes hash slots away from this node.",
    complexity: SLOTS_COMPLEXITY,
    args: SLOTS,
  },
  {
    ...sub,
    name: "delslotsrange",
    arity: -4,
    flags: ADMIN,
    summary: "Takes ranges of hash slots away from this node.",
    since: "7.0.0",
    complexity: RANGES_COMPLEXITY,
    args: SLOT_RANGES,
  },
  {
    ...sub,
    name: "failover",
    arity: -2,
    flags: ADMIN,
    summary: "Makes this replica take its master's place, on purpose.",
    args: [tokenChoice("options", ["FORCE", "TAKEOVER"], { optional: true })],
  },
  {
    ...sub,
    name: "flushslots",
    arity: 2,
    flags: ADMIN,
    summary: "Forgets every hash slot this node serves.",
  },
  {
    ...sub,
    name: "forget",
    arity: 3,
    flags: ADMIN,
    summary: "Drops a node from this node's view of the cluster.",
    args: NODE_ID,
  },
  {
    ...sub,
    name: "getkeysinslot",
    arity: 4,
    flags: ["stale"],
    summary: "Answers some of this node's keys that hash to a slot.",
    complexity: "O(log(N)) where N is the number of requested keys",
    tips: NONDETERMINISTIC,
    args: [{ name: "slot", type: "integer" }, { name: "count", type: "integer" }],
  },
  {
    ...sub,
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    summary: "Lists the CLUSTER subcommands.",
    since: "5.0.0",
  },
  {
    ...sub,
    name: "info",
    arity: 2,
    flags: ["stale"],
    summary: "Answers the state of the cluster as this node sees it.",
    tips: NONDETERMINISTIC,
  },
  {
    ...sub,
    name: "keyslot",
    arity: 3,
    flags: ["stale"],
    summary: "Answers the hash slot a key belongs to.",
    complexity: "O(N) where N is the number of bytes in the key",
    args: [{ name: "key", type: "string" }],
  },
  {
    ...sub,
    name: "links",
    arity: 2,
    flags: ["stale"],
    summary: "Answers the connections between this node and its peers.",
    since: "7.0.0",
    complexity: NODES_COMPLEXITY,
    tips: NONDETERMINISTIC,
  },
  {
    ...sub,
    name: "meet",
    arity: -4,
    flags: ADMIN,
    summary: "Introduces this node to another one so they join one cluster.",
    history: [["4.0.0", "The cluster bus port may be given."]],
    args: [
      { name: "ip", type: "string" },
      { name: "port", type: "integer" },
      { name: "cluster_bus_port", type: "integer", since: "4.0.0", optional: true },
    ],
  },
  {
    ...sub,
    name: "myid",
    arity: 2,
    flags: ["stale"],
    summary: "Answers this node's id.",
  },
  {
    ...sub,
    name: "nodes",
    arity: 2,
    flags: ["stale"],
    summary: "Answers this node's view of the cluster's nodes, one line each.",
    complexity: NODES_COMPLEXITY,
    tips: NONDETERMINISTIC,
  },
  {
    ...sub,
    name: "replicas",
    arity: 3,
    flags: ADMIN_REPORT,
    summary: "Answers the replicas of a master node.",
    since: "5.0.0",
    tips: NONDETERMINISTIC,
    args: NODE_ID,
  },
  {
    ...sub,
    name: "replicate",
    arity: 3,
    flags: ADMIN,
    summary: "Turns this node into a replica of a master node.",
    args: NODE_ID,
  },
  {
    ...sub,
    name: "reset",
    arity: -2,
    flags: ["admin", "noscript", "stale"],
    summary: "Brings this node back to an empty cluster state.",
    complexity:
      "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
    args: [tokenChoice("hard_soft", ["HARD", "SOFT"], { optional: true })],
  },
  {
    ...sub,
    name: "saveconfig",
    arity: 2,
    flags: ADMIN,
    summary: "Writes this node's cluster configuration to disk.",
  },
  {
    ...sub,
    name: "set-config-epoch",
    arity: 3,
    flags: ADMIN,
    summary: "Sets the configuration epoch of a node that has none yet.",
    args: [{ name: "config-epoch", type: "integer" }],
  },
  {
    ...sub,
    name: "setslot",
    arity: -4,
    flags: ADMIN,
    summary: "Changes which node serves a hash slot, or its migration state.",
    args: [
      { name: "slot", type: "integer" },
      {
        name: "subcommand",
        type: "oneof",
        arguments: [
          { name: "node-id", type: "string", token: "IMPORTING" },
          { name: "node-id", type: "string", token: "MIGRATING" },
          { name: "node-id", type: "string", token: "NODE" },
          { name: "stable", type: "pure-token", token: "STABLE" },
        ],
      },
    ],
  },
  {
    ...sub,
    name: "shards",
    arity: 2,
    flags: ["stale"],
    summary: "Answers the cluster's shards with their slots and nodes.",
    since: "7.0.0",
    complexity: "O(N) where N is the total number of cluster nodes",
    tips: NONDETERMINISTIC,
  },
  {
    ...sub,
    name: "slaves",
    arity: 3,
    flags: ADMIN_REPORT,
    summary: "Answers the replicas of a master node (the old name of CLUSTER REPLICAS).",
    docFlags: ["deprecated"],
    deprecatedSince: "5.0.0",
    replacedBy: "`CLUSTER REPLICAS`",
    tips: NONDETERMINISTIC,
    args: NODE_ID,
  },
  {
    ...sub,
    name: "slots",
    arity: 2,
    flags: ["stale"],
    summary: "Answers the ranges of hash slots with the nodes serving them.",
    complexity: NODES_COMPLEXITY,
    docFlags: ["deprecated"],
    deprecatedSince: "7.0.0",
    replacedBy: "`CLUSTER SHARDS`",
    history: [
      ["4.0.0", "Each node's id is included."],
      ["7.0.0", "Each node's networking details are included too."],
    ],
    tips: NONDETERMINISTIC,
  },
];

/** CLUSTER ..., READONLY, READWRITE, ASKING. */
export const clusterCommands: CommandSpec[] = [
  {
    name: "cluster",
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    group: "cluster",
    summary: "Inspects and manages this node's place in a Redis Cluster.",
    since: "3.0.0",
    complexity: "Depends on subcommand.",
    subcommands: clusterSubcommands,
  },
  {
    ...cluster,
    name: "readonly",
    flags: ["loading", "stale", "fast"],
    summary: "Lets a cluster replica answer this connection's reads.",
  },
  {
    ...cluster,
    name: "readwrite",
    flags: ["loading", "stale", "fast"],
    summary: "Sends this connection's reads back to the cluster's primaries.",
  },
  {
    ...cluster,
    name: "asking",
    flags: ["fast"],
    summary: "Follows an -ASK redirect of a cluster client for its next command.",
  },
];
