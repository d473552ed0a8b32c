/**
 * The open block's diffs over the books at the last closed block (`--book-updates
 * intra-block`): per coin, what the diffs read so far do to each price level, so that
 * `l2Book` and `bbo` can show the book as it stands inside the block without applying
 * anything to the live books (which stay at block boundaries for every other channel,
 * repairs and validation).
 *
 * Per level: `+sz, +1` for a `new`; `newSz − current` for an `update`; `−current, −1` for a
 * `remove`, where `current` is the order's size as this block left it when the block added or
 * resized it, else its size in the book. All exact (`src/book/decimal.ts`), never floats. A
 * diff the book would reject (an unknown order, a second `new` of a resting oid, a side or
 * price that does not match) marks the coin `broken` for the rest of the block: its partial
 * frames stop, and the block's own apply decides (a desync is repaired as always).
 *
 * Pure: books and diffs in, levels out; no clock, no I/O.
 */
import { addUnits, formatUnits, negUnits, parsePrice, parseUnits, subUnits, type Units } from '../book/decimal.js';
import type { BookDiffEvent } from '../book/events.js';
import type { AggregatableLevel } from '../book/l2.js';
import type { BooksView, OrderBookView } from '../state/feed.js';

/** What the block did so far to one order it touched. */
interface TouchedOrder {
  isBid: boolean;
  px: number;
  /** Size as the block left it; null once removed. */
  sz: Units | null;
}

/** What the block did so far to one price level. */
interface LevelDelta {
  px: number;
  dsz: Units;
  dn: number;
}

/** A level as it stands inside the block (what `aggregateSide` reads). */
class OverlayLevel implements AggregatableLevel {
  private str: string | null = null;
  constructor(
    readonly px: number,
    readonly pxStr: string,
    readonly sz: Units,
    readonly n: number,
  ) {}

  szString(): string {
    return (this.str ??= formatUnits(this.sz));
  }
}

/** One side's levels sorted best LAST, as `OrderBook.levels` gives them. */
export type OverlaySides = { bids: readonly AggregatableLevel[]; asks: readonly AggregatableLevel[] };

/** One coin's changes in the open block. */
export class CoinOverlay {
  readonly orders = new Map<number, TouchedOrder>();
  readonly bids = new Map<number, LevelDelta>();
  readonly asks = new Map<number, LevelDelta>();
  /** A diff could not be placed: nothing is shown for this coin until the block closes. */
  broken: string | null = null;

  constructor(readonly coin: string) {}

  /** Account one diff against `book` (the coin's book at the last closed block, if any). */
  add(d: BookDiffEvent, book: OrderBookView | undefined): void {
    if (this.broken !== null) return;
    try {
      this.apply(d, book);
    } catch (err) {
      this.broken = err instanceof Error ? err.message : String(err);
    }
  }

  private apply(d: BookDiffEvent, book: OrderBookView | undefined): void {
    const rbd = d.raw_book_diff;
    const isBid = d.side === 'B';
    if (d.side !== 'B' && d.side !== 'A') throw new Error(`side ${JSON.stringify(d.side)}`);
    const px = parsePrice(d.px);
    if (rbd === 'remove') {
      const cur = this.current(d.oid, isBid, px, book, 'remove');
      this.orders.set(d.oid, { isBid, px, sz: null });
      this.level(isBid, px, negUnits(cur), -1);
      return;
    }
    if (typeof rbd !== 'object' || rbd === null) throw new Error(`unknown raw_book_diff ${JSON.stringify(rbd)}`);
    if ('update' in rbd) {
      const cur = this.current(d.oid, isBid, px, book, 'update');
      const sz = parseUnits(rbd.update.newSz);
      this.orders.set(d.oid, { isBid, px, sz });
      this.level(isBid, px, subUnits(sz, cur), 0);
      return;
    }
    if (!('new' in rbd)) throw new Error(`unknown raw_book_diff ${JSON.stringify(rbd)}`);
    const touched = this.orders.get(d.oid);
    if (touched !== undefined ? touched.sz !== null : book?.has(d.oid) === true) throw new Error(`new of oid ${d.oid}, which already rests`);
    const sz = parseUnits(rbd.new.sz);
    this.orders.set(d.oid, { isBid, px, sz });
    this.level(isBid, px, sz, 1);
  }

