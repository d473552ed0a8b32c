/**
 * The naive model the engine is checked against: a plain list of orders, sorted and grouped
 * on every query, with bigint arithmetic and string formatting written independently of
 * src/book (no shared code on purpose).
 */
import type { L2Level, L2Levels, L4Order, NodeOrder, Side } from '../../src/book/index.js';

export interface ModelOrder {
  oid: number;
  user: string;
  side: Side;
  px: bigint;
  sz: bigint;
  order: NodeOrder;
}

export function toUnits(s: string): bigint {
  const [int, frac = ''] = s.split('.');
  return BigInt(int! + frac.padEnd(8, '0').slice(0, 8));
}

export function fromUnits(u: bigint): string {
  const s = u.toString().padStart(9, '0');
  const frac = s.slice(-8).replace(/0+$/, '');
  return `${s.slice(0, -8)}.${frac === '' ? '0' : frac}`;
}

export function bucket(px: bigint, side: Side, sigFigs: number | null, mantissa: number | null): bigint {
  if (sigFigs === null) return px;
  const digits = px.toString().length;
  const inc = BigInt(mantissa ?? 1) * 10n ** BigInt(Math.max(0, digits - sigFigs));
  const floor = px - (px % inc);
  return side === 'B' || floor === px ? floor : floor + inc;
}

export class NaiveBook {
  /** Every resting order in queue order (within a level; levels interleave freely). */
  orders: ModelOrder[] = [];
  /** The same orders by oid (a lookup only: the real book's shape is not copied). */
  private byOid = new Map<number, ModelOrder>();

  /** A copy whose orders can change without touching this one. */
  clone(): NaiveBook {
    const c = new NaiveBook();
    c.setOrders(this.orders.map((o) => ({ ...o })));
    return c;
  }

  /** Take another model's orders (in their queue order) as this one's. */
  replaceWith(other: NaiveBook): void {
    this.setOrders(other.orders.map((o) => ({ ...o })));
  }

  private setOrders(orders: ModelOrder[]): void {
    this.orders = orders;
    this.byOid = new Map(orders.map((o) => [o.oid, o]));
  }

  /**
   * At the back of its level, or (`insertBefore`) immediately before that order, which must
   * rest on the same side at the same price: `orders` is kept in queue order, and a stable
   * sort by price keeps it within each level.
   */
  add(user: string, order: NodeOrder, px: string, sz: string, insertBefore?: number | null): void {
    const o: ModelOrder = { oid: order.oid, user, side: order.side, px: toUnits(px), sz: toUnits(sz), order };
    if (this.byOid.has(o.oid)) throw new Error(`model: oid ${o.oid} already rests`);
    if (insertBefore === undefined || insertBefore === null) {
      this.orders.push(o);
    } else {
      const target = this.byOid.get(insertBefore);
      if (target === undefined || target.side !== o.side || target.px !== o.px)
        throw new Error(`model: insertBefore ${insertBefore} does not rest at ${px} ${o.side}`);
      this.orders.splice(this.orders.indexOf(target), 0, o);
    }
    this.byOid.set(o.oid, o);
  }

  /** The oids resting at one level, in queue order. */
  levelOids(side: Side, px: string): number[] {
    return this.level(side, px).map((o) => o.oid);
  }

  /** `[user, oid, px, sz]` per order of each of some levels of one side, in queue order, by price as given. */
  levelKeys(side: Side, pxs: readonly string[]): Map<string, [string, number, string, string][]> {
    const wanted = new Map(pxs.map((px) => [toUnits(px), px]));
    const out = new Map<string, [string, number, string, string][]>(pxs.map((px) => [px, []]));
    for (const o of this.orders) {
      if (o.side !== side) continue;
      const px = wanted.get(o.px);
      if (px !== undefined) out.get(px)!.push([o.user, o.oid, fromUnits(o.px), fromUnits(o.sz)]);
    }
    return out;
  }

  private level(side: Side, px: string): ModelOrder[] {
    const p = toUnits(px);
    return this.orders.filter((o) => o.side === side && o.px === p);
  }

  find(oid: number): ModelOrder | undefined {
    return this.byOid.get(oid);
  }
  update(oid: number, sz: string): void {
    this.find(oid)!.sz = toUnits(sz);
  }
  remove(oid: number): void {
    const o = this.byOid.get(oid);
    if (o === undefined) return;
    this.byOid.delete(oid);
    this.orders.splice(this.orders.indexOf(o), 1);
  }

  /** One side, best price first, then queue order (the stable sort keeps `orders`' order within a level). */
  sorted(side: Side): ModelOrder[] {
    return this.orders.filter((o) => o.side === side).sort((a, b) => (a.px === b.px ? 0 : (side === 'B' ? a.px > b.px : a.px < b.px) ? -1 : 1));
  }

  l2(sigFigs: number | null, mantissa: number | null, nLevels: number): L2Levels {
    const side = (s: Side): L2Level[] => {
      const out: { px: bigint; sz: bigint; n: number }[] = [];
      for (const o of this.sorted(s)) {
        const b = bucket(o.px, s, sigFigs, mantissa);
        const last = out[out.length - 1];
        if (last !== undefined && last.px === b) {
          last.sz += o.sz;
          last.n++;
        } else out.push({ px: b, sz: o.sz, n: 1 });
      }
      return out.slice(0, nLevels).map((l) => ({ px: fromUnits(l.px), sz: fromUnits(l.sz), n: l.n }));
    };
    return [side('B'), side('A')];
  }

  bbo(): [L2Level | null, L2Level | null] {
    const [b, a] = this.l2(null, null, 1);
    return [b[0] ?? null, a[0] ?? null];
  }

  mid(): string | null {
    const [b, a] = this.bbo();
    if (b === null || a === null) return null;
    const sum = toUnits(b.px) + toUnits(a.px);
    // Half of a 1e-8 unit needs a 9th decimal.
    const s = (sum * 5n).toString().padStart(10, '0');
    const frac = s.slice(-9).replace(/0+$/, '');
    return `${s.slice(0, -9)}.${frac === '' ? '0' : frac}`;
  }

  /** `[user, oid, px, sz]` per order, best first, time priority. */
  l4(): [string, number, string, string][][] {
    return (['B', 'A'] as const).map((s) => this.sorted(s).map((o) => [o.user, o.oid, fromUnits(o.px), fromUnits(o.sz)] as [string, number, string, string]));
  }
}

export function l4Keys(orders: L4Order[]): [string, number, string, string][] {
  return orders.map((o) => [o.user, o.oid, o.limitPx, o.sz]);
}

/** Every L2 parameter combination a subscription may ask for (nLevels sampled). */
export function allL2Params(): { nSigFigs: number | null; mantissa: number | null; nLevels: number }[] {
  const out: { nSigFigs: number | null; mantissa: number | null; nLevels: number }[] = [];
  for (const nLevels of [1, 2, 3, 7, 20, 100]) {
    for (const nSigFigs of [null, 2, 3, 4, 5]) {
      for (const mantissa of nSigFigs === 5 ? [null, 1, 2, 5] : [null]) out.push({ nSigFigs, mantissa, nLevels });
    }
  }
  return out;
}
