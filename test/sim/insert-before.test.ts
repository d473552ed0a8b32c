/**
 * `insertBefore` in the simulated node and in check-data: the simulator's Alo orders that pay
 * for priority write it (a documented share), check-data accepts exactly the ones naming an
 * order resting at that level, and the engine following the files keeps the simulator's queues.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Books, type BookDiffEvent, type L4SnapshotFile } from '../../src/book/index.js';
import { checkNodeData } from '../../src/sim/check-data.js';
import { startSimulator } from '../../src/sim/simulator.js';
import { ALO_PRIORITY_SHARE } from '../../src/sim/order-flow.js';
import { rewriteWithInsertBefore } from '../book/insert-before-data.js';
import { MAIN_SNAPSHOT, readBlocks, tempDir } from './helpers.js';
import { nodeOrder } from '../book/helpers.js';

const T = '2026-07-20T10:00:00.000';

/** Blocks (height → diffs, with an `open` status for every `new`) as a node data directory. */
function writeDiffs(blocks: [number, unknown[]][]): string {
  const dir = tempDir();
  const streams = ['node_order_statuses_by_block', 'node_raw_book_diffs_by_block', 'node_fills_by_block'];
  streams.forEach((stream, i) => {
    const d = join(dir, stream, 'hourly', '20260720');
    mkdirSync(d, { recursive: true });
    const lines = blocks.map(([h, diffs]) => {
      const statuses = (diffs as BookDiffEvent[])
        .filter((e) => typeof e.raw_book_diff === 'object' && 'new' in e.raw_book_diff)
        .map((e) => ({
          time: T,
          user: e.user,
          hash: null,
          builder: null,
          status: 'open',
          order: nodeOrder({ side: e.side, limitPx: e.px, sz: '1.0', oid: e.oid, timestamp: 1, tif: 'Alo' }, e.coin),
        }));
      return JSON.stringify({ local_time: T, block_time: T, block_number: h, events: [statuses, diffs, []][i] });
    });
    writeFileSync(join(d, '10'), lines.join('\n') + '\n');
  });
  return dir;
}

const neu = (oid: number, px: string, insertBefore?: unknown, side = 'B', coin = 'BTC'): unknown => ({
  user: '0x1',
  oid,
  coin,
  side,
  px,
  raw_book_diff: { new: insertBefore === undefined ? { sz: '1.0' } : { sz: '1.0', insertBefore } },
});

describe('insertBefore in check-data', () => {
  it('accepts an order named at its level (and null), reports every other name with its block', async () => {
    const dir = writeDiffs([
      [
        10,
        [
          neu(1, '100.0'),
          neu(2, '100.0', 1),
          neu(3, '100.0', null),
          neu(4, '101.0'),
          neu(5, '100.0', 4),
          neu(6, '100.0', 1, 'A'),
          neu(7, '100.0', 1, 'B', 'ETH'),
        ],
      ],
      [
        11,
        [
          { user: '0x1', oid: 1, coin: 'BTC', side: 'B', px: '100.0', raw_book_diff: 'remove' },
          neu(8, '100.0', 1),
          neu(9, '100.0', 9),
          neu(10, '100.0', '2'),
          neu(11, '100.00', 2),
        ],
      ],
    ]);
    const report = await checkNodeData(dir);
    expect(report.violations.map((v) => [v.height, v.message])).toEqual([
      [10, 'new diff for oid 5 (BTC B 100.0): insertBefore 4 rests as BTC B 101.0, not at that level'],
      [10, 'new diff for oid 6 (BTC A 100.0): insertBefore 1 rests as BTC B 100.0, not at that level'],
      [10, 'new diff for oid 7 (ETH B 100.0): insertBefore 1 rests as BTC B 100.0, not at that level'],
      [11, 'new diff for oid 8 (BTC B 100.0): insertBefore 1 names no resting order'],
      [11, 'new diff for oid 9 (BTC): insertBefore names the order itself'],
      [11, 'new diff for oid 10 (BTC): insertBefore "2" is not an oid'],
    ]);
  });

  it('passes on the shared real blocks rewritten with insertBefore, from their snapshot; a name moved to another level is reported', async () => {
    const data = rewriteWithInsertBefore(20260715);
    const write = (diffs: typeof data.lines.diffs): string => {
      const dir = tempDir();
      for (const [stream, envs] of [
        ['node_order_statuses_by_block', data.lines.statuses],
        ['node_raw_book_diffs_by_block', diffs],
        ['node_fills_by_block', data.lines.fills],
      ] as const) {
        mkdirSync(join(dir, stream, 'hourly', '20260505'), { recursive: true });
        writeFileSync(join(dir, stream, 'hourly', '20260505', '17'), envs.map((e) => JSON.stringify(e)).join('\n') + '\n');
      }
      return dir;
    };
    const clean = await checkNodeData(write(data.lines.diffs), { snapshot: MAIN_SNAPSHOT });
    expect(clean).toMatchObject({ blocks: 25, violationCount: 0 });
    // The first diff with a name, moved one tick up: its target no longer rests at its level.
    const moved = structuredClone(data.lines.diffs);
    const all = moved.flatMap((e) => e.events as BookDiffEvent[]);
    const d = all.find((x) => typeof x.raw_book_diff === 'object' && 'new' in x.raw_book_diff && typeof x.raw_book_diff.new.insertBefore === 'number')!;
    d.px = `${Number(d.px) + 1}.0`;
    const report = await checkNodeData(write(moved), { snapshot: MAIN_SNAPSHOT });
    expect(report.violations[0]!.message).toMatch(
      new RegExp(`^new diff for oid ${d.oid} \\(BTC ${d.side} [\\d.]+\\): insertBefore \\d+ rests as BTC ${d.side} [\\d.]+, not at that level$`),
    );
  }, 60_000);
});

describe('insertBefore in the simulated node', () => {
  it('Alo orders paying for priority write it; check-data passes; the engine following the files ends with the simulator queues', async () => {
    expect(ALO_PRIORITY_SHARE).toBe(0.2);
    const dataDir = tempDir();
    const sim = await startSimulator({ dataDir, infoPort: 0, speed: 'max', seed: 21, profile: 'mainnet', maxBlocks: 60, restingOrders: 4_000, coins: 3 });
    const start: L4SnapshotFile = sim.snapshot();
    await sim.done;
    const end = sim.snapshot();
    await sim.stop();
    const blocks = (await readBlocks(dataDir)).filter((b) => b.height > start[0]);
    const news = blocks.flatMap((b) => b.diffs).filter((d) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff);
    const placed = news.filter((d) => typeof d.raw_book_diff === 'object' && 'new' in d.raw_book_diff && d.raw_book_diff.new.insertBefore !== undefined);
    expect(placed.length).toBeGreaterThan(10);
    expect(placed.length).toBeLessThan(news.length * ALO_PRIORITY_SHARE);
    expect((await checkNodeData(dataDir, { snapshot: start })).violations).toEqual([]);
    const books = Books.fromSnapshot(start);
    for (const b of blocks) expect(books.applyBlock(b).desyncs).toEqual([]);
    expect(books.compare(end)).toBeNull();
    // Some order really sits ahead of an older one at its level.
    const ahead = placed.some((d) => {
      const o = books.book(d.coin)?.resting(d.oid);
      return o !== undefined && o.next !== null && o.next.template.timestamp < o.template.timestamp;
    });
    expect(ahead).toBe(true);
  }, 120_000);
});
