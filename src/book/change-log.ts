/**
 * The record of one book's changes inside a block: enough to undo them exactly (time
 * priority included) when a later diff of the coin cannot apply, and to say which levels
 * they touched and whether the best bid or ask moved when they are kept.
 *
 * One log per book, armed by `begin` and disarmed by `changes` or `rollback`, instead of a
 * log per block: besides the allocation, a class whose instances all die between blocks
 * loses its hidden classes at the next full GC (V8 holds map transitions weakly), and every
 * optimized function on the apply path that had them embedded is thrown away ("weak
 * objects" deopts): that cost the engine split ~40 % of its apply speed.
 */
import type { Units } from './decimal.js';
import type { BookSide } from './book-side.js';
import type { Level, RestingOrder } from './resting-order.js';

/** What the changes since `beginChanges` did. */
export interface BookChanges {
  /** Level prices (one number form) whose size or count changed, per side. */
  changedBids: string[];
  changedAsks: string[];
  /** Best bid or ask changed in px, sz or n. */
  bboChanged: boolean;
}

const UNDO_ADD = 0;
const UNDO_SIZE = 1;
const UNDO_REMOVE = 2;

interface UndoEntry {
  kind: typeof UNDO_ADD | typeof UNDO_SIZE | typeof UNDO_REMOVE;
  order: RestingOrder;
  /** UNDO_SIZE: the size before. */
  sz: Units;
  /** UNDO_REMOVE: the order it followed in its level. */
  prev: RestingOrder | null;
}

/** `bestBidPx`/`bestAskPx` of an empty side (prices are never negative). */
const NO_PRICE = -1;

/** Distinct prices of changed levels (a level emptied and re-created in one block is two objects at one price). */
function changedPrices(levels: Set<Level>): string[] {
  const out: string[] = [];
  let seen: Set<number> | null = null;
  for (const lv of levels) {
    if (levels.size > 1) {
      seen ??= new Set();
      if (seen.has(lv.px)) continue;
      seen.add(lv.px);
    }
    out.push(lv.pxStr);
  }
  return out;
}

export class ChangeLog {
  /** True between `begin` and `changes`/`rollback`: only then are changes recorded. */
  armed = false;
  private readonly undo: UndoEntry[] = [];
  private readonly changedBids = new Set<Level>();
  private readonly changedAsks = new Set<Level>();
  // The best levels' figures when the log was armed (a level object may be replaced, so figures, not objects).
  private bestBidPx = NO_PRICE;
  private bestBidSz: Units = 0;
  private bestBidN = 0;
  private bestAskPx = NO_PRICE;
  private bestAskSz: Units = 0;
  private bestAskN = 0;

  constructor(
    private readonly bids: BookSide,
    private readonly asks: BookSide,
  ) {}

  /** Start recording. */
  begin(): void {
    const b = this.bids.best();
    this.bestBidPx = b === undefined ? NO_PRICE : b.px;
    this.bestBidSz = b === undefined ? 0 : b.sz;
    this.bestBidN = b === undefined ? 0 : b.n;
    const a = this.asks.best();
    this.bestAskPx = a === undefined ? NO_PRICE : a.px;
    this.bestAskSz = a === undefined ? 0 : a.sz;
    this.bestAskN = a === undefined ? 0 : a.n;
    this.armed = true;
  }

  /** `o` was linked (its `level` is where). */
  added(o: RestingOrder): void {
    this.undo.push({ kind: UNDO_ADD, order: o, sz: 0, prev: null });
    if (o.isBid) this.changedBids.add(o.level);
    else this.changedAsks.add(o.level);
  }

  /** `o`'s size was `oldSz` before. */
  resized(o: RestingOrder, oldSz: Units): void {
    this.undo.push({ kind: UNDO_SIZE, order: o, sz: oldSz, prev: null });
    if (o.isBid) this.changedBids.add(o.level);
    else this.changedAsks.add(o.level);
  }

  /** `o` was unlinked from just after `prev` (null: the head of its level). */
  removed(o: RestingOrder, prev: RestingOrder | null): void {
    this.undo.push({ kind: UNDO_REMOVE, order: o, sz: 0, prev });
    if (o.isBid) this.changedBids.add(o.level);
    else this.changedAsks.add(o.level);
  }

  /** Which levels the changes touched, and whether the best bid or ask changed; disarms the log (the changes are kept). */
  changes(): BookChanges {
    const b = this.bids.best();
    const a = this.asks.best();
    const bboChanged =
      (b === undefined ? this.bestBidPx !== NO_PRICE : b.px !== this.bestBidPx || b.sz !== this.bestBidSz || b.n !== this.bestBidN) ||
      (a === undefined ? this.bestAskPx !== NO_PRICE : a.px !== this.bestAskPx || a.sz !== this.bestAskSz || a.n !== this.bestAskN);
    const out = { changedBids: changedPrices(this.changedBids), changedAsks: changedPrices(this.changedAsks), bboChanged };
    this.disarm();
    return out;
  }

  /** Undo every change, newest first, leaving the sides and `orders` exactly as they were; disarms the log. */
  rollback(orders: Map<number, RestingOrder>): void {
    const undo = this.undo;
    for (let i = undo.length - 1; i >= 0; i--) {
      const u = undo[i]!;
      const o = u.order;
      const side = o.isBid ? this.bids : this.asks;
      if (u.kind === UNDO_ADD) {
        side.unlink(o);
        orders.delete(o.oid);
      } else if (u.kind === UNDO_SIZE) {
        side.resize(o, u.sz);
      } else {
        // Undone in reverse order, the book is as right after the removal: `prev` still rests in the same level.
        side.relink(o, u.prev);
        orders.set(o.oid, o);
      }
    }
    this.disarm();
  }

  /** Stop recording and forget (the orders and levels it held can then be collected). */
  private disarm(): void {
    this.armed = false;
    this.undo.length = 0;
    this.changedBids.clear();
    this.changedAsks.clear();
  }
}
