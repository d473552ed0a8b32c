/**
 * `insertBefore` on a `new` diff (node-data.md): the order joins its level immediately
 * before the named resting order; absent or null, at the back. A name that does not rest at
 * that level is a desync of that coin alone, rolled back exactly.
 */
import { describe, expect, it } from 'vitest';
import { Books, OrderBook, type BookDiffEvent } from '../../src/book/index.js';
import { block, l4, newDiff, newDiffBefore, nodeOrder, removeDiff, removeOid, restL4, status, updateDiff } from './helpers.js';

/** Oids per level of one side, best first. */
function queues(book: OrderBook, side: 'B' | 'A'): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const o of book.restingOrders(side)) (out[o.level.pxStr] ??= []).push(o.oid);
  return out;
}

/** BTC with bids 1,2,3 at 100 and 4 at 99, asks 5,6 at 101; ETH with bid 7 at 10. */
function seeded(): Books {
  const books = new Books(0);
  const diffs: BookDiffEvent[] = [
    newDiff('0xa', 1, 'B', '100.0', '1.0'),
    newDiff('0xa', 2, 'B', '100.0', '2.0'),
    newDiff('0xa', 3, 'B', '100.0', '3.0'),
    newDiff('0xa', 4, 'B', '99.0', '4.0'),
    newDiff('0xa', 5, 'A', '101.0', '5.0'),
    newDiff('0xa', 6, 'A', '101.0', '6.0'),
    newDiff('0xa', 7, 'B', '10.0', '1.0', 'ETH'),
  ];
  expect(books.applyBlock(block(1, { diffs })).desyncs).toEqual([]);
  return books;
}

