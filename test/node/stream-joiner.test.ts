import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FillEvent } from '../../src/book/events.js';
import { pairFills } from '../../src/book/trades.js';
import type { Gap, JoinedBlock } from '../../src/node/joiner.js';
import { detectLayout } from '../../src/node/layout.js';
import { StreamJoiner, type StreamJoinerOptions } from '../../src/node/stream-joiner.js';
import type { BlockEnvelope, StreamName } from '../../src/node/types.js';
import { FakeClock } from './fake-clock.js';

const TIME = (h: number): string => `2026-05-05T17:39:${String(10 + (h % 40)).padStart(2, '0')}.000000000`;

function env<E>(h: number, e: E): BlockEnvelope<E> {
  return { local_time: TIME(h), block_time: TIME(h), block_number: h, events: [e] };
}
const status = (oid: number) => ({ time: TIME(0), user: '0x1', hash: null, builder: null, status: 'canceled', order: { coin: 'BTC', oid } });
const diff = (oid: number) => ({ user: '0x1', oid, coin: 'BTC', side: 'B', px: '1.0', raw_book_diff: 'remove' });
const fill = (tid: number, side: 'B' | 'A', crossed: boolean): FillEvent => [
  side === 'B' ? '0xb' : '0xa',
  {
    coin: 'BTC',
    px: '1.0',
    sz: '2.0',
    side,
    time: 0,
    startPosition: '0',
    dir: 'Open',
    closedPnl: '0',
    hash: '0x',
    oid: 1,
    crossed,
    fee: '0',
    tid,
    feeToken: 'USDC',
  },
];

function joiner(
  blockCloseMs = 0,
  opts: StreamJoinerOptions = { blockIdleMs: 0 },
): { j: StreamJoiner; blocks: JoinedBlock[]; gaps: Gap[]; nextBlock: () => Promise<JoinedBlock> } {
  const blocks: JoinedBlock[] = [];
  const gaps: Gap[] = [];
  let waiters: ((b: JoinedBlock) => void)[] = [];
  const j = new StreamJoiner(
    {
      block: (b) => {
        blocks.push(b);
        for (const w of waiters.splice(0)) w(b);
      },
      gap: (g) => gaps.push(g),
    },
    { blockCloseMs, maxEmptyRun: 4, ...opts },
  );
  for (const s of ['statuses', 'diffs', 'fills'] as StreamName[]) j.markWhole(s);
  const nextBlock = (): Promise<JoinedBlock> => new Promise((resolve) => (waiters = [...waiters, resolve]));
  return { j, blocks, gaps, nextBlock };
}

function push(j: StreamJoiner, stream: StreamName, h: number, e: unknown): void {
  j.push(stream, env(h, e) as never, 100);
}

describe('StreamJoiner', () => {
  it('closes a block once every stream moved past it, with every event in order', () => {
    const { j, blocks } = joiner(1_000_000);
    push(j, 'statuses', 10, status(1));
    push(j, 'diffs', 10, diff(1));
    push(j, 'statuses', 10, status(2));
    push(j, 'fills', 10, fill(7, 'B', true));
    push(j, 'statuses', 11, status(3));
    push(j, 'diffs', 11, diff(3));
    expect(blocks).toHaveLength(0); // fills has not moved past 10, and the bound is long
    push(j, 'fills', 12, fill(8, 'B', true));
    expect(blocks.map((b) => b.block.height)).toEqual([10]);
    expect(blocks[0]!.block.statuses.map((s) => s.order.oid)).toEqual([1, 2]);
    expect(blocks[0]!.block.diffs.map((d) => d.oid)).toEqual([1]);
    expect(blocks[0]!.lineBytes).toEqual({ statuses: 200, diffs: 100, fills: 100 });
  });

  it('closes after --block-close-ms once one stream moved past, the quiet one (fills) not needed', async () => {
    const { j, blocks, nextBlock } = joiner(5);
    push(j, 'statuses', 10, status(1));
    push(j, 'statuses', 11, status(2));
    expect(blocks).toHaveLength(0);
    await nextBlock();
    expect(blocks.map((b) => b.block.height)).toEqual([10]);
    j.close();
  });

  it('joins the two halves of a fill written on separate lines (and in separate reads) into one trade', () => {
    const { j, blocks } = joiner(0);
    push(j, 'fills', 20, fill(99, 'B', true));
    push(j, 'statuses', 20, status(1));
    push(j, 'fills', 20, fill(99, 'A', false));
    push(j, 'statuses', 21, status(2));
    const b = blocks.find((x) => x.block.height === 20)!.block;
    const { trades, unmatched } = pairFills(b.fills);
    expect(unmatched).toEqual([]);
    expect(trades.get('BTC')).toHaveLength(1);
    expect(trades.get('BTC')![0]).toMatchObject({ side: 'B', tid: 99, users: ['0xb', '0xa'] });
  });

  it('emits heights without any line as empty blocks at the previous time, and a long run of them as a gap', () => {
    const { j, blocks, gaps } = joiner(0);
    push(j, 'statuses', 30, status(1));
    push(j, 'statuses', 32, status(2));
    push(j, 'statuses', 33, status(3));
    expect(blocks.map((b) => [b.block.height, b.block.statuses.length])).toEqual([
      [30, 1],
      [31, 0],
      [32, 1],
    ]);
    expect(blocks[1]!.block.time).toBe(blocks[0]!.block.time);
    push(j, 'statuses', 40, status(4));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.error.message).toMatch(/no line for blocks 34\.\.39/);
  });

  it('reports a line of a block already closed as a gap naming the flag, then starts over', () => {
    const { j, blocks, gaps } = joiner(0);
    push(j, 'statuses', 50, status(1));
    push(j, 'statuses', 51, status(2));
    expect(blocks.map((b) => b.block.height)).toEqual([50]);
    push(j, 'diffs', 50, diff(1));
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.error.code).toBe('HLOB_ERR_HEIGHT_GAP');
    expect(gaps[0]!.error.message).toMatch(/node_raw_book_diffs_streaming.*--block-close-ms/);
    expect(j.nextHeight).toBeUndefined();
  });

  it('skips the first height of a stream read from mid-file (it may be cut)', () => {
    const blocks: number[] = [];
    const j = new StreamJoiner({ block: (b) => blocks.push(b.block.height), gap: () => undefined }, { blockCloseMs: 0, blockIdleMs: 0 });
    push(j, 'statuses', 60, status(1));
    push(j, 'statuses', 61, status(2));
    push(j, 'statuses', 62, status(3));
    expect(blocks).toEqual([61]);
  });
});

