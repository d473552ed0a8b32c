/**
 * Every coin's L4 book and block application (node-data.md, "Raw book diff events").
 *
 * Applying a block is cheap on purpose: statuses are ~95 % rejections, so a status is only
 * filed under its coin and, when it could open a resting order (`open`, `triggered`),
 * indexed by oid for the `new` diff that needs it. Each coin's diffs run inside a change
 * record of its book, so a coin whose diffs cannot apply is rolled back alone.
 */
import { DesyncError, ErrorCodes, HlobError } from '../errors.js';
import { formatUnits, parsePrice, parseUnits } from './decimal.js';
import { nodeTimeMs } from './node-time.js';
import type { Block, BookDiffEvent, L4SnapshotFile, NodeOrder, OrderStatusEvent } from './events.js';
import { OrderBook } from './order-book.js';
import type { RestingOrderView } from './resting-order.js';
import { statusCoin } from './raw-status.js';
import { pairFills } from './trades.js';
import type { ApplyOptions, BlockChange, CoinChange } from './types.js';

/** `"2026-05-05T17:39:13.024084407"` (UTC, no zone) → ms since the epoch, or NaN. */
export { nodeTimeMs };

/** The order a triggered status rests as (protocol.md, "L4 orders"). */
function triggeredOrder(st: OrderStatusEvent, blockTime: number): NodeOrder {
  const ts = nodeTimeMs(st.time);
  return { ...st.order, isTrigger: false, triggerCondition: 'Triggered', triggerPx: '0.0', tif: 'Gtc', timestamp: Number.isNaN(ts) ? blockTime : ts };
}

/** The order a `new` diff with no status rests as (special spot addresses). */
function statuslessOrder(d: BookDiffEvent, pxStr: string, szStr: string, blockTime: number): NodeOrder {
  return {
    coin: d.coin,
    side: d.side,
    limitPx: pxStr,
    sz: szStr,
    oid: d.oid,
    timestamp: blockTime,
    triggerCondition: 'N/A',
    isTrigger: false,
    triggerPx: '0.0',
    children: [],
    isPositionTpsl: false,
    reduceOnly: false,
    orderType: 'Limit',
    origSz: szStr,
    tif: 'Alo',
    cloid: null,
  };
}

class DiffRejected extends Error {}

function reject(reason: string): never {
  throw new DiffRejected(reason);
}

function newCoinChange(coin: string): CoinChange {
  return { coin, changedBids: [], changedAsks: [], bboChanged: false, statuses: [], diffs: [], bookStatuses: [] };
}

/** The resting order a diff names, checked against the diff's side and price. */
function restingFor(book: OrderBook, d: BookDiffEvent, what: string): RestingOrderView {
  const o = book.resting(d.oid);
  if (o === undefined) reject(`${what} of an order that does not rest`);
  if (o.isBid !== (d.side === 'B')) reject(`${what} on side ${d.side} of an order resting on the other side`);
  if (d.px !== o.level.pxStr && parsePrice(d.px) !== o.level.px) reject(`${what} at ${d.px} of an order resting at ${o.level.pxStr}`);
  return o;
}

/**
 * The resting order a `new` diff's `insertBefore` names (null when absent or null: the back
 * of the level). It must rest on the diff's side at the diff's price; anything else means the
 * book no longer matches the node's (node-data.md), so the diff is rejected like any other
 * that cannot apply.
 */
function insertBeforeOf(book: OrderBook, d: BookDiffEvent, ib: unknown, px: number): RestingOrderView | null {
  if (ib === undefined || ib === null) return null;
  if (typeof ib !== 'number' || !Number.isSafeInteger(ib)) reject(`new with insertBefore ${JSON.stringify(ib)}, not an oid`);
  const o = book.resting(ib);
  if (o === undefined) reject(`new before oid ${ib}, which does not rest`);
  if (o.isBid !== (d.side === 'B')) reject(`new on side ${d.side} before oid ${ib}, which rests on the other side`);
  if (o.level.px !== px) reject(`new at ${d.px} before oid ${ib}, which rests at ${o.level.pxStr}`);
  return o;
}

/** The change record of a coin in this block, created on first use; undefined for a coin the block leaves alone. */
type CoinChanges = (coin: string) => CoinChange | undefined;

/**
 * File the block's statuses under their coins. Only those that can open a resting order
 * (`open`, `triggered`) are indexed by oid, for the `new` diff that needs one: the last
 * wins, so a trigger placed and triggered in one block rests as triggered.
 *
 * The node writes a coin's statuses in runs (a whole block of one coin is one run): a run
 * is copied into its coin's list with one `slice` rather than pushed one by one (~1,000
 * statuses a block).
 */
function fileStatuses(statuses: readonly OrderStatusEvent[], coinChange: CoinChanges): Map<number, OrderStatusEvent> {
  const opened = new Map<number, OrderStatusEvent>();
  const n = statuses.length;
  let runStart = 0;
  let runCoin: string | null = null;
  let runCc: CoinChange | undefined;
  for (let i = 0; i < n; i++) {
    const st = statuses[i]!;
    const coin = statusCoin(st);
    if (coin !== runCoin) {
      if (runCc !== undefined) fileRun(statuses, runStart, i, runCc);
      runCoin = coin;
      runCc = coinChange(coin);
      runStart = i;
    }
    if (runCc === undefined) continue;
    const s = st.status;
    if (s === 'open' || s === 'triggered') opened.set(st.order.oid, st);
  }
  if (runCc !== undefined) fileRun(statuses, runStart, n, runCc);
  return opened;
}

