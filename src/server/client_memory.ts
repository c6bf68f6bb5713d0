// What each client costs in memory (CLIENT LIST's argv-mem, multi-mem and tot-mem),
// and client eviction: when the clients together use `maxmemory-clients` or more
// (bytes, or a percentage of maxmemory), the biggest are disconnected until they use
// less. CLIENT NO-EVICT exempts a client; its memory still counts, as in Redis.

import type { Logger } from "../log.ts";
import type { Subscriptions } from "../messaging/pubsub.ts";

/** The parts of a client that take memory. */
export interface MeasuredClient {
  readonly queryBuffer: number;
  readonly queryBufferFree: number;
  readonly outputBuffer: number;
  readonly running: boolean;
  readonly currentArgv: readonly string[];
  /** The arguments parsed so far of a request still arriving (see RequestDecoder). */
  readonly partialArgvBytes: number;
  readonly watched: readonly unknown[];
  readonly transaction: readonly (readonly string[])[] | null;
  readonly subscriptions: Subscriptions | null;
}

/** A client as eviction sees it. */
interface Client extends MeasuredClient {
  readonly id: number;
  readonly name: string;
  readonly facts: { readonly addr: string };
  readonly closing: boolean;
  readonly noEvict: boolean;
  memoryCounted: number;
  close(): void;
}

// Bookkeeping cost of one item besides its bytes, roughly what Redis's structures take.
const PER_ARGUMENT = 8;
const PER_QUEUED_COMMAND = 16;
const PER_WATCHED_KEY = 56;
const PER_CHANNEL = 32;
const PER_PATTERN = 24;
const PER_PREFIX = 64;
const NO_ARGV: readonly string[] = [];
/**
 * What a client's replies count at least: Redis gives every client a 16 KB reply
 * buffer and counts it whole, full or empty, so only output beyond it moves a
 * client's total (a small reply never tips client eviction over the limit). That is
 * not far from what a Redeno connection costs besides its buffers: about 12 KB of RSS
 * an idle connection, measured with 10,000 of them.
 */
export const REPLY_ALLOWANCE = 16 * 1024;
// DEBUG CLIENT-EVICTION's buckets: the first holds clients under 2^15 bytes.
const BUCKET_MIN_LOG = 15;
const BUCKETS = 19;

/** A client's memory by part, in bytes. */
export interface ClientMemory {
  /** The arguments of the command being run (or about to run). */
  argv: number;
  /** Commands queued by MULTI, and WATCHed keys. */
  multi: number;
  /** Everything: buffers, arguments, MULTI, subscriptions, tracking prefixes. */
  total: number;
}

function argvBytes(argv: readonly string[]): number {
  let bytes = argv.length * PER_ARGUMENT;
  for (const arg of argv) bytes += arg.length;
  return bytes;
}

/**
 * A client's memory. `argv`: the request about to run (the one running otherwise),
 * to which the arguments of one still arriving add; `prefixes`: its client-side
 * caching BCAST prefixes.
 */
export function clientMemory(
  c: MeasuredClient,
  prefixes: ReadonlySet<string> | undefined,
  argv: readonly string[] = c.running ? c.currentArgv : [],
): ClientMemory {
  // argv-mem is the arguments' bytes, as Redis's argv_len_sum; their bookkeeping
  // counts in the total only.
  let argvMem = c.partialArgvBytes;
  for (const arg of argv) argvMem += arg.length;
  let multi = c.watched.length * PER_WATCHED_KEY;
  for (const queued of c.transaction ?? []) multi += PER_QUEUED_COMMAND + argvBytes(queued);
  let total = c.queryBuffer + c.queryBufferFree + Math.max(c.outputBuffer, REPLY_ALLOWANCE) +
    argvMem +
    argv.length * PER_ARGUMENT + multi;
  const subs = c.subscriptions;
  if (subs !== null) {
    total += (subs.channels.size + subs.shardChannels.size) * PER_CHANNEL +
      subs.patterns.size * PER_PATTERN;
  }
  for (const prefix of prefixes ?? []) total += PER_PREFIX + prefix.length;
  return { argv: argvMem, multi, total };
}

