/**
 * One coin's L4 book: price levels per side, each a FIFO of resting orders (time priority),
 * with each level's total size and order count kept up to date so that L2 views, BBO and mid
 * never walk orders.
 *
 * Layout: a side is an array of levels sorted best last (bids ascending, asks descending),
 * plus a map price → level. Finding an existing level is O(1); a new or emptied level is
 * found by binary search (O(log levels)) and inserted/removed with a move of only the
 * levels better than it, which near the top of the book (where nearly all activity is) is a
 * handful. An order is found by oid in O(1) and unlinked from its level in O(1).
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { addUnits, formatHalfUnits, formatUnits, parsePrice, parseUnits, subUnits, type Units } from './decimal.js';
import type { L4Order, NodeOrder, Side } from './events.js';
import { aggregateSide, l2Spec, type AggregatableLevel } from './l2.js';
import type { L2Level, L2Levels, L2Params } from './types.js';

/** One price level: a FIFO of orders with its aggregates. */
export class Level implements AggregatableLevel {
  sz: Units = 0;
  n = 0;
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
  /** Formatted `sz`, computed on demand and dropped on every change. */
  szCache: string | null = null;
  constructor(
    /** Price in units of 1e-8. */
    readonly px: number,
    /** Price in the one number form. */
    readonly pxStr: string,
    /** Sort key: `px` for bids, `-px` for asks, so that the best level is the largest key. */
    readonly key: number,
  ) {}

  szString(): string {
    return (this.szCache ??= formatUnits(this.sz));
  }

  toL2(): L2Level {
    return { px: this.pxStr, sz: this.szString(), n: this.n };
  }
}

/** A resting order: the node's order object it came from, its current size and its place. */
export class RestingOrder {
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;
  constructor(
    readonly oid: number,
    readonly user: string,
    /** The node's order fields (`sz` and `limitPx` in it are not read: see `sz` and `level`). */
    readonly template: NodeOrder,
    /** Current resting size, units. */
    public sz: Units,
    public level: Level,
    readonly isBid: boolean,
  ) {}
}

/** One side's levels. */
export class BookSide {
  /** Sorted by `key` ascending: the best level is the last. */
  readonly levels: Level[] = [];
  readonly byPx = new Map<number, Level>();
  /** False while a bulk load appends levels out of order (see `OrderBook.addSnapshotOrders`). */
  private sorted = true;
  constructor(readonly isBid: boolean) {}

