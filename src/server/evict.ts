// maxmemory, as Redis 7.0 applies it: before every command a client sends, keys are
// evicted by the maxmemory-policy until used memory (see used_memory.ts) is back under
// the limit; when that fails (noeviction, or volatile-* with no key that has a TTL),
// commands flagged `denyoom` are refused with the OOM error, and so is anything a
// MULTI would queue, and an EXEC whose queue holds such a command. Commands that free
// memory or only read (DEL, GET, EXPIRE, a script without a shebang) still run.
//
// Eviction runs synchronously, within a time budget set by maxmemory-eviction-tenacity
// (Redis's figures: 50 µs a step up to 10, the default, so 500 µs; 15% more a step
// past 10; no limit at 100), checked every 16 keys. When the budget runs out first,
// the command runs anyway and eviction goes on in the background, a slice at a time,
// as Redis's eviction timer does; lowering maxmemory with CONFIG SET starts it too.
//
// Nothing is evicted while clients are paused, while a script runs (its commands are
// judged by the state before it started: `oomAtCommandStart`) or while loading.

import type { CommandSpec, ServerApi } from "../commands/context.ts";
import { callTarget, type CommandTable } from "../commands/table.ts";
import { ERR_OOM } from "../protocol/errors.ts";
import { type EvictionPolicy, Evictor } from "../store/eviction.ts";
import type { Database } from "../store/keyspace.ts";
import type { UsedMemory } from "./used_memory.ts";

/** What eviction needs from the server. */
export interface EvictionHost extends ServerApi {
  readonly table: CommandTable;
  /**
   * Removes an evicted key and reports it: AOF and replicas, WATCH, events, tracking.
   * False when the key's time had run out (it goes as an expired key instead).
   */
  evictKey(db: Database, key: string): boolean;
  /** True while nothing may be evicted (clients paused, a script running). */
  readonly evictionPaused: boolean;
  /**
   * Counts the clients' buffers in used memory again, after disconnecting the biggest
   * clients if maxmemory-clients is set and they are over it.
   */
  evictClients(): void;
}

/** How an eviction run ended: under the limit, out of time (going on later), or stuck. */
export type EvictionResult = "ok" | "running" | "fail";

