/**
 * The client against the real server (src/server) on 127.0.0.1, port 0, fed by a
 * `BookFeed` over real mainnet data: the L4 replica equals the server's book; the server
 * killed and started again on the same port, the client reconnects, re-subscribes and
 * converges; a resync delivers a fresh snapshot that the replica follows; the L2 and BBO
 * trackers agree with the replica's own views.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Block, L4SnapshotFile } from '../../src/book/index.js';
import { ClientBuilder } from '../../src/client/core/builder.js';
import type { Client } from '../../src/client/core/client.js';
import { Bbo } from '../../src/client/modules/bbo.js';
import { L2BookTracker } from '../../src/client/modules/l2-book-tracker.js';
import { L4BookTracker } from '../../src/client/modules/l4-book-tracker.js';
import { Post } from '../../src/client/modules/post.js';
import { ServerStatus } from '../../src/client/modules/server-status.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { loadBlocks, loadSnapshot, MAIN } from '../book/fixtures.js';
import { FixtureFeed } from './support/fixture-feed.js';
import { RecordingLogger } from './support/harness.js';

let snapshot: L4SnapshotFile;
let blocks: Block[];
let server: RunningServer | undefined;
let client: Client | undefined;

beforeAll(() => {
  snapshot = loadSnapshot(MAIN);
  blocks = loadBlocks(MAIN);
});

afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function setup(): Promise<{ feed: FixtureFeed; client: Client }> {
  const feed = new FixtureFeed(snapshot, blocks);
  server = await startServer({ feed, host: '127.0.0.1', port: 0 });
  client = new ClientBuilder(server.url)
    .withModule(L4BookTracker)
    .withModule(L2BookTracker)
    .withModule(Bbo)
    .withModule(Post)
    .withModule(ServerStatus)
    .withLogger(new RecordingLogger())
    .withReconnectPolicy({ baseMs: 20, maxMs: 200, jitter: 0 })
    .build();
  await client.connect();
  return { feed, client };
}

describe('client ↔ real server', () => {
  it('the L4 replica equals the server book after N blocks', async () => {
    const { feed, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    const replica = await tracker.track('BTC');
    expect(replica.height).toBe(feed.height);
    // Block 985148193 of the fixture is empty: the replica's height stops at 985148192 for it.
    for (let i = 0; i < 12; i++) feed.next();
    await tracker.waitForHeight('BTC', feed.replicaHeight);
    expect(replica.height).toBe(985148192);
    expect(replica.l4()).toEqual(feed.books.book('BTC')?.l4());
    expect(replica.bbo()).toEqual(feed.books.book('BTC')?.bbo());
  });

  it('the server killed and started again: the client reconnects, re-subscribes and converges', async () => {
    const { feed, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track('BTC');
    for (let i = 0; i < 4; i++) feed.next();
    await tracker.waitForHeight('BTC', feed.replicaHeight);
    const port = (server as RunningServer).port;
    const lost = new Promise((resolve) => client.events.once('connectionClosed', resolve));
    await server?.close();
    await lost;
    for (let i = 0; i < 4; i++) feed.next();
    server = await startServer({ feed, host: '127.0.0.1', port });
    await client.whenOpen();
    // The re-subscribe brings a snapshot at the server's height.
    await tracker.waitForHeight('BTC', feed.height);
    for (let i = 0; i < 6; i++) feed.next();
    const replica = await tracker.waitForHeight('BTC', feed.replicaHeight);
    expect(replica.l4()).toEqual(feed.books.book('BTC')?.l4());
  });

  it('a server resync delivers a fresh snapshot and the replica follows', async () => {
    const { feed, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track('BTC');
    const kinds: string[] = [];
    tracker.on('change', (c) => kinds.push(`${c.kind} ${c.height}`));
    feed.next();
    feed.next();
    await tracker.waitForHeight('BTC', feed.replicaHeight);
    feed.resync();
    const resynced = feed.height;
    const fresh = new Promise<void>((resolve) => tracker.on('change', (c) => c.kind === 'snapshot' && resolve()));
    await fresh;
    const height = feed.next();
    const replica = await tracker.waitForHeight('BTC', height);
    expect(kinds).toContain(`snapshot ${resynced}`);
    expect(replica.l4()).toEqual(feed.books.book('BTC')?.l4());
  });

  it('L2BookTracker, Bbo and a post info request agree with the replica', async () => {
    const { feed, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    const l2 = client.getHandle(L2BookTracker);
    const bbo = client.getHandle(Bbo);
    const replica = await tracker.track('BTC');
    await l2.track('BTC', { nSigFigs: 5, mantissa: null });
    await bbo.track('BTC');
    const height = feed.next();
    await tracker.waitForHeight('BTC', height);
    const params = { nSigFigs: 5, mantissa: null, nLevels: 20 };
    const view = await l2.waitFor('BTC', (v) => JSON.stringify(v.levels) === JSON.stringify(replica.l2(params)));
    expect(view.levels).toEqual(replica.l2(params));
    const top = await bbo.waitFor('BTC', (v) => JSON.stringify([v.bid, v.ask]) === JSON.stringify(replica.bbo()));
    expect([top.bid, top.ask]).toEqual(replica.bbo());
    const answer = await client.getHandle(Post).info<{ levels: unknown }>({ type: 'l2Book', coin: 'BTC', nSigFigs: 5, mantissa: null });
    expect(answer.levels).toEqual(replica.l2(params));
  });

  it('ServerStatus reports the server ready', async () => {
    const { client } = await setup();
    const status = client.getHandle(ServerStatus);
    await status.watch();
    expect((await status.waitFor('ready')).source).toBe('simulated');
  });
});
