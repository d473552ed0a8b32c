/**
 * Faults under the connector, on the whole stack: a rejected order, an `/exchange` answer
 * that never comes (resolved by `orderStatus`, found or not), a cancel racing a fill, the
 * server restarted under it and a dropped connection (reconciled with `openOrders` and
 * `orderStatus`; no order lost, no fill counted twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth,
  ExchangeClient,
  HyperliquidMarket,
  NonceManager,
  offsetPrice,
  systemClockForTests,
  type Fetch,
  type InFlightOrder,
} from './support/market-helpers.js';
import { randomPrivateKey } from '../../src/sign/index.js';
import { ClientBuilder, Post, Subscriptions } from '../../src/client/index.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.close());

const realFetch = globalThis.fetch as unknown as Fetch;

function until(market: HyperliquidMarket, cloid: string, accept: (o: InFlightOrder) => boolean): Promise<InFlightOrder> {
  return new Promise((resolve) => {
    const check = (): void => {
      const o = market.inFlightOrders.get(cloid);
      if (o && accept(o)) {
        offs.forEach((off) => off());
        resolve(o);
      }
    };
    const offs = [market.events.on('orderState', check), market.events.on('orderFilled', check)];
    check();
  });
}

/** The paper exchange directly (not through our server), for what happens while it is down. */
function direct(privateKey: string): { auth: Auth; exchange: ExchangeClient } {
  const base = stack.sim.exchangeUrl!.replace(/\/exchange$/, '');
  // Its own nonces, a second ahead of the market's: both sign for the same key.
  const auth = new Auth({ privateKey, isMainnet: false, nonces: new NonceManager({ now: () => Date.now() + 1_000 }) });
  return { auth, exchange: new ExchangeClient({ baseUrl: base, clock: systemClockForTests }) };
}

