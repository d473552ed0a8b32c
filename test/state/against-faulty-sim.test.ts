/**
 * The feed against a simulated node that misbehaves as real ones do (`faults`): a skipped
 * line, a corrupt one, a half-written one, a restart that loses blocks, a pause, a snapshot
 * that fails and one that comes back late. Every fault heals without a restart of the feed,
 * and at the end the books equal the simulator's.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { createNodeFeed } from '../../src/state/index.js';
import { tempDir } from '../node/files.js';
import { LogRecorder, whenHeight } from './harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('the feed against a simulated node with faults', { timeout: 120_000 }, () => {
  it('heals every fault and ends with the simulator’s books', async () => {
    const sim = await startSimulator({
      dataDir: join(tempDir(), 'data'),
      infoPort: 0,
      seed: 5,
      profile: 'quiet',
      coins: 12,
      restingOrders: 3_000,
      blocksPerSecond: 40,
      speed: 'realtime',
      maxBlocks: 260,
      faults: 'skip@40,corrupt@80,half@120,restart@160:300ms,restart-blocks=3,pause@200:1s,snapshot-fail@2,snapshot-late@3:1500ms',
    });
    cleanup.push(() => sim.stop());
    const log = new LogRecorder();
    const feed = createNodeFeed({
      dataDir: sim.dataDir,
      infoUrl: sim.infoUrl,
      snapshotDir: join(tempDir(), 'snapshots'),
      source: 'simulated',
      logger: log,
      backoff: { initialMs: 20, maxMs: 200 },
      staleAfterMs: 60_000,
      tailer: { pollMs: 20 },
    });
    cleanup.push(() => feed.stop());
    const states: string[] = [];
    feed.on('state', (s) => states.push(s.state));
    sim.on('block', () => feed.wake());
    await feed.start();
    await sim.done;
    await whenHeight(feed, sim.height());
    expect(feed.books.height).toBe(sim.height());
    expect(feed.books.compare(sim.snapshot())).toBeNull();
    expect(sim.stats().faults).toMatchObject({ skip: 1, corrupt: 1, half: 1, restart: 1, pause: 1 });
    // Each broken stream is a gap, each gap a full resync (two close ones may share one).
    const resyncs = log.lines.filter((l) => /^resyncing every coin/.test(l.msg));
    expect(resyncs.length).toBeGreaterThanOrEqual(3);
    expect(log.lines.filter((l) => /skipped a line that is not a block/.test(l.msg)).length).toBeGreaterThanOrEqual(2);
    expect(states[0]).toBe('starting');
    expect(states.at(-1)).toBe('ready');
    expect(feed.status()).toMatchObject({ state: 'ready', repairing: [] });
  });
});