/** What client eviction needs from the server. */
export interface EvictionHost {
  readonly clients: { values(): Iterable<Client> };
  readonly log: Logger;
  /** The limit in bytes (maxmemory-clients worked out), 0 when off. */
  limit(): number;
  /** Tracking prefixes of a client. */
  prefixesOf(client: Client): ReadonlySet<string> | undefined;
  /** INFO stats: evicted_clients. */
  countEvicted(): void;
}

/**
 * Keeps the clients' memory total (each client's last measure, in
 * `Client.memoryCounted`) and disconnects the biggest clients while the total
 * reaches the limit. A client is measured again when it reads, before each of its
 * commands and when output is queued for it; every client once per cron tick.
 */
export class ClientEviction {
  readonly #host: EvictionHost;
  #total = 0;
  #on = false;

  constructor(host: EvictionHost) {
    this.#host = host;
  }

  /** True while maxmemory-clients is set (the hooks skip everything otherwise). */
  get on(): boolean {
    return this.#on;
  }

  /**
   * Measures one client and evicts if the clients reach the limit. False when `client`
   * itself was disconnected.
   */
  update(client: Client): boolean {
    if (!this.#on || client.closing) return true;
    const size = clientMemory(client, this.#host.prefixesOf(client)).total;
    this.#total += size - client.memoryCounted;
    client.memoryCounted = size;
    if (this.#total >= this.#host.limit()) this.#evict();
    return !client.closing;
  }

  /**
   * The evictable clients' last measures, in Redis's buckets: under 32 KB, then one per
   * power of two up to 4 GB and over. Null while eviction is off.
   */
  buckets(): { bytes: number; clients: number }[] | null {
    if (!this.#on) return null;
    const buckets = Array.from({ length: BUCKETS }, () => ({ bytes: 0, clients: 0 }));
    for (const c of this.#host.clients.values()) {
      if (c.noEvict || c.closing || c.memoryCounted <= 0) continue;
      const log = Math.floor(Math.log2(c.memoryCounted));
      const bucket = buckets[Math.min(BUCKETS - 1, Math.max(0, log - BUCKET_MIN_LOG + 1))];
      bucket.bytes += c.memoryCounted;
      bucket.clients++;
    }
    return buckets;
  }

  /** A client is gone: its memory no longer counts. */
  forget(client: Client): void {
    this.#total -= client.memoryCounted;
    client.memoryCounted = 0;
  }

  /** Measures every client again and evicts if needed (cron, CONFIG SET, NO-EVICT off). */
  refresh(): void {
    const limit = this.#host.limit();
    this.#on = limit > 0;
    // Off, nothing is kept up to date: turning it on measures everyone again.
    if (!this.#on) return;
    this.#total = 0;
    for (const c of this.#host.clients.values()) {
      // The client running a command (CONFIG SET) counts as it will be once it ends.
      c.memoryCounted = c.closing ? 0 : clientMemory(c, this.#host.prefixesOf(c), NO_ARGV).total;
      this.#total += c.memoryCounted;
    }
    if (this.#total >= limit) this.#evict();
  }

  // The biggest evictable clients go first, until the rest use less than the limit.
  #evict(): void {
    const limit = this.#host.limit();
    const candidates = [...this.#host.clients.values()]
      .filter((c) => !c.noEvict && !c.closing && c.memoryCounted > 0)
      .sort((a, b) => b.memoryCounted - a.memoryCounted);
    for (const c of candidates) {
      if (this.#total < limit) return;
      this.#host.log.notice(
        `Evicting client: id=${c.id} addr=${c.facts.addr} name=${c.name} tot-mem=${c.memoryCounted}`,
      );
      this.#host.countEvicted();
      this.forget(c);
      // The client running the command that tipped the total ends with it.
      c.close();
    }
    if (this.#total >= limit) {
      this.#host.log.warning("Over client maxmemory after evicting all evictable clients");
    }
  }
}
