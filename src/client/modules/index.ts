export {
  Subscriptions,
  type SubscriptionsHandle,
  type SubscriptionsOptions,
  type SubscribeOptions,
  type ActiveSubscription,
  type ServerError,
  type SubscriptionsEvents,
} from './subscriptions.js';
export { Post, type PostHandle, type PostOptions, type RequestOptions } from './post.js';
export { KeepAlive, type KeepAliveOptions } from './keep-alive.js';
export {
  L4BookTracker,
  type L4BookTrackerHandle,
  type L4BookTrackerOptions,
  type L4Replica,
  type BookReads,
  type L4Change,
  type L4BookTrackerEvents,
  type TrackOptions,
} from './l4-book-tracker.js';
export { L2BookTracker, type L2BookHandle, type L2BookView, type L2Params } from './l2-book-tracker.js';
export { Bbo, type BboHandle, type BboView } from './bbo.js';
export { CoinViewTracker, type CoinViewHandle, type TrackedView, type ViewEvents } from './coin-view-tracker.js';
export { Trades, type TradesHandle, type TradeStream, type TradesOptions } from './trades.js';
export { ServerStatus, type ServerStatusHandle } from './server-status.js';
export { Raw, type RawHandle, type RawOptions } from './raw.js';
export { loggingHandler, type LoggingHandlerOptions } from './logging.js';
