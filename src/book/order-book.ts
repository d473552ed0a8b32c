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
import { addUnits, formatHalfUnits, formatUnits, negUnits, parsePrice, parseUnits, subUnits, type Units } from './decimal.js';
import type { L4Order, NodeOrder, Side } from './events.js';
import { aggregateSide, bucketPx, l2Spec, type L2Spec, type ViewReach } from './l2.js';
import { Aggregate, PriceLadder } from './price-ladder.js';
import type { L2Level, L2Levels, L2Params } from './types.js';

/** One price level: a FIFO of orders with its aggregates (an order may also join ahead of a given one: `insertBefore`). */
export class Level extends Aggregate {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
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

/**
 * One side's levels grouped into the buckets of one (nSigFigs, mantissa), kept up to date
 * with every level change, so that a coarse view (nSigFigs 2: buckets of 1,000 on BTC,
 * spanning most of the book) reads `nLevels` buckets instead of walking thousands of levels.
 * Grouping each level by its own bucket edge is the same as Hyperliquid's walk (a bucket
 * opened by its first level takes exactly the levels whose own edge is that one).
 */
export class BucketIndex extends PriceLadder<Aggregate> {
  constructor(
    isBid: boolean,
    readonly sigFigs: number,
    readonly mantissa: number,
  ) {
    super(isBid);
  }

  protected create(px: number, key: number): Aggregate {
    return new Aggregate(px, key);
  }

  /** A level at `px` changed by `dSz` in size and `dN` in order count. */
  apply(px: number, dSz: Units, dN: number): void {
    const b = this.level(bucketPx(px, this.isBid, this.sigFigs, this.mantissa));
    b.n += dN;
    if (b.n === 0) {
      this.drop(b);
      return;
    }
    b.sz = addUnits(b.sz, dSz);
    b.szCache = null;
  }
}

/** One side of one cached L2 view: its levels (null once a change reached it) and how far it reaches. */
class SideView implements ViewReach {
  levels: L2Level[] | null = null;
  complete = true;
  bound = 0;
}

/** Most L2 parameter sets cached per book (a server uses a handful; the rest are recomputed). */
const MAX_CACHED_VIEWS = 32;

/** One side's levels, with the bucket indexes and cached views that follow them. */
export class BookSide extends PriceLadder<Level> {
  /** This side of every cached L2 view. */
  readonly views: SideView[] = [];
  /** Bucket indexes, created on the first view that needs one (at most one per nSigFigs/mantissa). */
  readonly indexes: BucketIndex[] = [];

  protected create(px: number, key: number): Level {
    return new Level(px, key);
  }

  /** The level at `px` changed by `dSz` in size and `dN` in order count: follow it in indexes and views. */
  changed(px: number, dSz: Units, dN: number): void {
    const ix = this.indexes;
    for (let i = 0; i < ix.length; i++) ix[i]!.apply(px, dSz, dN);
    const views = this.views;
    for (let i = 0; i < views.length; i++) {
      const v = views[i]!;
      if (v.levels !== null && (v.complete || (this.isBid ? px >= v.bound : px <= v.bound))) v.levels = null;
    }
  }