/** Append `statuses[from..to)` (one run of the coin) to the coin's list. */
function fileRun(statuses: readonly OrderStatusEvent[], from: number, to: number, cc: CoinChange): void {
  const list = cc.statuses;
  if (list.length === 0) cc.statuses = statuses.slice(from, to);
  else for (let i = from; i < to; i++) list.push(statuses[i]!);
}

export class Books {
  /** Last block applied (or the snapshot's height). */
  height: number;
  private readonly books = new Map<string, OrderBook>();

  constructor(height = 0) {
    this.height = height;
  }

  /**
   * Build every coin's book from the node's snapshot file (parsed). Untriggered trigger
   * orders are skipped. Throws `HlobError` (`BAD_SNAPSHOT`) naming what is wrong.
   */
  static fromSnapshot(snapshot: L4SnapshotFile): Books {
    if (!Array.isArray(snapshot) || typeof snapshot[0] !== 'number' || !Array.isArray(snapshot[1])) {
      throw new HlobError(ErrorCodes.BAD_SNAPSHOT, 'L4 snapshot is not [height, [[coin, [bids, asks]]…]]');
    }
    const books = new Books(snapshot[0]);
    for (const entry of snapshot[1]) {
      const [coin, sides] = checkCoinEntry(entry);
      books.books.set(coin, OrderBook.fromL4(coin, sides[0], sides[1]));
    }
    return books;
  }

  coins(): IterableIterator<string> {
    return this.books.keys();
  }

  book(coin: string): OrderBook | undefined {
    return this.books.get(coin);
  }

  /** Replace one coin's book (repair). */
  setBook(coin: string, book: OrderBook): void {
    this.books.set(coin, book);
  }

  /** Forget one coin's book. */
  deleteBook(coin: string): boolean {
    return this.books.delete(coin);
  }

  /** Number of coins with a book. */
  get size(): number {
    return this.books.size;
  }

  /**
   * Apply one joined block. Per coin atomic: a coin whose diffs cannot apply is rolled back
   * and reported in `desyncs`; the other coins are applied. Advances `height` unless `only`.
   *
   * Without `only`, `block.height` must be `height + 1` (else `HlobError` `HEIGHT_GAP`, and
   * nothing changes). `skip`: those coins' books, statuses and diffs are left alone (they
   * are not in `coins`), but their trades are still paired (a trade is a fact, not book
   * state). `only`: everything else of the block, trades included, is ignored. A rolled
   * back coin stays in `coins` with its raw statuses and diffs but no changed levels and no
   * `bookStatuses`.
   */
  applyBlock(block: Block, opts: ApplyOptions = {}): BlockChange {
    const { only, skip } = opts;
    const height = block.height;
    if (only === undefined && height !== this.height + 1) {
      throw new HlobError(ErrorCodes.HEIGHT_GAP, `block ${height} does not follow height ${this.height} (expected ${this.height + 1})`);
    }
    const included = only !== undefined ? (c: string) => only.has(c) : skip !== undefined && skip.size > 0 ? (c: string) => !skip.has(c) : null;
    const coins = new Map<string, CoinChange>();
    const coinChange: CoinChanges = (coin) => {
      let cc = coins.get(coin);
      if (cc === undefined && (included === null || included(coin))) coins.set(coin, (cc = newCoinChange(coin)));
      return cc;
    };
    const opened = fileStatuses(block.statuses, coinChange);
    // Fills before diffs: pairing cannot fail half way through a book change.
    const paired = pairFills(block.fills, only !== undefined ? (c) => only.has(c) : undefined);
    for (const [, fill] of block.fills) {
      if (included === null || included(fill.coin)) coinChange(fill.coin);
    }
    const { begun, desyncs } = this.applyDiffs(block, coinChange, opened);
    for (const b of begun) {
      if (!b.changing) continue; // rolled back
      const ch = b.commitChanges();
      const cc = coins.get(b.coin)!;
      cc.changedBids = ch.changedBids;
      cc.changedAsks = ch.changedAsks;
      cc.bboChanged = ch.bboChanged;
    }
    if (only === undefined) this.height = height;
    return { height, time: block.time, coins, trades: paired.trades, desyncs, unmatchedFills: paired.unmatched, statuses: block.statuses, fills: block.fills };
  }