/** The maxmemory limit and its policy (see the top of this file). */
export class MaxMemory {
  /** maxmemory in bytes; 0: no limit. */
  limit = 0;
  /**
   * Whether used memory was over the limit, with nothing left to evict, when the
   * running client command began: a script's `denyoom` commands are refused by it.
   */
  oomAtCommandStart = false;
  readonly #host: EvictionHost;
  readonly #memory: UsedMemory;
  readonly #evictor: Evictor;
  #policy: EvictionPolicy = "noeviction";
  #samples = 5;
  #budgetMs = 0.5;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(host: EvictionHost, memory: UsedMemory) {
    this.#host = host;
    this.#memory = memory;
    this.#evictor = new Evictor(host.keyspace);
    const config = host.config;
    const read = () => {
      this.limit = config.number("maxmemory");
      this.#policy = config.string("maxmemory-policy") as EvictionPolicy;
      this.#samples = config.number("maxmemory-samples");
      this.#budgetMs = timeBudgetMs(config.number("maxmemory-eviction-tenacity"));
      if (this.#policy.endsWith("-lfu")) {
        host.keyspace.trackFrequencies({
          logFactor: config.number("lfu-log-factor"),
          decayTime: config.number("lfu-decay-time"),
        });
      }
    };
    read();
    for (
      const name of [
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-eviction-tenacity",
        "lfu-log-factor",
        "lfu-decay-time",
      ]
    ) config.onChange(name, read);
    config.onChange("maxmemory", () => {
      read();
      // Like Redis, a lower limit starts evicting at once, in the background.
      if (this.limit !== 0 && this.#memory.evictable > this.limit) this.#continueLater();
    });
    config.onChange("maxmemory-policy", () => this.#evictor.pool.clear());
  }

  /** The maxmemory-policy in force. */
  get policy(): EvictionPolicy {
    return this.#policy;
  }

  /**
   * Before a client's command: evicts as needed, then the error to refuse the command
   * with, or null. A refused EXEC discards its transaction (the error says so).
   */
  refusal(
    session: { transaction: string[][] | null; discardTransaction(): void },
    spec: CommandSpec,
    topName: string,
    argv: readonly string[],
  ): string | null {
    if (this.limit === 0) {
      this.oomAtCommandStart = false;
      return null;
    }
    const outOfMemory = this.evict() === "fail";
    this.oomAtCommandStart = outOfMemory;
    if (!outOfMemory) return null;
    const queue = session.transaction;
    if (queue !== null) {
      if (topName === "exec") {
        if (!queue.some((queued) => this.#queuedDenies(queued))) return null;
        session.discardTransaction();
        return `EXECABORT Transaction discarded because of: ${ERR_OOM}`;
      }
      // Queueing takes memory too: only what ends the transaction goes through.
      return topName === "discard" || topName === "quit" || topName === "reset" ? null : ERR_OOM;
    }
    return deniesOom(spec, argv, this.#host) ? ERR_OOM : null;
  }

  /** Evicts until under the limit or out of time (see EvictionResult). */
  evict(): EvictionResult {
    const limit = this.limit;
    const memory = this.#memory;
    if (limit === 0 || this.#host.evictionPaused) return "ok";
    if (memory.evictable <= limit) {
      this.#noteOver(false);
      return "ok";
    }
    // Clients before keys, as in Redis: their buffers may be what is over the limit
    // (and the figure from the last cron tick may count clients gone since).
    this.#host.evictClients();
    if (memory.evictable <= limit) {
      this.#noteOver(false);
      return "ok";
    }
    this.#noteOver(true);
    const policy = this.#policy;
    if (policy === "noeviction") return "fail";
    const started = performance.now();
    let result: EvictionResult = "ok";
    let evicted = 0;
    while (memory.evictable > limit) {
      const victim = this.#evictor.pick(policy, this.#samples);
      if (victim === null) {
        result = "fail";
        break;
      }
      if (this.#host.evictKey(victim.db, victim.key)) this.#host.stats.evictedKeys++;
      evicted++;
      if ((evicted & 15) === 0 && performance.now() - started > this.#budgetMs) {
        if (memory.evictable > limit) {
          result = "running";
          this.#continueLater();
        }
        break;
      }
    }
    if (evicted !== 0) {
      this.#host.latency.sampleIfNeeded("eviction-cycle", performance.now() - started);
    }
    if (result === "ok") this.#noteOver(false);
    return result;
  }

  /** Stops the background eviction for good (shutdown). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // Goes on evicting a slice at a time from the event loop (Redis's eviction timer).
  #continueLater(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.evict();
    }, 0);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  // INFO's total_eviction_exceeded_time and current_eviction_exceeded_time.
  #noteOver(over: boolean): void {
    const stats = this.#host.stats;
    if (over) {
      if (stats.evictionExceededSince === 0) stats.evictionExceededSince = performance.now();
    } else if (stats.evictionExceededSince !== 0) {
      stats.evictionExceededMs += performance.now() - stats.evictionExceededSince;
      stats.evictionExceededSince = 0;
    }
  }

  #queuedDenies(argv: string[]): boolean {
    const top = this.#host.table.lookup(argv[0]);
    const spec = top === undefined ? undefined : callTarget(top, argv);
    return spec !== undefined && deniesOom(spec, argv, this.#host);
  }
}

// A command that needs memory: flagged denyoom, or a script that declares so.
function deniesOom(spec: CommandSpec, argv: readonly string[], server: ServerApi): boolean {
  return spec.flags.includes("denyoom") || (spec.scriptDeniesOom?.(server, argv) ?? false);
}

/** The time one eviction run may take for a maxmemory-eviction-tenacity (ms). */
export function timeBudgetMs(tenacity: number): number {
  if (tenacity <= 10) return 0.05 * tenacity;
  if (tenacity >= 100) return Infinity;
  return 0.5 * Math.pow(1.15, tenacity - 10);
}
