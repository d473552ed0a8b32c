/**
 * The feed against the simulated node and against a replay of real recorded data: the books
 * it builds through the files path equal the source's truth at matching heights.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Books } from '../../src/book/books.js';
import type { L4SnapshotFile } from '../../src/book/events.js';
import { startReplay, startSimulator, type RunningSim } from '../../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { BTC, tempDir } from '../node/files.js';
import { blockOf, fixture, FIRST, LogRecorder, Truth, whenHeight } from './harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function feedOn(
  sim: RunningSim,
  opts: { backfillBytes?: number } = {},
  layout?: 'by-block' | 'streaming',
): { feed: NodeFeed; states: string[]; log: LogRecorder } {
  const log = new LogRecorder();
  const feed = createNodeFeed({
    dataDir: sim.dataDir,
    infoUrl: sim.infoUrl,
    snapshotDir: join(tempDir(), 'snapshots'),
    wait: true,
    source: 'simulated',
    logger: log,
    backoff: { initialMs: 20, maxMs: 200 },
    tailer: { pollMs: 20, ...opts },
    ...(layout === undefined ? {} : { layout }),
  });
  cleanup.push(() => feed.stop());
  const states: string[] = [];
  feed.on('state', (s) => states.push(s.state));
  return { feed, states, log };
}

/** Null when both snapshots hold the same orders in the same places and order. */
function difference(ours: L4SnapshotFile, truth: L4SnapshotFile): string | null {
  return Books.fromSnapshot(ours).compare(truth);
}

describe('the feed against a simulated node', { timeout: 60_000 }, () => {
  // The streaming layout: the hourly files roll over (hour and day) while a block's event lines
  // are being written, one stream after another; nothing is lost and no gap is reported.
  it.each(['by-block', 'streaming'] as const)(
    'has the simulator’s books at matching heights, across a day rollover and lines written in pieces (%s)',
    async (layout) => {
      const sim = await startSimulator({
        layout,
        dataDir: join(tempDir(), 'data'),
        infoPort: 0,
        seed: 21,
        profile: 'mainnet',
        coins: 20,
        restingOrders: 5_000,
        blocksPerSecond: 40,
        speed: 'realtime',
        maxBlocks: 120,
        partialWrites: true,
        startTime: '2026-12-31T23:59:58',
      });
      cleanup.push(() => sim.stop());
      const { feed, states } = feedOn(sim, {}, layout);
      const start = sim.height() + 1;
      // A streaming block closes once a later line is read: the last block made never does.
      const last = start + 119 - (layout === 'streaming' ? 1 : 0);
      const checkpoints = new Set([start + 40, start + 100, last]);
      const simAt = new Map<number, L4SnapshotFile>();
      const feedAt = new Map<number, L4SnapshotFile>();
      sim.on('block', (h) => {
        if (checkpoints.has(h)) simAt.set(h, sim.snapshot());
      });
      feed.on('block', (c) => {
        if (checkpoints.has(c.height)) feedAt.set(c.height, feed.books.toSnapshot());
      });
      await feed.start();
      await sim.done;
      await whenHeight(feed, last);
      expect(feed.books.height).toBe(last);
      expect(difference(feed.books.toSnapshot(), simAt.get(last)!)).toBeNull();
      for (const h of checkpoints) {
        expect(feedAt.has(h) && simAt.has(h), `height ${h} seen by both`).toBe(true);
        expect(difference(feedAt.get(h)!, simAt.get(h)!), `height ${h}`).toBeNull();
      }
      expect(states).toEqual(['starting', 'ready']);
      expect(feed.status()).toMatchObject({ state: 'ready', source: 'simulated', height: last, repairing: [], layout });
    },
  );

  it('replays mainnet-btc-985148181 through the files to the same book as applying the blocks directly', async () => {
    const replay = await startReplay({
      from: BTC,
      snapshot: join(BTC, 'snapshot-985148181.json.gz'),
      dataDir: join(tempDir(), 'data'),
      infoPort: 0,
      speed: 'max',
    });
    cleanup.push(() => replay.stop());
    // The whole recorded hour (12 MB of statuses) is read even if the replay wrote it before we started.
    const { feed, states } = feedOn(replay, { backfillBytes: 64 * 1024 * 1024 });
    await feed.start();
    await replay.done;
    await whenHeight(feed, FIRST + 24);
    const lines = fixture();
    const direct = new Truth(lines).at(FIRST + 24);
    expect(feed.books.height).toBe(FIRST + 24);
    expect(feed.books.compare(direct.toSnapshot())).toBeNull();
    expect(feed.books.book('BTC')!.size).toBe(direct.book('BTC')!.size);
    expect(feed.status().time).toBe(blockOf(lines, 24).time);
    expect(states).toEqual(['starting', 'ready']);
  });
});
