/** What an `l4Book` client does: build a book from the Snapshot, apply each Updates on top. */
import { Books, type BookDiffEvent, type L4Order, type NodeOrder, type OrderStatusEvent } from '../../../src/book/index.js';

export interface SnapshotData {
  coin: string;
  time: number;
  height: number;
  levels: [L4Order[], L4Order[]];
}

export interface UpdatesData {
  time: number;
  height: number;
  order_statuses: OrderStatusEvent[];
  book_diffs: BookDiffEvent[];
}

function entry(o: L4Order): [string, NodeOrder] {
  const { user, ...order } = o;
  return [user, order];
}

export class L4Replica {
  readonly books: Books;
  height: number;

  constructor(readonly snapshot: SnapshotData) {
    this.books = Books.fromSnapshot([snapshot.height, [[snapshot.coin, [snapshot.levels[0].map(entry), snapshot.levels[1].map(entry)]]]]);
    this.height = snapshot.height;
  }

  apply(u: UpdatesData): void {
    if (u.height <= this.height) throw new Error(`Updates at ${u.height} after ${this.height}`);
    const change = this.books.applyBlock(
      { height: u.height, time: u.time, statuses: u.order_statuses, diffs: u.book_diffs, fills: [] },
      { only: new Set([this.snapshot.coin]) },
    );
    if (change.desyncs.length > 0) throw change.desyncs[0];
    this.height = u.height;
  }

  l4(): string {
    return JSON.stringify(this.books.book(this.snapshot.coin)?.l4() ?? [[], []]);
  }
}