  /** The order's size now: as this block left it, else as it rests in the book; checked against the diff's side and price. */
  private current(oid: number, isBid: boolean, px: number, book: OrderBookView | undefined, what: string): Units {
    const t = this.orders.get(oid);
    if (t !== undefined) {
      if (t.sz === null) throw new Error(`${what} of oid ${oid}, removed earlier in the block`);
      if (t.isBid !== isBid || t.px !== px) throw new Error(`${what} of oid ${oid} at another side or price than it rests`);
      return t.sz;
    }
    const o = book?.resting(oid);
    if (o === undefined) throw new Error(`${what} of oid ${oid}, which does not rest`);
    if (o.isBid !== isBid || o.level.px !== px) throw new Error(`${what} of oid ${oid} at another side or price than it rests`);
    return o.sz;
  }

  private level(isBid: boolean, px: number, dsz: Units, dn: number): void {
    const side = isBid ? this.bids : this.asks;
    const lv = side.get(px);
    if (lv === undefined) side.set(px, { px, dsz, dn });
    else {
      lv.dsz = addUnits(lv.dsz, dsz);
      lv.dn += dn;
    }
  }

  /** Both sides as they stand inside the block (the book's own arrays where the block changed nothing). */
  sides(book: OrderBookView | undefined): OverlaySides {
    return {
      bids: mergeSide(book?.levels('B') ?? [], true, this.bids),
      asks: mergeSide(book?.levels('A') ?? [], false, this.asks),
    };
  }
}

/** The open block's diffs so far, every coin. */
export class BlockOverlay {
  /** Height and block time of the open block; null when none is shown. */
  height: number | null = null;
  time = 0;
  /** Diffs accounted so far (the next `from` expected). */
  private count = 0;
  private readonly coins = new Map<string, CoinOverlay>();

  /** Forget the open block (it closed, or the books moved). */
  clear(): void {
    this.height = null;
    this.count = 0;
    this.coins.clear();
  }

  coin(coin: string): CoinOverlay | undefined {
    return this.coins.get(coin);
  }

  /**
   * Account diffs `from`.. of block `height` over `books` (at `height - 1`); returns the coins
   * they touched, or null when they do not continue what is held (a block started elsewhere
   * than its first diff: nothing is shown for it).
   */
  add(height: number, time: number, from: number, diffs: readonly BookDiffEvent[], books: BooksView): Set<string> | null {
    if (this.height !== height) {
      this.clear();
      if (from !== 0) return null;
      this.height = height;
      this.time = time;
    } else if (from !== this.count) {
      // A hole in what was handed over: nothing this block shows can be trusted.
      this.clear();
      return null;
    }
    this.count = from + diffs.length;
    const touched = new Set<string>();
    for (const d of diffs) {
      const coin = d.coin;
      let co = this.coins.get(coin);
      if (co === undefined) this.coins.set(coin, (co = new CoinOverlay(coin)));
      co.add(d, books.book(coin));
      touched.add(coin);
    }
    return touched;
  }
}

const key = (isBid: boolean, px: number): number => (isBid ? px : -px);

/** The first index of `levels` (sorted by key ascending) whose key is >= `k`. */
function lowerBound(levels: readonly AggregatableLevel[], isBid: boolean, k: number): number {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(isBid, levels[mid]!.px) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `levels` (sorted best last) with `deltas` applied: a level whose count reaches 0 leaves
 * (as the book drops an emptied level). Everything worse than the worst changed price is the
 * book's own entries, copied by reference.
 */
export function mergeSide(levels: readonly AggregatableLevel[], isBid: boolean, deltas: ReadonlyMap<number, LevelDelta>): readonly AggregatableLevel[] {
  if (deltas.size === 0) return levels;
  const changes = [...deltas.values()].filter((d) => d.dn !== 0 || d.dsz !== 0).sort((a, b) => key(isBid, a.px) - key(isBid, b.px));
  if (changes.length === 0) return levels;
  const cut = lowerBound(levels, isBid, key(isBid, changes[0]!.px));
  const out = levels.slice(0, cut);
  let i = cut;
  for (const c of changes) {
    const k = key(isBid, c.px);
    while (i < levels.length && key(isBid, levels[i]!.px) < k) out.push(levels[i++]!);
    const base = i < levels.length && levels[i]!.px === c.px ? levels[i++]! : undefined;
    const n = (base?.n ?? 0) + c.dn;
    if (n === 0) continue;
    out.push(new OverlayLevel(c.px, base?.pxStr ?? formatUnits(c.px), addUnits(base?.sz ?? 0, c.dsz), n));
  }
  while (i < levels.length) out.push(levels[i++]!);
  return out;
}
