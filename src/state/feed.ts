/**
 * The contract between ingestion (`src/state`, `src/node`) and serving (`src/server`):
 * the server reads books and listens to block changes; it never touches files.
 */
import type { Books } from '../book/books.js';
import type { OrderBook } from '../book/order-book.js';
import type { BlockChange } from '../book/types.js';
import type { PartialBlock } from '../node/block-source.js';

/**
 * One coin's live book as the server sees it: the reads only. The live object is the feed's
 * own `OrderBook`; this type leaves out everything that changes it (and its internals). The
 * resting orders it lists are still the book's own records (`RestingOrder`, whose fields the
 * book updates): a read-only record type for them belongs to `src/book`.
 */
export type OrderBookView = Pick<OrderBook, 'coin' | 'size' | 'has' | 'get' | 'resting' | 'restingOrders' | 'l2' | 'bbo' | 'mid' | 'l4' | 'levels'>;

/** The live books as the server sees them: read only (the feed alone applies blocks and swaps books). */
export interface BooksView {
  /** The height of the last block applied. */
  readonly height: number;
  /** Number of coins. */
  readonly size: number;
  coins(): IterableIterator<string>;
  book(coin: string): OrderBookView | undefined;
  /** Every coin's book as an L4 snapshot (a copy; the NATS core stores it). */
  toSnapshot(): ReturnType<Books['toSnapshot']>;
}

// The live `Books` must stay assignable to the view (a compile-time check, no cast).
type Satisfies<T extends BooksView> = T;
export type LiveBooksAreViewable = Satisfies<Books>;

export type FeedState = 'starting' | 'ready' | 'degraded' | 'resyncing' | 'stale';

/** What `/health` reports about the input side (the server adds clients and subscriptions). */
export interface FeedStatus {
  state: FeedState;
  /** Last applied height, null before the first snapshot. */
  height: number | null;
  /** Block time (ms) of the last applied block. */
  time: number | null;
  /** Now minus block time of the last applied block, ms. */
  lagMs: number | null;
  eventsPerSecond: number;
  source: 'node' | 'simulated' | 'nats';
  /** Coins being repaired while `degraded`. */
  repairing: string[];
  /** The node's output layout being read (`by-block` or `streaming`), once known. */
  layout?: 'by-block' | 'streaming';
  /** Why the state is not `ready`, when known (a gap, a stream behind, missing directories…). */
  error?: string;
  /** Scale-out (src/nats, docs/scaleout.md): the block log's side, publishing or reading it. */
  nats?: NatsReport;
}

/** What a core publishing the block log, or an edge reading it, reports on `/health`. */
export interface NatsReport {
  role: 'publish' | 'edge';
  connected: boolean;
  [detail: string]: unknown;
}

export interface FeedEventMap {
  /** After a block was applied to the books (in-process: the change holds Maps and errors, see `BlockChange`). */
  block: [change: BlockChange];
  /**
   * Optional (a streaming source): diffs of the block after the books' height, known before
   * that block is complete, NOT applied to the books (`PartialBlock`). Only while the feed is
   * `ready` or `degraded` (coins being repaired excepted by the listener: see `repair`).
   */
  partial: [partial: PartialBlock];
  /** On every state change. */
  state: [status: FeedStatus];
  /**
   * These coins' books were rebuilt from a snapshot (repair or full resync): `all` after a
   * resync. `l4Book` subscribers of them need a fresh Snapshot before further Updates.
   */
  reset: [coins: string[] | 'all', height: number];
  /**
   * `coin` started (`true`) or ended (`false`) being repaired from a snapshot: while it is,
   * its book stands still (state `degraded`, `FeedStatus.repairing`). An ended repair is
   * followed by `reset([coin])` when it succeeded; a full resync ends them all (then `reset('all')`).
   */
  repair: [coin: string, repairing: boolean];
}

/** The input side as the server sees it. */
export interface BookFeed {
  /** The live books, read only. */
  readonly books: BooksView;
  status(): FeedStatus;
  on<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this;
  off<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this;
  start(): Promise<void>;
  stop(): Promise<void>;
}
