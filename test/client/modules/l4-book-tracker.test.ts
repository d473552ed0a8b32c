import { beforeAll, describe, expect, it } from 'vitest';
import { Books, type Block, type L4SnapshotFile } from '../../../src/book/index.js';
import { L4BookTracker, type L4BookTrackerHandle, type L4Change } from '../../../src/client/modules/l4-book-tracker.js';
import { loadBlocks, loadSnapshot, MAIN } from '../../book/fixtures.js';
import { ack, connected, sent, type Harness } from '../support/harness.js';
import { snapshotFrame, updatesFrame } from '../support/l4-frames.js';

const SUB = { type: 'l4Book', coin: 'BTC', bookOnly: true };

let snapshot: L4SnapshotFile;
let blocks: Block[];
let snapshotText: string;

beforeAll(() => {
  snapshot = loadSnapshot(MAIN);
  blocks = loadBlocks(MAIN);
  // Serialized once: 51,351 orders, as the server would send them.
  snapshotText = JSON.stringify(snapshotFrame(snapshot, 'BTC', (blocks[0] as Block).time - 1));
});

/** The engine replaying the same data directly: what the replica must equal. */
function reference(upTo: number): Books {
  const books = Books.fromSnapshot(snapshot);
  for (const b of blocks.slice(0, upTo)) books.applyBlock(b);
  return books;
}

async function tracking(): Promise<Harness & { tracker: L4BookTrackerHandle }> {
  const h = await connected((b) => b.withModule(L4BookTracker));
  const tracker = h.client.getHandle(L4BookTracker);
  const replica = tracker.track('BTC');
  await sent(h.socket, { method: 'subscribe', subscription: SUB });
  h.socket.receive(ack(SUB));
  h.socket.receive(snapshotText);
  await replica;
  return { ...h, tracker };
}

