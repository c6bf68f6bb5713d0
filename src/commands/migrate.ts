// MIGRATE: moves (or with COPY copies) keys to another server as RESTORE commands
// carrying their DUMP payloads and remaining TTLs, and deletes them here once the
// target has taken them. As in Redis the whole server waits meanwhile (see
// _migrate_sockets.ts), connections are reused, and what the AOF and replicas get is
// a DEL of the keys that moved.

import { NOTIFY } from "../config/mod.ts";
import { ByteWriter } from "../persistence/rdb_format.ts";
import { dumpPayload } from "../persistence/rdb_writer.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX } from "../protocol/errors.ts";
import type { Value } from "../store/value.ts";
import { parseInt64 } from "../util/int64.ts";
import type { CommandSpec, ServerApi, Session } from "./context.ts";
import { rdbWriteOptions } from "./dump.ts";
import { lookupRead } from "./_lookup.ts";
import { MigrateSockets } from "./_migrate_sockets.ts";
import { isWord } from "./_parse.ts";

const ERR_KEYS_NEED_EMPTY_KEY =
  "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
const ERR_CONNECTING = "IOERR error or timeout connecting to the client";
const ERR_WRITING = "IOERR error or timeout writing to target instance";
const ERR_READING = "IOERR error or timeout reading to target instance";
/** Followed by the target's error line without its '-'. */
const ERR_FROM_TARGET = "ERR Target instance replied with error: ";

const socketsByServer = new WeakMap<ServerApi, MigrateSockets>();

function socketsOf(server: ServerApi): MigrateSockets {
  let sockets = socketsByServer.get(server);
  if (sockets === undefined) {
    sockets = new MigrateSockets(server.log);
    socketsByServer.set(server, sockets);
  }
  return sockets;
}

/** INFO's migrate_cached_sockets: the connections to MIGRATE targets kept open. */
export function migrateCachedSockets(server: ServerApi): number {
  return socketsByServer.get(server)?.size ?? 0;
}

/** A key to send, with its payload once serialized (kept for a second attempt). */
interface Moving {
  key: string;
  value: Value;
  payload: Uint8Array | null;
}

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
 *   [AUTH password | AUTH2 username password] [KEYS key [key ...]]
 */
function migrate(s: Session, argv: string[]): void {
  let copy = false;
  let replace = false;
  let username: string | null = null;
  let password: string | null = null;
  let first = 3;
  let count = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j];
    if (isWord(option, "copy")) copy = true;
    else if (isWord(option, "replace")) replace = true;
    else if (isWord(option, "auth")) {
      if (more < 1) return s.reply.error(ERR_SYNTAX);
      password = argv[++j];
    } else if (isWord(option, "auth2")) {
      if (more < 2) return s.reply.error(ERR_SYNTAX);
      username = argv[++j];
      password = argv[++j];
    } else if (isWord(option, "keys")) {
      if (argv[3] !== "") return s.reply.error(ERR_KEYS_NEED_EMPTY_KEY);
      first = j + 1;
      count = more;
      break;
    } else return s.reply.error(ERR_SYNTAX);
  }
  let timeout = parseInt64(argv[5]);
  const dbIndex = parseInt64(argv[4]);
  if (timeout === null || dbIndex === null) return s.reply.error(ERR_NOT_INTEGER);
  if (timeout <= 0n) timeout = 1000n;

  // Only the keys that exist move; none at all is no error (they may just have expired).
  const db = s.db;
  const found: Moving[] = [];
  for (let i = first; i < first + count; i++) {
    const value = lookupRead(s, argv[i]);
    if (value !== undefined) found.push({ key: argv[i], value, payload: null });
  }
  if (found.length === 0) return s.reply.simple("NOKEY");

  const sockets = socketsOf(s.server);
  const timeoutMs = Number(timeout);
  const host = argv[1];
  const port = argv[2];
  // A connection that failed is closed and opened again once: a cached one may have
  // been closed by the target. Not after a timeout, and not once a key moved.
  let mayRetry = true;
  while (true) {
    const socket = sockets.socket(host, port, timeoutMs);
    if (socket === null) return s.reply.error(ERR_CONNECTING);
    const request = new ByteWriter();
    if (password !== null) {
      writeCommand(request, username === null ? ["AUTH", password] : ["AUTH", username, password]);
    }
    const select = socket.lastDb !== dbIndex;
    if (select) writeCommand(request, ["SELECT", String(dbIndex)]);
    // TTLs are taken now, after connecting; a key whose time ran out since is left out.
    const sent: Moving[] = [];
    for (const moving of found) {
      let ttl = 0n;
      const at = db.getExpireExact(moving.key);
      if (at !== undefined) {
        ttl = BigInt(at) - BigInt(Date.now());
        if (ttl < 0n) continue;
        if (ttl < 1n) ttl = 1n;
      }
      sent.push(moving);
      moving.payload ??= dumpPayload(moving.value, rdbWriteOptions(s.server.config));
      request.latin1(replace ? "*5\r\n" : "*4\r\n");
      writeBulk(request, "RESTORE");
      writeBulk(request, moving.key);
      writeBulk(request, String(ttl));
      writeBulk(request, moving.payload);
      if (replace) writeBulk(request, "REPLACE");
    }
    const preamble = (password !== null ? 1 : 0) + (select ? 1 : 0);
    const result = sockets.exchange(
      socket,
      request.buf.subarray(0, request.pos),
      preamble + sent.length,
      timeoutMs,
    );
    const retry = mayRetry && !result.timedOut;
    if (result.failure === "write" || result.errors.length < preamble) {
      sockets.close(socket);
      if (retry) {
        mayRetry = false;
        continue;
      }
      return s.reply.error(result.failure === "write" ? ERR_WRITING : ERR_READING);
    }
    const preambleFailed = result.errors.slice(0, preamble).includes(true);
    let targetError = false;
    const deleted: string[] = [];
    const answered = result.errors.length - preamble;
    for (let j = 0; j < answered; j++) {
      if (preambleFailed || result.errors[preamble + j]) {
        if (!targetError) {
          targetError = true;
          socket.lastDb = -1n;
          s.reply.error(ERR_FROM_TARGET + result.firstError!.slice(1));
        }
      } else if (!copy) {
        const key = sent[j].key;
        db.delete(key);
        s.keyChanged(key);
        s.notify(NOTIFY.GENERIC, "del", key);
        s.server.dirty++;
        deleted.push(key);
      }
    }
    const broken = result.failure !== null;
    if (broken && !targetError && answered === 0 && retry) {
      sockets.close(socket);
      mayRetry = false;
      continue;
    }
    if (broken) sockets.close(socket);
    if (deleted.length > 0) s.propagateAs(["DEL", ...deleted]);
    if (targetError) return;
    if (broken) return s.reply.error(ERR_READING);
    socket.lastDb = dbIndex;
    return s.reply.ok();
  }
}

