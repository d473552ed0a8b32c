/**
 * Candles over real sockets: the `candle` channel and `candleSnapshot` (HTTP and `post`) in
 * the public shape, through a raw client, @nktkas/hyperliquid and ccxt's `hyperliquid` class
 * pointed at our URLs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport, InfoClient, SubscriptionClient, WebSocketTransport, type CandleWsEvent } from '@nktkas/hyperliquid';
import ccxt from 'ccxt';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Block } from '../../../src/book/index.js';
import { harness, type Harness } from '../helpers/harness.js';
import { makeMarket, type Market } from '../helpers/market.js';

/** The public shape, field types as @nktkas/hyperliquid declares them. */
const Decimal = v.pipe(v.string(), v.regex(/^[0-9]+(\.[0-9]+)?$/));
const CandleSchema = v.strictObject({
  t: v.pipe(v.number(), v.integer()),
  T: v.pipe(v.number(), v.integer()),
  s: v.string(),
  i: v.picklist(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '8h', '12h', '1d', '3d', '1w', '1M']),
  o: Decimal,
  c: Decimal,
  h: Decimal,
  l: Decimal,
  v: Decimal,
  n: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

let h: Harness;
let m: Market;
let height: number;

beforeEach(async () => {
  m = makeMarket({ seed: 5, blocks: 40 });
  h = await harness();
  h.feed.load(m.snapshot, m.snapshotTime);
  height = m.snapshot[0];
});
afterEach(async () => {
  await h.close();
});

function applyAll(): void {
  for (const b of m.blocks) h.feed.apply(b);
  height = m.blocks.at(-1)!.height;
}

/** An empty block at `time` (moves the clock of candles on). */
function tick(time: number): void {
  const b: Block = { height: ++height, time, statuses: [], diffs: [], fills: [] };
  h.feed.apply(b);
}

function ethTrades(): { px: string; sz: string; time: number }[] {
  const out: { px: string; sz: string; time: number }[] = [];
  for (const b of m.blocks) {
    const seen = new Set<number>();
    for (const [, f] of b.fills) {
      if (f.coin !== 'ETH' || seen.has(f.tid)) continue;
      seen.add(f.tid);
      out.push({ px: f.px, sz: f.sz, time: b.time });
    }
  }
  return out;
}

async function post(body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${h.server.httpUrl}/info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: res.ok ? (JSON.parse(text) as unknown) : text };
}

