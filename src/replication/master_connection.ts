// The link to the master this server replicates (REPLICAOF), as Redis 7.0 makes it:
// connect, the handshake (PING, AUTH, REPLCONF listening-port / ip-address / capa eof
// capa psync2), then PSYNC with the ID and offset this server has reached. The master
// answers +CONTINUE (the stream goes on from there) or +FULLRESYNC and a snapshot,
// `$<length>` or diskless `$EOF:<mark>` (newlines before it keep the link alive); the
// snapshot replaces the dataset. Then the server applies the master's stream, and
// acknowledges the offset it reached every second and on REPLCONF GETACK.

import type { Logger } from "../log.ts";
import type { TransferLoad } from "../persistence/dataset_loader.ts";
import type { ArrivingLoad } from "../persistence/snapshot_backend.ts";
import { leadingAux } from "../persistence/rdb_reader.ts";
import { RdbError } from "../persistence/rdb_format.ts";
import { encodeRequest } from "../protocol/request.ts";
import { latin1Bytes, latin1Text } from "../util/latin1.ts";
import { dirPath, rdbPath } from "../persistence/file_paths.ts";
import type { MasterLinkClient, MasterStreamEvents } from "./types.ts";

/** Redis's repl_state, as ROLE and INFO name it. */
export type MasterLinkState = "connect" | "connecting" | "handshake" | "transfer" | "connected";

/** What the link needs from replication and the server. */
export interface MasterHostView {
  readonly config: {
    string(name: string): string;
    number(name: string): number;
  };
  readonly log: Logger;
  port(): number;
  /**
   * A full resync's payload arrived: load it (rejects when it does not load; clients
   * may be served meanwhile).
   */
  loaded(payload: Uint8Array, replid: string, offset: number): Promise<void>;
  /**
   * A full resync's payload is arriving: load it as it comes (`swap`: aside, replacing
   * the dataset at the end; `expected`: its size, 0 when unknown).
   */
  loadAsItArrives(swap: boolean, expected: number): ArrivingLoad;
  /** A payload loaded as it arrived has all loaded: the master's history continues. */
  synced(replid: string, offset: number): void;
  /** A partial resync was accepted; `replid` is the master's ID ("" when not told). */
  continued(replid: string): void;
  /** Where this server's history stands (the ID and offset to continue from). */
  position(): { replid: string; offset: number };
  /** Keys in all databases. */
  keyCount(): number;
  /** A snapshot starts (or stops) being loaded as it arrives (null: no longer). */
  loadingChanged(load: TransferLoad | null): void;
  /** Serves the master's stream on the connection. */
  adopt(
    conn: Deno.Conn,
    leftover: Uint8Array,
    events: MasterStreamEvents,
    db: number,
  ): MasterLinkClient;
  /** The master's bytes of one applied command, passed on to this server's replicas. */
  applied(bytes: Uint8Array): void;
  /** A FAILOVER's PSYNC was answered: accepted (a resync of either kind) or not. */
  failoverAnswered(accepted: boolean): void;
}

const EOF_MARK_LENGTH = 40;

/** Refused by a master whose replicas must retry later (it is itself syncing, loading). */
class RetryLater extends Error {}

/** A snapshot being loaded as it arrived broke off: try again at once, as Redis does. */
class TransferBroken extends RetryLater {}

/** The link to one master. */
export class MasterConnection {
  readonly host: string;
  readonly port: number;
  state: MasterLinkState = "connect";
  /**
   * The database the master's stream has selected: a continued stream (a partial
   * resync) carries on in it without a SELECT.
   */
  streamDb = 0;
  /** The offset of the master's stream applied so far. */
  reploff = 0;
  /** The offset of the master's stream read so far. */
  readReploff = 0;
  /** When the master last sent something (ms). */
  lastIo = Date.now();
  /** When the link went down (ms), 0 while it is up. */
  downSince = 0;
  /** A snapshot being received: its size (-1: diskless, unknown) and the bytes so far. */
  transfer: { total: number; read: number } | null = null;
  readonly #view: MasterHostView;
  // Where to ask the master to continue from; null: a full resync (PSYNC ? -1).
  #cached: { replid: string; offset: number } | null;
  #conn: Deno.Conn | null = null;
  #link: MasterLinkClient | null = null;
  #closed = false;
  #attempt = 0;
  #connectedAt = 0;
  // Set when this link is a FAILOVER's: its PSYNC asks the target to become a master.
  #failover: boolean;

