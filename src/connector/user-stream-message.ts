/**
 * What the user stream carries, in the public API's shapes: `WsOrder` (`orderUpdates`), `WsFill`
 * (`userFills`, and the `fills` of the `user` channel), and the `openOrders` entries a
 * reconnect is reconciled with.
 */

import type { BasicOrder, WsFill, WsOrder } from '../client/protocol.js';

export type { BasicOrder, WsFill, WsOrder };

export type UserStreamMessage =
  | { type: 'orderUpdates'; orders: WsOrder[] }
  /** `snapshot`: the recent fills a (re)subscribe starts with, not new ones. */
  | { type: 'fills'; fills: WsFill[]; snapshot: boolean; source: 'userFills' | 'user' }
  /** After each (re)connect, once the streams are subscribed again: the orders resting now. */
  | { type: 'openOrders'; orders: BasicOrder[]; reconnect: boolean };