  best(): Level | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Index of the first level whose key is >= `key`. */
  private lowerBound(key: number): number {
    const a = this.levels;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The level at `px`, created in its sorted place if missing. */
  level(px: number): Level {
    let lv = this.byPx.get(px);
    if (lv === undefined) {
      lv = new Level(px, formatUnits(px), this.isBid ? px : -px);
      this.byPx.set(px, lv);
      const a = this.levels;
      const last = a[a.length - 1];
      if (!this.sorted || last === undefined || last.key < lv.key) a.push(lv);
      else a.splice(this.lowerBound(lv.key), 0, lv);
    }
    return lv;
  }

  /** Like `level`, but appends a new level unsorted (bulk load; call `sort` after). */
  levelUnsorted(px: number): Level {
    let lv = this.byPx.get(px);
    if (lv === undefined) {
      lv = new Level(px, formatUnits(px), this.isBid ? px : -px);
      this.byPx.set(px, lv);
      const a = this.levels;
      const last = a[a.length - 1];
      if (last !== undefined && last.key > lv.key) this.sorted = false;
      a.push(lv);
    }
    return lv;
  }

  sort(): void {
    if (!this.sorted) {
      this.levels.sort((x, y) => x.key - y.key);
      this.sorted = true;
    }
  }

  drop(lv: Level): void {
    this.byPx.delete(lv.px);
    const a = this.levels;
    if (a[a.length - 1] === lv) a.pop();
    else a.splice(this.lowerBound(lv.key), 1);
  }
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

/** What the changes since `beginChanges` did. */
export interface BookChanges {
  /** Level prices (one number form) whose size or count changed, per side. */
  changedBids: string[];
  changedAsks: string[];
  /** Best bid or ask changed in px, sz or n. */
  bboChanged: boolean;
}

interface Txn {
  undo: UndoEntry[];
  changedBids: Map<number, string>;
  changedAsks: Map<number, string>;
  bestBid: Level | undefined;
  bestBidSz: Units;
  bestBidN: number;
  bestAsk: Level | undefined;
  bestAskSz: Units;
  bestAskN: number;
}

function desync(message: string): HlobError {
  return new HlobError(ErrorCodes.DESYNC, message);
}

/** Untriggered trigger orders wait off the book (snapshots may list them). */
function isUntriggered(o: NodeOrder): boolean {
  return o.isTrigger === true && o.triggerCondition !== 'Triggered';
}

export class OrderBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  private readonly orders = new Map<number, RestingOrder>();
  private txn: Txn | null = null;

  constructor(readonly coin: string) {}

  /** A book from one coin's snapshot sides (`[[user, order]…]`, best first, time priority inside a level). */
  static fromL4(coin: string, bids: readonly (readonly [string, NodeOrder])[], asks: readonly (readonly [string, NodeOrder])[]): OrderBook {
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

  /** The resting order (internal form), for callers that need its size or level without copying. */
  resting(oid: number): RestingOrder | undefined {
    return this.orders.get(oid);
  }

  /** Rest an order at the back of its level (`limitPx`, `sz` are where and how much it rests). */
  add(order: L4Order): void {
    this.rest(order.user, order, parsePrice(order.limitPx), parseUnits(order.sz), order.side === 'B');
  }

  updateSize(oid: number, sz: string): void {
    this.setSize(oid, parseUnits(sz));
  }

  remove(oid: number): void {
    this.removeOrder(oid);
  }

  /**
   * Rest an order given in parsed form. Throws `HlobError` (`DESYNC`) if the oid already
   * rests. `template` supplies the node's other fields for L4 output.
   */
  rest(user: string, template: NodeOrder, px: number, sz: Units, isBid: boolean): RestingOrder {
    const oid = template.oid;
    if (this.orders.has(oid)) throw desync(`oid ${oid} already rests on ${this.coin}`);
    const lv = (isBid ? this.bids : this.asks).level(px);
    const o = new RestingOrder(oid, user, template, sz, lv, isBid);
    this.link(o, lv);
    this.orders.set(oid, o);
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_ADD, order: o, sz: 0, prev: null });
      (isBid ? t.changedBids : t.changedAsks).set(px, lv.pxStr);
    }
    return o;
  }

  /** Set a resting order's size. Throws `HlobError` (`DESYNC`) if the oid does not rest. */
  setSize(oid: number, sz: Units): RestingOrder {
    const o = this.orders.get(oid);
    if (o === undefined) throw desync(`update of oid ${oid}, which does not rest on ${this.coin}`);
    const old = o.sz;
    const lv = o.level;
    o.sz = sz;
    lv.sz = addUnits(subUnits(lv.sz, old), sz);
    lv.szCache = null;
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_SIZE, order: o, sz: old, prev: null });
      (o.isBid ? t.changedBids : t.changedAsks).set(lv.px, lv.pxStr);
    }
    return o;
  }

  /** Take an order off the book. Throws `HlobError` (`DESYNC`) if the oid does not rest. */
  removeOrder(oid: number): RestingOrder {
    const o = this.orders.get(oid);
    if (o === undefined) throw desync(`remove of oid ${oid}, which does not rest on ${this.coin}`);
    const prev = o.prev;
    const lv = o.level;
    this.unlink(o);
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_REMOVE, order: o, sz: 0, prev });
      (o.isBid ? t.changedBids : t.changedAsks).set(lv.px, lv.pxStr);
    }
    return o;
  }

  private link(o: RestingOrder, lv: Level): void {
    const tail = lv.tail;
    o.prev = tail;
    o.next = null;
    if (tail === null) lv.head = o;
    else tail.next = o;
    lv.tail = o;
    lv.sz = addUnits(lv.sz, o.sz);
    lv.n++;
    lv.szCache = null;
  }

  private unlink(o: RestingOrder): void {
    const lv = o.level;
    const { prev, next } = o;
    if (prev === null) lv.head = next;
    else prev.next = next;
    if (next === null) lv.tail = prev;
    else next.prev = prev;
    o.prev = o.next = null;
    this.orders.delete(o.oid);
    lv.n--;
    if (lv.n === 0) {
      lv.sz = 0;
      (o.isBid ? this.bids : this.asks).drop(lv);
    } else {
      lv.sz = subUnits(lv.sz, o.sz);
    }
    lv.szCache = null;
  }

  /**
   * Start recording changes so that they can be rolled back (`rollbackChanges`) or reported
   * (`commitChanges`). `Books.applyBlock` wraps each coin's diffs of a block in one of these.
   */
  beginChanges(): void {
    if (this.txn !== null) throw new HlobError(ErrorCodes.DESYNC, `changes on ${this.coin} already begun`);
    const bb = this.bids.best();
    const ba = this.asks.best();
    this.txn = {
      undo: [],
      changedBids: new Map(),
      changedAsks: new Map(),
      bestBid: bb,
      bestBidSz: bb?.sz ?? 0,
      bestBidN: bb?.n ?? 0,
      bestAsk: ba,
      bestAskSz: ba?.sz ?? 0,
      bestAskN: ba?.n ?? 0,
    };
  }

  get changing(): boolean {
    return this.txn !== null;
  }

  /** Keep the changes since `beginChanges`, and say which levels they touched. */
  commitChanges(): BookChanges {
    const t = this.txn;
    if (t === null) return { changedBids: [], changedAsks: [], bboChanged: false };
    this.txn = null;
    const bb = this.bids.best();
    const ba = this.asks.best();
    // A level object is replaced when it empties and comes back, so compare prices, not identity.
    const bboChanged =
      bb?.px !== t.bestBid?.px || (bb !== undefined && (bb.sz !== t.bestBidSz || bb.n !== t.bestBidN)) ||
      ba?.px !== t.bestAsk?.px || (ba !== undefined && (ba.sz !== t.bestAskSz || ba.n !== t.bestAskN));
    return { changedBids: [...t.changedBids.values()], changedAsks: [...t.changedAsks.values()], bboChanged };
  }

  /** Undo every change since `beginChanges`, leaving the book exactly as it was (time priority included). */
  rollbackChanges(): void {
    const t = this.txn;
    if (t === null) return;
    this.txn = null;
    const undo = t.undo;
    for (let i = undo.length - 1; i >= 0; i--) {
      const u = undo[i]!;
      const o = u.order;
      if (u.kind === UNDO_ADD) {
        this.unlink(o);
      } else if (u.kind === UNDO_SIZE) {
        const lv = o.level;
        lv.sz = addUnits(subUnits(lv.sz, o.sz), u.sz);
        lv.szCache = null;
        o.sz = u.sz;
      } else {
        // Undone in reverse order, the book is as right after the removal: `prev` still rests in the same level.
        const lv = (o.isBid ? this.bids : this.asks).level(o.level.px);
        o.level = lv;
        const prev = u.prev;
        const next = prev === null ? lv.head : prev.next;
        o.prev = prev;
        o.next = next;
        if (prev === null) lv.head = o;
        else prev.next = o;
        if (next === null) lv.tail = o;
        else next.prev = o;
        lv.sz = addUnits(lv.sz, o.sz);
        lv.n++;
        lv.szCache = null;
        this.orders.set(o.oid, o);
      }
    }
  }

  /**
   * Append snapshot orders (`[user, order]`, best first, time priority inside a level) of one
   * side, `entries[from..to)`: callable in slices so that a large snapshot loads without
   * holding the event loop. Untriggered trigger orders are skipped. Returns how many rested.
   * Throws `HlobError` (`BAD_SNAPSHOT`) naming the order on a duplicate oid or a bad number.
   */
  addSnapshotOrders(side: Side, entries: readonly (readonly [string, NodeOrder])[], from = 0, to = entries.length): number {
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
        this.link(o, lv);
        this.orders.set(oid, o);
        added++;
      }
    } finally {
      bookSide.sort();
    }
    return added;
  }

  /** Aggregated levels exactly per Hyperliquid (protocol.md). Throws `HlobError` (`BAD_L2_PARAMS`) on bad parameters. */
  l2(params?: L2Params): L2Levels {
    const spec = l2Spec(params);
    return [aggregateSide(this.bids.levels, true, spec), aggregateSide(this.asks.levels, false, spec)];
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

  /** Orders per side, best level first, time priority inside a level. */
  l4(): [L4Order[], L4Order[]] {
    return [sideOrders(this.bids), sideOrders(this.asks)];
  }

  /** Resting orders of one side in book order (best level first, time priority), internal form. */
  *restingOrders(side: Side): IterableIterator<RestingOrder> {
    const levels = (side === 'B' ? this.bids : this.asks).levels;
    for (let i = levels.length - 1; i >= 0; i--) {
      for (let o = levels[i]!.head; o !== null; o = o.next) yield o;
    }
  }

  /**
   * The first difference between this book and one coin's snapshot sides (same shape as
   * `fromL4` takes), or null when they hold the same orders in the same places and order:
   * oid, user, side, price and size are compared. Untriggered trigger orders in the
   * snapshot are skipped, as when loading.
   */
  compareL4(bids: readonly (readonly [string, NodeOrder])[], asks: readonly (readonly [string, NodeOrder])[]): string | null {
    return compareSide(this, 'B', bids) ?? compareSide(this, 'A', asks);
  }
}

