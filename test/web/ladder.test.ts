import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUnits, formatUnits, parseUnits, type Units } from '../../src/book/index.js';
import type { L2Level } from '../../src/book/index.js';
import { buildLadder } from '../../src/web/ladder.js';
import { levelChanges } from '../../src/web/flash.js';

const lv = (px: string, sz: string, n = 1): L2Level => ({ px, sz, n });

describe('buildLadder', () => {
  it('adds sizes exactly, scales bars to the largest level and total, and gives spread and mid', () => {
    const ladder = buildLadder(
      [
        [lv('100.5', '0.1'), lv('100.0', '0.2', 3), lv('99.5', '0.7')],
        [lv('101.0', '0.4'), lv('102.0', '0.3')],
      ],
      10,
    );
    // 0.1 + 0.2 is 0.3 exactly, not 0.30000000000000004.
    expect(ladder.bids.map((r) => r.cum)).toEqual(['0.1', '0.3', '1.0']);
    expect(ladder.asks.map((r) => r.cum)).toEqual(['0.4', '0.7']);
    expect(ladder.bids[2]!.szFrac).toBe(1);
    expect(ladder.asks[0]!.szFrac).toBeCloseTo(0.4 / 0.7);
    expect(ladder.bids[2]!.cumFrac).toBe(1);
    expect(ladder.asks[1]!.cumFrac).toBeCloseTo(0.7);
    expect(ladder.spread).toBe('0.5');
    expect(ladder.mid).toBe('100.75');
    expect(ladder.spreadBps).toBe('49.63');
    expect(ladder.bids[1]).toMatchObject({ px: '100.0', sz: '0.2', n: 3 });
  });

  it('cuts each side to the rows asked, has no spread with an empty side, and says when crossed', () => {
    const ladder = buildLadder([[lv('1.0', '1.0'), lv('0.9', '1.0')], []], 1);
    expect(ladder.bids).toHaveLength(1);
    expect(ladder.spread).toBeNull();
    expect(ladder.mid).toBeNull();
    const crossed = buildLadder([[lv('10.0', '1.0')], [lv('9.5', '1.0')]], 5);
    expect(crossed.spread).toBe('-0.5');
  });

  it('keeps every cumulative size exact for any sizes (against a bigint sum)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 1, max: 99_999_999 })), { minLength: 1, maxLength: 40 }),
        (sizes) => {
          const levels = sizes.map(([i, f], k) => lv(`${1000 - k}.0`, `${i}.${String(f).padStart(8, '0')}`));
          const ladder = buildLadder([levels, []], levels.length);
          let sum: Units = 0;
          levels.forEach((l, k) => {
            sum = addUnits(sum, parseUnits(l.sz));
            expect(ladder.bids[k]!.cum).toBe(formatUnits(sum));
            expect(ladder.bids[k]!.cumFrac).toBeGreaterThanOrEqual(0);
            expect(ladder.bids[k]!.cumFrac).toBeLessThanOrEqual(1);
          });
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('levelChanges', () => {
  it('marks new, grown and shrunk levels by price, and nothing on the first block', () => {
    const before = [lv('100.0', '1.0', 1), lv('99.0', '2.0', 2), lv('98.0', '1.0', 1)];
    const after = [lv('100.0', '1.0', 1), lv('99.0', '1.5', 2), lv('98.0', '1.0', 2), lv('97.0', '4.0', 1)];
    expect(levelChanges(null, after).size).toBe(0);
    expect(Object.fromEntries(levelChanges(before, after))).toEqual({ '99.0': 'down', '98.0': 'up', '97.0': 'new' });
    expect(levelChanges(after, after).size).toBe(0);
  });
});
