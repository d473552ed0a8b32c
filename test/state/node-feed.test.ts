import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockChange } from '../../src/book/types.js';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import { STREAMS } from '../../src/node/types.js';
import { createNodeFeed, type NodeFeed, type NodeFeedOptions } from '../../src/state/index.js';
import { NAMES, tempDir } from '../node/files.js';
import { addDiffs, blockOf, FIRST, fixture, gate, LogRecorder, startTestNode, Truth, when, whenHeight, whenStatus, type TestNode } from './harness.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function node(...args: Parameters<typeof startTestNode>): Promise<TestNode> {
  const n = await startTestNode(...args);
  cleanup.push(() => n.close());
  return n;
}

function feedFor(n: TestNode, opts: Partial<NodeFeedOptions> = {}): { feed: NodeFeed; log: LogRecorder; states: string[] } {
  const log = new LogRecorder();
  const feed = createNodeFeed({
    dataDir: n.dataDir,
    infoUrl: n.info.url,
    snapshotDir: n.snapshotDir,
    logger: log,
    backoff: { initialMs: 10, maxMs: 50 },
    staleAfterMs: 60_000,
    ...opts,
    tailer: { pollMs: 20, ...opts.tailer },
  });
  cleanup.push(() => feed.stop());
  const states: string[] = [];
  feed.on('state', (s) => states.push(s.state));
  return { feed, log, states };
}

/** The books equal the truth at the last written height. */
function expectTrue(feed: NodeFeed, truth: Truth, height: number): void {
  expect(feed.books.height).toBe(height);
  expect(feed.books.compare(truth.snapshot(height))).toBeNull();
}

