export * from './events.js';
export * from './types.js';
export { Books } from './books.js';
export { OrderBook } from './order-book.js';
