/**
 * Compatibility with the reference client, `@nktkas/hyperliquid` 0.32.2, pointed at the
 * server by URL only (and `ws` as its WebSocket on Node 20). It is strict: it drops an
 * acknowledgement that does not echo every field, matches errors by the JSON in their
 * text, and drops allMids frames whose `dex` differs from the subscription's.
 */
import {
  InfoClient,
  SubscriptionClient,
  WebSocketRequestError,
  WebSocketTransport,
  type AllMidsWsEvent as AllMidsEvent,
  type BboWsEvent as BboEvent,
  type L2BookWsEvent as L2BookEvent,
  type TradesWsEvent as TradesEvent,
} from '@nktkas/hyperliquid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { harness, type Harness } from './helpers/harness.js';
import { makeMarket, type Market } from './helpers/market.js';

let h: Harness;
let m: Market;
const transports: WebSocketTransport[] = [];

beforeEach(async () => {
  m = makeMarket({ seed: 21, blocks: 40 });
  h = await harness();
  h.feed.load(m.snapshot, m.snapshotTime);
});
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close().catch(() => {});
  await h.close();
});

function transport(): WebSocketTransport {
  const t = new WebSocketTransport({
    url: h.server.url,
    timeout: 5000,
    reconnect: { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, maxRetries: 0 },
  });
  transports.push(t);
  return t;
}

/** Resolve with the first event `pred` accepts. */
function first<T>(pred: (e: T) => boolean = () => true): { listener: (e: T) => void; got: Promise<T>; all: T[] } {
  let resolve!: (e: T) => void;
  const got = new Promise<T>((r) => (resolve = r));
  const all: T[] = [];
  return {
    all,
    got,
    listener: (e: T) => {
      all.push(e);
      if (pred(e)) resolve(e);
    },
  };
}

describe('@nktkas/hyperliquid SubscriptionClient', () => {
  it('receives l2Book with and without nSigFigs/mantissa, for perp, spot and HIP-3 coins', async () => {
    const cases = [
      { coin: 'ETH' },
      { coin: 'ETH', nSigFigs: 3 as const },
      { coin: '@107', nSigFigs: 5 as const, mantissa: 2 as const },
      { coin: 'PURR/USDC', nSigFigs: 5 as const, mantissa: 5 as const },
      { coin: 'xyz:ABC', nSigFigs: 2 as const },
    ];
    for (const params of cases) {
      const client = new SubscriptionClient({ transport: transport() });
      const l = first<L2BookEvent>();
      const sub = await client.l2Book(params, l.listener);
      const e = await l.got;
      expect(e).toEqual({
        coin: params.coin,
        time: m.snapshotTime,
        levels: h.feed.books.book(params.coin)!.l2({ nSigFigs: params.nSigFigs ?? null, mantissa: params.mantissa ?? null }),
      });
      await sub.unsubscribe();
    }
  });

  it('receives trades and bbo after blocks, allMids with and without dex', async () => {
    const client = new SubscriptionClient({ transport: transport() });
    const trades = first<TradesEvent>();
    const bbo = first<BboEvent>((e) => e.time > m.snapshotTime);
    const mids = first<AllMidsEvent>();
    const dexMids = first<AllMidsEvent>();
    await client.trades({ coin: 'PURR/USDC' }, trades.listener);
    await client.bbo({ coin: 'xyz:DEF' }, bbo.listener);
    await client.allMids(mids.listener);
    await client.allMids({ dex: 'xyz' }, dexMids.listener);
    expect((await mids.got).mids).toHaveProperty('ETH');
    expect((await mids.got).dex).toBeUndefined();
    expect(await dexMids.got).toEqual({ mids: { 'xyz:ABC': h.feed.books.book('xyz:ABC')!.mid(), 'xyz:DEF': h.feed.books.book('xyz:DEF')!.mid() }, dex: 'xyz' });
    let expectedTrades = 0;
    for (const b of m.blocks) expectedTrades += h.feed.apply(b).trades.get('PURR/USDC')?.length ?? 0;
    expect(expectedTrades).toBeGreaterThan(0);
    const t = await trades.got;
    expect(t[0]!.coin).toBe('PURR/USDC');
    const b = await bbo.got;
    expect(b.coin).toBe('xyz:DEF');
    // Frames of the other subscription never reach a dex-filtered listener.
    expect(mids.all.every((e) => e.dex === undefined)).toBe(true);
    expect(dexMids.all.every((e) => e.dex === 'xyz')).toBe(true);
  });

  it('gets an error matched to its request for a coin the server does not have', async () => {
    const client = new SubscriptionClient({ transport: transport() });
    await expect(client.l2Book({ coin: 'NOPE' }, () => {})).rejects.toThrow(WebSocketRequestError);
    await expect(client.bbo({ coin: 'NOPE' }, () => {})).rejects.toThrow(/Invalid subscription/);
  });
});

describe('@nktkas/hyperliquid InfoClient over the WebSocket transport', () => {
  it('gets an l2Book through post', async () => {
    const info = new InfoClient({ transport: transport() });
    for (const params of [{ coin: 'ETH' }, { coin: '@107', nSigFigs: 4 as const }]) {
      const book = await info.l2Book(params);
      expect(book).toEqual({ coin: params.coin, time: m.snapshotTime, levels: h.feed.books.book(params.coin)!.l2({ nSigFigs: params.nSigFigs ?? null }) });
    }
  });
});
