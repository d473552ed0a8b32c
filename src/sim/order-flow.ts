/**
 * The generated order flow, one action at a time: rejections (most of what a node writes),
 * passive orders placed and canceled around the fair price (the book kept near its target
 * size), takers crossing the spread, and the special spot address moving its orders.
 */
import type { CoinSpec } from './market.js';
import { clamp, type MarketState } from './market-state.js';
import { ASK, BID, RestKind, newRestingOrder, placedLimit, type MatchingBook, type RestingOrder, type SideIx } from './matching-book.js';
import { REMOVE_DIFF, SIDE, limitOrderJson, newDiff, restingOrderJson, updateDiff } from './node-json.js';
import type { BookTargets } from './population.js';
import type { Positions } from './positions.js';

const ZERO_HASH = '0x' + '0'.repeat(64);
const REJECT_ALO = 'badAloPxRejected';
/**
 * Share of Alo placements at a price that already holds orders which pay for priority (ALO
 * priority fees, since July 2026): their `new` diff carries `insertBefore` and they join the
 * level just ahead of a resting order (docs/simulator.md).
 */
export const ALO_PRIORITY_SHARE = 0.2;

function clampF(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A taker's order as it reaches the book. */
interface TakerOrder {
  user: number;
  oid: number;
  side: SideIx;
  limit: number;
  lots: number;
  tif: string;
  cloid: string | null;
  hash: string;
  twapId: number | null;
}

export class OrderFlow {
  private nextTwap = 1_790_000;

  constructor(
    private readonly s: MarketState,
    private readonly targets: BookTargets,
    private readonly positions: Positions,
  ) {}

  /** A status that changes nothing: most of what a node writes. */
  reject(c: CoinSpec): void {
    const s = this.s;
    const book = s.books[c.id]!;
    const rng = s.rng;
    const side: SideIx = rng.chance(0.5) ? BID : ASK;
    const sign = side === BID ? 1 : -1;
    const opp = book.sides[1 - side]!.bestPx();
    const own = book.sides[side]!.bestPx();
    const user = s.users.pick(0.85);
    let lots = s.sizeLots(c);
    let status: string;
    let tif = 'Alo';
    let px: number;
    let reduceOnly = rng.chance(0.12);
    const roll = rng.float();
    if (roll < 0.86 && opp !== undefined) {
      // An Alo order that would cross: the bulk of mainnet's statuses.
      status = REJECT_ALO;
      px = opp + sign * rng.int(1 + (rng.chance(0.1) ? s.walk.depth[c.id]! : 3));
    } else if (roll < 0.93) {
      status = c.kind === 'spot' ? 'insufficientSpotBalanceRejected' : 'perpMarginRejected';
      tif = rng.chance(0.7) ? 'Ioc' : 'Alo';
      reduceOnly = false;
      px = (opp ?? own ?? c.refPx) + sign * rng.int(3);
    } else if (roll < 0.975 && opp !== undefined) {
      // An Ioc order that reaches nothing.
      status = 'iocCancelRejected';
      tif = 'Ioc';
      px = opp - sign * (1 + rng.int(5));
    } else if (roll < 0.99) {
      status = 'reduceOnlyRejected';
      tif = rng.chance(0.5) ? 'Ioc' : 'Alo';
      reduceOnly = true;
      px = (own ?? opp ?? c.refPx) - sign * rng.int(5);
    } else {
      status = 'minTradeNtlRejected';
      tif = 'Ioc';
      lots = 1;
      px = (opp ?? own ?? c.refPx) + sign * rng.int(3);
    }
    px = clamp(px, c.minPx, c.maxPx);
    s.status(user, null, status, s.placedJson(c, side, px, lots, s.nextOid++, tif, reduceOnly, s.users.cloid(user)));
    s.rejected++;
  }

  /** A passive order placed or one canceled, whichever brings the book nearer its target size. */
  openOrCancel(c: CoinSpec): void {
    const book = this.s.books[c.id]!;
    const target = this.targets.regular[c.id]!;
    const n = book.regular.length;
    const pOpen = 0.5 + clampF(((target - n) / Math.max(1, target)) * 4, -0.45, 0.45);
    if (n > 0 && !this.s.rng.chance(pOpen)) this.cancel(c, book);
    else this.open(c, book);
  }

  /** A price that rests without crossing on `side`, or undefined if none fits the band. */
  private passivePx(c: CoinSpec, book: MatchingBook, side: SideIx): number | undefined {
    const s = this.s;
    const away = side === BID ? -1 : 1;
    const opp = book.sides[1 - side]!.bestPx();
    const u = s.rng.float();
    // Quotes gather near the fair price and thin out with distance.
    let px = s.walk.fair[c.id]! + away * (1 + Math.floor(s.walk.depth[c.id]! * u * u * u));
    px = clamp(px, c.minPx, c.maxPx);
    if (opp !== undefined && (side === BID ? px >= opp : px <= opp)) px = opp + away;
    return px < c.minPx || px > c.maxPx ? undefined : px;
  }

  private open(c: CoinSpec, book: MatchingBook): void {
    const s = this.s;
    const side: SideIx = s.rng.chance(0.5) ? BID : ASK;
    const px = this.passivePx(c, book, side);
    if (px === undefined) {
      this.reject(c);
      return;
    }
    const user = s.users.pick(0.8);
    const lots = s.sizeLots(c);
    const tif = s.rng.chance(0.85) ? 'Alo' : 'Gtc';
    const reduceOnly = c.kind !== 'spot' && s.rng.chance(0.03);
    const cloid = s.users.cloid(user);
    const oid = s.nextOid++;
    s.status(user, s.hash(), 'open', s.placedJson(c, side, px, lots, oid, tif, reduceOnly, cloid));
    const order = placedLimit({ oid, user, side, px, lots, timestamp: s.ms, tif, reduceOnly, cloid });
    const ahead = tif === 'Alo' ? this.priorityTarget(book, side, px) : null;
    book.rest(order, ahead);
    s.diff(c, order, newDiff(s.sz(c, lots), ahead?.oid));
  }

  /**
   * For an Alo order paying for priority (`ALO_PRIORITY_SHARE` of those joining a level that
   * holds orders): the resting order it goes ahead of, anywhere in the queue but most often
   * near its front (that is what the fee buys). Null: the back of the level.
   */
  private priorityTarget(book: MatchingBook, side: SideIx, px: number): RestingOrder | null {
    const rng = this.s.rng;
    const level = book.sides[side].level(px);
    if (level === undefined || level.count === 0 || !rng.chance(ALO_PRIORITY_SHARE)) return null;
    const u = rng.float();
    let k = Math.floor(level.count * u * u);
    let o = level.head!;
    while (k-- > 0 && o.next !== null) o = o.next;
    return o;
  }

  private cancel(c: CoinSpec, book: MatchingBook): void {
    const s = this.s;
    // Makers pull quotes the fair price has passed; other cancels hit any order.
    const fair = s.walk.fair[c.id]!;
    let o: RestingOrder | undefined;
    if (s.rng.chance(0.5)) {
      const bid = book.sides[BID].best()?.head;
      const ask = book.sides[ASK].best()?.head;
      if (bid && bid.px >= fair && bid.kind !== RestKind.Statusless) o = bid;
      else if (ask && ask.px <= fair && ask.kind !== RestKind.Statusless) o = ask;
    }
    o ??= book.regular[s.rng.int(book.regular.length)]!;
    if (s.isExternal(o.user)) return;
    const roll = s.rng.float();
    const status = roll < 0.97 ? 'canceled' : roll < 0.985 ? 'marginCanceled' : o.reduceOnly ? 'reduceOnlyCanceled' : 'canceled';
    s.status(o.user, null, status, restingOrderJson(c, o, o.lots));
    s.diff(c, o, REMOVE_DIFF);
    book.remove(o);
  }

  /** A taker: mostly towards the fair price, Ioc (some market, some TWAP slices) or Gtc resting what is left. */
  taker(c: CoinSpec): void {
    const s = this.s;
    const book = s.books[c.id]!;
    const rng = s.rng;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const fair2 = 2 * s.walk.fair[c.id]!;
    const mid2 = bb !== undefined && ba !== undefined ? bb + ba : fair2;
    const up = mid2 < fair2 ? 0.75 : mid2 > fair2 ? 0.25 : 0.5;
    const side: SideIx = rng.chance(up) ? BID : ASK;
    const dir = side === BID ? 1 : -1;
    const oppBest = book.sides[1 - side]!.bestPx();
    if (oppBest === undefined) {
      this.open(c, book);
      return;
    }
    const user = s.users.pick(0.1);
    const twap = c.kind !== 'spot' && rng.chance(0.1);
    const gtc = !twap && rng.chance(0.25);
    // Market orders carry a 5 % slippage limit; others reach a few ticks through.
    let limit = !gtc && rng.chance(0.5) ? oppBest + dir * Math.max(1, Math.floor(oppBest / 20)) : oppBest + dir * rng.int(3);
    limit = clamp(limit, c.minPx, c.maxPx);
    if (side === BID ? limit < oppBest : limit > oppBest) limit = oppBest;
    const want = s.sizeLots(c);
    const lots = gtc ? want : book.available(side, limit, want, user);
    const oid = s.nextOid++;
    const cloid = twap ? null : s.users.cloid(user);
    const tif = gtc ? 'Gtc' : 'Ioc';
    if (lots === 0) {
      // Only the taker's own orders were in reach.
      s.status(user, null, 'iocCancelRejected', s.placedJson(c, side, limit, want, oid, tif, false, cloid));
      s.rejected++;
      return;
    }
    const hash = twap ? ZERO_HASH : s.hash();
    const twapId = twap ? this.nextTwap++ : null;
    if (!twap) s.status(user, hash, 'open', s.placedJson(c, side, limit, lots, oid, tif, false, cloid));
    const t: TakerOrder = { user, oid, side, limit, lots, tif, cloid, hash, twapId };
    const rem = this.match(c, book, t);
    this.finish(c, book, t, rem);
  }

  /** Walk the opposite side up to the limit; the lots left. */
  private match(c: CoinSpec, book: MatchingBook, t: TakerOrder): number {
    const s = this.s;
    const opposite = book.sides[1 - t.side]!;
    let rem = t.lots;
    while (rem > 0) {
      const level = opposite.best();
      if (!level || (t.side === BID ? level.px > t.limit : level.px < t.limit)) break;
      const maker = level.head!;
      if (maker.user === t.user) {
        // Self-trade prevention cancels the resting order.
        s.status(maker.user, null, 'selfTradeCanceled', restingOrderJson(c, maker, maker.lots));
        s.diff(c, maker, REMOVE_DIFF);
        book.remove(maker);
        continue;
      }
      const qty = Math.min(rem, maker.lots);
      this.positions.trade(c, t, maker, level.px, qty);
      if (qty === maker.lots) {
        s.diff(c, maker, REMOVE_DIFF);
        if (maker.kind !== RestKind.Statusless) s.status(maker.user, null, 'filled', restingOrderJson(c, maker, 0));
        book.remove(maker);
      } else {
        s.diff(c, maker, updateDiff(s.sz(c, maker.lots), s.sz(c, maker.lots - qty)));
        maker.lots -= qty;
      }
      rem -= qty;
    }
    return rem;
  }

  /** After matching: `filled`, the rest of a Gtc order resting, or the rest of an Ioc canceled (TWAP slices say nothing). */
  private finish(c: CoinSpec, book: MatchingBook, t: TakerOrder, rem: number): void {
    const s = this.s;
    const twap = t.twapId !== null;
    const gtc = t.tif === 'Gtc';
    const json = (sz: string): string =>
      limitOrderJson({
        coinJson: c.json,
        side: SIDE[t.side],
        limitPx: s.px(c, t.limit),
        sz,
        oid: t.oid,
        timestamp: s.ms,
        reduceOnly: false,
        origSz: s.sz(c, t.lots),
        tif: t.tif,
        cloid: t.cloid,
      });
    if (rem === 0) {
      if (!twap) s.status(t.user, null, 'filled', json('0.0'));
    } else if (gtc) {
      const order = placedLimit({
        oid: t.oid,
        user: t.user,
        side: t.side,
        px: t.limit,
        lots: rem,
        timestamp: s.ms,
        tif: 'Gtc',
        reduceOnly: false,
        cloid: t.cloid,
      });
      order.origLots = t.lots;
      book.rest(order);
      s.diff(c, order, newDiff(s.sz(c, rem)));
    } else if (!twap) {
      s.status(t.user, null, 'canceled', json(s.sz(c, rem)));
    }
  }

  /** The special spot address moves one of its orders: a `remove` and a `new`, no statuses. */
  refresh(c: CoinSpec): void {
    const s = this.s;
    const book = s.books[c.id]!;
    const list = book.statusless;
    if (list.length > 0 && (list.length >= this.targets.statusless[c.id]! || s.rng.chance(0.5))) {
      const o = list[s.rng.int(list.length)]!;
      s.diff(c, o, REMOVE_DIFF);
      book.remove(o);
    }
    const side: SideIx = s.rng.chance(0.5) ? BID : ASK;
    const px = this.passivePx(c, book, side);
    if (px === undefined) return;
    const lots = s.sizeLots(c);
    const order = newRestingOrder({
      oid: s.nextOid++,
      user: 0,
      side,
      px,
      lots,
      timestamp: s.ms,
      kind: RestKind.Statusless,
      tif: 'Alo',
      orderType: 'Limit',
      reduceOnly: false,
      isPositionTpsl: false,
      cloid: null,
    });
    book.rest(order);
    s.diff(c, order, newDiff(s.sz(c, lots)));
  }
}