function snapshotError(coin: string, side: Side, i: number, order: NodeOrder, field: string, err: unknown): HlobError {
  return new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot of ${coin}: ${field} of oid ${order?.oid} (${side} #${i}): ${(err as Error).message}`, { cause: err });
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

export function toL4(o: RestingOrder): L4Order {
  return { user: o.user, ...o.template, limitPx: o.level.pxStr, sz: formatUnits(o.sz) };
}

function sideOrders(side: BookSide): L4Order[] {
  const out: L4Order[] = [];
  const levels = side.levels;
  for (let i = levels.length - 1; i >= 0; i--) {
    for (let o = levels[i]!.head; o !== null; o = o.next) out.push(toL4(o));
  }
  return out;
}

function describe(user: string, oid: number, px: string, sz: string): string {
  return `oid ${oid} of ${user} at ${px} x ${sz}`;
}

function compareSide(book: OrderBook, side: Side, expected: readonly (readonly [string, NodeOrder])[]): string | null {
  const name = side === 'B' ? 'bid' : 'ask';
  const it = book.restingOrders(side);
  let i = 0;
  for (const [user, order] of expected) {
    if (isUntriggered(order)) continue;
    const r = it.next();
    const want = describe(user, order.oid, order.limitPx, order.sz);
    if (r.done === true) return `${book.coin} ${name} #${i}: expected ${want}, book has no more orders`;
    const o = r.value;
    const got = describe(o.user, o.oid, o.level.pxStr, formatUnits(o.sz));
    let same = o.oid === order.oid && o.user === user && order.side === side;
    if (same) {
      try {
        same = parsePrice(order.limitPx) === o.level.px && parseUnits(order.sz) === o.sz;
      } catch {
        same = false;
      }
    }
    if (!same) return `${book.coin} ${name} #${i}: expected ${want}, book has ${got}`;
    i++;
  }
  const r = it.next();
  if (r.done !== true) {
    const o = r.value;
    return `${book.coin} ${name} #${i}: expected no more orders, book has ${describe(o.user, o.oid, o.level.pxStr, formatUnits(o.sz))}`;
  }
  return null;
}
