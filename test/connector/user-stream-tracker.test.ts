import { describe, expect, it } from 'vitest';
import { UserStreamTracker, type WsFill } from '../../src/connector/index.js';
import type { UserStreamTrackerDataSource } from '../../src/connector/user-stream-tracker-data-source.js';

function fill(tid: number, oid = 5): WsFill {
  return {
    coin: 'BTC',
    px: '100.0',
    sz: '0.1',
    side: 'B',
    time: 1,
    startPosition: '0.0',
    dir: 'Open Long',
    closedPnl: '0.0',
    hash: '0x' + '0'.repeat(64),
    oid,
    crossed: false,
    fee: '0.01',
    tid,
    feeToken: 'USDC',
  };
}

const source = { user: '0xabc' } as unknown as UserStreamTrackerDataSource;

describe('UserStreamTracker', () => {
  it('passes each fill on once whether it comes on userFills, the user channel or a snapshot after a reconnect', () => {
    const tracker = new UserStreamTracker(source);
    const seen: [number, boolean][] = [];
    tracker.events.on('fill', (f, snap) => seen.push([f.tid, snap]));
    tracker.onMessage({ type: 'fills', fills: [fill(1), fill(2)], snapshot: false, source: 'userFills' });
    tracker.onMessage({ type: 'fills', fills: [fill(2), fill(1)], snapshot: false, source: 'user' });
    tracker.onMessage({ type: 'fills', fills: [fill(1), fill(2), fill(3)], snapshot: true, source: 'userFills' });
    expect(seen).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(tracker.stats).toMatchObject({ fills: 3, duplicateFills: 4 });
  });

  it('forgets the oldest keys past its bound (and only those)', () => {
    const tracker = new UserStreamTracker(source, { maxRemembered: 2 });
    tracker.onMessage({ type: 'fills', fills: [fill(1), fill(2), fill(3)], snapshot: false, source: 'userFills' });
    expect(tracker.hasSeen(fill(1))).toBe(false);
    expect(tracker.hasSeen(fill(2))).toBe(true);
    expect(tracker.hasSeen(fill(3))).toBe(true);
  });

  it('passes order updates in order and open orders with whether they follow a reconnect', () => {
    const tracker = new UserStreamTracker(source);
    const got: string[] = [];
    tracker.events.on('orderUpdate', (u) => got.push(`${u.order.oid}:${u.status}`));
    tracker.events.on('openOrders', (o, reconnect) => got.push(`open ${o.length} ${reconnect}`));
    const order = { coin: 'BTC', side: 'B' as const, limitPx: '1.0', sz: '1.0', oid: 1, timestamp: 0, origSz: '1.0' };
    tracker.onMessage({
      type: 'orderUpdates',
      orders: [
        { order, status: 'open', statusTimestamp: 0 },
        { order, status: 'canceled', statusTimestamp: 1 },
      ],
    });
    tracker.onMessage({ type: 'openOrders', orders: [], reconnect: true });
    expect(got).toEqual(['1:open', '1:canceled', 'open 0 true']);
    expect(tracker.stats.reconciles).toBe(1);
  });
});
