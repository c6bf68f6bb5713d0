// The cluster commands a client may send to any server: READONLY, READWRITE and
// ASKING. Redeno runs without cluster support, so each answers as a Redis started
// with cluster-enabled no does (they still exist for ACL rules and COMMAND).

import { ERR_CLUSTER_DISABLED } from "../protocol/errors.ts";
import type { CommandSpec, Session } from "./context.ts";

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

/** READONLY, READWRITE, ASKING. */
export const clusterCommands: CommandSpec[] = [
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
