import { describe, expect, it } from 'vitest';
import { OrderBookTracker } from '../../src/connector/order-book-tracker.js';
import { L4PairBook } from '../../src/connector/order-book.js';
import { ManualClock } from '../client/support/manual-clock.js';
import { booksAfter, diffMessage, fixture, ManualDataSource, PAIR, snapshotMessage } from './support/book-messages.js';

function expectBookEquals(tracker: OrderBookTracker, n: number): void {
  const expected = booksAfter(n).book(PAIR)!;
  const book = tracker.book(PAIR)!;
  expect(book.height).toBe(fixture().blocks[n - 1]?.height ?? fixture().snapshot[0]);
  expect(book.l2({ nLevels: 100 })).toEqual(expected.l2({ nLevels: 100 }));
  expect(book.l4()).toEqual(expected.l4());
}

async function started(options: ConstructorParameters<typeof OrderBookTracker>[1] = {}) {
  const source = new ManualDataSource();
  const clock = new ManualClock();
  const tracker = new OrderBookTracker(source, { clock, ...options });
  const synced = tracker.track(PAIR);
  await Promise.resolve();
  return { source, clock, tracker, synced };
}

describe('OrderBookTracker (L4, real mainnet BTC blocks)', () => {
  it('keeps diffs that come before the snapshot and replays those above its height, dropping the rest', async () => {
    const { source, tracker, synced } = await started();
    const { blocks } = fixture();
    for (const b of blocks.slice(0, 6)) source.send(diffMessage(b));
    const snapAt3 = booksAfter(3).toSnapshot();
    source.send(snapshotMessage(snapAt3, blocks[2]!.time));
    await synced;
    expectBookEquals(tracker, 6);
    expect(tracker.stats.replayed).toBe(3);
    expect(tracker.stats.droppedOld).toBe(3);
  });

  it('drops a diff at or below the book height (duplicate or late) and applies the next ones', async () => {
    const { source, tracker, synced } = await started();
    const { snapshot, blocks } = fixture();
    source.send(snapshotMessage(snapshot, blocks[0]!.time - 1));
    await synced;
    for (const b of blocks.slice(0, 4)) source.send(diffMessage(b));
    source.send(diffMessage(blocks[2]!));
    for (const b of blocks.slice(4, 10)) source.send(diffMessage(b));
    expectBookEquals(tracker, 10);
    expect(tracker.stats.droppedOld).toBe(1);
  });

  it('a diff that does not apply fetches a fresh snapshot; diffs meanwhile are replayed on it', async () => {
    const { source, tracker, synced } = await started();
    const { snapshot, blocks } = fixture();
    source.send(snapshotMessage(snapshot, blocks[0]!.time - 1));
    await synced;
    const resyncs: string[] = [];
    tracker.events.on('resync', (_p, reason) => resyncs.push(reason));
    source.send(diffMessage(blocks[0]!));
    // A remove of an order the book does not hold: the book has diverged.
    source.send({ ...diffMessage(blocks[1]!), diffs: [{ user: '0x1', oid: 1, coin: PAIR, side: 'B', px: '1.0', raw_book_diff: 'remove' }] });
    expect(tracker.isSynced(PAIR)).toBe(false);
    expect(resyncs).toHaveLength(1);
    expect(source.fetches).toEqual([PAIR]);
    for (const b of blocks.slice(2, 8)) source.send(diffMessage(b));
    source.answer(snapshotMessage(booksAfter(4).toSnapshot(), blocks[3]!.time, 'request'));
    await tracker.waitForSync(PAIR);
    expectBookEquals(tracker, 8);
  });

  it('with consecutive heights, a skipped height is a gap that fetches a fresh snapshot', async () => {
    const { source, tracker, synced } = await started({ consecutiveHeights: true });
    const { snapshot, blocks } = fixture();
    source.send(snapshotMessage(snapshot, 0));
    await synced;
    source.send(diffMessage(blocks[0]!));
    source.send(diffMessage(blocks[2]!)); // block 1 never came
    expect(tracker.isSynced(PAIR)).toBe(false);
    expect(source.fetches).toHaveLength(1);
    source.send(diffMessage(blocks[3]!));
    source.answer(snapshotMessage(booksAfter(2).toSnapshot(), 0, 'request'));
    await tracker.waitForSync(PAIR);
    expectBookEquals(tracker, 4);
  });

  it('after a connection loss the book waits for the stream snapshot; without one it fetches after snapshotWaitMs', async () => {
    const { source, tracker, synced, clock } = await started({ snapshotWaitMs: 1_000 });
    const { snapshot, blocks } = fixture();
    source.send(snapshotMessage(snapshot, 0));
    await synced;
    source.disconnect();
    expect(tracker.isSynced(PAIR)).toBe(false);
    source.send(diffMessage(blocks[0]!)); // kept, not applied
    clock.advance(999);
    expect(source.fetches).toHaveLength(0);
    clock.advance(1);
    expect(source.fetches).toHaveLength(1);
    source.answer(snapshotMessage(snapshot, 0, 'request'));
    await tracker.waitForSync(PAIR);
    expectBookEquals(tracker, 1);
  });

  it('a server resync (a new snapshot on the stream) replaces the book', async () => {
    const { source, tracker, synced } = await started();
    const { snapshot, blocks } = fixture();
    source.send(snapshotMessage(snapshot, 0));
    await synced;
    source.send(snapshotMessage(booksAfter(5).toSnapshot(), blocks[4]!.time));
    expectBookEquals(tracker, 5);
    source.send(diffMessage(blocks[5]!));
    expectBookEquals(tracker, 6);
  });

  it('a bad frame fetches a fresh snapshot', async () => {
    const { source, tracker, synced } = await started();
    source.send(snapshotMessage(fixture().snapshot, 0));
    await synced;
    source.bad(new Error('l4Book Updates of BTC does not have the expected shape'));
    expect(tracker.isSynced(PAIR)).toBe(false);
    expect(source.fetches).toHaveLength(1);
  });

  it('re-checks periodically: equal at the same height changes nothing, a difference is reported and the snapshot taken', async () => {
    const { source, tracker, synced, clock } = await started({ recheckMs: 60_000 });
    const { snapshot, blocks } = fixture();
    const mismatches: string[] = [];
    tracker.events.on('mismatch', (_p, d) => mismatches.push(d));
    source.send(snapshotMessage(snapshot, 0));
    await synced;
    source.send(diffMessage(blocks[0]!));
    clock.advance(60_000);
    expect(source.fetches).toHaveLength(1);
    source.answer(snapshotMessage(booksAfter(1).toSnapshot(), 0, 'request'));
    await Promise.resolve();
    expect(mismatches).toEqual([]);
    expect(tracker.stats.rechecks).toBe(1);
    // The exchange's book at height 1 lacks one order: the local one is wrong somewhere.
    clock.advance(60_000);
    const other = booksAfter(1).toSnapshot();
    const btc = other[1].find(([c]) => c === PAIR)!;
    btc[1][0].splice(3, 1);
    source.answer(snapshotMessage(other, 0, 'request'));
    await Promise.resolve();
    expect(mismatches).toHaveLength(1);
    expect((tracker.book(PAIR) as L4PairBook).l4()[0]).toHaveLength(btc[1][0].length);
    // An older snapshot is stale and dropped.
    source.send(diffMessage(blocks[1]!));
    clock.advance(60_000);
    source.answer(snapshotMessage(snapshot, 0, 'request'));
    await Promise.resolve();
    expect(tracker.book(PAIR)!.height).toBe(blocks[1]!.height);
  });

  it("gives each order's queue position: orders and size ahead at its level, levels ahead", async () => {
    const { source, tracker, synced } = await started();
    source.send(snapshotMessage(fixture().snapshot, 0));
    await synced;
    const book = tracker.book(PAIR)!;
    const [bids] = book.l4();
    // Naive model: walk the side in book order.
    const levelOf = new Map<string, number>();
    for (const [i, o] of bids.entries()) {
      if (i > 200) break;
      if (!levelOf.has(o.limitPx)) levelOf.set(o.limitPx, levelOf.size);
      const same = bids.slice(0, i).filter((x) => x.limitPx === o.limitPx);
      const q = book.queuePosition(o.oid)!;
      expect(q.ordersAhead).toBe(same.length);
      expect(Number(q.sizeAhead)).toBeCloseTo(
        same.reduce((s, x) => s + Number(x.sz), 0),
        8,
      );
      expect(q.levelsAhead).toBe(levelOf.get(o.limitPx));
      expect(q.px).toBe(o.limitPx);
    }
  });
});
