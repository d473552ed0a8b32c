import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CANDLE_INTERVALS } from '../../../src/server/candles/intervals.js';
import { CandleService } from '../../../src/server/candles/service.js';
import { change, naiveCandles, type TradeSpec } from './model.js';

const T0 = Date.UTC(2026, 0, 30, 23, 50);
const COINS = ['BTC', '@107', 'xyz:ABC'];

const tradeArb = fc.record({
  coin: fc.constantFrom(...COINS),
  px: fc.integer({ min: 1, max: 2_000_000 }).map((x) => x * 1_000_000),
  sz: fc.integer({ min: 1, max: 10_000_000_000 }),
});
// Steps from 1 ms to ~2 days: some blocks in one bucket, some skipping many.
const stepArb = fc.oneof(
  fc.integer({ min: 1, max: 90_000 }),
  fc.integer({ min: 60_000, max: 3 * 3_600_000 }),
  fc.integer({ min: 3_600_000, max: 2 * 86_400_000 }),
);
const blocksArb = fc.array(fc.record({ step: stepArb, trades: fc.array(tradeArb, { maxLength: 4 }) }), { minLength: 1, maxLength: 60 });

describe('CandleService against a naive model', () => {
  it('gives every interval the candles a naive grouping of the trades by bucket gives', async () => {
    await fc.assert(
      fc.asyncProperty(blocksArb, async (spec) => {
        const svc = new CandleService({});
        let time = T0;
        const blocks: { time: number; trades: TradeSpec[] }[] = [];
        spec.forEach((b, i) => {
          time += b.step;
          blocks.push({ time, trades: b.trades });
          svc.onBlock(change(i + 1, time, b.trades));
        });
        for (const coin of COINS) {
          for (const interval of CANDLE_INTERVALS) {
            const got = await svc.snapshot(coin, interval, 0, Number.MAX_SAFE_INTEGER);
            const want = naiveCandles(blocks, coin, interval);
            expect(got).toEqual(want.slice(-5000));
          }
        }
      }),
      { numRuns: 30, seed: 16 },
    );
  });
});
