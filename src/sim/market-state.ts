/**
 * What every part of the simulated market shares inside a block: the generator, the coins and
 * their books, the users, the fair prices, the next oid, and the block's output (statuses,
 * diffs, fills as the node's JSON). Actions run one after the other, like transactions on the
 * chain, so each one sees the state the previous ones left.
 */
import { formatScaled } from '../book/decimal.js';
import { EventSink } from './event-sink.js';
import type { CoinSpec } from './market.js';
import { MarketTape } from './market-tape.js';
import { MatchingBook, type RestingOrder, type SideIx } from './matching-book.js';
import { SIDE, diffJson, limitOrderJson, statusJson } from './node-json.js';
import type { Population } from './population.js';
import type { PriceWalk } from './price-walk.js';
import type { Rng } from '../util/rng.js';
import type { ExternalFill } from './sim-market.js';

/** The paper exchange as the market's parts see it: who its users are, and its own fills. */
export interface ExternalUsers {
  /** User indices from here on are the participant's. */
  from: number;
  fill(f: ExternalFill): string;
}

export class MarketState {
  readonly books: MatchingBook[];
  /** Last trades, open interest and day volumes (the info server's asset contexts). */
  readonly tape: MarketTape;
  /** Height of the last generated block (the books are at this height). */
  height: number;
  nextOid: number;
  external: ExternalUsers | null = null;

  // The block being made (set by `begin`).
  readonly statuses = new EventSink();
  readonly diffs = new EventSink();
  readonly fills = new EventSink();
  rejected = 0;
  /** Block time as the node writes it, and in epoch ms. */
  time = '';
  ms = 0;

  constructor(
    readonly rng: Rng,
    readonly coins: CoinSpec[],
    readonly users: Population,
    readonly walk: PriceWalk,
    height: number,
    nextOid: number,
  ) {
    this.books = coins.map(() => new MatchingBook());
    this.tape = new MarketTape(coins);
    this.height = height;
    this.nextOid = nextOid;
  }

  /** Start the next block at `time` / `ms`: the sinks are emptied for it. */
  begin(time: string, ms: number): void {
    this.height++;
    this.statuses.reset();
    this.diffs.reset();
    this.fills.reset();
    this.rejected = 0;
    this.time = time;
    this.ms = ms;
  }

  /** Is `user` one of the participant's (the paper exchange)? */
  isExternal(user: number): boolean {
    return this.external !== null && user >= this.external.from;
  }

  px(c: CoinSpec, ticks: number): string {
    return formatScaled(ticks, c.pxDecimals);
  }

  sz(c: CoinSpec, lots: number): string {
    return formatScaled(lots, c.szDecimals);
  }

  hash(): string {
    return '0x' + this.rng.hex(64);
  }

  /** An order size in lots around the coin's typical size, now and then much larger. */
  sizeLots(c: CoinSpec): number {
    const m = this.rng.range(1, 24) * (this.rng.chance(0.05) ? 10 : 1);
    return Math.max(1, Math.floor((c.typicalLots * m) / 8));
  }

  status(user: number, hash: string | null, status: string, order: string): void {
    this.statuses.add(statusJson(this.time, this.users.address(user), hash, this.users.builder(user), status, order));
  }

  diff(c: CoinSpec, o: RestingOrder, diff: string): void {
    this.diffs.add(diffJson(this.users.address(o.user), o.oid, c.json, SIDE[o.side], this.px(c, o.px), diff));
  }

  /** A limit order's JSON as its statuses show it when it is placed. */
  placedJson(c: CoinSpec, side: SideIx, px: number, lots: number, oid: number, tif: string | null, reduceOnly: boolean, cloid: string | null): string {
    const sz = this.sz(c, lots);
    return limitOrderJson({ coinJson: c.json, side: SIDE[side], limitPx: this.px(c, px), sz, oid, timestamp: this.ms, reduceOnly, origSz: sz, tif, cloid });
  }
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
