/**
 * `ActiveOrderTracker`: the user's own resting orders as book rows, from the L4 book, with
 * where each stands in its queue. Only an L4 book knows this: an L2 level is a sum, it says
 * neither which orders are yours nor how much rests ahead of them.
 *
 * It also converts the data source's messages into rows (the seed's
 * `convert_snapshot_message_to_order_book_row` / `convert_diff_message_to_order_book_row`):
 * the user's rows a snapshot holds, and the row changes a diff makes.
 */
import type { L4Order } from '../book/index.js';
import { Emitter } from '../client/index.js';
import type { DiffMessage, L4SnapshotMessage } from './order-book-message.js';
import type { QueuePosition } from './order-book.js';
import type { OrderBookTracker } from './order-book-tracker.js';

/** One of the user's orders as a book row. */
export interface OrderBookRow {
  pair: string;
  oid: number;
  side: 'B' | 'A';
  px: string;
  /** Resting size now; `"0.0"` in a diff row means it left the book. */
  sz: string;
  cloid: string | null;
}

export interface ActiveOrder extends OrderBookRow {
  queue: QueuePosition;
}

export type ActiveOrderTrackerEvents = {
  /** The user's rows of `pair` changed (an order rested, changed size or left, or a snapshot came). */
  change: [pair: string, rows: ActiveOrder[]];
};

function row(pair: string, o: L4Order): OrderBookRow {
  return { pair, oid: o.oid, side: o.side, px: o.limitPx, sz: o.sz, cloid: o.cloid ?? null };
}

/** The user's rows in a snapshot. */
export function rowsFromSnapshot(m: L4SnapshotMessage, user: string): OrderBookRow[] {
  const u = user.toLowerCase();
  const out: OrderBookRow[] = [];
  for (const side of m.levels) for (const o of side) if (o.user.toLowerCase() === u) out.push(row(m.pair, o));
  return out;
}

/** The user's row changes in a diff, in node order (`update` → new size, `remove` → size `"0.0"`). */
export function rowsFromDiff(m: DiffMessage, user: string): OrderBookRow[] {
  const u = user.toLowerCase();
  const cloids = new Map<number, string | null>();
  for (const s of m.statuses) if (s.user.toLowerCase() === u) cloids.set(s.order.oid, s.order.cloid ?? null);
  const out: OrderBookRow[] = [];
  for (const d of m.diffs) {
    if (d.user.toLowerCase() !== u) continue;
    const rbd = d.raw_book_diff;
    const sz = rbd === 'remove' ? '0.0' : 'new' in rbd ? rbd.new.sz : rbd.update.newSz;
    out.push({ pair: m.pair, oid: d.oid, side: d.side, px: d.px, sz, cloid: cloids.get(d.oid) ?? null });
  }
  return out;
}

export class ActiveOrderTracker {
  readonly events = new Emitter<ActiveOrderTrackerEvents>();
  private readonly off: () => void;
  private readonly last = new Map<string, string>();

  constructor(
    private readonly tracker: OrderBookTracker,
    readonly user: string,
  ) {
    this.off = tracker.events.on('change', (c) => {
      // Queue positions move when orders ahead of ours leave, so every change is looked at.
      const rows = this.rows(c.pair);
      const signature = JSON.stringify(rows);
      if (this.last.get(c.pair) === signature) return;
      this.last.set(c.pair, signature);
      this.events.emit('change', c.pair, rows);
    });
  }

  /** The user's resting orders of `pair`, best first, each with its queue position (empty at L2). */
  rows(pair: string): ActiveOrder[] {
    const book = this.tracker.book(pair);
    if (!book) return [];
    const out: ActiveOrder[] = [];
    for (const o of book.ordersOf(this.user)) {
      const queue = book.queuePosition(o.oid);
      if (queue) out.push({ ...row(pair, o), queue });
    }
    return out.sort((a, b) =>
      a.side === b.side ? a.queue.levelsAhead - b.queue.levelsAhead || a.queue.ordersAhead - b.queue.ordersAhead : a.side === 'B' ? -1 : 1,
    );
  }

  queuePosition(pair: string, oid: number): QueuePosition | undefined {
    return this.tracker.book(pair)?.queuePosition(oid);
  }

  stop(): void {
    this.off();
  }
}
