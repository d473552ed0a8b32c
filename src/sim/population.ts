/**
 * Who trades and what rests at the start: the users (a few market makers, many others, the
 * special spot address at index 0), their client order ids and builders, how the book size
 * spreads over the coins, and the initial books.
 */
import type { CoinSpec } from './market.js';
import { HYPERLIQUIDITY_USER } from './market.js';
import { ASK, BID, RestKind, newRestingOrder, type RestingOrder, type SideIx } from './matching-book.js';
import { clamp, type MarketState } from './market-state.js';
import type { Rng } from '../util/rng.js';

const MAKERS = 60;
const USERS = 3000;
const BUILDERS = ['0x64c0d5bb9b5b8c3d5b2c1d8d3e8c6d1f5b0a975f', '0xb84168cf3be63c6b8dad05ff5d755e97432ff80b'];

interface User {
  /** Users with client order ids use a prefix and a counter, like real trading bots. */
  cloidPrefix: string | null;
  cloidCounter: number;
  /** `null` or the builder object's JSON. */
  builder: string;
}

export class Population {
  private readonly users: User[] = [];
  /** Addresses by user index. */
  readonly addresses: string[] = [];

  constructor(private readonly rng: Rng) {
    this.add(HYPERLIQUIDITY_USER);
    for (let i = 1; i < USERS; i++) {
      const builder = rng.chance(0.03) ? `{"b":"${rng.pick(BUILDERS)}","f":${rng.pick([10, 25, 50])}}` : 'null';
      const cloidPrefix = rng.chance(0.6) ? rng.hex(16) : null;
      const address = '0x' + rng.hex(40);
      this.users.push({ cloidPrefix, cloidCounter: rng.int(1 << 30), builder });
      this.addresses.push(address);
    }
  }

  get size(): number {
    return this.users.length;
  }

  /** A user without client order ids or builder; its index. */
  add(address: string): number {
    this.users.push({ cloidPrefix: null, cloidCounter: 0, builder: 'null' });
    this.addresses.push(address);
    return this.addresses.length - 1;
  }

  address(user: number): string {
    return this.addresses[user]!;
  }

  builder(user: number): string {
    return this.users[user]!.builder;
  }

  /** A user: one of the few market makers with probability `makerShare`, else anyone. */
  pick(makerShare: number): number {
    return this.rng.chance(makerShare) ? 1 + this.rng.int(MAKERS) : 1 + MAKERS + this.rng.int(USERS - 1 - MAKERS);
  }

  /** The user's next client order id, or null for users without. */
  cloid(user: number): string | null {
    const u = this.users[user]!;
    if (u.cloidPrefix === null) return null;
    u.cloidCounter = (u.cloidCounter + 1) % 0x7fffffff;
    return '0x' + u.cloidPrefix + u.cloidCounter.toString(16).padStart(16, '0');
  }
}

/** Resting orders each coin aims at, and how many of a spot coin's belong to the special address. */
export interface BookTargets {
  regular: number[];
  statusless: number[];
}

/** Spread the target book size over coins by weight (largest remainders get the rest). */
export function bookTargets(coins: readonly CoinSpec[], restingOrders: number): BookTargets {
  const total = coins.reduce((a, c) => a + c.weight, 0);
  const regular = coins.map((c) => (total > 0 ? Math.floor((restingOrders * c.weight) / total) : 0));
  let left = restingOrders - regular.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0 && coins.length > 0; i = (i + 1) % coins.length, left--) regular[i]!++;
  const statusless = coins.map((c, i) => (c.kind === 'spot' ? Math.max(4, Math.floor(regular[i]! / 5)) : 0));
  return { regular, statusless };
}

/**
 * The initial books: each coin's target of orders around its reference price, timestamped
 * over the hour before `startMs`, with the oids just below `s.nextOid`.
 */
export function populateBooks(s: MarketState, targets: BookTargets, startMs: number): void {
  const rng = s.rng;
  const total = targets.regular.reduce((a, b) => a + b, 0);
  let oid = s.nextOid - total - 1;
  for (const c of s.coins) {
    const book = s.books[c.id]!;
    const n = targets.regular[c.id]!;
    const statusless = c.kind === 'spot' ? targets.statusless[c.id]! : 0;
    const depth = s.walk.depth[c.id]!;
    for (let i = 0; i < n; i++) {
      const side: SideIx = (i & 1) === 0 ? BID : ASK;
      const u = rng.float();
      const off = Math.floor(depth * u * u);
      const px = clamp(side === BID ? c.refPx - 1 - off : c.refPx + off, c.minPx, c.maxPx);
      // Time priority: orders of one coin are created in timestamp order.
      const timestamp = startMs - 3_600_000 + Math.floor((i * 3_600_000) / Math.max(1, n));
      const lots = s.sizeLots(c);
      const order = initialOrder(s, c, { oid: oid++, side, px, lots, timestamp }, i < statusless);
      // Partially filled orders rest with less than their original size.
      if (rng.chance(0.2) && lots > 1) order.lots = lots - 1 - rng.int(lots - 1);
      book.rest(order);
    }
  }
  s.nextOid = oid + 1;
}

function initialOrder(
  s: MarketState,
  c: CoinSpec,
  o: { oid: number; side: SideIx; px: number; lots: number; timestamp: number },
  statusless: boolean,
): RestingOrder {
  const rng = s.rng;
  if (statusless)
    return newRestingOrder({ ...o, user: 0, kind: RestKind.Statusless, tif: 'Alo', orderType: 'Limit', reduceOnly: false, isPositionTpsl: false, cloid: null });
  const user = s.users.pick(0.8);
  const roll = rng.float();
  if (c.kind !== 'spot' && roll < 0.004) {
    const orderType = rng.pick(['Stop Limit', 'Stop Market', 'Take Profit Limit']);
    return newRestingOrder({
      ...o,
      user,
      kind: RestKind.Triggered,
      tif: 'Gtc',
      orderType,
      reduceOnly: rng.chance(0.7),
      isPositionTpsl: false,
      cloid: s.users.cloid(user),
    });
  }
  // A few very old orders carry `tif: null`, as in the real BTC snapshot.
  const tif = roll < 0.005 ? null : rng.chance(0.7) ? 'Gtc' : 'Alo';
  return newRestingOrder({
    ...o,
    user,
    kind: RestKind.Placed,
    tif,
    orderType: 'Limit',
    reduceOnly: rng.chance(0.03),
    isPositionTpsl: false,
    cloid: s.users.cloid(user),
  });
}