  /** The bucket index of (sigFigs, mantissa), built from the levels on first use. */
  bucketIndex(sigFigs: number, mantissa: number): BucketIndex {
    for (const ix of this.indexes) if (ix.sigFigs === sigFigs && ix.mantissa === mantissa) return ix;
    const ix = new BucketIndex(this.isBid, sigFigs, mantissa);
    // Levels are sorted worst first and bucket edges follow that order: each bucket appends.
    for (const lv of this.levels) ix.apply(lv.px, lv.sz, lv.n);
    this.indexes.push(ix);
    return ix;
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
  changedBids: Set<Level>;
  changedAsks: Set<Level>;
  bestBid: Level | undefined;
  bestBidSz: Units;
  bestBidN: number;
  bestAsk: Level | undefined;
  bestAskSz: Units;
  bestAskN: number;
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
  private readonly views = new Map<string, { bids: SideView; asks: SideView; result: L2Levels | null }>();

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

  /**
   * Rest an order at the back of its level (`limitPx`, `sz` are where and how much it rests),
   * or immediately before the resting order `insertBefore` (which must rest at that level).
   */
  add(order: L4Order, insertBefore?: number | null): void {
    if (order.side !== 'B' && order.side !== 'A') throw desync(`oid ${order.oid} on ${this.coin} has side ${JSON.stringify(order.side)}, not "B" or "A"`);
    const px = parsePrice(order.limitPx);
    const isBid = order.side === 'B';
    const before = insertBefore === undefined || insertBefore === null ? null : this.restingAt(insertBefore, isBid, px);
    this.rest(order.user, order, px, parseUnits(order.sz), isBid, before);
  }

  /**
   * The order `oid` if it rests on side `isBid` at `px` (the order an `insertBefore` names).
   * Throws `HlobError` (`DESYNC`) naming what is wrong otherwise: the book no longer matches
   * the node's.
   */
  restingAt(oid: number, isBid: boolean, px: number): RestingOrder {
    const o = this.orders.get(oid);
    if (o === undefined) throw desync(`insertBefore ${oid}, which does not rest on ${this.coin}`);
    if (o.isBid !== isBid) throw desync(`insertBefore ${oid} on ${this.coin}: it rests on the other side`);
    if (o.level.px !== px) throw desync(`insertBefore ${oid} on ${this.coin}: it rests at ${o.level.pxStr}, not ${formatUnits(px)}`);
    return o;
  }

  updateSize(oid: number, sz: string): void {
    this.setSize(oid, parseUnits(sz));
  }

  remove(oid: number): void {
    this.removeOrder(oid);
  }

  /**
   * Rest an order given in parsed form: at the back of its level, or immediately before
   * `before` (an order resting at that level, found with `restingAt`: `insertBefore`). Throws
   * `HlobError` (`DESYNC`) if the oid already rests. `template` supplies the node's other
   * fields for L4 output.
   */
  rest(user: string, template: NodeOrder, px: number, sz: Units, isBid: boolean, before: RestingOrder | null = null): RestingOrder {
    const oid = template.oid;
    if (this.orders.has(oid)) throw desync(`oid ${oid} already rests on ${this.coin}`);
    let lv: Level;
    if (before === null) lv = (isBid ? this.bids : this.asks).level(px);
    else {
      // Checked here too (cheap): a wrong `before` would corrupt another level's list.
      if (before.isBid !== isBid || before.level.px !== px || this.orders.get(before.oid) !== before) {
        throw desync(`insertBefore ${before.oid} on ${this.coin}: not resting at ${formatUnits(px)} on that side`);
      }
      lv = before.level;
    }
    const o = new RestingOrder(oid, user, template, sz, lv, isBid);
    this.link(o, lv, before);
    this.orders.set(oid, o);
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_ADD, order: o, sz: 0, prev: null });
      (isBid ? t.changedBids : t.changedAsks).add(lv);
    }
    return o;
  }

  /** Set a resting order's size. Throws `HlobError` (`DESYNC`) if the oid does not rest. */
  setSize(oid: number, sz: Units): RestingOrder {
    const o = this.orders.get(oid);
    if (o === undefined) throw desync(`update of oid ${oid}, which does not rest on ${this.coin}`);
    return this.setRestingSize(o, sz);
  }

  /** Set the size of an order known to rest here (found with `resting`): no second lookup. */
  setRestingSize(o: RestingOrder, sz: Units): RestingOrder {
    const old = o.sz;
    const lv = o.level;
    o.sz = sz;
    lv.sz = addUnits(subUnits(lv.sz, old), sz);
    lv.szCache = null;
    (o.isBid ? this.bids : this.asks).changed(lv.px, subUnits(sz, old), 0);
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_SIZE, order: o, sz: old, prev: null });
      (o.isBid ? t.changedBids : t.changedAsks).add(lv);
    }
    return o;
  }

  /** Take an order off the book. Throws `HlobError` (`DESYNC`) if the oid does not rest. */
  removeOrder(oid: number): RestingOrder {
    const o = this.orders.get(oid);
    if (o === undefined) throw desync(`remove of oid ${oid}, which does not rest on ${this.coin}`);
    return this.removeResting(o);
  }

  /** Take off an order known to rest here (found with `resting`): no second lookup. */
  removeResting(o: RestingOrder): RestingOrder {
    const prev = o.prev;
    const lv = o.level;
    this.unlink(o);
    const t = this.txn;
    if (t !== null) {
      t.undo.push({ kind: UNDO_REMOVE, order: o, sz: 0, prev });
      (o.isBid ? t.changedBids : t.changedAsks).add(lv);
    }
    return o;
  }

  /** Link `o` into `lv` at the back, or just before `before` (which is in `lv`), and count it. */
  private link(o: RestingOrder, lv: Level, before: RestingOrder | null = null): void {
    if (before === null) {
      const tail = lv.tail;
      o.prev = tail;
      o.next = null;
      if (tail === null) lv.head = o;
      else tail.next = o;
      lv.tail = o;
    } else {
      const prev = before.prev;
      o.prev = prev;
      o.next = before;
      before.prev = o;
      if (prev === null) lv.head = o;
      else prev.next = o;
    }
    lv.sz = addUnits(lv.sz, o.sz);
    lv.n++;
    lv.szCache = null;
    (o.isBid ? this.bids : this.asks).changed(lv.px, o.sz, 1);
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
    const side = o.isBid ? this.bids : this.asks;
    if (lv.n === 0) {
      lv.sz = 0;
      side.drop(lv);
    } else {
      lv.sz = subUnits(lv.sz, o.sz);
    }
    lv.szCache = null;
    side.changed(lv.px, negUnits(o.sz), -1);
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
      changedBids: new Set(),
      changedAsks: new Set(),
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
    return { changedBids: changedPrices(t.changedBids), changedAsks: changedPrices(t.changedAsks), bboChanged };
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
        const dSz = subUnits(u.sz, o.sz);
        lv.sz = addUnits(lv.sz, dSz);
        lv.szCache = null;
        o.sz = u.sz;
        (o.isBid ? this.bids : this.asks).changed(lv.px, dSz, 0);
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
        (o.isBid ? this.bids : this.asks).changed(lv.px, o.sz, 1);
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

  /**
   * Aggregated levels exactly per Hyperliquid (protocol.md). Throws `HlobError`
   * (`BAD_L2_PARAMS`) on bad parameters.
   *
   * Views are cached per parameter set and recomputed only when a change reaches the
   * levels they show (a change deeper in the book leaves them alone). The result is frozen
   * and shared: the same object is returned until the view changes, so `===` against the
   * previous result tells a publisher that nothing changed.
   */
  l2(params?: L2Params): L2Levels {
    const spec = l2Spec(params);
    const key = `${spec.sigFigs}/${spec.mantissa}/${spec.nLevels}`;
    let e = this.views.get(key);
    if (e === undefined) {
      if (this.views.size >= MAX_CACHED_VIEWS) this.dropView(this.views.keys().next().value!);
      e = { bids: new SideView(), asks: new SideView(), result: null };
      this.views.set(key, e);
      this.bids.views.push(e.bids);
      this.asks.views.push(e.asks);
    }
    let result = e.result;
    if (e.bids.levels === null) {
      e.bids.levels = freezeLevels(viewSide(this.bids, spec, e.bids));
      result = null;
    }
    if (e.asks.levels === null) {
      e.asks.levels = freezeLevels(viewSide(this.asks, spec, e.asks));
      result = null;
    }
    if (result === null) e.result = result = Object.freeze([e.bids.levels, e.asks.levels]) as L2Levels;
    return result;
  }

  private dropView(key: string): void {
    const e = this.views.get(key);
    if (e === undefined) return;
    this.views.delete(key);
    this.bids.views.splice(this.bids.views.indexOf(e.bids), 1);
    this.asks.views.splice(this.asks.views.indexOf(e.asks), 1);
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

/** One side of a view: the first `nLevels` levels, or buckets from the side's bucket index. */
function viewSide(side: BookSide, spec: L2Spec, reach: ViewReach): L2Level[] {
  if (spec.sigFigs === 0) return aggregateSide(side.levels, side.isBid, spec, reach);
  const ix = side.bucketIndex(spec.sigFigs, spec.mantissa);
  return aggregateSide(ix.levels, side.isBid, { sigFigs: 0, mantissa: 1, nLevels: spec.nLevels }, reach);
}

function freezeLevels(levels: L2Level[]): L2Level[] {
  for (const l of levels) Object.freeze(l);
  return Object.freeze(levels) as L2Level[];
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

/**
 * When the expected order rests in the same level further back, the books differ only in
 * queue order (what `insertBefore` decides): say so, since L2 sizes and counts then agree.
 */
function queueNote(book: OrderBook, got: RestingOrder, want: NodeOrder): string {
  if (got.oid === want.oid) return '';
  const w = book.resting(want.oid);
  if (w === undefined || w.level !== got.level) return '';
  let behind = 0;
  let o: RestingOrder | null = got;
  for (; o !== null && o !== w; o = o.next) behind++;
  if (o === null) return ` (queue order within level ${got.level.pxStr} differs)`;
  return ` (queue order within level ${got.level.pxStr}: oid ${want.oid} is ${behind} place(s) further back in the book)`;
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
    if (!same) return `${book.coin} ${name} #${i}: expected ${want}, book has ${got}${queueNote(book, o, order)}`;
    i++;
  }
  const r = it.next();
  if (r.done !== true) {
    const o = r.value;
    return `${book.coin} ${name} #${i}: expected no more orders, book has ${describe(o.user, o.oid, o.level.pxStr, formatUnits(o.sz))}`;
  }
  return null;
}
