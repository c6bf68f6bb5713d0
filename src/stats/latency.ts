// The latency monitor (LATENCY LATEST / HISTORY / GRAPH / RESET / DOCTOR) and the
// per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
//
// Events are named sources of delay ("command", "fast-command", "expire-cycle", ...).
// A sample is kept only when latency-monitor-threshold is set and the delay reaches
// it; each event keeps its last 160 samples, one per second at most (a second sample
// in the same second keeps the larger delay), plus its all-time maximum.
// Histograms record every command's duration while latency-tracking is on.

import type { Config } from "../config/mod.ts";
import { LatencyHistogram } from "./histogram.ts";
import { renderSparkline, type SparklineSample } from "./sparkline.ts";

/** Samples an event keeps. */
export const LATENCY_SAMPLES_PER_EVENT = 160;

/** Where the monitor reads its configuration (the server, whose config is set later). */
export interface ConfigHost {
  readonly config: Config;
}

/** One kept sample: Unix seconds and the delay in milliseconds. */
export interface LatencySample {
  time: number;
  latency: number;
}

/** The newest sample of an event and its all-time maximum (LATENCY LATEST). */
export interface LatestSample extends LatencySample {
  event: string;
  max: number;
}

// The samples of one event, oldest first.
interface Series {
  samples: LatencySample[];
  max: number;
}

/** Latency events and per-command histograms. */
export class LatencyMonitor {
  readonly #host: ConfigHost;
  readonly #events = new Map<string, Series>();
  readonly #histograms = new Map<string, LatencyHistogram>();
  /** latency-tracking and latency-monitor-threshold, as read at generation #configSeen. */
  #tracking = false;
  #threshold = 0;
  #configSeen = -1;

  constructor(host: ConfigHost) {
    this.#host = host;
  }

  /**
   * After a command ran: records its duration in the command's histogram (when
   * latency-tracking is on) and samples the "fast-command" or "command" event (when
   * the duration reaches latency-monitor-threshold). `fullName` is the command's
   * lowercase full name ("get", "config|set"); `count` calls of it took that long each.
   */
  commandDone(fullName: string, durationUs: number, fast = false, count = 1): void {
    this.#readConfig();
    if (this.#tracking) {
      let histogram = this.#histograms.get(fullName);
      if (histogram === undefined) {
        histogram = new LatencyHistogram();
        this.#histograms.set(fullName, histogram);
      }
      histogram.record(durationUs * 1000, count);
    }
    this.sampleIfNeeded(fast ? "fast-command" : "command", Math.floor(durationUs / 1000));
  }

  /** Keeps a sample of `event` if monitoring is on and `ms` reaches the threshold. */
  sampleIfNeeded(event: string, ms: number): void {
    this.#readConfig();
    const threshold = this.#threshold;
    if (threshold !== 0 && ms >= threshold) this.addSample(event, ms);
  }

  // The settings read on every command, read again only once the config changed.
  #readConfig(): void {
    const config = this.#host.config;
    if (config.generation === this.#configSeen) return;
    this.#tracking = config.number("latency-tracking") !== 0;
    this.#threshold = config.number("latency-monitor-threshold");
    this.#configSeen = config.generation;
  }

  /** Keeps a sample of `event` unconditionally (at `nowMs`, default now). */
  addSample(event: string, ms: number, nowMs = Date.now()): void {
    const time = Math.floor(nowMs / 1000);
    let series = this.#events.get(event);
    if (series === undefined) {
      series = { samples: [], max: 0 };
      this.#events.set(event, series);
    }
    if (ms > series.max) series.max = ms;
    const last = series.samples.at(-1);
    if (last !== undefined && last.time === time) {
      if (ms > last.latency) last.latency = ms;
      return;
    }
    series.samples.push({ time, latency: ms });
    if (series.samples.length > LATENCY_SAMPLES_PER_EVENT) series.samples.shift();
  }

  /** LATENCY LATEST: every event's newest sample and maximum. */
  latest(): LatestSample[] {
    const out: LatestSample[] = [];
    for (const [event, series] of this.#events) {
      const last = series.samples.at(-1)!;
      out.push({ event, time: last.time, latency: last.latency, max: series.max });
    }
    return out;
  }

  /** LATENCY HISTORY: an event's samples, oldest first (none for an unknown event). */
  history(event: string): readonly LatencySample[] {
    return this.#events.get(event)?.samples ?? [];
  }

