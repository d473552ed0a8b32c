/**
 * What the simulated exchange remembers of its own trading, for the asset contexts of its info
 * server: each coin's last trade price, its open interest (the longs' total, from every
 * perp position) and its volume over the last day, kept in hourly buckets of block time.
 * Everything is in integer units (ticks, lots; notional in ticks × lots as a bigint), so the
 * strings made from it are exact.
 */
import type { CoinSpec } from './market.js';

const HOUR_MS = 3_600_000;
/** Hourly buckets a day spans (the current hour and the 23 before it). */
const DAY_HOURS = 24;

interface Bucket {
  hour: number;
  /** Σ px × qty, in ticks × lots. */
  ntl: bigint;
  /** Σ qty, in lots. */
  lots: number;
  /** The last trade price (ticks) when the bucket began: the price carried into this hour. */
  openPx: number;
}

interface CoinTape {
  lastPx: number | undefined;
  /** Longs' total in lots (perps; equals the shorts' total). */
  openInterest: number;
  /** Oldest first; buckets older than a day are dropped as new ones open. */
  buckets: Bucket[];
}

/** One day's figures of a coin as of some block time. */
export interface DayFigures {
  /** Notional traded, ticks × lots (`pxDecimals + szDecimals` decimals). */
  ntl: bigint;
  /** Size traded, lots. */
  lots: number;
  /** The price a day ago (ticks): the last trade then, or the reference price if the market is younger. */
  prevDayPx: number;
}

export class MarketTape {
  private readonly tapes: CoinTape[];

  constructor(private readonly coins: readonly CoinSpec[]) {
    this.tapes = coins.map(() => ({ lastPx: undefined, openInterest: 0, buckets: [] }));
  }

  /** A trade of `lots` at `pxTicks` in block time `ms`. */
  trade(coinId: number, pxTicks: number, lots: number, ms: number): void {
    const t = this.tapes[coinId]!;
    const hour = Math.floor(ms / HOUR_MS);
    let b = t.buckets[t.buckets.length - 1];
    if (b === undefined || b.hour !== hour) {
      b = { hour, ntl: 0n, lots: 0, openPx: t.lastPx ?? this.coins[coinId]!.refPx };
      t.buckets.push(b);
      while (t.buckets.length > 0 && t.buckets[0]!.hour <= hour - DAY_HOURS) t.buckets.shift();
    }
    b.ntl += BigInt(pxTicks) * BigInt(lots);
    b.lots += lots;
    t.lastPx = pxTicks;
  }

  /** A perp position went from `before` to `after` lots (signed): the longs' total follows. */
  position(coinId: number, before: number, after: number): void {
    this.tapes[coinId]!.openInterest += Math.max(after, 0) - Math.max(before, 0);
  }

  lastPx(coinId: number): number | undefined {
    return this.tapes[coinId]!.lastPx;
  }

  /** Open interest in lots. */
  openInterest(coinId: number): number {
    return this.tapes[coinId]!.openInterest;
  }

  /** The day up to block time `ms`. */
  day(coinId: number, ms: number): DayFigures {
    const t = this.tapes[coinId]!;
    const from = Math.floor(ms / HOUR_MS) - DAY_HOURS + 1;
    let ntl = 0n;
    let lots = 0;
    let prevDayPx: number | undefined;
    for (const b of t.buckets) {
      if (b.hour < from) {
        // A bucket that left the window: its trades set the price a day ago.
        continue;
      }
      prevDayPx ??= b.openPx;
      ntl += b.ntl;
      lots += b.lots;
    }
    // No trade in the window: the price a day ago is the last one (or the reference price).
    return { ntl, lots, prevDayPx: prevDayPx ?? t.lastPx ?? this.coins[coinId]!.refPx };
  }
}
