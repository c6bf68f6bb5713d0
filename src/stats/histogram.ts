// A latency histogram with the resolution Redis's per-command histograms have (an HDR
// histogram tracking 1 ns to 1 s with two significant digits), so INFO latencystats
// and LATENCY HISTOGRAM report the same bucket boundaries Redis reports.
//
// Values below 256 ns get a bucket each. Above that, every power-of-two range
// [2^k, 2^(k+1)) is cut into 128 equal buckets, so a value is known to within 1/128
// of itself: 13055 ns falls in the bucket 12992..13055.

/** The smallest and largest value recorded, in nanoseconds (smaller or larger are clamped). */
export const HISTOGRAM_MIN_NS = 1;
export const HISTOGRAM_MAX_NS = 1_000_000_000;

const EXACT = 256; // values below this have a bucket each
const HALF = 128; // buckets per power of two above EXACT

/** The bucket a value (1..HISTOGRAM_MAX_NS) falls in. */
function bucketOf(ns: number): number {
  if (ns < EXACT) return ns;
  const shift = 32 - Math.clz32(ns) - 8;
  return EXACT + (shift - 1) * HALF + ((ns >>> shift) - HALF);
}

/** The smallest value of a bucket. */
function lowestOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const k = bucket - EXACT;
  const shift = Math.floor(k / HALF) + 1;
  return (HALF + (k % HALF)) * 2 ** shift;
}

/** The largest value of a bucket. */
function highestOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const shift = Math.floor((bucket - EXACT) / HALF) + 1;
  return lowestOf(bucket) + 2 ** shift - 1;
}

/** The largest value that falls in the same bucket as `ns`. */
export function highestEquivalent(ns: number): number {
  return highestOf(bucketOf(ns));
}

const BUCKETS = bucketOf(HISTOGRAM_MAX_NS) + 1;

/** Counts of durations, bucketed as above. */
export class LatencyHistogram {
  #counts = new Float64Array(BUCKETS);
  #total = 0;

  /** How many durations were recorded. */
  get count(): number {
    return this.#total;
  }

  /** Records a duration in nanoseconds (clamped to 1 ns .. 1 s), `count` times. */
  record(ns: number, count = 1): void {
    let v = Math.round(ns);
    if (!(v >= HISTOGRAM_MIN_NS)) v = HISTOGRAM_MIN_NS;
    else if (v > HISTOGRAM_MAX_NS) v = HISTOGRAM_MAX_NS;
    this.#counts[bucketOf(v)] += count;
    this.#total += count;
  }

  /**
   * The value (ns) below which `percentile` percent of the recorded durations fall:
   * the top of that duration's bucket, or its bottom for percentile 0. 0 when empty.
   */
  valueAtPercentile(percentile: number): number {
    if (this.#total === 0) return 0;
    const p = Math.min(percentile, 100);
    const wanted = Math.max(1, Math.floor((p / 100) * this.#total + 0.5));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#counts[b];
      if (seen >= wanted) return percentile === 0 ? lowestOf(b) : highestOf(b);
    }
    return highestOf(BUCKETS - 1);
  }

  /**
   * The cumulative distribution LATENCY HISTOGRAM shows: at each power of two from
   * 1024 ns up, [top of that value's bucket in whole µs, durations at or below it],
   * keeping only the steps where the count grew.
   */
  cumulativeUsec(): [number, number][] {
    const out: [number, number][] = [];
    let bucket = 0, seen = 0, reported = 0;
    for (let level = 1024; seen < this.#total; level *= 2) {
      const top = level > HISTOGRAM_MAX_NS ? BUCKETS - 1 : bucketOf(level);
      for (; bucket <= top; bucket++) seen += this.#counts[bucket];
      if (seen > reported) {
        out.push([Math.floor(highestEquivalent(level) / 1000), seen]);
        reported = seen;
      }
    }
    return out;
  }
}
