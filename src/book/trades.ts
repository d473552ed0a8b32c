/**
 * Fills → trades. A trade produces two fills with the same `tid`, one per side; the trade's
 * side is the taker's (`crossed: true`), `users` is `[buyer, seller]`.
 */
import type { FillEvent, NodeFill } from './events.js';
import type { Trade } from './types.js';

export interface PairedFills {
  /** Trades per coin, in the order their second half arrived. */
  trades: Map<string, Trade[]>;
  /** Fill halves with no partner among the given fills, in input order. */
  unmatched: FillEvent[];
}

function trade(a: FillEvent, b: FillEvent): Trade {
  const fa = a[1];
  const fb = b[1];
  // The taker sets the side; if the node ever marks neither or both, the first half decides.
  const taker: NodeFill = fa.crossed || !fb.crossed ? fa : fb;
  const buyer = fa.side === 'B' ? a[0] : b[0];
  const seller = fa.side === 'B' ? b[0] : a[0];
  return { coin: taker.coin, side: taker.side, px: taker.px, sz: taker.sz, hash: taker.hash, time: taker.time, tid: taker.tid, users: [buyer, seller] };
}

/**
 * Pair fills by `tid`. `include(coin)` (default: all) filters which coins are considered at
 * all. Two halves of one trade must be on opposite sides; a third fill with the same `tid`
 * starts a new pair.
 */
export function pairFills(fills: readonly FillEvent[], include?: (coin: string) => boolean): PairedFills {
  const trades = new Map<string, Trade[]>();
  const open = new Map<number, FillEvent>();
  const displaced: FillEvent[] = [];
  for (const f of fills) {
    const fill = f[1];
    if (include !== undefined && !include(fill.coin)) continue;
    const tid = fill.tid;
    const other = open.get(tid);
    if (other === undefined || other[1].side === fill.side || other[1].coin !== fill.coin) {
      // An unpaired half with the same tid but the same side stays unmatched; this one waits for its partner.
      if (other === undefined) open.set(tid, f);
      else {
        open.delete(tid);
        open.set(tid, f);
        displaced.push(other);
      }
      continue;
    }
    open.delete(tid);
    const t = trade(other, f);
    let list = trades.get(t.coin);
    if (list === undefined) trades.set(t.coin, (list = []));
    list.push(t);
  }
  const unmatched = [...displaced, ...open.values()];
  return { trades, unmatched: unmatched.length > 1 ? sortByInput(fills, unmatched) : unmatched };
}

function sortByInput(fills: readonly FillEvent[], subset: FillEvent[]): FillEvent[] {
  const set = new Set(subset);
  return fills.filter((f) => set.has(f));
}
