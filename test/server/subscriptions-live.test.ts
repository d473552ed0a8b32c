/**
 * Every subscription of protocol.md over a real socket, on a market with a perp, spot and
 * HIP-3 coins: what is sent at once, after which blocks, and that it equals the books.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { L2Params } from '../../src/book/index.js';
import type { Frame, TestClient } from './helpers/client.js';
import { harness, type Harness } from './helpers/harness.js';
import { COINS, makeMarket, type Market } from './helpers/market.js';

const NUMBER = /^(0|[1-9]\d*)\.(0|\d*[1-9])$/;

function expectNumbers(levels: { px: string; sz: string }[][]): void {
  for (const side of levels)
    for (const l of side) {
      expect(l.px).toMatch(NUMBER);
      expect(l.sz).toMatch(NUMBER);
    }
}

let h: Harness;
let market: Market;

beforeEach(async () => {
  market = makeMarket({ seed: 11, blocks: 40 });
  h = await harness();
  h.feed.load(market.snapshot, market.snapshotTime);
});
afterEach(async () => {
  await h.close();
});

async function subscribed(c: TestClient, subscription: Record<string, unknown>): Promise<void> {
  const ack = await c.request({ method: 'subscribe', subscription }, (f) => f.channel === 'subscriptionResponse' || f.channel === 'error');
  expect(ack).toEqual({ channel: 'subscriptionResponse', data: { method: 'subscribe', subscription } });
}

/** Frames of `channel` received since the last call, after a round trip. */
async function drain(c: TestClient, channel: string): Promise<Frame[]> {
  return (await c.untilPong()).filter((f) => f.channel === channel);
}

