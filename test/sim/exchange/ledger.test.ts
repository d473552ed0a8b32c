/**
 * The ledger's bookkeeping of fills, checked against figures worked out by hand: fees at the
 * base tier (perps 0.045 % taker / 0.015 % maker, spot 0.07 % / 0.04 %, a spot buyer paying in
 * the token it receives), entry cost, realized PnL on closes and flips, `dir` and
 * `startPosition` as the node writes them.
 */
import { describe, expect, it } from 'vitest';
import { buildMarket } from '../../../src/sim/market.js';
import { ASK, BID, MatchingBook } from '../../../src/sim/matching-book.js';
import type { ExternalMarket } from '../../../src/sim/sim-market.js';
import { assetTable } from '../../../src/sim/exchange/assets.js';
import { Ledger } from '../../../src/sim/exchange/ledger.js';
import { usd } from '../../../src/sim/exchange/money.js';

const coins = buildMarket(9, 1);
const eth = coins.find((c) => c.name === 'ETH')!;
const hype = coins.find((c) => c.name === '@107')!;

function ledger(): Ledger {
  let next = 5000;
  const l = new Ledger(assetTable(coins), () => next++);
  l.m = { coins, books: coins.map(() => new MatchingBook()), ms: 0, height: 0, time: '' } as unknown as ExternalMarket;
  return l;
}

function fill(l: Ledger, user: number, coin: typeof eth, side: 0 | 1, pxTicks: number, lots: number, crossed: boolean): Record<string, unknown> {
  const json = l.fill({ coin, user, side, pxTicks, lots, hash: '0x' + '1'.repeat(64), oid: 7, crossed, tid: 9, cloid: null, time: 1 });
  return (JSON.parse(json) as [string, Record<string, unknown>])[1];
}

describe('the ledger books fills exactly', () => {
  it('numbers assets as the public API does: perps 0…, spot 10000 + pair, HIP-3 100000 + dex × 10000 + index', () => {
    const t = assetTable(coins);
    expect(t.byAsset.get(0)!.name).toBe('BTC');
    expect(t.byAsset.get(1)!.name).toBe('ETH');
    expect(t.byAsset.get(10107)!.name).toBe('@107');
    expect(t.byAsset.get(10000)!.name).toBe('PURR/USDC');
    expect(t.byAsset.get(110000)!.name).toBe('xyz:ABC');
    expect(t.maxLeverage[0]).toBe(40);
  });

  it('perp: open, flip and close with fees, dir, startPosition and closedPnl', () => {
    const l = ledger();
    const a = l.open('0x' + 'a'.repeat(40));
    // Buy 0.02 ETH at 3000.0 as taker: fee 3000 × 0.02 × 0.00045 = 0.027.
    expect(fill(l, a.user, eth, BID, 30_000, 200, true)).toMatchObject({
      dir: 'Open Long',
      startPosition: '0.0',
      closedPnl: '0.0',
      fee: '0.027',
      px: '3000.0',
      sz: '0.02',
    });
    expect(usd(a.usdc)).toBe('99999.973');
    // Sell 0.03 at 3010.0 as maker: closes 0.02 (+0.2), opens 0.01 short; fee 3010 × 0.03 × 0.00015 = 0.013545.
    expect(fill(l, a.user, eth, ASK, 30_100, 300, false)).toMatchObject({
      dir: 'Long > Short',
      startPosition: '0.02',
      closedPnl: '0.2',
      fee: '0.013545',
      crossed: false,
    });
    expect(a.positions.get(eth.id)).toEqual({ lots: -100, cost: 30_100n * 100n });
    // Buy 0.01 back at 3005.0: +0.05, flat; fee 3005 × 0.01 × 0.00045 = 0.0135225 → 0.013522.
    expect(fill(l, a.user, eth, BID, 30_050, 100, true)).toMatchObject({ dir: 'Close Short', startPosition: '-0.01', closedPnl: '0.05', fee: '0.013522' });
    expect(a.positions.has(eth.id)).toBe(false);
    expect(usd(a.usdc)).toBe(usd(100_000_000_000n - 27_000n + 200_000n - 13_545n + 50_000n - 13_522n));
  });

  it('perp: a partial close realizes PnL on the average entry', () => {
    const l = ledger();
    const a = l.open('0x' + 'b'.repeat(40));
    fill(l, a.user, eth, BID, 30_000, 100, false);
    fill(l, a.user, eth, BID, 31_000, 100, false); // entry 3050.0 on 0.02
    expect(fill(l, a.user, eth, ASK, 31_000, 50, false)).toMatchObject({ dir: 'Close Long', closedPnl: '0.25' }); // (3100 − 3050) × 0.005
    expect(a.positions.get(eth.id)).toEqual({ lots: 150, cost: 30_500n * 150n });
  });

  it('spot: a buyer pays its fee in the base token, a seller in USDC', () => {
    const l = ledger();
    const a = l.open('0x' + 'c'.repeat(40));
    // Buy 10 HYPE at 30.000: −300 USDC, +10 − 0.007 HYPE.
    expect(fill(l, a.user, hype, BID, 30_000, 1000, true)).toMatchObject({ dir: 'Buy', fee: '0.007', feeToken: 'HYPE', startPosition: '0.0' });
    expect(usd(a.spotUsdc)).toBe('99700.0');
    expect(a.spot.get(hype.id)).toBe(9_993_000_00n);
    // Sell 5 at 31.000 as maker: +155 − 0.062 USDC.
    expect(fill(l, a.user, hype, ASK, 31_000, 500, false)).toMatchObject({ dir: 'Sell', fee: '0.062', feeToken: 'USDC', startPosition: '9.993' });
    expect(usd(a.spotUsdc)).toBe('99854.938');
  });
});