describe('NodeFeed', { timeout: 20_000 }, () => {
  it('starts from a snapshot older than the files, replays the cached blocks above it, then follows', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    const held = gate();
    n.hold = held.promise;
    n.snapshotHeight = () => FIRST + 1;
    const { feed, states } = feedFor(n);
    await feed.start();
    expect(feed.status()).toMatchObject({ state: 'starting', height: null, time: null, lagMs: null, source: 'node', repairing: [] });
    n.write(0, 6);
    await feed.settle();
    const reset = when(feed, 'reset');
    held.open();
    expect(await reset).toEqual(['all', FIRST + 5]);
    expect(feed.status()).toMatchObject({ state: 'ready', height: FIRST + 5 });
    expectTrue(feed, truth, FIRST + 5);
    const blocks: number[] = [];
    feed.on('block', (c) => blocks.push(c.height));
    n.write(6, 25);
    await whenHeight(feed, FIRST + 24);
    expect(blocks).toEqual(Array.from({ length: 19 }, (_, i) => FIRST + 6 + i));
    expectTrue(feed, truth, FIRST + 24);
    expect(states).toEqual(['starting', 'ready']);
    const st = feed.status();
    expect(st.time).toBe(blockOf(lines, 24).time);
    expect(st.lagMs).toBeGreaterThan(0);
    expect(st.eventsPerSecond).toBeGreaterThan(0);
    expect(n.info.requests).toHaveLength(1);
  });

  it('waits for the files to reach a snapshot that is ahead of them', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    n.snapshotHeight = () => FIRST + 10;
    const { feed, log } = feedFor(n);
    await feed.start();
    n.write(0, 3);
    await log.until(/snapshot ahead of the files/);
    expect(feed.status().state).toBe('starting');
    n.write(3, 11);
    await feed.settle();
    expect(feed.status().state).toBe('starting');
    const reset = when(feed, 'reset');
    n.write(11, 25);
    expect(await reset).toEqual(['all', FIRST + 10]);
    await whenHeight(feed, FIRST + 24);
    expectTrue(feed, truth, FIRST + 24);
  });

  it('restarts in the middle of an hour: a new feed picks up from the files and a fresh snapshot', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    const first = feedFor(n);
    await first.feed.start();
    n.write(0, 8);
    await whenHeight(first.feed, FIRST + 7);
    await first.feed.stop();
    n.write(8, 12);
    const second = feedFor(n);
    await second.feed.start();
    n.write(12, 14);
    await whenStatus(second.feed, (s) => s.state === 'ready');
    n.write(14, 25);
    await whenHeight(second.feed, FIRST + 24);
    expectTrue(second.feed, truth, FIRST + 24);
  });

  it('resyncs every coin after a block missing from the files, without a restart', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    const { feed, states } = feedFor(n);
    await feed.start();
    n.write(0, 5);
    await whenHeight(feed, FIRST + 4);
    const held = gate();
    n.hold = held.promise;
    n.write(5, 25, { skip: [8] });
    const resyncing = await whenStatus(feed, (s) => s.state === 'resyncing');
    expect(resyncing.error).toMatch(/block 985148190 is missing/);
    await feed.settle();
    const reset = when(feed, 'reset');
    held.open();
    expect(await reset).toEqual(['all', FIRST + 24]);
    expect(feed.status().state).toBe('ready');
    expect(feed.status().error).toBeUndefined();
    expectTrue(feed, truth, FIRST + 24);
    expect(states).toEqual(['starting', 'ready', 'resyncing', 'ready']);
  });

  it('repairs only the coin with a diff that cannot apply, while the other coins keep updating', async () => {
    // ETH gets a new order in every block (a statusless spot-style order), BTC a remove of an unknown oid in block 12.
    const truthLines = fixture();
    for (let i = 0; i < 25; i++)
      addDiffs(truthLines, i, [{ user: '0xe7', oid: 9000 + i, coin: 'ETH', side: 'B', px: `${100 + i}.0`, raw_book_diff: { new: { sz: '1.5' } } }]);
    const lines = { ...truthLines, diffs: [...truthLines.diffs] };
    addDiffs(lines, 12, [{ user: '0xbad', oid: 1, coin: 'BTC', side: 'B', px: '1.0', raw_book_diff: 'remove' }]);
    const truth = new Truth(truthLines);
    const n = await node(lines, truth);
    const { feed, log } = feedFor(n);
    await feed.start();
    n.write(0, 5);
    await whenHeight(feed, FIRST + 4);
    const held = gate();
    n.hold = held.promise;
    const changes: BlockChange[] = [];
    feed.on('block', (c) => changes.push(c));
    // What the publisher listens to instead of polling status().repairing: started, then ended before the coin's reset.
    const repairEvents: string[] = [];
    feed.on('repair', (coin, repairing) => repairEvents.push(`${coin} ${repairing ? 'started' : 'ended'} at ${feed.status().repairing.join(',') || '-'}`));
    feed.on('reset', (coins) => repairEvents.push(`reset ${String(coins)}`));
    n.write(5, 13);
    const degraded = await whenStatus(feed, (s) => s.state === 'degraded');
    expect(degraded.repairing).toEqual(['BTC']);
    expect(degraded.height).toBe(FIRST + 12);
    const desync = await log.until(/repairing BTC/);
    expect(desync.msg).toMatch(/desync on BTC at height 985148194: oid 1/);
    n.write(13, 20);
    await whenHeight(feed, FIRST + 19);
    // While BTC waits, ETH's books keep moving and BTC's are left alone.
    const during = changes.filter((c) => c.height > FIRST + 12);
    expect(during.map((c) => c.height)).toEqual([13, 14, 15, 16, 17, 18, 19].map((i) => FIRST + i));
    for (const c of during) {
      expect(c.coins.get('ETH')?.changedBids).toEqual([`${100 + c.height - FIRST}.0`]);
      expect(c.coins.has('BTC')).toBe(false);
    }
    expect(feed.books.book('ETH')!.size).toBe(20);
    const reset = when(feed, 'reset');
    held.open();
    expect(await reset).toEqual([['BTC'], FIRST + 19]);
    expect(feed.status()).toMatchObject({ state: 'ready', repairing: [] });
    expect(repairEvents).toEqual(['BTC started at BTC', 'BTC ended at -', 'reset BTC']);
    expectTrue(feed, truth, FIRST + 19);
    n.write(20, 25);
    await whenHeight(feed, FIRST + 24);
    expectTrue(feed, truth, FIRST + 24);
  });

  it('is stale after staleAfterMs without a block, and ready again when blocks flow', async () => {
    const lines = fixture();
    const n = await node(lines);
    const { feed } = feedFor(n, { staleAfterMs: 150 });
    await feed.start();
    n.write(0, 3);
    await whenHeight(feed, FIRST + 2);
    const stale = await whenStatus(feed, (s) => s.state === 'stale');
    expect(stale.height).toBe(FIRST + 2);
    n.write(3, 4);
    await whenStatus(feed, (s) => s.state === 'ready');
    expect(feed.books.height).toBe(FIRST + 3);
  });

  it('retries failed snapshot requests with backoff and gets there', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    let failures = 0;
    n.fail = () => (failures++ < 2 ? 503 : undefined);
    const { feed, log } = feedFor(n);
    await feed.start();
    n.write(0, 3);
    await whenHeight(feed, FIRST + 2);
    expect(n.info.requests.length).toBe(3);
    expect(log.lines.filter((l) => /answered 503/.test(l.msg))).toHaveLength(2);
    expectTrue(feed, truth, FIRST + 2);
  });

  it('fails to start on missing directories, or waits for them with wait', async () => {
    const lines = fixture();
    const n = await node(lines);
    const bare = join(tempDir(), 'data');
    const { feed } = feedFor({ ...n, dataDir: bare });
    const err = await feed.start().then(
      () => undefined,
      (e: unknown) => e as HlobError,
    );
    expect(err).toBeInstanceOf(HlobError);
    expect(err!.code).toBe(ErrorCodes.MISSING_DIR);
    expect(err!.message).toContain(`missing directory ${join(bare, 'node_fills_by_block')}: run the node with --write-fills --batch-by-block`);

    const waiting = feedFor({ ...n, dataDir: bare }, { wait: true }).feed;
    await waiting.start();
    expect(waiting.status()).toMatchObject({ state: 'starting' });
    expect(waiting.status().error).toMatch(/waiting for .*node_order_statuses_by_block/);
    for (const s of NAMES) mkdirSync(join(bare, STREAMS[s].dir), { recursive: true });
    n.dataDir = bare;
    n.write(0, 3);
    await whenHeight(waiting, FIRST + 2);
    expect(waiting.status().state).toBe('ready');
  });

  it('validates against a fresh snapshot: a wrong book is logged with the first differing order and replaced', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const n = await node(lines, truth);
    const { feed, log } = feedFor(n, { validateEveryMs: 100 });
    await feed.start();
    n.write(0, 3);
    await whenHeight(feed, FIRST + 2);
    await feed.settle();
    const book = feed.books.book('BTC')!;
    const victim = book.l4()[0][3]!;
    book.removeResting(book.resting(victim.oid)!);
    const reset = when(feed, 'reset');
    expect(await reset).toEqual([['BTC'], FIRST + 2]);
    const line = await log.until(/validation: BTC differs/);
    expect(line.level).toBe('error');
    expect(line.msg).toContain(String(victim.oid));
    expectTrue(feed, truth, FIRST + 2);
  });
});
