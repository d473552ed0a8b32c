/**
 * User streams over real sockets on a hand-built feed: Alice's orders rest, fill, get
 * rejected and canceled among other users' events. Frames on `orderUpdates`, `userFills`
 * (plain and `aggregateByTime`), `userEvents` / `user`, and the info answers, in the public
 * API's shapes.
 */
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawStatus } from '../../../src/book/raw-status.js';
import { harness, type Harness } from '../helpers/harness.js';
import { nodeInfoServer, type NodeInfo } from '../helpers/node-info.js';
import { FrontendOpenOrder, OpenOrder, OrderStatusAnswer, OrderUpdates, UserFills, WsUserEvent, WsUserFills } from './public-shapes.js';
import { ALICE, ALICE_MIXED, BOB, CLOID, HEIGHT, blockTime, snapshot, story } from './user-market.js';

let h: Harness;
let node: NodeInfo;

beforeEach(async () => {
  node = await nodeInfoServer();
  h = await harness({ infoUrl: node.url });
  h.feed.load(snapshot(), blockTime(HEIGHT));
});
afterEach(async () => {
  await h.close();
  await node.close();
});

async function info(body: unknown): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${h.server.httpUrl}/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const blocks = story();

describe('user streams', () => {
  it('the story reaches the streams through the reader (statuses are RawStatus)', () => {
    expect(blocks[0]!.statuses.filter((s) => s instanceof RawStatus).length).toBe(2);
  });

  it('orderUpdates: every status of the user, node order, per block, public shape', async () => {
    const c = await h.client();
    const sub = { type: 'orderUpdates', user: ALICE_MIXED };
    const ack = await c.request({ method: 'subscribe', subscription: sub }, (f) => f.channel === 'subscriptionResponse');
    expect(ack.data).toEqual({ method: 'subscribe', subscription: sub });
    for (const b of blocks) h.feed.apply(b);
    const f1 = await c.channel('orderUpdates');
    expect(v.parse(OrderUpdates, f1.data)).toEqual([
      {
        order: { coin: 'ETH', side: 'B', limitPx: '1990.0', sz: '1.0', oid: 101, timestamp: blockTime(HEIGHT), origSz: '1.0', cloid: CLOID },
        status: 'open',
        statusTimestamp: blockTime(HEIGHT + 1),
      },
      {
        order: { coin: 'ETH', side: 'B', limitPx: '2005.0', sz: '1.0', oid: 104, timestamp: blockTime(HEIGHT), origSz: '1.0' },
        status: 'badAloPxRejected',
        statusTimestamp: blockTime(HEIGHT + 1),
      },
      {
        order: { coin: '@107', side: 'A', limitPx: '35.5', sz: '10.0', oid: 102, timestamp: blockTime(HEIGHT), origSz: '10.0' },
        status: 'open',
        statusTimestamp: blockTime(HEIGHT + 1),
      },
    ]);
    const f2 = await c.channel('orderUpdates');
    expect((f2.data as { status: string; order: { oid: number; sz: string } }[]).map((o) => [o.order.oid, o.status, o.order.sz])).toEqual([
      [103, 'filled', '0.0'],
    ]);
    const f3 = await c.channel('orderUpdates');
    expect((f3.data as { status: string; order: { oid: number } }[]).map((o) => [o.order.oid, o.status])).toEqual([[101, 'canceled']]);
    // Bob's statuses never reach Alice's stream; nothing more queued.
    expect((await c.untilPong()).filter((f) => f.channel === 'orderUpdates')).toEqual([]);
  });

  it('userFills: a snapshot of recent fills first, then each block with fills; aggregateByTime combines a crossing order', async () => {
    // Fills before the subscription are in the snapshot (kept for every address).
    h.feed.apply(blocks[0]!);
    h.feed.apply(blocks[1]!);
    const c = await h.client();
    await c.request({ method: 'subscribe', subscription: { type: 'userFills', user: ALICE } }, (f) => f.channel === 'subscriptionResponse');
    const snap = await c.channel('userFills');
    const s = v.parse(WsUserFills, snap.data);
    expect(s.isSnapshot).toBe(true);
    expect(s.user).toBe(ALICE);
    // Newest first, as the node wrote them.
    expect(s.fills.map((f) => f.tid)).toEqual([2, 1]);
    expect(s.fills[1]).toEqual(blocks[1]!.fills[0]![1]);

    await c.request(
      { method: 'subscribe', subscription: { type: 'userFills', user: ALICE, aggregateByTime: true } },
      (f) => f.channel === 'subscriptionResponse',
    );
    const agg = v.parse(WsUserFills, (await c.channel('userFills')).data);
    expect(agg.isSnapshot).toBe(true);
    expect(agg.fills).toHaveLength(1);
    expect(agg.fills[0]).toMatchObject({ coin: 'ETH', px: '2000.5', sz: '1.0', fee: '0.91', oid: 103, tid: 1, startPosition: '0.0', crossed: true });

    // A later block with fills: one frame per subscription.
    const h4 = HEIGHT + 4;
    const { block, fill } = await import('./user-market.js');
    h.feed.apply(blocks[2]!);
    h.feed.apply(
      block(h4, {
        fills: [
          [ALICE, fill('ETH', '1990.0', '0.1', 'A', h4, 105, 7, true)],
          [BOB, fill('ETH', '1990.0', '0.1', 'B', h4, 12, 7, false)],
        ],
      }),
    );
    const live = [await c.channel('userFills'), await c.channel('userFills')].map((f) => v.parse(WsUserFills, f.data));
    for (const l of live) {
      expect(l.isSnapshot).toBeUndefined();
      expect(l.fills.map((f) => f.tid)).toEqual([7]);
    }
  });

  it('userEvents and {"type":"user"}: fills on channel "user"; the two are one subscription', async () => {
    const c = await h.client();
    await c.request({ method: 'subscribe', subscription: { type: 'userEvents', user: ALICE } }, (f) => f.channel === 'subscriptionResponse');
    const dup = await c.request({ method: 'subscribe', subscription: { type: 'user', user: ALICE } }, (f) => f.channel === 'error');
    expect(dup.data).toBe(`Already subscribed: {"type":"user","user":"${ALICE}"}`);
    const c2 = await h.client();
    await c2.request({ method: 'subscribe', subscription: { type: 'user', user: BOB } }, (f) => f.channel === 'subscriptionResponse');
    for (const b of blocks) h.feed.apply(b);
    const a = v.parse(WsUserEvent, (await c.channel('user')).data);
    expect(a.fills.map((f) => [f.tid, f.px])).toEqual([
      [1, '2000.0'],
      [2, '2001.0'],
    ]);
    const b = v.parse(WsUserEvent, (await c2.channel('user')).data);
    expect(b.fills.map((f) => [f.tid, f.side])).toEqual([
      [1, 'A'],
      [2, 'A'],
    ]);
  });

  it('refuses a bad address, and unsubscribes', async () => {
    const c = await h.client();
    const bad = await c.request({ method: 'subscribe', subscription: { type: 'orderUpdates', user: '0x12' } }, (f) => f.channel === 'error');
    expect(bad.data).toBe('Invalid subscription {"type":"orderUpdates","user":"0x12"}');
    await c.request({ method: 'subscribe', subscription: { type: 'orderUpdates', user: ALICE } }, (f) => f.channel === 'subscriptionResponse');
    await c.request({ method: 'unsubscribe', subscription: { type: 'orderUpdates', user: ALICE } }, (f) => f.channel === 'subscriptionResponse');
    for (const b of blocks) h.feed.apply(b);
    expect((await c.untilPong()).filter((f) => f.channel === 'orderUpdates')).toEqual([]);
  });
});

