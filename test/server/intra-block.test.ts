/**
 * `--book-updates intra-block` over real sockets, driven by hand (`ManualFeed.partial`): the
 * partial frames (`"partial":true`, the open block's time), their coalescing per turn, the
 * block's full frame that always follows (even when it equals the last partial, or the last
 * full frame), what is left alone (by-block servers, repaired coins, another height), and a
 * public-API client (`@nktkas/hyperliquid`) taking the partial frames.
 */
import { SubscriptionClient, WebSocketTransport, type BboWsEvent, type L2BookWsEvent } from '@nktkas/hyperliquid';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { L4SnapshotFile, NodeOrder, Side } from '../../src/book/index.js';
import { block, newDiff, nodeOrder, removeDiff, updateDiff } from '../book/helpers.js';
import type { Frame, TestClient } from './helpers/client.js';
import { harness, type Harness } from './helpers/harness.js';

const H = 500;
const T0 = 1_778_002_753_000;

function snapshot(): L4SnapshotFile {
  const o = (oid: number, side: Side, px: string, sz: string): [string, NodeOrder] => ['0xa', nodeOrder({ oid, side, limitPx: px, sz })];
  return [
    H,
    [
      [
        'BTC',
        [
          [o(1, 'B', '100.0', '1.0'), o(2, 'B', '99.0', '2.0')],
          [o(3, 'A', '101.0', '1.5'), o(4, 'A', '102.0', '3.0')],
        ],
      ],
      ['ETH', [[o(11, 'B', '10.0', '1.0')], [o(12, 'A', '11.0', '1.0')]]],
    ],
  ];
}

type Data = { coin: string; time: number; levels?: { px: string; sz: string; n: number }[][]; bbo?: unknown; partial?: true };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(intraBlock: boolean): Promise<{ l2: TestClient; bbo: TestClient }> {
  h = await harness({ intraBlock, l2HeartbeatMs: 3_600_000 });
  h.feed.load(snapshot(), T0);
  const l2 = await h.client();
  const bbo = await h.client();
  l2.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
  bbo.send({ method: 'subscribe', subscription: { type: 'bbo', coin: 'BTC' } });
  await l2.untilPong();
  await bbo.untilPong();
  return { l2, bbo };
}

const data = (frames: Frame[]): Data[] => frames.filter((f) => f.channel === 'l2Book' || f.channel === 'bbo').map((f) => f.data as Data);

