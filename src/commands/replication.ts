// Replication commands: REPLICAOF (SLAVEOF), ROLE, WAIT, and what replicas send their
// master: REPLCONF, PSYNC, SYNC. The protocol itself is in src/replication/.

import { parseInt64 } from "../util/int64.ts";
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_TIMEOUT_NEGATIVE } from "../protocol/errors.ts";

const ERR_TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range";
import { knownHost } from "../replication/report.ts";
import { describeClient } from "./client.ts";
import type { ArgDoc, CommandSpec, Session } from "./context.ts";

const noKeys = { firstKey: 0, lastKey: 0, step: 0 } as const;

function replicaof(s: Session, argv: string[]): void {
  const replication = s.server.replication;
  const log = s.server.log;
  if (argv[1].toLowerCase() === "no" && argv[2].toLowerCase() === "one") {
    if (replication.isReplica) {
      replication.unfollow();
      log.notice(
        `MASTER MODE enabled (user request from '${describeClient(s, Date.now()).trimEnd()}')`,
      );
    }
    s.reply.ok();
    return;
  }
  if (s.replica !== null) {
    s.reply.error("ERR Command is not valid when client is a replica.");
    return;
  }
  const port = parseInt64(argv[2]);
  if (port === null || port < 0n || port > 65535n) {
    s.reply.error("ERR Invalid master port");
    return;
  }
  if (!replication.follow(argv[1], Number(port))) {
    log.notice(
      "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
    );
    s.reply.simple("OK Already connected to specified master");
    return;
  }
  log.notice(
    `REPLICAOF ${argv[1]}:${port} enabled (user request from '${
      describeClient(s, Date.now()).trimEnd()
    }')`,
  );
  s.reply.ok();
}

function role(s: Session): void {
  s.server.replication.role(s.reply);
}

// SYNC and PSYNC: the client becomes a replica of this server.
function sync(s: Session, argv: string[]): void {
  if (s.replica !== null) return;
  const replication = s.server.replication;
  // PSYNC id offset FAILOVER: our master hands its role to us, and follows us.
  if (argv.length > 3 && argv[3].toLowerCase() === "failover") {
    if (argv[1] !== replication.replid) {
      s.reply.error("ERR PSYNC FAILOVER replid must match my replid.");
      return;
    }
    replication.unfollow();
    s.server.log.notice(
      `MASTER MODE enabled (failover request from '${describeClient(s, Date.now()).trimEnd()}')`,
    );
  }
  if (replication.failover.state !== "no-failover") {
    s.reply.error("NOMASTERLINK Can't SYNC while failing over");
    return;
  }
  if (replication.isReplica && replication.linkState !== "connected") {
    s.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
    return;
  }
  // A filtered snapshot is only ever sent to the socket.
  if (s.replconf.rdbFilter !== null && !s.replconf.eof) {
    s.reply.error("ERR Filtered replica requires EOF capability");
    return;
  }
  const psync = argv[0].toLowerCase() === "psync";
  let from = 0;
  if (psync) {
    const offset = parseInt64(argv[2]);
    if (offset === null) {
      const ip = knownHost(s.replconf.ip, s.facts.addr);
      s.server.log.warning(
        `Replica ${ip}:${s.replconf.listeningPort} asks for synchronization but with a wrong offset`,
      );
      s.reply.error(ERR_NOT_INTEGER);
      return;
    }
    from = Number(offset);
  }
  s.server.replication.sync(s, psync ? argv[1] : null, from, s.replconf);
}

// FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT
function failover(s: Session, argv: string[]): void {
  const replication = s.server.replication;
  const state = replication.failover;
  if (argv.length === 2 && argv[1].toLowerCase() === "abort") {
    if (state.state === "no-failover") {
      s.reply.error("ERR No failover in progress.");
      return;
    }
    state.abort("Failover manually aborted");
    s.reply.ok();
    return;
  }
  let timeoutMs = 0;
  let force = false;
  let host: string | null = null;
  let port = 0;
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i].toLowerCase();
    if (word === "timeout" && i + 1 < argv.length && timeoutMs === 0) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n <= 0n) {
        s.reply.error("ERR FAILOVER timeout must be greater than 0");
        return;
      }
      timeoutMs = Number(n);
      i++;
    } else if (word === "to" && i + 2 < argv.length && host === null) {
      const n = parseInt64(argv[i + 2]);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      host = argv[i + 1];
      port = Number(n);
      i += 2;
    } else if (word === "force" && !force) {
      force = true;
    } else {
      s.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (state.state !== "no-failover") {
    s.reply.error("ERR FAILOVER already in progress.");
    return;
  }
  if (replication.isReplica) {
    s.reply.error("ERR FAILOVER is not valid when server is a replica.");
    return;
  }
  if (replication.replicas.size === 0) {
    s.reply.error("ERR FAILOVER requires connected replicas.");
    return;
  }
  if (force && (timeoutMs === 0 || host === null)) {
    s.reply.error(
      "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
    );
    return;
  }
  if (host !== null) {
    const peer = replication.findReplica(host, port);
    if (peer === null) {
      s.reply.error("ERR FAILOVER target HOST and PORT is not a replica.");
      return;
    }
    if (peer.state !== "online") {
      s.reply.error("ERR FAILOVER target replica is not online.");
      return;
    }
  }
  state.start({ host, port, timeoutMs, force });
  s.reply.ok();
}

