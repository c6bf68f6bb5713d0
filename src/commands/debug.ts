// DEBUG: Redis's command for tests and tools, behind the enable-debug-command directive
// (dispatch refuses it unless the directive allows the client, see `protectedBy`).
//
// The subcommands Redis's own test suite and client test suites rely on are here:
// OBJECT, RELOAD, LOADAOF, SLEEP, SET-ACTIVE-EXPIRE, PAUSE-CRON, DIGEST, DIGEST-VALUE,
// PROTOCOL, POPULATE, QUICKLIST-PACKED-THRESHOLD, SET-DISABLE-DENY-SCRIPTS,
// SET-SKIP-CHECKSUM-VALIDATION, LOG, ERROR,
// CHANGE-REPL-ID, STRINGMATCH-TEST, LISTPACK, QUICKLIST, CLIENT-EVICTION, REPLYBUFFER,
// CONFIG-REWRITE-FORCE-ALL and HELP.
// Those that only make sense for Redis's C internals (SEGFAULT, MALLCTL, SDSLEN,
// HTSTATS ...) answer as unknown subcommands, as a server without them
// would. What Redis prints about its memory layout (OBJECT's address and quicklist
// figures, LISTPACK, QUICKLIST) describes the layout Redeno writes to RDB files: the
// same listpacks and quicklist nodes Redis would hold for the value.

import { ERR_NO_SUCH_KEY, ERR_NOT_INTEGER, errSubcommandSyntax } from "../protocol/errors.ts";
import { ListpackBuilder } from "../persistence/listpack.ts";
import { sleepSync } from "../util/sleep_sync.ts";
import {
  ByteWriter,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  writeBlob,
  writeCompressedNode,
  writeString,
} from "../persistence/rdb_format.ts";
import { dumpPayload } from "../persistence/rdb_writer.ts";
import { datasetDigest, valueDigest } from "../persistence/digest.ts";
import { formatDouble17 } from "../protocol/number_format.ts";
import { ListValue } from "../store/list.ts";
import { HashValue } from "../store/hash.ts";
import { SortedSetValue } from "../store/zset.ts";
import { encodingOf, type Value } from "../store/value.ts";
import { globMatch } from "../util/glob.ts";
import { parseInteger } from "../util/int64.ts";
import { parseMemory } from "../config/mod.ts";
import { type CommandSpec, REPLY_PEAK_RESET_MS, type ServerApi, type Session } from "./context.ts";
import { refcountOf } from "./object.ts";
import { replyHelp } from "./_help.ts";
import { debugConfigRewriteForceAll } from "./config.ts";

const ERR_RELOAD_OPTION = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.";
const ERR_RELOAD_LOAD = "ERR Error trying to load the RDB dump";
const ERR_PROTOCOL_TYPE = "ERR Wrong protocol type name. Please use one of the following: " +
  "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
const ERR_RESP2_PUSH = "ERR RESP2 is not supported by this command";
const ERR_POSITIVE = "ERR value is out of range, must be positive";
const ERR_PACKED_THRESHOLD =
  "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
const ERR_NOT_LISTPACK = "ERR Not a listpack encoded object.";
const ERR_NOT_QUICKLIST = "ERR Not a quicklist encoded object.";

/** Redis's default quicklist packed threshold (1 GB), what a threshold of 0 restores. */
const DEFAULT_PACKED_THRESHOLD = 1 << 30;
/** The largest threshold Redis takes: 4 GB less 1 MB. */
const MAX_PACKED_THRESHOLD = 2 ** 32 - 2 ** 20;

// ---------------------------------------------------------------------------
// Parsing the way Redis's debug.c reads its numbers: atoi and strtod, which take the
// longest valid prefix and read junk as 0.

function atoi(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return m === null ? 0 : Number(m[1]) | 0;
}

