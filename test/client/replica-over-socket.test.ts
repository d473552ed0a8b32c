/**
 * The L4 replica over real sockets, against a stand-in server: a scripted peer on
 * 127.0.0.1 that keeps its own engine `Books` from real mainnet data and serves `l4Book`
 * as protocol.md says (Snapshot at once, then one Updates per block). It is killed and
 * started again on the same port, and it resyncs. (The same scenarios against the real
 * server and simulated node live in server-integration.test.ts.)
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Books, type Block, type L4SnapshotFile } from '../../src/book/index.js';
import { ClientBuilder } from '../../src/client/core/builder.js';
import type { Client } from '../../src/client/core/client.js';
import { L4BookTracker } from '../../src/client/modules/l4-book-tracker.js';
import { loadBlocks, loadSnapshot, MAIN } from '../book/fixtures.js';
import { RecordingLogger } from './support/harness.js';
import { snapshotFrame, updatesFrame } from './support/l4-frames.js';
import { ScriptedPeer } from './support/scripted-peer.js';

let snapshot: L4SnapshotFile;
let blocks: Block[];

beforeAll(() => {
  snapshot = loadSnapshot(MAIN);
  blocks = loadBlocks(MAIN);
});

/** The stand-in server: its books, its peer, its block cursor. */
class EnginePeer {
  books = Books.fromSnapshot(snapshot);
  next = 0;
  peer!: ScriptedPeer;

  async start(port = 0): Promise<void> {
    this.peer = await ScriptedPeer.start({ extraTypes: ['l4Book'], onSubscribe: (sub, send) => sub.type === 'l4Book' && send(this.snapshot()) }, port);
  }

  snapshot(): object {
    const time = this.next > 0 ? (blocks[this.next - 1] as Block).time : (blocks[0] as Block).time - 1;
    return snapshotFrame(this.books.toSnapshot(), 'BTC', time);
  }

  /** Applies the next block to its books and sends it to subscribers (if listening). */
  block(publish = true): number {
    const b = blocks[this.next++] as Block;
    expect(this.books.applyBlock(b).desyncs).toEqual([]);
    // As the server: no Updates for a block without events of the coin.
    const quiet = !b.statuses.some((st) => st.order.coin === 'BTC') && !b.diffs.some((d) => d.coin === 'BTC');
    if (publish && !quiet) this.peer.publish('l4Book', (updatesFrame(b, 'BTC') as { data: unknown }).data, (s) => s.coin === 'BTC');
    return b.height;
  }

  /** A resync as the server does it: books rebuilt from a snapshot, a fresh Snapshot to every subscriber. */
  resync(): void {
    this.books = Books.fromSnapshot(this.books.toSnapshot());
    this.peer.publish('l4Book', (this.snapshot() as { data: unknown }).data, (s) => s.coin === 'BTC');
  }
}

let server: EnginePeer | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.close();
  await server?.peer.close();
  client = undefined;
  server = undefined;
});

async function setup(): Promise<{ server: EnginePeer; client: Client }> {
  server = new EnginePeer();
  await server.start();
  client = new ClientBuilder(server.peer.url)
    .withModule(L4BookTracker)
    .withLogger(new RecordingLogger())
    .withReconnectPolicy({ baseMs: 20, maxMs: 100, jitter: 0 })
    .build();
  await client.connect();
  return { server, client };
}

describe('L4BookTracker over a socket', () => {
  it('the replica equals the server book after N blocks', async () => {
    const { server, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track('BTC');
    let height = 0;
    for (let i = 0; i < 10; i++) height = server.block();
    const replica = await tracker.waitForHeight('BTC', height);
    expect(replica.l4()).toEqual(server.books.book('BTC')?.l4());
    expect(server.books.compare([replica.height, [['BTC', replica.l4().map((side) => side.map(({ user, ...o }) => [user, o]))]]] as L4SnapshotFile)).toBeNull();
  });

  it('after the server is killed and started again the client reconnects, re-subscribes and converges', async () => {
    const { server, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track('BTC');
    for (let i = 0; i < 5; i++) server.block();
    await tracker.waitForHeight('BTC', (blocks[4] as Block).height);
    const port = server.peer.port;
    const lost = new Promise((resolve) => client.events.once('connectionClosed', resolve));
    await server.peer.close();
    await lost;
    expect(tracker.replica('BTC')?.synced).toBe(false);
    // Blocks go on while the client is away.
    for (let i = 0; i < 5; i++) server.block(false);
    await server.start(port);
    await client.whenOpen();
    // The re-subscribe brings a snapshot at the server's height; then blocks flow again.
    await tracker.waitForHeight('BTC', (blocks[9] as Block).height);
    // Blocks 985148192..985148196; 985148193 is quiet, the last is not.
    let height = 0;
    for (let i = 0; i < 5; i++) height = server.block();
    const replica = await tracker.waitForHeight('BTC', height);
    expect(replica.l4()).toEqual(server.books.book('BTC')?.l4());
  });

  it('a server resync delivers a fresh snapshot and the replica follows it', async () => {
    const { server, client } = await setup();
    const tracker = client.getHandle(L4BookTracker);
    await tracker.track('BTC');
    const kinds: string[] = [];
    tracker.on('change', (c) => kinds.push(c.kind));
    for (let i = 0; i < 3; i++) server.block();
    await tracker.waitForHeight('BTC', (blocks[2] as Block).height);
    server.resync();
    let height = 0;
    for (let i = 0; i < 3; i++) height = server.block();
    const replica = await tracker.waitForHeight('BTC', height);
    expect(kinds).toEqual(['updates', 'updates', 'updates', 'snapshot', 'updates', 'updates', 'updates']);
    expect(replica.l4()).toEqual(server.books.book('BTC')?.l4());
  });
});
