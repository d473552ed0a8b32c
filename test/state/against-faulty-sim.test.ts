/**
 * The feed against a simulated node that misbehaves as real ones do (`faults`): a skipped
 * line, a corrupt one, a half-written one, a restart that loses blocks, a pause, a snapshot
 * that fails and one that comes back late. Every fault heals without a restart of the feed,
 * and at the end the books equal the simulator's. On both layouts: in the streaming one a
 * skip leaves the stream's event lines of a block out, corrupt and half hit one event line,
 * and a restart loses every stream's lines; a restart there is only visible when it loses more
 * heights than the joiner takes as empty blocks (64), so that run uses a longer one.
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

const START = 1_000_000_000;
const LAYOUTS = [
  { layout: 'by-block', restartBlocks: 3, skip: 'skip@40,', pauseAt: 200 },
  // A skipped block of one stream has no trace in the streaming layout (nothing marks a
  // block's end): no reader can notice it, so that run leaves it out. Its pause comes after
  // the blocks the restart loses.
  { layout: 'streaming', restartBlocks: 70, skip: '', pauseAt: 240 },
] as const;

describe.each(LAYOUTS)('the feed against a simulated node with faults ($layout)', { timeout: 120_000 }, ({ layout, restartBlocks, skip, pauseAt }) => {
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
      maxBlocks: 260 + restartBlocks,
      startHeight: START,
      layout,
      faults: `${skip}corrupt@80,half@120,restart@160:300ms,restart-blocks=${restartBlocks},pause@${pauseAt}:1s,snapshot-fail@2,snapshot-late@3:1500ms`,
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
      layout,
    });
    cleanup.push(() => feed.stop());
    const states: string[] = [];
    feed.on('state', (s) => states.push(s.state));
    // In the streaming layout a block closes once a line of a later one is read: the node's
    // last block never does, so that run compares the books one block before the end.
    const expectedHeight = START + 260 + restartBlocks - (layout === 'streaming' ? 2 : 1);
    let expected: ReturnType<typeof sim.snapshot> | undefined;
    sim.on('block', (h) => {
      feed.wake();
      if (h === expectedHeight) expected = sim.snapshot();
    });
    await feed.start();
    await sim.done;
    await whenHeight(feed, expectedHeight);
    expect(feed.books.height).toBe(expectedHeight);
    expect(expected).toBeDefined();
    expect(feed.books.compare(expected!)).toBeNull();
    expect(sim.stats().faults).toMatchObject({ skip: skip === '' ? 0 : 1, corrupt: 1, half: 1, restart: 1, pause: 1 });
    expect(feed.status().layout).toBe(layout);
    // Each broken stream is a gap, each gap a full resync (two close ones may share one).
    const resyncs = log.lines.filter((l) => /^resyncing every coin/.test(l.msg));
    expect(resyncs.length).toBeGreaterThanOrEqual(3);
    expect(log.lines.filter((l) => /skipped a line that is not a block/.test(l.msg)).length).toBeGreaterThanOrEqual(2);
    expect(states[0]).toBe('starting');
    expect(states.at(-1)).toBe('ready');
    expect(feed.status()).toMatchObject({ state: 'ready', repairing: [] });
  });
});
