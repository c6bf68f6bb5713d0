// What operators see of replication: INFO replication's lines and ROLE's reply, with
// Redis 7.0's fields in Redis's order.

import type { ReplyWriter } from "../protocol/reply_writer.ts";
import type { ReplicationBacklog } from "./backlog.ts";
import type { FailoverState } from "./failover.ts";
import type { MasterConnection } from "./master_connection.ts";
import type { ReplicaPeer } from "./types.ts";

/** What the report reads of replication's state (the Replication class fits). */
export interface ReplicationView {
  readonly master: MasterConnection | null;
  readonly replicas: ReadonlySet<ReplicaPeer>;
  readonly backlog: ReplicationBacklog | null;
  readonly failover: { readonly state: FailoverState };
  readonly replid: string;
  readonly replid2: string;
  readonly offset: number;
  readonly secondOffset: number;
}

/** INFO replication's lines. */
export function replicationInfo(
  replication: ReplicationView,
  config: { string(name: string): string; number(name: string): number },
): [string, string | number][] {
  const lines: [string, string | number][] = [];
  const master = replication.master;
  if (master === null) lines.push(["role", "master"]);
  else {
    lines.push(
      ["role", "slave"],
      ...master.info(),
      ["slave_priority", config.number("replica-priority")],
      ["slave_read_only", config.string("replica-read-only") === "yes" ? 1 : 0],
      ["replica_announced", config.string("replica-announced") === "yes" ? 1 : 0],
    );
  }
  const peers = [...replication.replicas];
  lines.push(["connected_slaves", peers.length]);
  const now = Date.now();
  peers.forEach((peer, i) => {
    const lag = Math.floor((now - peer.ackTime) / 1000);
    lines.push([
      `slave${i}`,
      `ip=${peerHost(peer)},port=${peer.listeningPort},state=${peer.state},` +
      `offset=${peer.ackOffset},lag=${lag}`,
    ]);
  });
  const backlog = replication.backlog;
  lines.push(
    ["master_failover_state", replication.failover.state],
    ["master_replid", replication.replid],
    ["master_replid2", replication.replid2],
    ["master_repl_offset", replication.offset],
    ["second_repl_offset", replication.secondOffset],
    ["repl_backlog_active", backlog !== null ? 1 : 0],
    ["repl_backlog_size", backlog?.limit ?? config.number("repl-backlog-size")],
    ["repl_backlog_first_byte_offset", backlog !== null ? backlog.firstByte : 0],
    ["repl_backlog_histlen", backlog?.histlen ?? 0],
  );
  return lines;
}

/** ROLE's reply: master, offset, replicas; or slave, master host and port, state, offset. */
export function replicationRole(replication: ReplicationView, out: ReplyWriter): void {
  const master = replication.master;
  if (master === null) {
    out.arrayLen(3);
    out.bulk("master");
    out.integer(replication.offset);
    const online = [...replication.replicas].filter((p) => p.state === "online");
    out.arrayLen(online.length);
    for (const peer of online) {
      out.arrayLen(3);
      out.bulk(peerHost(peer));
      out.bulk(String(peer.listeningPort));
      out.bulk(String(peer.ackOffset));
    }
    return;
  }
  out.arrayLen(5);
  out.bulk("slave");
  out.bulk(master.host);
  out.integer(master.port);
  out.bulk(master.roleState());
  out.integer(master.state === "connected" ? master.reploff : -1);
}

/** The address a replica is known by: the one it announced, else its connection's. */
export function peerHost(peer: ReplicaPeer): string {
  return knownHost(peer.announcedIp, peer.client.addr);
}

/** `announcedIp` (REPLCONF ip-address) when told, else the host of `addr` (host:port). */
export function knownHost(announcedIp: string, addr: string): string {
  if (announcedIp !== "") return announcedIp;
  const colon = addr.lastIndexOf(":");
  return colon < 0 ? addr : addr.slice(0, colon);
}
