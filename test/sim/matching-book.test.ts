import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASK, BID, MatchingBook, RestKind, type RestingOrder, type SideIx } from '../../src/sim/matching-book.js';

function order(oid: number, side: SideIx, px: number, lots: number, user = 1): RestingOrder {
  return {
    oid,
    user,
    side,
    px,
    lots,
    origLots: lots,
    timestamp: oid,
    kind: RestKind.Placed,
    tif: 'Gtc',
    orderType: 'Limit',
    reduceOnly: false,
    isPositionTpsl: false,
    cloid: null,
    prev: null,
    next: null,
    level: null,
    slot: -1,
    snapshotTail: null,
  };
}

const oids = (book: MatchingBook, side: SideIx): number[] => [...book.sides[side].orders()].map((o) => o.oid);

describe('the simulator matching book', () => {
  it('keeps bids best (highest) first and asks best (lowest) first, time priority inside a level', () => {
    const book = new MatchingBook();
    for (const o of [order(1, BID, 100, 1), order(2, BID, 101, 1), order(3, BID, 100, 1), order(4, ASK, 105, 1), order(5, ASK, 103, 1), order(6, ASK, 105, 1)])
      book.rest(o);
    expect(oids(book, BID)).toEqual([2, 1, 3]);
    expect(oids(book, ASK)).toEqual([5, 4, 6]);
    expect(book.bestBid()).toBe(101);
    expect(book.bestAsk()).toBe(103);
    expect(book.size).toBe(6);
  });

  it('removes an order from anywhere in its level and drops empty levels', () => {
    const book = new MatchingBook();
    const [a, b, c] = [order(1, BID, 100, 1), order(2, BID, 100, 2), order(3, BID, 100, 3)];
    for (const o of [a, b, c, order(4, BID, 99, 1)]) book.rest(o);
    book.remove(b);
    expect(oids(book, BID)).toEqual([1, 3, 4]);
    book.remove(a);
    book.remove(c);
    expect(book.bestBid()).toBe(99);
    expect(book.sides[BID].level(100)).toBeUndefined();
    expect(book.regular.map((o) => o.oid)).toEqual([4]);
  });

  it("counts liquidity in reach of a taker up to its limit, without the taker's own orders", () => {
    const book = new MatchingBook();
    for (const o of [order(1, ASK, 100, 5, 7), order(2, ASK, 100, 3, 8), order(3, ASK, 101, 4, 8), order(4, ASK, 103, 9, 8)]) book.rest(o);
    expect(book.available(BID, 100, 100, 1)).toBe(8);
    expect(book.available(BID, 101, 100, 1)).toBe(12);
    expect(book.available(BID, 101, 100, 7)).toBe(7);
    expect(book.available(BID, 103, 10, 1)).toBe(10);
    expect(book.available(BID, 99, 10, 1)).toBe(0);
  });

  it('agrees with a sorted list model under random adds and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 90, max: 110 }), fc.nat()), { maxLength: 200 }), (ops) => {
        const book = new MatchingBook();
        const model: RestingOrder[] = [];
        let oid = 0;
        for (const [add, side, px, pick] of ops) {
          if (add || model.length === 0) {
            const o = order(++oid, side as SideIx, px, 1);
            book.rest(o);
            model.push(o);
          } else {
            const [o] = model.splice(pick % model.length, 1);
            book.remove(o!);
          }
        }
        for (const side of [BID, ASK] as const) {
          const want = model
            .filter((o) => o.side === side)
            .sort((x, y) => (x.px !== y.px ? (side === BID ? y.px - x.px : x.px - y.px) : x.oid - y.oid))
            .map((o) => o.oid);
          expect(oids(book, side)).toEqual(want);
        }
        expect(book.size).toBe(model.length);
      }),
    );
  });
});
