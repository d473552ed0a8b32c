/** Golden L2 cases: expected levels written by hand from Hyperliquid's rules, not computed by our code. */
import { describe, expect, it } from 'vitest';
import { OrderBook, type L2Params, type Side } from '../../src/book/index.js';
import { ErrorCodes } from '../../src/errors.js';
import { l4, removeOid, resizeOid, restL4 } from './helpers.js';

function bookOf(side: Side, levels: [px: string, sz: string][]): OrderBook {
  const b = new OrderBook('X');
  levels.forEach(([px, sz], i) => restL4(b, l4('0xu', { oid: i + 1, side, limitPx: px, sz })));
  return b;
}
const bids = (b: OrderBook, p: L2Params) => b.l2(p)[0];
const asks = (b: OrderBook, p: L2Params) => b.l2(p)[1];

describe('L2 views (golden cases)', () => {
  it('asks crossing a power of ten (9999.5 / 10000.0) round up and merge at nSigFigs 2..5', () => {
    const b = bookOf('A', [
      ['9999.5', '1.0'],
      ['10000.0', '2.0'],
      ['10001.0', '4.0'],
    ]);
    expect(asks(b, { nSigFigs: 5 })).toEqual([
      { px: '9999.5', sz: '1.0', n: 1 },
      { px: '10000.0', sz: '2.0', n: 1 },
      { px: '10001.0', sz: '4.0', n: 1 },
    ]);
    expect(asks(b, { nSigFigs: 4 })).toEqual([
      { px: '10000.0', sz: '3.0', n: 2 },
      { px: '10010.0', sz: '4.0', n: 1 },
    ]);
    expect(asks(b, { nSigFigs: 3 })).toEqual([
      { px: '10000.0', sz: '3.0', n: 2 },
      { px: '10100.0', sz: '4.0', n: 1 },
    ]);
    expect(asks(b, { nSigFigs: 2 })).toEqual([
      { px: '10000.0', sz: '3.0', n: 2 },
      { px: '11000.0', sz: '4.0', n: 1 },
    ]);
    expect(asks(b, {})).toEqual(asks(b, { nSigFigs: 5 }));
  });

  it('bids crossing a power of ten round down, each on its own significant figures', () => {
    const b = bookOf('B', [
      ['10001.0', '4.0'],
      ['10000.0', '2.0'],
      ['9999.5', '1.0'],
    ]);
    expect(bids(b, { nSigFigs: 5 })).toEqual([
      { px: '10001.0', sz: '4.0', n: 1 },
      { px: '10000.0', sz: '2.0', n: 1 },
      { px: '9999.5', sz: '1.0', n: 1 },
    ]);
    expect(bids(b, { nSigFigs: 4 })).toEqual([
      { px: '10000.0', sz: '6.0', n: 2 },
      { px: '9999.0', sz: '1.0', n: 1 },
    ]);
    expect(bids(b, { nSigFigs: 3 })).toEqual([
      { px: '10000.0', sz: '6.0', n: 2 },
      { px: '9990.0', sz: '1.0', n: 1 },
    ]);
    expect(bids(b, { nSigFigs: 2 })).toEqual([
      { px: '10000.0', sz: '6.0', n: 2 },
      { px: '9900.0', sz: '1.0', n: 1 },
    ]);
  });

  it('puts a price exactly on a bucket edge in that bucket, on both sides', () => {
    const b = bookOf('B', [
      ['81300.0', '1.0'],
      ['81299.0', '2.0'],
      ['81290.0', '3.0'],
      ['81289.0', '4.0'],
    ]);
    expect(bids(b, { nSigFigs: 4 })).toEqual([
      { px: '81300.0', sz: '1.0', n: 1 },
      { px: '81290.0', sz: '5.0', n: 2 },
      { px: '81280.0', sz: '4.0', n: 1 },
    ]);
    const a = bookOf('A', [
      ['81300.0', '1.0'],
      ['81301.0', '2.0'],
      ['81310.0', '3.0'],
      ['81311.0', '4.0'],
    ]);
    expect(asks(a, { nSigFigs: 4 })).toEqual([
      { px: '81300.0', sz: '1.0', n: 1 },
      { px: '81310.0', sz: '5.0', n: 2 },
      { px: '81320.0', sz: '4.0', n: 1 },
    ]);
  });

  it('buckets tiny prices (0.00001234) on their significant figures', () => {
    const b = bookOf('B', [
      ['0.00001234', '100.0'],
      ['0.00001229', '50.0'],
    ]);
    const a = bookOf('A', [
      ['0.00001234', '100.0'],
      ['0.00001239', '50.0'],
    ]);
    expect(bids(b, { nSigFigs: 5 })).toEqual([
      { px: '0.00001234', sz: '100.0', n: 1 },
      { px: '0.00001229', sz: '50.0', n: 1 },
    ]);
    expect(bids(b, { nSigFigs: 3 })).toEqual([
      { px: '0.0000123', sz: '100.0', n: 1 },
      { px: '0.0000122', sz: '50.0', n: 1 },
    ]);
    expect(bids(b, { nSigFigs: 2 })).toEqual([{ px: '0.000012', sz: '150.0', n: 2 }]);
    expect(asks(a, { nSigFigs: 3 })).toEqual([{ px: '0.0000124', sz: '150.0', n: 2 }]);
    expect(asks(a, { nSigFigs: 2 })).toEqual([{ px: '0.000013', sz: '150.0', n: 2 }]);
  });

  it('applies mantissa 2 and 5 on the 5th significant figure', () => {
    const b = bookOf('B', [
      ['81307.0', '0.2'],
      ['81306.0', '0.3'],
      ['81305.0', '0.5'],
      ['81301.0', '1.0'],
      ['81300.0', '2.0'],
    ]);
    expect(bids(b, { nSigFigs: 5, mantissa: 2 })).toEqual([
      { px: '81306.0', sz: '0.5', n: 2 },
      { px: '81304.0', sz: '0.5', n: 1 },
      { px: '81300.0', sz: '3.0', n: 2 },
    ]);
    expect(bids(b, { nSigFigs: 5, mantissa: 5 })).toEqual([
      { px: '81305.0', sz: '1.0', n: 3 },
      { px: '81300.0', sz: '3.0', n: 2 },
    ]);
    expect(bids(b, { nSigFigs: 5, mantissa: 1 })).toEqual(bids(b, { nSigFigs: 5 }));
    const a = bookOf('A', [
      ['81308.0', '6.0'],
      ['81309.0', '1.0'],
      ['81311.0', '2.0'],
    ]);
    expect(asks(a, { nSigFigs: 5, mantissa: 2 })).toEqual([
      { px: '81308.0', sz: '6.0', n: 1 },
      { px: '81310.0', sz: '1.0', n: 1 },
      { px: '81312.0', sz: '2.0', n: 1 },
    ]);
    expect(asks(a, { nSigFigs: 5, mantissa: 5 })).toEqual([
      { px: '81310.0', sz: '7.0', n: 2 },
      { px: '81315.0', sz: '2.0', n: 1 },
    ]);
  });

  it('merges many levels across one bucket and truncates to nLevels after aggregation', () => {
    const b = bookOf('A', [
      ['100.1', '0.1'],
      ['100.5', '0.2'],
      ['100.9', '0.3'],
      ['101.0', '0.4'],
      ['101.2', '0.5'],
      ['102.0', '1.0'],
      ['103.5', '1.0'],
    ]);
    expect(asks(b, { nSigFigs: 3 })).toEqual([
      { px: '101.0', sz: '1.0', n: 4 },
      { px: '102.0', sz: '1.5', n: 2 },
      { px: '104.0', sz: '1.0', n: 1 },
    ]);
    expect(asks(b, { nSigFigs: 3, nLevels: 2 })).toEqual([
      { px: '101.0', sz: '1.0', n: 4 },
      { px: '102.0', sz: '1.5', n: 2 },
    ]);
    expect(asks(b, { nSigFigs: 2, nLevels: 1 })).toEqual([{ px: '110.0', sz: '3.5', n: 7 }]);
    expect(asks(b, { nLevels: 3 })).toEqual([
      { px: '100.1', sz: '0.1', n: 1 },
      { px: '100.5', sz: '0.2', n: 1 },
      { px: '100.9', sz: '0.3', n: 1 },
    ]);
  });

  it('defaults to 20 levels and refuses parameters Hyperliquid refuses', () => {
    const b = bookOf(
      'B',
      Array.from({ length: 30 }, (_, i) => [`${1000 - i}.0`, '1.0'] as [string, string]),
    );
    expect(bids(b, {})).toHaveLength(20);
    expect(bids(b, { nLevels: 100 })).toHaveLength(30);
    for (const p of [
      { nSigFigs: 1 },
      { nSigFigs: 6 },
      { nSigFigs: 4, mantissa: 2 },
      { mantissa: 2 },
      { nSigFigs: 5, mantissa: 3 },
      { nLevels: 0 },
      { nLevels: 101 },
      { nLevels: 2.5 },
    ]) {
      expect(() => b.l2(p), JSON.stringify(p)).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_L2_PARAMS }));
    }
  });

  it('sums sizes exactly past 2^53 units', () => {
    const b = bookOf('A', [
      ['1.0', '999999999999.99999999'],
      ['1.5', '1000000000000.0'],
      ['1.5', '0.00000001'],
    ]);
    expect(asks(b, { nSigFigs: 2 })).toEqual([
      { px: '1.0', sz: '999999999999.99999999', n: 1 },
      { px: '1.5', sz: '1000000000000.00000001', n: 2 },
    ]);
    expect(asks(b, { nSigFigs: 3, mantissa: null })).toEqual(asks(b, { nSigFigs: 2 }));
    expect(b.l2({ nSigFigs: 2 })[0]).toEqual([]);
  });
});