describe('StreamJoiner: the last block before a pause (nothing after it)', () => {
  it('closes once a whole blockIdleMs passed without a line; a line meanwhile restarts the wait', () => {
    const clock = new FakeClock();
    const { j, blocks } = joiner(0, { clock, blockIdleMs: 500 });
    push(j, 'statuses', 10, status(1));
    push(j, 'statuses', 11, status(2));
    expect(blocks.map((b) => b.block.height)).toEqual([10]);
    clock.advance(400);
    push(j, 'diffs', 11, diff(2)); // the node still writes block 11
    // The wait checks whole windows of blockIdleMs: the one with that line (0..500) does not
    // count; the next (500..1000) is quiet.
    clock.advance(599);
    expect(blocks.map((b) => b.block.height)).toEqual([10]);
    clock.advance(1);
    expect(blocks.map((b) => b.block.height)).toEqual([10, 11]);
    expect(blocks[1]!.block.statuses).toHaveLength(1);
    expect(blocks[1]!.block.diffs).toHaveLength(1);
    expect(clock.pending).toBe(0);
    // Nothing open: no timer, nothing made up.
    clock.advance(5_000);
    expect(blocks).toHaveLength(2);
    j.close();
  });

  it('closes only after every stream read all that is written; a line found by that read keeps it open', async () => {
    const clock = new FakeClock();
    const blocks: number[] = [];
    const confirms: { streams: StreamName[]; done: () => void }[] = [];
    const j = new StreamJoiner(
      { block: (b) => blocks.push(b.block.height), gap: () => undefined },
      { blockCloseMs: 0, blockIdleMs: 500, clock, confirm: (streams) => new Promise<void>((resolve) => confirms.push({ streams, done: resolve })) },
    );
    for (const s of ['statuses', 'diffs', 'fills'] as StreamName[]) j.markWhole(s);
    push(j, 'statuses', 20, status(1));
    clock.advance(500);
    expect(confirms.map((c) => c.streams)).toEqual([['statuses', 'diffs', 'fills']]);
    // The forced read finds one more line of block 20 (written after the last poll).
    push(j, 'fills', 20, fill(5, 'B', true));
    confirms[0]!.done();
    await Promise.resolve();
    await Promise.resolve();
    expect(blocks).toEqual([]);
    clock.advance(500);
    expect(confirms).toHaveLength(2);
    confirms[1]!.done();
    await Promise.resolve();
    await Promise.resolve();
    expect(blocks).toEqual([20]);
    j.close();
  });

  it('a line of a block closed by the quiet is a gap, as any late line', () => {
    const clock = new FakeClock();
    const { j, blocks, gaps } = joiner(0, { clock, blockIdleMs: 500 });
    push(j, 'statuses', 30, status(1));
    clock.advance(500);
    expect(blocks.map((b) => b.block.height)).toEqual([30]);
    push(j, 'diffs', 30, diff(1));
    expect(gaps.map((g) => g.height)).toEqual([30]);
    expect(gaps[0]!.error.message).toMatch(/500 ms without a line/);
  });
});

describe('detectLayout', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function make(layout: string, mtimeS?: number): void {
    for (const s of ['node_order_statuses', 'node_raw_book_diffs', 'node_fills']) {
      const d = join(dir!, `${s}_${layout}`, 'hourly', '20260505');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, '17'), '');
      if (mtimeS !== undefined) utimesSync(join(d, '17'), mtimeS, mtimeS);
    }
  }

  it('finds the layout the node writes, the newer one when both are there, and names what a chosen one lacks', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hlob-layout-'));
    expect(await detectLayout(dir)).toMatchObject({ layout: 'by-block' });
    expect((await detectLayout(dir)).missing.map((m) => m.flags.join(' '))).toContain('--write-fills --batch-by-block');
    make('streaming');
    expect(await detectLayout(dir)).toEqual({ layout: 'streaming', missing: [] });
    make('by_block', 1_000);
    expect((await detectLayout(dir)).layout).toBe('streaming');
    make('by_block', Date.now() / 1000 + 60);
    expect((await detectLayout(dir)).layout).toBe('by-block');
    expect(await detectLayout(dir, 'streaming')).toEqual({ layout: 'streaming', missing: [] });
    rmSync(join(dir, 'node_fills_streaming'), { recursive: true });
    const s = await detectLayout(dir, 'streaming');
    expect(s.missing.map((m) => m.flags.join(' '))).toEqual(['--write-fills --stream-with-block-info']);
  });
});
