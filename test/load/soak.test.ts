/**
 * The soak's 1-minute version (the 30-minute one is `npm run soak`): the quiet profile, so
 * that it leaves the rest of the suite room on a 2-core machine; 200 clients churning every
 * 5 s on average; the simulated clock crossing an hour boundary.
 */
import { describe, expect, it } from 'vitest';
import { runSoak, trendGrowthPct } from '../../bench/soak.js';

describe('the soak, one minute', () => {
  it('keeps memory flat after warm-up, errs nowhere, and ends with every book equal to the simulator\'s', { timeout: 180_000 }, async () => {
    const r = await runSoak({ durationMs: 50_000, profile: 'quiet', clients: 200, churnMs: 5_000, seed: 3 });
    expect(r.errorLines).toEqual([]);
    expect(r.load.errorSamples).toEqual([]);
    expect(r.errors).toBe(0);
    expect(r.difference).toBeNull();
    expect(r.booksEqual).toBe(true);
    expect(r.crossedHour).toBe(true);
    // Clients really came and went, and got data.
    expect(r.load.churned).toBeGreaterThan(1000);
    expect(r.load.frames).toBeGreaterThan(10_000);
    expect(r.rssMb.length).toBeGreaterThan(20);
    // One minute is too short for the 10 % goal (the heap is still finding its size, and GC
    // makes RSS a sawtooth): here only a gross leak fails; the 30-minute soak holds the goal.
    expect(r.rssGrowthPct).toBeLessThan(50);
  });

  it('reads growth along the trend line, not from one tooth of the sawtooth', () => {
    expect(trendGrowthPct([100, 100, 100, 100])).toBe(0);
    expect(trendGrowthPct([100, 110, 120, 130])).toBeCloseTo(30);
    // A sawtooth around a flat level: nearly no growth, though the last sample is 40 % up.
    expect(Math.abs(trendGrowthPct(Array.from({ length: 30 }, (_, i) => (i % 2 ? 140 : 100))))).toBeLessThan(5);
  });
});
