/**
 * One paper account: perp cash and positions, spot balances, leverage per asset, open orders,
 * recent statuses and fills. Exact integers throughout; public-API shapes for the info answers.
 */
import type { CoinSpec } from '../market.js';
import type { RestingOrder } from '../matching-book.js';
import { NonceSet } from './nonces.js';

/** Starting balances of every new paper account (documented in docs/simulator.md). */
export const STARTING_PERP_USDC = 100_000n * 1_000_000n;
export const STARTING_SPOT_USDC = 100_000n * 1_000_000n;

/** Kept per account: the newest statuses (by oid) and fills. */
export const KEPT_STATUSES = 2_000;
export const KEPT_FILLS = 2_000;

export interface Position {
  /** Signed size in lots. */
  lots: number;
  /** Entry cost of the open size, ticks × lots (exact). */
  cost: bigint;
}

export interface Leverage {
  type: 'cross' | 'isolated';
  value: number;
}

export interface OpenOrder {
  coin: CoinSpec;
  order: RestingOrder;
}

export interface StatusRecord {
  coin: CoinSpec;
  /** The order as statuses show it (node JSON, parsed when asked). */
  orderJson: string;
  status: string;
  statusTimestamp: number;
}

export class Account {
  /** Source of its first L1 action ("a" mainnet, "b" testnet), null before any. */
  source: 'a' | 'b' | null = null;
  /** Perp cash: starting balance + realized PnL − fees, micro-USDC. */
  usdc = STARTING_PERP_USDC;
  /** Spot USDC, micro. */
  spotUsdc = STARTING_SPOT_USDC;
  /** Spot base balances by coin id, at scale szDecimals + 6 (fees in the base token stay exact). */
  readonly spot = new Map<number, bigint>();
  readonly positions = new Map<number, Position>();
  readonly leverage = new Map<number, Leverage>();
  readonly open = new Map<number, OpenOrder>();
  readonly statuses = new Map<number, StatusRecord>();
  readonly cloids = new Map<string, number>();
  /** Newest last; node JSON of the fill object. */
  readonly fills: string[] = [];
  readonly nonces = new NonceSet();
  /** Block time (ms) after which every open order is canceled (`scheduleCancel`), or null. */
  scheduledCancel: number | null = null;
  /** The account whose agents or vault owner may act for this one. */
  owner: string | null = null;

  constructor(
    readonly address: string,
    /** User index in the simulated market. */
    readonly user: number,
  ) {}

  recordStatus(oid: number, rec: StatusRecord, cloid: string | null): void {
    this.statuses.delete(oid);
    this.statuses.set(oid, rec);
    if (cloid !== null) this.cloids.set(cloid, oid);
    if (this.statuses.size > KEPT_STATUSES) {
      const first = this.statuses.keys().next().value as number;
      this.statuses.delete(first);
    }
  }

  recordFill(json: string): void {
    this.fills.push(json);
    if (this.fills.length > KEPT_FILLS) this.fills.splice(0, this.fills.length - KEPT_FILLS);
  }

  /** Orders still resting (drops those the market has removed since). */
  liveOrders(): OpenOrder[] {
    const out: OpenOrder[] = [];
    for (const [oid, o] of this.open) {
      if (o.order.level === null) this.open.delete(oid);
      else out.push(o);
    }
    return out;
  }
}
