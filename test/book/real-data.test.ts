import { describe, expect, it } from 'vitest';
import { Books, pairFills, type Block, type L4SnapshotFile } from '../../src/book/index.js';
import { l4Keys, NaiveBook } from './naive-model.js';
import { EARLY, loadBlocks, loadSnapshot, MAIN } from './fixtures.js';

/** The naive model replaying the same data: snapshot orders in file order, then every diff. */
function naiveReplay(snapshot: L4SnapshotFile, blocks: Block[]): NaiveBook {
  const model = new NaiveBook();
  const [, [bids, asks]] = snapshot[1].find(([c]) => c === 'BTC')!;
  for (const [user, order] of [...bids, ...asks]) {
    if (order.isTrigger && order.triggerCondition !== 'Triggered') continue;
    model.add(user, order, order.limitPx, order.sz);
  }
  for (const b of blocks) {
    for (const d of b.diffs) {
      const r = d.raw_book_diff;
      if (r === 'remove') model.remove(d.oid);
      else if ('update' in r) model.update(d.oid, r.update.newSz);
      else model.add(d.user, { ...(b.statuses.find((s) => s.order.oid === d.oid)?.order ?? ({} as never)), oid: d.oid, side: d.side }, d.px, r.new.sz);
    }
  }
  return model;
}

describe('real mainnet data', () => {
  const snapshot = loadSnapshot(MAIN);
  const blocks = loadBlocks(MAIN);

  it('loads the BTC snapshot with all its orders, equal to the file', () => {
    const books = Books.fromSnapshot(snapshot);
    expect(books.height).toBe(985148181);
    const expected = snapshot[1][0]![1][0].length + snapshot[1][0]![1][1].length;
    expect(expected).toBe(51_351);
    expect(books.book('BTC')!.size).toBe(expected);
    expect(books.compare(snapshot)).toBeNull();
    expect(books.toSnapshot()).toEqual(snapshot);
  });

  it('applies the 25 blocks after the snapshot without a desync; best bid and ask after the first block are the known ones', () => {
    const books = Books.fromSnapshot(snapshot);
    expect(blocks.map((b) => b.height)).toEqual(Array.from({ length: 25 }, (_, i) => 985148182 + i));
    const first = books.applyBlock(blocks[0]!);
    expect(first.desyncs).toEqual([]);
    const btc = books.book('BTC')!;
    expect(btc.bbo()).toEqual([
      { px: '81307.0', sz: '0.20195', n: 4 },
      { px: '81308.0', sz: '6.08174', n: 49 },
    ]);
    expect(btc.mid()).toBe('81307.5');
    for (const b of blocks.slice(1)) expect(books.applyBlock(b).desyncs).toEqual([]);
    expect(books.height).toBe(985148206);
  });

  it('after the last block, L2 at nSigFigs 5, 4, 3, 2 and mantissa 2 and 5, BBO and L4 equal the naive model replaying the same data', () => {
    const books = Books.fromSnapshot(snapshot);
    for (const b of blocks) books.applyBlock(b);
    const btc = books.book('BTC')!;
    const model = naiveReplay(snapshot, blocks);
    const sets: [number | null, number | null][] = [
      [null, null],
      [5, null],
      [5, 2],
      [5, 5],
      [4, null],
      [3, null],
      [2, null],
    ];
    for (const [nSigFigs, mantissa] of sets) {
      for (const nLevels of [20, 100]) {
        expect(btc.l2({ nSigFigs, mantissa, nLevels }), `${nSigFigs}/${mantissa}/${nLevels}`).toEqual(model.l2(nSigFigs, mantissa, nLevels));
      }
    }
    expect(btc.bbo()).toEqual(model.bbo());
    expect(btc.mid()).toBe(model.mid());
    const [mb, ma] = model.l4();
    const [bids, asks] = btc.l4();
    expect(l4Keys(bids)).toEqual(mb);
    expect(l4Keys(asks)).toEqual(ma);
  });

  it('pairs every real fill into trades with no unmatched half, in both fixtures', () => {
    for (const fixture of [MAIN, EARLY]) {
      const all = loadBlocks(fixture);
      let fills = 0;
      let trades = 0;
      for (const b of all) {
        const { trades: t, unmatched } = pairFills(b.fills);
        expect(unmatched, `${fixture} block ${b.height}`).toEqual([]);
        fills += b.fills.length;
        for (const list of t.values()) {
          trades += list.length;
          for (const tr of list) {
            const halves = b.fills.filter(([, f]) => f.tid === tr.tid);
            const taker = halves.find(([, f]) => f.crossed)!;
            expect(tr.side).toBe(taker[1].side);
            expect(tr.users).toEqual([halves.find(([, f]) => f.side === 'B')![0], halves.find(([, f]) => f.side === 'A')![0]]);
            expect([tr.px, tr.sz, tr.time, tr.hash]).toEqual([taker[1].px, taker[1].sz, taker[1].time, taker[1].hash]);
          }
        }
      }
      expect(fills, fixture).toBeGreaterThan(0);
      expect(trades * 2).toBe(fills);
    }
  });
});