  constructor(
    view: MasterHostView,
    host: string,
    port: number,
    cached: { replid: string; offset: number } | null,
    failover = false,
  ) {
    this.#failover = failover;
    this.#view = view;
    this.host = host;
    this.port = port;
    this.#cached = cached;
    this.downSince = 0;
  }

  /** Where a new master would be asked to continue from. */
  cachedPosition(): { replid: string; offset: number } | null {
    if (this.state === "connected") return this.#view.position();
    return this.#cached;
  }

  /** Starts connecting now (REPLICAOF answers at once; the link comes up later). */
  connectSoon(): void {
    if (this.state === "connect" && !this.#closed) this.#run();
  }

  /** Drops the link for good (REPLICAOF NO ONE, another master, shutdown). */
  close(): void {
    this.#closed = true;
    this.#attempt++;
    this.#drop();
  }

  /** Once a second: reconnects, acknowledges, notices a silent master. */
  cron(): void {
    if (this.#closed) return;
    const log = this.#view.log;
    const timeout = this.#view.config.number("repl-timeout") * 1000;
    const now = Date.now();
    if (this.state === "connect") {
      this.#run();
      return;
    }
    if (
      (this.state === "connecting" || this.state === "handshake") &&
      now - this.#connectedAt > timeout
    ) {
      log.warning("Timeout connecting to the MASTER...");
      this.#lost();
      return;
    }
    if (this.state === "transfer" && now - this.lastIo > timeout) {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      this.#lost();
      return;
    }
    if (this.state === "connected") {
      if (now - this.lastIo > timeout) {
        log.warning("MASTER timeout: no data nor PING received...");
        this.#link?.close();
        return;
      }
      this.sendAck();
    }
  }

  /** REPLCONF ACK with the offset applied so far. */
  sendAck(): void {
    this.#link?.send(encodeRequest(["REPLCONF", "ACK", String(this.reploff)]));
  }

  // Connect, handshake, PSYNC, and a snapshot when the master sends one.
  async #run(): Promise<void> {
    const attempt = ++this.#attempt;
    const view = this.#view;
    const log = view.log;
    const config = view.config;
    this.state = "connecting";
    this.#connectedAt = Date.now();
    if (this.downSince === 0) this.downSince = Date.now();
    log.notice(`Connecting to MASTER ${this.host}:${this.port}`);
    let conn: Deno.Conn;
    try {
      // bind-source-addr: the connection leaves from that address. Its module (and
      // node:net) loads only then: loading it costs start-up time.
      const source = config.string("bind-source-addr");
      conn = source !== ""
        ? await (await import("./source_conn.ts")).connectFrom(this.host, this.port, source)
        : await Deno.connect({ hostname: this.host, port: this.port });
    } catch (error) {
      if (attempt !== this.#attempt) return;
      log.warning(`Unable to connect to MASTER: ${(error as Error).message}`);
      this.state = "connect";
      return;
    }
    if (attempt !== this.#attempt) {
      conn.close();
      return;
    }
    // Acknowledgements are small writes that WAIT waits for: no Nagle delay.
    try {
      (conn as Deno.TcpConn).setNoDelay(true);
    } catch { /* not a TCP socket */ }
    this.#conn = conn;
    log.notice("MASTER <-> REPLICA sync started");
    const reader = new LinkReader(conn, () => {
      this.lastIo = Date.now();
    });
    try {
      this.state = "handshake";
      log.notice("Non blocking connect for SYNC fired the event.");
      const pong = await ask(conn, reader, ["PING"]);
      if (
        pong.startsWith("-") && !pong.startsWith("-NOAUTH") && !pong.startsWith("-NOPERM") &&
        !pong.startsWith("-ERR operation not permitted")
      ) throw new Error(`Error reply to PING from master: '${pong.slice(1)}'`);
      log.notice("Master replied to PING, replication can continue...");
      const password = config.string("masterauth");
      if (password !== "") {
        const user = config.string("masteruser");
        const auth = await ask(
          conn,
          reader,
          user === "" ? ["AUTH", password] : ["AUTH", user, password],
        );
        if (auth.startsWith("-")) throw new Error(`Unable to AUTH to MASTER: ${auth.slice(1)}`);
      }
      const announcedPort = config.number("replica-announce-port");
      const port = await ask(conn, reader, [
        "REPLCONF",
        "listening-port",
        String(announcedPort !== 0 ? announcedPort : view.port()),
      ]);
      if (port.startsWith("-")) {
        log.notice(
          `(Non critical) Master does not understand REPLCONF listening-port: ${port.slice(1)}`,
        );
      }
      const ip = config.string("replica-announce-ip");
      if (ip !== "") {
        const told = await ask(conn, reader, ["REPLCONF", "ip-address", ip]);
        if (told.startsWith("-")) {
          log.notice(
            `(Non critical) Master does not understand REPLCONF ip-address: ${told.slice(1)}`,
          );
        }
      }
      const capa = await ask(conn, reader, ["REPLCONF", "capa", "eof", "capa", "psync2"]);
      if (capa.startsWith("-")) {
        log.notice(`(Non critical) Master does not understand REPLCONF capa: ${capa.slice(1)}`);
      }
      const cached = this.#cached;
      if (cached !== null) {
        log.notice(
          `Trying a partial resynchronization (request ${cached.replid}:${cached.offset + 1}).`,
        );
      } else log.notice("Partial resynchronization not possible (no cached master)");
      await write(
        conn,
        encodeRequest(
          cached === null
            ? ["PSYNC", "?", "-1"]
            : this.#failover
            ? ["PSYNC", cached.replid, String(cached.offset + 1), "FAILOVER"]
            : ["PSYNC", cached.replid, String(cached.offset + 1)],
        ),
      );
      let reply = "";
      while (reply === "") reply = await reader.line();
      if (attempt !== this.#attempt) throw new RetryLater("link replaced");
      if (this.#failover) {
        this.#failover = false;
        const accepted = reply.startsWith("+FULLRESYNC") || reply.startsWith("+CONTINUE");
        view.failoverAnswered(accepted);
        if (!accepted) return;
      }
      if (reply.startsWith("+FULLRESYNC")) {
        const [, replid, offset] = reply.split(" ");
        log.notice(`Full resync from master: ${replid}:${offset}`);
        // ROLE says "sync" from here: the snapshot is on its way.
        this.state = "transfer";
        this.transfer = { total: -1, read: 0 };
        await this.#fullSync(conn, reader, replid, Number(offset), attempt);
      } else if (reply.startsWith("+CONTINUE")) {
        const replid = reply.slice("+CONTINUE".length).trim();
        log.notice("Successful partial resynchronization with master.");
        if (replid !== "" && cached !== null && replid !== cached.replid) {
          log.notice(`Master replication ID changed to ${replid}`);
        }
        view.continued(replid);
        this.reploff = this.readReploff = cached!.offset;
        log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
        this.#streaming(conn, reader);
      } else if (reply.startsWith("-NOMASTERLINK") || reply.startsWith("-LOADING")) {
        log.notice(
          `Master is currently unable to PSYNC but should be in the future: ${reply.slice(1)}`,
        );
        throw new RetryLater(reply);
      } else {
        throw new Error(`Unexpected reply to PSYNC from master: ${reply}`);
      }
    } catch (error) {
      if (attempt !== this.#attempt) return;
      if (!(error instanceof RetryLater)) {
        log.warning(`Replication with MASTER failed: ${(error as Error).message}`);
      }
      this.#lost();
      if (error instanceof TransferBroken) {
        log.notice(`Reconnecting to MASTER ${this.host}:${this.port} after failure`);
        this.connectSoon();
      }
    }
  }

  async #fullSync(
    conn: Deno.Conn,
    reader: LinkReader,
    replid: string,
    offset: number,
    attempt: number,
  ): Promise<void> {
    const view = this.#view;
    const log = view.log;
    const config = view.config;
    let header = "";
    while (header === "") header = await reader.line();
    if (header.startsWith("-")) {
      throw new Error(`MASTER aborted replication with an error: ${header.slice(1)}`);
    }
    if (!header.startsWith("$")) {
      throw new Error(
        `Bad protocol from MASTER, the first byte is not '$' (we received '${header}')`,
      );
    }
    this.state = "transfer";
    // repl-diskless-load: swapdb (or on-empty-db, with no keys) loads the snapshot as it
    // arrives, as Redis does: meanwhile the server is loading (clients are refused with
    // -LOADING) or, when the master continues this server's own history (the same
    // replication ID), loading asynchronously: the old dataset is served until the new
    // one replaces it. swapdb loads the snapshot aside, so a transfer that breaks off
    // leaves the old dataset as it was.
    const loadMode = config.string("repl-diskless-load");
    const diskless = loadMode === "swapdb" || loadMode === "on-empty-db" && view.keyCount() === 0;
    const swap = diskless && loadMode === "swapdb";
    const asyncLoad = swap && view.position().replid === replid;
    const to = diskless ? "parser" : "disk";
    let payload: Uint8Array | null;
    let load: TransferLoad | null = null;
    // (Assigned in startLoading: declared so that the checks below are not narrowed away.)
    let arriving = null as ArrivingLoad | null;
    let head: Uint8Array = new Uint8Array(0);
    // Progress: the bytes so far, and used-mem from the AUX fields at the start; the
    // bytes go on to the load.
    const received = (n: number, fresh: Uint8Array) => {
      this.transfer!.read = n;
      if (load === null) return;
      load.loaded = n;
      if (load.usedMem === 0 && head.length < 4096) {
        head = concat(head, fresh.subarray(0, 4096 - head.length));
        load.usedMem = Number(leadingAux(head).get("used-mem") ?? 0) || 0;
      }
      arriving!.push(fresh);
    };
    const startLoading = (total: number) => {
      if (!diskless) return;
      log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
      load = { async: asyncLoad, started: Date.now(), total, loaded: 0, usedMem: 0 };
      view.loadingChanged(load);
      arriving = view.loadAsItArrives(swap, total);
    };
    // A payload that does not load.
    const failedLoad = (error: unknown) => {
      this.#cached = null;
      return new Error(
        `Failed trying to load the MASTER synchronization DB from ${
          diskless ? "socket" : "disk"
        }: ${(error as Error).message}`,
      );
    };
    try {
      if (header.startsWith("$EOF:")) {
        const mark = header.slice(5);
        if (mark.length !== EOF_MARK_LENGTH) throw new Error("Bad EOF mark from MASTER");
        log.notice(`MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to ${to}`);
        this.transfer = { total: -1, read: 0 };
        startLoading(0);
        payload = await reader.untilMark(latin1Bytes(mark), received, !diskless);
      } else {
        const total = Number(header.slice(1));
        if (!Number.isSafeInteger(total) || total < 0) {
          throw new Error("Bad bulk length from MASTER");
        }
        log.notice(`MASTER <-> REPLICA sync: receiving ${total} bytes from master to ${to}`);
        this.transfer = { total, read: 0 };
        startLoading(total);
        payload = await reader.exactly(total, received, !diskless);
      }
    } catch (error) {
      arriving?.abort();
      if (error instanceof RdbError) throw failedLoad(error);
      if (load !== null && attempt === this.#attempt) {
        log.warning(
          `Internal error in RDB reading offset ${
            this.transfer?.read ?? 0
          }: the snapshot ended early (${
            (error as Error).message
          }). Failure loading rdb format from socket, assuming connection error, resuming operation.`,
        );
        log.warning("Failed trying to load the MASTER synchronization DB from socket");
        if (swap) log.notice("MASTER <-> REPLICA sync: Discarding temporary DB, the old one stays");
        throw new TransferBroken("transfer broken off");
      }
      throw error;
    } finally {
      if (load !== null) view.loadingChanged(null);
    }
    if (attempt !== this.#attempt) {
      arriving?.abort();
      throw new RetryLater("link replaced");
    }
    this.transfer = null;
    if (swap) {
      log.notice("Discarding previously cached master state.");
      log.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
    } else {
      log.notice("MASTER <-> REPLICA sync: Flushing old data");
      if (!diskless) log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
    }
    try {
      if (arriving !== null) {
        arriving.finish();
        view.synced(replid, offset);
      } else {
        await view.loaded(payload!, replid, offset);
      }
    } catch (error) {
      throw failedLoad(error);
    }
    if (payload !== null) this.#saveReceived(payload);
    this.streamDb = 0;
    log.notice("MASTER <-> REPLICA sync: Finished with success");
    this.reploff = this.readReploff = offset;
    this.#streaming(conn, reader);
  }

  // With disk loading (repl-diskless-load disabled) Redis keeps what it received as its
  // RDB file; so does Redeno, written safely (temp file, fsync, rename).
  // rdb-del-sync-files keeps no file when nothing else would (no save rules, no AOF).
  #saveReceived(payload: Uint8Array): void {
    const config = this.#view.config;
    if (config.string("repl-diskless-load") !== "disabled") return;
    if (deleteSyncFiles(config)) return;
    const dir = dirPath(config);
    const path = rdbPath(config);
    const temp = `${dir}/temp-${Date.now()}.${Deno.pid}.rdb`;
    try {
      const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
      try {
        let at = 0;
        while (at < payload.length) at += file.writeSync(payload.subarray(at));
        file.syncSync();
      } finally {
        file.close();
      }
      Deno.renameSync(temp, path);
    } catch (error) {
      this.#view.log.warning(`Failed saving the RDB received from MASTER: ${error}`);
      try {
        Deno.removeSync(temp);
      } catch { /* nothing to remove */ }
    }
  }

  // The stream: the server applies it; the link is up.
  #streaming(conn: Deno.Conn, reader: LinkReader): void {
    const attempt = this.#attempt;
    this.state = "connected";
    this.downSince = 0;
    this.lastIo = Date.now();
    this.#cached = null;
    this.#conn = null;
    this.#link = this.#view.adopt(conn, reader.rest(), {
      applied: (bytes, db) => {
        this.streamDb = db;
        this.reploff += bytes.length;
        this.#view.applied(bytes);
      },
      touched: () => {
        this.lastIo = Date.now();
      },
      read: (n) => {
        this.readReploff += n;
      },
      closed: () => {
        if (attempt !== this.#attempt || this.#closed) return;
        this.#view.log.notice("Connection with master lost.");
        this.#view.log.notice("* Caching the disconnected master state.");
        this.#link = null;
        this.#lost();
      },
    }, this.streamDb);
    this.sendAck();
  }

