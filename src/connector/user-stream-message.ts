/**
 * What the user stream carries, in the public API's shapes: `WsOrder` (`orderUpdates`), `WsFill`
 * (`userFills`, and the `fills` of the `user` channel), and the `openOrders` entries a
 * reconnect is reconciled with.
 */

/** `openOrders` entry and `WsOrder.order`. */
export interface BasicOrder {
  coin: string;
  side: 'B' | 'A';
  limitPx: string;
  sz: string;
  oid: number;
  timestamp: number;
  origSz: string;
  cloid?: string | null;
  reduceOnly?: boolean;
}

/** One element of an `orderUpdates` frame. */
export interface WsOrder {
  order: BasicOrder;
  /** The node's status name (`open`, `filled`, `canceled`, `badAloPxRejected`, …). */
  status: string;
  statusTimestamp: number;
}

/** A fill as the node writes it and the public API sends it. */
export interface WsFill {
  coin: string;
  px: string;
  sz: string;
  side: 'B' | 'A';
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  tid: number;
  feeToken: string;
  cloid?: string | null;
  builderFee?: string;
  liquidation?: unknown;
  twapId?: number | null;
}

export type UserStreamMessage =
  | { type: 'orderUpdates'; orders: WsOrder[] }
  /** `snapshot`: the recent fills a (re)subscribe starts with, not new ones. */
  | { type: 'fills'; fills: WsFill[]; snapshot: boolean; source: 'userFills' | 'user' }
  /** After each (re)connect, once the streams are subscribed again: the orders resting now. */
  | { type: 'openOrders'; orders: BasicOrder[]; reconnect: boolean };
