/**
 * HyperliquidMarket against the real stack (simulated node + paper exchange → ingest →
 * server on 127.0.0.1), through our URL only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperliquidMarket, offsetPrice, type InFlightOrder } from '../../src/connector/index.js';
import { randomPrivateKey } from '../../src/sign/index.js';
import { startStack, type Stack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack?.close());

function until(market: HyperliquidMarket, order: () => InFlightOrder | undefined, accept: (o: InFlightOrder) => boolean): Promise<InFlightOrder> {
  return new Promise((resolve) => {
    const check = (): void => {
      const o = order();
      if (o && accept(o)) {
        off();
        resolve(o);
      }
    };
    const off = market.events.on('orderState', check);
    check();
  });
}

describe('HyperliquidMarket on the paper exchange through our server', () => {
  it('places an ALO bid (tracked before the request leaves), sees it rest in the L4 book under its address, cancels it', { timeout: 120_000 }, async () => {
    const market = await HyperliquidMarket.create({ url: stack.url, privateKey: randomPrivateKey(), pairs: ['BTC'] });
    try {
      const rule = market.tradingRule('BTC');
      expect(rule).toMatchObject({ asset: 0, kind: 'perp' });
      const book = market.getOrderBook('BTC');
      // Far below the touch: the simulated flow sweeps a few ticks easily.
      const bid = offsetPrice(book.bestBid()!.px, rule, -3000);
      const created: string[] = [];
      market.events.on('orderCreated', (o) => created.push(o.clientOrderId));
      const cloid = market.buy('BTC', '0.001', { type: 'limitMaker', price: bid });
      expect(market.inFlightOrders.get(cloid)?.state).toBe('pendingCreate');
      const open = await until(
        market,
        () => market.inFlightOrders.get(cloid),
        (o) => o.state === 'open',
      );
      expect(created).toEqual([cloid]);
      await market.orderBookTracker.waitForSync('BTC');
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (
            market
              .getOrderBook('BTC')
              .ordersOf(market.account)
              .some((o) => o.oid === open.exchangeOrderId)
          ) {
            off();
            resolve();
          }
        };
        const off = market.orderBookTracker.events.on('change', check);
        check();
      });
      const q = market.getOrderBook('BTC').queuePosition(open.exchangeOrderId!);
      expect(q?.px).toBe(bid.includes('.') ? bid : `${bid}.0`);
      await market.cancel('BTC', cloid);
      const done = await until(
        market,
        () => market.inFlightOrders.get(cloid),
        (o) => o.isDone,
      );
      expect(done.state).toBe('canceled');
    } finally {
      await market.close();
    }
  });
});
