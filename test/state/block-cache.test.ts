import { plainStatus, RawStatus } from '../../src/book/raw-status.js';
import { describe, expect, it } from 'vitest';
import { Books } from '../../src/book/books.js';
import type { L4SnapshotFile } from '../../src/book/events.js';
import type { JoinedBlock } from '../../src/node/joiner.js';
import { BlockCache, compactBlock } from '../../src/state/block-cache.js';
import { EventRate } from '../../src/state/rate.js';
import { fixtureSnapshotText } from '../node/files.js';
import { addDiffs, blockOf, fixture } from './harness.js';

const lines = fixture();
addDiffs(lines, 0, [{ user: '0xe7', oid: 77, coin: 'ETH', side: 'A', px: '5.0', raw_book_diff: { new: { sz: '2.0' } } }]);
const joined = (i: number): JoinedBlock => ({
  block: blockOf(lines, i),
  bytes: lines.statuses[i]!.length + lines.diffs[i]!.length + lines.fills[i]!.length,
  lineBytes: { statuses: lines.statuses[i]!.length, diffs: lines.diffs[i]!.length, fills: lines.fills[i]!.length },
});

describe('compactBlock', () => {
  it('keeps the diffs and only the statuses of orders a new diff puts on the book, and is much smaller', () => {
    const jb = joined(0);
    const c = compactBlock(jb);
    const opened = new Set(jb.block.diffs.filter((d) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff).map((d) => d.oid));
    expect(c.block.diffs).toEqual(jb.block.diffs);
    // Kept statuses are plain events (a raw one would hold on to its whole line).
    expect(c.block.statuses).toEqual(jb.block.statuses.filter((s) => opened.has(s.order.oid)).map(plainStatus));
    expect(c.block.statuses.some((s) => s instanceof RawStatus)).toBe(false);
    expect(c.block.statuses.length).toBeLessThan(jb.block.statuses.length / 10);
    expect(c.block.fills).toEqual([]);
    expect(c.bytes).toBeLessThan(jb.bytes / 5);
  });

  it('applies to the same books as the whole block', () => {
    const snap = JSON.parse(fixtureSnapshotText()) as L4SnapshotFile;
    const whole = Books.fromSnapshot(snap);
    const compact = Books.fromSnapshot(snap);
    for (let i = 0; i < 25; i++) {
      whole.applyBlock(joined(i).block);
      expect(compact.applyBlock(compactBlock(joined(i)).block).desyncs).toEqual([]);
    }
    expect(compact.compare(whole.toSnapshot())).toBeNull();
  });

  it('keeps one coin only when asked', () => {
    const c = compactBlock(joined(0), new Set(['ETH']));
    expect(c.block.diffs.map((d) => d.oid)).toEqual([77]);
    expect(c.block.statuses).toEqual([]);
  });
});

describe('BlockCache', () => {
  it('drops the oldest blocks past its byte bound', () => {
    const cache = new BlockCache(1000);
    const blk = (h: number, bytes: number) => ({ block: { height: h, time: 0, statuses: [], diffs: [], fills: [] }, bytes });
    cache.push(blk(1, 400));
    cache.push(blk(2, 400));
    expect([cache.first(), cache.length, cache.bytes]).toEqual([1, 2, 800]);
    cache.push(blk(3, 400));
    expect([cache.first(), cache.length, cache.bytes, cache.evicted]).toEqual([2, 2, 800, 1]);
    expect(cache.shift()?.height).toBe(2);
    expect(cache.shift()?.height).toBe(3);
    expect(cache.shift()).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});

describe('EventRate', () => {
  it('averages events over its window', () => {
    let now = 0;
    const r = new EventRate(1000, () => now);
    r.add(100);
    now = 500;
    r.add(300);
    expect(r.perSecond()).toBe(400);
    now = 1200;
    expect(r.perSecond()).toBe(300);
    now = 2000;
    expect(r.perSecond()).toBe(0);
  });
});