  /** LATENCY RESET: forgets the named events, or all of them; answers how many went. */
  reset(events: readonly string[] = []): number {
    if (events.length === 0) {
      const count = this.#events.size;
      this.#events.clear();
      return count;
    }
    let count = 0;
    for (const event of events) if (this.#events.delete(event)) count++;
    return count;
  }

  /** LATENCY GRAPH: a text graph of an event's samples, or null when it has none. */
  graph(event: string, nowMs = Date.now()): string | null {
    const series = this.#events.get(event);
    if (series === undefined) return null;
    const now = Math.floor(nowMs / 1000);
    let high = 0, low = Infinity;
    const columns: SparklineSample[] = [];
    for (const { time, latency } of series.samples) {
      high = Math.max(high, latency);
      low = Math.min(low, latency);
      columns.push({ value: latency, label: elapsedLabel(now - time) });
    }
    return `${event} - high ${high} ms, low ${low} ms (all time high ${series.max} ms)\n` +
      "-".repeat(80) + "\n" + renderSparkline(columns);
  }

  /** LATENCY DOCTOR: a short report in plain words (ours, not Redis's). */
  doctor(): string {
    const threshold = this.#host.config.number("latency-monitor-threshold");
    if (threshold === 0 && this.#events.size === 0) {
      return "Latency monitoring is off, so there is nothing to report. Turn it on with " +
        "CONFIG SET latency-monitor-threshold <milliseconds>: every event that takes at " +
        "least that long is then recorded.\n";
    }
    if (this.#events.size === 0) {
      return `No event has taken ${threshold} ms or more since monitoring started ` +
        "(or since the last LATENCY RESET). Nothing to worry about.\n";
    }
    let text = `Latency spikes recorded (threshold ${threshold} ms):\n\n`;
    let n = 0;
    for (const [event, series] of this.#events) {
      const values = series.samples.map((s) => s.latency);
      const average = values.reduce((a, b) => a + b, 0) / values.length;
      const deviation = values.reduce((a, b) => a + Math.abs(b - average), 0) / values.length;
      const span = series.samples.at(-1)!.time - series.samples[0].time;
      const period = values.length > 1 ? span / (values.length - 1) : 0;
      text += `${++n}. ${event}: ${values.length} spikes, average ${Math.round(average)} ms, ` +
        `mean deviation ${Math.round(deviation)} ms, one every ${period.toFixed(2)} s on ` +
        `average; worst ever ${series.max} ms.\n`;
    }
    text += "\nWhat may help:\n\n";
    for (const advice of adviceFor([...this.#events.keys()])) text += `- ${advice}\n`;
    return text;
  }

  /** The histogram of a command by full name, if it ran while tracking was on. */
  histogram(fullName: string): LatencyHistogram | undefined {
    return this.#histograms.get(fullName);
  }

  /** Every command histogram, in the order the commands first ran. */
  histograms(): IterableIterator<[string, LatencyHistogram]> {
    return this.#histograms.entries();
  }

  /** Forgets the command histograms (CONFIG RESETSTAT). */
  resetHistograms(): void {
    this.#histograms.clear();
  }

  /**
   * INFO latencystats: one `latency_percentiles_usec_<command>` field per histogram,
   * with the latency-tracking-info-percentiles in µs; no fields while tracking is off.
   */
  infoFields(): [string, string][] {
    const config = this.#host.config;
    if (config.number("latency-tracking") === 0) return [];
    const labels = config.string("latency-tracking-info-percentiles").split(" ")
      .filter((p) => p !== "");
    const percentiles = labels.map(Number);
    const out: [string, string][] = [];
    for (const [name, histogram] of this.#histograms) {
      const values = percentiles.map((p, i) =>
        `p${labels[i]}=${(histogram.valueAtPercentile(p) / 1000).toFixed(3)}`
      );
      out.push([`latency_percentiles_usec_${name}`, values.join(",")]);
    }
    return out;
  }
}

/** How long ago, as LATENCY GRAPH labels columns: "12s", "5m", "3h", "2d". */
function elapsedLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

// Our own advice for the kinds of events recorded.
function adviceFor(events: readonly string[]): string[] {
  const out: string[] = [];
  const has = (prefix: string) => events.some((e) => e.startsWith(prefix));
  if (has("command")) {
    out.push(
      "SLOWLOG GET names the commands that took long; prefer commands that work on " +
        "a bounded number of elements (SCAN over KEYS, ranges over whole collections).",
    );
  }
  if (has("fast-command")) {
    out.push(
      "Even constant-time commands were slow: the machine may be short of CPU, " +
        "or the process may be swapping.",
    );
  }
  if (has("expire")) {
    out.push("Many keys expired at the same time: spread expiry times out.");
  }
  if (has("aof") || has("rdb")) {
    out.push("Writing to disk was slow: check the disk, or relax appendfsync.");
  }
  if (out.length === 0) out.push("Check the machine's load and memory.");
  return out;
}