function strtod(text: string): number {
  const t = text.replace(/^[ \t\n\v\f\r]+/, "");
  if (/^[+-]?(inf|infinity)/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  const n = parseFloat(t);
  return Number.isNaN(n) ? 0 : n;
}

// ---------------------------------------------------------------------------
// DEBUG OBJECT

// A stable stand-in for the value's address: the same key in the same database always
// shows the same one (INCR on a big number keeps it, as Redis's in-place update does).
function addressOf(db: number, key: string): string {
  let h = 0xcbf29ce484222325n;
  const text = `${db}\x00${key}`;
  for (let i = 0; i < text.length; i++) {
    h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  }
  return "0x7f" + (h & 0xffffffffffn).toString(16).padStart(10, "0");
}

function writeOptions(server: ServerApi) {
  const config = server.config;
  return {
    compress: config.string("rdbcompression") === "yes",
    listMaxListpackSize: config.number("list-max-listpack-size"),
    listCompressDepth: config.number("list-compress-depth"),
  };
}

// Node size limits for list-max-listpack-size -1 .. -5, and the cap a node filled by
// count still has; what Redis adds to an element's length when it estimates growth.
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
const NODE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;

/** One quicklist node: a plain one (one large element) or a listpack. */
interface QuicklistNode {
  plain: boolean;
  count: number;
  /** The element of a plain node, or the listpack's bytes. */
  blob: string | Uint8Array;
}

/**
 * The quicklist Redis would hold for the list had its elements been pushed at the
 * tail one by one: the layout the list codec writes to RDB files (codecs/list.ts),
 * with elements of at least `threshold` bytes in plain nodes of their own.
 */
function quicklistNodes(list: ListValue, fill: number, threshold: number): QuicklistNode[] {
  const sizeLimit = fill < 0 ? NODE_SIZE_LIMITS[Math.min(-fill - 1, 4)] : Infinity;
  const countLimit = fill < 0 ? Infinity : fill === 0 ? 1 : fill;
  const nodes: QuicklistNode[] = [];
  let node: ListpackBuilder | null = null;
  for (const item of list.toArray()) {
    const sz = item.length;
    if (sz >= threshold) {
      if (node !== null) nodes.push({ plain: false, count: node.count, blob: node.finish() });
      node = null;
      nodes.push({ plain: true, count: 1, blob: item });
      continue;
    }
    if (node !== null) {
      const grown = node.size + sz + SIZE_ESTIMATE_OVERHEAD;
      const fits = fill < 0
        ? grown <= sizeLimit
        : grown <= NODE_SAFETY_LIMIT && node.count + 1 <= countLimit;
      if (!fits) {
        nodes.push({ plain: false, count: node.count, blob: node.finish() });
        node = null;
      }
    }
    node ??= new ListpackBuilder();
    node.append(item);
  }
  if (node !== null) nodes.push({ plain: false, count: node.count, blob: node.finish() });
  return nodes;
}

/**
 * The bytes an RDB file gives those nodes (LIST_QUICKLIST_2 without its type byte),
 * interior nodes compressed under list-compress-depth as Redis keeps them.
 */
function quicklistSerializedLength(
  nodes: readonly QuicklistNode[],
  options: ReturnType<typeof writeOptions>,
): number {
  const w = new ByteWriter(256);
  w.length(nodes.length);
  const depth = options.listCompressDepth;
  const interior = depth > 0 && nodes.length > 2 * depth;
  nodes.forEach((n, i) => {
    w.length(n.plain ? QUICKLIST_NODE_PLAIN : QUICKLIST_NODE_PACKED);
    const inside = interior && i >= depth && i < nodes.length - depth;
    if (typeof n.blob === "string") writeString(w, n.blob, options.compress);
    else if (!(inside && writeCompressedNode(w, n.blob))) writeBlob(w, n.blob, options.compress);
  });
  return w.pos;
}

/** DEBUG OBJECT key: Redis's one-line description, with its field names. */
function debugObject(s: Session, argv: string[]): void {
  // Like Redis, the key is looked up as it is held: a key whose time ran out but that
  // is still there (active expiry off) is described, and no access is counted.
  const key = argv[2];
  const value = s.db.data.get(key);
  if (value === undefined) {
    s.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const server = s.server;
  const options = writeOptions(server);
  const nodes = value instanceof ListValue
    ? quicklistNodes(value, options.listMaxListpackSize, server.debug.quicklistPackedThreshold)
    : null;
  // The serialized value: a DUMP payload less its type byte, version and checksum (a
  // list as its nodes are under the packed threshold in force).
  const serialized = nodes !== null
    ? quicklistSerializedLength(nodes, options)
    : dumpPayload(value, options).length - 11;
  const idle = s.db.idleSeconds(key);
  const lru = (Math.floor(Date.now() / 1000) - idle) & 0xffffff;
  const refcount = refcountOf(server.config, value);
  const fields = [
    `Value at:${addressOf(s.db.id, key)}`,
    `refcount:${refcount}`,
    `encoding:${encodingOf(value)}`,
    `serializedlength:${serialized}`,
    `lru:${lru}`,
    `lru_seconds_idle:${idle}`,
  ];
  if (nodes !== null) {
    const elements = nodes.reduce((sum, n) => sum + n.count, 0);
    fields.push(
      `ql_nodes:${nodes.length}`,
      `ql_avg_node:${(elements / Math.max(nodes.length, 1)).toFixed(2)}`,
      `ql_listpack_max:${options.listMaxListpackSize}`,
      `ql_compressed:${options.listCompressDepth !== 0 ? 1 : 0}`,
      `ql_uncompressed_size:${nodes.reduce((sum, n) => sum + n.blob.length, 0)}`,
    );
  }
  const line = fields.join(" ");
  s.reply.simple(line);
}

// ---------------------------------------------------------------------------
// DEBUG LISTPACK / QUICKLIST: the layout is printed on the server's standard output.

const encoder = new TextEncoder();

function printOut(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

// A score as Redis writes it into a listpack: integers without a decimal point.
function scoreText(score: number): string {
  return Number.isSafeInteger(score) ? String(score) : formatDouble17(score);
}

/** DEBUG LISTPACK key */
function debugListpack(s: Session, argv: string[]): void {
  const value = s.db.data.get(argv[2]);
  if (value === undefined) {
    s.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const lp = new ListpackBuilder();
  if (value instanceof HashValue && !value.hashtable) {
    for (const [field, v] of value.fields) {
      lp.append(field);
      lp.append(v);
    }
  } else if (value instanceof SortedSetValue && value.encoding === "listpack") {
    for (const [member, score] of value.entries()) {
      lp.append(member);
      lp.append(scoreText(score));
    }
  } else {
    s.reply.error(ERR_NOT_LISTPACK);
    return;
  }
  const entries = lp.count;
  const bytes = lp.finish();
  printOut(
    `DEBUG LISTPACK ${JSON.stringify(argv[2])}: a listpack of ${bytes.length} bytes ` +
      `holding ${entries} entries (${typeName(value)} ${
        value instanceof HashValue ? "fields and values" : "members and scores"
      }), as Redeno writes it to RDB files`,
  );
  s.reply.simple("Listpack structure printed on stdout");
}

function typeName(value: Value): string {
  return value instanceof HashValue ? "hash" : "sorted set";
}

/** DEBUG QUICKLIST key [0|1] */
function debugQuicklist(s: Session, argv: string[]): void {
  const value = s.db.data.get(argv[2]);
  if (value === undefined) {
    s.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (!(value instanceof ListValue)) {
    s.reply.error(ERR_NOT_QUICKLIST);
    return;
  }
  const full = argv.length > 3 && atoi(argv[3]) !== 0;
  const options = writeOptions(s.server);
  const nodes = quicklistNodes(
    value,
    options.listMaxListpackSize,
    s.server.debug.quicklistPackedThreshold,
  );
  let text = `DEBUG QUICKLIST ${JSON.stringify(argv[2])}: ${value.length} elements in ` +
    `${nodes.length} nodes (list-max-listpack-size ${options.listMaxListpackSize}, ` +
    `list-compress-depth ${options.listCompressDepth}), as Redeno writes it to RDB files`;
  if (full) {
    nodes.forEach((n, i) => {
      text += `\n  node ${i}: ${n.plain ? "plain" : "packed"}, ${n.count} elements, ` +
        `${n.blob.length} bytes`;
    });
  }
  printOut(text);
  s.reply.simple("Quicklist structure printed on stdout");
}

// ---------------------------------------------------------------------------
// DEBUG DIGEST / DIGEST-VALUE: Redis's hashes of the data (src/persistence/digest.ts).

/** DEBUG DIGEST: one hash of the whole dataset (all zeros when it is empty). */
function debugDigest(s: Session): void {
  s.reply.simple(datasetDigest(s.server.keyspace));
}

/** DEBUG DIGEST-VALUE [key ...]: the hash of each value alone (zeros for a missing key). */
function debugDigestValue(s: Session, argv: string[]): void {
  const db = s.db;
  s.reply.arrayLen(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    // As held, without expiring it, as Redis looks it up.
    const value = db.data.get(argv[i]);
    s.reply.simple(valueDigest(value, { hasExpire: db.expires.has(argv[i]) }));
  }
}

// ---------------------------------------------------------------------------
// DEBUG PROTOCOL: one reply of each RESP type, the values client test suites expect.

function debugProtocol(s: Session, argv: string[]): void {
  const reply = s.reply;
  switch (argv[2].toLowerCase()) {
    case "string":
      reply.bulk("Hello World");
      break;
    case "integer":
      reply.integer(12345);
      break;
    case "double":
      reply.double(3.141);
      break;
    case "bignum":
      reply.bigNumber("1234567999999999999999999999999999999");
      break;
    case "null":
      reply.null();
      break;
    case "array":
    case "set":
      if (argv[2].toLowerCase() === "set") reply.setLen(3);
      else reply.arrayLen(3);
      for (let i = 0; i < 3; i++) reply.integer(i);
      break;
    case "map":
      reply.mapLen(3);
      for (let i = 0; i < 3; i++) {
        reply.integer(i);
        reply.boolean(i === 1);
      }
      break;
    case "attrib":
      // RESP2 has no attributes: only the reply they describe is sent.
      if (reply.attributeLen(1)) {
        reply.bulk("key-popularity");
        reply.arrayLen(2);
        reply.bulk("key:123");
        reply.integer(90);
      }
      reply.bulk("Some real reply following the attribute");
      break;
    case "push": {
      if (reply.resp === 2) {
        reply.error(ERR_RESP2_PUSH);
        break;
      }
      const start = reply.length;
      reply.pushLen(2);
      reply.bulk("server-cpu-usage");
      reply.integer(42);
      reply.pushed(start);
      reply.bulk("Some real reply following the push reply");
      break;
    }
    case "verbatim":
      reply.verbatim("This is a verbatim\nstring");
      break;
    case "true":
      reply.boolean(true);
      break;
    case "false":
      reply.boolean(false);
      break;
    default:
      reply.error(ERR_PROTOCOL_TYPE);
  }
}

// ---------------------------------------------------------------------------
// DEBUG RELOAD / LOADAOF

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] */
function debugReload(s: Session, argv: string[]): void {
  let save = true;
  let flush = true;
  let merge = false;
  for (const option of argv.slice(2)) {
    const lower = option.toLowerCase();
    if (lower === "merge") merge = true;
    else if (lower === "noflush") flush = false;
    else if (lower === "nosave") save = false;
    else {
      s.reply.error(ERR_RELOAD_OPTION);
      return;
    }
  }
  const server = s.server;
  if (flush) { for (const db of server.keyspace.databases) s.databaseChanged(db.id); }
  const failed = server.persistence.reload({ save, flush, merge });
  // A failed save answers a bare "-ERR", as Redis's shared error reply does.
  if (failed === "save") s.reply.error("ERR");
  else if (failed === "load") s.reply.error(ERR_RELOAD_LOAD);
  else s.reply.ok();
}

/** DEBUG LOADAOF: the dataset is read back from the AOF files. */
function debugLoadAof(s: Session): void {
  if (s.executingTransaction || s.inScript) {
    // The load reads files asynchronously: the command must be able to wait for it.
    s.reply.error("ERR DEBUG LOADAOF can't run inside MULTI/EXEC or a script in Redeno");
    return;
  }
  for (const db of s.server.keyspace.databases) s.databaseChanged(db.id);
  s.defer(
    s.server.persistence.reloadAof().then((failure) => {
      if (failure === null) s.reply.ok();
      else s.reply.error(`ERR Loading the AOF failed: ${failure}`);
    }),
  );
}

// ---------------------------------------------------------------------------
// The small ones

/** DEBUG SLEEP seconds: the whole server stops, as Redis's does (decimals allowed). */
function debugSleep(s: Session, argv: string[]): void {
  sleepSync(Math.trunc(strtod(argv[2]) * 1e6) / 1000);
  s.reply.ok();
}

/** DEBUG POPULATE count [prefix] [size]: string keys prefix:N holding value:N. */
function debugPopulate(s: Session, argv: string[]): void {
  const count = parseInteger(argv[2]);
  if (count === null || count < 0) {
    s.reply.error(ERR_POSITIVE);
    return;
  }
  const prefix = argv.length > 3 ? argv[3] : "key";
  let size = 0;
  if (argv.length > 4) {
    const n = parseInteger(argv[4]);
    if (n === null || n < 0) {
      s.reply.error(ERR_POSITIVE);
      return;
    }
    size = n;
  }
  const db = s.db;
  // Like Redis, keys already there are left alone, and nothing is propagated.
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (db.has(key)) continue;
    let value = `value:${i}`;
    if (size > 0) {
      value = value.length >= size ? value.slice(0, size) : value.padEnd(size, "\x00");
    }
    db.set(key, value);
    s.keyChanged(key);
  }
  s.reply.ok();
}

/** DEBUG QUICKLIST-PACKED-THRESHOLD size: elements this large get plain nodes (0: 1 GB). */
function debugPackedThreshold(s: Session, argv: string[]): void {
  const size = parseMemory(argv[2]);
  if (size === null || size > BigInt(MAX_PACKED_THRESHOLD)) {
    s.reply.error(ERR_PACKED_THRESHOLD);
    return;
  }
  s.server.debug.quicklistPackedThreshold = size === 0n ? DEFAULT_PACKED_THRESHOLD : Number(size);
  s.reply.ok();
}

/** DEBUG CHANGE-REPL-ID: a new replication id (INFO's master_replid). */
function debugChangeReplId(s: Session): void {
  s.server.replication.changeId();
  s.server.log.warning("Changing replication IDs after receiving DEBUG change-repl-id");
  s.reply.ok();
}

/** DEBUG STRINGMATCH-TEST: fuzzes the glob matcher with random patterns and subjects. */
function debugStringmatchTest(s: Session): void {
  const alphabet = "*?[]^-\\abc\x00\xff";
  const random = (max: number) => {
    let text = "";
    const n = Math.floor(Math.random() * max);
    for (let i = 0; i < n; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)];
    return text;
  };
  for (let i = 0; i < 100_000; i++) globMatch(random(32), random(32), Math.random() < 0.5);
  s.reply.simple("Redeno's glob matcher survived 100000 random patterns: test passed");
}

/** DEBUG HELP, in our own words. */
const HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "AOF-FLUSH-SLEEP <microseconds>",
  "    Block for <microseconds> before each write of the AOF (0: never).",
  "CHANGE-REPL-ID",
  "    Draw a new replication id (INFO's master_replid).",
  "CLIENT-EVICTION",
  "    Client eviction pools (maxmemory-clients is always 0 in Redeno).",
  "CONFIG-REWRITE-FORCE-ALL",
  "    Like CONFIG REWRITE, but write every directive to the config file, defaults too.",
  "DIGEST",
  "    A hex hash of the whole dataset, equal for equal data.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    A hex hash of each key's value.",
  "ERROR <string>",
  "    Reply with <string> as an error.",
  "LISTPACK <key>",
  "    Print the listpack a small hash or sorted set is saved as to standard output.",
  "LOADAOF",
  "    Write the AOF out, empty the dataset and load it back from the AOF files.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "OBJECT <key>",
  "    One line about the value at <key>: encoding, serialized length, idle time ...",
  "PAUSE-CRON <0|1>",
  "    1 stops the periodic housekeeping (active expiry, idle clients), 0 restarts it.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create string keys <prefix>:<n> (default prefix 'key') holding value:<n>,",
  "    padded or cut to <size> bytes when given. Existing keys are left alone.",
  "PROTOCOL <type>",
  "    Reply with a sample of one RESP type: string, integer, double, bignum, null,",
  "    array, set, map, attrib, push, verbatim, true or false.",
  "QUICKLIST <key> [<0|1>]",
  "    Print the quicklist nodes a list is saved as to standard output (1: each node).",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    List elements of at least <size> bytes get a node of their own (0: 1gb).",
  "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
  "    Save the RDB file, empty the dataset and load the file back. NOSAVE loads the",
  "    file as it is, NOFLUSH keeps the dataset, MERGE lets keys in the file win.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    0 stops expiring keys in the background (they still expire when read), 1 restarts.",
  "SET-DISABLE-DENY-SCRIPTS <0|1>",
  "    1 lets scripts call commands normally refused to them (DEBUG itself).",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    1 lets RESTORE take payloads whose CRC64 is wrong (the value is still checked).",
  "SLEEP <seconds>",
  "    Block the whole server for <seconds> (decimals allowed).",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|milliseconds>",
  "    How often each client's reply buffer peak (CLIENT LIST's rbp) starts again;",
  "    NEVER keeps the highest seen, RESET goes back to every 5000 ms.",
  "REPLYBUFFER RESIZING <0|1>",
  "    0 keeps idle clients' reply buffers; 1 (the default) gives them back.",
  "STRINGMATCH-TEST",
  "    Fuzz the glob-style pattern matcher.",
];

// Each subcommand: the argument counts it takes (DEBUG and its name included) and its
// handler. Other counts get Redis's "unknown subcommand or wrong number" error.
const SUBCOMMANDS: Record<
  string,
  [min: number, max: number, (s: Session, argv: string[]) => void]
> = {
  "help": [2, 2, (s) => replyHelp(s, HELP)],
  "object": [3, 3, debugObject],
  "reload": [2, Infinity, debugReload],
  "loadaof": [2, 2, debugLoadAof],
  "sleep": [3, 3, debugSleep],
  "aof-flush-sleep": [3, 3, (s, argv) => {
    s.server.debug.aofFlushSleepMicros = Math.max(0, atoi(argv[2]));
    s.reply.ok();
  }],
  "set-active-expire": [3, 3, (s, argv) => {
    s.server.debug.activeExpire = atoi(argv[2]) !== 0;
    s.reply.ok();
  }],
  "pause-cron": [3, 3, (s, argv) => {
    s.server.debug.pauseCron = atoi(argv[2]) !== 0;
    s.reply.ok();
  }],
  "set-disable-deny-scripts": [3, 3, (s, argv) => {
    s.server.debug.scriptsRunAnyCommand = atoi(argv[2]) !== 0;
    s.reply.ok();
  }],
  "quicklist-packed-threshold": [3, 3, debugPackedThreshold],
  "set-skip-checksum-validation": [3, 3, (s, argv) => {
    s.server.debug.skipChecksumValidation = atoi(argv[2]) !== 0;
    s.reply.ok();
  }],
  "digest": [2, 2, debugDigest],
  "digest-value": [2, Infinity, debugDigestValue],
  "protocol": [3, 3, debugProtocol],
  "populate": [3, 5, debugPopulate],
  "log": [3, 3, (s, argv) => {
    s.server.log.warning(`DEBUG LOG: ${argv[2]}`);
    s.reply.ok();
  }],
  "error": [3, 3, (s, argv) => s.reply.error(argv[2])],
  "change-repl-id": [2, 2, debugChangeReplId],
  // DEBUG REPLICATE cmd [arg ...]: sends a command to the replicas only, as it is.
  "replicate": [3, Infinity, (s, argv) => {
    s.server.replication.inject(s.db.id, argv.slice(2));
    s.reply.ok();
  }],
  "config-rewrite-force-all": [2, 2, debugConfigRewriteForceAll],
  "stringmatch-test": [2, 2, debugStringmatchTest],
  "listpack": [3, 3, debugListpack],
  "quicklist": [3, 4, debugQuicklist],
  "replybuffer": [4, 4, debugReplyBuffer],
  "client-eviction": [2, 2, debugClientEviction],
};

/** DEBUG CLIENT-EVICTION: the clients' memory by bucket, as eviction last measured it. */
function debugClientEviction(s: Session): void {
  const buckets = s.server.clientMemoryBuckets();
  if (buckets === null) {
    s.reply.error("ERR maxmemory-clients is disabled.");
    return;
  }
  const pad = (n: number) => String(n).padStart(10);
  let text = "";
  buckets.forEach(({ bytes, clients }, i) => {
    const low = i === 0 ? 0 : 2 ** (14 + i);
    const range = i === buckets.length - 1
      ? `${pad(low)}+            `
      : `${pad(low)} - ${pad(2 ** (15 + i) - 1)}`;
    text += `bucket ${range}: tot-mem: ${pad(bytes)}, clients: ${clients}\n`;
  });
  s.reply.bulk(text);
}

/** DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> | RESIZING <0|1> */
function debugReplyBuffer(s: Session, argv: string[]): void {
  const what = argv[2].toLowerCase();
  const debug = s.server.debug;
  if (what === "peak-reset-time") {
    const value = argv[3].toLowerCase();
    if (value === "never") debug.replyPeakResetMs = -1;
    else if (value === "reset") debug.replyPeakResetMs = REPLY_PEAK_RESET_MS;
    else {
      const ms = parseInteger(argv[3]);
      if (ms === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      debug.replyPeakResetMs = Number(ms);
    }
  } else if (what === "resizing") debug.replyBufferResizing = atoi(argv[3]) !== 0;
  else {
    s.reply.error(errSubcommandSyntax(argv[1], "debug"));
    return;
  }
  s.reply.ok();
}

/** DEBUG subcommand [arg ...] */
function debug(s: Session, argv: string[]): void {
  const entry = Object.hasOwn(SUBCOMMANDS, argv[1].toLowerCase())
    ? SUBCOMMANDS[argv[1].toLowerCase()]
    : undefined;
  if (entry === undefined || argv.length < entry[0] || argv.length > entry[1]) {
    s.reply.error(errSubcommandSyntax(argv[1], "debug"));
    return;
  }
  entry[2](s, argv);
}

/** DEBUG (one command: Redis's table lists no subcommands for it). */
export const debugCommands: CommandSpec[] = [{
  name: "debug",
  arity: -2,
  flags: ["admin", "noscript", "loading", "stale"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  group: "server",
  summary: "Commands for testing and inspecting the server (needs enable-debug-command).",
  since: "1.0.0",
  complexity: "Depends on subcommand.",
  protectedBy: "enable-debug-command",
  handler: debug,
}];
