// String commands: SET, GET.

import {
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONG_TYPE,
  errInvalidExpire,
} from "../protocol/errors.ts";
import { isString } from "../store/value.ts";
import type { CommandSpec, Session } from "./context.ts";
import { parseInt64 } from "./_parse.ts";

const INT64_MAX = 9223372036854775807n;

/** GET key */
function get(s: Session, argv: string[]): void {
  const value = s.db.get(argv[1]);
  if (value === undefined) {
    s.server.stats.keyspaceMisses++;
    s.reply.null();
  } else if (isString(value)) {
    s.server.stats.keyspaceHits++;
    s.reply.bulk(value);
  } else {
    s.reply.error(ERR_WRONG_TYPE);
  }
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL] */
function set(s: Session, argv: string[]): void {
  const key = argv[1];
  const value = argv[2];
  if (argv.length === 3) {
    s.db.set(key, value);
    s.server.dirty++;
    s.server.propagate(s.db.id, argv);
    s.reply.ok();
    return;
  }
  let nx = false, xx = false, get = false, keepTtl = false;
  let unit = "", expireArg = "";
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i].toLowerCase();
    const hasNext = i + 1 < argv.length;
    if (option === "nx" && !xx) nx = true;
    else if (option === "xx" && !nx) xx = true;
    else if (option === "get") get = true;
    else if (option === "keepttl" && unit === "") keepTtl = true;
    else if (
      (option === "ex" || option === "px" || option === "exat" || option === "pxat") &&
      (unit === "" || unit === option) && !keepTtl && hasNext
    ) {
      unit = option;
      expireArg = argv[++i];
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let expireAt = -1;
  if (unit !== "") {
    const at = expireTime(unit, expireArg);
    if (typeof at === "string") {
      s.reply.error(at);
      return;
    }
    expireAt = at;
  }
  const old = s.db.get(key);
  if (get && old !== undefined && !isString(old)) {
    s.reply.error(ERR_WRONG_TYPE);
    return;
  }
  if ((nx && old !== undefined) || (xx && old === undefined)) {
    if (get && old !== undefined) s.reply.bulk(old as string);
    else s.reply.null();
    return;
  }
  s.db.set(key, value, keepTtl);
  const propagated = ["SET", key, value];
  if (expireAt >= 0) {
    s.db.setExpire(key, expireAt);
    propagated.push("PXAT", String(expireAt));
  } else if (keepTtl) {
    propagated.push("KEEPTTL");
  }
  s.server.dirty++;
  s.server.propagate(s.db.id, propagated);
  if (!get) s.reply.ok();
  else if (old === undefined) s.reply.null();
  else s.reply.bulk(old as string);
}

// The absolute expiry time in ms for SET's EX/PX/EXAT/PXAT, or the error to reply.
function expireTime(unit: string, text: string): number | string {
  let n = parseInt64(text);
  if (n === null) return ERR_NOT_INTEGER;
  const seconds = unit === "ex" || unit === "exat";
  if (n <= 0n || (seconds && n > INT64_MAX / 1000n)) return errInvalidExpire("set");
  if (seconds) n *= 1000n;
  if (unit === "ex" || unit === "px") n += BigInt(Date.now());
  // Redis adds in 64 bits; a sum past the maximum wraps negative and is refused.
  if (n > INT64_MAX) return errInvalidExpire("set");
  return Number(n);
}

/** The string commands. */
export const stringCommands: CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["string"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "string",
    summary: "Answers the string stored at a key, or nil.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [{ name: "key", type: "key", keySpecIndex: 0 }],
    handler: get,
  },
  {
    name: "set",
    arity: -3,
    flags: ["write", "denyoom"],
    categories: ["string", "slow"],
    firstKey: 1,
    lastKey: 1,
    step: 1,
    group: "string",
    summary: "Stores a string at a key, with optional conditions and time to live.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [
      { name: "key", type: "key", keySpecIndex: 0 },
      { name: "value", type: "string" },
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "get", type: "pure-token", token: "GET", optional: true },
      {
        name: "expiration",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "seconds", type: "integer", token: "EX" },
          { name: "milliseconds", type: "integer", token: "PX" },
          { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
          { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
          { name: "keepttl", type: "pure-token", token: "KEEPTTL" },
        ],
      },
    ],
    handler: set,
  },
];
