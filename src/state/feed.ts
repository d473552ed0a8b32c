/**
 * The contract between ingestion (`src/state`, `src/node`) and serving (`src/server`):
 * the server reads books and listens to block changes; it never touches files.
 */
import type { Books } from '../book/books.js';
import type { BlockChange } from '../book/types.js';

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
  /** After a block was applied to the books. */
  block: [change: BlockChange];
  /** On every state change. */
  state: [status: FeedStatus];
  /**
   * These coins' books were rebuilt from a snapshot (repair or full resync): `all` after a
   * resync. `l4Book` subscribers of them need a fresh Snapshot before further Updates.
   */
  reset: [coins: string[] | 'all', height: number];
}

/** The input side as the server sees it. */
export interface BookFeed {
  /** The live books (read only for consumers). */
  readonly books: Books;
  status(): FeedStatus;
  on<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this;
  off<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this;
  start(): Promise<void>;
  stop(): Promise<void>;
}
