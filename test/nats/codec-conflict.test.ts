/**
 * The compact block: what it keeps (diffs, fills, the statuses that rest an order) and drops
 * (the rejected statuses), read back exactly; and a core that finds a different block in the
 * log at a height it publishes logs and counts the conflict (real nats-server).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { L4SnapshotFile } from '../../src/book/events.js';
import { Books } from '../../src/book/books.js';
import { statusesJson } from '../../src/book/raw-status.js';
import { decode, encode } from '@msgpack/msgpack';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { OrderStatusEvent } from '../../src/book/events.js';
import { RawStatus, statusCoin } from '../../src/book/raw-status.js';
import { bookStatuses, CODEC_VERSION, decodeBlock, encodeBlock, messageVersion } from '../../src/nats/codec.js';
import { BlockLogPublisher } from '../../src/nats/publisher.js';
import { fixtureSnapshotText } from '../node/files.js';
import { ManualFeed } from '../server/helpers/feed.js';
import { blockOf, fixture, FIRST } from '../state/harness.js';
import { HAVE_NATS, startNats } from './nats-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('compact block codec', () => {
  it('keeps diffs, fills and the statuses that rest an order; drops the rest; applies to the same books', () => {
    const lines = fixture();
    const snap = JSON.parse(fixtureSnapshotText()) as L4SnapshotFile;
    const viaNode = Books.fromSnapshot(snap);
    const viaLog = Books.fromSnapshot(snap);
    let all = 0;
    let kept = 0;
    for (let i = 0; i < 25; i++) {
      const block = blockOf(lines, i);
      const back = decodeBlock(encodeBlock(block)).block;
      expect(back.height).toBe(FIRST + i);
      expect(back.time).toBe(block.time);
      expect(JSON.stringify(back.diffs)).toBe(JSON.stringify(block.diffs));
      expect(JSON.stringify(back.fills)).toBe(JSON.stringify(block.fills));
      expect(statusesJson(back.statuses)).toBe(statusesJson(bookStatuses(block.statuses, block.diffs)));
      all += block.statuses.length;
      kept += back.statuses.length;
      const a = viaNode.applyBlock(block);
      const b = viaLog.applyBlock(back);
      expect(JSON.stringify([...b.trades])).toBe(JSON.stringify([...a.trades]));
      expect(b.desyncs).toEqual([]);
      // `all` keeps every status, byte for byte.
      expect(statusesJson(decodeBlock(encodeBlock(block, 'all')).block.statuses)).toBe(statusesJson(block.statuses));
    }
    expect(JSON.stringify(viaLog.toSnapshot())).toBe(JSON.stringify(viaNode.toSnapshot()));
    // The real blocks: most statuses never rest an order.
    expect(kept / all).toBeLessThan(0.2);
  });

  it('refuses a message that is not a block with a coded error', () => {
    expect(() => decodeBlock(new Uint8Array([1, 2, 3]))).toThrow(/block log message/);
  });

  it('refuses a message of another format version naming both; an edge of the last version refuses ours the same way', () => {
    // Version 1: [1, height, time, statuses, diffs, fills, partial], all msgpack.
    const v1 = encode([1, FIRST, 1_778_000_000_000, [], [], [], []]);
    expect(messageVersion(v1)).toBe(1);
    expect(() => decodeBlock(v1)).toThrow(/format version 1, this server reads 2/);
    // What a version-1 edge checks before anything else: an array of at least seven, the version first.
    const ours = decode(encodeBlock(blockOf(fixture(), 0))) as unknown[];
    expect(ours.length).toBeGreaterThanOrEqual(7);
    expect(ours[0]).toBe(CODEC_VERSION);
    expect(CODEC_VERSION).toBe(2);
  });

  it('keeps a status whose text is not ASCII byte for byte, and the ones around it', () => {
    const block = blockOf(fixture(), 0);
    const real = block.statuses.slice(0, 3);
    const event = (real[0] instanceof RawStatus ? real[0].event() : real[0]) as OrderStatusEvent;
    const odd = { ...event, order: { ...event.order, coin: '€URO😀', cloid: 'é\u2028"q"' } } as OrderStatusEvent;
    const statuses = [real[1]!, odd, real[2]!];
    const back = decodeBlock(encodeBlock({ ...block, statuses, diffs: [], fills: [] }, 'all')).block.statuses;
    expect(statusesJson(back)).toBe(statusesJson(statuses));
    expect(statusCoin(back[1]!)).toBe('€URO😀');
    expect((back[1] as RawStatus).event()).toEqual(odd);
  });
});

describe.skipIf(!HAVE_NATS)('conflicting blocks', () => {
  it('a core that finds a different block at a height it publishes logs and counts it', async () => {
    const nats = await startNats();
    cleanups.push(() => nats.close());
    const snap = JSON.parse(fixtureSnapshotText()) as L4SnapshotFile;
    const lines = fixture();
    const feeds = [new ManualFeed('node'), new ManualFeed('node')];
    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_o: object, m?: string) => errors.push(m ?? '') };
    const pubs = feeds.map((f, i) => {
      const p = new BlockLogPublisher({ connection: { servers: [nats.url] }, snapshotEvery: 0, logger: i === 1 ? logger : undefined });
      p.attach(f);
      cleanups.push(() => p.close());
      f.load(snap, 0);
      return p;
    });
    const block = blockOf(lines, 0);
    feeds[0]!.apply(block);
    await pubs[0]!.flushed();
    // The other core applied a block without its fills at the same height.
    const conflict = new Promise<number>((r) => pubs[1]!.once('conflict', r));
    feeds[1]!.apply({ ...block, fills: [] });
    expect(await conflict).toBe(FIRST);
    expect(pubs[1]!.status().conflicts).toBe(1);
    expect(errors.some((e) => /conflict/.test(e))).toBe(true);
    // The same block from both: no conflict.
    const next = blockOf(lines, 1);
    feeds[0]!.apply(next);
    await pubs[0]!.flushed();
    const dup = new Promise<boolean>((r) => pubs[1]!.once('published', (_h, _s, d) => r(d)));
    feeds[1]!.apply(next);
    expect(await dup).toBe(true);
    expect(pubs[1]!.status().conflicts).toBe(1);
  }, 120_000);

  it('a core refuses to publish into a log written in another format version, and says why', async () => {
    const nats = await startNats();
    cleanups.push(() => nats.close());
    const nc = await connect({ servers: nats.url.replace('nats://', '') });
    cleanups.push(() => nc.close());
    await (await jetstreamManager(nc)).streams.add({ name: 'HL_BLOCKS', subjects: ['hl.blocks'] });
    await jetstream(nc).publish('hl.blocks', encode([1, FIRST - 1, 1_778_000_000_000, [], [], [], []]), { msgID: String(FIRST - 1) });
    const feed = new ManualFeed('node');
    const pub = new BlockLogPublisher({ connection: { servers: [nats.url] }, snapshotEvery: 0 });
    pub.attach(feed);
    cleanups.push(() => pub.close());
    feed.load(JSON.parse(fixtureSnapshotText()) as L4SnapshotFile, 0);
    feed.apply(blockOf(fixture(), 0));
    await expect.poll(() => pub.status().error ?? '', { timeout: 60_000 }).toMatch(/holds block log format version 1, this core writes version 2/);
    expect(pub.status()).toMatchObject({ published: null, buffered: 1 });
  }, 120_000);
});
