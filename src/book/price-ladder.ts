/**
 * A side's price-sorted aggregates (levels of a book, or buckets of an L2 view): an array
 * sorted best last plus a map price → entry. Finding an existing price is O(1); a new or
 * emptied price is placed by binary search (O(log n)) and inserted/removed with a move of
 * only the entries better than it, which near the top of the book (where nearly all
 * activity is) is a handful.
 */
import { formatUnits, type Units } from './decimal.js';
import type { AggregatableLevel } from './l2.js';
import type { L2Level } from './types.js';

/** Total size and order count at one price. */
export class Aggregate implements AggregatableLevel {
  sz: Units = 0;
  n = 0;
  /** Formatted `sz`, computed on demand and dropped on every change. */
  szCache: string | null = null;
  private pxCache: string | null = null;
  constructor(
    /** Price in units of 1e-8. */
    readonly px: number,
    /** Sort key: `px` for bids, `-px` for asks, so that the best entry has the largest key. */
    readonly key: number,
  ) {}

  /** Price in the one number form (formatted on first use: a snapshot load creates tens of thousands of levels). */
  get pxStr(): string {
    return (this.pxCache ??= formatUnits(this.px));
  }

  szString(): string {
    return (this.szCache ??= formatUnits(this.sz));
  }

  toL2(): L2Level {
    return { px: this.pxStr, sz: this.szString(), n: this.n };
  }
}

export abstract class PriceLadder<T extends Aggregate> {
  /** Sorted by `key` ascending: the best entry is the last. */
  readonly levels: T[] = [];
  readonly byPx = new Map<number, T>();
  /** False while a bulk load appends out of order (see `getUnsorted`). */
  private sorted = true;
  constructor(readonly isBid: boolean) {}

  protected abstract create(px: number, key: number): T;

  best(): T | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Index of the first entry whose key is >= `key`. */
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

  /** The entry at `px`, created in its sorted place if missing. */
  level(px: number): T {
    return this.byPx.get(px) ?? this.add(px, true);
  }

  /** Like `level`, but appends a new entry unsorted (bulk load; call `sort` after). */
  levelUnsorted(px: number): T {
    return this.byPx.get(px) ?? this.add(px, false);
  }

  /** A new entry at `px`, indexed; in its sorted place, or appended (marking the ladder unsorted if it lands out of order). */
  private add(px: number, keepSorted: boolean): T {
    const lv = this.create(px, this.isBid ? px : -px);
    this.byPx.set(px, lv);
    const a = this.levels;
    const last = a[a.length - 1];
    if (last === undefined || last.key < lv.key) a.push(lv);
    else if (keepSorted && this.sorted) a.splice(this.lowerBound(lv.key), 0, lv);
    else {
      this.sorted = false;
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

  drop(lv: T): void {
    this.byPx.delete(lv.px);
    const a = this.levels;
    if (a[a.length - 1] === lv) a.pop();
    else a.splice(this.lowerBound(lv.key), 1);
  }
}
