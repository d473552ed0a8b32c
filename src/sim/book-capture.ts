/**
 * The simulated books at one height, for the node's L4 snapshot: a consistent copy taken at
 * once (orders shared, current sizes copied) and written later, as a node does.
 */
import type { L4SnapshotFile, NodeOrder } from '../book/events.js';
import type { CoinSpec } from './market.js';
import { ASK, BID, type MatchingBook, type RestingOrder } from './matching-book.js';
import { restingOrderJson, restingOrderTail } from './node-json.js';

/** A consistent copy of the books at one height, cheap to take (orders are shared, sizes copied). */
export interface CapturedBooks {
  height: number;
  coins: { coin: CoinSpec; sides: [RestingOrder[], RestingOrder[]]; lots: [number[], number[]] }[];
  users: readonly string[];
}

/** The books now, cheaply: order objects shared, current sizes copied. */
export function captureBooks(height: number, coins: readonly CoinSpec[], books: readonly MatchingBook[], users: readonly string[]): CapturedBooks {
  const out: CapturedBooks['coins'] = [];
  for (const c of coins) {
    const book = books[c.id]!;
    const sides: [RestingOrder[], RestingOrder[]] = [[], []];
    const lots: [number[], number[]] = [[], []];
    for (const s of [BID, ASK] as const) {
      const os = sides[s];
      const ls = lots[s];
      const levels = book.sides[s].levels;
      // Best level first (the last one), time priority within a level: as `orders()` does.
      for (let i = levels.length - 1; i >= 0; i--) {
        for (let o = levels[i]!.head; o !== null; o = o.next) {
          os.push(o);
          ls.push(o.lots);
        }
      }
    }
    out.push({ coin: c, sides, lots });
  }
  return { height, coins: out, users };
}

/**
 * Make the snapshot text of every resting order now (what changes with each snapshot, the
 * size, aside), as a node holds its state ready: the first snapshot then writes as fast as
 * later ones. Orders placed later get theirs on their first snapshot.
 */
export function warmSnapshotText(coins: readonly CoinSpec[], books: readonly MatchingBook[]): void {
  for (const c of coins) {
    for (const side of books[c.id]!.sides) {
      for (const lv of side.levels) for (let o = lv.head; o !== null; o = o.next) restingOrderTail(c, o);
    }
  }
}

/** A capture in the parsed shape of the node's snapshot file. */
export function capturedToSnapshot(cap: CapturedBooks): L4SnapshotFile {
  return [
    cap.height,
    cap.coins.map(({ coin, sides, lots }) => [
      coin.name,
      [0, 1].map((s) => sides[s]!.map((o, i) => [cap.users[o.user]!, JSON.parse(restingOrderJson(coin, o, lots[s]![i]!)) as NodeOrder])) as [
        [string, NodeOrder][],
        [string, NodeOrder][],
      ],
    ]),
  ];
}
