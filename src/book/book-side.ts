/**
 * One side of a book: its price levels (a `PriceLadder`: sorted array best last, plus a map
 * price → level), each a FIFO of resting orders, and what follows every level change: the
 * bucket indexes of coarse L2 views and the cached views that a change reaches.
 */
import { addUnits, negUnits, subUnits, type Units } from './decimal.js';
import { bucketPx } from './l2.js';
import { Aggregate, PriceLadder } from './price-ladder.js';
import { Level, type RestingOrder } from './resting-order.js';
import type { SideView } from './view-cache.js';

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

  /** Link `o` into `lv` (a level of this side) at the back, or just before `before` (which is in `lv`), and count it. */
  link(o: RestingOrder, lv: Level, before: RestingOrder | null): void {
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
    this.counted(lv, o.sz, 1);
  }

  /**
   * Link `o` back right after `prev` (null: at the head) in the level at its price, recreated
   * if it emptied: the undo of `unlink`, valid while changes are undone in reverse order.
   */
  relink(o: RestingOrder, prev: RestingOrder | null): void {
    const lv = this.level(o.level.px);
    o.level = lv;
    const next = prev === null ? lv.head : prev.next;
    o.prev = prev;
    o.next = next;
    if (prev === null) lv.head = o;
    else prev.next = o;
    if (next === null) lv.tail = o;
    else next.prev = o;
    this.counted(lv, o.sz, 1);
  }

  /** Take `o` out of its level; an emptied level leaves the side (`o.level` keeps pointing at it). */
  unlink(o: RestingOrder): void {
    const lv = o.level;
    const { prev, next } = o;
    if (prev === null) lv.head = next;
    else prev.next = next;
    if (next === null) lv.tail = prev;
    else next.prev = prev;
    o.prev = o.next = null;
    lv.n--;
    if (lv.n === 0) {
      lv.sz = 0;
      this.drop(lv);
    } else {
      lv.sz = subUnits(lv.sz, o.sz);
    }
    lv.szCache = null;
    this.changed(lv.px, negUnits(o.sz), -1);
  }

  /** Set `o`'s size, keeping its level's total. */
  resize(o: RestingOrder, sz: Units): void {
    const old = o.sz;
    const lv = o.level;
    o.sz = sz;
    lv.sz = addUnits(subUnits(lv.sz, old), sz);
    lv.szCache = null;
    this.changed(lv.px, subUnits(sz, old), 0);
  }

  private counted(lv: Level, sz: Units, dN: number): void {
    lv.sz = addUnits(lv.sz, sz);
    lv.n += dN;
    lv.szCache = null;
    this.changed(lv.px, sz, dN);
  }
}
