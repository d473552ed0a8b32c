import { codedError } from '../errors.js';
/**
 * One coin's book inside the simulator: resting orders with price-time priority, in integer
 * units (prices in ticks, sizes in lots). Levels of a side sit in an array sorted so that the
 * best level is last (cheap to reach and to pop); orders of a level form a doubly linked list
 * (time priority, O(1) removal from anywhere, O(1) insertion ahead of any order for ALO
 * priority, `insertBefore`).
 */

export const BID = 0;
export const ASK = 1;
export type SideIx = 0 | 1;

/** How an order came to rest: decides the fields it shows in snapshots. */
export const RestKind = {
  /** Placed with an `open` status: fields from that status. */
  Placed: 0,
  /** A trigger order that triggered: `isTrigger:false`, `triggerCondition:"Triggered"`, `tif:"Gtc"`. */
  Triggered: 1,
  /** A special spot address's order with no status: `Limit`, `Alo`, no cloid. */
  Statusless: 2,
} as const;
export type RestKind = (typeof RestKind)[keyof typeof RestKind];

export interface RestingOrder {
  oid: number;
  user: number;
  side: SideIx;
  /** Price in ticks of the coin. */
  px: number;
  /** Current size in lots. */
  lots: number;
  /** Size in lots when placed (`origSz`). */
  origLots: number;
  /** Epoch ms (`timestamp`). */
  timestamp: number;
  kind: RestKind;
  /** `tif` as the snapshot shows it (`null` for a few legacy orders). */
  tif: string | null;
  orderType: string;
  reduceOnly: boolean;
  isPositionTpsl: boolean;
  cloid: string | null;
  prev: RestingOrder | null;
  next: RestingOrder | null;
  level: Level | null;
  /** Index in the book's pick list (for drawing a random order in O(1)). */
  slot: number;
  /**
   * The order's snapshot text after its `sz` value (`restingOrderTail`), made on first use:
   * every field there is fixed once the order rests (only `lots` changes), so it is never stale.
   */
  snapshotTail: string | null;
}

/** What a new order is made of: everything but its size history and its place in a book. */
export type NewOrder = Pick<
  RestingOrder,
  'oid' | 'user' | 'side' | 'px' | 'lots' | 'timestamp' | 'kind' | 'tif' | 'orderType' | 'reduceOnly' | 'isPositionTpsl' | 'cloid'
>;

/** A plain limit order placed now: kind `Placed`, type `Limit`, not a position TP/SL. */
export function placedLimit(o: Pick<NewOrder, 'oid' | 'user' | 'side' | 'px' | 'lots' | 'timestamp' | 'tif' | 'reduceOnly' | 'cloid'>): RestingOrder {
  return newRestingOrder({ ...o, kind: RestKind.Placed, orderType: 'Limit', isPositionTpsl: false });
}

/** A resting order not in a book yet, its original size its size. */
export function newRestingOrder(o: NewOrder): RestingOrder {
  // One literal, fields in one order: every order shares one object shape.
  return {
    oid: o.oid,
    user: o.user,
    side: o.side,
    px: o.px,
    lots: o.lots,
    origLots: o.lots,
    timestamp: o.timestamp,
    kind: o.kind,
    tif: o.tif,
    orderType: o.orderType,
    reduceOnly: o.reduceOnly,
    isPositionTpsl: o.isPositionTpsl,
    cloid: o.cloid,
    prev: null,
    next: null,
    level: null,
    slot: -1,
    snapshotTail: null,
  };
}

export class Level {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  count = 0;
  constructor(readonly px: number) {}
}

