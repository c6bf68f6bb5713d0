// Client-side caching (CLIENT TRACKING): which clients may hold which keys, and the
// invalidation messages sent when those keys change.
//
// Two modes, as in Redis. In the default mode the server remembers, per key name
// (whatever the database), the ids of the clients that read it; the first change of
// the key sends each of them one invalidation and forgets the key. In BCAST mode a
// client subscribes to key prefixes instead: the keys changed under each prefix are
// gathered and sent once per event-loop turn, just before output goes to the sockets.
//
// An invalidation is a RESP3 push `>2 invalidate <keys>` to the tracking client, or,
// with REDIRECT, to another client: a RESP3 push again, or for a RESP2 client in
// pub/sub mode a message on `__redis__:invalidate` whose payload is the array of keys.
// FLUSHALL/FLUSHDB send a null in place of the array ("drop everything").
//
// Invalidations meant for the client whose command is running wait until that command
// (EXEC included) has replied, so they never land in the middle of its reply.

import type { ReplyWriter } from "../protocol/reply_writer.ts";
import type { Subscriptions } from "./pubsub.ts";

/** A client as tracking sees it. */
export interface TrackedClient {
  readonly id: number;
  readonly reply: ReplyWriter;
  /** Null unless subscribed (a RESP2 redirect target must be in pub/sub mode). */
  readonly subscriptions: Subscriptions | null;
  /** Between MULTI and EXEC (CLIENT CACHING then lasts until the transaction ends). */
  readonly inMulti: boolean;
  /** True while EXEC runs the queued commands. */
  readonly executingTransaction: boolean;
  /** CLIENT LIST's extra flag letters, when the client offers the hook. */
  extraFlags?: () => string;
}

/** What tracking needs from the server. */
export interface TrackingHost {
  /** The connected client with this id. */
  lookup(id: number): TrackedClient | undefined;
  /** The client whose command is running, or null between commands. */
  current(): TrackedClient | null;
  /** A client got output outside its own command: send it soon. */
  deliver(client: TrackedClient): void;
  /** tracking-table-max-keys (0: no limit). */
  maxKeys(): number;
  /** The server's hz: how often an over-full table is trimmed while idle. */
  hz(): number;
}

/** The options of CLIENT TRACKING ON. */
export interface TrackingOptions {
  /** Client id the invalidations go to; 0: this client. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** BCAST prefixes (none: every key). */
  prefixes: readonly string[];
}

/** One client's tracking state, present while tracking is on. */
export interface TrackingState {
  readonly redirect: number;
  readonly bcast: boolean;
  readonly optin: boolean;
  readonly optout: boolean;
  readonly noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) given for the next command. */
  readonly caching: boolean;
  /** An invalidation found the redirect client gone. */
  readonly brokenRedirect: boolean;
  /** BCAST prefixes. */
  readonly prefixes: ReadonlySet<string>;
}

interface State {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  caching: boolean;
  brokenRedirect: boolean;
  prefixes: Set<string>;
}

// A BCAST prefix: its subscribers, and the keys changed under it since the last send,
// each with the client that changed it last (null: an expiry), for NOLOOP.
interface Prefix {
  clients: Set<TrackedClient>;
  keys: Map<string, TrackedClient | null>;
}

// What an invalidation carries: one key, several (BCAST), or null (a flush).
type Payload = string | readonly string[] | null;

const CHANNEL = "__redis__:invalidate";
const NULL_RESP2 = new TextEncoder().encode("$-1\r\n");
const NULL_RESP3 = new TextEncoder().encode("_\r\n");

