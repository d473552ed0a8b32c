/**
 * One coin's L4 book: price levels per side, each a FIFO of resting orders (time priority),
 * with each level's total size and order count kept up to date so that L2 views, BBO and mid
 * never walk orders. An order is found by oid in O(1) and unlinked from its level in O(1).
 *
 * The parts: each side's levels and bucket indexes (`book-side.ts`), the change log that
 * undoes a coin's diffs of a block (`change-log.ts`), the L2 view cache (`view-cache.ts`) and
 * the comparison with a snapshot (`compare.ts`). Readers outside the engine get read-only
 * views of its orders (`RestingOrderView`); only `Books` and snapshot loading change a book.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { addUnits, formatHalfUnits, formatUnits, parsePrice, parseUnits, type Units } from './decimal.js';
import type { L4Order, NodeOrder, Side } from './events.js';
import type { AggregatableLevel } from './l2.js';
import { BookSide } from './book-side.js';
import { ChangeLog, type BookChanges } from './change-log.js';
import { bookOrders, compareSide, restingOrders, snapshotOrders, type LiveSide } from './compare.js';
import { isUntriggered, RestingOrder, toL4, type Level, type RestingOrderView } from './resting-order.js';
import { ViewCache } from './view-cache.js';
import type { L2Level, L2Levels, L2Params } from './types.js';

export type { BookChanges } from './change-log.js';

/** A snapshot side as the node writes it: `[user, order]`, best first, time priority inside a level. */
type SnapshotSide = readonly (readonly [string, NodeOrder])[];

function desync(message: string): HlobError {
  return new HlobError(ErrorCodes.DESYNC, message);
}

export class OrderBook {
  private readonly bids = new BookSide(true);
  private readonly asks = new BookSide(false);
  private readonly orders = new Map<number, RestingOrder>();
  /** Armed while `Books.applyBlock` changes this book (see `change-log.ts` for why it is kept, not made per block). */
  private readonly log = new ChangeLog(this.bids, this.asks);
  private readonly views = new ViewCache(this.bids, this.asks);

  constructor(readonly coin: string) {}

  /** A book from one coin's snapshot sides. */
  static fromL4(coin: string, bids: SnapshotSide, asks: SnapshotSide): OrderBook {
    const b = new OrderBook(coin);
    b.addSnapshotOrders('B', bids);
    b.addSnapshotOrders('A', asks);
    return b;
  }

  /** Resting orders. */
  get size(): number {
    return this.orders.size;
  }

  has(oid: number): boolean {
    return this.orders.has(oid);
  }

  get(oid: number): L4Order | undefined {
    const o = this.orders.get(oid);
    return o === undefined ? undefined : toL4(o);
  }

  /** The resting order (read-only), for callers that need its size or level without copying. */
  resting(oid: number): RestingOrderView | undefined {
    return this.orders.get(oid);
  }

  /**
   * Rest an order given in parsed form: at the back of its level, or immediately before
   * `before` (an order resting at that level, found with `resting`: `insertBefore`). Throws
   * `HlobError` (`DESYNC`) if the oid already rests or `before` does not rest there.
   * `template` supplies the node's other fields for L4 output.
   */
  rest(user: string, template: NodeOrder, px: number, sz: Units, isBid: boolean, before: RestingOrderView | null = null): RestingOrderView {
    const oid = template.oid;
    if (this.orders.has(oid)) throw desync(`oid ${oid} already rests on ${this.coin}`);
    const side = isBid ? this.bids : this.asks;
    let lv: Level;
    let at: RestingOrder | null = null;
    if (before === null) lv = side.level(px);
    else {
      // A wrong `before` would corrupt another level's list.
      at = this.restingAt(before, isBid, px);
      lv = at.level;
    }
    const o = new RestingOrder(oid, user, template, sz, lv, isBid);
    side.link(o, lv, at);
    this.orders.set(oid, o);
    if (this.log.armed) this.log.added(o);
    return o;
  }

  /** The order `before` names, checked to rest here on side `isBid` at `px`. */
  private restingAt(before: RestingOrderView, isBid: boolean, px: number): RestingOrder {
    const o = this.orders.get(before.oid);
    if (o !== before || o === undefined) throw desync(`insertBefore ${before.oid}, which does not rest on ${this.coin}`);
    if (o.isBid !== isBid) throw desync(`insertBefore ${o.oid} on ${this.coin}: it rests on the other side`);
    if (o.level.px !== px) throw desync(`insertBefore ${o.oid} on ${this.coin}: it rests at ${o.level.pxStr}, not ${formatUnits(px)}`);
    return o;
  }

  /**
   * Set the size of an order resting here, as `resting` handed it out (the diff path looks
   * each order up once: no second lookup here, so the order must still rest in this book).
   */
  setRestingSize(order: RestingOrderView, sz: Units): void {
    const o = order as RestingOrder;
    const old = o.sz;
    (o.isBid ? this.bids : this.asks).resize(o, sz);
    if (this.log.armed) this.log.resized(o, old);
  }

  /** Take off an order resting here, as `resting` handed it out (as for `setRestingSize`, it must still rest in this book). */
  removeResting(order: RestingOrderView): void {
    const o = order as RestingOrder;
    const prev = o.prev;
    (o.isBid ? this.bids : this.asks).unlink(o);
    this.orders.delete(o.oid);
    if (this.log.armed) this.log.removed(o, prev);
  }

  /**
   * Start recording changes so that they can be rolled back (`rollbackChanges`) or reported
   * (`commitChanges`). `Books.applyBlock` wraps each coin's diffs of a block in one of these.
   */
  beginChanges(): void {
    if (this.log.armed) throw desync(`changes on ${this.coin} already begun`);
    this.log.begin();
  }