/** One side: levels sorted with the best last. */
export class BookSide {
  /** Bids ascending, asks descending: the best level is the last element. */
  readonly levels: Level[] = [];
  private readonly byPx = new Map<number, Level>();
  constructor(readonly side: SideIx) {}

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }

  bestPx(): number | undefined {
    return this.levels[this.levels.length - 1]?.px;
  }

  /** Is `a` a better price than `b` on this side? */
  better(a: number, b: number): boolean {
    return this.side === BID ? a > b : a < b;
  }

  level(px: number): Level | undefined {
    return this.byPx.get(px);
  }

  private insertLevel(px: number): Level {
    const level = new Level(px);
    const levels = this.levels;
    // Binary search for the first index whose level is better than px (ascending "worse → best").
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(levels[mid]!.px, px)) hi = mid;
      else lo = mid + 1;
    }
    levels.splice(lo, 0, level);
    this.byPx.set(px, level);
    return level;
  }

  /** Append at the back of its level (time priority). */
  append(order: RestingOrder): void {
    this.link(order, this.byPx.get(order.px) ?? this.insertLevel(order.px), null);
  }

  /** Link `order` into `target`'s level immediately ahead of it (`insertBefore`: ALO priority). */
  insertBefore(order: RestingOrder, target: RestingOrder): void {
    this.link(order, target.level!, target);
  }

  /** Link `order` into `level` just ahead of `next` (null: at the back). */
  private link(order: RestingOrder, level: Level, next: RestingOrder | null): void {
    const prev = next === null ? level.tail : next.prev;
    order.level = level;
    order.prev = prev;
    order.next = next;
    if (prev) prev.next = order;
    else level.head = order;
    if (next) next.prev = order;
    else level.tail = order;
    level.count++;
  }

  unlink(order: RestingOrder): void {
    const level = order.level!;
    if (order.prev) order.prev.next = order.next;
    else level.head = order.next;
    if (order.next) order.next.prev = order.prev;
    else level.tail = order.prev;
    order.prev = order.next = null;
    order.level = null;
    level.count--;
    if (level.count === 0) this.dropLevel(level);
  }

  private dropLevel(level: Level): void {
    this.byPx.delete(level.px);
    const levels = this.levels;
    if (levels[levels.length - 1] === level) {
      levels.pop();
      return;
    }
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(levels[mid]!.px, level.px)) hi = mid;
      else lo = mid + 1;
    }
    // lo is one past the level (levels strictly ordered).
    levels.splice(lo - 1, 1);
  }

  /** Orders best level first, time priority within a level. */
  *orders(): IterableIterator<RestingOrder> {
    for (let i = this.levels.length - 1; i >= 0; i--) {
      for (let o = this.levels[i]!.head; o; o = o.next) yield o;
    }
  }
}

/** One coin's resting orders. */
export class MatchingBook {
  readonly sides: [BookSide, BookSide] = [new BookSide(BID), new BookSide(ASK)];
  /** Orders with a status (cancellable by their users). */
  readonly regular: RestingOrder[] = [];
  /** Orders of the special spot address (refreshed without statuses). */
  readonly statusless: RestingOrder[] = [];

  get size(): number {
    return this.regular.length + this.statusless.length;
  }

  bestBid(): number | undefined {
    return this.sides[BID].bestPx();
  }

  bestAsk(): number | undefined {
    return this.sides[ASK].bestPx();
  }

  /**
   * Rest an order at the back of its level, or immediately ahead of `before` (a resting order
   * of the same side and price). The caller guarantees it does not cross.
   */
  rest(order: RestingOrder, before: RestingOrder | null = null): void {
    if (before === null) this.sides[order.side].append(order);
    else {
      if (before.level === null || before.side !== order.side || before.px !== order.px)
        throw codedError('USAGE', `insertBefore ${before.oid}: not resting at the order's side and price`);
      this.sides[order.side].insertBefore(order, before);
    }
    const list = order.kind === RestKind.Statusless ? this.statusless : this.regular;
    order.slot = list.length;
    list.push(order);
  }

  remove(order: RestingOrder): void {
    this.sides[order.side].unlink(order);
    const list = order.kind === RestKind.Statusless ? this.statusless : this.regular;
    const last = list.pop()!;
    if (last !== order) {
      list[order.slot] = last;
      last.slot = order.slot;
    }
    order.slot = -1;
  }

  /**
   * Lots available against a taker on `takerSide` up to `limitPx` (inclusive), counting at
   * most `want` (stops early) and not counting the taker's own orders (`user`), which
   * self-trade prevention cancels instead of filling.
   */
  available(takerSide: SideIx, limitPx: number, want: number, user: number): number {
    const opposite = this.sides[takerSide === BID ? ASK : BID];
    let total = 0;
    for (let i = opposite.levels.length - 1; i >= 0 && total < want; i--) {
      const level = opposite.levels[i]!;
      if (takerSide === BID ? level.px > limitPx : level.px < limitPx) break;
      for (let o = level.head; o && total < want; o = o.next) if (o.user !== user) total += o.lots;
    }
    return Math.min(total, want);
  }
}
