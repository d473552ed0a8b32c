/**
 * The shared 25 real blocks rewritten as current mainnet writes them (a seeded share of ALO
 * `new` diffs join ahead of an order resting at their level): the engine against the naive
 * model, order by order after every block.
 */
import { describe, expect, it } from 'vitest';
import { Books, formatUnits, parsePrice } from '../../src/book/index.js';
import { applyBlockToModel, modelOfSnapshot, rewriteWithInsertBefore } from './insert-before-data.js';
import { l4Keys } from './naive-model.js';
import { loadBlocks, MAIN } from './fixtures.js';

describe('real mainnet data with insertBefore', () => {
  const data = rewriteWithInsertBefore(20260715);

  it('rewrites a real share of the new diffs: most ALO orders at an occupied level jump ahead, a few say null', () => {
    expect(data.blocks).toHaveLength(25);
    expect(data.news).toBe(548);
    expect(data.placed).toBeGreaterThan(50);
    expect(data.nulls).toBeGreaterThan(10);
    // Named orders are spread over the queue, not only its head.
    const heads = data.blocks
      .flatMap((b) => b.diffs)
      .filter((d) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff && typeof d.raw_book_diff.new.insertBefore === 'number');
    expect(heads).toHaveLength(data.placed);
  });

  it('applies every block without a desync; every level a block touched equals the model order by order after it, the whole book at the end', () => {
    const books = Books.fromSnapshot(data.snapshot);
    const btc = books.book('BTC')!;
    const model = modelOfSnapshot(data.snapshot);
    // Each level's queue, read in book order (one pass per side and block).
    const queuesOf = (side: 'B' | 'A'): Map<string, [string, number, string, string][]> => {
      const out = new Map<string, [string, number, string, string][]>();
      for (const o of btc.restingOrders(side)) {
        let q = out.get(o.level.pxStr);
        if (q === undefined) out.set(o.level.pxStr, (q = []));
        q.push([o.user, o.oid, o.level.pxStr, formatUnits(o.sz)]);
      }
      return out;
    };
    for (const b of data.blocks) {
      expect(books.applyBlock(b).desyncs, `block ${b.height}`).toEqual([]);
      applyBlockToModel(model, b.diffs, b.statuses);
      for (const side of ['B', 'A'] as const) {
        const queues = queuesOf(side);
        const touched = [...new Set(b.diffs.filter((d) => d.side === side).map((d) => formatUnits(parsePrice(d.px))))];
        for (const [px, want] of model.levelKeys(side, touched)) expect(queues.get(px) ?? [], `${side} ${px} after ${b.height}`).toEqual(want);
      }
    }
    const [bids, asks] = btc.l4();
    const [mb, ma] = model.l4();
    expect(l4Keys(bids)).toEqual(mb);
    expect(l4Keys(asks)).toEqual(ma);
    expect(books.height).toBe(985148206);
    // A snapshot of the final book compares equal; the same data without insertBefore has
    // the same L2 but another queue order, which the comparison names.
    const final = books.toSnapshot();
    expect(books.compare(final)).toBeNull();
    const plain = Books.fromSnapshot(data.snapshot);
    for (const b of loadBlocks(MAIN)) plain.applyBlock(b);
    expect(plain.book('BTC')!.l2({ nLevels: 100 })).toEqual(btc.l2({ nLevels: 100 }));
    expect(plain.compare(final)).toMatch(/queue order within level/);
  }, 120_000);

  it('rolls a block with insertBefore back exactly when a later diff of the coin cannot apply, then applies it whole', () => {
    const books = Books.fromSnapshot(data.snapshot);
    const withPlaced = data.blocks.findIndex((b) =>
      b.diffs.some((d) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff && typeof d.raw_book_diff.new.insertBefore === 'number'),
    );
    expect(withPlaced).toBeGreaterThanOrEqual(0);
    for (const b of data.blocks.slice(0, withPlaced)) books.applyBlock(b);
    const b = data.blocks[withPlaced]!;
    const before = JSON.stringify(books.book('BTC')!.l4());
    const broken = { ...b, diffs: [...b.diffs, { user: '0x0', oid: 1, coin: 'BTC', side: 'B' as const, px: '1.0', raw_book_diff: 'remove' as const }] };
    const ch = books.applyBlock(broken);
    expect(ch.desyncs.map((e) => e.coin)).toEqual(['BTC']);
    expect(JSON.stringify(books.book('BTC')!.l4())).toBe(before);
    // The same block again, whole (`only` skips the height check): it now applies.
    expect(books.applyBlock(b, { only: new Set(['BTC']) }).desyncs).toEqual([]);
  }, 60_000);
});
