/**
 * What following costs and when it ends: with nobody followed no status is parsed; a followed
 * address's statuses are kept, an unfollowed one's forgotten (an answer from them could be
 * stale); resets rebuild the open-order index; the bounds show in `/metrics`.
 */
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RawStatus } from '../../../src/book/raw-status.js';
import { registry } from '../../../src/metrics.js';
import { UserStreams } from '../../../src/server/user/user-streams.js';
import { ManualFeed } from '../helpers/feed.js';
import { OpenOrder } from './public-shapes.js';
import { ALICE, BOB, CAROL, HEIGHT, block, blockTime, order, snapshot, story } from './user-market.js';

let feed: ManualFeed;
let users: UserStreams;
let clock: number;

beforeEach(() => {
  feed = new ManualFeed();
  feed.load(snapshot(), blockTime(HEIGHT));
  clock = 1_000_000;
  users = new UserStreams({ feed, limits: { followMs: 60_000, maxFollowed: 2 }, now: () => clock });
});
afterEach(() => users.close());

function parsed(st: unknown): boolean {
  return (st as { parsed: unknown }).parsed !== undefined;
}

describe('following', () => {
  it('nobody followed: no status of the block is parsed, fills are still kept', async () => {
    const blocks = story();
    for (const b of blocks) feed.apply(b);
    const raw = blocks.flatMap((b) => b.statuses).filter((s): s is RawStatus => s instanceof RawStatus);
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.some(parsed)).toBe(false);
    expect(users.fills.size).toBe(4);
    expect(users.statuses.size).toBe(0);
  });

  it('a followed address: only its statuses are parsed and kept', async () => {
    await users.openOrders(ALICE);
    const blocks = story();
    for (const b of blocks) feed.apply(b);
    const raw = blocks.flatMap((b) => b.statuses).filter((s): s is RawStatus => s instanceof RawStatus);
    expect(raw.filter(parsed).map((s) => s.userText())).toEqual([ALICE, ALICE, ALICE]);
    expect(raw.filter((s) => !parsed(s)).map((s) => s.userText())).toEqual([BOB, CAROL]);
    expect(users.statuses.list(ALICE).map((s) => [s.order.oid, s.status])).toEqual([
      [101, 'open'],
      [104, 'badAloPxRejected'],
      [102, 'open'],
      [103, 'filled'],
      [101, 'canceled'],
    ]);
  });

  it('unfollowed after followMs without a request: its statuses are forgotten, and later ones not kept', async () => {
    await users.orderStatus(ALICE, 101);
    const [b1, b2] = story();
    feed.apply(b1!);
    expect(users.statuses.size).toBe(3);
    clock += 61_000;
    (users as unknown as { sweep(): void }).sweep();
    expect(users.followedCount).toBe(0);
    expect(users.statuses.size).toBe(0);
    feed.apply(b2!);
    expect(users.statuses.size).toBe(0);
    // The resting order is still answered from the books.
    expect(await users.orderStatus(ALICE, 101)).toMatchObject({ found: true, answer: { order: { status: 'open' } } });
    // The rejected one is not held any more: the caller forwards.
    expect(await users.orderStatus(ALICE, 104)).toEqual({ found: false });
  });

  it('at most maxFollowed addresses by requests: the least recently asked goes first', async () => {
    await users.openOrders(ALICE);
    await users.openOrders(BOB);
    await users.openOrders(ALICE);
    await users.openOrders(CAROL);
    expect(users.followedCount).toBe(2);
    const [b1] = story();
    feed.apply(b1!);
    // Bob was evicted: his rejection is not kept; Alice's statuses are.
    expect(users.statuses.list(BOB)).toEqual([]);
    expect(users.statuses.list(ALICE)).toHaveLength(3);
  });

  it('a reset rebuilds the open-order index from the new books', async () => {
    expect((await users.openOrders(BOB)).map((o) => o.oid)).toEqual([11, 10]);
    // A resync to books where Bob rests something else: the index is rebuilt, not patched.
    const snap = snapshot();
    const eth = snap[1][0]![1];
    eth[1] = [[BOB, order('ETH', 'A', '2002.0', '0.3', 12)]];
    feed.resync([HEIGHT + 5, snap[1]]);
    expect(v.parse(v.array(OpenOrder), await users.openOrders(BOB))).toEqual([
      { coin: 'ETH', side: 'A', limitPx: '2002.0', sz: '0.3', oid: 12, timestamp: blockTime(HEIGHT), origSz: '0.3' },
    ]);
    // And follows the diffs after it.
    feed.apply(
      block(HEIGHT + 6, {
        diffs: [{ user: BOB, oid: 13, coin: 'ETH', side: 'A', px: '2003.0', raw_book_diff: { new: { sz: '1.0' } } }],
        statuses: [{ user: BOB, status: 'open', order: order('ETH', 'A', '2003.0', '1.0', 13) }],
      }),
    );
    expect((await users.openOrders(BOB)).map((o) => o.oid).sort()).toEqual([12, 13]);
  });

  it('new addresses asked at once share one pass over the books; a reset while waiting scans the new books', async () => {
    const scans = vi.spyOn(users as unknown as { runScans(): Promise<void> }, 'runScans');
    const [a, b, c] = await Promise.all([users.openOrders(ALICE), users.openOrders(BOB), users.openOrders(CAROL)]);
    expect([a.length, b.length, c.length]).toEqual([0, 2, 1]);
    expect(scans).toHaveBeenCalledTimes(1);
    const snap = snapshot();
    snap[1][0]![1][0] = [[ALICE, order('ETH', 'B', '1970.0', '1.0', 77)]];
    const pending = users.openOrders(ALICE);
    feed.resync([HEIGHT + 9, snap[1]]);
    expect((await pending).map((o) => o.oid)).toEqual([77]);
  });

  it('/metrics shows what is kept against the bounds', async () => {
    await users.openOrders(ALICE);
    for (const b of story()) feed.apply(b);
    const text = await registry.metrics();
    expect(text).toMatch(/hlob_user_fills_kept \d+/);
    expect(text).toMatch(/hlob_user_statuses_kept \d+/);
    expect(text).toMatch(/hlob_user_fills_limit \d+/);
    expect(text).toMatch(/hlob_user_followed \d+/);
    expect(text).toMatch(/hlob_user_evicted\{kind="fills"\} \d+/);
  });
});
