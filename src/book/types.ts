/**
 * The engine's public shapes. Other folders program against these; `src/book` implements
 * them (pure: no I/O, no clocks).
 */
import type { BookDiffEvent, FillEvent, OrderStatusEvent, Side } from './events.js';
import type { DesyncError } from '../errors.js';

/** One aggregated level as the public API sends it. */
export interface L2Level {
  px: string;
  sz: string;
  n: number;
}

/** `[bids best first, asks best first]`. */
export type L2Levels = [L2Level[], L2Level[]];

/** L2 view parameters, exactly as in an `l2Book` subscription (protocol.md). */
export interface L2Params {
  /** 2..5, or null/undefined for full precision. */
  nSigFigs?: number | null;
  /** 1, 2 or 5, only with nSigFigs 5. */
  mantissa?: number | null;
  /** Levels per side after aggregation; default 20, at most 100. */
  nLevels?: number;
}

/** A trade as the public API sends it on `trades`. */
export interface Trade {
  coin: string;
  /** The taker's side. */
  side: Side;
  px: string;
  sz: string;
  hash: string;
  time: number;
  tid: number;
  /** `[buyer, seller]`. */
  users: [string, string];
}

/** What one block did to one coin. */
export interface CoinChange {
  coin: string;
  /** Prices (as strings in the one form of protocol.md) of bid levels whose size or count changed. */
  changedBids: string[];
  /** Same for asks. */
  changedAsks: string[];
  /** The best bid or ask (px, sz or n) changed. */
  bboChanged: boolean;
  /** The node's status events of this coin in this block, in node order. */
  statuses: OrderStatusEvent[];
  /** The node's raw diffs of this coin in this block, in node order. */
  diffs: BookDiffEvent[];
  /** The statuses of orders that a `new` diff put on the book (for `l4Book` `bookOnly`). */
  bookStatuses: OrderStatusEvent[];
}

/** What one block did to all the books: the Publisher's whole input. In-process only (Maps, `DesyncError`s): what crosses a process is the `Block`. */
export interface BlockChange {
  height: number;
  /** Block time, ms since the epoch. */
  time: number;
  /** Every coin with any status, diff or fill in this block. */
  coins: Map<string, CoinChange>;
  /** Trades per coin, paired from fills by `tid`. */
  trades: Map<string, Trade[]>;
  /** Coins whose diffs could not apply: rolled back, left as before this block. */
  desyncs: DesyncError[];
  /** Fill halves with no partner in this block. */
  unmatchedFills: FillEvent[];
  /**
   * Every status event of the block in node order, all coins (those skipped or rolled back
   * too: a status is a fact about a user's order, not book state). The block's own array,
   * not a copy: user streams (`orderUpdates`) need node order across coins.
   */
  statuses: readonly OrderStatusEvent[];
  /** Every fill event of the block in node order, all coins (user streams: `userFills`). */
  fills: readonly FillEvent[];
}

/** Which coins `Books.applyBlock` touches (used while one coin is being repaired). */
export interface ApplyOptions {
  /** Leave these coins alone (they are waiting for a snapshot). */
  skip?: ReadonlySet<string>;
  /** Apply only to these coins (catching a rebuilt coin up); no global height check. */
  only?: ReadonlySet<string>;
}
