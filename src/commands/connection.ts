// Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO.

import {
  ERR_AUTH_NOT_CONFIGURED,
  ERR_CLIENT_NAME,
  ERR_DB_INDEX,
  ERR_INT_RANGE,
  ERR_NOPROTO,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGPASS,
} from "../protocol/errors.ts";
import { REDIS_VERSION } from "../version.ts";
import type { CommandSpec, Session } from "./context.ts";
import { parseInteger } from "../util/int64.ts";
import { validClientName } from "./_client_name.ts";
import { logAclDenial } from "./acl.ts";
import { DENIED_AUTH } from "../acl/acl.ts";
import { cString } from "../util/latin1.ts";

/** PING [message] */
function ping(s: Session, argv: string[]): void {
  if (argv.length > 2) {
    s.reply.error("ERR wrong number of arguments for 'ping' command");
  } else if (s.subscriptions !== null && s.reply.resp === 2) {
    // A RESP2 subscriber can only read arrays: the pong comes as a message.
    s.reply.arrayLen(2);
    s.reply.bulk("pong");
    s.reply.bulk(argv[1] ?? "");
  } else if (argv.length === 2) {
    s.reply.bulk(argv[1]);
  } else {
    s.reply.simple("PONG");
  }
}

/** ECHO message */
function echo(s: Session, argv: string[]): void {
  s.reply.bulk(argv[1]);
}

/** QUIT: answers OK, then the connection closes. */
function quit(s: Session): void {
  s.reply.ok();
  s.close();
}

/** SELECT index */
function select(s: Session, argv: string[]): void {
  const index = parseInteger(argv[1]);
  if (index === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  if (index < -2147483648 || index > 2147483647) {
    s.reply.error(ERR_INT_RANGE);
    return;
  }
  const db = s.server.keyspace.databases[index];
  if (db === undefined) {
    s.reply.error(ERR_DB_INDEX);
    return;
  }
  s.db = db;
  s.reply.ok();
}

/**
 * Logs the client in as a user when the password opens it; otherwise replies with
 * the error, and the ACL LOG records the attempt (under the command's name as sent).
 */
function checkCredentials(s: Session, username: string, password: string, sent: string): boolean {
  const user = s.server.acl.authenticate(username, password);
  if (user !== null) {
    s.user = user;
    s.authenticated = true;
    return true;
  }
  const context = s.inMulti || s.executingTransaction ? "multi" : "toplevel";
  logAclDenial(s, { reason: DENIED_AUTH, index: 0 }, context, sent, username);
  s.reply.error(ERR_WRONGPASS);
  return false;
}

/** AUTH [username] password */
function auth(s: Session, argv: string[]): void {
  if (argv.length > 3) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  if (argv.length === 2 && s.server.acl.defaultUser.nopass) {
    s.reply.error(ERR_AUTH_NOT_CONFIGURED);
    return;
  }
  const user = argv.length === 3 ? argv[1] : "default";
  if (checkCredentials(s, user, argv[argv.length - 1], argv[0])) s.reply.ok();
}

/** HELLO [protover [AUTH username password] [SETNAME clientname]] */
function hello(s: Session, argv: string[]): void {
  let version: 2 | 3 | 0 = 0;
  if (argv.length >= 2) {
    // A 64-bit integer (getLongLongFromObject): 99999999999 is NOPROTO, not an error.
    const v = parseInteger(argv[1]);
    if (v === null) {
      s.reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v < 2 || v > 3) {
      s.reply.error(ERR_NOPROTO);
      return;
    }
    version = v as 2 | 3;
  }
  let user = "", password = "", name: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const option = argv[i].toLowerCase();
    if (option === "auth" && more >= 2) {
      user = argv[++i];
      password = argv[++i];
    } else if (option === "setname" && more >= 1) {
      name = argv[++i];
    } else {
      s.reply.error(`ERR Syntax error in HELLO option '${cString(argv[i])}'`);
      return;
    }
  }
  if (user !== "" && !checkCredentials(s, user, password, argv[0])) return;
  if (!s.authenticated) {
    s.reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the " +
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and " +
        "select the RESP protocol version at the same time",
    );
    return;
  }
  if (name !== null) {
    if (!validClientName(name)) {
      s.reply.error(ERR_CLIENT_NAME);
      return;
    }
    s.name = name;
  }
  if (version !== 0) s.setProtocol(version);
  const r = s.reply;
  r.mapLen(7);
  r.bulk("server");
  r.bulk("redis");
  r.bulk("version");
  r.bulk(REDIS_VERSION);
  r.bulk("proto");
  r.integer(r.resp);
  r.bulk("id");
  r.integer(s.id);
  r.bulk("mode");
  r.bulk("standalone");
  r.bulk("role");
  r.bulk("master");
  r.bulk("modules");
  r.arrayLen(0);
}

const connection = { group: "connection", categories: ["connection"] } as const;

/** The connection commands. */
export const connectionCommands: CommandSpec[] = [
  {
    ...connection,
    name: "ping",
    arity: -1,
    flags: ["fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers PONG, or echoes the message given.",
    since: "1.0.0",
    complexity: "O(1)",
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
    args: [{ name: "message", type: "string", optional: true }],
    handler: ping,
  },
  {
    ...connection,
    name: "echo",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Answers the message it was given.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [{ name: "message", type: "string" }],
    handler: echo,
  },
  {
    ...connection,
    name: "quit",
    arity: -1,
    flags: ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Closes the connection after answering OK.",
    since: "1.0.0",
    complexity: "O(1)",
    handler: quit,
  },
  {
    ...connection,
    name: "reset",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Returns the connection to a fresh state: no transaction, subscription or mode.",
    since: "6.2.0",
    complexity: "O(1)",
    handler: (s) => {
      s.reset();
      s.reply.simple("RESET");
    },
  },
  {
    ...connection,
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Switches this connection to another numbered database.",
    since: "1.0.0",
    complexity: "O(1)",
    args: [{ name: "index", type: "integer" }],
    handler: select,
  },
  {
    ...connection,
    name: "auth",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Authenticates the connection with a password (and optionally a user name).",
    since: "1.0.0",
    complexity: "O(N) in the length of the password",
    args: [
      { name: "username", type: "string", optional: true },
      { name: "password", type: "string" },
    ],
    handler: auth,
  },
  {
    ...connection,
    name: "hello",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    summary: "Picks the protocol version (2 or 3), optionally authenticates and names the client.",
    since: "6.0.0",
    complexity: "O(1)",
    args: [{
      name: "arguments",
      type: "block",
      optional: true,
      arguments: [
        { name: "protover", type: "integer" },
        {
          name: "username-password",
          type: "block",
          token: "AUTH",
          optional: true,
          arguments: [{ name: "username", type: "string" }, { name: "password", type: "string" }],
        },
        { name: "clientname", type: "string", token: "SETNAME", optional: true },
      ],
    }],
    handler: hello,
  },
];
