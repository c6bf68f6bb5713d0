// DUMP and RESTORE: a key's value serialized the way RDB files hold it (followed by
// the RDB version and a CRC64), and back. Payloads match Redis's byte for byte where
// the encodings agree, so values move between Redeno and Redis in both directions.

import { type Config, NOTIFY } from "../config/mod.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import { RdbError } from "../persistence/rdb_format.ts";
import { readPayload, verifyPayload } from "../persistence/rdb_reader.ts";
import { applyAccess, encodingLimits } from "../persistence/load_settings.ts";
import { dumpPayload, type WriteOptions } from "../persistence/rdb_writer.ts";
import { toBytes } from "../store/string.ts";
import type { Value } from "../store/value.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";
import { isWord } from "./_parse.ts";
import { parseInt64 } from "../util/int64.ts";

const ERR_BUSYKEY = "BUSYKEY Target key name already exists.";
const ERR_BAD_TTL = "ERR Invalid TTL value, must be >= 0";
const ERR_BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
const ERR_BAD_DATA = "ERR Bad data format";
const ERR_BAD_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0";
const ERR_BAD_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255";

/** How values are serialized under the current configuration (rdbcompression ...). */
export function rdbWriteOptions(config: Config): WriteOptions {
  return {
    compress: config.bool("rdbcompression"),
    listMaxListpackSize: config.number("list-max-listpack-size"),
    listCompressDepth: config.number("list-compress-depth"),
  };
}

/** DUMP key */
function dump(s: Session, argv: string[]): void {
  const value = s.db.get(argv[1]);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.notify(NOTIFY.KEY_MISS, "keymiss", argv[1]);
    s.reply.null();
    return;
  }
  s.server.stats.keyspaceHits++;
  s.reply.bulk(dumpPayload(value, rdbWriteOptions(s.server.config)));
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restore(s: Session, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1n;
  let freq = -1n;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const arg = argv[j];
    if (isWord(arg, "replace")) {
      replace = true;
    } else if (isWord(arg, "absttl")) {
      absttl = true;
    } else if (isWord(arg, "idletime") && more >= 1 && freq === -1n) {
      const n = parseInt64(argv[++j]);
      if (n === null) return s.reply.error(ERR_NOT_INTEGER);
      if (n < 0n) return s.reply.error(ERR_BAD_IDLETIME);
      idle = n;
    } else if (isWord(arg, "freq") && more >= 1 && idle === -1n) {
      const n = parseInt64(argv[++j]);
      if (n === null) return s.reply.error(ERR_NOT_INTEGER);
      if (n < 0n || n > 255n) return s.reply.error(ERR_BAD_FREQ);
      freq = n;
    } else {
      return s.reply.error(ERR_SYNTAX);
    }
  }
  const key = argv[1];
  if (!replace && s.db.has(key)) return s.reply.error(ERR_BUSYKEY);
  let ttl = parseInt64(argv[2]);
  if (ttl === null) return s.reply.error(ERR_NOT_INTEGER);
  if (ttl < 0n) return s.reply.error(ERR_BAD_TTL);
  const payload = toBytes(argv[3]);
  const checksum = !s.server.debug.skipChecksumValidation;
  if (!verifyPayload(payload, { checksum })) return s.reply.error(ERR_BAD_PAYLOAD);
  // Checked whole, whatever sanitize-dump-payload says (Redis checks only headers with
  // "no", and may crash on the value later): nothing is stored unless all of it is right.
  let value: Value | null;
  try {
    value = readPayload(payload, encodingLimits(s.server.config));
  } catch (error) {
    if (!(error instanceof RdbError)) throw error;
    s.server.log.warning(`RESTORE refused a corrupt payload: ${error.message}`);
    value = null;
  }
  if (value === null) return s.reply.error(ERR_BAD_DATA);

  const deleted = replace && s.db.delete(key);
  const now = BigInt(Date.now());
  if (ttl !== 0n && !absttl) ttl += now;
  if (ttl !== 0n && ttl <= now) {
    // Already expired: nothing is created; a replaced key is simply gone.
    if (deleted) {
      s.server.dirty++;
      s.propagateAs(["DEL", key]);
      s.notify(NOTIFY.GENERIC, "del", key);
    }
    s.reply.ok();
    return;
  }
  s.db.set(key, value);
  const propagated = argv.slice();
  if (ttl !== 0n) {
    s.db.setExpire(key, ttl);
    if (!absttl) {
      propagated[2] = String(ttl);
      propagated.push("ABSTTL");
    }
  }
  setAccess(s, key, Number(idle), Number(freq));
  s.server.dirty++;
  s.propagateAs(propagated);
  s.notify(NOTIFY.GENERIC, "restore", key);
  s.reply.ok();
}

