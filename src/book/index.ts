// The book's public surface (`hl-orderbook/book`): the engine (`Books`, `OrderBook`), its
// data shapes and pure helpers, and read-only views of its orders and levels. The engine's
// mutable internals (resting orders, levels, sides, ladders) stay inside `src/book`.
export * from './events.js';
export * from './types.js';
export { Books, nodeTimeMs } from './books.js';
export { OrderBook, type BookChanges } from './order-book.js';
export { toL4, type RestingOrderView } from './resting-order.js';
export { aggregateSide, bucketPx, l2Spec, DEFAULT_N_LEVELS, MAX_N_LEVELS, type L2Spec, type AggregatableLevel, type ViewReach } from './l2.js';
export { RawStatus, statusCoin, statusOid, plainStatus, statusesJson } from './raw-status.js';
export { pairFills, type PairedFills } from './trades.js';
export {
  addUnits,
  subUnits,
  negUnits,
  compareUnits,
  formatUnits,
  formatHalfUnits,
  parseUnits,
  parsePrice,
  unitDigits,
  DECIMALS,
  UNIT,
  type Units,
} from './decimal.js';
