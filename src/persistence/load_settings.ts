// How the configuration shapes the values being loaded (RDB files, RESTORE, JSON Lines
// imports): the encoding thresholds in force, and a key's recorded access (idle time
// or frequency) under the maxmemory policy.

import type { Database } from "../store/keyspace.ts";
import type { EncodingLimits } from "./codecs/codec.ts";
import type { ConfigView } from "./persistence_host.ts";

/**
 * A key's recorded access (RESTORE IDLETIME/FREQ, an RDB's IDLE/FREQ; negative: not
 * given): as in Redis, FREQ counts only under an LFU policy, IDLETIME under any other.
 */
export function applyAccess(
  config: { string(name: string): string; number(name: string): number },
  db: Database,
  key: string,
  idleSeconds: number,
  frequency: number,
): void {
  const lfu = config.string("maxmemory-policy").endsWith("-lfu");
  if (lfu && frequency >= 0) {
    db.setFrequency(key, frequency, {
      logFactor: config.number("lfu-log-factor"),
      decayTime: config.number("lfu-decay-time"),
    });
  } else if (!lfu && idleSeconds >= 0) {
    db.setIdleSeconds(key, idleSeconds);
  }
}

/** The encoding thresholds in force, for values built while loading. */
export function encodingLimits(config: ConfigView): EncodingLimits {
  return {
    hashMaxListpackEntries: config.number("hash-max-listpack-entries"),
    hashMaxListpackValue: config.number("hash-max-listpack-value"),
    setMaxIntsetEntries: config.number("set-max-intset-entries"),
    zsetMaxListpackEntries: config.number("zset-max-listpack-entries"),
    zsetMaxListpackValue: config.number("zset-max-listpack-value"),
    listMaxListpackSize: config.number("list-max-listpack-size"),
  };
}