  // The link failed or dropped: try again from the cron, continuing where we are.
  #lost(): void {
    this.#attempt++;
    this.#drop();
    this.transfer = null;
    if (this.#closed) return;
    if (this.state === "connected" || this.#cached === null && this.reploff > 0) {
      this.#cached = this.#view.position();
    }
    this.state = "connect";
    if (this.downSince === 0) this.downSince = Date.now();
  }

  #drop(): void {
    try {
      this.#conn?.close();
    } catch { /* closed already */ }
    this.#conn = null;
    this.#link?.close();
    this.#link = null;
  }

  /** ROLE's name for the state. */
  roleState(): string {
    switch (this.state) {
      case "connect":
        return "connect";
      case "connecting":
        return "connecting";
      case "transfer":
        return "sync";
      case "connected":
        return "connected";
      default:
        return "handshake";
    }
  }

  /** INFO replication's lines about the master. */
  info(): [string, string | number][] {
    const now = Date.now();
    const connected = this.state === "connected";
    const lines: [string, string | number][] = [
      ["master_host", this.host],
      ["master_port", this.port],
      ["master_link_status", connected ? "up" : "down"],
      ["master_last_io_seconds_ago", connected ? Math.floor((now - this.lastIo) / 1000) : -1],
      ["master_sync_in_progress", this.state === "transfer" ? 1 : 0],
      ["slave_read_repl_offset", connected ? this.readReploff : 1],
      ["slave_repl_offset", connected ? this.reploff : 1],
    ];
    const transfer = this.transfer;
    if (transfer !== null) {
      const total = transfer.total < 0 ? 0 : transfer.total;
      const left = transfer.total < 0 ? 0 : total - transfer.read;
      lines.push(
        ["master_sync_total_bytes", transfer.total],
        ["master_sync_read_bytes", transfer.read],
        ["master_sync_left_bytes", left],
        ["master_sync_perc", total === 0 ? "0.00" : (transfer.read * 100 / total).toFixed(2)],
        ["master_sync_last_io_seconds_ago", Math.floor((now - this.lastIo) / 1000)],
      );
    }
    if (!connected) {
      lines.push([
        "master_link_down_since_seconds",
        this.downSince !== 0 ? Math.floor((now - this.downSince) / 1000) : -1,
      ]);
    }
    return lines;
  }
}

