/**
 * The read side of one coin's L4 replica, shared by the SDK's `L4BookTracker` and the
 * connector's `L4PairBook`: best levels, L2 aggregation and orders read from the engine's
 * book, and the index of each user's resting orders that `ordersOf` answers from.
 */
import type { L2Level, L2Levels, L2Params, L4Order, OrderBook } from '../../book/index.js';

export abstract class L4BookView {
  /** user (lower case) → oids resting. */
  readonly byUser = new Map<string, Set<number>>();

  /** The engine's book of this coin, when there is one. */
  protected abstract get book(): OrderBook | undefined;

  get size(): number {
    return this.book?.size ?? 0;
  }
  bbo(): [L2Level | null, L2Level | null] {
    return this.book?.bbo() ?? [null, null];
  }
  bestBid(): L2Level | null {
    return this.bbo()[0];
  }
  bestAsk(): L2Level | null {
    return this.bbo()[1];
  }
  mid(): string | null {
    return this.book?.mid() ?? null;
  }
  l2(params?: L2Params): L2Levels {
    return this.book?.l2(params) ?? [[], []];
  }
  l4(): [L4Order[], L4Order[]] {
    return this.book?.l4() ?? [[], []];
  }
  order(oid: number): L4Order | undefined {
    return this.book?.get(oid);
  }
  ordersOf(user: string): L4Order[] {
    const oids = this.byUser.get(user.toLowerCase());
    const book = this.book;
    if (!oids || !book) return [];
    const out: L4Order[] = [];
    for (const oid of oids) {
      const o = book.get(oid);
      if (o) out.push(o);
    }
    return out;
  }

  /** Records that `oid` of `user` rests (`true`) or left the book (`false`). */
  indexUser(user: string, oid: number, resting: boolean): void {
    const key = user.toLowerCase();
    let set = this.byUser.get(key);
    if (resting) {
      if (!set) this.byUser.set(key, (set = new Set()));
      set.add(oid);
    } else if (set) {
      set.delete(oid);
      if (set.size === 0) this.byUser.delete(key);
    }
  }
}
