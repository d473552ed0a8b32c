import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { BlockJoiner, type BlockJoinerOptions, type Gap, type JoinedBlock } from '../../src/node/joiner.js';
import type { StreamName } from '../../src/node/types.js';
import { FakeClock } from './fake-clock.js';
import { NAMES } from './files.js';

function env(h: number): { local_time: string; block_time: string; block_number: number; events: never[] } {
  return { local_time: '2026-05-05T17:39:13.5', block_time: `2026-05-05T17:39:13.${String(h % 1000).padStart(3, '0')}`, block_number: h, events: [] };
}

function joiner(opts: BlockJoinerOptions = {}): {
  j: BlockJoiner;
  heights: number[];
  blocks: JoinedBlock[];
  gaps: Gap[];
  dropped: number[];
  push: (s: StreamName, ...hs: number[]) => void;
} {
  const heights: number[] = [];
  const blocks: JoinedBlock[] = [];
  const gaps: Gap[] = [];
  const dropped: number[] = [];
  const j = new BlockJoiner(
    {
      block: (b) => {
        blocks.push(b);
        heights.push(b.block.height);
      },
      gap: (g) => gaps.push(g),
      dropped: (_s, h) => dropped.push(h),
    },
    opts,
  );
  const push = (s: StreamName, ...hs: number[]): void => {
    for (const h of hs) j.push(s, env(h), 100);
  };
  return { j, heights, blocks, gaps, dropped, push };
}