/**
 * A snapshot of a running server (Redeno or Redis) taken the way a replica takes one,
 * without becoming a replica: AUTH when given, `REPLCONF rdb-only 1` (the server then
 * sends the RDB alone), SYNC. Resolves to the RDB bytes.
 */
export async function fetchSnapshot(
  host: string,
  port: number,
  auth: { user?: string; password?: string } = {},
): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: host, port });
  try {
    const reader = new LinkReader(conn, () => {});
    if (auth.password !== undefined) {
      const reply = await ask(
        conn,
        reader,
        auth.user !== undefined ? ["AUTH", auth.user, auth.password] : ["AUTH", auth.password],
      );
      if (reply.startsWith("-")) throw new Error(`AUTH failed: ${reply.slice(1)}`);
    }
    await ask(conn, reader, ["REPLCONF", "capa", "eof"]);
    await ask(conn, reader, ["REPLCONF", "rdb-only", "1"]);
    await write(conn, encodeRequest(["SYNC"]));
    let header = "";
    while (header === "") header = await reader.line();
    if (!header.startsWith("$")) throw new Error(`the server answered SYNC with ${header}`);
    const ignore = () => {};
    return header.startsWith("$EOF:")
      ? (await reader.untilMark(latin1Bytes(header.slice(5)), ignore))!
      : (await reader.exactly(Number(header.slice(1)), ignore))!;
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

// ---------------------------------------------------------------------------
// Reading the master's replies and snapshot

/** A buffered reader of the link before the stream starts. */
export class LinkReader {
  readonly #conn: Deno.Conn;
  readonly #onData: () => void;
  #buf = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;

  constructor(conn: Deno.Conn, onData: () => void) {
    this.#conn = conn;
    this.#onData = onData;
  }

  // Reads more bytes into the buffer (making room when full); throws at the end.
  async #fill(): Promise<void> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      const live = this.#end - this.#start;
      if (this.#start > 0) this.#buf.copyWithin(0, this.#start, this.#end);
      else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
      this.#start = 0;
      this.#end = live;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) throw new Error("Connection lost with the MASTER");
    this.#end += n;
    this.#onData();
  }

  /** The next line, without its line end (an empty string for a bare newline). */
  async line(): Promise<string> {
    while (true) {
      const nl = this.#buf.subarray(this.#start, this.#end).indexOf(10);
      if (nl >= 0) {
        let end = this.#start + nl;
        const next = end + 1;
        if (end > this.#start && this.#buf[end - 1] === 13) end--;
        const text = latin1Text(this.#buf.subarray(this.#start, end));
        this.#start = next;
        return text;
      }
      if (this.#end - this.#start > 64 * 1024) throw new Error("Reply line from MASTER too long");
      await this.#fill();
    }
  }

  /**
   * Exactly `n` bytes, each piece shown to `progress` as it arrives; with `keep` false
   * they are not kept (null).
   */
  async exactly(
    n: number,
    progress: (read: number, fresh: Uint8Array) => void,
    keep = true,
  ): Promise<Uint8Array | null> {
    const out = keep ? new Uint8Array(n) : null;
    let got = 0;
    while (got < n) {
      if (this.#start === this.#end) await this.#fill();
      const take = Math.min(n - got, this.#end - this.#start);
      const fresh = this.#buf.subarray(this.#start, this.#start + take);
      out?.set(fresh, got);
      this.#start += take;
      got += take;
      progress(got, fresh);
    }
    return out;
  }

  /**
   * Bytes up to `mark` (excluded), the mark being the last bytes read, each piece shown
   * to `progress` as it arrives; with `keep` false they are not kept (null).
   */
  async untilMark(
    mark: Uint8Array,
    progress: (read: number, fresh: Uint8Array) => void,
    keep = true,
  ): Promise<Uint8Array | null> {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const deliver = (body: Uint8Array) => {
      if (body.length === 0) return;
      if (keep) chunks.push(body.slice());
      total += body.length;
      progress(total, body);
    };
    const finder = new MarkFinder(mark);
    // The mark ends the payload; the master sends nothing after it until the stream,
    // which may come in the same read, so the mark is searched in what arrived. The
    // last mark.length-1 bytes of a read are held back: the mark may straddle two.
    let held = new Uint8Array(0);
    while (true) {
      if (this.#start === this.#end) await this.#fill();
      const fresh = this.#buf.subarray(this.#start, this.#end);
      // Only the bytes around the seam are copied to look across it.
      const seam = concat(held, fresh.subarray(0, mark.length - 1));
      let at = finder.find(seam);
      if (at < 0) {
        const inFresh = finder.find(fresh);
        if (inFresh >= 0) at = held.length + inFresh;
      }
      if (at >= 0) {
        deliver(held.subarray(0, Math.min(at, held.length)));
        deliver(fresh.subarray(0, Math.max(0, at - held.length)));
        // What follows the mark is the stream: leave it in the buffer.
        this.#start += at + mark.length - held.length;
        return keep ? join(chunks, total) : null;
      }
      const keepBack = Math.min(held.length + fresh.length, mark.length - 1);
      if (fresh.length >= keepBack) {
        deliver(held);
        deliver(fresh.subarray(0, fresh.length - keepBack));
        held = fresh.slice(fresh.length - keepBack);
      } else {
        const both = concat(held, fresh);
        deliver(both.subarray(0, both.length - keepBack));
        held = both.slice(both.length - keepBack);
      }
      this.#start = this.#end;
    }
  }

  /** What was read past the snapshot: the start of the stream. */
  rest(): Uint8Array {
    return this.#buf.slice(this.#start, this.#end);
  }
}

/**
 * rdb-del-sync-files: the RDB files only replication needs are not kept, when nothing
 * else keeps a file (no save rules, appendonly no).
 */
export function deleteSyncFiles(config: { string(name: string): string }): boolean {
  return config.string("rdb-del-sync-files") === "yes" && config.string("save") === "" &&
    config.string("appendonly") === "no";
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await conn.write(bytes.subarray(at));
}

// Sends a command and reads its one-line reply.
async function ask(conn: Deno.Conn, reader: LinkReader, argv: string[]): Promise<string> {
  await write(conn, encodeRequest(argv));
  let reply = "";
  while (reply === "") reply = await reader.line();
  return reply;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function join(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Finds a byte string (the EOF mark of a diskless transfer) in large inputs: Horspool's
 * search, which on a mismatch skips by the needle's length for a byte not in it, so a
 * 40-byte mark is found reading a small share of a snapshot's bytes.
 */
export class MarkFinder {
  readonly #needle: Uint8Array;
  readonly #skip = new Int32Array(256);

  constructor(needle: Uint8Array) {
    this.#needle = needle;
    const last = needle.length - 1;
    this.#skip.fill(needle.length);
    for (let i = 0; i < last; i++) this.#skip[needle[i]] = last - i;
  }

  /** The first position of the needle in `haystack`, or -1. */
  find(haystack: Uint8Array): number {
    const needle = this.#needle;
    const last = needle.length - 1;
    const final = needle[last];
    for (let i = 0; i + last < haystack.length;) {
      const c = haystack[i + last];
      if (c === final) {
        let j = 0;
        while (j < last && haystack[i + j] === needle[j]) j++;
        if (j === last) return i;
      }
      i += this.#skip[c];
    }
    return -1;
  }
}
