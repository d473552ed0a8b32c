/**
 * The 14 candle intervals of Hyperliquid's public API and where their buckets start. Every
 * interval up to `3d` and `1w` is aligned on the Unix epoch (so a `1w` candle opens on a
 * Thursday at 00:00 UTC, as the public API's do); `1M` is the calendar month in UTC.
 */

export const CANDLE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;

export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Length of each fixed interval, ms (`1M` varies: see `bucketStart`/`nextBucket`). */
const FIXED: Record<Exclude<CandleInterval, '1M'>, number> = {
  '1m': MIN,
  '3m': 3 * MIN,
  '5m': 5 * MIN,
  '15m': 15 * MIN,
  '30m': 30 * MIN,
  '1h': HOUR,
  '2h': 2 * HOUR,
  '4h': 4 * HOUR,
  '8h': 8 * HOUR,
  '12h': 12 * HOUR,
  '1d': DAY,
  '3d': 3 * DAY,
  '1w': 7 * DAY,
};

export function isCandleInterval(s: unknown): s is CandleInterval {
  return typeof s === 'string' && (CANDLE_INTERVALS as readonly string[]).includes(s);
}

/** The start (ms) of the bucket of `interval` holding time `t`. */
export function bucketStart(interval: CandleInterval, t: number): number {
  if (interval === '1M') {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const len = FIXED[interval];
  return t - (((t % len) + len) % len);
}

/** The start of the bucket after the one starting at `start`. */
export function nextBucket(interval: CandleInterval, start: number): number {
  if (interval === '1M') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + FIXED[interval];
}

/** `T` of a candle: the last ms of its bucket (the public API's close time). */
export function bucketEnd(interval: CandleInterval, start: number): number {
  return nextBucket(interval, start) - 1;
}

/** Roughly how long a bucket is, ms (a month counts 31 days): for estimates and bounds only. */
export function nominalLength(interval: CandleInterval): number {
  return interval === '1M' ? 31 * DAY : FIXED[interval];
}

/** A file-system-safe name: `1m` and `1M` differ only in case, which some file systems ignore. */
export function intervalFileName(interval: CandleInterval): string {
  return interval === '1M' ? '1mo' : interval;
}
