import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FillEvent } from '../../src/book/events.js';
import { pairFills } from '../../src/book/trades.js';
import type { Gap, JoinedBlock } from '../../src/node/joiner.js';
import { detectLayout } from '../../src/node/layout.js';
import { StreamJoiner } from '../../src/node/stream-joiner.js';
import type { BlockEnvelope, StreamName } from '../../src/node/types.js';

const TIME = (h: number): string => `2026-05-05T17:39:${String(10 + (h % 40)).padStart(2, '0')}.000000000`;

function env<E>(h: number, e: E): BlockEnvelope<E> {
  return { local_time: TIME(h), block_time: TIME(h), block_number: h, events: [e] };
}
const status = (oid: number) => ({ time: TIME(0), user: '0x1', hash: null, builder: null, status: 'canceled', order: { coin: 'BTC', oid } });
const diff = (oid: number) => ({ user: '0x1', oid, coin: 'BTC', side: 'B', px: '1.0', raw_book_diff: 'remove' });
const fill = (tid: number, side: 'B' | 'A', crossed: boolean): FillEvent => [side === 'B' ? '0xb' : '0xa', { coin: 'BTC', px: '1.0', sz: '2.0', side, time: 0, startPosition: '0', dir: 'Open', closedPnl: '0', hash: '0x', oid: 1, crossed, fee: '0', tid, feeToken: 'USDC' }];

function joiner(blockCloseMs = 0): { j: StreamJoiner; blocks: JoinedBlock[]; gaps: Gap[] } {
  const j = new StreamJoiner({ blockCloseMs, maxEmptyRun: 4 });
  const blocks: JoinedBlock[] = [];
  const gaps: Gap[] = [];
  j.on('block', (b) => blocks.push(b));
  j.on('gap', (g) => gaps.push(g));
  for (const s of ['statuses', 'diffs', 'fills'] as StreamName[]) j.markWhole(s);
  return { j, blocks, gaps };
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
    const { j, blocks } = joiner(5);
    push(j, 'statuses', 10, status(1));
    push(j, 'statuses', 11, status(2));
    expect(blocks).toHaveLength(0);
    await new Promise<void>((resolve) => j.once('block', () => resolve()));
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
    const j = new StreamJoiner({ blockCloseMs: 0 });
    const blocks: number[] = [];
    j.on('block', (b) => blocks.push(b.block.height));
    push(j, 'statuses', 60, status(1));
    push(j, 'statuses', 61, status(2));
    push(j, 'statuses', 62, status(3));
    expect(blocks).toEqual([61]);
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
