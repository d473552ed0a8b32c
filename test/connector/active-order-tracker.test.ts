import { describe, expect, it } from 'vitest';
import { ActiveOrderTracker, OrderBookTracker, rowsFromDiff, rowsFromSnapshot } from '../../src/connector/index.js';
import { diffMessage, fixture, ManualDataSource, PAIR, snapshotMessage } from './support/book-messages.js';

describe('ActiveOrderTracker (real mainnet BTC book)', () => {
  it("lists one user's resting orders with their queue positions, and follows them block by block", async () => {
    const { snapshot, blocks } = fixture();
    const source = new ManualDataSource();
    const tracker = new OrderBookTracker(source);
    const synced = tracker.track(PAIR);
    await Promise.resolve();
    source.send(snapshotMessage(snapshot, 0));
    await synced;
    // The user with the most resting orders near the top of the bids.
    const [bids] = tracker.book(PAIR)!.l4();
    const user = bids[0]!.user;
    const active = new ActiveOrderTracker(tracker, user);
    const rows = active.rows(PAIR);
    const mine = bids.filter((o) => o.user === user);
    expect(rows.filter((r) => r.side === 'B').map((r) => r.oid)).toEqual(mine.map((o) => o.oid));
    expect(rows[0]!.queue.levelsAhead).toBe(0);
    expect(rows[0]!.queue.ordersAhead).toBe(0);
    expect(rowsFromSnapshot(snapshotMessage(snapshot, 0), user.toUpperCase().replace('0X', '0x')).length).toBe(rows.length);
    const changes: number[] = [];
    active.events.on('change', (_p, r) => changes.push(r.length));
    for (const b of blocks) source.send(diffMessage(b));
    // Whatever the blocks did to this user's orders, the rows match the book afterwards.
    const after = tracker
      .book(PAIR)!
      .ordersOf(user)
      .map((o) => o.oid)
      .sort();
    expect(
      active
        .rows(PAIR)
        .map((r) => r.oid)
        .sort(),
    ).toEqual(after);
    // Diff rows: every diff of the user, remove as size 0.
    const all = blocks.flatMap((b) => rowsFromDiff(diffMessage(b), user));
    const expected = blocks.flatMap((b) => b.diffs.filter((d) => d.coin === PAIR && d.user === user));
    expect(all.map((r) => r.oid)).toEqual(expected.map((d) => d.oid));
    expect(all.filter((r) => r.sz === '0.0').length).toBe(expected.filter((d) => d.raw_book_diff === 'remove').length);
    active.stop();
  });

  it('an L2 book gives no rows (queue position needs L4)', () => {
    const tracker = { book: () => ({ ordersOf: () => [], queuePosition: () => undefined }), events: { on: () => () => {} } } as unknown as OrderBookTracker;
    expect(new ActiveOrderTracker(tracker, '0x1').rows('BTC')).toEqual([]);
  });
});
