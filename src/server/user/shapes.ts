/**
 * The public API's user shapes, built from the node's own objects: `WsOrder` (orderUpdates),
 * the `openOrders` / `frontendOpenOrders` entries (from a resting order of the L4 books) and
 * the `orderStatus` answer. Fills need no conversion: the node writes `WsFill` as is.
 */
import { nodeTimeMs } from '../../book/books.js';
import { formatUnits } from '../../book/decimal.js';
import type { NodeOrder, OrderStatusEvent } from '../../book/events.js';
import type { RestingOrderView as RestingOrder } from '../../book/resting-order.js';
import type { BasicOrder, WsOrder } from '../../client/protocol.js';

// The wire shapes are the protocol's own (the client reads exactly what this builds).
export type { BasicOrder, WsOrder } from '../../client/protocol.js';

/** `frontendOpenOrders` entry and `orderStatus`'s order: the node's order fields, in its order. */
export type FrontendOrder = NodeOrder;

function basic(o: NodeOrder, limitPx: string, sz: string): BasicOrder {
  const b: BasicOrder = { coin: o.coin, side: o.side, limitPx, sz, oid: o.oid, timestamp: o.timestamp, origSz: o.origSz };
  if (typeof o.cloid === 'string') b.cloid = o.cloid;
  if (o.reduceOnly === true) b.reduceOnly = true;
  return b;
}

/** A status event's time in ms (the block time when the node's text is not a time). */
export function statusTimeMs(st: OrderStatusEvent, fallback: number): number {
  const t = nodeTimeMs(st.time);
  return Number.isNaN(t) ? fallback : t;
}

export function wsOrder(st: OrderStatusEvent, blockTime: number): WsOrder {
  return { order: basic(st.order, st.order.limitPx, st.order.sz), status: st.status, statusTimestamp: statusTimeMs(st, blockTime) };
}

/** A resting order as `openOrders` lists it: where it rests and what is left of it. */
export function openOrder(o: RestingOrder): BasicOrder {
  return basic(o.template, o.level.pxStr, formatUnits(o.sz));
}

/** A resting order as `frontendOpenOrders` lists it (every field of the node's order). */
export function frontendOrder(o: RestingOrder): FrontendOrder {
  const t = o.template;
  return {
    coin: t.coin,
    side: t.side,
    limitPx: o.level.pxStr,
    sz: formatUnits(o.sz),
    oid: o.oid,
    timestamp: t.timestamp,
    triggerCondition: t.triggerCondition,
    isTrigger: t.isTrigger,
    triggerPx: t.triggerPx,
    children: t.children,
    isPositionTpsl: t.isPositionTpsl,
    reduceOnly: t.reduceOnly,
    orderType: t.orderType,
    origSz: t.origSz,
    tif: t.tif,
    cloid: t.cloid,
  };
}

/** The `orderStatus` answer for a known order. */
export function orderStatusAnswer(order: FrontendOrder, status: string, statusTimestamp: number): unknown {
  return { status: 'order', order: { order, status, statusTimestamp } };
}

export const UNKNOWN_OID = { status: 'unknownOid' } as const;
