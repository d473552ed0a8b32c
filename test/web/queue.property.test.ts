/**
 * A level's queue and a user's levels, against the engine's own aggregation (what the
 * server's `l2Book` sends): over random books and every parameter set, the orders the page
 * puts in each displayed level add up to exactly that level's size and count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUnits, Books, formatUnits, parseUnits, type L4Order, type NodeOrder, type Units } from '../../src/book/index.js';
import { AGGREGATIONS, l2Params, levelIndexOf } from '../../src/web/aggregation.js';
import { levelsHolding, queueOf } from '../../src/web/queue.js';
import { nodeOrder } from '../book/helpers.js';

const USERS = ['0x' + 'a'.repeat(40), '0x' + 'b'.repeat(40), '0x' + 'c'.repeat(40)];

/** A price in units of 1e-8 on a tick that keeps 5 significant figures around `base`. */
function priceString(ticks: number, decimals: number): string {
  const s = String(ticks).padStart(decimals + 1, '0');
  return decimals === 0 ? `${s}.0` : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}

const bookArb = fc
  .record({
    decimals: fc.integer({ min: 0, max: 4 }),
    mid: fc.integer({ min: 1_000, max: 99_999 }),
    orders: fc.array(
      fc.record({
        isBid: fc.boolean(),
        off: fc.integer({ min: 1, max: 3_000 }),
        lots: fc.integer({ min: 1, max: 5_000 }),
        user: fc.integer({ min: 0, max: 2 }),
        ts: fc.integer({ min: 0, max: 1_000_000 }),
      }),
      { minLength: 1, maxLength: 120 },
    ),
  })
  .map(({ decimals, mid, orders }) => {
    const bids: Array<[string, NodeOrder]> = [];
    const asks: Array<[string, NodeOrder]> = [];
    orders.forEach((o, i) => {
      const ticks = o.isBid ? Math.max(1, mid - o.off) : mid + o.off;
      const order = nodeOrder({
        oid: i + 1,
        side: o.isBid ? 'B' : 'A',
        limitPx: priceString(ticks, decimals),
        sz: `${o.lots}.0`,
        timestamp: 1_700_000_000_000 + o.ts,
      });
      (o.isBid ? bids : asks).push([USERS[o.user]!, order]);
    });
    return Books.fromSnapshot([1, [['BTC', [bids, asks]]]]);
  });

describe('queueOf / levelsHolding against the engine', () => {
  it('every displayed level holds exactly the orders that make up its size and count', () => {
    fc.assert(
      fc.property(bookArb, fc.constantFrom(...AGGREGATIONS), fc.integer({ min: 1, max: 30 }), (books, agg, nLevels) => {
        const book = books.book('BTC')!;
        const levels = book.l2(l2Params(agg, nLevels));
        const [bidOrders, askOrders] = book.l4();
        for (const [isBid, lv, orders] of [
          [true, levels[0], bidOrders],
          [false, levels[1], askOrders],
        ] as const) {
          const edges = lv.map((l) => l.px);
          lv.forEach((level, i) => {
            const q = queueOf(orders, isBid, edges, i, 1_700_000_500_000, null);
            let sz: Units = 0;
            for (const r of q) sz = addUnits(sz, parseUnits(r.sz));
            expect(formatUnits(sz)).toBe(formatUnits(parseUnits(level.sz)));
            expect(q.length).toBe(level.n);
            expect(q.map((r) => r.pos)).toEqual(q.map((_, k) => k + 1));
          });
          // Orders past the last level shown belong to no displayed level.
          const shown = new Set(lv.flatMap((_, i) => queueOf(orders, isBid, edges, i, 0, null).map((r) => r.oid)));
          for (const o of orders) if (!shown.has(o.oid)) expect(levelIndexOf(o.limitPx, isBid, edges) === -1 || lv.length === 0).toBe(true);
        }
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('keeps time priority within a price and marks the highlighted user', () => {
    const bids: Array<[string, NodeOrder]> = [
      [USERS[0]!, nodeOrder({ oid: 1, side: 'B', limitPx: '100.0', sz: '1.0', timestamp: 1_000 })],
      [USERS[1]!, nodeOrder({ oid: 2, side: 'B', limitPx: '100.0', sz: '2.0', timestamp: 2_000 })],
      [USERS[0]!, nodeOrder({ oid: 3, side: 'B', limitPx: '99.5', sz: '3.0', timestamp: 500 })],
    ];
    const book = Books.fromSnapshot([1, [['BTC', [bids, []]]]]).book('BTC')!;
    const [orders] = book.l4();
    const full = book.l2({ nLevels: 10 })[0].map((l) => l.px);
    const q = queueOf(orders, true, full, 0, 5_000, USERS[1]!);
    expect(q.map((r) => [r.oid, r.ageMs, r.mine])).toEqual([
      [1, 4_000, false],
      [2, 3_000, true],
    ]);
    // Two significant figures, bids rounding down: 100 stays 100, 99.5 goes to the 99 bucket.
    const two = book.l2({ nSigFigs: 2, nLevels: 10 })[0].map((l) => l.px);
    expect(two).toEqual(['100.0', '99.0']);
    expect(queueOf(orders, true, two, 1, 5_000, null).map((r) => r.oid)).toEqual([3]);
    const mine: L4Order[] = orders.filter((o) => o.user === USERS[0]);
    expect([...levelsHolding(mine, true, full)]).toEqual([0, 1]);
    expect([...levelsHolding(mine, false, full)]).toEqual([]);
  });
});