/**
 * RESTORE's FREQ and IDLETIME (negative: not given), an RDB's FREQ and IDLE: as in
 * Redis, FREQ counts only under an LFU policy and IDLETIME only under any other.
 */
function setAccess(s: Session, key: string, idleSeconds: number, frequency: number): void {
  applyAccess(s.server.config, s.db, key, idleSeconds, frequency);
}

const KEY = { name: "key", type: "key", keySpecIndex: 0 } as const;

/** RESTORE's (and RESTORE-ASKING's) arguments, for COMMAND DOCS. */
const RESTORE_ARGS: ArgDoc[] = [
  KEY,
  { name: "ttl", type: "integer" },
  { name: "serialized-value", type: "string" },
  { name: "replace", type: "pure-token", token: "REPLACE", optional: true, since: "3.0.0" },
  { name: "absttl", type: "pure-token", token: "ABSTTL", optional: true, since: "5.0.0" },
  { name: "seconds", type: "integer", token: "IDLETIME", optional: true, since: "5.0.0" },
  { name: "frequency", type: "integer", token: "FREQ", optional: true, since: "5.0.0" },
];

/** When RESTORE's options came (COMMAND DOCS history). */
const RESTORE_HISTORY: [string, string][] = [
  ["3.0.0", "REPLACE may be given."],
  ["5.0.0", "ABSTTL may be given."],
  ["5.0.0", "IDLETIME and FREQ may be given."],
];

/** What RESTORE and RESTORE-ASKING share: everything but their names and docs. */
const RESTORE = {
  arity: -4,
  categories: ["keyspace", "dangerous"],
  firstKey: 1,
  lastKey: 1,
  step: 1,
  keySpecs: [{
    flags: ["OW", "update"],
    begin: { index: 1 },
    find: { range: { lastKey: 0, step: 1, limit: 0 } },
  }],
  complexity: "O(1) to create the key, O(N*M) to rebuild its N elements of average size M " +
    "(O(N*M*log(N)) for sorted sets)",
  history: RESTORE_HISTORY,
  args: RESTORE_ARGS,
  handler: restore,
} as const;

/** DUMP and RESTORE. */
export const dumpCommands: CommandSpec[] = [
  {
    name: "dump",
    arity: 2,
    flags: ["readonly"],
    categories: ["keyspace"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "generic",
    summary: "Serializes the value at a key in Redis's DUMP format.",
    tips: ["nondeterministic_output"],
    since: "2.6.0",
    complexity: "O(1) to find the key, O(N*M) to serialize its N elements of average size M",
    args: [KEY],
    handler: dump,
  },
  {
    ...RESTORE,
    name: "restore",
    flags: ["write", "denyoom"],
    group: "generic",
    summary: "Creates a key from a value serialized by DUMP.",
    since: "2.6.0",
  },
  {
    // What a cluster node migrating a key sends (RESTORE flagged `asking`, so that the
    // target accepts it for a slot it is importing). Without cluster mode it is RESTORE.
    ...RESTORE,
    name: "restore-asking",
    flags: ["write", "denyoom", "asking"],
    group: "server",
    summary: "Creates a key from a DUMP payload, for a key moving between cluster nodes.",
    docFlags: ["syscmd"],
    since: "3.0.0",
  },
];
