/**
 * The feed on any `BlockSource` (here one fed by the test, as a NATS edge source will be): it
 * needs no files. Blocks are cached while the snapshot loads and replayed above it; a snapshot
 * older than the first block needs the source to read back (`readRange`), and without it the
 * feed asks again instead of guessing; a `gap` rebuilds every coin.
 */
import { EventEmitter } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../../src/book/events.js';
import { ErrorCodes, HlobError } from '../../src/errors.js';
import type { BlockSource, BlockSourceEventMap } from '../../src/node/block-source.js';
import type { SnapshotFile } from '../../src/node/snapshot.js';
import { NodeFeed, type FeedOptions } from '../../src/state/node-feed.js';
import { tempDir } from '../node/files.js';
import { blockOf, fixture, FIRST, LogRecorder, Truth, when, whenHeight } from './harness.js';

class TestSource extends EventEmitter<BlockSourceEventMap> implements BlockSource {
  started = false;
  readRange?: (from: number, to: number) => AsyncIterable<Block>;
  async start(): Promise<void> {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.started = false;
  }
  block(b: Block): void {
    this.emit('block', { block: b, bytes: 0, lineBytes: { statuses: 0, diffs: 0, fills: 0 } });
  }
}

const feeds: NodeFeed[] = [];
afterEach(async () => {
  for (const f of feeds.splice(0)) await f.stop();
});

/** Snapshots of the truth at the heights asked for, one after the other, written as the node writes them. */
function snapshots(truth: Truth, heights: number[]): FeedOptions['snapshots'] & { asked: number } {
  const dir = tempDir('hlob-feed-source-');
  const p = {
    asked: 0,
    fetch: async (): Promise<SnapshotFile> => {
      const h = heights[Math.min(p.asked, heights.length - 1)]!;
      p.asked++;
      const path = join(dir, `snap-${p.asked}.json`);
      const text = JSON.stringify(truth.snapshot(h));
      await writeFile(path, text);
      return { path, bytes: text.length, tookMs: 0, remove: () => rm(path, { force: true }) };
    },
  };
  return p;
}

function feedOn(src: BlockSource, snaps: FeedOptions['snapshots'], logger = new LogRecorder()): NodeFeed {
  const feed = new NodeFeed(src, { snapshots: snaps, logger, backoff: { initialMs: 5, maxMs: 20 }, staleAfterMs: 60_000 });
  feeds.push(feed);
  return feed;
}

describe('NodeFeed on a BlockSource given to it', { timeout: 60_000 }, () => {
  it('starts its source, replays the blocks cached above the snapshot, follows, and rebuilds on a gap', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const src = new TestSource();
    const snaps = snapshots(truth, [FIRST + 2, FIRST + 7]);
    const feed = feedOn(src, snaps);
    await feed.start();
    expect(src.started).toBe(true);
    const ready = when(feed, 'reset');
    for (let i = 0; i < 5; i++) src.block(blockOf(lines, i));
    expect(await ready).toEqual(['all', FIRST + 4]);
    expect(feed.books.compare(truth.snapshot(FIRST + 4))).toBeNull();
    src.block(blockOf(lines, 5));
    await whenHeight(feed, FIRST + 5);
    // Heights 6 and 7 are lost: the source says so; the next blocks rebuild every coin.
    src.emit('gap', { height: FIRST + 6, reason: 'missing', streams: ['diffs'], error: new HlobError(ErrorCodes.HEIGHT_GAP, 'lost 6 and 7') });
    expect(feed.status().state).toBe('resyncing');
    const again = when(feed, 'reset');
    for (let i = 8; i < 10; i++) src.block(blockOf(lines, i));
    expect(await again).toEqual(['all', FIRST + 9]);
    expect(feed.books.compare(truth.snapshot(FIRST + 9))).toBeNull();
    expect(snaps.asked).toBe(2);
    await feed.stop();
    expect(src.started).toBe(false);
  });

  it('catches a snapshot older than the first block up with the source’s readRange, and asks again when it has none', async () => {
    const lines = fixture();
    const truth = new Truth(lines);
    const src = new TestSource();
    const read: [number, number][] = [];
    src.readRange = async function* (from: number, to: number) {
      read.push([from, to]);
      for (let h = from; h <= to; h++) yield blockOf(lines, h - FIRST);
    };
    const feed = feedOn(src, snapshots(truth, [FIRST + 1]));
    await feed.start();
    const ready = when(feed, 'reset');
    for (let i = 6; i < 9; i++) src.block(blockOf(lines, i));
    expect(await ready).toEqual(['all', FIRST + 8]);
    expect(read).toEqual([[FIRST + 2, FIRST + 5]]);
    expect(feed.books.compare(truth.snapshot(FIRST + 8))).toBeNull();

    const bare = new TestSource();
    const snaps = snapshots(truth, [FIRST + 1, FIRST + 1, FIRST + 6]);
    const log = new LogRecorder();
    const other = feedOn(bare, snaps, log);
    await other.start();
    const otherReady = when(other, 'reset');
    for (let i = 6; i < 9; i++) bare.block(blockOf(lines, i));
    expect(await otherReady).toEqual(['all', FIRST + 8]);
    expect((await log.until(/not usable/)).msg).toMatch(/snapshot at 985148183 not usable: the block source cannot read back blocks 985148184\.\.985148187/);
    expect(snaps.asked).toBe(3);
  });
});
