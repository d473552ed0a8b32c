/**
 * `CandleService`: candles of every coin and interval, built from the trades the server
 * publishes (each fill pair once, `BlockChange.trades`), timed by block time.
 *
 * - A candle closes on the first block whose time is past its end (`T`); it is then stored
 *   (`CandleStore`) and a new one opens. An interval with no trade gets a flat candle at the
 *   previous close (`v` 0, `n` 0), as the public API's; the first trade of such a candle sets
 *   its open, high and low.
 * - A series (coin × interval) starts at its first trade after start; a trade in a bucket
 *   already closed on disk (blocks replayed after a restart) is not counted twice.
 * - `candleSnapshot` answers from the store plus what is in memory (candles being written,
 *   the open one).
 */
import type { Logger } from '../../util/logger.js';
import type { BlockChange, Trade } from '../../book/types.js';
import { parsePrice } from '../../book/decimal.js';
import type { Delivery } from '../views/view.js';
import { CandleBar, type Candle } from './candle.js';
import { CANDLE_INTERVALS, bucketEnd, bucketStart, nextBucket, type CandleInterval } from './intervals.js';
import { DEFAULT_MAX_PER_SERIES, type CandleStore } from './store.js';
import { CandleView } from './view.js';

/** At most this many candles in one `candleSnapshot` answer (the public API's bound). */
export const MAX_SNAPSHOT_CANDLES = 5000;

export interface CandleServiceOptions {
  /** Where closed candles are kept; none: memory only (`recent` per series). */
  store?: CandleStore;
  /** Write closed candles to the store (false: read it only, as the other workers of `--workers n` do). Default true. */
  persist?: boolean;
  /** Closed candles kept in memory per series. Default: 0 when persisting, else 5,000 (memory only) or 256 (read-only store). */
  recent?: number;
  logger?: Logger;
}

interface Series {
  coin: string;
  interval: CandleInterval;
  open: CandleBar | null;
  /** Newest closed candles in memory, oldest first. */
  recent: Candle[];
  /** Trades at or before this time belong to candles already stored. */
  floor: number;
}

export class CandleService {
  private readonly store: CandleStore | undefined;
  private readonly persist: boolean;
  private readonly recentMax: number;
  private readonly maxFill: number;
  private readonly series = new Map<string, Series>();
  /** Per interval: the series with an open candle, and the end of their (common) bucket. */
  private readonly live = new Map<CandleInterval, { end: number; list: Series[] }>();
  private readonly views = new Map<string, CandleView>();

  constructor(opts: CandleServiceOptions) {
    this.store = opts.store;
    this.persist = opts.store !== undefined && opts.persist !== false;
    this.recentMax = opts.recent ?? (this.persist ? 0 : opts.store === undefined ? DEFAULT_MAX_PER_SERIES : 256);
    this.maxFill = opts.store?.maxPerSeries ?? DEFAULT_MAX_PER_SERIES;
  }

  /** A view for `candle` subscriptions of this coin and interval (the publisher keeps it while it has subscribers). */
  view(key: string, coin: string, interval: CandleInterval): CandleView {
    const v = new CandleView(key, coin, interval, () => this.series.get(seriesKey(coin, interval))?.open?.json() ?? null);
    this.views.set(seriesKey(coin, interval), v);
    return v;
  }

  drop(view: CandleView): void {
    const k = seriesKey(view.coin, view.interval);
    if (this.views.get(k) === view) this.views.delete(k);
  }

  /** After each applied block (from the publisher, after its own frames): the candle frames it makes. */
  onBlock(change: BlockChange): Delivery[] {
    const t = change.time;
    const changed = new Set<Series>();
    for (const [interval, live] of this.live) {
      if (t <= live.end) continue;
      for (const s of live.list) {
        this.roll(s, t);
        changed.add(s);
      }
      live.end = bucketEnd(interval, bucketStart(interval, t));
    }
    for (const [coin, trades] of change.trades) {
      if (trades.length === 0) continue;
      for (const interval of CANDLE_INTERVALS) {
        const s = this.seriesOf(coin, interval);
        if (this.addTrades(s, trades, t)) changed.add(s);
      }
    }
    const out: Delivery[] = [];
    if (this.views.size === 0) return out;
    for (const s of changed) {
      const v = this.views.get(seriesKey(s.coin, s.interval));
      const d = v !== undefined && s.open !== null ? v.publish(s.open.json()) : null;
      if (d !== null) out.push(d);
    }
    return out;
  }

