import { describe, expect, it } from 'vitest';
import { Books, OrderBook, type L4SnapshotFile, type NodeOrder } from '../../src/book/index.js';
import { ErrorCodes } from '../../src/errors.js';
import { nodeOrder, restL4 } from './helpers.js';

const bid = (oid: number, px: string, sz: string, extra: Partial<NodeOrder> = {}): [string, NodeOrder] => [
  '0xu',
  nodeOrder({ oid, side: 'B', limitPx: px, sz, ...extra }),
];
const ask = (oid: number, px: string, sz: string, extra: Partial<NodeOrder> = {}): [string, NodeOrder] => [
  '0xu',
  nodeOrder({ oid, side: 'A', limitPx: px, sz, ...extra }),
];

describe('L4 snapshots', () => {
  it('skips untriggered trigger orders and keeps triggered ones', () => {
    const file: L4SnapshotFile = [
      10,
      [
        [
          'BTC',
          [
            [
              bid(1, '100.0', '1.0'),
              bid(2, '99.0', '1.0', { isTrigger: true, triggerCondition: 'Price above 120', triggerPx: '120.0' }),
              bid(3, '99.0', '2.0', { triggerCondition: 'Triggered' }),
            ],
            [ask(4, '101.0', '1.0')],
          ],
        ],
      ],
    ];
    const books = Books.fromSnapshot(file);
    const btc = books.book('BTC')!;
    expect(btc.size).toBe(3);
    expect(btc.get(2)).toBeUndefined();
    expect(btc.l2()).toEqual([
      [
        { px: '100.0', sz: '1.0', n: 1 },
        { px: '99.0', sz: '2.0', n: 1 },
      ],
      [{ px: '101.0', sz: '1.0', n: 1 }],
    ]);
    expect(books.compare(file)).toBeNull();
  });

  it('refuses a snapshot of the wrong shape, a duplicate oid or a bad number, naming it', () => {
    const code = expect.objectContaining({ code: ErrorCodes.BAD_SNAPSHOT });
    expect(() => Books.fromSnapshot({} as never)).toThrow(code);
    expect(() => Books.fromSnapshot([1, [['BTC', [[]]]]] as never)).toThrow(/BTC/);
    expect(() => Books.fromSnapshot([1, [['BTC', [[bid(1, '100.0', '1.0'), bid(1, '99.0', '1.0')], []]]]])).toThrow(/oid 1 .*twice/);
    expect(() => Books.fromSnapshot([1, [['ETH', [[], [ask(5, '1e3', '1.0')]]]]])).toThrow(/ETH.*limitPx of oid 5.*1e3/);
  });

  it('says where a book differs from a snapshot: order, size, extra or missing orders, height', () => {
    const file: L4SnapshotFile = [10, [['BTC', [[bid(1, '100.0', '1.0'), bid(2, '100.0', '2.0')], [ask(3, '101.0', '1.0')]]]]];
    const books = Books.fromSnapshot(file);
    const swapped: L4SnapshotFile = [10, [['BTC', [[bid(2, '100.0', '2.0'), bid(1, '100.0', '1.0')], [ask(3, '101.0', '1.0')]]]]];
    expect(books.compare(swapped)).toBe(
      'BTC bid #0: expected oid 2 of 0xu at 100.0 x 2.0, book has oid 1 of 0xu at 100.0 x 1.0 (queue order within level 100.0: oid 2 is 1 place(s) further back in the book)',
    );
    const resized: L4SnapshotFile = [10, [['BTC', [file[1][0]![1][0], [ask(3, '101.0', '1.5')]]]]];
    expect(books.compare(resized)).toMatch(/^BTC ask #0: expected oid 3 .* x 1\.5, book has .* x 1\.0$/);
    const fewer: L4SnapshotFile = [10, [['BTC', [[bid(1, '100.0', '1.0')], [ask(3, '101.0', '1.0')]]]]];
    expect(books.compare(fewer)).toMatch(/^BTC bid #1: expected no more orders, book has oid 2/);
    const more: L4SnapshotFile = [10, [['BTC', [file[1][0]![1][0], [ask(3, '101.0', '1.0'), ask(4, '102.0', '1.0')]]]]];
    expect(books.compare(more)).toMatch(/^BTC ask #1: expected oid 4 .*, book has no more orders$/);
    expect(books.compare([11, file[1]])).toBe('height: snapshot 11, books 10');
    expect(books.compare([10, []])).toMatch(/^BTC bid #0: expected no more orders/);
  });

  it('loads a side in slices appended to existing levels, and sorts new levels', () => {
    const b = new OrderBook('BTC');
    const side = [bid(1, '100.0', '1.0'), bid(2, '100.0', '1.0'), bid(3, '98.0', '1.0'), bid(4, '97.0', '1.0')];
    expect(b.addSnapshotOrders('B', side, 2, 4)).toBe(2);
    expect(b.addSnapshotOrders('B', side, 0, 2)).toBe(2);
    expect(b.l4()[0].map((o) => o.oid)).toEqual([1, 2, 3, 4]);
    restL4(b, { ...nodeOrder({ oid: 5, side: 'B', limitPx: '99.0', sz: '1.0' }), user: '0xv' });
    expect(b.l2()[0].map((l) => l.px)).toEqual(['100.0', '99.0', '98.0', '97.0']);
  });
});