function writeCommand(w: ByteWriter, argv: readonly string[]): void {
  w.latin1(`*${argv.length}\r\n`);
  for (const arg of argv) writeBulk(w, arg);
}

function writeBulk(w: ByteWriter, data: string | Uint8Array): void {
  w.latin1(`$${data.length}\r\n`);
  if (typeof data === "string") w.latin1(data);
  else w.bytes(data);
  w.latin1("\r\n");
}

/**
 * MIGRATE's keys, found as Redis finds them. Its key specs come first: the key
 * argument, and the arguments after a KEYS searched backwards from the one before
 * last. A KEYS found that way makes that spec "incomplete", so Redis asks its
 * migrateGetKeys instead, which looks for KEYS forwards past the options (skipping
 * AUTH's and AUTH2's values) and takes every argument after it, or, when the key
 * argument is not empty, no key at all.
 */
function migrateKeys(argv: readonly string[]): { index: number; flags: readonly string[] }[] {
  let incomplete = false;
  for (let i = argv.length - 2; i >= 1 && !incomplete; i--) incomplete = isWord(argv[i], "keys");
  let first = 3;
  let count = 1;
  for (let i = 6; incomplete && i < argv.length; i++) {
    if (isWord(argv[i], "keys")) {
      if (argv[3] !== "") return [];
      first = i + 1;
      count = argv.length - first;
      break;
    }
    if (isWord(argv[i], "auth")) i += 1;
    else if (isWord(argv[i], "auth2")) i += 2;
  }
  const keys = [];
  for (let i = 0; i < count; i++) keys.push({ index: first + i, flags: KEY_FLAGS });
  return keys;
}

const KEY_FLAGS = ["RW", "access", "delete"] as const;

/** MIGRATE. */
export const migrateCommands: CommandSpec[] = [
  {
    name: "migrate",
    arity: -6,
    flags: ["write"],
    categories: ["keyspace", "dangerous"],
    firstKey: 3,
    lastKey: 3,
    step: 1,
    group: "generic",
    summary: "Moves keys to another Redis server, or copies them with COPY.",
    tips: ["nondeterministic_output"],
    keySpecs: [
      { flags: KEY_FLAGS, begin: { index: 3 }, find: { range: { lastKey: 0, step: 1, limit: 0 } } },
      {
        flags: [...KEY_FLAGS, "incomplete"],
        begin: { keyword: "KEYS", startFrom: -2 },
        find: { range: { lastKey: -1, step: 1, limit: 0 } },
      },
    ],
    getKeys: migrateKeys,
    since: "2.6.0",
    complexity: "A DUMP and a DEL of each key here and a RESTORE on the target, plus the " +
      "O(N) transfer of the payloads",
    args: [
      { name: "host", type: "string" },
      { name: "port", type: "integer" },
      {
        name: "key_or_empty_string",
        type: "oneof",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "empty_string", type: "pure-token", token: "" },
        ],
      },
      { name: "destination-db", type: "integer" },
      { name: "timeout", type: "integer" },
      { name: "copy", type: "pure-token", token: "COPY", optional: true },
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
      {
        name: "authentication",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "password", type: "string", token: "AUTH", optional: true },
          {
            name: "username_password",
            type: "block",
            token: "AUTH2",
            optional: true,
            arguments: [
              { name: "username", type: "string" },
              { name: "password", type: "string" },
            ],
          },
        ],
      },
      {
        name: "key",
        type: "key",
        keySpecIndex: 1,
        token: "KEYS",
        optional: true,
        multiple: true,
      },
    ],
    handler: migrate,
  },
];
