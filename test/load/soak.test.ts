/**
 * The soak itself runs outside the unit suite (`npm run soak`, or `npm run soak -- --quick` for
 * the 50-second version): a timed, minute-long run of the whole stack does not belong beside
 * unit tests on a shared machine. What is tested here is how it judges a run.
 */
import { describe, expect, it } from 'vitest';
import { rssGoalPct, soakChecks, soakFigures, trendGrowthPct, type SoakResult } from '../../bench/soak.js';
import type { LoadReport } from '../../src/load/index.js';

const shape = { durationMs: 50_000, clients: 200, churnMs: 5_000 };

/** A run that passes: about what the quick soak gives on a quiet machine. */
function goodRun(over: Partial<SoakResult> = {}, load: Partial<LoadReport> = {}): SoakResult {
  return {
    minutes: shape.durationMs / 60_000,
    rssMb: Array.from({ length: 48 }, (_, i) => 200 + (i % 3)),
    rssGrowthPct: 1,
    errors: 0,
    booksEqual: true,
    difference: null,
    height: 1_000_700,
    load: { clients: 200, churned: 1_950, connects: 2_150, frames: 60_000, errorSamples: [], ...load } as unknown as LoadReport,
    warnings: [],
    errorLines: [],
    crossedHour: true,
    ...over,
  };
}

describe('judging a soak run', () => {
  it('passes a clean run and names each thing a bad run got wrong', () => {
    expect(soakChecks(goodRun(), shape)).toEqual([]);
    const bad = soakChecks(
      goodRun(
        { errors: 2, errorLines: ['tailer failed'], booksEqual: false, difference: 'BTC: order 7 missing', crossedHour: false, rssMb: [200, 201] },
        { churned: 10, frames: 900, errorSamples: ['closed 1006'] },
      ),
      shape,
    );
    expect(bad).toHaveLength(8);
    expect(bad.join('\n')).toMatch(/error lines logged: \["tailer failed"\]/);
    expect(bad.join('\n')).toMatch(/client errors/);
    expect(bad.join('\n')).toMatch(/2 errors/);
    expect(bad.join('\n')).toMatch(/books differ: BTC: order 7 missing/);
    expect(bad.join('\n')).toMatch(/did not cross the hour/);
    expect(bad.join('\n')).toMatch(/10 reconnects, expected about 2000/);
    expect(bad.join('\n')).toMatch(/900 frames/);
    expect(bad.join('\n')).toMatch(/2 RSS samples/);
  });

  it('holds the 30-minute soak to 10 % growth, a short run only to a gross leak', () => {
    expect(rssGoalPct(30 * 60_000)).toBe(10);
    expect(rssGoalPct(50_000)).toBe(50);
    const figures = soakFigures(goodRun({ rssGrowthPct: 20 }), shape);
    expect(figures.find((f) => f.bench === 'soak.rss_growth_pct')?.goal).toBe('< 50');
    expect(figures.find((f) => f.bench === 'soak.checks_failed')).toMatchObject({ value: 0, goal: '<= 0' });
  });

  it('reads growth along the trend line, not from one tooth of the sawtooth', () => {
    expect(trendGrowthPct([100, 100, 100, 100])).toBe(0);
    expect(trendGrowthPct([100, 110, 120, 130])).toBeCloseTo(30);
    // A sawtooth around a flat level: nearly no growth, though the last sample is 40 % up.
    expect(Math.abs(trendGrowthPct(Array.from({ length: 30 }, (_, i) => (i % 2 ? 140 : 100))))).toBeLessThan(5);
  });
});