describe('BlockJoiner', () => {
  it('joins a height once all three streams have it, in increasing order, with the block time', () => {
    const { j, heights, blocks, push } = joiner();
    push('statuses', 10, 11, 12);
    push('diffs', 10, 11);
    expect(heights).toEqual([]);
    push('fills', 10);
    expect(heights).toEqual([10]);
    const first = blocks[0];
    expect(first!.block.time).toBe(Date.UTC(2026, 4, 5, 17, 39, 13, 10));
    expect(first!.bytes).toBe(300);
    push('fills', 11, 12);
    expect(heights).toEqual([10, 11]);
    push('diffs', 12);
    expect(heights).toEqual([10, 11, 12]);
    expect(j.buffered).toBe(0);
  });

  it('starts at the first height every stream has when they start at different places', () => {
    const { heights, gaps, push } = joiner();
    push('statuses', 5, 6, 7, 8);
    push('diffs', 7, 8);
    push('fills', 6, 7, 8);
    expect(heights).toEqual([7, 8]);
    expect(gaps).toEqual([]);
  });

  it('reports a height missing from one stream as a gap once that stream moved on, then goes on', () => {
    const { heights, gaps, push } = joiner({ reorderWindow: 3 });
    push('statuses', 1, 2, 3, 4, 5, 6);
    push('fills', 1, 2, 3, 4, 5, 6);
    push('diffs', 1, 2, 4, 5);
    expect(heights).toEqual([1, 2]);
    expect(gaps).toEqual([]);
    push('diffs', 6);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ height: 3, reason: 'missing', streams: ['diffs'] });
    expect(gaps[0]!.error.code).toBe(ErrorCodes.HEIGHT_GAP);
    expect(gaps[0]!.error.message).toMatch(/block 3 is missing from node_raw_book_diffs_by_block/);
    expect(heights).toEqual([1, 2, 4, 5, 6]);
  });

  it('waits for a late line within the reorder window (a last write to the previous hour file)', () => {
    const { heights, gaps, push } = joiner({ reorderWindow: 3 });
    push('statuses', 1, 2, 3, 4);
    push('fills', 1, 2, 3, 4);
    push('diffs', 1, 3, 4);
    expect(heights).toEqual([1]);
    push('diffs', 2);
    expect(heights).toEqual([1, 2, 3, 4]);
    expect(gaps).toEqual([]);
  });

  it('drops a duplicate line and one below what was joined', () => {
    const { heights, dropped, push } = joiner();
    push('statuses', 1, 2, 2);
    push('diffs', 1, 2);
    push('fills', 1, 2, 1);
    expect(heights).toEqual([1, 2]);
    expect(dropped).toEqual([2, 1]);
  });

  it('gives up with a BUFFER_FULL gap naming the stream behind when the others run too far ahead', () => {
    const { j, heights, gaps, push } = joiner({ maxBufferedBlocks: 5 });
    push('statuses', 1);
    push('diffs', 1);
    push('fills', 1);
    push('statuses', 2, 3, 4, 5, 6);
    push('diffs', 2, 3, 4, 5, 6);
    expect(gaps).toEqual([]);
    push('statuses', 7);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ height: 2, reason: 'overflow', streams: ['fills'] });
    expect(gaps[0]!.error.code).toBe(ErrorCodes.BUFFER_FULL);
    expect(gaps[0]!.error.message).toMatch(/waiting for block 2 from node_fills_by_block/);
    expect(j.buffered).toBe(0);
    // It recovers when the streams line up again.
    for (const s of NAMES) push(s, 8, 9);
    expect(heights).toEqual([1, 8, 9]);
  });

  it('bounds buffered bytes too', () => {
    const { gaps, push } = joiner({ maxBufferedBytes: 450 });
    push('statuses', 1, 2, 3, 4);
    expect(gaps).toEqual([]);
    push('statuses', 5);
    expect(gaps[0]).toMatchObject({ reason: 'overflow' });
  });

  describe('the time bound', () => {
    it('declares a height every stream moved past a gap after gapAfterMs, however few blocks followed (a skip, then the node pauses)', () => {
      const clock = new FakeClock();
      const { heights, gaps, push } = joiner({ clock, gapAfterMs: 500 });
      push('statuses', 1, 2, 3, 4);
      push('fills', 1, 2, 3, 4);
      push('diffs', 1, 2, 4);
      expect(heights).toEqual([1, 2]);
      clock.advance(499);
      expect(gaps).toEqual([]);
      clock.advance(1);
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toMatchObject({ height: 3, reason: 'missing', streams: ['diffs'] });
      expect(gaps[0]!.error.code).toBe(ErrorCodes.HEIGHT_GAP);
      expect(gaps[0]!.error.message).toBe('block 3 is missing from node_raw_book_diffs_by_block: every stream moved past it 500 ms ago (already at 4)');
      // What follows the gap is joined at once.
      expect(heights).toEqual([1, 2, 4]);
      expect(clock.pending).toBe(0);
    });

    it('a block skipped by every stream (a restart with a gap) is a gap after the bound', () => {
      const clock = new FakeClock();
      const { heights, gaps, push } = joiner({ clock, gapAfterMs: 300 });
      for (const s of NAMES) push(s, 1, 2, 5);
      expect(heights).toEqual([1, 2]);
      clock.advance(300);
      expect(gaps.map((g) => [g.height, g.streams])).toEqual([[3, ['statuses', 'diffs', 'fills']]]);
      expect(heights).toEqual([1, 2, 5]);
    });

    it('waits for the late last write of the previous hour: a line within the bound is joined, no gap', () => {
      const clock = new FakeClock();
      const { heights, gaps, push } = joiner({ clock, gapAfterMs: 500 });
      push('statuses', 1, 2, 3, 4, 5);
      push('fills', 1, 2, 3, 4, 5);
      push('diffs', 1, 2, 4, 5);
      clock.advance(400);
      push('diffs', 3);
      expect(heights).toEqual([1, 2, 3, 4, 5]);
      clock.advance(10_000);
      expect(gaps).toEqual([]);
      expect(clock.pending).toBe(0);
    });

    it('does not start while a stream lacking the height has not moved past it (a stream merely behind)', () => {
      const clock = new FakeClock();
      const { heights, gaps, push } = joiner({ clock, gapAfterMs: 500 });
      push('statuses', 1, 2, 3, 4);
      push('fills', 1, 2, 3, 4);
      push('diffs', 1, 2);
      clock.advance(60_000);
      expect(gaps).toEqual([]);
      expect(clock.pending).toBe(0);
      // Once it skips past, the bound runs from then.
      push('diffs', 4);
      clock.advance(499);
      expect(gaps).toEqual([]);
      clock.advance(1);
      expect(gaps.map((g) => g.height)).toEqual([3]);
      expect(heights).toEqual([1, 2, 4]);
    });

    it('reads the files once more before giving up (confirmGap): a line found then is joined', async () => {
      const clock = new FakeClock();
      let confirms = 0;
      const ctx = joiner({
        clock,
        gapAfterMs: 500,
        confirmGap: async () => {
          confirms++;
          ctx.push('diffs', 3); // the late line was on disk, not yet read
        },
      });
      ctx.push('statuses', 1, 2, 3, 4);
      ctx.push('fills', 1, 2, 3, 4);
      ctx.push('diffs', 1, 2, 4);
      clock.advance(500);
      await Promise.resolve();
      await Promise.resolve();
      expect(confirms).toBe(1);
      expect(ctx.gaps).toEqual([]);
      expect(ctx.heights).toEqual([1, 2, 3, 4]);
    });

    it('a confirmGap that finds nothing declares the gap', async () => {
      const clock = new FakeClock();
      const ctx = joiner({ clock, gapAfterMs: 500, confirmGap: async () => undefined });
      for (const s of NAMES) ctx.push(s, 1, 3);
      clock.advance(500);
      await new Promise<void>((r) => setImmediate(r));
      expect(ctx.gaps.map((g) => g.height)).toEqual([2]);
      expect(ctx.heights).toEqual([1, 3]);
    });

    it('is off with gapAfterMs 0 (only the count bound)', () => {
      const clock = new FakeClock();
      const { gaps, push } = joiner({ clock, gapAfterMs: 0, reorderWindow: 3 });
      for (const s of NAMES) push(s, 1, 3);
      clock.advance(3_600_000);
      expect(gaps).toEqual([]);
      for (const s of NAMES) push(s, 4, 5);
      expect(gaps.map((g) => g.height)).toEqual([2]);
    });

    it('a reset or close cancels the pending check', () => {
      const clock = new FakeClock();
      const { j, gaps, push } = joiner({ clock, gapAfterMs: 500 });
      for (const s of NAMES) push(s, 1, 3);
      expect(clock.pending).toBe(1);
      j.reset();
      expect(clock.pending).toBe(0);
      for (const s of NAMES) push(s, 5, 7);
      j.close();
      clock.advance(1000);
      expect(gaps).toEqual([]);
    });
  });
});