  /**
   * `candleSnapshot`: the candles of a series overlapping `[startTime, endTime]`, oldest
   * first, the newest `MAX_SNAPSHOT_CANDLES` when there are more.
   */
  async snapshot(coin: string, interval: CandleInterval, startTime: number, endTime: number): Promise<Candle[]> {
    const byT = new Map<number, Candle>();
    if (this.store !== undefined) for (const c of await this.store.read(coin, interval)) byT.set(c.t, c);
    const s = this.series.get(seriesKey(coin, interval));
    if (s !== undefined) {
      for (const c of s.recent) byT.set(c.t, c);
      if (s.open !== null) byT.set(s.open.t, s.open.toCandle());
    }
    const out = [...byT.values()].filter((c) => c.T >= startTime && c.t <= endTime).sort((a, b) => a.t - b.t);
    return out.length > MAX_SNAPSHOT_CANDLES ? out.slice(-MAX_SNAPSHOT_CANDLES) : out;
  }

  /** Resolves once every closed candle so far is on disk. */
  async flush(): Promise<void> {
    await this.store?.flush();
  }

  private seriesOf(coin: string, interval: CandleInterval): Series {
    const k = seriesKey(coin, interval);
    let s = this.series.get(k);
    if (s === undefined) {
      const last = this.store?.last(coin, interval) ?? null;
      s = { coin, interval, open: null, recent: [], floor: last === null ? -Infinity : last.T };
      this.series.set(k, s);
    }
    return s;
  }

  /** Add this block's trades of the series' coin; true when its open candle changed. */
  private addTrades(s: Series, trades: readonly Trade[], t: number): boolean {
    if (t <= s.floor) return false;
    if (s.open === null) {
      s.open = new CandleBar(s.coin, s.interval, bucketStart(s.interval, t), parsePrice(trades[0]!.px));
      let live = this.live.get(s.interval);
      if (live === undefined) this.live.set(s.interval, (live = { end: s.open.T, list: [] }));
      live.list.push(s);
    } else if (t < s.open.t) {
      // A block older than the open candle (time went backwards): its candle is closed.
      return false;
    }
    for (const trade of trades) s.open.add(trade);
    return true;
  }

  /** Close the open candle (block time `t` is past its end) and open the one holding `t`, flat candles between. */
  private roll(s: Series, t: number): void {
    const bar = s.open!;
    if (t <= bar.T) return;
    this.close(s, bar.toCandle());
    const target = bucketStart(s.interval, t);
    const close = bar.c;
    // Flat candles for the buckets without a block of trades; more than a series keeps would be dropped anyway.
    let start = nextBucket(s.interval, bar.t);
    let gaps = 0;
    for (let b = start; b < target && gaps <= this.maxFill; b = nextBucket(s.interval, b)) gaps++;
    if (gaps > this.maxFill) {
      start = target;
      for (let i = 0; i < this.maxFill; i++) start = previousBucket(s.interval, start);
    }
    for (let b = start; b < target; b = nextBucket(s.interval, b)) this.close(s, new CandleBar(s.coin, s.interval, b, close).toCandle());
    s.open = new CandleBar(s.coin, s.interval, target, close);
  }

  private close(s: Series, c: Candle): void {
    s.floor = c.T;
    if (this.persist) this.store!.append(c);
    if (this.recentMax > 0) {
      s.recent.push(c);
      if (s.recent.length > this.recentMax) s.recent.splice(0, s.recent.length - this.recentMax);
    }
  }
}

function seriesKey(coin: string, interval: CandleInterval): string {
  return `${coin}\u0000${interval}`;
}

function previousBucket(interval: CandleInterval, start: number): number {
  return bucketStart(interval, start - 1);
}
