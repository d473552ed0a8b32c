/**
 * A latency histogram with fixed buckets, so that worker processes can send theirs to the
 * parent and the parent can merge them exactly: 1 ms buckets up to 10 s (block times are
 * whole milliseconds, so nothing finer is measurable), 100 ms buckets up to 10 minutes,
 * then one overflow bucket. The maximum is kept exactly.
 */

const FINE_LIMIT_MS = 10_000;
const COARSE_STEP_MS = 100;
const COARSE_LIMIT_MS = 600_000;
const BUCKETS = FINE_LIMIT_MS + (COARSE_LIMIT_MS - FINE_LIMIT_MS) / COARSE_STEP_MS + 1;

function bucketOf(ms: number): number {
  if (ms < FINE_LIMIT_MS) return Math.floor(ms);
  if (ms < COARSE_LIMIT_MS) return FINE_LIMIT_MS + Math.floor((ms - FINE_LIMIT_MS) / COARSE_STEP_MS);
  return BUCKETS - 1;
}

/** The smallest value that falls in bucket `b` (what a percentile reports). */
function lowerBound(b: number): number {
  if (b < FINE_LIMIT_MS) return b;
  if (b < BUCKETS - 1) return FINE_LIMIT_MS + (b - FINE_LIMIT_MS) * COARSE_STEP_MS;
  return COARSE_LIMIT_MS;
}

/** The histogram as sent between processes: non-empty buckets only. */
export interface HistogramData {
  count: number;
  max: number;
  buckets: Array<[index: number, count: number]>;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private n = 0;
  private maxMs = 0;

  /** Records one latency in ms; a negative one (clock step) counts as 0. */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const b = bucketOf(v);
    this.counts[b] = (this.counts[b] ?? 0) + 1;
    this.n++;
    if (v > this.maxMs) this.maxMs = v;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The value at quantile `q` (0..1): the lower bound of the bucket holding that rank. */
  percentile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] ?? 0;
      if (seen >= rank) return Math.min(lowerBound(b), this.maxMs);
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxMs = 0;
  }

  toData(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let b = 0; b < BUCKETS; b++) {
      const c = this.counts[b] ?? 0;
      if (c > 0) buckets.push([b, c]);
    }
    return { count: this.n, max: this.maxMs, buckets };
  }

  /** Adds another histogram's data (from a worker) into this one. */
  merge(data: HistogramData): void {
    for (const [b, c] of data.buckets) {
      if (b >= 0 && b < BUCKETS) this.counts[b] = (this.counts[b] ?? 0) + c;
    }
    this.n += data.count;
    if (data.max > this.maxMs) this.maxMs = data.max;
  }
}