  get changing(): boolean {
    return this.log.armed;
  }

  /** Keep the changes since `beginChanges`, and say which levels they touched. */
  commitChanges(): BookChanges {
    if (!this.log.armed) return { changedBids: [], changedAsks: [], bboChanged: false };
    return this.log.changes();
  }

  /** Undo every change since `beginChanges`, leaving the book exactly as it was (time priority included). */
  rollbackChanges(): void {
    if (this.log.armed) this.log.rollback(this.orders);
  }

  /**
   * Append snapshot orders (`[user, order]`, best first, time priority inside a level) of one
   * side, `entries[from..to)`: callable in slices so that a large snapshot loads without
   * holding the event loop. Untriggered trigger orders are skipped. Returns how many rested.
   * Throws `HlobError` (`BAD_SNAPSHOT`) naming the order on a duplicate oid or a bad number.
   */
  addSnapshotOrders(side: Side, entries: SnapshotSide, from = 0, to = entries.length): number {
    const isBid = side === 'B';
    const bookSide = isBid ? this.bids : this.asks;
    let lastPxStr: string | null = null;
    let lv: Level | null = null;
    let added = 0;
    try {
      for (let i = from; i < to; i++) {
        const e = entries[i]!;
        const user = e[0];
        const order = e[1];
        if (isUntriggered(order)) continue;
        if (order.limitPx !== lastPxStr || lv === null) {
          lastPxStr = order.limitPx;
          lv = bookSide.levelUnsorted(snapshotPrice(this.coin, side, i, order));
        }
        const oid = order.oid;
        if (this.orders.has(oid)) throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${this.coin}: oid ${oid} (${side} #${i}) listed twice`);
        const o = new RestingOrder(oid, user, order, snapshotSize(this.coin, side, i, order), lv, isBid);
        bookSide.link(o, lv, null);
        this.orders.set(oid, o);
        added++;
      }
    } finally {
      bookSide.sort();
    }
    return added;
  }

  /**
   * Aggregated levels exactly per Hyperliquid (protocol.md). Throws `HlobError`
   * (`BAD_L2_PARAMS`) on bad parameters. Cached per parameter set: the same frozen object is
   * returned until a change reaches the levels it shows (see `view-cache.ts`).
   */
  l2(params?: L2Params): L2Levels {
    return this.views.l2(params);
  }

  bbo(): [L2Level | null, L2Level | null] {
    return [this.bids.best()?.toL2() ?? null, this.asks.best()?.toL2() ?? null];
  }

  /** (best bid + best ask) / 2 in the one number form, or null when a side is empty. */
  mid(): string | null {
    const b = this.bids.best();
    const a = this.asks.best();
    if (b === undefined || a === undefined) return null;
    return formatHalfUnits(addUnits(b.px, a.px));
  }

  /** One side's levels, sorted best LAST (the layout `aggregateSide` reads). */
  levels(side: Side): readonly AggregatableLevel[] {
    return (side === 'B' ? this.bids : this.asks).levels;
  }

  /** Orders per side, best level first, time priority inside a level. */
  l4(): [L4Order[], L4Order[]] {
    return [sideOrders(this.bids), sideOrders(this.asks)];
  }

  /** Resting orders of one side in book order (best level first, time priority), read-only. */
  restingOrders(side: Side): IterableIterator<RestingOrderView> {
    return restingOrders(side === 'B' ? this.bids : this.asks);
  }

  /**
   * The first difference between this book and one coin's snapshot sides (same shape as
   * `fromL4` takes), or null when they hold the same orders in the same places and order:
   * oid, user, side, price and size are compared. Untriggered trigger orders in the
   * snapshot are skipped, as when loading.
   */
  compareL4(bids: SnapshotSide, asks: SnapshotSide): string | null {
    return compareSide(this.side('B'), snapshotOrders(bids)) ?? compareSide(this.side('A'), snapshotOrders(asks));
  }

  /**
   * The first difference between this book and `expected` (the coin's book built from a
   * fresh snapshot), or null when they hold the same orders in the same places and order;
   * in the same words as `compareL4`.
   */
  compareBook(expected: OrderBook): string | null {
    return compareSide(this.side('B'), bookOrders(expected.bids)) ?? compareSide(this.side('A'), bookOrders(expected.asks));
  }

  private side(side: Side): LiveSide {
    return { coin: this.coin, side, levels: side === 'B' ? this.bids : this.asks, orders: this.orders };
  }
}

function snapshotError(coin: string, side: Side, i: number, order: NodeOrder, field: string, err: unknown): HlobError {
  return new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${coin}: ${field} of oid ${order?.oid} (${side} #${i}): ${(err as Error).message}`, {
    cause: err,
  });
}

function snapshotPrice(coin: string, side: Side, i: number, order: NodeOrder): number {
  try {
    return parsePrice(order.limitPx);
  } catch (err) {
    throw snapshotError(coin, side, i, order, 'limitPx', err);
  }
}

function snapshotSize(coin: string, side: Side, i: number, order: NodeOrder): Units {
  try {
    return parseUnits(order.sz);
  } catch (err) {
    throw snapshotError(coin, side, i, order, 'sz', err);
  }
}

function sideOrders(side: BookSide): L4Order[] {
  const out: L4Order[] = [];
  const levels = side.levels;
  for (let i = levels.length - 1; i >= 0; i--) {
    for (let o = levels[i]!.head; o !== null; o = o.next) out.push(toL4(o));
  }
  return out;
}
