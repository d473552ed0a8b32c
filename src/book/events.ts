/**
 * The node's events as the book consumes them: exactly the JSON shapes a Hyperliquid node
 * writes (see docs/node-data.md in the shared docs). `src/node` parses lines into these;
 * the book applies them. Kept here, type-only, so that `book/` imports nothing else of ours.
 */

/** `"B"` bid, `"A"` ask. */
export type Side = 'B' | 'A';

/** The node's order object, as in order statuses and in L4 snapshots. */
export interface NodeOrder {
  coin: string;
  side: Side;
  limitPx: string;
  sz: string;
  oid: number;
  timestamp: number;
  triggerCondition: string;
  isTrigger: boolean;
  triggerPx: string;
  children: unknown[];
  isPositionTpsl: boolean;
  reduceOnly: boolean;
  orderType: string;
  origSz: string;
  tif: string | null;
  cloid: string | null;
}

/** An order as served in L4 snapshots: the node's order with `user` added. */
export interface L4Order extends NodeOrder {
  user: string;
}

/** One event of `node_order_statuses_*`. */
export interface OrderStatusEvent {
  time: string;
  user: string;
  hash: string | null;
  builder: { b: string; f: number } | null;
  status: string;
  order: NodeOrder;
}

/**
 * `new.insertBefore` (since July 2026, ALO priority fees): the order joins its level
 * immediately before the resting order with that oid (same coin, side and price) instead of
 * at the back. Absent or null: the back.
 */
export type RawBookDiff = { new: { sz: string; insertBefore?: number | null } } | { update: { origSz: string; newSz: string } } | 'remove';

/** One event of `node_raw_book_diffs_*`: what actually changes the book. */
export interface BookDiffEvent {
  user: string;
  oid: number;
  coin: string;
  side: Side;
  px: string;
  raw_book_diff: RawBookDiff;
}

/** The fill object of `node_fills_*` (optional fields as the node writes them). */
export interface NodeFill {
  coin: string;
  px: string;
  sz: string;
  side: Side;
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
  cloid?: string | null;
  feeToken: string;
  twapId?: number | null;
  liquidation?: unknown;
  builderFee?: string;
  deployerFee?: string;
}

/** One event of `node_fills_*`: `[user, fill]`. */
export type FillEvent = [user: string, fill: NodeFill];

/** One block of all three streams, joined on `block_number`. */
export interface Block {
  height: number;
  /** `block_time` in ms since the epoch (the `time` of the messages we send). */
  time: number;
  statuses: OrderStatusEvent[];
  diffs: BookDiffEvent[];
  fills: FillEvent[];
}

/** The node's L4 snapshot file: `[height, [[coin, [[[user, order]…bids], […asks]]]…]]`. */
export type L4SnapshotFile = [height: number, coins: [coin: string, sides: [[string, NodeOrder][], [string, NodeOrder][]]][]];