describe('l2Book', () => {
  const paramSets: (L2Params & { fast?: boolean })[] = [
    {},
    { nSigFigs: 2 },
    { nSigFigs: 3 },
    { nSigFigs: 5, mantissa: 2 },
    { nSigFigs: 5, mantissa: 5 },
    { nLevels: 3 },
    { fast: true },
  ];

  it('echoes the subscription exactly (key order, nulls) before the first data', async () => {
    const c = await h.client();
    c.send('{"method":"subscribe","subscription":{"coin":"ETH","type":"l2Book","nSigFigs":null,"mantissa":null}}');
    await c.channel('l2Book');
    expect(c.texts[0]).toBe(
      '{"channel":"subscriptionResponse","data":{"method":"subscribe","subscription":{"coin":"ETH","type":"l2Book","nSigFigs":null,"mantissa":null}}}',
    );
  });

  it('sends the view at once, then after every block that changed it, equal to the books, for every coin kind and parameter set', async () => {
    const views: { c: TestClient; coin: string; params: L2Params; last: string }[] = [];
    for (const coin of COINS) {
      for (const p of paramSets) {
        const c = await h.client();
        await subscribed(c, { type: 'l2Book', coin, ...p });
        const params: L2Params = { nSigFigs: p.nSigFigs ?? null, mantissa: p.mantissa ?? null, nLevels: p.nLevels ?? (p.fast ? 5 : 20) };
        const first = await c.channel('l2Book');
        expect(first.data).toEqual({ coin, time: market.snapshotTime, levels: h.feed.books.book(coin)!.l2(params) });
        views.push({ c, coin, params, last: JSON.stringify((first.data as { levels: unknown }).levels) });
      }
    }
    let sent = 0;
    for (const block of market.blocks) {
      h.feed.apply(block);
      for (const v of views) {
        const frames = await drain(v.c, 'l2Book');
        const want = h.feed.books.book(v.coin)!.l2(v.params);
        const changed = JSON.stringify(want) !== v.last;
        // One frame exactly when the view changed, none otherwise (no heartbeat within this test).
        expect(frames.length, `${v.coin} ${JSON.stringify(v.params)} at ${block.height}`).toBe(changed ? 1 : 0);
        if (changed) {
          const data = frames[0]!.data as { coin: string; time: number; levels: { px: string; sz: string }[][] };
          expect(data).toEqual({ coin: v.coin, time: block.time, levels: want });
          expectNumbers(data.levels);
          v.last = JSON.stringify(want);
          sent += 1;
        }
      }
    }
    expect(sent).toBeGreaterThan(50);
  });

  it('re-sends an unchanged view at least every --l2-heartbeat-ms', async () => {
    await h.close();
    h = await harness({ l2HeartbeatMs: 200 });
    h.feed.load(market.snapshot, market.snapshotTime);
    const c = await h.client();
    await subscribed(c, { type: 'l2Book', coin: 'xyz:ABC' });
    const a = await c.channel('l2Book');
    const t0 = Date.now();
    const b = await c.channel('l2Book', 2000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(b.data).toEqual(a.data);
  });
});

describe('bbo', () => {
  it('sends the best levels at once, then only when the best bid or ask changed', async () => {
    const clients = new Map<string, TestClient>();
    for (const coin of COINS) {
      const c = await h.client();
      await subscribed(c, { type: 'bbo', coin });
      const first = await c.channel('bbo');
      expect(first.data).toEqual({ coin, time: market.snapshotTime, bbo: h.feed.books.book(coin)!.bbo() });
      clients.set(coin, c);
    }
    let changes = 0;
    for (const block of market.blocks) {
      const before = new Map(COINS.map((coin) => [coin, JSON.stringify(h.feed.books.book(coin)!.bbo())]));
      h.feed.apply(block);
      for (const coin of COINS) {
        const frames = await drain(clients.get(coin)!, 'bbo');
        const now = h.feed.books.book(coin)!.bbo();
        const changed = JSON.stringify(now) !== before.get(coin);
        expect(frames.length, `${coin} at ${block.height}`).toBe(changed ? 1 : 0);
        if (changed) {
          expect(frames[0]!.data).toEqual({ coin, time: block.time, bbo: now });
          changes += 1;
        }
      }
    }
    expect(changes).toBeGreaterThan(10);
  });
});

describe('trades', () => {
  it("sends each block's trades of the coin, nothing for blocks without", async () => {
    const clients = new Map<string, TestClient>();
    for (const coin of COINS) {
      const c = await h.client();
      await subscribed(c, { type: 'trades', coin });
      clients.set(coin, c);
    }
    let n = 0;
    for (const block of market.blocks) {
      const change = h.feed.apply(block);
      for (const coin of COINS) {
        const frames = await drain(clients.get(coin)!, 'trades');
        const want = change.trades.get(coin) ?? [];
        expect(frames.length, `${coin} at ${block.height}`).toBe(want.length > 0 ? 1 : 0);
        if (want.length > 0) {
          expect(frames[0]!.data).toEqual(want);
          for (const t of frames[0]!.data as { coin: string; side: string; users: string[]; px: string; sz: string }[]) {
            expect(t.coin).toBe(coin);
            expect(t.users).toHaveLength(2);
            expect(t.px).toMatch(NUMBER);
            expect(t.sz).toMatch(NUMBER);
          }
          n += want.length;
        }
      }
    }
    expect(n).toBeGreaterThan(10);
  });
});

describe('allMids', () => {
  function mids(filter: (coin: string) => boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const coin of h.feed.books.coins()) {
      const m = h.feed.books.book(coin)!.mid();
      if (filter(coin) && m !== null) out[coin] = m;
    }
    return out;
  }
  const main = (coin: string) => !coin.includes(':');
  const xyz = (coin: string) => coin.startsWith('xyz:');

  it('covers perps and spot without dex, one HIP-3 dex with it (and names it), at once and after every mid change', async () => {
    const plain = await h.client();
    const dex = await h.client();
    await subscribed(plain, { type: 'allMids' });
    await subscribed(dex, { type: 'allMids', dex: 'xyz' });
    expect((await plain.channel('allMids')).data).toEqual({ mids: mids(main) });
    expect((await dex.channel('allMids')).data).toEqual({ mids: mids(xyz), dex: 'xyz' });
    expect(Object.keys(mids(main))).toEqual(expect.arrayContaining(['ETH', '@107', 'PURR/USDC']));
    let sent = 0;
    let last = JSON.stringify(mids(main));
    for (const block of market.blocks) {
      h.feed.apply(block);
      const frames = await drain(plain, 'allMids');
      const want = mids(main);
      expect(frames.length).toBe(JSON.stringify(want) !== last ? 1 : 0);
      if (frames.length > 0) {
        expect(frames[0]!.data).toEqual({ mids: want });
        expect(Object.values(want).every((m) => NUMBER.test(m))).toBe(true);
        sent += 1;
      }
      last = JSON.stringify(want);
      const dexFrames = await drain(dex, 'allMids');
      for (const f of dexFrames) expect(f.data).toEqual({ mids: mids(xyz), dex: 'xyz' });
    }
    expect(sent).toBeGreaterThan(5);
  });

  it('refuses a dex that no coin has', async () => {
    const c = await h.client();
    const e = await c.request({ method: 'subscribe', subscription: { type: 'allMids', dex: 'nope' } }, () => true);
    expect(e).toEqual({ channel: 'error', data: 'Invalid subscription {"type":"allMids","dex":"nope"}' });
  });
});

