/**
 * The connector's book of one pair (the seed's `OrderBookTrackerEntry`'s book): at L4 the
 * engine of `src/book` (every order, time priority, the user's own orders), at L2 the
 * latest aggregated levels. Both answer `bbo()` and `l2()` as the SDK's `L4BookTracker`
 * does; only L4 answers `l4()`, `ordersOf(user)` and queue positions.
 */
import {
  Books,
  formatUnits,
  type BlockChange,
  type L2Level,
  type L2Levels,
  type L2Params,
  type L4Order,
  type L4SnapshotFile,
  type NodeOrder,
  type OrderBook as EngineBook,
} from '../book/index.js';
import { L4BookView } from '../client/modules/l4-book-view.js';
import type { BookReads } from '../client/modules/l4-book-tracker.js';
import { formatAmount, formatScaled, toAmount } from './amount.js';
import type { BookDepth, DiffMessage, L2SnapshotMessage, L4SnapshotMessage } from './order-book-message.js';

/** Where an order stands in its level: what executes before it. */
export interface QueuePosition {
  oid: number;
  px: string;
  side: 'B' | 'A';
  /** Orders ahead of it at its price. */
  ordersAhead: number;
  /** Their total size. */
  sizeAhead: string;
  /** The whole level (it included). */
  levelOrders: number;
  levelSize: string;
  /** Levels better than its own on its side (0: it is at the best price). */
  levelsAhead: number;
}

/** A pair's book; at L2 (the public API) `height` is 0 and the L4 reads are empty. */
export interface PairBook extends BookReads {
  readonly pair: string;
  readonly depth: BookDepth;
  /** Where `oid` stands in its level (L4 only: an L2 book does not know the orders). */
  queuePosition(oid: number): QueuePosition | undefined;
}

export class L4PairBook extends L4BookView implements PairBook {
  readonly depth = 'l4' as const;
  height: number;
  time: number;
  private readonly books: Books;

  constructor(snapshot: L4SnapshotMessage) {
    super();
    const pair = snapshot.pair;
    const toPair = (o: L4Order): [string, NodeOrder] => {
      const { user, ...order } = o;
      return [user, order];
    };
    const [bids, asks] = snapshot.levels;
    const file: L4SnapshotFile = [snapshot.height, [[pair, [bids.map(toPair), asks.map(toPair)]]]];
    this.books = Books.fromSnapshot(file);
    this.height = snapshot.height;
    this.time = snapshot.time;
    for (const side of snapshot.levels) for (const o of side) this.indexUser(o.user, o.oid, true);
    this.pair = pair;
  }

  readonly pair: string;

  protected get book(): EngineBook | undefined {
    return this.books.book(this.pair);
  }

  /** Applies one diff message; returns the engine's change (its `desyncs` say whether it applied). */
  apply(m: DiffMessage): BlockChange {
    const change = this.books.applyBlock({ height: m.height, time: m.time, statuses: m.statuses, diffs: m.diffs, fills: [] }, { only: new Set([this.pair]) });
    if (change.desyncs.some((d) => d.coin === this.pair)) return change;
    for (const d of m.diffs) {
      if (d.coin !== this.pair) continue;
      if (d.raw_book_diff === 'remove') this.indexUser(d.user, d.oid, false);
      else if ('new' in d.raw_book_diff) this.indexUser(d.user, d.oid, true);
    }
    this.height = m.height;
    this.time = m.time;
    return change;
  }

  /** The first difference from a snapshot of the same height, or null when equal. */
  compare(snapshot: L4SnapshotMessage): string | null {
    const toPair = (o: L4Order): [string, NodeOrder] => {
      const { user, ...order } = o;
      return [user, order];
    };
    const book = this.book;
    const [bids, asks] = snapshot.levels;
    if (!book) return bids.length + asks.length === 0 ? null : 'the local book is empty';
    return book.compareL4(bids.map(toPair), asks.map(toPair));
  }

  queuePosition(oid: number): QueuePosition | undefined {
    const book = this.book;
    const o = book?.resting(oid);
    if (!book || !o) return undefined;
    let ordersAhead = 0;
    let sizeAhead = 0n;
    for (let p = o.prev; p !== null; p = p.prev) {
      ordersAhead++;
      sizeAhead += BigInt(p.sz);
    }
    // Levels are sorted best last: those after this one's index are better.
    const levels = book.levels(o.isBid ? 'B' : 'A');
    let levelsAhead = 0;
    for (let i = levels.length - 1; i >= 0 && levels[i] !== o.level; i--) levelsAhead++;
    return {
      oid,
      px: o.level.pxStr,
      side: o.isBid ? 'B' : 'A',
      ordersAhead,
      sizeAhead: formatAmount(sizeAhead),
      levelOrders: o.level.n,
      levelSize: formatUnits(o.level.sz),
      levelsAhead,
    };
  }
}

export class L2PairBook implements PairBook {
  readonly depth = 'l2' as const;
  readonly height = 0;
  time: number;
  private levels: L2Levels;

  constructor(
    readonly pair: string,
    snapshot: L2SnapshotMessage,
  ) {
    this.levels = snapshot.levels;
    this.time = snapshot.time;
  }

  replace(snapshot: L2SnapshotMessage): void {
    this.levels = snapshot.levels;
    this.time = snapshot.time;
  }

  bbo(): [L2Level | null, L2Level | null] {
    return [this.levels[0][0] ?? null, this.levels[1][0] ?? null];
  }
  bestBid(): L2Level | null {
    return this.bbo()[0];
  }
  bestAsk(): L2Level | null {
    return this.bbo()[1];
  }
  mid(): string | null {
    const [b, a] = this.bbo();
    if (!b || !a) return null;
    // (bid + ask) / 2 exactly: in units of 1e-9 it is (bid + ask) × 5.
    const half = (toAmount(b.px, 'price') + toAmount(a.px, 'price')) * 5n;
    return formatScaled(half, 9);
  }
  /** The levels as received; `nLevels` truncates (other parameters need the L4 book or a new subscription). */
  l2(params?: L2Params): L2Levels {
    const n = params?.nLevels;
    return n === undefined ? this.levels : [this.levels[0].slice(0, n), this.levels[1].slice(0, n)];
  }
  l4(): [L4Order[], L4Order[]] {
    return [[], []];
  }
  order(): L4Order | undefined {
    return undefined;
  }
  ordersOf(): L4Order[] {
    return [];
  }
  queuePosition(): QueuePosition | undefined {
    return undefined;
  }
}
