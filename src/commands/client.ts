// CLIENT and its subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, HELP.

import {
  ERR_CLIENT_NAME,
  ERR_NO_SUCH_CLIENT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
} from "../protocol/errors.ts";
import type { CommandSpec, Session } from "./context.ts";
import { validClientName } from "./_client_name.ts";
import { replyHelp } from "./_help.ts";
import { parseInteger } from "../util/int64.ts";
import { clientTrackingCommands, trackingHelp } from "./client_tracking.ts";
import { tokenChoice } from "./table.ts";
import type { User } from "../acl/acl.ts";
import { cString } from "../util/latin1.ts";

/** One line of CLIENT LIST / CLIENT INFO, with Redis's field names and order. */
export function describeClient(c: Session, now: number): string {
  const f = c.facts;
  const subs = c.subscriptions;
  const memory = f.memory;
  // A replica's output includes its part of the shared replication buffer, as in Redis.
  const stream = c.replica?.stream?.held ?? 0;
  return `id=${c.id} addr=${f.addr} laddr=${f.laddr} fd=${f.fd} name=${c.name} ` +
    `age=${Math.floor((now - f.createdAt) / 1000)} ` +
    `idle=${Math.floor((now - f.lastInteraction) / 1000)} flags=${f.flags} db=${c.db.id} ` +
    `sub=${subs?.channels.size ?? 0} psub=${subs?.patterns.size ?? 0} ` +
    `ssub=${subs?.shardChannels.size ?? 0} multi=${f.queued} ` +
    `qbuf=${f.queryBuffer} qbuf-free=${f.queryBufferFree} ` +
    `argv-mem=${memory.argv} multi-mem=${memory.multi} rbs=${f.replyBufferSize} ` +
    `rbp=${f.replyBufferPeak} ` +
    `obl=0 oll=0 omem=${f.outputBuffer + stream} ` +
    `tot-mem=${memory.total + stream} events=r ` +
    `cmd=${f.lastCommand} user=${c.user.name} redir=${
      c.server.tracking.redirectOf(c)
    } resp=${c.reply.resp}\n`;
}

function clientId(s: Session): void {
  s.reply.integer(s.id);
}

function clientSetName(s: Session, argv: string[]): void {
  if (!validClientName(argv[2])) {
    s.reply.error(ERR_CLIENT_NAME);
    return;
  }
  s.name = argv[2];
  s.reply.ok();
}

function clientGetName(s: Session): void {
  if (s.name === "") s.reply.null();
  else s.reply.bulk(s.name);
}

/** CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]] */
function clientList(s: Session, argv: string[]): void {
  let ids: Set<number> | null = null;
  let type = "";
  if (argv.length === 4 && argv[2].toLowerCase() === "type") {
    type = argv[3].toLowerCase();
    if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) {
      s.reply.error(`ERR Unknown client type '${cString(argv[3])}'`);
      return;
    }
  } else if (argv.length > 3 && argv[2].toLowerCase() === "id") {
    ids = new Set();
    for (let i = 3; i < argv.length; i++) {
      const id = parseInteger(argv[i]);
      if (id === null || id <= 0) {
        s.reply.error("ERR Invalid client ID");
        return;
      }
      ids.add(id);
    }
  } else if (argv.length !== 2) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const now = Date.now();
  let text = "";
  for (const c of s.server.sessions()) {
    if (type !== "" && clientType(c) !== (type === "replica" ? "slave" : type)) continue;
    if (ids === null || ids.has(c.id)) text += describeClient(c, now);
  }
  s.reply.verbatim(text);
}

function clientInfo(s: Session): void {
  s.reply.verbatim(describeClient(s, Date.now()));
}

/** CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR a] [LADDR a] [TYPE t] [USER u] [SKIPME yes|no] */
function clientKill(s: Session, argv: string[]): void {
  if (argv.length === 3) {
    for (const c of s.server.sessions()) {
      if (c.facts.addr === argv[2]) {
        c.close();
        s.reply.ok();
        return;
      }
    }
    s.reply.error(ERR_NO_SUCH_CLIENT);
    return;
  }
  if (argv.length % 2 !== 0) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  let id = 0, addr = "", laddr = "", type = "", skipMe = true;
  let user: User | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (option === "id") {
      const n = parseInteger(value);
      if (n === null || n <= 0) {
        s.reply.error("ERR client-id should be greater than 0");
        return;
      }
      id = n;
    } else if (option === "addr") addr = value;
    else if (option === "laddr") laddr = value;
    else if (option === "user") {
      user = s.server.acl.users.get(value) ?? null;
      if (user === null) {
        s.reply.error(`ERR No such user '${cString(value)}'`);
        return;
      }
    } else if (option === "type") {
      type = value.toLowerCase();
      if (!["normal", "master", "replica", "slave", "pubsub"].includes(type)) {
        s.reply.error(`ERR Unknown client type '${cString(value)}'`);
        return;
      }
    } else if (option === "skipme") {
      const yes = value.toLowerCase();
      if (yes !== "yes" && yes !== "no") {
        s.reply.error(ERR_SYNTAX);
        return;
      }
      skipMe = yes === "yes";
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  let killed = 0;
  for (const c of [...s.server.sessions()]) {
    if (id !== 0 && c.id !== id) continue;
    if (addr !== "" && c.facts.addr !== addr) continue;
    if (laddr !== "" && c.facts.laddr !== laddr) continue;
    if (type !== "" && (type === "replica" ? "slave" : type) !== clientType(c)) continue;
    if (user !== null && c.user !== user) continue;
    if (skipMe && c === s) continue;
    c.close();
    killed++;
  }
  s.reply.integer(killed);
}

/** The class CLIENT LIST TYPE and CLIENT KILL TYPE filter on. */
function clientType(c: Session): string {
  if (c.isMaster) return "master";
  if (c.replica !== null) return "slave";
  return c.subscriptions !== null ? "pubsub" : "normal";
}

/** CLIENT REPLY ON|OFF|SKIP */
function clientReply(s: Session, argv: string[]): void {
  const mode = argv[2].toLowerCase();
  if (mode === "on") {
    s.replyOff = false;
    s.replySkipNext = false;
    s.replySkip = false;
    s.reply.ok();
  } else if (mode === "off") s.replyOff = true;
  else if (mode === "skip") {
    if (!s.replyOff) s.replySkipNext = true;
  } else s.reply.error(ERR_SYNTAX);
}

/** CLIENT PAUSE timeout [WRITE|ALL] */
function clientPause(s: Session, argv: string[]): void {
  if (argv.length > 4) {
    s.reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.",
    );
    return;
  }
  const timeout = parseInteger(argv[2]);
  if (timeout === null || Math.abs(timeout) >= 2 ** 53) {
    s.reply.error("ERR timeout is not an integer or out of range");
    return;
  }
  let writesOnly = false;
  if (argv.length === 4) {
    const mode = argv[3].toLowerCase();
    if (mode === "write") writesOnly = true;
    else if (mode !== "all") {
      s.reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  if (timeout < 0) {
    s.reply.error("ERR timeout is negative");
    return;
  }
  s.server.pause(Date.now() + timeout, writesOnly);
  s.reply.ok();
}

/** CLIENT UNBLOCK client-id [TIMEOUT|ERROR] */
function clientUnblock(s: Session, argv: string[]): void {
  if (argv.length > 4) {
    s.reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP.",
    );
    return;
  }
  const id = parseInteger(argv[2]);
  if (id === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  let withError = false;
  if (argv.length === 4) {
    const how = argv[3].toLowerCase();
    if (how === "error") withError = true;
    else if (how !== "timeout") {
      s.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  s.reply.integer(s.server.unblockClient(id, withError) ? 1 : 0);
}

/** CLIENT NO-EVICT ON|OFF */
function clientNoEvict(s: Session, argv: string[]): void {
  const mode = argv[2].toLowerCase();
  if (mode !== "on" && mode !== "off") {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  s.noEvict = mode === "on";
  s.reply.ok();
}

const HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GETNAME",
  "    The name given to this connection, or nil.",
  "ID",
  "    The unique id of this connection.",
  "INFO",
  "    One line describing this connection.",
  "KILL <ip:port>",
  "    Closes the connection coming from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Closes the connections that match every filter: ID, ADDR, LADDR, TYPE, USER,",
  "    SKIPME (yes by default: spare the calling connection).",
  "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
  "    One line per connection.",
  "NO-EVICT (ON|OFF)",
  "    Protects this connection from client eviction (or not).",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Holds back the commands of every client (or only those that may write) for",
  "    <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Turns replies to this connection off, back on, or skips the next one.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Ends the wait of a client blocked in a blocking command.",
  "UNPAUSE",
  "    Ends a CLIENT PAUSE.",
  "SETNAME <name>",
  "    Names this connection.",
  ...trackingHelp,
];

const sub = {
  group: "connection",
  categories: ["connection"],
  firstKey: 0,
  lastKey: 0,
  step: 0,
} as const;

// The subcommands that act on other clients or the whole server (PAUSE, UNBLOCK ...).
const adminSub = {
  ...sub,
  flags: ["admin", "noscript", "loading", "stale"],
  categories: ["admin", "slow", "dangerous", "connection"],
} as const;

/** CLIENT and its subcommands. */
export const clientCommands: CommandSpec[] = [{
  ...sub,
  name: "client",
  arity: -2,
  flags: [],
  categories: [],
  summary: "Inspects and manages client connections.",
  since: "2.4.0",
  complexity: "Depends on the subcommand",
  subcommands: [
    {
      ...sub,
      name: "id",
      arity: 2,
      flags: ["noscript", "loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Answers the id of this connection.",
      since: "5.0.0",
      complexity: "O(1)",
      handler: clientId,
    },
    {
      ...sub,
      name: "setname",
      arity: 3,
      flags: ["noscript", "loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Names this connection.",
      since: "2.6.9",
      complexity: "O(1)",
      args: [{ name: "connection-name", type: "string" }],
      handler: clientSetName,
    },
    {
      ...sub,
      name: "getname",
      arity: 2,
      flags: ["noscript", "loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Answers the name of this connection.",
      since: "2.6.9",
      complexity: "O(1)",
      handler: clientGetName,
    },
    {
      ...adminSub,
      name: "list",
      arity: -2,
      summary: "Describes every client connection, one line each.",
      since: "2.4.0",
      complexity: "O(N) in the number of clients",
      tips: ["nondeterministic_output"],
      args: [
        tokenChoice("client-type", ["NORMAL", "MASTER", "REPLICA", "PUBSUB"], {
          optional: true,
          token: "TYPE",
        }),
        { name: "client-id", type: "integer", token: "ID", optional: true, multiple: true },
      ],
      handler: clientList,
    },
    {
      ...sub,
      name: "info",
      arity: 2,
      flags: ["noscript", "loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Describes this connection in one line.",
      since: "6.2.0",
      complexity: "O(1)",
      tips: ["nondeterministic_output"],
      handler: clientInfo,
    },
    {
      ...adminSub,
      name: "kill",
      arity: -3,
      summary: "Closes client connections chosen by address or by filters.",
      since: "2.4.0",
      complexity: "O(N) in the number of clients",
      args: [{
        name: "filter",
        type: "oneof",
        arguments: [
          { name: "ip:port", type: "string" },
          { name: "client-id", type: "integer", token: "ID", optional: true },
          { name: "ip:port", type: "string", token: "ADDR", optional: true },
          { name: "ip:port", type: "string", token: "LADDR", optional: true },
          { name: "username", type: "string", token: "USER", optional: true },
          { name: "yes/no", type: "string", token: "SKIPME", optional: true },
        ],
      }],
      handler: clientKill,
    },
    {
      ...sub,
      name: "reply",
      arity: 3,
      flags: ["noscript", "loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Turns this connection's replies on, off, or skips the next one.",
      since: "3.2.0",
      complexity: "O(1)",
      args: [tokenChoice("on_off_skip", ["ON", "OFF", "SKIP"])],
      handler: clientReply,
    },
    {
      ...adminSub,
      name: "pause",
      arity: -3,
      summary: "Holds back other clients' commands (or only writes) for a while.",
      since: "2.9.50",
      complexity: "O(1)",
      args: [
        { name: "timeout", type: "integer" },
        tokenChoice("mode", ["WRITE", "ALL"], { optional: true }),
      ],
      handler: clientPause,
    },
    {
      ...adminSub,
      name: "unpause",
      arity: 2,
      summary: "Ends a CLIENT PAUSE.",
      since: "6.2.0",
      complexity: "O(N) where N is the number of paused clients",
      handler: (s) => {
        s.server.unpause();
        s.reply.ok();
      },
    },
    {
      ...adminSub,
      name: "unblock",
      arity: -3,
      summary: "Ends the wait of a client blocked in a blocking command.",
      since: "5.0.0",
      complexity: "O(log N) where N is the number of client connections",
      args: [
        { name: "client-id", type: "integer" },
        tokenChoice("timeout_error", ["TIMEOUT", "ERROR"], { optional: true }),
      ],
      handler: clientUnblock,
    },
    {
      ...adminSub,
      name: "no-evict",
      arity: 3,
      summary: "Protects this connection from client eviction, or not.",
      since: "7.0.0",
      complexity: "O(1)",
      args: [tokenChoice("enabled", ["ON", "OFF"])],
      handler: clientNoEvict,
    },
    {
      ...sub,
      name: "help",
      arity: 2,
      flags: ["loading", "stale"],
      categories: ["slow", "connection"],
      summary: "Lists the CLIENT subcommands.",
      since: "5.0.0",
      complexity: "O(1)",
      handler: (s) => replyHelp(s, HELP),
    },
    ...clientTrackingCommands,
  ],
}];
