import { describe, expect, it } from 'vitest';
import { CANDLE_INTERVALS, bucketEnd, bucketStart, intervalFileName, nextBucket } from '../../../src/server/candles/intervals.js';

describe('candle intervals', () => {
  const t = Date.UTC(2026, 4, 5, 17, 39, 13, 24); // Tue 2026-05-05 17:39:13.024

  it('has the 14 public intervals', () => {
    expect(CANDLE_INTERVALS).toEqual(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '8h', '12h', '1d', '3d', '1w', '1M']);
  });

  it('aligns fixed intervals on the epoch, T the last ms of the bucket', () => {
    expect(bucketStart('1m', t)).toBe(Date.UTC(2026, 4, 5, 17, 39));
    expect(bucketEnd('1m', bucketStart('1m', t))).toBe(Date.UTC(2026, 4, 5, 17, 40) - 1);
    expect(bucketStart('15m', t)).toBe(Date.UTC(2026, 4, 5, 17, 30));
    expect(bucketStart('4h', t)).toBe(Date.UTC(2026, 4, 5, 16));
    expect(bucketStart('12h', t)).toBe(Date.UTC(2026, 4, 5, 12));
    expect(bucketStart('1d', t)).toBe(Date.UTC(2026, 4, 5));
    expect(bucketStart('3d', t) % (3 * 86_400_000)).toBe(0);
  });

  it('opens weekly candles on Thursdays 00:00 UTC, as the public API does', () => {
    const w = bucketStart('1w', t);
    expect(new Date(w).getUTCDay()).toBe(4);
    expect(w).toBe(Date.UTC(2026, 3, 30));
    expect(nextBucket('1w', w)).toBe(Date.UTC(2026, 4, 7));
  });

  it('uses calendar months for 1M, across year ends', () => {
    expect(bucketStart('1M', t)).toBe(Date.UTC(2026, 4, 1));
    expect(bucketEnd('1M', Date.UTC(2026, 1, 1))).toBe(Date.UTC(2026, 2, 1) - 1);
    expect(nextBucket('1M', Date.UTC(2026, 11, 1))).toBe(Date.UTC(2027, 0, 1));
  });

  it('every bucket holds its own start and end, and the next starts right after', () => {
    for (const i of CANDLE_INTERVALS) {
      const s = bucketStart(i, t);
      expect(s).toBeLessThanOrEqual(t);
      expect(bucketEnd(i, s)).toBeGreaterThanOrEqual(t);
      expect(bucketStart(i, bucketEnd(i, s))).toBe(s);
      expect(bucketStart(i, bucketEnd(i, s) + 1)).toBe(nextBucket(i, s));
    }
  });

  it('never names 1m and 1M files alike (case-insensitive file systems)', () => {
    expect(intervalFileName('1M').toLowerCase()).not.toBe(intervalFileName('1m').toLowerCase());
  });
});
