// Assembles the one command table from every command family.

import { aclCommands } from "./acl.ts";
import { bitmapCommands } from "./bitmap.ts";
import { clientCommands } from "./client.ts";
import { clusterCommands } from "./cluster.ts";
import { commandCommands } from "./command.ts";
import { configCommands } from "./config.ts";
import { connectionCommands } from "./connection.ts";
import type { CommandSpec } from "./context.ts";
import { debugCommands } from "./debug.ts";
import { dumpCommands } from "./dump.ts";
import { geoCommands } from "./geo.ts";
import { hashCommands } from "./hash.ts";
import { hyperloglogCommands } from "./hyperloglog.ts";
import { infoCommands } from "./info.ts";
import { keyCommands } from "./keys.ts";
import { latencyCommands } from "./latency.ts";
import { listCommands } from "./list.ts";
import { lolwutCommands } from "./lolwut.ts";
import { memoryCommands } from "./memory.ts";
import { migrateCommands } from "./migrate.ts";
import { objectCommands } from "./object.ts";
import { persistenceCommands } from "./persistence.ts";
import { pubsubCommands } from "./pubsub.ts";
import { replicationCommands } from "./replication.ts";
import { scriptingCommands } from "./scripting.ts";
import { functionCommands } from "./functions.ts";
import { serverCommands } from "./server.ts";
import { setCommands } from "./set.ts";
import { slowlogCommands } from "./slowlog.ts";
import { moduleCommands } from "./module.ts";
import { sortedSetCommands } from "./sorted_set.ts";
import { sortCommands } from "./sort.ts";
import { stringCommands } from "./string.ts";
import { streamCommands } from "./stream.ts";
import { streamGroupCommands } from "./stream_groups.ts";
import { streamInfoCommands } from "./stream_info.ts";
import { CommandTable } from "./table.ts";
import { transactionCommands } from "./transaction.ts";

/** Every command spec Redeno implements. */
export function allCommandSpecs(): CommandSpec[] {
  return [
    ...connectionCommands,
    ...clientCommands,
    ...serverCommands,
    ...debugCommands,
    ...lolwutCommands,
    ...infoCommands,
    ...configCommands,
    ...slowlogCommands,
    ...moduleCommands,
    ...aclCommands,
    ...latencyCommands,
    ...memoryCommands,
    ...commandCommands,
    ...keyCommands,
    ...replicationCommands,
    ...dumpCommands,
    ...migrateCommands,
    ...objectCommands,
    ...stringCommands,
    ...hashCommands,
    ...listCommands,
    ...setCommands,
    ...sortedSetCommands,
    ...sortCommands,
    ...bitmapCommands,
    ...hyperloglogCommands,
    ...streamCommands,
    ...streamGroupCommands,
    ...streamInfoCommands,
    ...geoCommands,
    ...transactionCommands,
    ...persistenceCommands,
    ...pubsubCommands,
    ...scriptingCommands,
    ...functionCommands,
    ...clusterCommands,
  ];
}

/** The command table used by dispatch. */
export function commandTable(): CommandTable {
  return new CommandTable(allCommandSpecs());
}
