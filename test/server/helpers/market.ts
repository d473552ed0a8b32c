/**
 * A small deterministic market over a perp, two spot coins and two HIP-3 coins, in the
 * node's exact formats: a snapshot file and blocks of statuses, diffs and fills (new
 * orders, cancels, partial and full fills with trades, rejections, and statusless `new`
 * diffs from a special spot address). The real fixtures are BTC only; this covers the
 * coin kinds protocol.md promises.
 */
import type { Block, BookDiffEvent, FillEvent, L4SnapshotFile, NodeOrder, OrderStatusEvent, Side } from '../../../src/book/index.js';
import { seededRandom } from '../../../src/util/rng.js';
import { nodeOrder } from '../../book/helpers.js';

export const COINS = ['ETH', '@107', 'PURR/USDC', 'xyz:ABC', 'xyz:DEF'] as const;

interface CoinSpec {
  /** Decimals of the price tick. */
  pxDecimals: number;
  /** Mid in ticks. */
  midTicks: number;
  szDecimals: number;
}

const SPECS: Record<(typeof COINS)[number], CoinSpec> = {
  ETH: { pxDecimals: 1, midTicks: 20_000, szDecimals: 4 },
  '@107': { pxDecimals: 3, midTicks: 35_123, szDecimals: 2 },
  'PURR/USDC': { pxDecimals: 5, midTicks: 18_765, szDecimals: 0 },
  'xyz:ABC': { pxDecimals: 2, midTicks: 1_234, szDecimals: 3 },
  'xyz:DEF': { pxDecimals: 4, midTicks: 50_000, szDecimals: 1 },
};

/** A HIP-2 style address whose `new` diffs come without status (node-data.md). */
export const SPECIAL_SPOT_USER = '0xffffffffffffffffffffffffffffffffffffffff';

/** Integer units with `decimals` → the one number form ("12.0", "0.00123"). */
export function fmt(units: number, decimals: number): string {
  const s = String(units).padStart(decimals + 1, '0');
  if (decimals === 0) return `${s}.0`;
  const frac = s.slice(s.length - decimals).replace(/0+$/, '');
  return `${s.slice(0, s.length - decimals)}.${frac === '' ? '0' : frac}`;
}

interface Resting {
  oid: number;
  user: string;
  side: Side;
  pxTicks: number;
  szUnits: number;
  order: NodeOrder;
}

export interface Market {
  snapshot: L4SnapshotFile;
  /** Block time of the snapshot's height. */
  snapshotTime: number;
  blocks: Block[];
}

const T0 = 1_778_000_000_000;
const users = Array.from(
  { length: 8 },
  (_, i) =>
    `0x${String(i + 1)
      .repeat(40)
      .slice(0, 40)}`,
);

function nodeTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23) + '000000';
}

