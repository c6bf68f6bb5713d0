// FAILOVER: a master hands its role to one of its replicas without losing a write.
// Writes pause; once the chosen replica (or, without TO, any replica) acknowledged
// everything, this server becomes a replica of it and asks with `PSYNC <id> <offset>
// FAILOVER`, which makes the target a master that continues the same history. With a
// TIMEOUT the failover is abandoned when the replica does not catch up in time, or
// with FORCE goes on anyway. A target that refuses the PSYNC ends the failover: this
// server is a master again.

import type { Logger } from "../log.ts";

/** Redis's failover states, as INFO's master_failover_state names them. */
export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

/** What a failover needs from replication and the server. */
export interface FailoverHost {
  readonly log: Logger;
  /** The stream offset (master_repl_offset). */
  offset(): number;
  /** Online replicas: address, listening port, acknowledged offset. */
  replicas(): { host: string; port: number; ackOffset: number; online: boolean }[];
  /** Holds writes back (true) or lets them go (false). */
  pauseWrites(on: boolean): void;
  /** Becomes a replica of `host:port`, asking with PSYNC ... FAILOVER. */
  follow(host: string, port: number): void;
  /** Becomes a master again. */
  unfollow(): void;
}

/** A FAILOVER request's options. */
export interface FailoverRequest {
  host: string | null;
  port: number;
  timeoutMs: number;
  force: boolean;
}

/** The failover of one master, if any. */
export class Failover {
  state: FailoverState = "no-failover";
  readonly #host: FailoverHost;
  #target: { host: string; port: number } | null = null;
  #deadline = 0;
  #force = false;

  constructor(host: FailoverHost) {
    this.#host = host;
  }

  /** Starts a failover (the request was checked): writes pause until it ends. */
  start(request: FailoverRequest): void {
    const log = this.#host.log;
    if (request.host !== null) {
      this.#target = { host: request.host, port: request.port };
      log.notice(`FAILOVER requested to ${request.host}:${request.port}.`);
    } else log.notice("FAILOVER requested to any replica.");
    this.#deadline = request.timeoutMs > 0 ? Date.now() + request.timeoutMs : 0;
    this.#force = request.force;
    this.state = "waiting-for-sync";
    this.#host.pauseWrites(true);
  }

  /** Checked often while waiting: the target caught up, or the time ran out. */
  update(): void {
    if (this.state !== "waiting-for-sync") return;
    const host = this.#host;
    if (this.#deadline !== 0 && this.#deadline <= Date.now()) {
      if (this.#force && this.#target !== null) {
        host.log.notice(
          `FAILOVER to ${this.#target.host}:${this.#target.port} time out exceeded, failing over.`,
        );
        this.#failOver(this.#target);
      } else this.abort("Replica never caught up before timeout");
      return;
    }
    const offset = host.offset();
    const replicas = host.replicas();
    const target = this.#target;
    const synced = target !== null
      ? replicas.find((r) =>
        r.host === target.host && r.port === target.port && r.ackOffset === offset
      )
      : replicas.find((r) => r.online && r.ackOffset === offset);
    if (synced === undefined) return;
    this.#target = { host: synced.host, port: synced.port };
    host.log.notice(`Failover target ${synced.host}:${synced.port} is synced, failing over.`);
    this.#failOver(this.#target);
  }

  #failOver(target: { host: string; port: number }): void {
    this.state = "failover-in-progress";
    this.#host.follow(target.host, target.port);
  }

  /** The target answered the PSYNC: accepted ends the failover, refused aborts it. */
  psyncAnswered(accepted: boolean): void {
    if (this.state !== "failover-in-progress") return;
    if (accepted) this.#clear();
    else this.abort("Failover target rejected psync request");
  }

  /** FAILOVER ABORT, a timeout, a refusal: this server stays (or is again) a master. */
  abort(why: string): void {
    if (this.state === "no-failover") return;
    if (this.state === "failover-in-progress") this.#host.unfollow();
    this.#host.log.notice(`FAILOVER aborted: ${why}`);
    this.#clear();
  }

  #clear(): void {
    this.state = "no-failover";
    this.#target = null;
    this.#deadline = 0;
    this.#force = false;
    this.#host.pauseWrites(false);
  }
}
