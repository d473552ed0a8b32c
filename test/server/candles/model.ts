/** Helpers for candle tests: blocks of trades as `BlockChange`s, a recording outbox, and a naive candle model. */
import type { BlockChange, Trade } from '../../../src/book/types.js';
import type { Candle } from '../../../src/server/candles/candle.js';
import { bucketEnd, bucketStart, nextBucket, type CandleInterval } from '../../../src/server/candles/intervals.js';

export interface TradeSpec {
  coin: string;
  /** Price and size in units of 1e-8. */
  px: number;
  sz: number;
}

let tid = 1;

export function units(u: number): string {
  const s = String(u).padStart(9, '0');
  const frac = s.slice(-8).replace(/0+$/, '');
  return `${s.slice(0, -8)}.${frac === '' ? '0' : frac}`;
}

export function change(height: number, time: number, trades: TradeSpec[]): BlockChange {
  const map = new Map<string, Trade[]>();
  for (const t of trades) {
    let list = map.get(t.coin);
    if (list === undefined) map.set(t.coin, (list = []));
    list.push({ coin: t.coin, side: 'B', px: units(t.px), sz: units(t.sz), hash: '0x0', time, tid: tid++, users: ['0xa', '0xb'] });
  }
  return { height, time, coins: new Map(), trades: map, desyncs: [], unmatchedFills: [], statuses: [], fills: [] };
}

/** Every candle of `coin`/`interval` a correct builder makes from these blocks, the open one last. */
export function naiveCandles(blocks: { time: number; trades: TradeSpec[] }[], coin: string, interval: CandleInterval): Candle[] {
  const mine = blocks.flatMap((b) => b.trades.filter((t) => t.coin === coin).map((t) => ({ time: b.time, ...t })));
  if (mine.length === 0) return [];
  const lastTime = blocks[blocks.length - 1]!.time;
  const out: Candle[] = [];
  let prevClose = mine[0]!.px;
  for (let b = bucketStart(interval, mine[0]!.time); b <= lastTime; b = nextBucket(interval, b)) {
    const end = bucketEnd(interval, b);
    const inB = mine.filter((t) => t.time >= b && t.time <= end);
    if (inB.length === 0) {
      out.push({ t: b, T: end, s: coin, i: interval, o: units(prevClose), c: units(prevClose), h: units(prevClose), l: units(prevClose), v: '0.0', n: 0 });
      continue;
    }
    const pxs = inB.map((t) => t.px);
    prevClose = pxs[pxs.length - 1]!;
    out.push({
      t: b,
      T: end,
      s: coin,
      i: interval,
      o: units(pxs[0]!),
      c: units(prevClose),
      h: units(Math.max(...pxs)),
      l: units(Math.min(...pxs)),
      v: units(inB.reduce((a, t) => a + t.sz, 0)),
      n: inB.length,
    });
  }
  return out;
}
