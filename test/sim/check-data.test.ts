/**
 * check-data: passes on the real mainnet fixtures, finds each kind of violation with its file
 * and line, and as a command exits 0 / 1 / 2 (clean / violations / bad use).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { L4SnapshotFile, NodeOrder } from '../../src/book/index.js';
import { checkNodeData } from '../../src/sim/check-data.js';
import { EARLY_FIXTURE, MAIN_FIXTURE, MAIN_SNAPSHOT, tempDir } from './helpers.js';
import { nodeOrder } from '../book/helpers.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

const T = '2026-05-05T17:39:13.024084407';

function order(oid: number, status: string, extra: Partial<NodeOrder> = {}): unknown {
  return {
    time: T,
    user: '0x1',
    hash: null,
    builder: null,
    status,
    order: nodeOrder({ side: 'B', limitPx: '100.0', sz: '1.0', oid, timestamp: 1, origSz: '1.0', tif: 'Alo', ...extra }),
  };
}
const diff = (oid: number, raw: unknown, coin = 'BTC', px = '100.0'): unknown => ({ user: '0x1', oid, coin, side: 'B', px, raw_book_diff: raw });
const fill = (tid: number, side: string, crossed: boolean): unknown => [
  '0x1',
  {
    coin: 'BTC',
    px: '100.0',
    sz: '1.0',
    side,
    time: 1,
    startPosition: '0.0',
    dir: 'Open Long',
    closedPnl: '0.0',
    hash: '0x0',
    oid: 5,
    crossed,
    fee: '0.0',
    tid,
    feeToken: 'USDC',
    twapId: null,
  },
];

/** Write blocks (height → [statuses, diffs, fills]) as a node data directory; returns it. */
function writeData(blocks: [number, unknown[], unknown[], unknown[]][]): string {
  const dir = tempDir();
  const streams = ['node_order_statuses_by_block', 'node_raw_book_diffs_by_block', 'node_fills_by_block'];
  streams.forEach((stream, i) => {
    const d = join(dir, stream, 'hourly', '20260505');
    mkdirSync(d, { recursive: true });
    const lines = blocks.map(([h, ...events]) => JSON.stringify({ local_time: T, block_time: T, block_number: h, events: events[i] }));
    writeFileSync(join(d, '17'), lines.join('\n') + '\n');
  });
  return dir;
}

const BAD_BLOCKS: [number, unknown[], unknown[], unknown[]][] = [
  [
    100,
    [order(1, 'open'), order(2, 'badAloPxRejected')],
    [diff(1, { new: { sz: '1.0' } }), diff(2, { new: { sz: '1.0' } }), diff(3, { new: { sz: '1.0' } }), diff(4, { new: { sz: '5.0' } }, '@5', '0.5')],
    [fill(9, 'B', true)],
  ],
  [101, [], [diff(1, { update: { origSz: '0.5', newSz: '0.25' } }), diff(7, 'remove')], [fill(10, 'B', true), fill(10, 'A', false)]],
  [103, [], [diff(7, 'remove')], [fill(11, 'B', true), fill(11, 'B', false)]],
];

describe('check-data', () => {
  it('passes on the real fixtures (with their snapshot where there is one)', async () => {
    const main = await checkNodeData(MAIN_FIXTURE, { snapshot: MAIN_SNAPSHOT });
    expect(main).toMatchObject({ blocks: 25, firstHeight: 985148182, lastHeight: 985148206, violationCount: 0 });
    expect(main.statuses).toBeGreaterThan(20_000);
    const early = await checkNodeData(EARLY_FIXTURE);
    expect(early).toMatchObject({ blocks: 40, violationCount: 0 });
  });

  it('finds each violation with its file, line and block', async () => {
    const dir = writeData(BAD_BLOCKS);
    const r = await checkNodeData(dir);
    const at = (stream: string): string => join(dir, stream, 'hourly', '20260505', '17');
    const D = at('node_raw_book_diffs_by_block');
    const S = at('node_order_statuses_by_block');
    const F = at('node_fills_by_block');
    const found = r.violations.map((v) => `${v.file === D ? 'D' : v.file === S ? 'S' : v.file === F ? 'F' : v.file}:${v.line}:${v.height} ${v.message}`);
    expect(found).toEqual([
      expect.stringMatching(/^D:1:100 diff for oid 2 .*badAloPxRejected: rejected orders produce no diffs/),
      expect.stringMatching(/^D:1:100 new diff for oid 2 .*statuses in this block are badAloPxRejected/),
      expect.stringMatching(/^D:1:100 new diff for oid 3 \(BTC\) has no open or triggered status/),
      expect.stringMatching(/^F:1:100 tid 9 has 1 fill/),
      expect.stringMatching(/^D:2:101 update diff for oid 1 \(BTC\): origSz 0.5 but the order rests with 1.0/),
      expect.stringMatching(/^S:3:103 node_order_statuses: height 103 after 101: 1 block\(s\) missing/),
      expect.stringMatching(/^D:3:103 node_raw_book_diffs: height 103 after 101/),
      expect.stringMatching(/^F:3:103 node_fills: height 103 after 101/),
      expect.stringMatching(/^D:3:103 remove diff for oid 7 \(BTC\) names no resting order/),
      expect.stringMatching(/^F:3:103 fills of tid 11 are not one buyer and one seller/),
    ]);
    expect(r.violationCount).toBe(10);
  });

  it('with a snapshot, knows every resting order and refuses unknown ones', async () => {
    const snapshot: L4SnapshotFile = [99, [['BTC', [[['0x1', (order(7, 'open') as { order: NodeOrder }).order]], []]]]];
    const dir = writeData([
      [100, [], [diff(7, { update: { origSz: '1.0', newSz: '0.5' } }), diff(8, 'remove')], []],
      [101, [], [diff(7, 'remove')], []],
    ]);
    const r = await checkNodeData(dir, { snapshot });
    expect(r.violations.map((v) => v.message)).toEqual([expect.stringMatching(/remove diff for oid 8 \(BTC\) names no resting order/)]);
    const late = await checkNodeData(dir, { snapshot: [90, snapshot[1]] });
    expect(late.violations[0]!.message).toMatch(/data resumes at block 100 but the snapshot is at 90/);
  });

  it('as a command: exit 0 when clean, 1 with the violations listed, 2 on bad use', async () => {
    const ok = await run('node', [CLI, 'check-data', MAIN_FIXTURE, '--snapshot', MAIN_SNAPSHOT]);
    expect(ok.stdout).toMatch(/25 blocks \(985148182\.\.985148206\).*: OK\n$/);
    const dir = writeData(BAD_BLOCKS);
    const bad = await run('node', [CLI, 'check-data', dir, '--max-violations', '3']).then(
      () => expect.unreachable('exit 0'),
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad.code).toBe(1);
    const lines = bad.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/node_raw_book_diffs_by_block\/hourly\/20260505\/17:1: block 100: diff for oid 2/);
    expect(lines[3]).toMatch(/10 violation\(s\) \(first 3 shown\)$/);
    const missing = await run('node', [CLI, 'check-data', join(dir, 'nope')]).then(
      () => expect.unreachable('exit 0'),
      (err: { code: number; stderr: string }) => err,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hl-orderbook check-data: no such directory: .*nope$/)]);
  });
});
