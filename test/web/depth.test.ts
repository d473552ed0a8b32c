import { describe, expect, it } from 'vitest';
import { depthCurves, stepPath } from '../../src/web/depth.js';

const lv = (px: string, sz: string): { px: string; sz: string; n: number } => ({ px, sz, n: 1 });

describe('depth chart geometry', () => {
  it('accumulates each side, centres the range on the mid and cuts both sides to the same reach', () => {
    const c = depthCurves([lv('99', '1'), lv('98', '2'), lv('90', '5')], [lv('101', '1'), lv('104', '1')]);
    expect(c.mid).toBe(100);
    // Asks reach 4 from the mid, bids 10: both are cut to 4.
    expect([c.minPx, c.maxPx]).toEqual([96, 104]);
    expect(c.bids).toEqual([
      { px: 99, cum: 1 },
      { px: 98, cum: 3 },
    ]);
    expect(c.asks.map((p) => p.cum)).toEqual([1, 2]);
    expect(c.maxCum).toBe(3);
  });

  it('draws steps inside the box, from the best price out to the edge, on the baseline at both ends', () => {
    const c = depthCurves([lv('99', '1'), lv('98', '2')], [lv('101', '1'), lv('102', '3')]);
    const box = { x: 0, y: 0, width: 100, height: 50 };
    for (const [pts, isBid] of [
      [c.bids, true],
      [c.asks, false],
    ] as const) {
      const path = stepPath(pts, isBid, c, box);
      for (const [x, y] of path) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(100);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(50);
      }
      expect(path[0]![1]).toBe(50);
      expect(path[path.length - 1]).toEqual([isBid ? 0 : 100, 50]);
    }
    expect(stepPath([], true, c, box)).toEqual([]);
  });

  it('survives one empty side and an empty book', () => {
    const one = depthCurves([lv('10', '1')], []);
    expect(one.mid).toBeNull();
    expect(one.maxPx).toBeGreaterThan(one.minPx);
    const none = depthCurves([], []);
    expect(none.maxCum).toBe(0);
  });
});
