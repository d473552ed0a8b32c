import { describe, expect, it } from 'vitest';
import { Books } from '../../src/book/index.js';
import { loadBlocks, loadSnapshot, MAIN } from './fixtures.js';

describe('real mainnet data', () => {
  const snapshot = loadSnapshot(MAIN);
  const blocks = loadBlocks(MAIN);

  it('loads the BTC snapshot with all its orders', () => {
    const books = Books.fromSnapshot(snapshot);
    expect(books.height).toBe(985148181);
    const expected = snapshot[1][0]![1][0].length + snapshot[1][0]![1][1].length;
    expect(books.book('BTC')!.size).toBe(expected);
    expect(books.compare(snapshot)).toBeNull();
  });

  it('applies the 25 blocks after the snapshot without a desync; best bid and ask after the first block are the known ones', () => {
    const books = Books.fromSnapshot(snapshot);
    expect(blocks.map((b) => b.height)).toEqual(Array.from({ length: 25 }, (_, i) => 985148182 + i));
    const first = books.applyBlock(blocks[0]!);
    expect(first.desyncs).toEqual([]);
    const [bid, ask] = books.book('BTC')!.bbo();
    expect(bid).toEqual({ px: '81307.0', sz: '0.20195', n: 4 });
    expect(ask).toEqual({ px: '81308.0', sz: '6.08174', n: 49 });
    expect(books.book('BTC')!.mid()).toBe('81307.5');
    for (const b of blocks.slice(1)) {
      const ch = books.applyBlock(b);
      expect(ch.desyncs).toEqual([]);
      expect(ch.unmatchedFills).toEqual([]);
    }
    expect(books.height).toBe(985148206);
  });
});