describe('L4BookTracker', () => {
  it('builds the replica from the snapshot and follows every block of real mainnet data exactly', async () => {
    const { socket, client } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    const replica = tracker.replica('BTC');
    expect(replica?.height).toBe(985148181);
    expect(replica?.size).toBe(51_351);
    socket.receive(updatesFrame(blocks[0] as Block, 'BTC'));
    expect(replica?.bbo()).toEqual([
      { px: '81307.0', sz: '0.20195', n: 4 },
      { px: '81308.0', sz: '6.08174', n: 49 },
    ]);
    expect(replica?.mid()).toBe('81307.5');
    for (const b of blocks.slice(1)) socket.receive(updatesFrame(b, 'BTC'));
    expect(replica?.height).toBe(985148206);
    const truth = reference(blocks.length).book('BTC');
    expect(replica?.l4()).toEqual(truth?.l4());
    expect(replica?.l2({ nSigFigs: 5, mantissa: 2, nLevels: 50 })).toEqual(truth?.l2({ nSigFigs: 5, mantissa: 2, nLevels: 50 }));
  });

  it('keeps per-user open orders in step with the book', async () => {
    const { socket, client } = await tracking();
    const replica = client.getHandle(L4BookTracker).replica('BTC');
    for (const b of blocks) socket.receive(updatesFrame(b, 'BTC'));
    const [bids, asks] = replica?.l4() ?? [[], []];
    const all = [...bids, ...asks];
    const users = [...new Set(all.map((o) => o.user))].slice(0, 40);
    // Include users whose orders were added or removed by the blocks.
    for (const b of blocks) for (const d of b.diffs) users.push(d.user);
    for (const user of new Set(users)) {
      const expected = all
        .filter((o) => o.user === user)
        .map((o) => o.oid)
        .sort((a, b) => a - b);
      const got = (replica?.ordersOf(user.toUpperCase().replace('0X', '0x')) ?? []).map((o) => o.oid).sort((a, b) => a - b);
      expect(got, user).toEqual(expected);
    }
  });

  it('ignores Updates at or below the replica height, and counts them', async () => {
    const { socket, client } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    const changes: L4Change[] = [];
    tracker.on('change', (c) => changes.push(c));
    socket.receive(updatesFrame(blocks[0] as Block, 'BTC'));
    socket.receive(updatesFrame(blocks[1] as Block, 'BTC'));
    // A duplicate and a late frame: applying either again would corrupt the book.
    socket.receive(updatesFrame(blocks[1] as Block, 'BTC'));
    socket.receive(updatesFrame(blocks[0] as Block, 'BTC'));
    expect(tracker.ignoredUpdates).toBe(2);
    expect(changes.map((c) => [c.kind, c.height])).toEqual([
      ['updates', 985148182],
      ['updates', 985148183],
    ]);
    expect(tracker.replica('BTC')?.l4()).toEqual(reference(2).book('BTC')?.l4());
  });

  it("takes an Updates without events (no coin named) as the only tracked coin's height", async () => {
    const { socket, client } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    socket.receive({ channel: 'l4Book', data: { Updates: { time: 5, height: 985148182, order_statuses: [], book_diffs: [] } } });
    expect(tracker.replica('BTC')?.height).toBe(985148182);
    expect(tracker.replica('BTC')?.l4()).toEqual(reference(0).book('BTC')?.l4());
  });

  it('replaces the replica with a fresh Snapshot (a server resync)', async () => {
    const { socket, client } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    for (const b of blocks.slice(0, 3)) socket.receive(updatesFrame(b, 'BTC'));
    // The server resynced: a snapshot at block 10's height, then updates from block 11.
    const later = reference(10).toSnapshot();
    socket.receive(snapshotFrame(later, 'BTC', (blocks[9] as Block).time));
    expect(tracker.replica('BTC')?.height).toBe(985148191);
    for (const b of blocks.slice(10)) socket.receive(updatesFrame(b, 'BTC'));
    expect(tracker.replica('BTC')?.l4()).toEqual(reference(blocks.length).book('BTC')?.l4());
  });

  it('after a reconnect ignores Updates until the fresh snapshot, then follows again', async () => {
    const h = await tracking();
    const tracker = h.client.getHandle(L4BookTracker);
    for (const b of blocks.slice(0, 5)) h.socket.receive(updatesFrame(b, 'BTC'));
    const next = await h.reconnect();
    expect(tracker.replica('BTC')?.synced).toBe(false);
    await sent(next, { method: 'subscribe', subscription: SUB });
    next.receive(ack(SUB));
    // Blocks 6..8 were missed while disconnected; a stray update before the snapshot is ignored.
    next.receive(updatesFrame(blocks[8] as Block, 'BTC'));
    expect(tracker.ignoredUpdates).toBe(1);
    next.receive(snapshotFrame(reference(8).toSnapshot(), 'BTC', (blocks[7] as Block).time));
    await tracker.waitForHeight('BTC', 985148189);
    for (const b of blocks.slice(8)) next.receive(updatesFrame(b, 'BTC'));
    expect(tracker.replica('BTC')?.synced).toBe(true);
    expect(tracker.replica('BTC')?.l4()).toEqual(reference(blocks.length).book('BTC')?.l4());
  });

  it('asks for a fresh snapshot when a diff does not apply', async () => {
    const { socket, client } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    const desynced = new Promise<[string, Error]>((resolve) => tracker.on('desync', (coin, e) => resolve([coin, e])));
    const bad = updatesFrame(blocks[0] as Block, 'BTC') as { data: { Updates: { book_diffs: unknown[] } } };
    bad.data.Updates.book_diffs.push({ user: '0xabc', oid: 1, coin: 'BTC', side: 'B', px: '1.0', raw_book_diff: 'remove' });
    socket.receive(bad);
    const [coin, error] = await desynced;
    expect(coin).toBe('BTC');
    expect(error.message).toContain('oid 1');
    expect(tracker.replica('BTC')?.synced).toBe(false);
    const from = socket.sent.length - 1;
    await sent(socket, { method: 'unsubscribe', subscription: SUB });
    socket.receive(ack(SUB, 'unsubscribe'));
    await sent(socket, { method: 'subscribe', subscription: SUB }, from);
    socket.receive(ack(SUB));
    socket.receive(snapshotText);
    await tracker.waitForHeight('BTC', 985148181);
    // The rolled-back block applies cleanly on the fresh replica.
    socket.receive(updatesFrame(blocks[0] as Block, 'BTC'));
    expect(tracker.replica('BTC')?.l4()).toEqual(reference(1).book('BTC')?.l4());
  });

  it('reports a malformed snapshot without taking the module down', async () => {
    const { socket, client, logger } = await tracking();
    const tracker = client.getHandle(L4BookTracker);
    const desynced = new Promise<Error>((resolve) => tracker.on('desync', (_c, e) => resolve(e)));
    socket.receive({ channel: 'l4Book', data: { Snapshot: { coin: 'BTC', time: 1, height: 5, levels: 'nope' } } });
    expect((await desynced).message).toContain('does not have {coin, time, height, levels: [bids, asks]}');
    expect(logger.messages('warn')).toContain('L4 replica diverged; asking for a fresh snapshot');
    expect(client.moduleStopped(L4BookTracker)).toBeUndefined();
  });
});
