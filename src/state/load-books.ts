/**
 * Builds order books from a node snapshot file without stalling the event loop: the reader
 * hands over runs of orders and yields between them; each run is added to its coin's book.
 */
import { OrderBook } from '../book/order-book.js';
import { readSnapshotFile, type SnapshotReadOptions } from '../node/snapshot-reader.js';

export interface LoadedBooks {
  height: number;
  /** One book per coin of the snapshot (only the asked-for coins when `coins` was given). */
  books: Map<string, OrderBook>;
  orders: number;
  bytes: number;
}

export async function loadBooks(path: string, opts: SnapshotReadOptions = {}): Promise<LoadedBooks> {
  const books = new Map<string, OrderBook>();
  let book: OrderBook | undefined;
  const summary = await readSnapshotFile(
    path,
    {
      height: () => undefined,
      coin: (coin, wanted) => {
        book = wanted ? new OrderBook(coin) : undefined;
        if (book !== undefined) books.set(coin, book);
      },
      orders: (_coin, side, orders) => {
        book!.addSnapshotOrders(side === 0 ? 'B' : 'A', orders);
      },
    },
    opts,
  );
  return { height: summary.height, books, orders: summary.orders, bytes: summary.bytes };
}
