import { describe, expect, it } from 'vitest';
import { Books, OrderBook } from '../../src/book/index.js';
import { DesyncError, ErrorCodes, HlobError } from '../../src/errors.js';
import { block, fill, l4, newDiff, nodeOrder, removeDiff, restL4, status, updateDiff } from './helpers.js';

const U1 = '0x1111';
const U2 = '0x2222';

function booksWith(...orders: ReturnType<typeof l4>[]): Books {
  const books = new Books(100);
  for (const o of orders) {
    let b = books.book(o.coin);
    if (!b) books.setBook(o.coin, (b = new OrderBook(o.coin)));
    restL4(b, o);
  }
  return books;
}

describe('Books.applyBlock', () => {
  it('rests a new order with the fields of its open status, at the diff price and size, and reports it', () => {
    const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }));
    const order = nodeOrder({ oid: 2, side: 'B', limitPx: '101.0', sz: '3.0', cloid: '0xc1', tif: 'Alo' });
    const open = status(U2, 'open', order);
    const rejected = status(U2, 'badAloPxRejected', nodeOrder({ oid: 3, side: 'A', limitPx: '90.0', sz: '1.0' }));
    const ch = books.applyBlock(block(101, { statuses: [rejected, open], diffs: [newDiff(U2, 2, 'B', '101.0', '2.5')] }));
    expect(ch.desyncs).toEqual([]);
    expect(books.height).toBe(101);
    const got = books.book('BTC')!.get(2)!;
    expect(got).toMatchObject({ user: U2, oid: 2, limitPx: '101.0', sz: '2.5', origSz: '3.0', cloid: '0xc1', tif: 'Alo' });
    const cc = ch.coins.get('BTC')!;
    expect(cc.statuses).toEqual([rejected, open]);
    expect(cc.bookStatuses).toEqual([open]);
    expect(cc.changedBids).toEqual(['101.0']);
    expect(cc.changedAsks).toEqual([]);
    expect(cc.bboChanged).toBe(true);
  });

  it('rests a triggered order at the diff price as a converted Gtc order stamped with the status time', () => {
    const books = new Books(0);
    const trig = nodeOrder({
      oid: 7,
      side: 'A',
      limitPx: '95.0',
      sz: '1.0',
      isTrigger: true,
      triggerCondition: 'Price below 96',
      triggerPx: '96.0',
      tif: null,
      orderType: 'Stop Limit',
    });
    const ch = books.applyBlock(
      block(1, { statuses: [status(U1, 'triggered', trig, '2026-05-05T17:39:13.024084407')], diffs: [newDiff(U1, 7, 'A', '95.5', '1.0')] }),
    );
    expect(ch.desyncs).toEqual([]);
    expect(books.book('BTC')!.get(7)).toMatchObject({
      limitPx: '95.5',
      isTrigger: false,
      triggerCondition: 'Triggered',
      triggerPx: '0.0',
      tif: 'Gtc',
      orderType: 'Stop Limit',
      timestamp: Date.UTC(2026, 4, 5, 17, 39, 13, 24),
    });
  });

  it('rests a new order that has no status as a Limit Alo order of the diff (special spot addresses)', () => {
    const books = new Books(0);
    const ch = books.applyBlock(block(1, { time: 1234, diffs: [newDiff(U1, 9, 'B', '0.00001234', '1000000.5', '@107')] }));
    expect(ch.desyncs).toEqual([]);
    expect(ch.coins.get('@107')!.bookStatuses).toEqual([]);
    expect(books.book('@107')!.get(9)).toEqual({
      user: U1,
      coin: '@107',
      side: 'B',
      limitPx: '0.00001234',
      sz: '1000000.5',
      oid: 9,
      timestamp: 1234,
      triggerCondition: 'N/A',
      isTrigger: false,
      triggerPx: '0.0',
      children: [],
      isPositionTpsl: false,
      reduceOnly: false,
      orderType: 'Limit',
      origSz: '1000000.5',
      tif: 'Alo',
      cloid: null,
    });
  });

  it('updates sizes and removes orders, keeping time priority', () => {
    const books = booksWith(
      l4(U1, { oid: 1, side: 'A', limitPx: '100.0', sz: '1.0' }),
      l4(U2, { oid: 2, side: 'A', limitPx: '100.0', sz: '2.0' }),
      l4(U1, { oid: 3, side: 'A', limitPx: '100.0', sz: '3.0' }),
    );
    const ch = books.applyBlock(block(101, { diffs: [updateDiff(U2, 2, 'A', '100.0', '2.0', '0.5'), removeDiff(U1, 1, 'A', '100.0')] }));
    expect(ch.desyncs).toEqual([]);
    const b = books.book('BTC')!;
    expect(b.l4()[1].map((o) => [o.oid, o.sz])).toEqual([
      [2, '0.5'],
      [3, '3.0'],
    ]);
    expect(b.bbo()).toEqual([null, { px: '100.0', sz: '3.5', n: 2 }]);
    expect(ch.coins.get('BTC')!.changedAsks).toEqual(['100.0']);
  });

  it('rolls back a coin whose diff names an unknown oid, reports a desync naming coin, oid and height, and applies the other coins', () => {
    const books = booksWith(
      l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }),
      l4(U1, { oid: 2, side: 'B', limitPx: '100.0', sz: '2.0' }),
      l4(U1, { oid: 10, side: 'A', limitPx: '5.0', sz: '1.0' }, 'ETH'),
    );
    const before = books.book('BTC')!.l4();
    const ch = books.applyBlock(
      block(101, {
        diffs: [
          removeDiff(U1, 1, 'B', '100.0'),
          newDiff(U2, 3, 'B', '101.0', '1.0'),
          updateDiff(U1, 2, 'B', '100.0', '2.0', '1.5'),
          removeDiff(U1, 10, 'A', '5.0', 'ETH'),
          removeDiff(U1, 999, 'B', '100.0'),
          newDiff(U2, 4, 'B', '102.0', '1.0'),
        ],
      }),
    );
    expect(ch.desyncs).toHaveLength(1);
    const d = ch.desyncs[0]!;
    expect(d).toBeInstanceOf(DesyncError);
    expect([d.coin, d.oid, d.height]).toEqual(['BTC', 999, 101]);
    expect(d.message).toMatch(/BTC.*101.*999/);
    expect(books.book('BTC')!.l4()).toEqual(before);
    expect(books.book('ETH')!.size).toBe(0);
    expect(ch.coins.get('BTC')!.changedBids).toEqual([]);
    expect(ch.coins.get('BTC')!.diffs).toHaveLength(5);
    expect(books.height).toBe(101);
  });

  it('treats a new diff for an oid already resting, or an update on the wrong side or price, as a desync', () => {
    for (const bad of [newDiff(U1, 1, 'B', '100.0', '1.0'), updateDiff(U1, 1, 'A', '100.0', '1.0', '2.0'), removeDiff(U1, 1, 'B', '99.0')]) {
      const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }));
      const ch = books.applyBlock(block(101, { diffs: [bad] }));
      expect(ch.desyncs.map((e) => e.oid)).toEqual([1]);
      expect(books.book('BTC')!.get(1)!.sz).toBe('1.0');
    }
  });

  it('throws HEIGHT_GAP when a block does not follow, and changes nothing', () => {
    const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }));
    const err = (() => {
      try {
        books.applyBlock(block(102, { diffs: [removeDiff(U1, 1, 'B', '100.0')] }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HlobError);
    expect((err as HlobError).code).toBe(ErrorCodes.HEIGHT_GAP);
    expect(books.book('BTC')!.size).toBe(1);
    expect(books.height).toBe(100);
  });

  it('leaves skipped coins alone, and applies only the named coins without moving the height', () => {
    const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }), l4(U1, { oid: 2, side: 'B', limitPx: '5.0', sz: '1.0' }, 'ETH'));
    const diffs = [removeDiff(U1, 1, 'B', '100.0'), removeDiff(U1, 2, 'B', '5.0', 'ETH')];
    const fills = [
      fill(U1, { px: '100.0', sz: '1.0', side: 'B', tid: 5, crossed: true }),
      fill(U2, { px: '100.0', sz: '1.0', side: 'A', tid: 5, crossed: false }),
    ];
    const ch = books.applyBlock(block(101, { diffs, fills }), { skip: new Set(['BTC']) });
    expect([...ch.coins.keys()]).toEqual(['ETH']);
    expect(ch.trades.get('BTC')).toHaveLength(1);
    expect(books.book('BTC')!.size).toBe(1);
    expect(books.book('ETH')!.size).toBe(0);
    expect(books.height).toBe(101);
    const caught = books.applyBlock(block(101, { diffs, fills }), { only: new Set(['BTC']) });
    expect([...caught.coins.keys()]).toEqual(['BTC']);
    expect(books.book('BTC')!.size).toBe(0);
    expect(books.height).toBe(101);
  });

  it('files statuses under their coins in node order when coins alternate, leaving skipped coins out', () => {
    const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }), l4(U1, { oid: 2, side: 'B', limitPx: '5.0', sz: '1.0' }, 'ETH'));
    const btc = (oid: number, st = 'canceled') => status(U1, st, nodeOrder({ oid, side: 'B', limitPx: '100.0', sz: '1.0' }));
    const eth = (oid: number, st = 'canceled') => status(U1, st, nodeOrder({ oid, side: 'A', limitPx: '6.0', sz: '1.0' }, 'ETH'));
    const sol = status(U2, 'open', nodeOrder({ oid: 30, side: 'B', limitPx: '1.0', sz: '1.0' }, 'SOL'));
    const statuses = [btc(11), btc(12), eth(21), btc(13, 'open'), sol, eth(22, 'open'), eth(23), btc(14)];
    const diffs = [newDiff(U1, 13, 'B', '100.0', '1.0'), newDiff(U1, 22, 'A', '6.0', '1.0', 'ETH'), newDiff(U2, 30, 'B', '1.0', '1.0', 'SOL')];
    const ch = books.applyBlock(block(101, { statuses, diffs }), { skip: new Set(['SOL']) });
    expect(ch.desyncs).toEqual([]);
    expect([...ch.coins.keys()]).toEqual(['BTC', 'ETH']);
    expect(ch.coins.get('BTC')!.statuses).toEqual([statuses[0], statuses[1], statuses[3], statuses[7]]);
    expect(ch.coins.get('ETH')!.statuses).toEqual([statuses[2], statuses[5], statuses[6]]);
    expect(ch.coins.get('BTC')!.bookStatuses).toEqual([statuses[3]]);
    expect(ch.coins.get('ETH')!.bookStatuses).toEqual([statuses[5]]);
    expect(ch.statuses).toBe(statuses);
    expect(books.book('SOL')).toBeUndefined();
  });

  it('records changes afresh in each block: a rolled-back block leaves nothing for the next to undo or report', () => {
    const books = booksWith(l4(U1, { oid: 1, side: 'B', limitPx: '100.0', sz: '1.0' }), l4(U1, { oid: 2, side: 'A', limitPx: '101.0', sz: '1.0' }));
    const failed = books.applyBlock(block(101, { diffs: [newDiff(U2, 3, 'B', '99.0', '1.0'), removeDiff(U1, 999, 'B', '100.0')] }));
    expect(failed.desyncs).toHaveLength(1);
    expect(books.book('BTC')!.changing).toBe(false);
    const ok = books.applyBlock(block(102, { diffs: [updateDiff(U1, 2, 'A', '101.0', '1.0', '0.5')] }));
    expect(ok.desyncs).toEqual([]);
    const cc = ok.coins.get('BTC')!;
    expect([cc.changedBids, cc.changedAsks, cc.bboChanged]).toEqual([[], ['101.0'], true]);
    const quiet = books.applyBlock(block(103, { diffs: [newDiff(U2, 4, 'B', '90.0', '1.0')] }));
    expect([quiet.coins.get('BTC')!.changedBids, quiet.coins.get('BTC')!.changedAsks, quiet.coins.get('BTC')!.bboChanged]).toEqual([['90.0'], [], false]);
    expect(
      books
        .book('BTC')!
        .l4()[0]
        .map((o) => o.oid),
    ).toEqual([1, 4]);
  });

  it('pairs fills by tid into trades with the taker side and [buyer, seller]; an unpaired half is reported', () => {
    const books = new Books(0);
    const maker = fill(U1, { px: '81308.0', sz: '0.00033', side: 'A', tid: 316059956208702, crossed: false, hash: '0xh' });
    const taker = fill(U2, { px: '81308.0', sz: '0.00033', side: 'B', tid: 316059956208702, crossed: true, hash: '0xh' });
    const lone = fill(U2, { px: '1.0', sz: '2.0', side: 'A', tid: 42, crossed: true, coin: 'ETH' });
    const ch = books.applyBlock(block(1, { fills: [maker, lone, taker] }));
    expect(ch.trades.get('BTC')).toEqual([
      { coin: 'BTC', side: 'B', px: '81308.0', sz: '0.00033', hash: '0xh', time: 1_778_002_753_024, tid: 316059956208702, users: [U2, U1] },
    ]);
    expect(ch.unmatchedFills).toEqual([lone]);
    expect([...ch.coins.keys()].sort()).toEqual(['BTC', 'ETH']);
  });
});
