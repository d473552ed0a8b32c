/**
 * A level's queue: the resting orders a displayed (possibly aggregated) level holds, in the
 * order they would fill (better price first, then time priority), with their ages at the
 * block's time; and which levels hold a given user's orders.
 */
import { levelIndexOf } from './aggregation.js';
import type { L4Order } from '../book/events.js';

export interface QueueRow {
  /** Position in the queue, from 1. */
  pos: number;
  oid: number;
  user: string;
  px: string;
  sz: string;
  /** Block time minus the order's placement time, ms. */
  ageMs: number;
  mine: boolean;
}

/**
 * The orders of level `index` among `edges` (best first), from one side's orders as the
 * replica gives them (best level first, time priority within a level).
 */
export function queueOf(
  orders: readonly L4Order[],
  isBid: boolean,
  edges: readonly string[],
  index: number,
  blockTime: number,
  user: string | null,
): QueueRow[] {
  const out: QueueRow[] = [];
  const target = edges[index];
  if (target === undefined) return out;
  for (const o of orders) {
    const at = levelIndexOf(o.limitPx, isBid, edges);
    if (at === index) {
      out.push({
        pos: out.length + 1,
        oid: o.oid,
        user: o.user,
        px: o.limitPx,
        sz: o.sz,
        ageMs: Math.max(0, blockTime - o.timestamp),
        mine: user !== null && o.user.toLowerCase() === user,
      });
    } else if (at > index || at < 0) {
      // Orders come best first: once past the level, none of the rest can be in it.
      break;
    }
  }
  return out;
}

/** Indices of the levels (`edges`, best first) that hold at least one of `orders`. */
export function levelsHolding(orders: readonly L4Order[], isBid: boolean, edges: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const o of orders) {
    if ((o.side === 'B') !== isBid) continue;
    const i = levelIndexOf(o.limitPx, isBid, edges);
    if (i >= 0) out.add(i);
  }
  return out;
}
