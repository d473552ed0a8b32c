import { describe, expect, it } from 'vitest';
import { SubscriptionPlan, parseSubscriptionItem } from '../../src/load/subscriptions.js';

describe('--subscribe specs', () => {
  it('turns type:coin into the subscription object the server expects', () => {
    expect(parseSubscriptionItem('l2Book:BTC')).toEqual({ type: 'l2Book', coin: 'BTC', params: {} });
    expect(parseSubscriptionItem('trades:@107')).toEqual({ type: 'trades', coin: '@107', params: {} });
    expect(parseSubscriptionItem('bbo:PURR/USDC')).toEqual({ type: 'bbo', coin: 'PURR/USDC', params: {} });
  });

  it('reads trailing l2Book numbers as nSigFigs then mantissa, and keeps HIP-3 colons in the coin', () => {
    expect(parseSubscriptionItem('l2Book:BTC:5')).toEqual({ type: 'l2Book', coin: 'BTC', params: { nSigFigs: 5 } });
    expect(parseSubscriptionItem('l2Book:BTC:5:2')).toEqual({ type: 'l2Book', coin: 'BTC', params: { nSigFigs: 5, mantissa: 2 } });
    expect(parseSubscriptionItem('l2Book:xyz:ABC:3')).toEqual({ type: 'l2Book', coin: 'xyz:ABC', params: { nSigFigs: 3 } });
    expect(parseSubscriptionItem('trades:xyz:ABC')).toEqual({ type: 'trades', coin: 'xyz:ABC', params: {} });
  });

  it('knows l4Book bookOnly, allMids with a dex, and serverStatus', () => {
    expect(parseSubscriptionItem('l4Book:BTC:bookOnly')).toEqual({ type: 'l4Book', coin: 'BTC', params: { bookOnly: true } });
    expect(parseSubscriptionItem('allMids')).toEqual({ type: 'allMids', params: {} });
    expect(parseSubscriptionItem('allMids:xyz')).toEqual({ type: 'allMids', params: { dex: 'xyz' } });
    expect(parseSubscriptionItem('serverStatus')).toEqual({ type: 'serverStatus', params: {} });
  });

  it('refuses unknown types and missing coins with a message naming the item', () => {
    expect(() => parseSubscriptionItem('l3Book:BTC')).toThrow(/unknown subscription type "l3Book".*known: l2Book/);
    expect(() => parseSubscriptionItem('trades')).toThrow(/trades needs a coin/);
    expect(() => parseSubscriptionItem('serverStatus:BTC')).toThrow(/takes no coin/);
  });

  it('gives every client the whole list when no * is used', () => {
    const plan = new SubscriptionPlan('l2Book:BTC,trades:BTC,bbo:ETH');
    expect(plan.perClient).toBe(3);
    expect(plan.forClient(0)).toEqual(plan.forClient(7));
    expect(plan.forClient(3)).toEqual([
      { type: 'l2Book', coin: 'BTC' },
      { type: 'trades', coin: 'BTC' },
      { type: 'bbo', coin: 'ETH' },
    ]);
  });

  it('spreads * over --coins round robin: client i gets coin i mod n for every * item', () => {
    const coins = Array.from({ length: 10 }, (_, i) => `C${i}`);
    const plan = new SubscriptionPlan('l2Book:*,bbo:*,trades:*,allMids', coins);
    const perCoin = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const subs = plan.forClient(i);
      const own = subs.filter((s) => s.coin !== undefined).map((s) => s.coin);
      expect(new Set(own)).toEqual(new Set([`C${i % 10}`]));
      perCoin.set(String(own[0]), (perCoin.get(String(own[0])) ?? 0) + 1);
    }
    expect([...perCoin.values()]).toEqual(Array(10).fill(100));
  });

  it('refuses * without --coins and --coins without *', () => {
    expect(() => new SubscriptionPlan('l2Book:*')).toThrow(/--coins is empty/);
    expect(() => new SubscriptionPlan('l2Book:BTC', ['ETH'])).toThrow(/only used by \*/);
    expect(() => new SubscriptionPlan(' , ')).toThrow(/at least one/);
  });
});
