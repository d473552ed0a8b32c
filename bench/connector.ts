/**
 * `npm run bench -- connector`: the connector's latencies against the paper exchange, on the
 * whole stack in this process (simulated node at the mainnet profile + paper exchange →
 * ingest → our server on 127.0.0.1 → `HyperliquidMarket`).
 *
 * - `connector.place_to_ack_ms` p50/p99: `buy()` called → `orderCreated` (the exchange's oid
 *   known, from the answer or the stream, whichever first), for ALO bids that rest. Baseline
 *   in the same run: a pre-signed `noop` action's round trip through the same URL (what any
 *   client pays for `/exchange`); the ratio is the connector's cost on top (signing,
 *   tracking, events).
 * - `connector.fill_to_event_ms` p50/p99: a fill's block time → the connector's `orderFilled`,
 *   for small taker buys. Baseline: the same fills' `userFills` frames at a bare SDK
 *   subscriber on the same server (the server's and the wire's part); the ratio is the
 *   connector's part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientBuilder, Subscriptions } from '../src/client/index.js';
import { HyperliquidMarket, offsetPrice } from '../src/connector/index.js';
import { startServer } from '../src/server/index.js';
import { randomPrivateKey, signL1Action } from '../src/sign/index.js';
import { startSimulator } from '../src/sim/index.js';
import { createNodeFeed, type NodeFeed } from '../src/state/index.js';
import type { Report } from './run.js';

const PLACES = Number(process.env.CONNECTOR_BENCH_PLACES ?? 100);
const FILLS = Number(process.env.CONNECTOR_BENCH_FILLS ?? 40);

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

const round = (x: number): number => Math.round(x * 100) / 100;

export async function run(report: Report): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hlob-bench-connector-'));
  const sim = await startSimulator({ dataDir: join(dataDir, 'hl', 'data'), infoPort: 0, profile: 'mainnet', seed: 5, keepMinutes: 0 });
  await new Promise<void>((resolve) => sim.once('block', () => resolve()));
  const feed = createNodeFeed({ dataDir: join(dataDir, 'hl', 'data'), infoUrl: sim.infoUrl, source: 'simulated' }) as NodeFeed;
  const wake = (): void => feed.wake();
  sim.on('block', wake);
  await feed.start();
  const server = await startServer({ feed, host: '127.0.0.1', port: 0, infoUrl: sim.infoUrl, exchangeUrl: sim.exchangeUrl });
  const key = randomPrivateKey();
  const market = await HyperliquidMarket.create({ url: server.httpUrl, privateKey: key, pairs: ['ETH'] });
  const bare = new ClientBuilder(server.url).withModule(Subscriptions).build();
  try {
    const rule = market.tradingRule('ETH');

    // Baseline 1: a signed noop's round trip through the same URL, one at a time.
    const rtt: number[] = [];
    for (let i = 0; i < 30; i++) {
      const nonce = Date.now() + 100_000 + i;
      const action = { type: 'noop' };
      const body = JSON.stringify({
        action,
        nonce,
        signature: signL1Action({ privateKey: key, action, nonce, isMainnet: false }),
        vaultAddress: null,
        expiresAfter: null,
      });
      const t0 = performance.now();
      const res = await fetch(`${server.httpUrl}/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.text();
      rtt.push(performance.now() - t0);
    }

    // place → ack, one order at a time (far below the touch: each rests).
    const acks: number[] = [];
    for (let i = 0; i < PLACES; i++) {
      const px = offsetPrice(market.getOrderBook('ETH').bestBid()!.px, rule, -300 - (i % 50));
      const t0 = performance.now();
      const acked = new Promise<void>((resolve, reject) => {
        const offs = [
          market.events.on('orderCreated', (o) => o.clientOrderId === cloid && done(resolve)),
          market.events.on('orderFailed', (o, reason) => o.clientOrderId === cloid && done(() => reject(new Error(reason)))),
        ];
        const done = (fn: () => void): void => {
          offs.forEach((off) => off());
          fn();
        };
      });
      const cloid = market.buy('ETH', '0.01', { type: 'limitMaker', price: px });
      await acked;
      acks.push(performance.now() - t0);
    }
    await market.cancelAll();
    await market.settled(AbortSignal.timeout(60_000));

    // fill → event: small taker buys; the same fills timed at a bare userFills subscriber.
    await bare.connect();
    const frameAt = new Map<number, number>();
    await bare
      .getHandle(Subscriptions)
      .subscribe<{ fills?: { tid: number; time: number }[]; isSnapshot?: boolean }>({ type: 'userFills', user: market.account }, (data) => {
        if (data.isSnapshot) return;
        for (const f of data.fills ?? []) frameAt.set(f.tid, Date.now() - f.time);
      });
    const toEvent = new Map<number, number>();
    market.events.on('orderFilled', (_o, f) => toEvent.set(f.tid, Date.now() - f.time));
    for (let i = 0; i < FILLS; i++) {
      const px = offsetPrice(market.getOrderBook('ETH').bestAsk()!.px, rule, 20);
      const cloid = market.buy('ETH', '0.01', { type: 'limit', price: px });
      await new Promise<void>((resolve) => {
        const off = market.events.on('orderState', (o) => {
          if (o.clientOrderId === cloid && o.isDone) {
            off();
            resolve();
          }
        });
      });
    }
    const tids = [...toEvent.keys()].filter((t) => frameAt.has(t));
    const events = tids.map((t) => toEvent.get(t)!);
    const frames = tids.map((t) => frameAt.get(t)!);
    if (events.length < FILLS / 2) throw new Error(`only ${events.length} fills timed of ${FILLS} taker orders`);

    const p = (xs: number[], q: number): number => round(percentile(xs, q));
    // The goals are on the ratios (the connector's share), so `met` is set here.
    const placeRatio = round(percentile(acks, 50) / percentile(rtt, 50));
    const fillRatio = round(percentile(events, 50) / percentile(frames, 50));
    report({
      bench: 'connector.place_to_ack_ms.p50',
      value: p(acks, 50),
      unit: 'ms',
      ratio: placeRatio,
      goal: '<= 2',
      met: placeRatio <= 2,
      baseline: 'signed noop round trip p50',
      baselineMs: p(rtt, 50),
      orders: PLACES,
    });
    report({
      bench: 'connector.place_to_ack_ms.p99',
      value: p(acks, 99),
      unit: 'ms',
      ratio: round(percentile(acks, 99) / percentile(rtt, 99)),
      baselineMs: p(rtt, 99),
    });
    report({
      bench: 'connector.fill_to_event_ms.p50',
      value: p(events, 50),
      unit: 'ms',
      ratio: fillRatio,
      goal: '<= 1.2',
      met: fillRatio <= 1.2,
      baseline: 'bare userFills frame p50',
      baselineMs: p(frames, 50),
      fills: events.length,
    });
    report({
      bench: 'connector.fill_to_event_ms.p99',
      value: p(events, 99),
      unit: 'ms',
      ratio: round(percentile(events, 99) / percentile(frames, 99)),
      baselineMs: p(frames, 99),
    });
  } finally {
    await bare.close();
    await market.close();
    await server.close();
    sim.off('block', wake);
    await feed.stop();
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
