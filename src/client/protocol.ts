/**
 * The wire protocol as the client sees it (docs/protocol.md in the shared docs): the frames
 * it sends, the frames it receives, and the shapes of each channel's data. These shapes are
 * the public Hyperliquid API's; `l4Book` and `serverStatus` are this server's additions.
 */
import type { BookDiffEvent, L2Level, L2Levels, L4Order, NodeFill, OrderStatusEvent, Trade } from '../book/index.js';

export type { L2Level, L2Levels, L4Order, Trade, OrderStatusEvent, BookDiffEvent };

/** A subscription object exactly as sent in `{"method":"subscribe","subscription":…}`. */
export interface Subscription {
  type: string;
  [field: string]: unknown;
}

export interface L2BookSubscription extends Subscription {
  type: 'l2Book';
  coin: string;
  nSigFigs?: number | null;
  mantissa?: number | null;
  nLevels?: number;
  fast?: boolean;
}
export interface TradesSubscription extends Subscription {
  type: 'trades';
  coin: string;
}
export interface BboSubscription extends Subscription {
  type: 'bbo';
  coin: string;
}
export interface AllMidsSubscription extends Subscription {
  type: 'allMids';
  dex?: string;
}
export interface L4BookSubscription extends Subscription {
  type: 'l4Book';
  coin: string;
  bookOnly?: boolean;
}
export interface ServerStatusSubscription extends Subscription {
  type: 'serverStatus';
}
/** A user's order status events (channel `orderUpdates`, data `WsOrder[]`). */
export interface OrderUpdatesSubscription extends Subscription {
  type: 'orderUpdates';
  user: string;
}
/** A user's fills (channel `userFills`, data `UserFillsData`). */
export interface UserFillsSubscription extends Subscription {
  type: 'userFills';
  user: string;
  aggregateByTime?: boolean;
}
/** A user's events (channel `user`, data `UserEventsData`); `{"type":"user"}` is the same subscription. */
export interface UserEventsSubscription extends Subscription {
  type: 'userEvents' | 'user';
  user: string;
}

/** The channel a subscription's data frames arrive on: its type, except `userEvents` (`user`). */
export function channelOf(subscription: Subscription): string {
  return subscription.type === 'userEvents' ? 'user' : subscription.type;
}

/** `WsOrder.order` and an `openOrders` entry. */
export interface BasicOrder {
  coin: string;
  side: 'B' | 'A';
  limitPx: string;
  sz: string;
  oid: number;
  timestamp: number;
  origSz: string;
  /** Present when the order has one. */
  cloid?: string;
  /** Present (true) only for reduce-only orders. */
  reduceOnly?: true;
}

/** One element of `orderUpdates` data: every status the node writes, by name. */
export interface WsOrder {
  order: BasicOrder;
  status: string;
  statusTimestamp: number;
}

/** A fill as the node writes it (`userFills`, `user`): the node's fill, with a builder's fee when there is one. */
export interface WsFill extends NodeFill {
  builderFee?: string;
}

/** `data` of `userFills`: the first frame with `isSnapshot: true` (recent fills, newest first), then one per block with fills. */
export interface UserFillsData {
  user: string;
  fills: WsFill[];
  isSnapshot?: true;
}

/** `data` of channel `user` (a `userEvents` subscription). */
export interface UserEventsData {
  fills: WsFill[];
}

/** Frames a client sends. */
export type ClientMessage =
  { method: 'subscribe' | 'unsubscribe'; subscription: Subscription } | { method: 'ping' } | { method: 'post'; id: number; request: PostRequest };

export interface PostRequest {
  type: 'info' | 'action';
  payload: unknown;
}

/** `data` of `subscriptionResponse`. */
export interface SubscriptionResponseData {
  method: 'subscribe' | 'unsubscribe';
  subscription: Subscription;
}

/** `data` of `post`. */
export interface PostResponseData {
  id: number;
  response: { type: 'info'; payload: { type: string; data: unknown } } | { type: 'action'; payload: unknown } | { type: 'error'; payload: string };
}

export interface L2BookData {
  coin: string;
  time: number;
  levels: L2Levels;
  /**
   * Present (`true`) only on a server run with `--book-updates intra-block`: the levels of a
   * block still being read (its diffs so far), at that block's `time`. The block's own frame
   * follows without the field (docs/protocol.md, "Intra-block frames").
   */
  partial?: true;
}

export interface BboData {
  coin: string;
  time: number;
  bbo: [L2Level | null, L2Level | null];
  /** As `L2BookData.partial`. */
  partial?: true;
}

export interface AllMidsData {
  mids: Record<string, string>;
  dex?: string;
}

