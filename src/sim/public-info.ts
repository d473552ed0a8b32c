/**
 * The public info answers of the simulated node beyond `meta` and `spotMeta`, in the public
 * API's shapes: `metaAndAssetCtxs` (main dex or a HIP-3 `dex`), `spotMetaAndAssetCtxs`,
 * `perpDexs`, `allPerpMetas` and `exchangeStatus`: what ccxt, Hummingbot and the official SDKs
 * ask at start-up.
 *
 * Asset contexts come from the simulator's own market, so they agree with its books:
 * - `midPx`: (best bid + best ask) / 2, exactly (null when a side is empty);
 * - `oraclePx`: the fair price the market makers quote around (the simulator's outside world);
 * - `markPx`: the median of best bid, best ask and last trade (Hyperliquid's book component);
 * - `impactPxs`: the average price of a market order of the impact notional (20,000 USDC for
 *   BTC and ETH, 6,000 otherwise) on each side, bid rounded down and ask up to the tick; null
 *   when a side is too thin;
 * - `premium`: (max(impact bid − oracle, 0) − max(oracle − impact ask, 0)) / oracle, 8 decimals;
 * - `funding`: hourly, (premium + clamp(0.0001 − premium, ±0.0005)) / 8, at most ±4 %: the
 *   public formula with the current premium instead of its hourly average;
 * - `openInterest`: the longs' total over every simulated position;
 * - `dayNtlVlm`, `dayBaseVlm`, `prevDayPx`: the trades of the last 24 hours of block time, by the
 *   hour (`MarketTape`).
 * Every number is formatted from integer units: exact decimal strings, never through a float.
 */
import { formatScaled, formatScaledBig } from '../book/decimal.js';
import type { CoinSpec } from './market.js';
import { metaResponse, spotMetaResponse } from './market.js';
import type { MarketTape } from './market-tape.js';
import { ASK, BID, type MatchingBook } from './matching-book.js';

/** What the answers read: the simulator's market now. */
export interface MarketView {
  readonly coins: readonly CoinSpec[];
  readonly books: readonly MatchingBook[];
  readonly tape: MarketTape;
  /** Oracle price per coin id, in ticks. */
  readonly fair: readonly number[];
  /** Block time (epoch ms) of the market's state: the last block made. */
  time(): number;
}

/** Hourly interest part of funding: 0.01 % per 8 hours, in units of 1e-8. */
const INTEREST_8H = 10_000n;
const CLAMP_8H = 50_000n;
/** Funding is capped at 4 % an hour: in units of 1e-11. */
const FUNDING_CAP = 4_000_000_000n;
const PREMIUM_SCALE = 100_000_000n;