function replconf(s: Session, argv: string[]): void {
  if (argv.length % 2 === 0) {
    s.reply.error(ERR_SYNTAX);
    return;
  }
  const told = s.replconf;
  for (let i = 1; i < argv.length; i += 2) {
    const option = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (option === "listening-port") {
      const port = parseInt64(value);
      if (port === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      told.listeningPort = Number(port);
    } else if (option === "ip-address") {
      if (value.length >= 46) {
        s.reply.error(
          `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`,
        );
        return;
      }
      told.ip = value;
    } else if (option === "capa") {
      const capa = value.toLowerCase();
      if (capa === "eof") told.eof = true;
      else if (capa === "psync2") told.psync2 = true;
    } else if (option === "ack") {
      // From a replica only, and never answered.
      const peer = s.replica;
      if (peer === null) return;
      const offset = parseInt64(value);
      if (offset === null) return;
      s.server.replication.acknowledged(peer, Number(offset));
      return;
    } else if (option === "getack") {
      // From the master: the ACK goes out on the link, nothing is answered.
      if (s.isMaster) s.server.replication.master?.sendAck();
      return;
    } else if (option === "rdb-only") {
      // The snapshot alone, then the connection ends (redis-cli --rdb, exports).
      const n = parseInt64(value);
      if (n === null) {
        s.reply.error(ERR_NOT_INTEGER);
        return;
      }
      if (n !== 0n && n !== 1n) {
        s.reply.error("ERR value is out of range, value must between 0 and 1");
        return;
      }
      told.rdbOnly = n === 1n;
    } else if (option === "rdb-filter-only") {
      // What the snapshot holds besides its AUX fields: nothing ("") or the libraries
      // ("functions": redis-cli --functions-rdb); never the keys.
      // Set before the words are checked: a refused word leaves the filter as the words
      // before it made it, as in Redis.
      const filter = { functions: false };
      told.rdbFilter = filter;
      for (const word of value.split(/[ \t\r\n]+/)) {
        if (word === "") continue;
        if (word.toLowerCase() !== "functions") {
          s.reply.error(`ERR Unsupported rdb-filter-only option: ${word}`);
          return;
        }
        filter.functions = true;
      }
    } else {
      s.reply.error(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
      return;
    }
  }
  s.reply.ok();
}

function wait(s: Session, argv: string[]): void {
  const replication = s.server.replication;
  if (replication.isReplica) {
    s.reply.error(
      "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
    );
    return;
  }
  const replicas = parseInt64(argv[1]);
  if (replicas === null) {
    s.reply.error(ERR_NOT_INTEGER);
    return;
  }
  const timeout = parseInt64(argv[2]);
  if (timeout === null) {
    s.reply.error(ERR_TIMEOUT_NOT_INTEGER);
    return;
  }
  if (timeout < 0n) {
    s.reply.error(ERR_TIMEOUT_NEGATIVE);
    return;
  }
  // Redis keeps the wanted count of a waiting client in a C int: 2^32 + 1 waits for 1,
  // 2^31 for a negative number, already reached.
  const wanted = Number(BigInt.asIntN(32, replicas));
  const offset = s.woff;
  const acked = replication.acknowledgedBy(offset);
  if (acked >= wanted || s.inMulti) {
    s.reply.integer(acked);
    return;
  }
  const blocked = s.block([], Number(timeout), () => {
    s.reply.integer(replication.cancelWait(s));
  });
  if (!blocked) {
    s.reply.integer(acked);
    return;
  }
  replication.wait(s, offset, wanted, () => s.server.unblockClient(s.id, false));
}

const admin = {
  ...noKeys,
  group: "server",
  categories: ["admin", "slow", "dangerous"],
  complexity: "O(1)",
} as const;

const REPLICAOF_ARGS: ArgDoc[] = [{
  name: "args",
  type: "oneof",
  arguments: [
    {
      name: "host-port",
      type: "block",
      arguments: [{ name: "host", type: "string" }, { name: "port", type: "integer" }],
    },
    {
      name: "no-one",
      type: "block",
      arguments: [
        { name: "no", type: "pure-token", token: "NO" },
        { name: "one", type: "pure-token", token: "ONE" },
      ],
    },
  ],
}];

/** REPLICAOF, SLAVEOF, ROLE, WAIT, FAILOVER, REPLCONF, PSYNC, SYNC. */
export const replicationCommands: CommandSpec[] = [
  {
    ...admin,
    name: "replicaof",
    arity: 3,
    flags: ["admin", "noscript", "stale", "no_async_loading"],
    summary: "Makes this server a replica of another, or a master again (NO ONE).",
    since: "5.0.0",
    args: REPLICAOF_ARGS,
    handler: replicaof,
  },
  {
    ...admin,
    name: "slaveof",
    arity: 3,
    flags: ["admin", "noscript", "stale", "no_async_loading"],
    summary: "The old name of REPLICAOF.",
    since: "1.0.0",
    args: REPLICAOF_ARGS,
    handler: replicaof,
  },
  {
    ...admin,
    name: "role",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast"],
    categories: ["admin", "fast", "dangerous"],
    summary: "Answers this server's replication role, its offset and its peers.",
    since: "2.8.12",
    handler: role,
  },
  {
    ...noKeys,
    name: "wait",
    tips: ["request_policy:all_shards", "response_policy:agg_min"],
    arity: 3,
    flags: ["noscript"],
    categories: ["slow", "connection"],
    group: "generic",
    summary: "Waits until enough replicas acknowledged this client's writes; answers how many did.",
    since: "3.0.0",
    complexity: "O(1)",
    args: [{ name: "numreplicas", type: "integer" }, { name: "timeout", type: "integer" }],
    handler: wait,
  },
  {
    ...admin,
    name: "failover",
    arity: -1,
    flags: ["admin", "noscript", "stale"],
    summary: "Hands the master role to a replica without losing writes, or aborts that.",
    since: "6.2.0",
    args: [
      {
        name: "target",
        type: "block",
        token: "TO",
        optional: true,
        arguments: [
          { name: "host", type: "string" },
          { name: "port", type: "integer" },
          { name: "force", type: "pure-token", token: "FORCE", optional: true },
        ],
      },
      { name: "abort", type: "pure-token", token: "ABORT", optional: true },
      { name: "milliseconds", type: "integer", token: "TIMEOUT", optional: true },
    ],
    handler: failover,
  },
  {
    ...admin,
    name: "replconf",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "allow_busy"],
    summary: "Tells the master about a replica, or acknowledges its stream (internal).",
    since: "3.0.0",
    handler: replconf,
  },
  {
    ...admin,
    name: "psync",
    arity: -3,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    summary:
      "Asks to continue the replication stream from an offset, or for a full copy (internal).",
    since: "2.8.0",
    complexity: undefined,
    args: [{ name: "replicationid", type: "string" }, { name: "offset", type: "integer" }],
    handler: sync,
  },
  {
    ...admin,
    name: "sync",
    arity: 1,
    flags: ["admin", "noscript", "no_async_loading", "no_multi"],
    summary: "Asks for a full copy and the replication stream (internal, the old form).",
    since: "1.0.0",
    complexity: undefined,
    handler: sync,
  },
];