/** The server-wide tracking table. */
export class Tracking {
  readonly #host: TrackingHost;
  readonly #states = new Map<TrackedClient, State>();
  // Key name -> ids of the clients that may hold it.
  readonly #table = new Map<string, Set<number>>();
  #items = 0;
  readonly #prefixes = new Map<string, Prefix>();
  // Invalidations for the client whose command is running, sent once it has replied.
  #pending: { client: TrackedClient; payload: string | null }[] = [];
  #broadcastQueued = false;
  // Consecutive trims that left the table over its limit (each tries harder).
  #trims = 0;
  #trimTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: TrackingHost) {
    this.#host = host;
  }

  /** True while there is anything to do (the server skips all calls otherwise). */
  get enabled(): boolean {
    return this.#states.size > 0 || this.#table.size > 0 || this.#pending.length > 0;
  }

  /** INFO clients: tracking_clients. */
  get clients(): number {
    return this.#states.size;
  }

  /** INFO stats: tracking_total_keys. */
  get totalKeys(): number {
    return this.#table.size;
  }

  /** INFO stats: tracking_total_items (client ids across all keys). */
  get totalItems(): number {
    return this.#items;
  }

  /** INFO stats: tracking_total_prefixes. */
  get totalPrefixes(): number {
    return this.#prefixes.size;
  }

  /** The client's tracking state, or undefined when tracking is off. */
  stateOf(client: TrackedClient): TrackingState | undefined {
    return this.#states.get(client);
  }

  /** CLIENT LIST's redir=: the redirect id, 0 without one, -1 when tracking is off. */
  redirectOf(client: TrackedClient): number {
    return this.#states.get(client)?.redirect ?? -1;
  }

  /** True when a client with this id is connected (REDIRECT must name one). */
  clientExists(id: number): boolean {
    return this.#host.lookup(id) !== undefined;
  }

  /**
   * CLIENT TRACKING ON (options already checked): turns tracking on or changes its
   * options. BCAST prefixes add to those the client has; CLIENT CACHING stays.
   */
  enable(client: TrackedClient, options: TrackingOptions): void {
    let state = this.#states.get(client);
    if (state === undefined) {
      state = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
      this.#states.set(client, state);
      if (client.extraFlags !== undefined) client.extraFlags = () => this.#flagLetters(client);
    }
    state.redirect = options.redirect;
    state.brokenRedirect = false;
    state.bcast = options.bcast;
    state.optin = options.optin;
    state.optout = options.optout;
    state.noloop = options.noloop;
    if (options.bcast) {
      const prefixes = options.prefixes.length === 0 ? [""] : options.prefixes;
      for (const name of prefixes) this.#subscribe(client, state, name);
    }
  }

  /** CLIENT TRACKING OFF, RESET, disconnection. The keys it read are forgotten lazily. */
  disable(client: TrackedClient): void {
    const state = this.#states.get(client);
    if (state === undefined) return;
    for (const name of state.prefixes) {
      const prefix = this.#prefixes.get(name)!;
      prefix.clients.delete(client);
      if (prefix.clients.size === 0) this.#prefixes.delete(name);
    }
    this.#states.delete(client);
  }

  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT): applies to the next command or transaction. */
  setCaching(client: TrackedClient): void {
    const state = this.#states.get(client);
    if (state !== undefined) state.caching = true;
  }

  /** After a read-only command of a client: it may now cache `keys`. */
  keysRead(client: TrackedClient, keys: readonly string[]): void {
    const state = this.#states.get(client);
    if (state === undefined || state.bcast || keys.length === 0) return;
    if (state.optin ? !state.caching : state.optout && state.caching) return;
    const id = client.id;
    for (const key of keys) {
      let ids = this.#table.get(key);
      if (ids === undefined) this.#table.set(key, ids = new Set());
      if (!ids.has(id)) {
        ids.add(id);
        this.#items++;
      }
    }
  }

  /** A key changed (written, deleted, expired); `by` is the writer, null for expiry. */
  keyChanged(key: string, by: TrackedClient | null): void {
    this.#invalidate(key, by, this.#host.current());
  }

  /** FLUSHDB/FLUSHALL: every tracking client is told to drop everything. */
  flushed(_by: TrackedClient | null): void {
    const current = this.#host.current();
    for (const [client, state] of this.#states) {
      if (client === current) this.#pending.push({ client, payload: null });
      else this.#send(client, state, null);
    }
    this.#table.clear();
    this.#items = 0;
  }

  /**
   * After each command (inside EXEC too): once the top-level command is over, sends the
   * invalidations that waited for its reply, ends the effect of CLIENT CACHING, and
   * trims the table to tracking-table-max-keys.
   */
  afterCall(client: TrackedClient, fullName: string): void {
    if (client.executingTransaction) return;
    this.#sendPending();
    if (!client.inMulti && !fullName.startsWith("client|")) {
      const state = this.#states.get(client);
      if (state !== undefined) state.caching = false;
    }
    if (this.#states.size > 0) {
      this.#trim();
      this.#sendPending();
    }
  }

  /** Before output goes out: sends the invalidations gathered for BCAST clients. */
  beforeFlush(): void {
    if (this.#prefixes.size === 0 || this.#states.size === 0) return;
    const names = [...this.#prefixes.keys()].sort(byteOrder);
    for (const name of names) {
      const prefix = this.#prefixes.get(name)!;
      if (prefix.keys.size === 0) continue;
      const changed = prefix.keys;
      prefix.keys = new Map();
      const all = [...changed.keys()].sort(byteOrder);
      for (const client of prefix.clients) {
        const state = this.#states.get(client);
        if (state === undefined) continue;
        if (!state.noloop) {
          this.#send(client, state, all);
          continue;
        }
        const others = all.filter((key) => changed.get(key) !== client);
        if (others.length > 0) this.#send(client, state, others);
      }
    }
  }

  /** A client disconnected (or was RESET): its tracking ends. */
  clientClosed(client: TrackedClient): void {
    this.disable(client);
    if (this.#pending.length > 0) {
      this.#pending = this.#pending.filter((entry) => entry.client !== client);
    }
  }

  // ---------------------------------------------------------------------------

  #flagLetters(client: TrackedClient): string {
    const state = this.#states.get(client);
    if (state === undefined) return "";
    return "t" + (state.brokenRedirect ? "R" : "") + (state.bcast ? "B" : "");
  }

  #subscribe(client: TrackedClient, state: State, name: string): void {
    let prefix = this.#prefixes.get(name);
    if (prefix === undefined) {
      this.#prefixes.set(name, prefix = { clients: new Set(), keys: new Map() });
    }
    prefix.clients.add(client);
    state.prefixes.add(name);
  }

  // Invalidates one key for the clients that read it. A change (not a trim: `current`
  // undefined) is also recorded for the BCAST prefixes the key falls under. The client
  // running a command (`current`) gets its invalidations once it has replied, and none
  // with NOLOOP.
  #invalidate(key: string, by: TrackedClient | null, current?: TrackedClient | null): void {
    if (current !== undefined && this.#prefixes.size > 0) {
      let matched = false;
      for (const [name, prefix] of this.#prefixes) {
        if (!key.startsWith(name)) continue;
        prefix.keys.set(key, by);
        matched = true;
      }
      if (matched && !this.#broadcastQueued) {
        // Normally the server flushes (and calls beforeFlush) right after the
        // command; a key expired by the timer needs its own turn.
        this.#broadcastQueued = true;
        queueMicrotask(() => {
          this.#broadcastQueued = false;
          this.beforeFlush();
        });
      }
    }
    const ids = this.#table.get(key);
    if (ids === undefined) return;
    this.#table.delete(key);
    this.#items -= ids.size;
    for (const id of ids) {
      const client = this.#host.lookup(id);
      if (client === undefined) continue;
      // Keys read before a switch to BCAST are not reported.
      const state = this.#states.get(client);
      if (state === undefined || state.bcast) continue;
      if (client === current) {
        if (!state.noloop) this.#pending.push({ client, payload: key });
      } else this.#send(client, state, key);
    }
  }

  #sendPending(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const { client, payload } of pending) {
      const state = this.#states.get(client);
      this.#send(client, state, payload);
    }
  }

  // Writes one invalidation for `client`: to itself (RESP3 only) or to its redirect
  // target. A redirect target that is gone gets the client a tracking-redir-broken
  // push instead (RESP3 only).
  #send(client: TrackedClient, state: State | undefined, payload: Payload): void {
    let target = client;
    const redirect = state?.redirect ?? 0;
    const redirected = redirect !== 0;
    if (redirected) {
      const other = this.#host.lookup(redirect);
      if (other === undefined) {
        if (state !== undefined) state.brokenRedirect = true;
        if (client.reply.resp === 3) {
          client.reply.pushLen(2);
          client.reply.bulk("tracking-redir-broken");
          client.reply.integer(redirect);
          this.#deliver(client);
        }
        return;
      }
      target = other;
    }
    const out = target.reply;
    if (out.resp === 3) {
      out.pushLen(2);
      out.bulk("invalidate");
    } else if (redirected && target.subscriptions !== null) {
      out.arrayLen(3);
      out.bulk("message");
      out.bulk(CHANNEL);
    } else return; // A RESP2 connection cannot take pushes.
    if (payload === null) {
      // The null is written in the tracking client's protocol, as Redis does.
      out.raw(client.reply.resp === 2 ? NULL_RESP2 : NULL_RESP3);
    } else if (typeof payload === "string") {
      out.arrayLen(1);
      out.bulk(payload);
    } else {
      out.arrayLen(payload.length);
      for (const key of payload) out.bulk(key);
    }
    this.#deliver(target);
  }

  #deliver(client: TrackedClient): void {
    // The running client's output goes out with its reply.
    if (client !== this.#host.current()) this.#host.deliver(client);
  }

  // Redis's trackingLimitUsedSlots: while the table holds more keys than allowed,
  // invalidates keys (oldest first here, random in Redis) with an effort that grows
  // each time a pass ends still over the limit; the timer carries on while idle.
  // Redis trims before each command and from its cron, between commands; we trim after
  // each command, which comes to the same, and treat it as between commands too.
  #trim(): void {
    const max = this.#host.maxKeys();
    if (max <= 0 || this.#table.size <= max) {
      this.#trims = 0;
      return;
    }
    let effort = 100 * (this.#trims + 1);
    for (const key of this.#table.keys()) {
      if (effort-- <= 0) break;
      this.#invalidate(key, null);
      if (this.#table.size <= max) {
        this.#trims = 0;
        return;
      }
    }
    this.#trims++;
    if (this.#trimTimer === undefined) {
      const hz = Math.max(1, this.#host.hz());
      const timer = setTimeout(() => {
        this.#trimTimer = undefined;
        if (this.#states.size > 0) this.#trim();
      }, 1000 / hz);
      Deno.unrefTimer(timer);
      this.#trimTimer = timer;
    }
  }
}

// Redis keeps keys and prefixes in radix trees: byte order. Our strings hold one
// byte per character, so code-unit order is byte order.
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
