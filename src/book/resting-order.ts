/**
 * A resting order and the price level holding it, as the engine keeps them (mutable, linked),
 * and the read-only view of them that leaves the book.
 */
import { formatUnits, type Units } from './decimal.js';
import type { L4Order, NodeOrder } from './events.js';
import type { AggregatableLevel } from './l2.js';
import { Aggregate } from './price-ladder.js';

/** A resting order as readers outside the engine see it. */
export interface RestingOrderView {
  readonly oid: number;
  readonly user: string;
  /** The node's order fields (`sz` and `limitPx` in it are not current: see `sz` and `level`). */
  readonly template: Readonly<NodeOrder>;
  /** Current resting size, units. */
  readonly sz: Units;
  readonly isBid: boolean;
  /** The level it rests at (`pxStr` is its price in the one number form). */
  readonly level: AggregatableLevel;
  /** The order just ahead of it in its level's queue, and just behind (null: none). */
  readonly prev: RestingOrderView | null;
  readonly next: RestingOrderView | null;
}

/** One price level: a FIFO of orders with its aggregates (an order may also join ahead of a given one: `insertBefore`). */
export class Level extends Aggregate {
  head: RestingOrder | null = null;
  tail: RestingOrder | null = null;
}

/** A resting order: the node's order object it came from, its current size and its place. */
export class RestingOrder implements RestingOrderView {
  prev: RestingOrder | null = null;
  next: RestingOrder | null = null;
  constructor(
    readonly oid: number,
    readonly user: string,
    readonly template: NodeOrder,
    public sz: Units,
    public level: Level,
    readonly isBid: boolean,
  ) {}
}

/** The order in the public API's L4 shape: the node's fields, with where it rests and what is left of it. */
export function toL4(o: RestingOrderView): L4Order {
  return { user: o.user, ...o.template, limitPx: o.level.pxStr, sz: formatUnits(o.sz) };
}

/** Untriggered trigger orders wait off the book (snapshots may list them). */
export function isUntriggered(o: Readonly<NodeOrder>): boolean {
  return o.isTrigger === true && o.triggerCondition !== 'Triggered';
}
