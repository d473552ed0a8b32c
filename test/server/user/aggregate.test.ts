/** `aggregateByTime`: a crossing order's parts at one time combined exactly; everything else untouched. */
import { describe, expect, it } from 'vitest';
import type { NodeFill } from '../../../src/book/events.js';
import { aggregateByTime } from '../../../src/server/user/aggregate.js';

function f(over: Partial<NodeFill>): NodeFill {
  return {
    coin: 'BTC',
    px: '100.0',
    sz: '1.0',
    side: 'B',
    time: 1,
    startPosition: '0.0',
    dir: 'Open Long',
    closedPnl: '0.0',
    hash: '0xab',
    oid: 1,
    crossed: true,
    fee: '0.1',
    tid: 1,
    feeToken: 'USDC',
    twapId: null,
    ...over,
  };
}

describe('aggregateByTime', () => {
  it('combines the parts: sizes, fees, PnL summed exactly, the price size-weighted (8 decimals, half up)', () => {
    const out = aggregateByTime([
      f({ px: '100.1', sz: '0.1', fee: '0.01', closedPnl: '-0.3', tid: 1 }),
      f({ px: '100.2', sz: '0.2', fee: '0.02', closedPnl: '0.1', tid: 2, startPosition: '0.1', builderFee: '0.001' }),
    ]);
    expect(out).toEqual([f({ px: '100.16666667', sz: '0.3', fee: '0.03', closedPnl: '-0.2', tid: 1, builderFee: '0.001' })]);
  });

  it('leaves makers, other orders and other times apart, in input order', () => {
    const a = f({ crossed: false, oid: 9, tid: 1 });
    const b = f({ crossed: false, oid: 9, tid: 2 });
    const c = f({ oid: 2, tid: 3 });
    const d = f({ oid: 2, tid: 4, time: 2 });
    expect(aggregateByTime([a, b, c, d])).toEqual([a, b, c, d]);
  });

  it('a part that is not a decimal leaves its group as it is (never a made-up number)', () => {
    const x = f({ tid: 1 });
    const y = f({ tid: 2, sz: 'oops' });
    expect(aggregateByTime([x, y])).toEqual([x, y]);
  });
});
