export * from './events.js';
export * from './types.js';
export { Books, nodeTimeMs } from './books.js';
export { OrderBook, Level, RestingOrder, BookSide, toL4, type BookChanges } from './order-book.js';
export { aggregateSide, bucketPx, l2Spec, DEFAULT_N_LEVELS, MAX_N_LEVELS, type L2Spec, type AggregatableLevel } from './l2.js';
export { pairFills, type PairedFills } from './trades.js';
export {
  addUnits,
  subUnits,
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
