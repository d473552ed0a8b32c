/**
 * `OrderBookMessage`: what an `OrderBookTrackerDataSource` hands the `OrderBookTracker`,
 * parsed from the wire once. A `snapshot` builds or replaces a book; a `diff` is one block's
 * events of the pair on top of it (L4 only: heights strictly increase, but blocks without
 * events of the pair send none, so heights of one pair are not consecutive); a `trade` is
 * a print. `height` is the node's block height (absent from the public API's `l2Book`,
 * whose messages are full snapshots keyed by block time).
 */
import type { BookDiffEvent, L2Levels, L4Order, OrderStatusEvent, Trade } from '../book/index.js';

export type BookDepth = 'l4' | 'l2';

export interface L4SnapshotMessage {
  type: 'snapshot';
  depth: 'l4';
  pair: string;
  height: number;
  /** Block time, ms. */
  time: number;
  levels: [L4Order[], L4Order[]];
  /** `stream` (the subscription's, after a (re)subscribe or a server resync) or `request` (fetched). */
  origin: 'stream' | 'request';
}

export interface L2SnapshotMessage {
  type: 'snapshot';
  depth: 'l2';
  pair: string;
  height: undefined;
  time: number;
  levels: L2Levels;
  origin: 'stream' | 'request';
}

export type SnapshotMessage = L4SnapshotMessage | L2SnapshotMessage;

export interface DiffMessage {
  type: 'diff';
  pair: string;
  height: number;
  time: number;
  statuses: OrderStatusEvent[];
  diffs: BookDiffEvent[];
}

export interface TradeMessage {
  type: 'trade';
  pair: string;
  time: number;
  trade: Trade;
}

export type OrderBookMessage = SnapshotMessage | DiffMessage | TradeMessage;
