// The connector's public surface: `import { HyperliquidMarket } from 'hl-orderbook/connector'`.
export { HyperliquidMarket, wsUrlOf, type MarketOptions, type MarketEvents, type OrderOptions, type Position, type Balance } from './market.js';
export {
  InFlightOrder,
  isTerminal,
  type OrderState,
  type OrderType,
  type TradeSide,
  type OrderFill,
  type OrderAnswer,
  type OrderEvent,
  type OrderEffect,
} from './in-flight-order.js';
export { KNOWN_STATUSES, statusMeaning, type StatusMeaning } from './order-status.js';
export { OrderBookTracker, type OrderBookTrackerOptions, type OrderBookTrackerEvents, type BookChange, type TrackerStats } from './order-book-tracker.js';
export {
  L4OrderBookDataSource,
  L2OrderBookDataSource,
  parseL4Snapshot,
  parseL2Snapshot,
  type OrderBookTrackerDataSource,
  type DataSourceOptions,
} from './order-book-tracker-data-source.js';
export type { OrderBookMessage, SnapshotMessage, L4SnapshotMessage, L2SnapshotMessage, DiffMessage, TradeMessage, BookDepth } from './order-book-message.js';
export { L4PairBook, L2PairBook, type PairBook, type QueuePosition } from './order-book.js';
export { ActiveOrderTracker, rowsFromSnapshot, rowsFromDiff, type ActiveOrder, type OrderBookRow } from './active-order-tracker.js';
export { UserStreamTracker, fillKey, type UserStreamEvents, type UserStreamTrackerOptions } from './user-stream-tracker.js';
export { UserStreamTrackerDataSource, type UserStreamDataSourceOptions } from './user-stream-tracker-data-source.js';
export type { UserStreamMessage, WsOrder, WsFill, BasicOrder } from './user-stream-message.js';
export { Auth, type AuthOptions, type ExchangeRequest } from './auth.js';
export { NonceManager } from './nonce.js';
export { ExchangeClient, parseActionAnswer, toOrderAnswer, type ActionAnswer, type Fetch } from './exchange-client.js';
export { tradingRules, ruleOf, tickAt, type TradingRule } from './trading-rules.js';
export {
  formatPrice,
  formatSize,
  toWire,
  roundPrice,
  roundSize,
  offsetPrice,
  priceTickAt,
  isValidPrice,
  maxPriceDecimals,
  type WireRules,
  type MarketKind,
} from './wire.js';
export { OrderRefusedError, ExchangeUnavailableError } from './errors.js';
// Signing is src/sign's (shared with the paper exchange that verifies it), re-exported here.
export { signL1Action, actionHash, addressFromPrivateKey, type Signature, type L1ActionInput } from '../sign/index.js';
