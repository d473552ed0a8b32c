import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/load/histogram.js';

function exactPercentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1] ?? Number.NaN;
}

describe('the latency histogram', () => {
  it('gives exact percentiles for whole milliseconds under 10 s', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9999 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (xs, q) => {
        const h = new LatencyHistogram();
        for (const x of xs) h.record(x);
        expect(h.percentile(q)).toBe(exactPercentile(xs, q));
        expect(h.max).toBe(Math.max(...xs));
        expect(h.count).toBe(xs.length);
      }),
      { seed: 7 },
    );
  });

  it("merges workers' histograms into the histogram of all their values", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 700_000 }), { maxLength: 50 }), { minLength: 1, maxLength: 4 }), (parts) => {
        const all = new LatencyHistogram();
        const merged = new LatencyHistogram();
        for (const p of parts) {
          const h = new LatencyHistogram();
          for (const x of p) {
            h.record(x);
            all.record(x);
          }
          merged.merge(JSON.parse(JSON.stringify(h.toData())));
        }
        expect(merged.toData()).toEqual(all.toData());
      }),
      { seed: 11 },
    );
  });

  it('puts slow values in 100 ms buckets, never reports above the max, counts negatives as 0', () => {
    const h = new LatencyHistogram();
    h.record(12_345);
    h.record(-3);
    expect(h.percentile(1)).toBe(12_300);
    expect(h.percentile(0.5)).toBe(0);
    expect(h.max).toBe(12_345);
    expect(new LatencyHistogram().percentile(0.5)).toBeNaN();
  });
});
