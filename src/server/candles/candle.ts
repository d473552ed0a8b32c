/**
 * One candle in the public API's shape (`t, T, s, i, o, c, h, l, v, n`) and the exact
 * arithmetic that builds it from trades: prices and volume are units of 1e-8 (`book/decimal`),
 * never floats, and come out in the one number form of protocol.md (`"81307.0"`).
 */
import { addUnits, formatUnits, parsePrice, parseUnits, type Units } from '../../book/decimal.js';
import type { Trade } from '../../book/types.js';
import { bucketEnd, isCandleInterval, type CandleInterval } from './intervals.js';

/** A candle as sent (`candle` frames, `candleSnapshot` answers, and each line on disk). */
export interface Candle {
  /** Open time, ms (the bucket's first ms). */
  t: number;
  /** Close time, ms (the bucket's last ms). */
  T: number;
  /** Coin. */
  s: string;
  i: CandleInterval;
  o: string;
  c: string;
  h: string;
  l: string;
  /** Volume in the base asset (sum of trade sizes). */
  v: string;
  /** Number of trades. */
  n: number;
}

/** A candle being built: numbers in units, strings made when sent. */
export class CandleBar {
  o: number;
  c: number;
  h: number;
  l: number;
  v: Units;
  n: number;
  readonly T: number;

  constructor(
    readonly s: string,
    readonly i: CandleInterval,
    readonly t: number,
    /** A flat candle at this price (an interval with no trade carries the previous close). */
    px: number,
  ) {
    this.T = bucketEnd(i, t);
    this.o = this.c = this.h = this.l = px;
    this.v = 0;
    this.n = 0;
  }

  /** Add one trade. The first trade of a flat (carried) candle sets its open, high and low. */
  add(trade: Trade): void {
    const px = parsePrice(trade.px);
    const sz = parseUnits(trade.sz);
    if (this.n === 0) this.o = this.h = this.l = px;
    else {
      if (px > this.h) this.h = px;
      if (px < this.l) this.l = px;
    }
    this.c = px;
    this.v = addUnits(this.v, sz);
    this.n++;
  }

  toCandle(): Candle {
    return {
      t: this.t,
      T: this.T,
      s: this.s,
      i: this.i,
      o: formatUnits(this.o),
      c: formatUnits(this.c),
      h: formatUnits(this.h),
      l: formatUnits(this.l),
      v: formatUnits(this.v),
      n: this.n,
    };
  }

  /** The JSON of `toCandle()`, keys in the public API's order. */
  json(): string {
    return candleJson(this.toCandle());
  }
}

export function candleJson(c: Candle): string {
  return `{"t":${c.t},"T":${c.T},"s":${JSON.stringify(c.s)},"i":"${c.i}","o":"${c.o}","c":"${c.c}","h":"${c.h}","l":"${c.l}","v":"${c.v}","n":${c.n}}`;
}

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;

/** `v` as a candle of `coin` and `interval` (a line read back from disk), or undefined when it is not one. */
export function asCandle(v: unknown, coin: string, interval: CandleInterval): Candle | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  if (!Number.isSafeInteger(c.t) || !Number.isSafeInteger(c.T) || c.s !== coin || !isCandleInterval(c.i) || c.i !== interval) return undefined;
  for (const k of ['o', 'c', 'h', 'l', 'v'] as const) if (typeof c[k] !== 'string' || !DECIMAL.test(c[k])) return undefined;
  if (!Number.isSafeInteger(c.n) || (c.n as number) < 0) return undefined;
  return {
    t: c.t as number,
    T: c.T as number,
    s: coin,
    i: interval,
    o: c.o as string,
    c: c.c as string,
    h: c.h as string,
    l: c.l as string,
    v: c.v as string,
    n: c.n as number,
  };
}
