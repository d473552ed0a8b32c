/**
 * A gap followed by a node pause: the node skips a block (in every stream, as after a restart,
 * or in one), writes two more and stops writing. Fewer than 8 blocks follow the gap, so only
 * the time bound can declare it: the snapshot is requested once `gapAfterMs` has passed (the
 * joiner's clock is the test's), and the feed is `ready` at the node's height as soon as the
 * snapshot arrives, with no block written meanwhile and no restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeFeed, type NodeFeed } from '../../src/state/index.js';
import { FakeClock } from '../node/fake-clock.js';
import { appendNode, NAMES } from '../node/files.js';
import { blockOf, FIRST, fixture, LogRecorder, startTestNode, Truth, whenHeight, whenStatus, type TestNode } from './harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{
  n: TestNode;
  truth: Truth;
  feed: NodeFeed;
  clock: FakeClock;
  states: string[];
  requests: () => number;
  nextRequest: () => Promise<void>;
  log: LogRecorder;
}> {
  const lines = fixture();
  const truth = new Truth(lines);
  const n = await startTestNode(lines, truth);
  cleanup.push(() => n.close());
  let requests = 0;
  const waiting: (() => void)[] = [];
  n.fail = () => {
    requests++;
    for (const w of waiting.splice(0)) w();
    return undefined;
  };
  const nextRequest = (): Promise<void> => new Promise((resolve) => waiting.push(resolve));
  const clock = new FakeClock();
  const log = new LogRecorder();
  const feed = createNodeFeed({
    dataDir: n.dataDir,
    infoUrl: n.info.url,
    snapshotDir: n.snapshotDir,
    logger: log,
    backoff: { initialMs: 10, maxMs: 50 },
    staleAfterMs: 600_000,
    tailer: { pollMs: 20 },
    joiner: { clock, gapAfterMs: 500 },
  });
  cleanup.push(() => feed.stop());
  const states: string[] = [];
  feed.on('state', (s) => states.push(s.state));
  return { n, truth, feed, clock, states, requests: () => requests, nextRequest, log };
}

describe('a gap, then the node pauses', { timeout: 60_000 }, () => {
  it('a block skipped by every stream: a snapshot is asked for once the bound passes, ready at the node height when it arrives, no restart', async () => {
    const { n, truth, feed, clock, states, requests, nextRequest, log } = await setup();
    await feed.start();
    n.write(0, 5);
    await whenHeight(feed, FIRST + 4);
    expect(requests()).toBe(1);
    // The gap, two blocks, then nothing: the pause.
    n.write(5, 10, { skip: [7] });
    await whenHeight(feed, FIRST + 6);
    await feed.settle();
    clock.advance(499);
    await feed.settle();
    expect(feed.status()).toMatchObject({ state: 'ready', height: FIRST + 6 });
    expect(requests()).toBe(1);
    const requested = nextRequest();
    clock.advance(1);
    // The request goes out while the node is still paused (no block was written since).
    await requested;
    expect(requests()).toBe(2);
    const gap = await log.until(/resyncing every coin/);
    expect(gap.msg).toMatch(
      /block 985148189 is missing from node_order_statuses_by_block, node_raw_book_diffs_by_block, node_fills_by_block: every stream moved past it 500 ms ago/,
    );
    const ready = await whenStatus(feed, (s) => s.state === 'ready' && s.height === FIRST + 9);
    expect(ready.height).toBe(n.written);
    expect(feed.books.compare(truth.snapshot(FIRST + 9))).toBeNull();
    expect(requests()).toBe(2);
    expect(states).toEqual(['starting', 'ready', 'resyncing', 'ready']);
    // And it follows the node when it writes again.
    n.write(10, 25);
    await whenHeight(feed, FIRST + 24);
    expect(feed.books.compare(truth.snapshot(FIRST + 24))).toBeNull();
  });

  it('a block missing from one stream only: the same, and the block time of the frames is the snapshot block’s', async () => {
    const { n, truth, feed, clock, requests } = await setup();
    await feed.start();
    n.write(0, 5);
    await whenHeight(feed, FIRST + 4);
    const lines = fixture();
    for (const s of NAMES) {
      const text = lines[s]
        .slice(5, 9)
        .filter((_l, k) => !(s === 'diffs' && k === 1))
        .map((l) => l + '\n')
        .join('');
      appendNode(n.dataDir, s, '20260505', 17, text);
    }
    n.written = FIRST + 8;
    await whenHeight(feed, FIRST + 5);
    await feed.settle();
    expect(requests()).toBe(1);
    clock.advance(500);
    const ready = await whenStatus(feed, (s) => s.state === 'ready' && s.height === FIRST + 8);
    expect(requests()).toBe(2);
    expect(feed.books.compare(truth.snapshot(FIRST + 8))).toBeNull();
    expect(ready.time).toBe(blockOf(lines, 8).time);
  });
});