describe('intra-block frames', () => {
  it('sends the open block as partial frames (block time), coalesced per turn, then the full frame without the field', async () => {
    const { l2, bbo } = await setup(true);
    const feed = h!.feed;
    // Two lines in one turn: one frame per subscription, showing both.
    feed.partial({ height: H + 1, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] });
    feed.partial({ height: H + 1, time: T0 + 70, from: 1, diffs: [updateDiff('0xa', 3, 'A', '101.0', '1.5', '0.25')] });
    const [p] = data(await l2.untilPong()) as [Data];
    expect(data(await l2.untilPong())).toEqual([]);
    expect(p).toEqual({
      coin: 'BTC',
      time: T0 + 70,
      levels: [
        [
          { px: '100.5', sz: '0.5', n: 1 },
          { px: '100.0', sz: '1.0', n: 1 },
          { px: '99.0', sz: '2.0', n: 1 },
        ],
        [
          { px: '101.0', sz: '0.25', n: 1 },
          { px: '102.0', sz: '3.0', n: 1 },
        ],
      ],
      partial: true,
    });
    expect(data(await bbo.untilPong())).toEqual([
      {
        coin: 'BTC',
        time: T0 + 70,
        bbo: [
          { px: '100.5', sz: '0.5', n: 1 },
          { px: '101.0', sz: '0.25', n: 1 },
        ],
        partial: true,
      },
    ]);
    // A newcomer mid-block gets the last full frame; the subscriber with the partial state gets nothing again.
    const late = await h!.client();
    late.send({ method: 'subscribe', subscription: { type: 'l2Book', coin: 'BTC' } });
    const [welcome] = data(await late.untilPong()) as [Data];
    expect(welcome).toEqual({ coin: 'BTC', time: T0, levels: feed.books.book('BTC')!.l2() });
    expect(data(await l2.untilPong())).toEqual([]);
    // A diff deep enough to change nothing shown: no frame for bbo.
    feed.partial({ height: H + 1, time: T0 + 70, from: 2, diffs: [removeDiff('0xa', 4, 'A', '102.0')] });
    expect(data(await l2.untilPong())).toHaveLength(1);
    expect(data(await late.untilPong())).toHaveLength(1);
    expect(data(await bbo.untilPong())).toEqual([]);

    // The block closes as the last partial showed it: its full frame still comes, without the field.
    feed.apply(
      block(H + 1, {
        time: T0 + 70,
        diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5'), updateDiff('0xa', 3, 'A', '101.0', '1.5', '0.25'), removeDiff('0xa', 4, 'A', '102.0')],
      }),
    );
    const [f] = data(await l2.untilPong()) as [Data];
    expect(f.partial).toBeUndefined();
    expect(f.time).toBe(T0 + 70);
    expect(f.levels).toEqual(h!.feed.books.book('BTC')!.l2());
    const [fb] = data(await bbo.untilPong()) as [Data];
    expect(fb).toEqual({ coin: 'BTC', time: T0 + 70, bbo: h!.feed.books.book('BTC')!.bbo() });
  });

  it('an order added and removed inside the block: partial frames, then the unchanged full frame again (the boundary)', async () => {
    const { l2, bbo } = await setup(true);
    const feed = h!.feed;
    const before = (data(await l2.untilPong()), feed.books.book('BTC')!.l2());
    feed.partial({ height: H + 1, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 21, 'A', '100.8', '1.0')] });
    const [p1] = data(await l2.untilPong()) as [Data];
    expect(p1.partial).toBe(true);
    expect(p1.levels![1]![0]).toEqual({ px: '100.8', sz: '1.0', n: 1 });
    expect(data(await bbo.untilPong())[0]!.partial).toBe(true);
    feed.partial({ height: H + 1, time: T0 + 70, from: 1, diffs: [removeDiff('0xb', 21, 'A', '100.8')] });
    const [p2] = data(await l2.untilPong()) as [Data];
    expect(p2).toMatchObject({ partial: true, levels: before });
    expect(data(await bbo.untilPong())).toEqual([{ coin: 'BTC', time: T0 + 70, bbo: feed.books.book('BTC')!.bbo(), partial: true }]);
    feed.apply(block(H + 1, { time: T0 + 70, diffs: [newDiff('0xb', 21, 'A', '100.8', '1.0'), removeDiff('0xb', 21, 'A', '100.8')] }));
    expect(data(await l2.untilPong())).toEqual([{ coin: 'BTC', time: T0 + 70, levels: before }]);
    expect(data(await bbo.untilPong())).toEqual([{ coin: 'BTC', time: T0 + 70, bbo: feed.books.book('BTC')!.bbo() }]);
    // The next block without partials: nothing owed, nothing sent.
    feed.apply(block(H + 2, { time: T0 + 140 }));
    expect(data(await l2.untilPong())).toEqual([]);
  });

  it('leaves alone: a by-block server, another height, a coin being repaired; a resync ends the partial state with the books', async () => {
    const off = await setup(false);
    h!.feed.partial({ height: H + 1, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] });
    expect(data(await off.l2.untilPong())).toEqual([]);
    await h!.close();

    const { l2 } = await setup(true);
    const feed = h!.feed;
    feed.partial({ height: H + 2, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] });
    expect(data(await l2.untilPong())).toEqual([]);
    feed.setState('degraded', ['BTC']);
    feed.partial({ height: H + 1, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] });
    expect(data(await l2.untilPong())).toEqual([]);
    feed.setState('ready', []);
    feed.partial({ height: H + 1, time: T0 + 70, from: 1, diffs: [newDiff('0xb', 22, 'B', '100.6', '0.5')] });
    expect(data(await l2.untilPong())[0]).toMatchObject({ partial: true });
    // The block never comes (a gap): resyncing ends the partial state with the books' own.
    feed.setState('resyncing');
    const [f] = data(await l2.untilPong()) as [Data];
    expect(f).toEqual({ coin: 'BTC', time: T0, levels: feed.books.book('BTC')!.l2() });
  });

  it('a public-API client (@nktkas/hyperliquid) takes the partial frames as l2Book and bbo events', async () => {
    await setup(true);
    const t = new WebSocketTransport({
      url: h!.server.url,
      timeout: 5000,
      reconnect: { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, maxRetries: 0 },
    });
    try {
      const client = new SubscriptionClient({ transport: t });
      const books: L2BookWsEvent[] = [];
      const bbos: BboWsEvent[] = [];
      let wake: () => void = () => {};
      const more = (): Promise<void> => new Promise((r) => (wake = r));
      const sub1 = await client.l2Book({ coin: 'BTC' }, (e) => (books.push(e), wake()));
      const sub2 = await client.bbo({ coin: 'BTC' }, (e) => (bbos.push(e), wake()));
      while (books.length < 1 || bbos.length < 1) await more();
      h!.feed.partial({ height: H + 1, time: T0 + 70, from: 0, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] });
      while (books.length < 2 || bbos.length < 2) await more();
      expect(books[1]).toMatchObject({ coin: 'BTC', time: T0 + 70, partial: true });
      expect(books[1]!.levels[0][0]).toEqual({ px: '100.5', sz: '0.5', n: 1 });
      expect(bbos[1]!.bbo[0]).toEqual({ px: '100.5', sz: '0.5', n: 1 });
      h!.feed.apply(block(H + 1, { time: T0 + 70, diffs: [newDiff('0xb', 20, 'B', '100.5', '0.5')] }));
      while (books.length < 3 || bbos.length < 3) await more();
      expect(books[2]).not.toHaveProperty('partial');
      expect(books[2]!.levels).toEqual(books[1]!.levels);
      await sub1.unsubscribe();
      await sub2.unsubscribe();
    } finally {
      await t.close().catch(() => {});
    }
  });
});
