/**
 * The acceptance loop in small: the simulator's files pass check-data from its own snapshot,
 * and the engine, loaded from a snapshot asked of the info server while blocks are written,
 * applies every later block without a desync and ends equal to the simulator's next snapshot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Books, type L4Order, type L4SnapshotFile } from '../../src/book/index.js';
import { checkNodeData } from '../../src/sim/check-data.js';
import { startSimulator, type SimulatorOptions } from '../../src/sim/simulator.js';
import { l4Request, postInfo, readBlocks, tempDir } from './helpers.js';

async function snapshotOf(infoUrl: string, outPath: string): Promise<L4SnapshotFile> {
  const res = await postInfo(infoUrl, l4Request(outPath));
  expect(res.status).toBe(200);
  return JSON.parse(readFileSync(outPath, 'utf8')) as L4SnapshotFile;
}

async function roundTrip(opts: Omit<SimulatorOptions, 'dataDir' | 'infoPort' | 'speed'>, snapshotAfter: number): Promise<void> {
  const dataDir = tempDir();
  const out = tempDir();
  const sim = await startSimulator({ ...opts, dataDir, infoPort: 0, speed: 'max' });
  const first = sim.height() + 1;
  // Ask for the snapshot while the simulator keeps writing, as the server does.
  await new Promise<void>((resolve) => {
    const on = (h: number): void => {
      if (h >= first + snapshotAfter) {
        sim.off('block', on);
        resolve();
      }
    };
    sim.on('block', on);
  });
  const start = await snapshotOf(sim.infoUrl, join(out, 'start.json'));
  await sim.done;
  const end = await snapshotOf(sim.infoUrl, join(out, 'end.json'));
  await sim.stop();
  expect(end[0]).toBe(sim.height());
  expect(start[0]).toBeLessThan(end[0]);

  const report = await checkNodeData(dataDir, { snapshot: start });
  expect(report.violations).toEqual([]);
  expect(report.blocks).toBe(end[0] - start[0]);
  let endOrders = 0;
  for (const [, [bids, asks]] of end[1]) endOrders += bids.length + asks.length;
  expect(report.restingOrders).toBe(endOrders);

  const books = Books.fromSnapshot(start);
  let desyncs = 0;
  let unmatched = 0;
  let trades = 0;
  for (const block of await readBlocks(dataDir)) {
    if (block.height <= start[0]) continue;
    const change = books.applyBlock(block);
    desyncs += change.desyncs.length;
    unmatched += change.unmatchedFills.length;
    for (const t of change.trades.values()) trades += t.length;
  }
  expect(desyncs).toBe(0);
  expect(unmatched).toBe(0);
  expect(trades).toBeGreaterThan(0);
  expect(books.height).toBe(end[0]);
  expect(books.compare(end)).toBeNull();
  // Every field of every order, not only place and size.
  for (const [coin, [bids, asks]] of end[1]) {
    const want = (side: typeof bids): L4Order[] => side.map(([user, o]) => ({ ...o, user }));
    expect(books.book(coin)?.l4() ?? [[], []], coin).toEqual([want(bids), want(asks)]);
  }
}

describe('simulator, check-data and engine agree', () => {
  it('on stress blocks: check-data passes and the engine replays them to the next snapshot', async () => {
    await roundTrip({ profile: 'stress', seed: 11, maxBlocks: 70, restingOrders: 20_000 }, 10);
  });

  it('on 200 coins with generated names and prices of every magnitude', async () => {
    await roundTrip({ profile: 'mainnet', seed: 12, coins: 200, maxBlocks: 80, restingOrders: 50_000 }, 5);
  });
});