describe('serverStatus', () => {
  it('sends the /health JSON at once and on every state change', async () => {
    const c = await h.client();
    await subscribed(c, { type: 'serverStatus' });
    const first = await c.channel('serverStatus');
    expect(first.data).toMatchObject({ state: 'ready', height: market.snapshot[0], clients: 1, subscriptions: 1, source: 'simulated' });
    expect(Object.keys(first.data as object)).toEqual(['state', 'height', 'time', 'lagMs', 'clients', 'subscriptions', 'eventsPerSecond', 'source']);
    h.feed.setState('degraded', ['ETH']);
    const next = await c.channel('serverStatus');
    expect(next.data).toMatchObject({ state: 'degraded' });
  });
});

describe('unsubscribe', () => {
  it('acknowledges with the object echoed and stops that data only', async () => {
    const c = await h.client();
    await subscribed(c, { type: 'bbo', coin: 'ETH' });
    await c.channel('bbo');
    await subscribed(c, { type: 'trades', coin: 'ETH' });
    const ack = await c.request({ method: 'unsubscribe', subscription: { coin: 'ETH', type: 'bbo' } }, (f) => f.channel === 'subscriptionResponse');
    expect(c.texts.at(-1)).toBe('{"channel":"subscriptionResponse","data":{"method":"unsubscribe","subscription":{"coin":"ETH","type":"bbo"}}}');
    expect(ack.data).toEqual({ method: 'unsubscribe', subscription: { coin: 'ETH', type: 'bbo' } });
    let trades = 0;
    for (const block of market.blocks) {
      h.feed.apply(block);
      for (const f of await c.untilPong()) {
        expect(f.channel).not.toBe('bbo');
        if (f.channel === 'trades') trades += 1;
      }
    }
    expect(trades).toBeGreaterThan(0);
  });
});

describe('before the first snapshot', () => {
  it('acknowledges subscriptions to coins not known yet, then refuses the unknown ones and starts the others', async () => {
    await h.close();
    h = await harness();
    const c = await h.client();
    await subscribed(c, { type: 'l2Book', coin: 'xyz:ABC' });
    await subscribed(c, { type: 'trades', coin: 'NOPE' });
    await subscribed(c, { type: 'allMids', dex: 'xyz' });
    await c.sync();
    expect(c.rest().filter((f) => f.channel !== 'pong')).toEqual([]);
    h.feed.load(market.snapshot, market.snapshotTime);
    const after = await c.untilPong();
    expect(after.find((f) => f.channel === 'error')?.data).toBe('Invalid subscription {"type":"trades","coin":"NOPE"}');
    expect(after.find((f) => f.channel === 'l2Book')?.data).toEqual({ coin: 'xyz:ABC', time: market.snapshotTime, levels: h.feed.books.book('xyz:ABC')!.l2() });
    expect(after.find((f) => f.channel === 'allMids')?.data).toMatchObject({ dex: 'xyz' });
    // The refused one is gone: subscribing again is not a duplicate.
    const again = await c.request({ method: 'subscribe', subscription: { type: 'trades', coin: 'NOPE' } }, (f) => f.channel === 'error');
    expect(again.data).toBe('Invalid subscription {"type":"trades","coin":"NOPE"}');
  });
});