export interface L4Snapshot {
  coin: string;
  time: number;
  height: number;
  levels: [L4Order[], L4Order[]];
}

export interface L4Updates {
  time: number;
  height: number;
  order_statuses: OrderStatusEvent[];
  book_diffs: BookDiffEvent[];
}

export type L4BookData = { Snapshot: L4Snapshot } | { Updates: L4Updates };

/** `data` of `serverStatus`: the server's `/health` JSON. */
export interface ServerStatusData {
  state: 'starting' | 'ready' | 'degraded' | 'resyncing' | 'stale' | string;
  height: number;
  time: number;
  lagMs: number;
  clients: number;
  subscriptions: number;
  eventsPerSecond: number;
  source: 'node' | 'simulated' | string;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The coin a data frame is about, when its shape says so: `data.coin`, the first trade's
 * coin, an `l4Book` snapshot's coin, or (an `Updates` names no coin) the first diff's or
 * status' coin. `undefined` when the frame does not tell.
 */
export function coinOfData(data: unknown): string | undefined {
  if (Array.isArray(data)) {
    const first: unknown = data[0];
    return isRecord(first) && typeof first.coin === 'string' ? first.coin : undefined;
  }
  if (!isRecord(data)) return undefined;
  if (typeof data.coin === 'string') return data.coin;
  const snapshot = data.Snapshot;
  if (isRecord(snapshot) && typeof snapshot.coin === 'string') return snapshot.coin;
  const updates = data.Updates;
  if (isRecord(updates)) {
    for (const list of [updates.book_diffs, updates.order_statuses]) {
      if (!Array.isArray(list) || list.length === 0) continue;
      const ev: unknown = list[0];
      if (!isRecord(ev)) continue;
      if (typeof ev.coin === 'string') return ev.coin;
      if (isRecord(ev.order) && typeof ev.order.coin === 'string') return ev.order.coin;
    }
  }
  return undefined;
}

/**
 * Whether a data frame of the subscription's channel belongs to this subscription. The
 * public API's data frames do not echo the subscription, so this is decided on what the
 * data carries: the coin, the user, the dex. Two subscriptions that differ only in
 * parameters the data does not carry (`l2Book` of one coin with two `nSigFigs`) cannot be
 * told apart on the wire; both receive the frames.
 */
export function dataBelongsTo(subscription: Subscription, data: unknown): boolean {
  if (subscription.type === 'allMids') {
    const dex = isRecord(data) && typeof data.dex === 'string' ? data.dex : undefined;
    const wanted = typeof subscription.dex === 'string' && subscription.dex !== '' ? subscription.dex : undefined;
    return dex === wanted;
  }
  if (typeof subscription.coin === 'string') {
    const coin = coinOfData(data);
    if (coin !== undefined) return coin === subscription.coin;
  }
  if (typeof subscription.user === 'string' && isRecord(data) && typeof data.user === 'string') {
    return data.user.toLowerCase() === subscription.user.toLowerCase();
  }
  return true;
}

/**
 * A stable key for a subscription: keys sorted, hex addresses lower-cased, so that two
 * objects the server treats as one subscription get one key.
 */
export function subscriptionKey(subscription: Subscription): string {
  return JSON.stringify(normalise(subscription));
}

function normalise(value: unknown): unknown {
  if (typeof value === 'string') return /^0x[0-9a-fA-F]+$/.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) return value.map(normalise);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = normalise(value[key]);
    }
    return out;
  }
  return value;
}

/**
 * Whether every field of `sent` is in `echoed` with the same value. The public API may add
 * fields to the subscription it echoes (defaults filled in), so an acknowledgement matches
 * a request when it contains it; hex addresses compare case-insensitively.
 */
export function echoes(sent: unknown, echoed: unknown): boolean {
  if (typeof sent === 'string' && typeof echoed === 'string') {
    const hex = /^0x[0-9a-f]+$/i;
    return hex.test(sent) && hex.test(echoed) ? sent.toLowerCase() === echoed.toLowerCase() : sent === echoed;
  }
  if (Array.isArray(sent)) {
    return Array.isArray(echoed) && sent.length === echoed.length && sent.every((x, i) => echoes(x, echoed[i]));
  }
  if (isRecord(sent)) {
    if (!isRecord(echoed)) return false;
    return Object.keys(sent).every((k) => sent[k] === undefined || (k in echoed && echoes(sent[k], echoed[k])));
  }
  return sent === echoed;
}

/**
 * The JSON object quoted in a server error text (`Invalid subscription {…}`,
 * `Already subscribed: {…}`), or `undefined`.
 */
export function objectInErrorText(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const parsed: unknown = JSON.parse(text.slice(start, end + 1));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export { isRecord };
