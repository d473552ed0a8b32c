/**
 * Trigger orders (stops and take-profits): placed with an `open` status, they wait off the
 * book (at most `TRIGGER_CAP` per coin, the oldest canceled beyond) until the mid price meets
 * their condition; then `triggered`, and they rest near the touch or are rejected.
 */
import type { CoinSpec } from './market.js';
import { clamp, type MarketState } from './market-state.js';
import { ASK, BID, RestKind, newRestingOrder, type SideIx } from './matching-book.js';
import { SIDE, newDiff, orderJson } from './node-json.js';

const TRIGGER_CAP = 24;

interface PendingTrigger {
  oid: number;
  user: number;
  side: SideIx;
  below: boolean;
  triggerPx: number;
  limitPx: number;
  lots: number;
  orderType: string;
  reduceOnly: boolean;
  isPositionTpsl: boolean;
  cloid: string | null;
  timestamp: number;
  placedHeight: number;
}

export class Triggers {
  private readonly pending: PendingTrigger[][];

  constructor(private readonly s: MarketState) {
    this.pending = s.coins.map(() => []);
  }

  place(c: CoinSpec): void {
    const s = this.s;
    const book = s.books[c.id]!;
    const rng = s.rng;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const mid = bb !== undefined && ba !== undefined ? Math.floor((bb + ba) / 2) : (bb ?? ba ?? c.refPx);
    const side: SideIx = rng.chance(0.5) ? BID : ASK;
    const below = rng.chance(0.5);
    // A sell below the market or a buy above it is a stop; the other two are take-profits.
    const stop = (side === ASK) === below;
    const market = rng.chance(0.5);
    const orderType = (stop ? 'Stop' : 'Take Profit') + (market ? ' Market' : ' Limit');
    const step = s.walk.step[c.id]!;
    const triggerPx = clamp(mid + (below ? -1 : 1) * step * rng.range(1, 8), c.minPx, c.maxPx);
    const through = side === BID ? 1 : -1;
    const limitPx = clamp(
      market ? triggerPx + through * Math.max(1, Math.floor(triggerPx / 10)) : triggerPx + through * step * rng.range(1, 4),
      c.minPx,
      c.maxPx,
    );
    const user = s.users.pick(0.2);
    const t: PendingTrigger = {
      oid: s.nextOid++,
      user,
      side,
      below,
      triggerPx,
      limitPx,
      lots: s.sizeLots(c),
      orderType,
      reduceOnly: rng.chance(0.7),
      isPositionTpsl: rng.chance(0.1),
      cloid: s.users.cloid(user),
      timestamp: s.ms,
      placedHeight: s.height,
    };
    const list = this.pending[c.id]!;
    list.push(t);
    s.status(user, s.hash(), 'open', this.json(c, t));
    if (list.length > TRIGGER_CAP) {
      const old = list.shift()!;
      s.status(old.user, null, 'canceled', this.json(c, old));
    }
  }

  /** Trigger orders whose condition the book now meets: `triggered`, then they rest (or are rejected). */
  fire(): void {
    const s = this.s;
    for (let id = 0; id < this.pending.length; id++) {
      const list = this.pending[id]!;
      if (list.length === 0) continue;
      const book = s.books[id]!;
      const bb = book.bestBid();
      const ba = book.bestAsk();
      if (bb === undefined || ba === undefined) continue;
      const mid2 = bb + ba;
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (t.placedHeight === s.height) continue;
        if (t.below ? mid2 > 2 * t.triggerPx : mid2 < 2 * t.triggerPx) continue;
        list.splice(i--, 1);
        this.trigger(s.coins[id]!, t, bb, ba);
      }
    }
  }

  private trigger(c: CoinSpec, t: PendingTrigger, bb: number, ba: number): void {
    const s = this.s;
    s.status(t.user, null, 'triggered', this.json(c, t));
    // It now rests near the touch, at a price other than its limitPx.
    let px = t.side === ASK ? Math.max(ba, bb + 1) + s.rng.int(3) : Math.min(bb, ba - 1) - s.rng.int(3);
    if (px === t.limitPx) px += t.side === ASK ? 1 : -1;
    const crosses = t.side === ASK ? px <= bb : px >= ba;
    if (s.rng.chance(0.1) || crosses || px < c.minPx || px > c.maxPx) {
      s.status(t.user, null, 'minTradeNtlRejected', this.json(c, t));
      s.rejected++;
      return;
    }
    const order = newRestingOrder({
      oid: t.oid,
      user: t.user,
      side: t.side,
      px,
      lots: t.lots,
      timestamp: s.ms,
      kind: RestKind.Triggered,
      tif: 'Gtc',
      orderType: t.orderType,
      reduceOnly: t.reduceOnly,
      isPositionTpsl: t.isPositionTpsl,
      cloid: t.cloid,
    });
    s.books[c.id]!.rest(order);
    s.diff(c, order, newDiff(s.sz(c, t.lots)));
  }

  private json(c: CoinSpec, t: PendingTrigger): string {
    const s = this.s;
    const tp = s.px(c, t.triggerPx);
    // "Price below 77409" for 77409.0; "Price above 3000.5" keeps its decimals.
    const condition = `Price ${t.below ? 'below' : 'above'} ${tp.endsWith('.0') ? tp.slice(0, -2) : tp}`;
    const sz = s.sz(c, t.lots);
    return orderJson({
      coinJson: c.json,
      side: SIDE[t.side],
      limitPx: s.px(c, t.limitPx),
      sz,
      oid: t.oid,
      timestamp: t.timestamp,
      triggerCondition: condition,
      isTrigger: true,
      triggerPx: tp,
      isPositionTpsl: t.isPositionTpsl,
      reduceOnly: t.reduceOnly,
      orderType: t.orderType,
      origSz: sz,
      tif: null,
      cloid: t.cloid,
    });
  }
}
