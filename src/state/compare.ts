/** The first difference between two books of one coin, in words (validation logs it). */
import type { NodeOrder } from '../book/events.js';
import type { OrderBook } from '../book/order-book.js';

/**
 * Null when `live` and `fresh` hold the same orders in the same places and order: the queue
 * order within each level (time priority, or where an `insertBefore` put an order) counts,
 * not only L2 sizes and counts.
 */
export function compareBooks(live: OrderBook, fresh: OrderBook): string | null {
  const [bids, asks] = fresh.l4();
  const pairs = (side: typeof bids): [string, NodeOrder][] => side.map((o) => [o.user, o]);
  return live.compareL4(pairs(bids), pairs(asks));
}
