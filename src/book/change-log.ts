/**
 * The record of one book's changes inside a block: enough to undo them exactly (time
 * priority included) when a later diff of the coin cannot apply, and to say which levels
 * they touched and whether the best bid or ask moved when they are kept.
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

/** The best level of a side as it was when the log began (a level object may be replaced, so its figures are kept). */
interface BestBefore {
  px: number | undefined;
  sz: Units;
  n: number;
}

function bestOf(side: BookSide): BestBefore {
  const b = side.best();
  return { px: b?.px, sz: b?.sz ?? 0, n: b?.n ?? 0 };
}

function bestChanged(side: BookSide, was: BestBefore): boolean {
  const b = side.best();
  return b?.px !== was.px || (b !== undefined && (b.sz !== was.sz || b.n !== was.n));
}

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
  private readonly undo: UndoEntry[] = [];
  private readonly changedBids = new Set<Level>();
  private readonly changedAsks = new Set<Level>();
  private readonly bestBid: BestBefore;
  private readonly bestAsk: BestBefore;

  constructor(
    private readonly bids: BookSide,
    private readonly asks: BookSide,
  ) {
    this.bestBid = bestOf(bids);
    this.bestAsk = bestOf(asks);
  }

  /** `o` was linked (its `level` is where). */
  added(o: RestingOrder): void {
    this.undo.push({ kind: UNDO_ADD, order: o, sz: 0, prev: null });
    this.touched(o);
  }

  /** `o`'s size was `oldSz` before. */
  resized(o: RestingOrder, oldSz: Units): void {
    this.undo.push({ kind: UNDO_SIZE, order: o, sz: oldSz, prev: null });
    this.touched(o);
  }

  /** `o` was unlinked from just after `prev` (null: the head of its level). */
  removed(o: RestingOrder, prev: RestingOrder | null): void {
    this.undo.push({ kind: UNDO_REMOVE, order: o, sz: 0, prev });
    this.touched(o);
  }

  private touched(o: RestingOrder): void {
    (o.isBid ? this.changedBids : this.changedAsks).add(o.level);
  }

  /** Which levels the changes touched, and whether the best bid or ask changed. */
  changes(): BookChanges {
    const bboChanged = bestChanged(this.bids, this.bestBid) || bestChanged(this.asks, this.bestAsk);
    return { changedBids: changedPrices(this.changedBids), changedAsks: changedPrices(this.changedAsks), bboChanged };
  }

  /** Undo every change, newest first, leaving the sides and `orders` exactly as they were. */
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
  }
}