describe('user info requests', () => {
  it('openOrders and frontendOpenOrders from the L4 books, any address, dex filter, exact sizes', async () => {
    h.feed.apply(blocks[0]!);
    const open = await info({ type: 'openOrders', user: ALICE_MIXED });
    expect(open.status).toBe(200);
    const list = v.parse(v.array(OpenOrder), open.json);
    expect(list.map((o) => o.oid).sort()).toEqual([101, 102]);
    expect(list.find((o) => o.oid === 101)).toEqual({
      coin: 'ETH',
      side: 'B',
      limitPx: '1990.0',
      sz: '1.0',
      oid: 101,
      timestamp: blockTime(HEIGHT),
      origSz: '1.0',
      cloid: CLOID,
    });
    const fe = v.parse(v.array(FrontendOpenOrder), (await info({ type: 'frontendOpenOrders', user: ALICE })).json);
    expect(fe.find((o) => o.oid === 101)).toMatchObject({ tif: 'Alo', orderType: 'Limit', isTrigger: false, cloid: CLOID });
    // Bob's resting asks: found by a scan of the books (he was never followed before).
    expect(v.parse(v.array(OpenOrder), (await info({ type: 'openOrders', user: BOB })).json).map((o) => [o.oid, o.sz])).toEqual([
      [11, '0.5'],
      [10, '0.5'],
    ]);
    expect((await info({ type: 'openOrders', user: ALICE, dex: 'xyz' })).json).toEqual([]);
    // Followed from here on: the index follows the diffs.
    h.feed.apply(blocks[1]!);
    h.feed.apply(blocks[2]!);
    expect((await info({ type: 'openOrders', user: ALICE })).json).toEqual([list.find((o) => o.oid === 102)]);
    expect((await info({ type: 'openOrders', user: BOB })).json).toEqual([]);
    expect((await info({ type: 'openOrders', user: 'nope' })).status).toBe(422);
    expect(node.requests).toEqual([]);
  });

  it('orderStatus by oid and by cloid; resting orders for anyone; what we do not hold is forwarded', async () => {
    h.feed.apply(blocks[0]!);
    // Not followed during block 1: its resting order is still known, from the books.
    const resting = v.parse(OrderStatusAnswer, (await info({ type: 'orderStatus', user: ALICE, oid: 101 })).json);
    expect(resting).toMatchObject({ status: 'order', order: { status: 'open', order: { oid: 101, sz: '1.0', cloid: CLOID } } });
    const byCloid = v.parse(OrderStatusAnswer, (await info({ type: 'orderStatus', user: ALICE, oid: CLOID.toUpperCase().replace('0X', '0x') })).json);
    expect(byCloid).toMatchObject({ status: 'order', order: { order: { oid: 101 } } });
    expect(node.requests).toEqual([]);
    // Rejected before anyone followed Alice: not held, so the node's info server is asked.
    const fwd = await info({ type: 'orderStatus', user: ALICE, oid: 104 });
    expect(fwd.status).toBe(422);
    expect(node.requests).toEqual([{ type: 'orderStatus', user: ALICE, oid: 104 }]);
    // Followed now (asked about): later statuses are kept.
    h.feed.apply(blocks[1]!);
    h.feed.apply(blocks[2]!);
    const filled = v.parse(OrderStatusAnswer, (await info({ type: 'orderStatus', user: ALICE, oid: 103 })).json);
    expect(filled).toEqual({
      status: 'order',
      order: { order: expect.objectContaining({ oid: 103, sz: '0.0', tif: 'Ioc' }) as unknown, status: 'filled', statusTimestamp: blockTime(HEIGHT + 2) },
    });
    const canceled = v.parse(OrderStatusAnswer, (await info({ type: 'orderStatus', user: ALICE, oid: CLOID })).json);
    expect(canceled).toMatchObject({ order: { status: 'canceled', order: { oid: 101 } } });
    expect((await info({ type: 'orderStatus', user: ALICE, oid: 'x' })).status).toBe(422);
  });

  it('userFills: any address, newest first, aggregateByTime', async () => {
    for (const b of blocks) h.feed.apply(b);
    const all = v.parse(UserFills, (await info({ type: 'userFills', user: BOB })).json);
    expect(all.map((f) => f.tid)).toEqual([2, 1]);
    const agg = v.parse(UserFills, (await info({ type: 'userFills', user: ALICE, aggregateByTime: true })).json);
    expect(agg.map((f) => [f.sz, f.px])).toEqual([['1.0', '2000.5']]);
    // Resting orders filled by several crossing orders are not combined: Bob's stay two.
    expect(v.parse(UserFills, (await info({ type: 'userFills', user: BOB, aggregateByTime: true })).json)).toHaveLength(2);
    expect((await info({ type: 'userFills', user: '0x' + '99'.repeat(20) })).json).toEqual([]);
    expect(node.requests).toEqual([]);
  });

  it('WS post info answers the same', async () => {
    h.feed.apply(blocks[0]!);
    const c = await h.client();
    const r = await c.request({ method: 'post', id: 3, request: { type: 'info', payload: { type: 'openOrders', user: ALICE } } }, (f) => f.channel === 'post');
    const data = r.data as { id: number; response: { type: string; payload: { type: string; data: unknown[] } } };
    expect(data.id).toBe(3);
    expect(data.response.payload.type).toBe('openOrders');
    expect(data.response.payload.data).toHaveLength(2);
  });
});