describe('insertBefore', () => {
  it('places a new order just ahead of the named one: at the head, in the middle, before the tail; absent or null means the back', () => {
    const books = seeded();
    const ch = books.applyBlock(
      block(2, {
        diffs: [
          newDiffBefore('0xb', 10, 'B', '100.0', '0.5', 1),
          newDiffBefore('0xb', 11, 'B', '100.0', '0.25', 3),
          newDiffBefore('0xb', 12, 'B', '100.0', '0.125', 2),
          newDiffBefore('0xb', 13, 'B', '100.0', '1.0', null),
          newDiffBefore('0xb', 14, 'A', '101.0', '1.0', 6),
          newDiffBefore('0xb', 15, 'B', '99.0', '1.0', 4),
        ],
      }),
    );
    expect(ch.desyncs).toEqual([]);
    const btc = books.book('BTC')!;
    expect(queues(btc, 'B')).toEqual({ '100.0': [10, 1, 12, 2, 11, 3, 13], '99.0': [15, 4] });
    expect(queues(btc, 'A')).toEqual({ '101.0': [5, 14, 6] });
    // Aggregates follow: L2 sizes and counts as for orders at the back.
    expect(btc.l2({ nLevels: 2 })).toEqual([
      [
        { px: '100.0', sz: '7.875', n: 7 },
        { px: '99.0', sz: '5.0', n: 2 },
      ],
      [{ px: '101.0', sz: '12.0', n: 3 }],
    ]);
    expect(ch.coins.get('BTC')!.changedBids.sort()).toEqual(['100.0', '99.0']);
    expect(ch.coins.get('BTC')!.bboChanged).toBe(true);
    // Updates and removes keep working on orders placed ahead, and the level's links stay whole.
    expect(
      books.applyBlock(
        block(3, {
          diffs: [
            removeDiff('0xb', 10, 'B', '100.0'),
            updateDiff('0xb', 11, 'B', '100.0', '0.25', '0.2'),
            removeDiff('0xa', 3, 'B', '100.0'),
            removeDiff('0xb', 13, 'B', '100.0'),
          ],
        }),
      ).desyncs,
    ).toEqual([]);
    expect(queues(btc, 'B')['100.0']).toEqual([1, 12, 2, 11]);
    expect(books.applyBlock(block(4, { diffs: [newDiff('0xc', 16, 'B', '100.0', '1.0'), newDiffBefore('0xc', 17, 'B', '100.0', '1.0', 16)] })).desyncs).toEqual(
      [],
    );
    expect(queues(btc, 'B')['100.0']).toEqual([1, 12, 2, 11, 17, 16]);
    expect(
      btc
        .l4()[0]
        .slice(0, 6)
        .map((o) => o.oid),
    ).toEqual([1, 12, 2, 11, 17, 16]);
  });

  it('keeps the status fields of the order placed ahead (bookOnly statuses, L4 output)', () => {
    const books = seeded();
    const order = nodeOrder({ oid: 20, side: 'B', limitPx: '100.0', sz: '2.0', tif: 'Alo' });
    const ch = books.applyBlock(block(2, { statuses: [status('0xd', 'open', order)], diffs: [newDiffBefore('0xd', 20, 'B', '100.0', '2.0', 2)] }));
    expect(ch.coins.get('BTC')!.bookStatuses.map((s) => s.order.oid)).toEqual([20]);
    expect(books.book('BTC')!.l4()[0][1]).toEqual({ user: '0xd', ...order });
  });

  it('a name that does not rest at that level (unknown, gone, other side, other price, other coin, not an oid) is a desync of that coin only, rolled back exactly', () => {
    const cases: [string, BookDiffEvent, RegExp][] = [
      ['unknown', newDiffBefore('0xb', 30, 'B', '100.0', '1.0', 999), /before oid 999, which does not rest/],
      ['other side', newDiffBefore('0xb', 30, 'B', '101.0', '1.0', 5), /on side B before oid 5, which rests on the other side/],
      ['other price', newDiffBefore('0xb', 30, 'B', '99.0', '1.0', 1), /at 99.0 before oid 1, which rests at 100.0/],
      ['other coin', newDiffBefore('0xb', 30, 'B', '10.0', '1.0', 7), /before oid 7, which does not rest/],
      [
        'a string',
        { ...newDiff('0xb', 30, 'B', '100.0', '1.0'), raw_book_diff: { new: { sz: '1.0', insertBefore: '1' as unknown as number } } },
        /insertBefore "1", not an oid/,
      ],
      ['itself', newDiffBefore('0xb', 30, 'B', '100.0', '1.0', 30), /before oid 30, which does not rest/],
    ];
    for (const [what, bad, reason] of cases) {
      const books = seeded();
      const btc = books.book('BTC')!;
      const before = JSON.stringify([btc.l4(), btc.l2({ nLevels: 100 }), btc.bbo()]);
      // Changes first (an order ahead of the head, a removal, an update), then the bad diff: all undone.
      const ch = books.applyBlock(
        block(2, {
          diffs: [
            newDiffBefore('0xb', 40, 'B', '100.0', '1.0', 1),
            removeDiff('0xa', 2, 'B', '100.0'),
            newDiffBefore('0xb', 41, 'B', '100.0', '1.0', 3),
            updateDiff('0xa', 1, 'B', '100.0', '1.0', '0.5'),
            removeDiff('0xa', 4, 'B', '99.0'),
            bad,
            newDiff('0xb', 42, 'B', '10.0', '1.0', 'ETH'),
          ],
        }),
      );
      expect(
        ch.desyncs.map((e) => [e.coin, e.code]),
        what,
      ).toEqual([['BTC', 'HLOB_ERR_DESYNC']]);
      expect(ch.desyncs[0]!.message, what).toMatch(reason);
      expect(JSON.stringify([btc.l4(), btc.l2({ nLevels: 100 }), btc.bbo()]), what).toBe(before);
      expect(queues(btc, 'B'), what).toEqual({ '100.0': [1, 2, 3], '99.0': [4] });
      expect(books.book('ETH')!.size, what).toBe(2);
      expect(ch.coins.get('BTC')!.changedBids, what).toEqual([]);
    }
  });

  it('undoes orders placed ahead in any order with removals of their neighbours, back to the exact queue', () => {
    const books = seeded();
    const btc = books.book('BTC')!;
    btc.beginChanges();
    const before = btc.resting(2)!;
    btc.rest('0xe', nodeOrder({ oid: 50, side: 'B', limitPx: '100.0', sz: '1.0' }), 100_0000_0000, 1_0000_0000, true, before);
    removeOid(btc, 1);
    removeOid(btc, 2);
    btc.rest('0xe', nodeOrder({ oid: 51, side: 'B', limitPx: '100.0', sz: '1.0' }), 100_0000_0000, 1_0000_0000, true, btc.resting(50)!);
    removeOid(btc, 3);
    expect(queues(btc, 'B')['100.0']).toEqual([51, 50]);
    btc.rollbackChanges();
    expect(queues(btc, 'B')).toEqual({ '100.0': [1, 2, 3], '99.0': [4] });
    expect(btc.l2({ nLevels: 5 })[0]).toEqual([
      { px: '100.0', sz: '6.0', n: 3 },
      { px: '99.0', sz: '4.0', n: 1 },
    ]);
    // A `before` that is not at that price is refused before anything changes.
    expect(() => btc.rest('0xe', nodeOrder({ oid: 52, side: 'B', limitPx: '99.0', sz: '1.0' }), 99_0000_0000, 1_0000_0000, true, btc.resting(1)!)).toThrow(
      /insertBefore 1 on BTC/,
    );
    expect(btc.has(52)).toBe(false);
    expect(() => restL4(btc, l4('0xe', { oid: 53, side: 'A', limitPx: '100.0', sz: '1.0' }), 1)).toThrow(/insertBefore 1 on BTC: it rests on the other side/);
  });

  it('survives a snapshot round trip, and a comparison sees a queue-order-only difference', () => {
    const books = seeded();
    books.applyBlock(block(2, { diffs: [newDiffBefore('0xb', 10, 'B', '100.0', '0.5', 2)] }));
    const again = Books.fromSnapshot(books.toSnapshot());
    expect(queues(again.book('BTC')!, 'B')['100.0']).toEqual([1, 10, 2, 3]);
    expect(books.compare(again.toSnapshot())).toBeNull();

    // Same orders, same L2, only the queue at 100.0 differs (10 at the back instead of ahead of 2).
    const backOnly = seeded();
    backOnly.applyBlock(block(2, { diffs: [newDiff('0xb', 10, 'B', '100.0', '0.5')] }));
    expect(backOnly.book('BTC')!.l2({ nLevels: 100 })).toEqual(books.book('BTC')!.l2({ nLevels: 100 }));
    expect(books.compare(backOnly.toSnapshot())).toBe(
      'BTC bid #1: expected oid 2 of 0xa at 100.0 x 2.0, book has oid 10 of 0xb at 100.0 x 0.5 (queue order within level 100.0: oid 2 is 1 place(s) further back in the book)',
    );
    expect(books.book('BTC')!.compareBook(backOnly.book('BTC')!)).toMatch(/^BTC bid #1: expected oid 2 .* \(queue order within level 100\.0/);
    expect(books.book('BTC')!.compareBook(again.book('BTC')!)).toBeNull();
  });
});