describe('L2 view cache', () => {
  it('returns the same frozen result until a change reaches the levels the view shows', () => {
    const b = bookOf(
      'B',
      Array.from({ length: 30 }, (_, i) => [`${1099 - i}.0`, '1.0'] as [string, string]),
    );
    const top5 = b.l2({ nLevels: 5 });
    const coarse = b.l2({ nSigFigs: 2, nLevels: 1 });
    expect(Object.isFrozen(top5) && Object.isFrozen(top5[0]) && Object.isFrozen(top5[0][0])).toBe(true);
    // A change below the 5th level: the top-5 view is unchanged, the coarse one (all 30 levels in one bucket) is not.
    resizeOid(b, 20, '3.0');
    expect(b.l2({ nLevels: 5 })).toBe(top5);
    const coarse2 = b.l2({ nSigFigs: 2, nLevels: 1 });
    expect(coarse2).not.toBe(coarse);
    expect(coarse2[0]).toEqual([{ px: '1000.0', sz: '32.0', n: 30 }]);
    // A bucket view reaches down to its last bucket's edge: with two buckets, a change below the first one's edge does not reach a 1-bucket view.
    restL4(b, l4('0xu', { oid: 50, side: 'B', limitPx: '999.0', sz: '1.0' }));
    const coarse3 = b.l2({ nSigFigs: 2, nLevels: 1 });
    expect(coarse3[0]).toEqual(coarse2[0]);
    restL4(b, l4('0xu', { oid: 51, side: 'B', limitPx: '998.0', sz: '1.0' }));
    expect(b.l2({ nSigFigs: 2, nLevels: 1 })).toBe(coarse3);
    // A change at the 5th level reaches the view.
    resizeOid(b, 5, '2.0');
    const again = b.l2({ nLevels: 5 });
    expect(again).not.toBe(top5);
    expect(again[0][4]).toEqual({ px: '1095.0', sz: '2.0', n: 1 });
    // An ask change leaves the bid half as it was.
    restL4(b, l4('0xu', { oid: 99, side: 'A', limitPx: '2000.0', sz: '1.0' }));
    const withAsk = b.l2({ nLevels: 5 });
    expect(withAsk[0]).toBe(again[0]);
    expect(withAsk[1]).toEqual([{ px: '2000.0', sz: '1.0', n: 1 }]);
  });
});