describe('candle channel and candleSnapshot', () => {
  it('streams the open candle in the public shape and answers candleSnapshot over HTTP and post', async () => {
    const trades = ethTrades();
    expect(trades.length).toBeGreaterThan(1);
    const c = await h.client();
    c.send({ method: 'subscribe', subscription: { type: 'candle', coin: 'ETH', interval: '1m' } });
    await c.channel('subscriptionResponse');
    applyAll();
    const last = m.blocks.at(-1)!.time;
    const frame = await c.next((f) => f.channel === 'candle' && (f.data as { n: number }).n === trades.length);
    const candle = v.parse(CandleSchema, frame.data);
    const start = last - (last % 60_000);
    expect(candle).toMatchObject({ t: start, T: start + 59_999, s: 'ETH', i: '1m', o: trades[0]!.px, c: trades.at(-1)!.px, n: trades.length });
    const pxs = trades.map((t) => Number(t.px));
    expect(Number(candle.h)).toBe(Math.max(...pxs));
    expect(Number(candle.l)).toBe(Math.min(...pxs));

    // The first block past its end closes it; the next minute opens flat at its close.
    tick(start + 60_000 + 5);
    const next = v.parse(CandleSchema, (await c.next((f) => f.channel === 'candle' && (f.data as { t: number }).t === start + 60_000)).data);
    expect(next).toMatchObject({ o: candle.c, h: candle.c, l: candle.c, c: candle.c, v: '0.0', n: 0 });

    const http = await post({ type: 'candleSnapshot', req: { coin: 'ETH', interval: '1m', startTime: 0, endTime: start + 120_000 } });
    expect(http.status).toBe(200);
    const list = v.parse(v.array(CandleSchema), http.json);
    expect(list).toEqual([candle, next]);
    expect(await post({ type: 'candleSnapshot', req: { coin: 'ETH', interval: '1m', startTime: start + 60_000 } })).toEqual({ status: 200, json: [next] });
    expect(await post({ type: 'candleSnapshot', req: { coin: 'NOPE', interval: '1h', startTime: 0 } })).toEqual({ status: 200, json: [] });

    c.send({
      method: 'post',
      id: 7,
      request: { type: 'info', payload: { type: 'candleSnapshot', req: { coin: 'ETH', interval: '1m', startTime: 0, endTime: start + 120_000 } } },
    });
    const p = await c.channel('post');
    expect(p.data).toEqual({ id: 7, response: { type: 'info', payload: { type: 'candleSnapshot', data: list } } });
  });

  it('refuses bad candle subscriptions and requests with the public texts', async () => {
    const c = await h.client();
    c.send({ method: 'subscribe', subscription: { type: 'candle', coin: 'ETH', interval: '2m' } });
    expect((await c.channel('error')).data).toMatch(/^Invalid subscription /);
    c.send({ method: 'subscribe', subscription: { type: 'candle', coin: 'ETH' } });
    expect((await c.channel('error')).data).toMatch(/^Invalid subscription /);
    const bad = await post({ type: 'candleSnapshot', req: { coin: 'ETH', interval: '7m', startTime: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatch(/Invalid candleSnapshot request/);
  });

  it('works with @nktkas/hyperliquid: SubscriptionClient.candle and InfoClient.candleSnapshot validate', async () => {
    const transport = new WebSocketTransport({
      url: h.server.url,
      timeout: 5000,
      reconnect: { WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, maxRetries: 0 },
    });
    try {
      const events: CandleWsEvent[] = [];
      let resolve!: () => void;
      const got = new Promise<void>((r) => (resolve = r));
      const sub = await new SubscriptionClient({ transport }).candle({ coin: 'ETH', interval: '15m' }, (e) => {
        events.push(e);
        resolve();
      });
      applyAll();
      await got;
      expect(v.parse(CandleSchema, events[0])).toMatchObject({ s: 'ETH', i: '15m' });
      await sub.unsubscribe();
      const info = new InfoClient({ transport: new HttpTransport({ apiUrl: h.server.httpUrl }) });
      const list = await info.candleSnapshot({ coin: 'ETH', interval: '15m', startTime: 0 });
      expect(list).toHaveLength(1);
      expect(list[0]).toEqual(events.at(-1));
    } finally {
      await transport.close();
    }
  });
});

describe('ccxt hyperliquid pointed at our URLs', () => {
  let nodeInfo: Server;
  let nodeUrl: string;
  beforeEach(async () => {
    // The node's info server: what ccxt's loadMarkets asks (forwarded by our server).
    nodeInfo = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const r = JSON.parse(body) as { type: string };
        if (r.type === 'spotMeta') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              universe: [],
              tokens: [{ name: 'USDC', szDecimals: 8, weiDecimals: 8, index: 0, tokenId: '0x6d1e7cde53ba9467b783cb7c530ce054', isCanonical: true }],
            }),
          );
          return;
        }
        if (r.type !== 'metaAndAssetCtxs') {
          res.writeHead(422).end('Failed to deserialize the JSON body into the target type');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify([
            { universe: [{ name: 'ETH', szDecimals: 4, maxLeverage: 25, onlyIsolated: false }] },
            [
              {
                markPx: '2000.0',
                midPx: '2000.0',
                oraclePx: '2000.0',
                prevDayPx: '2000.0',
                dayNtlVlm: '0.0',
                funding: '0.0',
                openInterest: '0.0',
                premium: '0.0',
                impactPxs: ['2000.0', '2000.0'],
              },
            ],
          ]),
        );
      });
    });
    await new Promise<void>((r) => nodeInfo.listen(0, '127.0.0.1', r));
    nodeUrl = `http://127.0.0.1:${(nodeInfo.address() as AddressInfo).port}/info`;
    await h.close();
    h = await harness({ infoUrl: nodeUrl });
    h.feed.load(m.snapshot, m.snapshotTime);
  });
  afterEach(async () => {
    await new Promise<void>((r) => nodeInfo.close(() => r()));
  });

  it('fetchOHLCV and watchOHLCV', { timeout: 30_000 }, async () => {
    const ex = new ccxt.pro.hyperliquid({
      urls: { api: { public: h.server.httpUrl, private: h.server.httpUrl, ws: { public: h.server.url } } },
      options: { fetchMarkets: { types: ['swap'] } },
    });
    try {
      // ccxt wants this once for a plain ws:// URL (its own message says so).
      await ex.loadHttpProxyAgent();
      await ex.loadMarkets();
      const watching = ex.watchOHLCV('ETH/USDC:USDC', '1m');
      // The subscription is acknowledged before the first block of trades comes.
      await new Promise<void>((r) => {
        const check = (): void => {
          if (h.server.health().subscriptions > 0) r();
          else setTimeout(check, 10);
        };
        check();
      });
      applyAll();
      const live = await watching;
      const trades = ethTrades();
      const start = m.blocks.at(-1)!.time - (m.blocks.at(-1)!.time % 60_000);
      expect(live.at(-1)).toEqual([start, Number(trades[0]!.px), expect.any(Number), expect.any(Number), Number(trades.at(-1)!.px), expect.any(Number)]);
      tick(start + 60_000);
      const fetched = await ex.fetchOHLCV('ETH/USDC:USDC', '1m', 0, undefined, { until: start + 120_000 });
      expect(fetched.map((k) => k[0])).toEqual([start, start + 60_000]);
      expect(fetched[0]![5]).toBeCloseTo(
        trades.reduce((a, t) => a + Number(t.sz), 0),
        8,
      );
      expect(fetched[1]!.slice(1, 6)).toEqual([fetched[0]![4], fetched[0]![4], fetched[0]![4], fetched[0]![4], 0]);
    } finally {
      await ex.close();
    }
  });
});