function impactNotional(c: CoinSpec): bigint {
  return c.name === 'BTC' || c.name === 'ETH' ? 20_000n : 6_000n;
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/**
 * Average price (ticks, rounded away from the trader's favour to a tick) of a market order of
 * `notional` USDC against one side; undefined when the side does not hold that much.
 */
export function impactPx(c: CoinSpec, book: MatchingBook, side: 0 | 1, notional: bigint): number | undefined {
  // Notional in ticks × lots: notional × 10^(px + sz decimals).
  const want = notional * 10n ** BigInt(c.pxDecimals + c.szDecimals);
  const levels = book.sides[side].levels;
  let ntl = 0n;
  let lots = 0n;
  for (let i = levels.length - 1; i >= 0; i--) {
    const lv = levels[i]!;
    const px = BigInt(lv.px);
    let levelLots = 0n;
    for (let o = lv.head; o !== null; o = o.next) levelLots += BigInt(o.lots);
    const left = want - ntl;
    if (px * levelLots >= left) {
      const take = (left + px - 1n) / px;
      ntl += px * take;
      lots += take;
      // Bids: the taker sells, its average rounded down; asks: rounded up.
      const avg = side === BID ? ntl / lots : (ntl + lots - 1n) / lots;
      return Number(avg);
    }
    ntl += px * levelLots;
    lots += levelLots;
  }
  return undefined;
}

export interface PerpAssetCtx {
  prevDayPx: string;
  dayNtlVlm: string;
  markPx: string;
  midPx: string | null;
  funding: string;
  openInterest: string;
  premium: string | null;
  oraclePx: string;
  impactPxs: [string, string] | null;
  dayBaseVlm: string;
}

export interface SpotAssetCtx {
  prevDayPx: string;
  dayNtlVlm: string;
  markPx: string;
  midPx: string | null;
  circulatingSupply: string;
  coin: string;
  totalSupply: string;
  dayBaseVlm: string;
}

function midOf(c: CoinSpec, bb: number | undefined, ba: number | undefined): string | null {
  if (bb === undefined || ba === undefined) return null;
  return formatScaledBig(BigInt(bb + ba) * 5n, c.pxDecimals + 1);
}

function markOf(bb: number | undefined, ba: number | undefined, last: number | undefined, fallback: number): number {
  const known = [bb, ba, last].filter((x): x is number => x !== undefined);
  if (known.length === 3) return median3(known[0]!, known[1]!, known[2]!);
  if (known.length === 2) return bb !== undefined && ba !== undefined ? Math.round((bb + ba) / 2) : (last ?? fallback);
  return known[0] ?? fallback;
}

export function perpAssetCtx(m: MarketView, c: CoinSpec): PerpAssetCtx {
  const book = m.books[c.id]!;
  const px = (ticks: number): string => formatScaled(ticks, c.pxDecimals);
  const bb = book.sides[BID].bestPx();
  const ba = book.sides[ASK].bestPx();
  const oracle = m.fair[c.id]!;
  const day = m.tape.day(c.id, m.time());
  const notional = impactNotional(c);
  const ib = impactPx(c, book, BID, notional);
  const ia = impactPx(c, book, ASK, notional);
  let premium: bigint | null = null;
  if (ib !== undefined && ia !== undefined) {
    const diff = BigInt(Math.max(ib - oracle, 0) - Math.max(oracle - ia, 0));
    // Truncated towards zero, like the public figures (8 decimals).
    premium = (diff * PREMIUM_SCALE) / BigInt(oracle);
  }
  const p = premium ?? 0n;
  let rate8 = INTEREST_8H - p;
  rate8 = rate8 > CLAMP_8H ? CLAMP_8H : rate8 < -CLAMP_8H ? -CLAMP_8H : rate8;
  // (premium + clamp) / 8 in units of 1e-8 = × 125 in units of 1e-11: exact.
  let funding = (p + rate8) * 125n;
  funding = funding > FUNDING_CAP ? FUNDING_CAP : funding < -FUNDING_CAP ? -FUNDING_CAP : funding;
  return {
    prevDayPx: px(day.prevDayPx),
    dayNtlVlm: formatScaledBig(day.ntl, c.pxDecimals + c.szDecimals),
    markPx: px(markOf(bb, ba, m.tape.lastPx(c.id), oracle)),
    midPx: midOf(c, bb, ba),
    funding: formatScaledBig(funding, 11),
    openInterest: formatScaled(m.tape.openInterest(c.id), c.szDecimals),
    premium: premium === null ? null : formatScaledBig(premium, 8),
    oraclePx: px(oracle),
    impactPxs: ib !== undefined && ia !== undefined ? [px(ib), px(ia)] : null,
    dayBaseVlm: formatScaled(day.lots, c.szDecimals),
  };
}

/** Supply of every simulated spot token: one billion, 60 % of it circulating. */
const TOTAL_SUPPLY = 1_000_000_000;
const CIRCULATING_SUPPLY = 600_000_000;

export function spotAssetCtx(m: MarketView, c: CoinSpec): SpotAssetCtx {
  const book = m.books[c.id]!;
  const px = (ticks: number): string => formatScaled(ticks, c.pxDecimals);
  const bb = book.sides[BID].bestPx();
  const ba = book.sides[ASK].bestPx();
  const day = m.tape.day(c.id, m.time());
  return {
    prevDayPx: px(day.prevDayPx),
    dayNtlVlm: formatScaledBig(day.ntl, c.pxDecimals + c.szDecimals),
    markPx: px(markOf(bb, ba, m.tape.lastPx(c.id), m.fair[c.id]!)),
    midPx: midOf(c, bb, ba),
    circulatingSupply: formatScaled(CIRCULATING_SUPPLY, 0),
    coin: c.name,
    totalSupply: formatScaled(TOTAL_SUPPLY, 0),
    dayBaseVlm: formatScaled(day.lots, c.szDecimals),
  };
}

/** A listed pair this market does not trade (the dense universe's fillers): no book, no volume. */
function idleSpotCtx(name: string): SpotAssetCtx {
  return {
    prevDayPx: '1.0',
    dayNtlVlm: '0.0',
    markPx: '1.0',
    midPx: null,
    circulatingSupply: formatScaled(CIRCULATING_SUPPLY, 0),
    coin: name,
    totalSupply: formatScaled(TOTAL_SUPPLY, 0),
    dayBaseVlm: '0.0',
  };
}

/** The HIP-3 dexes in order of their first coin (the public `perpDexs` order after the main dex's `null`). */
export function dexNames(coins: readonly CoinSpec[]): string[] {
  const names: string[] = [];
  for (const c of coins) if (c.kind === 'hip3' && c.dex !== undefined && !names.includes(c.dex)) names.push(c.dex);
  return names;
}

/** `metaAndAssetCtxs`: `[meta, ctxs]`, contexts in the universe's order; an unknown dex answers `null`. */
export function metaAndAssetCtxsResponse(m: MarketView, dex?: string): unknown {
  const meta = metaResponse(m.coins, dex) as { universe: { name: string }[] } | null;
  if (meta === null) return null;
  const byName = new Map(m.coins.map((c) => [c.name, c] as const));
  return [meta, meta.universe.map((u) => perpAssetCtx(m, byName.get(u.name)!))];
}

/** `spotMetaAndAssetCtxs`: `[spotMeta, ctxs]`, one context per pair of the universe, in its order. */
export function spotMetaAndAssetCtxsResponse(m: MarketView): unknown {
  const meta = spotMetaResponse(m.coins) as { universe: { name: string }[] };
  const byName = new Map(m.coins.filter((c) => c.kind === 'spot').map((c) => [c.name, c] as const));
  return [
    meta,
    meta.universe.map((u) => {
      const c = byName.get(u.name);
      return c === undefined ? idleSpotCtx(u.name) : spotAssetCtx(m, c);
    }),
  ];
}

function address(seed: number): string {
  return '0x' + seed.toString(16).padStart(2, '0').repeat(20);
}

/** `perpDexs`: `null` for the main dex, then every HIP-3 dex. */
export function perpDexsResponse(coins: readonly CoinSpec[]): unknown {
  return [
    null,
    ...dexNames(coins).map((name, i) => ({
      name,
      fullName: name.toUpperCase(),
      deployer: address(0x10 + i),
      oracleUpdater: address(0x30 + i),
      feeRecipient: address(0x50 + i),
      assetToStreamingOiCap: coins.filter((c) => c.dex === name).map((c) => [c.name, '1000000000.0']),
      subDeployers: [],
      deployerFeeScale: '1.0',
      lastDeployerFeeScaleChangeTime: '1970-01-01T00:00:00',
      assetToFundingMultiplier: [],
      assetToFundingInterestRate: [],
    })),
  ];
}

/** `allPerpMetas`: the main dex's `meta`, then each HIP-3 dex's, in `perpDexs` order. */
export function allPerpMetasResponse(coins: readonly CoinSpec[]): unknown {
  return [metaResponse(coins), ...dexNames(coins).map((d) => metaResponse(coins, d))];
}

/** `exchangeStatus`: the node's time is its last block's. */
export function exchangeStatusResponse(m: MarketView): unknown {
  return { time: m.time(), specialStatuses: null };
}