describe('L2 view cache across a rollback', () => {
  it('shows the book as before once changes are rolled back, even if a view was read in between', () => {
    const b = bookOf('A', [
      ['100.0', '1.0'],
      ['101.0', '2.0'],
    ]);
    restL4(b, l4('0xu', { oid: 3, side: 'A', limitPx: '100.0', sz: '4.0' }));
    const before = b.l2();
    b.beginChanges();
    resizeOid(b, 1, '5.0');
    removeOid(b, 3);
    removeOid(b, 2);
    b.rest('0xv', l4('0xv', { oid: 4, side: 'A', limitPx: '99.0', sz: '1.0' }), 9_900_000_000, 100_000_000, false);
    expect(b.l2()[1]).toEqual([
      { px: '99.0', sz: '1.0', n: 1 },
      { px: '100.0', sz: '5.0', n: 1 },
    ]);
    b.rollbackChanges();
    expect(b.l2()).toEqual(before);
    expect(b.l4()[1].map((o) => o.oid)).toEqual([1, 3, 2]);
    // A size change alone, read and rolled back.
    b.beginChanges();
    resizeOid(b, 2, '1.0');
    expect(b.l2()[1][1]).toEqual({ px: '101.0', sz: '1.0', n: 1 });
    b.rollbackChanges();
    expect(b.l2()).toEqual(before);
  });
});