export function makeMarket(opts: { seed?: number; blocks?: number; height?: number } = {}): Market {
  const rand = seededRandom(opts.seed ?? 7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const height0 = opts.height ?? 1_000_000;
  let oid = 900_000_000_000;
  let tid = 500_000_000_000_000;
  const books = new Map<string, Resting[]>();

  const order = (coin: string, side: Side, pxTicks: number, szUnits: number, time: number, tif = 'Gtc'): NodeOrder => {
    const s = SPECS[coin as (typeof COINS)[number]];
    const sz = fmt(szUnits, s.szDecimals);
    return nodeOrder({ side, limitPx: fmt(pxTicks, s.pxDecimals), sz, oid: ++oid, timestamp: time, tif }, coin);
  };
  const status = (user: string, st: string, o: NodeOrder, time: number): OrderStatusEvent => ({
    time: nodeTime(time),
    user,
    hash: null,
    builder: null,
    status: st,
    order: o,
  });

  // Snapshot: 6 levels a side, 1-3 orders a level.
  for (const coin of COINS) {
    const s = SPECS[coin];
    const rest: Resting[] = [];
    for (const side of ['B', 'A'] as const) {
      for (let lvl = 1; lvl <= 6; lvl++) {
        const px = side === 'B' ? s.midTicks - lvl * 2 : s.midTicks + lvl * 2;
        for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
          const sz = 1 + Math.floor(rand() * 50) * 10 ** Math.max(0, s.szDecimals - 1);
          const o = order(coin, side, px, sz, T0 - 60_000);
          rest.push({ oid: o.oid, user: pick(users), side, pxTicks: px, szUnits: sz, order: o });
        }
      }
    }
    books.set(coin, rest);
  }
  const bookSide = (rest: Resting[], side: Side) =>
    rest.filter((r) => r.side === side).sort((a, b) => (side === 'B' ? b.pxTicks - a.pxTicks : a.pxTicks - b.pxTicks) || a.order.oid - b.order.oid);
  const snapshot: L4SnapshotFile = [
    height0,
    COINS.map((coin) => {
      const rest = books.get(coin)!;
      return [
        coin,
        [bookSide(rest, 'B').map((r) => [r.user, r.order] as [string, NodeOrder]), bookSide(rest, 'A').map((r) => [r.user, r.order] as [string, NodeOrder])],
      ];
    }),
  ];

  const blocks: Block[] = [];
  for (let i = 1; i <= (opts.blocks ?? 40); i++) {
    const time = T0 + i * 70;
    const statuses: OrderStatusEvent[] = [];
    const diffs: BookDiffEvent[] = [];
    const fills: FillEvent[] = [];
    for (const coin of COINS) {
      if (rand() < 0.3) continue;
      const s = SPECS[coin];
      const rest = books.get(coin)!;
      const action = rand();
      if (action < 0.35) {
        // A new resting order inside or behind the spread.
        const side: Side = rand() < 0.5 ? 'B' : 'A';
        const bestBid = Math.max(...rest.filter((r) => r.side === 'B').map((r) => r.pxTicks), s.midTicks - 20);
        const bestAsk = Math.min(...rest.filter((r) => r.side === 'A').map((r) => r.pxTicks), s.midTicks + 20);
        let px = side === 'B' ? bestBid + 1 - Math.floor(rand() * 8) : bestAsk - 1 + Math.floor(rand() * 8);
        if (side === 'B' && px >= bestAsk) px = bestAsk - 1;
        if (side === 'A' && px <= bestBid) px = bestBid + 1;
        const sz = 1 + Math.floor(rand() * 30) * 10 ** Math.max(0, s.szDecimals - 1);
        const special = coin.startsWith('@') || coin.includes('/') ? rand() < 0.3 : false;
        const user = special ? SPECIAL_SPOT_USER : pick(users);
        const o = order(coin, side, px, sz, time);
        if (!special) statuses.push(status(user, 'open', o, time));
        diffs.push({ user, oid: o.oid, coin, side, px: o.limitPx, raw_book_diff: { new: { sz: o.sz } } });
        rest.push({ oid: o.oid, user, side, pxTicks: px, szUnits: sz, order: o });
      } else if (action < 0.55 && rest.length > 4) {
        // A cancel.
        const r = pick(rest);
        statuses.push(status(r.user, 'canceled', r.order, time));
        diffs.push({ user: r.user, oid: r.oid, coin, side: r.side, px: fmt(r.pxTicks, s.pxDecimals), raw_book_diff: 'remove' });
        rest.splice(rest.indexOf(r), 1);
      } else if (action < 0.85) {
        // A taker hits the best level: a partial or full fill, a trade.
        const side: Side = rand() < 0.5 ? 'A' : 'B';
        const best = bookSide(rest, side)[0];
        if (best === undefined) continue;
        const take = rand() < 0.4 ? best.szUnits : Math.max(1, Math.min(best.szUnits, Math.floor(best.szUnits * rand()) + 1));
        const pxStr = fmt(best.pxTicks, s.pxDecimals);
        const taker = pick(users.filter((u) => u !== best.user));
        const takerSide: Side = side === 'A' ? 'B' : 'A';
        const takerOrder = order(coin, takerSide, best.pxTicks, take, time, 'Ioc');
        statuses.push(status(taker, 'filled', takerOrder, time));
        const szStr = fmt(take, s.szDecimals);
        const t = ++tid;
        const f = (user: string, fs: Side, crossed: boolean, o: number): FillEvent => [
          user,
          {
            coin,
            px: pxStr,
            sz: szStr,
            side: fs,
            time,
            startPosition: '0.0',
            dir: fs === 'B' ? 'Open Long' : 'Open Short',
            closedPnl: '0.0',
            hash: `0x${t.toString(16).padStart(64, '0')}`,
            oid: o,
            crossed,
            fee: '0.0',
            tid: t,
            feeToken: 'USDC',
          },
        ];
        fills.push(f(best.user, side, false, best.oid), f(taker, takerSide, true, takerOrder.oid));
        if (take >= best.szUnits) {
          statuses.push(status(best.user, 'filled', best.order, time));
          diffs.push({ user: best.user, oid: best.oid, coin, side, px: pxStr, raw_book_diff: 'remove' });
          rest.splice(rest.indexOf(best), 1);
        } else {
          const newSz = best.szUnits - take;
          diffs.push({
            user: best.user,
            oid: best.oid,
            coin,
            side,
            px: pxStr,
            raw_book_diff: { update: { origSz: fmt(best.szUnits, s.szDecimals), newSz: fmt(newSz, s.szDecimals) } },
          });
          best.szUnits = newSz;
        }
      } else {
        // A rejection: a status that never touches the book.
        const o = order(coin, 'B', s.midTicks, 1, time, 'Alo');
        statuses.push(status(pick(users), 'badAloPxRejected', o, time));
      }
    }
    blocks.push({ height: height0 + i, time, statuses, diffs, fills });
  }
  return { snapshot, snapshotTime: T0, blocks };
}