  /**
   * Apply the block's diffs, each coin's inside a change record of its book (a coin is
   * created on its first diff); a coin whose diff cannot apply is rolled back and skipped
   * for the rest of the block. Returns the books whose changes began (to commit) and one
   * desync per coin that failed.
   */
  private applyDiffs(block: Block, coinChange: CoinChanges, opened: Map<number, OrderStatusEvent>): { begun: OrderBook[]; desyncs: DesyncError[] } {
    const desyncs: DesyncError[] = [];
    const begun: OrderBook[] = [];
    // Made on first use: nearly every block creates no book and has no failure.
    let created: Set<string> | null = null;
    let failed: Set<string> | null = null;
    let dCoin: string | null = null;
    let dCc: CoinChange | undefined;
    let book: OrderBook | null = null;
    for (const d of block.diffs) {
      const coin = d.coin;
      if (coin !== dCoin) {
        dCoin = coin;
        dCc = coinChange(coin);
        book = null;
        if (dCc !== undefined && (failed === null || !failed.has(coin))) {
          book = this.books.get(coin) ?? null;
          if (book === null) {
            this.books.set(coin, (book = new OrderBook(coin)));
            (created ??= new Set()).add(coin);
          }
          if (!book.changing) {
            book.beginChanges();
            begun.push(book);
          }
        }
      }
      if (dCc === undefined) continue;
      dCc.diffs.push(d);
      if (book === null) continue;
      try {
        this.applyDiff(book, d, dCc, opened, block.time);
      } catch (err) {
        book.rollbackChanges();
        (failed ??= new Set()).add(coin);
        dCc.bookStatuses.length = 0;
        const reason = err instanceof Error ? err.message : String(err);
        desyncs.push(new DesyncError(coin, d.oid, block.height, reason));
        if (created !== null && created.has(coin) && book.size === 0) this.books.delete(coin);
        book = null;
      }
    }
    return { begun, desyncs };
  }

  private applyDiff(book: OrderBook, d: BookDiffEvent, cc: CoinChange, opened: Map<number, OrderStatusEvent>, blockTime: number): void {
    const rbd = d.raw_book_diff;
    if (rbd === 'remove') {
      book.removeResting(restingFor(book, d, 'remove'));
      return;
    }
    if (typeof rbd !== 'object' || rbd === null) reject(`unknown raw_book_diff ${JSON.stringify(rbd)}`);
    if ('update' in rbd) {
      book.setRestingSize(restingFor(book, d, 'update'), parseUnits(rbd.update.newSz));
      return;
    }
    if (!('new' in rbd)) reject(`unknown raw_book_diff ${JSON.stringify(rbd)}`);
    if (d.side !== 'B' && d.side !== 'A') reject(`new on side ${JSON.stringify(d.side)}`);
    if (book.has(d.oid)) reject('new of an order that already rests');
    const px = parsePrice(d.px);
    const sz = parseUnits(rbd.new.sz);
    const before = insertBeforeOf(book, d, rbd.new.insertBefore, px);
    const st = opened.get(d.oid);
    let template: NodeOrder;
    if (st === undefined) template = statuslessOrder(d, formatUnits(px), formatUnits(sz), blockTime);
    else if (st.status === 'triggered') template = triggeredOrder(st, blockTime);
    else template = st.order;
    if (template.oid !== d.oid) template = { ...template, oid: d.oid };
    book.rest(d.user, template, px, sz, d.side === 'B', before);
    if (st !== undefined) cc.bookStatuses.push(st);
  }

  /**
   * The first difference between these books and a node snapshot, or null when every coin
   * holds the same orders in the same places and order (see `OrderBook.compareL4`). Heights
   * are compared too. Coins absent on one side count as empty books.
   */
  compare(snapshot: L4SnapshotFile): string | null {
    if (snapshot[0] !== this.height) return `height: snapshot ${snapshot[0]}, books ${this.height}`;
    const seen = new Set<string>();
    for (const entry of snapshot[1]) {
      const [coin, sides] = checkCoinEntry(entry);
      seen.add(coin);
      const book = this.books.get(coin) ?? new OrderBook(coin);
      const diff = book.compareL4(sides[0], sides[1]);
      if (diff !== null) return diff;
    }
    for (const [coin, book] of this.books) {
      if (!seen.has(coin) && book.size > 0) return book.compareL4([], []);
    }
    return null;
  }

  /** These books in the node's snapshot shape (orders without `user`, which is beside them). */
  toSnapshot(): L4SnapshotFile {
    const coins: L4SnapshotFile[1] = [];
    for (const [coin, book] of this.books) {
      const side = (s: 'B' | 'A'): [string, NodeOrder][] => {
        const out: [string, NodeOrder][] = [];
        for (const o of book.restingOrders(s)) {
          const order: NodeOrder & { user?: string } = { ...o.template, limitPx: o.level.pxStr, sz: formatUnits(o.sz) };
          delete order.user;
          out.push([o.user, order]);
        }
        return out;
      };
      coins.push([coin, [side('B'), side('A')]]);
    }
    return [this.height, coins];
  }
}

function checkCoinEntry(entry: unknown): [string, [[string, NodeOrder][], [string, NodeOrder][]]] {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1]) || !Array.isArray(entry[1][0]) || !Array.isArray(entry[1][1])) {
    const name = Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : JSON.stringify(entry)?.slice(0, 80);
    throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `L4 snapshot entry ${name} is not [coin, [bids, asks]]`);
  }
  return entry as [string, [[string, NodeOrder][], [string, NodeOrder][]]];
}
