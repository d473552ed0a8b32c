export * from './events.js';
export * from './types.js';
export { Books, nodeTimeMs } from './books.js';
export { OrderBook, Level, RestingOrder, BookSide, BucketIndex, toL4, type BookChanges } from './order-book.js';
export { Aggregate, PriceLadder } from './price-ladder.js';
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