describe('connector faults', () => {
  it('a rejected order fails with the exchange message', { timeout: 120_000 }, async () => {
    const market = await HyperliquidMarket.create({ url: stack.url, privateKey: randomPrivateKey(), pairs: ['BTC'] });
    try {
      const reasons: string[] = [];
      market.events.on('orderFailed', (_o, reason) => reasons.push(reason));
      const px = offsetPrice(market.getOrderBook('BTC').bestBid()!.px, market.tradingRule('BTC'), -3000);
      const cloid = market.buy('BTC', '0.00001', { type: 'limitMaker', price: px }); // ~$1: under the $10 minimum
      const o = await until(market, cloid, (x) => x.isDone);
      expect(o.state).toBe('failed');
      expect(o.failureReason).toMatch(/minimum value of \$10/);
      expect(reasons).toEqual([o.failureReason]);
    } finally {
      await market.close();
    }
  });

  it('an /exchange answer that never comes is resolved by orderStatus: the order was placed, it is open', { timeout: 120_000 }, async () => {
    // The request reaches the exchange; its answer is lost on the way back.
    const lossy: Fetch = async (url, init) => {
      const res = await realFetch(url, init);
      if (!url.endsWith('/exchange') || !init.body.includes('"type":"order"')) return res;
      return new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
    };
    // And the stream says nothing of it (orderUpdates and fills dropped): only orderStatus can tell.
    const client = new ClientBuilder(stack.url.replace(/^http/, 'ws') + '/ws')
      .withModule(Subscriptions)
      .withModule(Post)
      .withMiddleware({ onReceive: (frame) => (frame.channel === 'orderUpdates' || frame.channel === 'userFills' || frame.channel === 'user' ? null : frame) })
      .build();
    const lookups: string[] = [];
    const counting: Fetch = (url, init) => {
      if (init.body.includes('"type":"orderStatus"')) lookups.push(init.body);
      return lossy(url, init);
    };
    const market = await HyperliquidMarket.create({
      url: stack.url,
      privateKey: randomPrivateKey(),
      pairs: ['BTC'],
      fetch: counting,
      exchangeTimeoutMs: 1_500,
      client,
    });
    try {
      const px = offsetPrice(market.getOrderBook('BTC').bestBid()!.px, market.tradingRule('BTC'), -3000);
      const cloid = market.buy('BTC', '0.0002', { type: 'limitMaker', price: px });
      const o = await until(market, cloid, (x) => x.state !== 'pendingCreate');
      expect(o.state).toBe('open');
      expect(o.exchangeOrderId).toBeTypeOf('number');
      expect(lookups.length).toBeGreaterThanOrEqual(1);
      await market.cancelAll();
      await market.settled(AbortSignal.timeout(30_000));
      expect(o.state).toBe('canceled');
    } finally {
      await market.close();
      await client.close();
    }
  });

  it('an /exchange request that never arrived is resolved by orderStatus too: unknown, so failed (not guessed)', { timeout: 120_000 }, async () => {
    const blackhole: Fetch = (url, init) =>
      url.endsWith('/exchange')
        ? new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
        : realFetch(url, init);
    const market = await HyperliquidMarket.create({
      url: stack.url,
      privateKey: randomPrivateKey(),
      pairs: ['BTC'],
      fetch: blackhole,
      exchangeTimeoutMs: 500,
      statusLookups: 3,
      statusLookupIntervalMs: 200,
    });
    try {
      const px = offsetPrice(market.getOrderBook('BTC').bestBid()!.px, market.tradingRule('BTC'), -3000);
      const cloid = market.buy('BTC', '0.0002', { type: 'limitMaker', price: px });
      const o = await until(market, cloid, (x) => x.isDone);
      expect(o.state).toBe('failed');
      expect(o.failureReason).toMatch(/orderStatus does not know it after 3 lookups/);
    } finally {
      await market.close();
    }
  });

  it('a cancel of an order that filled meanwhile ends filled, not canceled, with every fill counted once', { timeout: 120_000 }, async () => {
    // Hold the order's answer until the cancel has been answered: the cancel races the fill.
    let release: () => void = () => {};
    const cancelAnswered = new Promise<void>((resolve) => (release = resolve));
    const racing: Fetch = async (url, init) => {
      const res = await realFetch(url, init);
      if (url.endsWith('/exchange') && init.body.includes('"type":"order"')) {
        const text = await res.text();
        await cancelAnswered;
        return { ok: res.ok, status: res.status, text: () => Promise.resolve(text) };
      }
      if (url.endsWith('/exchange') && init.body.includes('"type":"cancelByCloid"')) setTimeout(release, 0);
      return res;
    };
    const market = await HyperliquidMarket.create({
      url: stack.url,
      privateKey: randomPrivateKey(),
      pairs: ['BTC'],
      fetch: racing,
      statusLookupIntervalMs: 200,
    });
    try {
      const book = market.getOrderBook('BTC');
      // A limit buy well through the best ask: it fills at once.
      const px = offsetPrice(book.bestAsk()!.px, market.tradingRule('BTC'), 200);
      const cloid = market.buy('BTC', '0.0002', { type: 'limit', price: px });
      const cancel = market.cancel('BTC', cloid);
      expect(market.inFlightOrders.get(cloid)!.state).toBe('pendingCancel');
      await cancel;
      const o = await until(market, cloid, (x) => x.state === 'filled' && x.executedAmount === '0.0002');
      expect(o.state).toBe('filled');
      expect(new Set(o.fills.map((f) => f.tid)).size).toBe(o.fills.length);
    } finally {
      await market.close();
    }
  });

  it(
    'the server restarted under the connector: it reconnects, reconciles with openOrders/orderStatus, nothing lost or counted twice',
    { timeout: 180_000 },
    async () => {
      const key = randomPrivateKey();
      const market = await HyperliquidMarket.create({ url: stack.url, privateKey: key, pairs: ['BTC'], statusLookupIntervalMs: 200 });
      try {
        const rule = market.tradingRule('BTC');
        const far = offsetPrice(market.getOrderBook('BTC').bestBid()!.px, rule, -3000);
        const a = market.buy('BTC', '0.0002', { type: 'limitMaker', price: far });
        const b = market.buy('BTC', '0.0002', { type: 'limitMaker', price: offsetPrice(far, rule, -1) });
        const c = market.buy('BTC', '0.0002', { type: 'limit', price: offsetPrice(market.getOrderBook('BTC').bestAsk()!.px, rule, 200) });
        await until(market, a, (o) => o.state === 'open');
        await until(market, b, (o) => o.state === 'open');
        const filledC = await until(market, c, (o) => o.state === 'filled' && o.executedAmount === '0.0002');
        const fillsOfC = filledC.fills.length;

        // The server goes away; meanwhile A is canceled on the exchange (another session of the key).
        await stack.stopServer();
        const d = direct(key);
        const answer = await d.exchange.action(d.auth.sign({ type: 'cancelByCloid', cancels: [{ asset: rule.asset, cloid: a }] }));
        expect(answer).toEqual({ ok: true, statuses: ['success'] });
        expect(market.inFlightOrders.get(a)!.state).toBe('open'); // the connector cannot know yet
        // Let ingest apply the cancel's block, so the restarted server's books no longer hold A.
        const written = stack.sim.height() + 1;
        await new Promise<void>((resolve) => {
          const check = (): void => {
            if ((stack.feed.status().height ?? 0) >= written) {
              stack.feed.off('block', check);
              resolve();
            }
          };
          stack.feed.on('block', check);
          check();
        });

        const reconciled = new Promise<number>((resolve) => market.events.once('reconciled', resolve));
        await stack.startServer();
        // A's end comes by the orderStatus lookup or by the stream, whichever the timing gives.
        expect(await reconciled).toBeGreaterThanOrEqual(0);
        const canceledA = await until(market, a, (o) => o.isDone);
        expect(canceledA.state).toBe('canceled');
        expect(market.inFlightOrders.get(b)!.state).toBe('open');
        expect(filledC.fills.length).toBe(fillsOfC);
        expect(filledC.executedAmount).toBe('0.0002');

        // A dropped connection (same server): the userFills snapshot after the re-subscribe
        // repeats the fills this server holds (D's, made after its restart); each counts once.
        const dupes = new Map<number, number>();
        market.userStreamTracker.events.on('duplicateFill', (f) => dupes.set(f.tid, (dupes.get(f.tid) ?? 0) + 1));
        const dCloid = market.buy('BTC', '0.0002', { type: 'limit', price: offsetPrice(market.getOrderBook('BTC').bestAsk()!.px, rule, 200) });
        const filledD = await until(market, dCloid, (o) => o.state === 'filled' && o.executedAmount === '0.0002');
        const fillsOfD = filledD.fills.length;
        const again = new Promise<number>((resolve) => market.events.once('reconciled', resolve));
        await market.client.disconnect();
        await market.client.connect();
        await again;
        // Each of D's fills came on userFills, again on the user channel, and again in the snapshot.
        const repeated = (): boolean => filledD.fills.every((f) => (dupes.get(f.tid) ?? 0) >= 2);
        if (!repeated()) {
          await new Promise<void>((resolve) => {
            const off = market.userStreamTracker.events.on('duplicateFill', () => {
              if (repeated()) {
                off();
                resolve();
              }
            });
          });
        }
        expect(filledD.fills.length).toBe(fillsOfD);
        expect(filledD.executedAmount).toBe('0.0002');
        expect(filledC.executedAmount).toBe('0.0002');
        await market.cancelAll();
        await market.settled(AbortSignal.timeout(30_000));
        expect(market.inFlightOrders.get(b)!.state).toBe('canceled');
      } finally {
        await market.close();
      }
    },
  );
});
