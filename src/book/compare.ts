/**
 * The first difference between a live book and what it should hold (a node snapshot's sides,
 * or another book of the coin built from one), in words: validation logs it. Orders are
 * compared in book order, oid, user, side, price and size, so the queue order within a level
 * (time priority, or where an `insertBefore` put an order) counts, not only L2 sizes and
 * counts. The other book is read in place, not turned into the snapshot's wire shape.
 */
import { formatUnits, parsePrice, parseUnits, type Units } from './decimal.js';
import type { NodeOrder, Side } from './events.js';
import type { BookSide } from './book-side.js';
import { isUntriggered, type RestingOrder } from './resting-order.js';

/** One order the live book should hold, as the comparison reads it. */
interface Expected {
  user: string;
  oid: number;
  /** The side the order says it is on. */
  side: unknown;
  pxStr: string;
  szStr: string;
  /** Units; NaN when the text is not a number (it then matches nothing). */
  px: Units;
  sz: Units;
}

/** The side of a live book being compared, with the book's orders by oid (to explain a queue-order difference). */
export interface LiveSide {
  coin: string;
  side: Side;
  levels: BookSide;
  orders: ReadonlyMap<number, RestingOrder>;
}

function parsedOrNaN(parse: (s: string) => Units, s: string): Units {
  try {
    return parse(s);
  } catch {
    return NaN;
  }
}

/** A snapshot side's orders (`[user, order]`, best first), untriggered trigger orders skipped as when loading. */
export function* snapshotOrders(entries: readonly (readonly [string, NodeOrder])[]): Generator<Expected> {
  for (const [user, order] of entries) {
    if (isUntriggered(order)) continue;
    yield {
      user,
      oid: order.oid,
      side: order.side,
      pxStr: order.limitPx,
      szStr: order.sz,
      px: parsedOrNaN(parsePrice, order.limitPx),
      sz: parsedOrNaN(parseUnits, order.sz),
    };
  }
}

/** Another book's side, best level first, time priority within a level. */
export function* bookOrders(side: BookSide): Generator<Expected> {
  for (const o of restingOrders(side)) {
    if (isUntriggered(o.template)) continue;
    yield { user: o.user, oid: o.oid, side: o.template.side, pxStr: o.level.pxStr, szStr: formatUnits(o.sz), px: o.level.px, sz: o.sz };
  }
}

/** A side's resting orders in book order: best level first, time priority within a level. */
export function* restingOrders(side: BookSide): Generator<RestingOrder> {
  const levels = side.levels;
  for (let i = levels.length - 1; i >= 0; i--) {
    for (let o = levels[i]!.head; o !== null; o = o.next) yield o;
  }
}

function describe(user: string, oid: number, px: string, sz: string): string {
  return `oid ${oid} of ${user} at ${px} x ${sz}`;
}

function describeResting(o: RestingOrder): string {
  return describe(o.user, o.oid, o.level.pxStr, formatUnits(o.sz));
}

/**
 * When the expected order rests in the same level further back, the books differ only in
 * queue order (what `insertBefore` decides): say so, since L2 sizes and counts then agree.
 */
function queueNote(live: LiveSide, got: RestingOrder, wantOid: number): string {
  if (got.oid === wantOid) return '';
  const w = live.orders.get(wantOid);
  if (w === undefined || w.level !== got.level) return '';
  let behind = 0;
  let o: RestingOrder | null = got;
  for (; o !== null && o !== w; o = o.next) behind++;
  if (o === null) return ` (queue order within level ${got.level.pxStr} differs)`;
  return ` (queue order within level ${got.level.pxStr}: oid ${wantOid} is ${behind} place(s) further back in the book)`;
}

/** The first difference between a live side and the orders it should hold, or null. */
export function compareSide(live: LiveSide, expected: Iterable<Expected>): string | null {
  const name = `${live.coin} ${live.side === 'B' ? 'bid' : 'ask'}`;
  const it = restingOrders(live.levels);
  let i = 0;
  for (const want of expected) {
    const r = it.next();
    const wanted = describe(want.user, want.oid, want.pxStr, want.szStr);
    if (r.done === true) return `${name} #${i}: expected ${wanted}, book has no more orders`;
    const o = r.value;
    const same = o.oid === want.oid && o.user === want.user && want.side === live.side && want.px === o.level.px && want.sz === o.sz;
    if (!same) return `${name} #${i}: expected ${wanted}, book has ${describeResting(o)}${queueNote(live, o, want.oid)}`;
    i++;
  }
  const r = it.next();
  if (r.done !== true) return `${name} #${i}: expected no more orders, book has ${describeResting(r.value)}`;
  return null;
}
