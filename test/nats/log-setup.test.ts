/**
 * What a core sets up in NATS, as created (real nats-server): the stream's retention (by age
 * and bytes, dedupe window, file storage, oldest discarded), the defaults and the options;
 * and the snapshot bucket keeping only the newest few (default 3), named by height; a core
 * back after longer than the dedupe window does not append heights the log already holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { jetstreamManager, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { L4SnapshotFile } from '../../src/book/events.js';
import { nanos } from '../../src/nats/connection.js';
import { BlockLogPublisher, DEFAULT_RETENTION, type PublisherOptions } from '../../src/nats/publisher.js';
import { SnapshotStore, snapshotName } from '../../src/nats/snapshot-store.js';
import { fixtureSnapshotText } from '../node/files.js';
import { ManualFeed } from '../server/helpers/feed.js';
import { blockOf, fixture, FIRST } from '../state/harness.js';
import { HAVE_NATS, startNats, type TestNats } from './nats-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function core(nats: TestNats, opts: Partial<PublisherOptions>): Promise<{ feed: ManualFeed; pub: BlockLogPublisher }> {
  const feed = new ManualFeed('node');
  const pub = new BlockLogPublisher({ connection: { servers: [nats.url] }, ...opts });
  pub.attach(feed);
  cleanups.push(() => pub.close());
  feed.load(JSON.parse(fixtureSnapshotText()) as L4SnapshotFile, 0);
  return { feed, pub };
}

async function natsClient(nats: TestNats): Promise<Awaited<ReturnType<typeof connect>>> {
  const nc = await connect({ servers: nats.url.replace('nats://', '') });
  cleanups.push(() => nc.close());
  return nc;
}

describe.skipIf(!HAVE_NATS)('what a core creates in NATS', () => {
  it('creates the stream with the documented retention: 24 h, 8 GiB, dedupe 2 min, file storage, oldest discarded; options change it', async () => {
    expect(DEFAULT_RETENTION).toEqual({ maxAgeMs: 24 * 3_600_000, maxBytes: 8 * 1024 ** 3, duplicateWindowMs: 120_000 });
    const nats = await startNats();
    cleanups.push(() => nats.close());
    const { feed, pub } = await core(nats, { snapshotEvery: 0 });
    feed.apply(blockOf(fixture(), 0));
    await pub.flushed();
    const other = await core(nats, {
      stream: 'HL_BLOCKS_SHORT',
      subject: 'hl.blocks.short',
      snapshotEvery: 0,
      retention: { maxAgeMs: 3_600_000, maxBytes: 1024 ** 3 },
    });
    other.feed.apply(blockOf(fixture(), 0));
    await other.pub.flushed();

    const jsm = await jetstreamManager(await natsClient(nats));
    const made = (await jsm.streams.info('HL_BLOCKS')).config;
    expect(made).toMatchObject({
      subjects: ['hl.blocks'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(24 * 3_600_000),
      max_bytes: 8 * 1024 ** 3,
      duplicate_window: nanos(120_000),
    });
    const short = (await jsm.streams.info('HL_BLOCKS_SHORT')).config;
    expect(short).toMatchObject({ subjects: ['hl.blocks.short'], max_age: nanos(3_600_000), max_bytes: 1024 ** 3, duplicate_window: nanos(120_000) });
  }, 120_000);

  it('keeps the newest 3 snapshots by default, named by height, dropping older ones as new ones come', async () => {
    const nats = await startNats();
    cleanups.push(() => nats.close());
    const { feed, pub } = await core(nats, { snapshotEvery: 1 });
    const lines = fixture();
    for (let i = 0; i < 5; i++) {
      const stored = new Promise<number>((r) => pub.once('snapshot', r));
      feed.apply(blockOf(lines, i));
      expect(await stored).toBe(FIRST + i);
    }
    const store = await SnapshotStore.open(await natsClient(nats));
    const kept = await store.list();
    expect(kept.map((s) => s.name)).toEqual([2, 3, 4].map((i) => snapshotName(FIRST + i)));
    expect(kept.map((s) => s.height)).toEqual([FIRST + 2, FIRST + 3, FIRST + 4]);
    expect(pub.status().snapshot).toBe(FIRST + 4);
  }, 180_000);

  it('a core back after the dedupe window does not append heights the log already holds, and counts a different block at its tip', async () => {
    const nats = await startNats();
    cleanups.push(() => nats.close());
    const lines = fixture();
    const a = await core(nats, { snapshotEvery: 0, retention: { duplicateWindowMs: 200 } });
    for (let i = 0; i < 6; i++) a.feed.apply(blockOf(lines, i));
    await a.pub.flushed();
    await a.pub.close();
    // The scenario is time itself: JetStream forgets the ids once the window has passed.
    await new Promise((r) => setTimeout(r, 600));
    const b = await core(nats, { snapshotEvery: 0 });
    const conflicts: number[] = [];
    b.pub.on('conflict', (h) => conflicts.push(h));
    for (let i = 0; i < 5; i++) b.feed.apply(blockOf(lines, i));
    // At the log's last height this core applied a different block (another block time).
    const fifth = blockOf(lines, 5);
    b.feed.apply({ ...fifth, time: fifth.time + 1 });
    for (let i = 6; i < 8; i++) b.feed.apply(blockOf(lines, i));
    await b.pub.flushed();
    expect(b.pub.status()).toMatchObject({ skipped: 6, conflicts: 1, published: FIRST + 7, buffered: 0 });
    expect(conflicts).toEqual([FIRST + 5]);
    const info = await (await jetstreamManager(await natsClient(nats))).streams.info('HL_BLOCKS');
    expect(info.state.messages).toBe(8);
    expect(info.state.last_seq - info.state.first_seq + 1).toBe(8);
  }, 120_000);
});
