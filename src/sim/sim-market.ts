/**
 * The simulated exchange: every coin's book (the simulator's truth), users, and the order flow
 * that turns into what a node writes for each block: order statuses, raw book diffs and fills.
 *
 * Actions run one after the other inside a block, like transactions on the chain, so each one
 * sees the book the previous ones left. All prices and sizes are integers (ticks and lots of
 * the coin) and reach the files only through exact formatting.
 */
import type { L4SnapshotFile, NodeOrder } from '../book/events.js';
import { formatBigUnits, formatUnits } from './decimal.js';
import { HYPERLIQUIDITY_USER, type CoinSpec } from './market.js';
import { ASK, BID, MatchingBook, RestKind, type RestingOrder, type SideIx } from './matching-book.js';
import {
  REMOVE_DIFF,
  SIDE,
  diffJson,
  fillJson,
  newDiff,
  orderJson,
  restingOrderJson,
  restingOrderTail,
  statusJson,
  updateDiff,
} from './node-json.js';
import type { BlockPlan } from './profiles.js';
import { Rng } from './rng.js';
import { EventSink } from './event-sink.js';
import { MarketTape } from './market-tape.js';
import { codedError } from '../errors.js';

export interface SimMarketOptions {
  seed: number;
  coins: CoinSpec[];
  /** Resting orders at the start, spread over the coins by activity. */
  restingOrders: number;
  plan: BlockPlan;
  /** Height of the first block; the initial book is at `startHeight - 1`. */
  startHeight: number;
  /** Epoch ms of the start: initial orders are timestamped in the hour before it. */
  startMs: number;
}

/**
 * One block's events as the node's JSON, in node order. The sinks are reused by the next
 * block: write them (or copy them with `strings()`) before asking for another.
 */
export interface SimBlock {
  height: number;
  statuses: EventSink;
  diffs: EventSink;
  fills: EventSink;
  /** How many of `statuses` are `…Rejected`. */
  rejected: number;
}

interface User {
  address: string;
  /** Users with client order ids use a prefix and a counter, like real trading bots. */
  cloidPrefix: string | null;
  cloidCounter: number;
  /** `null` or the builder object's JSON. */
  builder: string;
}

interface PendingTrigger {
  oid: number;
  user: number;
  side: SideIx;
  below: boolean;
  triggerPx: number;
  limitPx: number;
  lots: number;
  orderType: string;
  reduceOnly: boolean;
  isPositionTpsl: boolean;
  cloid: string | null;
  timestamp: number;
  placedHeight: number;
}

interface Position {
  lots: number;
  /** Entry price in ticks (the price of the last opening fill: a simplification). */
  entryPx: number;
}

/** A consistent copy of the books at one height, cheap to take (orders are shared, sizes copied). */
export interface CapturedBooks {
  height: number;
  coins: { coin: CoinSpec; sides: [RestingOrder[], RestingOrder[]]; lots: [number[], number[]] }[];
  users: readonly string[];
}

const MAKERS = 60;
const USERS = 3000;
const TRIGGER_CAP = 24;
const TAKER_FEE_PPM = 405n;
const MAKER_FEE_PPM = -30n;
const ZERO_HASH = '0x' + '0'.repeat(64);
const BUILDERS = ['0x64c0d5bb9b5b8c3d5b2c1d8d3e8c6d1f5b0a975f', '0xb84168cf3be63c6b8dad05ff5d755e97432ff80b'];

const REJECT_ALO = 'badAloPxRejected';
/**
 * Share of Alo placements at a price that already holds orders which pay for priority (ALO
 * priority fees, since July 2026): their `new` diff carries `insertBefore` and they join the
 * level just ahead of a resting order (docs/simulator.md).
 */
export const ALO_PRIORITY_SHARE = 0.2;
const A_KIND = { reject: 0, openOrCancel: 1, taker: 2, triggerPlace: 3, refresh: 4 } as const;

export class SimMarket {
  readonly coins: CoinSpec[];
  readonly books: MatchingBook[];
  /** Last trades, open interest and day volumes (the info server's asset contexts). */
  readonly tape: MarketTape;
  /** Height of the last generated block (the books are at this height). */
  height: number;
  private readonly rng: Rng;
  private readonly users: User[] = [];
  private readonly addresses: string[] = [];
  private readonly plan: BlockPlan;
  private readonly targets: number[];
  private readonly statuslessTargets: number[];
  private readonly depth: number[];
  private readonly trend: Int8Array;
  /** Per coin, the price (ticks) the market makers quote around: a random walk the book follows. */
  readonly fair: number[];
  /** Per coin, ticks the fair price moves in one step, and the chance of a step per block. */
  private readonly vol: number[];
  private readonly volChance: number[];
  private readonly pending: PendingTrigger[][];
  private readonly positions = new Map<number, Position>();
  private readonly cumAll: number[];
  private readonly cumPerp: number[];
  private readonly cumSpot: number[];
  private readonly perpIds: number[];
  private readonly spotIds: number[];
  private nextOid: number;
  private nextTwap = 1_790_000;
  private readonly firstHeight: number;
  /** The paper exchange, when attached: its users are indices ≥ `externalFrom`. */
  private participant: MarketParticipant | null = null;
  private externalFrom = Number.MAX_SAFE_INTEGER;
  private external: ExternalMarket | null = null;

  // Per-block output and context (set by nextBlock).
  private readonly statuses = new EventSink();
  private readonly diffs = new EventSink();
  private readonly fills = new EventSink();
  private rejected = 0;
  private time = '';
  private ms = 0;

  constructor(opts: SimMarketOptions) {
    this.rng = new Rng(opts.seed);
    this.coins = opts.coins;
    this.plan = opts.plan;
    this.height = opts.startHeight - 1;
    this.firstHeight = opts.startHeight;
    this.books = this.coins.map(() => new MatchingBook());
    this.tape = new MarketTape(this.coins);
    this.trend = new Int8Array(this.coins.length);
    this.pending = this.coins.map(() => []);
    this.depth = this.coins.map((c) => Math.max(8, Math.floor(c.refPx / 50)));
    this.fair = this.coins.map((c) => c.refPx);
    this.vol = this.coins.map((c) => Math.max(1, Math.floor(c.refPx / 30_000)));
    this.volChance = this.coins.map((c) => Math.min(0.5, c.refPx / 60_000));
    this.perpIds = this.coins.filter((c) => c.kind !== 'spot').map((c) => c.id);
    this.spotIds = this.coins.filter((c) => c.kind === 'spot').map((c) => c.id);
    this.cumAll = cumulative(this.coins.map((c) => c.weight));
    this.cumPerp = cumulative(this.perpIds.map((id) => this.coins[id]!.weight));
    this.cumSpot = cumulative(this.spotIds.map((id) => this.coins[id]!.weight));

    this.users.push({ address: HYPERLIQUIDITY_USER, cloidPrefix: null, cloidCounter: 0, builder: 'null' });
    for (let i = 1; i < USERS; i++) {
      const builder = this.rng.chance(0.03) ? `{"b":"${this.rng.pick(BUILDERS)}","f":${this.rng.pick([10, 25, 50])}}` : 'null';
      const cloidPrefix = this.rng.chance(0.6) ? this.rng.hex(16) : null;
      this.users.push({ address: '0x' + this.rng.hex(40), cloidPrefix, cloidCounter: this.rng.int(1 << 30), builder });
    }
    for (const u of this.users) this.addresses.push(u.address);

    // Spread the target book size over coins by weight (largest remainders get the rest).
    const total = this.cumAll[this.cumAll.length - 1] ?? 0;
    this.targets = this.coins.map((c) => (total > 0 ? Math.floor((opts.restingOrders * c.weight) / total) : 0));
    let left = opts.restingOrders - this.targets.reduce((a, b) => a + b, 0);
    for (let i = 0; left > 0 && this.coins.length > 0; i = (i + 1) % this.coins.length, left--) this.targets[i]!++;
    this.statuslessTargets = this.coins.map((c, i) => (c.kind === 'spot' ? Math.max(4, Math.floor(this.targets[i]! / 5)) : 0));

    // Oids above 2^32 like mainnet's; the initial orders take the ones just below the start.
    this.nextOid = 412_000_000_000;
    this.seedBooks(opts.startMs);
  }

  /** Addresses by user index (index 0 is the special spot address). */
  get userAddresses(): readonly string[] {
    return this.addresses;
  }

  /** Block time (epoch ms) of the last block made; undefined before the first. */
  get blockMs(): number | undefined {
    return this.height >= this.firstHeight ? this.ms : undefined;
  }

  /** Resting orders on all books. */
  get restingCount(): number {
    let n = 0;
    for (const b of this.books) n += b.size;
    return n;
  }

  private seedBooks(startMs: number): void {
    const total = this.targets.reduce((a, b) => a + b, 0);
    let oid = this.nextOid - total - 1;
    for (const c of this.coins) {
      const book = this.books[c.id]!;
      const n = this.targets[c.id]!;
      const statusless = c.kind === 'spot' ? this.statuslessTargets[c.id]! : 0;
      const depth = this.depth[c.id]!;
      for (let i = 0; i < n; i++) {
        const side: SideIx = (i & 1) === 0 ? BID : ASK;
        const u = this.rng.float();
        const off = Math.floor(depth * u * u);
        const px = clamp(side === BID ? c.refPx - 1 - off : c.refPx + off, c.minPx, c.maxPx);
        // Time priority: orders of one coin are created in timestamp order.
        const timestamp = startMs - 3_600_000 + Math.floor((i * 3_600_000) / Math.max(1, n));
        const lots = this.sizeLots(c);
                let order: RestingOrder;
        if (i < statusless) {
          order = this.newOrder(oid++, 0, side, px, lots, timestamp, RestKind.Statusless, 'Alo', 'Limit', false, false, null);
        } else {
          const user = this.pickUser(0.8);
          const roll = this.rng.float();
          if (c.kind !== 'spot' && roll < 0.004) {
            const type = this.rng.pick(['Stop Limit', 'Stop Market', 'Take Profit Limit']);
            order = this.newOrder(oid++, user, side, px, lots, timestamp, RestKind.Triggered, 'Gtc', type, this.rng.chance(0.7), false, this.cloid(user));
          } else {
            // A few very old orders carry `tif: null`, as in the real BTC snapshot.
            const tif = roll < 0.005 ? null : this.rng.chance(0.7) ? 'Gtc' : 'Alo';
            order = this.newOrder(oid++, user, side, px, lots, timestamp, RestKind.Placed, tif, 'Limit', this.rng.chance(0.03), false, this.cloid(user));
          }
        }
        // Partially filled orders rest with less than their original size.
        if (this.rng.chance(0.2) && lots > 1) order.lots = lots - 1 - this.rng.int(lots - 1);
        book.rest(order);
      }
    }
    this.nextOid = oid + 1;
  }

  private newOrder(
    oid: number,
    user: number,
    side: SideIx,
    px: number,
    lots: number,
    timestamp: number,
    kind: RestKind,
    tif: string | null,
    orderType: string,
    reduceOnly: boolean,
    isPositionTpsl: boolean,
    cloid: string | null,
  ): RestingOrder {
    return { oid, user, side, px, lots, origLots: lots, timestamp, kind, tif, orderType, reduceOnly, isPositionTpsl, cloid, prev: null, next: null, level: null, slot: -1, snapshotTail: null };
  }

  /**
   * Generate the next block at `time` (the node's time string of the block) / `ms` (its epoch
   * ms). Mutates the books: after this call they are at the returned height.
   */
  nextBlock(time: string, ms: number): SimBlock {
    this.height++;
    this.statuses.reset();
    this.diffs.reset();
    this.fills.reset();
    this.rejected = 0;
    this.time = time;
    this.ms = ms;
    // Actions sent to the paper exchange go first in the block, before the generated flow.
    if (this.participant) this.participant.beginBlock(this.external!);
    const rng = this.rng;
    const p = this.plan;
    const counts = [
      rng.count(p.rejections, 0.25),
      rng.count(p.openOrCancel, 0.25),
      rng.count(p.takers),
      rng.count(p.triggerPlacements),
      this.spotIds.length > 0 ? rng.count(p.statuslessRefresh, 0.25) : 0,
    ];
    const n = counts.reduce((a, b) => a + b, 0);
    const actions = new Uint8Array(n);
    let k = 0;
    for (let kind = 0; kind < counts.length; kind++) for (let j = 0; j < counts[kind]!; j++) actions[k++] = kind;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = actions[i]!;
      actions[i] = actions[j]!;
      actions[j] = t;
    }
    for (let i = 0; i < n; i++) {
      switch (actions[i]) {
        case A_KIND.reject: this.reject(this.pickCoin(this.cumAll, null)); break;
        case A_KIND.openOrCancel: this.openOrCancel(this.pickCoin(this.cumAll, null)); break;
        case A_KIND.taker: this.taker(this.pickCoin(this.cumAll, null)); break;
        case A_KIND.triggerPlace:
          if (this.perpIds.length > 0) this.placeTrigger(this.pickCoin(this.cumPerp, this.perpIds));
          else this.openOrCancel(this.pickCoin(this.cumAll, null));
          break;
        default: this.refresh(this.pickCoin(this.cumSpot, this.spotIds)); break;
      }
    }
    this.fireTriggers();
    this.driftTrends();
    return { height: this.height, statuses: this.statuses, diffs: this.diffs, fills: this.fills, rejected: this.rejected };
  }

  // ---- picking ----

  private pickCoin(cum: number[], ids: number[] | null): CoinSpec {
    const total = cum[cum.length - 1]!;
    const r = this.rng.int(total);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return this.coins[ids === null ? lo : ids[lo]!]!;
  }

  /** A user: one of the few market makers with probability `makerShare`, else anyone. */
  private pickUser(makerShare: number): number {
    return this.rng.chance(makerShare) ? 1 + this.rng.int(MAKERS) : 1 + MAKERS + this.rng.int(USERS - 1 - MAKERS);
  }

  private cloid(user: number): string | null {
    const u = this.users[user]!;
    if (u.cloidPrefix === null) return null;
    u.cloidCounter = (u.cloidCounter + 1) % 0x7fffffff;
    return '0x' + u.cloidPrefix + u.cloidCounter.toString(16).padStart(16, '0');
  }

  private hash(): string {
    return '0x' + this.rng.hex(64);
  }

  /** An order size in lots around the coin's typical size, now and then much larger. */
  private sizeLots(c: CoinSpec): number {
    const m = this.rng.range(1, 24) * (this.rng.chance(0.05) ? 10 : 1);
    return Math.max(1, Math.floor((c.typicalLots * m) / 8));
  }

  private px(c: CoinSpec, ticks: number): string {
    return formatUnits(ticks, c.pxDecimals);
  }

  private sz(c: CoinSpec, lots: number): string {
    return formatUnits(lots, c.szDecimals);
  }

  // ---- emitting ----

  private status(user: number, hash: string | null, status: string, order: string): void {
    this.statuses.add(statusJson(this.time, this.addresses[user]!, hash, this.users[user]!.builder, status, order));
  }

  private diff(c: CoinSpec, o: RestingOrder, diff: string): void {
    this.diffs.add(diffJson(this.addresses[o.user]!, o.oid, c.json, SIDE[o.side], this.px(c, o.px), diff));
  }

  /** A limit order's JSON as its statuses show it when it is placed. */
  private placedJson(c: CoinSpec, side: SideIx, px: number, lots: number, oid: number, tif: string | null, reduceOnly: boolean, cloid: string | null): string {
    const sz = this.sz(c, lots);
    return orderJson(c.json, SIDE[side], this.px(c, px), sz, oid, this.ms, 'N/A', false, '0.0', false, reduceOnly, 'Limit', sz, tif, cloid);
  }

  // ---- actions ----

  /** A status that changes nothing: most of what a node writes. */
  private reject(c: CoinSpec): void {
    const book = this.books[c.id]!;
    const rng = this.rng;
    const side: SideIx = rng.chance(0.5) ? BID : ASK;
    const sign = side === BID ? 1 : -1;
    const opp = book.sides[1 - side]!.bestPx();
    const own = book.sides[side]!.bestPx();
    const user = this.pickUser(0.85);
    let lots = this.sizeLots(c);
    let status: string;
    let tif = 'Alo';
    let px: number;
    let reduceOnly = rng.chance(0.12);
    const roll = rng.float();
    if (roll < 0.86 && opp !== undefined) {
      // An Alo order that would cross: the bulk of mainnet's statuses.
      status = REJECT_ALO;
      px = opp + sign * rng.int(1 + (rng.chance(0.1) ? this.depth[c.id]! : 3));
    } else if (roll < 0.93) {
      status = c.kind === 'spot' ? 'insufficientSpotBalanceRejected' : 'perpMarginRejected';
      tif = rng.chance(0.7) ? 'Ioc' : 'Alo';
      reduceOnly = false;
      px = (opp ?? own ?? c.refPx) + sign * rng.int(3);
    } else if (roll < 0.975 && opp !== undefined) {
      // An Ioc order that reaches nothing.
      status = 'iocCancelRejected';
      tif = 'Ioc';
      px = opp - sign * (1 + rng.int(5));
    } else if (roll < 0.99) {
      status = 'reduceOnlyRejected';
      tif = rng.chance(0.5) ? 'Ioc' : 'Alo';
      reduceOnly = true;
      px = (own ?? opp ?? c.refPx) - sign * rng.int(5);
    } else {
      status = 'minTradeNtlRejected';
      tif = 'Ioc';
      lots = 1;
      px = (opp ?? own ?? c.refPx) + sign * rng.int(3);
    }
    px = clamp(px, c.minPx, c.maxPx);
    this.status(user, null, status, this.placedJson(c, side, px, lots, this.nextOid++, tif, reduceOnly, this.cloid(user)));
    this.rejected++;
  }

  private openOrCancel(c: CoinSpec): void {
    const book = this.books[c.id]!;
    const target = this.targets[c.id]!;
    const n = book.regular.length;
    const pOpen = 0.5 + clampF(((target - n) / Math.max(1, target)) * 4, -0.45, 0.45);
    if (n > 0 && !this.rng.chance(pOpen)) this.cancel(c, book);
    else this.open(c, book);
  }

  /** A price that rests without crossing on `side`, or undefined if none fits the band. */
  private passivePx(c: CoinSpec, book: MatchingBook, side: SideIx): number | undefined {
    const away = side === BID ? -1 : 1;
    const opp = book.sides[1 - side]!.bestPx();
    const u = this.rng.float();
    // Quotes gather near the fair price and thin out with distance.
    let px = this.fair[c.id]! + away * (1 + Math.floor(this.depth[c.id]! * u * u * u));
    px = clamp(px, c.minPx, c.maxPx);
    if (opp !== undefined && (side === BID ? px >= opp : px <= opp)) px = opp + away;
    return px < c.minPx || px > c.maxPx ? undefined : px;
  }

  private open(c: CoinSpec, book: MatchingBook): void {
    const side: SideIx = this.rng.chance(0.5) ? BID : ASK;
    const px = this.passivePx(c, book, side);
    if (px === undefined) {
      this.reject(c);
      return;
    }
    const user = this.pickUser(0.8);
    const lots = this.sizeLots(c);
    const tif = this.rng.chance(0.85) ? 'Alo' : 'Gtc';
    const reduceOnly = c.kind !== 'spot' && this.rng.chance(0.03);
    const cloid = this.cloid(user);
    const oid = this.nextOid++;
    this.status(user, this.hash(), 'open', this.placedJson(c, side, px, lots, oid, tif, reduceOnly, cloid));
    const order = this.newOrder(oid, user, side, px, lots, this.ms, RestKind.Placed, tif, 'Limit', reduceOnly, false, cloid);
    const ahead = tif === 'Alo' ? this.priorityTarget(book, side, px) : null;
    book.rest(order, ahead);
    this.diff(c, order, newDiff(this.sz(c, lots), ahead?.oid));
  }

  /**
   * For an Alo order paying for priority (`ALO_PRIORITY_SHARE` of those joining a level that
   * holds orders): the resting order it goes ahead of, anywhere in the queue but most often
   * near its front (that is what the fee buys). Null: the back of the level.
   */
  private priorityTarget(book: MatchingBook, side: SideIx, px: number): RestingOrder | null {
    const level = book.sides[side].level(px);
    if (level === undefined || level.count === 0 || !this.rng.chance(ALO_PRIORITY_SHARE)) return null;
    const u = this.rng.float();
    let k = Math.floor(level.count * u * u);
    let o = level.head!;
    while (k-- > 0 && o.next !== null) o = o.next;
    return o;
  }

  private cancel(c: CoinSpec, book: MatchingBook): void {
    // Makers pull quotes the fair price has passed; other cancels hit any order.
    const fair = this.fair[c.id]!;
    let o: RestingOrder | undefined;
    if (this.rng.chance(0.5)) {
      const bid = book.sides[BID].best()?.head;
      const ask = book.sides[ASK].best()?.head;
      if (bid && bid.px >= fair && bid.kind !== RestKind.Statusless) o = bid;
      else if (ask && ask.px <= fair && ask.kind !== RestKind.Statusless) o = ask;
    }
    o ??= book.regular[this.rng.int(book.regular.length)]!;
    if (o.user >= this.externalFrom) return;
    const roll = this.rng.float();
    const status = roll < 0.97 ? 'canceled' : roll < 0.985 ? 'marginCanceled' : o.reduceOnly ? 'reduceOnlyCanceled' : 'canceled';
    this.status(o.user, null, status, restingOrderJson(c, o, o.lots));
    this.diff(c, o, REMOVE_DIFF);
    book.remove(o);
  }

  private taker(c: CoinSpec): void {
    const book = this.books[c.id]!;
    const rng = this.rng;
    // Takers mostly trade towards the fair price.
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const mid2 = bb !== undefined && ba !== undefined ? bb + ba : 2 * this.fair[c.id]!;
    const up = mid2 < 2 * this.fair[c.id]! ? 0.75 : mid2 > 2 * this.fair[c.id]! ? 0.25 : 0.5;
    const side: SideIx = rng.chance(up) ? BID : ASK;
    const dir = side === BID ? 1 : -1;
    const oppBest = book.sides[1 - side]!.bestPx();
    if (oppBest === undefined) {
      this.open(c, book);
      return;
    }
    const user = this.pickUser(0.1);
    const twap = c.kind !== 'spot' && rng.chance(0.1);
    const gtc = !twap && rng.chance(0.25);
    // Market orders carry a 5 % slippage limit; others reach a few ticks through.
    let limit = !gtc && rng.chance(0.5) ? oppBest + dir * Math.max(1, Math.floor(oppBest / 20)) : oppBest + dir * rng.int(3);
    limit = clamp(limit, c.minPx, c.maxPx);
    if (side === BID ? limit < oppBest : limit > oppBest) limit = oppBest;
    const want = this.sizeLots(c);
    const lots = gtc ? want : book.available(side, limit, want, user);
    const oid = this.nextOid++;
    const cloid = twap ? null : this.cloid(user);
    const tif = gtc ? 'Gtc' : 'Ioc';
    if (lots === 0) {
      // Only the taker's own orders were in reach.
      this.status(user, null, 'iocCancelRejected', this.placedJson(c, side, limit, want, oid, tif, false, cloid));
      this.rejected++;
      return;
    }
    const hash = twap ? ZERO_HASH : this.hash();
    const twapId = twap ? this.nextTwap++ : null;
    if (!twap) this.status(user, hash, 'open', this.placedJson(c, side, limit, lots, oid, tif, false, cloid));
    const opposite = book.sides[1 - side]!;
    let rem = lots;
    while (rem > 0) {
      const level = opposite.best();
      if (!level || (side === BID ? level.px > limit : level.px < limit)) break;
      const maker = level.head!;
      if (maker.user === user) {
        // Self-trade prevention cancels the resting order.
        this.status(maker.user, null, 'selfTradeCanceled', restingOrderJson(c, maker, maker.lots));
        this.diff(c, maker, REMOVE_DIFF);
        book.remove(maker);
        continue;
      }
      const qty = Math.min(rem, maker.lots);
      this.trade(c, { user, oid, side, cloid, hash, twapId }, maker, level.px, qty);
      if (qty === maker.lots) {
        this.diff(c, maker, REMOVE_DIFF);
        if (maker.kind !== RestKind.Statusless) this.status(maker.user, null, 'filled', restingOrderJson(c, maker, 0));
        book.remove(maker);
      } else {
        this.diff(c, maker, updateDiff(this.sz(c, maker.lots), this.sz(c, maker.lots - qty)));
        maker.lots -= qty;
      }
      rem -= qty;
    }
    if (rem === 0) {
      if (!twap) this.status(user, null, 'filled', orderJson(c.json, SIDE[side], this.px(c, limit), '0.0', oid, this.ms, 'N/A', false, '0.0', false, false, 'Limit', this.sz(c, lots), tif, cloid));
    } else if (gtc) {
      const order = this.newOrder(oid, user, side, limit, rem, this.ms, RestKind.Placed, 'Gtc', 'Limit', false, false, cloid);
      order.origLots = lots;
      book.rest(order);
      this.diff(c, order, newDiff(this.sz(c, rem)));
    } else if (!twap) {
      this.status(user, null, 'canceled', orderJson(c.json, SIDE[side], this.px(c, limit), this.sz(c, rem), oid, this.ms, 'N/A', false, '0.0', false, false, 'Limit', this.sz(c, lots), tif, cloid));
    }
  }

  /** Two fill events of one trade, sharing a `tid`; the taker's is `crossed:true`. */
  private trade(
    c: CoinSpec,
    taker: { user: number; oid: number; side: SideIx; cloid: string | null; hash: string; twapId: number | null },
    maker: RestingOrder,
    pxTicks: number,
    qty: number,
  ): void {
    const tid = this.rng.u50();
    this.tape.trade(c.id, pxTicks, qty, this.ms);
    const px = this.px(c, pxTicks);
    const sz = this.sz(c, qty);
    const takerFill = this.fillFor(c, taker.user, taker.side, pxTicks, px, qty, sz, taker.hash, taker.oid, true, tid, taker.cloid, taker.twapId);
    const makerFill = this.fillFor(c, maker.user, maker.side, pxTicks, px, qty, sz, taker.hash, maker.oid, false, tid, maker.kind === RestKind.Statusless ? null : maker.cloid, null);
    if (this.rng.chance(0.5)) {
      this.fills.add(takerFill);
      this.fills.add(makerFill);
    } else {
      this.fills.add(makerFill);
      this.fills.add(takerFill);
    }
  }

  private fillFor(
    c: CoinSpec,
    user: number,
    side: SideIx,
    pxTicks: number,
    px: string,
    qty: number,
    sz: string,
    hash: string,
    oid: number,
    crossed: boolean,
    tid: number,
    cloid: string | null,
    twapId: number | null,
  ): string {
    if (user >= this.externalFrom) return this.participant!.fill({ coin: c, user, side, pxTicks, lots: qty, hash, oid, crossed, tid, cloid, time: this.ms });
    const scale = c.pxDecimals + c.szDecimals;
    const key = user * 4096 + c.id;
    let pos = this.positions.get(key);
    if (!pos) {
      pos = { lots: 0, entryPx: pxTicks };
      this.positions.set(key, pos);
    }
    const signed = side === BID ? qty : -qty;
    let dir: string;
    let closedPnl = '0.0';
    if (c.kind === 'spot') {
      dir = side === BID ? 'Buy' : 'Sell';
      // Spot balances cannot go negative: a seller holds at least what it sells.
      if (side === ASK && pos.lots < qty) pos.lots = qty * 2;
    } else {
      const start = pos.lots;
      if (start === 0 || Math.sign(start) === Math.sign(signed)) {
        dir = side === BID ? 'Open Long' : 'Open Short';
      } else {
        const closed = Math.min(qty, Math.abs(start));
        dir = qty > Math.abs(start) ? (side === BID ? 'Short > Long' : 'Long > Short') : side === BID ? 'Close Short' : 'Close Long';
        const pnl = BigInt(pxTicks - pos.entryPx) * BigInt(closed) * (start > 0 ? 1n : -1n);
        closedPnl = scale > 6 ? formatBigUnits(pnl / 10n ** BigInt(scale - 6), 6) : formatBigUnits(pnl, scale);
      }
    }
    const startPosition = formatUnits(pos.lots, c.szDecimals);
    const startLots = pos.lots;
    pos.lots += signed;
    if (c.kind !== 'spot') this.tape.position(c.id, startLots, pos.lots);
    if (c.kind !== 'spot' && (startLots === 0 || Math.sign(startLots) !== Math.sign(pos.lots))) pos.entryPx = pxTicks;
    if (pos.lots === 0) this.positions.delete(key);
    const ppm = crossed ? TAKER_FEE_PPM : MAKER_FEE_PPM;
    let fee: string;
    let feeToken = 'USDC';
    if (c.kind === 'spot' && side === BID) {
      // A spot buyer pays its fee in the token it receives (at most 8 decimals, truncated).
      const scale = c.szDecimals + 6;
      fee = scale > 8 ? formatBigUnits((BigInt(qty) * ppm) / 10n ** BigInt(scale - 8), 8) : formatBigUnits(BigInt(qty) * ppm, scale);
      feeToken = c.spot!.base;
    } else {
      fee = formatBigUnits((BigInt(pxTicks) * BigInt(qty) * ppm) / 10n ** BigInt(scale), 6);
    }
    return fillJson(this.addresses[user]!, { coinJson: c.json, px, sz, side: SIDE[side], time: this.ms, startPosition, dir, closedPnl, hash, oid, crossed, fee, tid, cloid, feeToken, twapId });
  }

  private placeTrigger(c: CoinSpec): void {
    const book = this.books[c.id]!;
    const rng = this.rng;
    const bb = book.bestBid();
    const ba = book.bestAsk();
    const mid = bb !== undefined && ba !== undefined ? Math.floor((bb + ba) / 2) : (bb ?? ba ?? c.refPx);
    const side: SideIx = rng.chance(0.5) ? BID : ASK;
    const below = rng.chance(0.5);
    // A sell below the market or a buy above it is a stop; the other two are take-profits.
    const stop = (side === ASK) === below;
    const market = rng.chance(0.5);
    const orderType = (stop ? 'Stop' : 'Take Profit') + (market ? ' Market' : ' Limit');
    const step = this.vol[c.id]!;
    const triggerPx = clamp(mid + (below ? -1 : 1) * step * rng.range(1, 8), c.minPx, c.maxPx);
    const through = side === BID ? 1 : -1;
    const limitPx = clamp(market ? triggerPx + through * Math.max(1, Math.floor(triggerPx / 10)) : triggerPx + through * step * rng.range(1, 4), c.minPx, c.maxPx);
    const user = this.pickUser(0.2);
    const t: PendingTrigger = {
      oid: this.nextOid++,
      user,
      side,
      below,
      triggerPx,
      limitPx,
      lots: this.sizeLots(c),
      orderType,
      reduceOnly: rng.chance(0.7),
      isPositionTpsl: rng.chance(0.1),
      cloid: this.cloid(user),
      timestamp: this.ms,
      placedHeight: this.height,
    };
    const list = this.pending[c.id]!;
    list.push(t);
    this.status(user, this.hash(), 'open', this.triggerJson(c, t));
    if (list.length > TRIGGER_CAP) {
      const old = list.shift()!;
      this.status(old.user, null, 'canceled', this.triggerJson(c, old));
    }
  }

  private triggerJson(c: CoinSpec, t: PendingTrigger): string {
    const tp = this.px(c, t.triggerPx);
    // "Price below 77409" for 77409.0; "Price above 3000.5" keeps its decimals.
    const condition = `Price ${t.below ? 'below' : 'above'} ${tp.endsWith('.0') ? tp.slice(0, -2) : tp}`;
    const sz = this.sz(c, t.lots);
    return orderJson(c.json, SIDE[t.side], this.px(c, t.limitPx), sz, t.oid, t.timestamp, condition, true, tp, t.isPositionTpsl, t.reduceOnly, t.orderType, sz, null, t.cloid);
  }

  /** Trigger orders whose condition the book now meets: `triggered`, then they rest (or are rejected). */
  private fireTriggers(): void {
    for (let id = 0; id < this.pending.length; id++) {
      const list = this.pending[id]!;
      if (list.length === 0) continue;
      const c = this.coins[id]!;
      const book = this.books[id]!;
      const bb = book.bestBid();
      const ba = book.bestAsk();
      if (bb === undefined || ba === undefined) continue;
      const mid2 = bb + ba;
      for (let i = 0; i < list.length; i++) {
        const t = list[i]!;
        if (t.placedHeight === this.height) continue;
        if (t.below ? mid2 > 2 * t.triggerPx : mid2 < 2 * t.triggerPx) continue;
        list.splice(i--, 1);
        this.status(t.user, null, 'triggered', this.triggerJson(c, t));
        // It now rests near the touch, at a price other than its limitPx.
        let px = t.side === ASK ? Math.max(ba, bb + 1) + this.rng.int(3) : Math.min(bb, ba - 1) - this.rng.int(3);
        if (px === t.limitPx) px += t.side === ASK ? 1 : -1;
        const crosses = t.side === ASK ? px <= bb : px >= ba;
        if (this.rng.chance(0.1) || crosses || px < c.minPx || px > c.maxPx) {
          this.status(t.user, null, 'minTradeNtlRejected', this.triggerJson(c, t));
          this.rejected++;
          continue;
        }
        const order = this.newOrder(t.oid, t.user, t.side, px, t.lots, this.ms, RestKind.Triggered, 'Gtc', t.orderType, t.reduceOnly, t.isPositionTpsl, t.cloid);
        book.rest(order);
        this.diff(c, order, newDiff(this.sz(c, t.lots)));
      }
    }
  }

  /** The special spot address moves one of its orders: a `remove` and a `new`, no statuses. */
  private refresh(c: CoinSpec): void {
    const book = this.books[c.id]!;
    const list = book.statusless;
    if (list.length > 0 && (list.length >= this.statuslessTargets[c.id]! || this.rng.chance(0.5))) {
      const o = list[this.rng.int(list.length)]!;
      this.diff(c, o, REMOVE_DIFF);
      book.remove(o);
    }
    const side: SideIx = this.rng.chance(0.5) ? BID : ASK;
    const px = this.passivePx(c, book, side);
    if (px === undefined) return;
    const lots = this.sizeLots(c);
    const order = this.newOrder(this.nextOid++, 0, side, px, lots, this.ms, RestKind.Statusless, 'Alo', 'Limit', false, false, null);
    book.rest(order);
    this.diff(c, order, newDiff(this.sz(c, lots)));
  }

  /**
   * The fair prices take a step (leaning with the coin's trend); trends turn now and then and
   * lean back towards the reference price far from it.
   */
  private driftTrends(): void {
    const rng = this.rng;
    for (let id = 0; id < this.coins.length; id++) {
      const c = this.coins[id]!;
      if (rng.chance(this.volChance[id]!)) {
        const up = rng.chance(0.5 + 0.1 * this.trend[id]!);
        this.fair[id] = clamp(this.fair[id]! + (up ? 1 : -1) * this.vol[id]!, c.minPx + 1, c.maxPx - 1);
      }
      if (!rng.chance(0.01)) continue;
      const fair = this.fair[id]!;
      if (fair * 10 > c.refPx * 14) this.trend[id] = -1;
      else if (fair * 10 < c.refPx * 7) this.trend[id] = 1;
      else this.trend[id] = rng.int(3) - 1;
    }
  }

  // ---- external participants ----

  /**
   * Let a participant (the paper exchange) trade on these books: it acts at the start of each
   * block through the returned handle, with the same statuses, diffs and fills as the generated
   * flow, and keeps its own users' accounts (it writes their fill events).
   */
  attach(participant: MarketParticipant): ExternalMarket {
    if (this.participant) throw codedError('USAGE', 'a participant is already attached to this market');
    this.participant = participant;
    this.externalFrom = this.users.length;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const m = this;
    this.external = {
      get height() { return m.height; },
      get time() { return m.time; },
      get ms() { return m.ms; },
      coins: this.coins,
      books: this.books,
      addUser: (address) => {
        m.users.push({ address, cloidPrefix: null, cloidCounter: 0, builder: 'null' });
        m.addresses.push(address);
        return m.addresses.length - 1;
      },
      isExternal: (user) => user >= m.externalFrom,
      nextOid: () => m.nextOid++,
      status: (user, hash, status, order) => {
        m.status(user, hash, status, order);
        if (status.endsWith('Rejected')) m.rejected++;
      },
      diff: (c, o, diff) => m.diff(c, o, diff),
      trade: (c, taker, maker, pxTicks, qty) => m.trade(c, { ...taker, twapId: null }, maker, pxTicks, qty),
      newOrder: (oid, user, side, px, lots, tif, reduceOnly, cloid) =>
        m.newOrder(oid, user, side, px, lots, m.ms, RestKind.Placed, tif, 'Limit', reduceOnly, false, cloid),
    };
    return this.external;
  }

  // ---- snapshots ----

  /**
   * Make the snapshot text of every resting order now (what changes with each snapshot, the
   * size, aside), as a node holds its state ready: the first snapshot then writes as fast as
   * later ones. Orders placed later get theirs on their first snapshot.
   */
  warmSnapshotText(): void {
    for (const c of this.coins) {
      for (const side of this.books[c.id]!.sides) {
        for (const lv of side.levels) for (let o = lv.head; o !== null; o = o.next) restingOrderTail(c, o);
      }
    }
  }

  /** The books now, cheaply: order objects shared, current sizes copied. */
  capture(): CapturedBooks {
    const coins: CapturedBooks['coins'] = [];
    for (const c of this.coins) {
      const book = this.books[c.id]!;
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
      coins.push({ coin: c, sides, lots });
    }
    return { height: this.height, coins, users: this.addresses };
  }

  /** The books now as the node's L4 snapshot file (parsed form). */
  snapshot(): L4SnapshotFile {
    return capturedToSnapshot(this.capture());
  }
}

/** A fill of a participant's user, for its accounts; it returns the fill event's JSON. */
export interface ExternalFill {
  coin: CoinSpec;
  user: number;
  side: SideIx;
  pxTicks: number;
  lots: number;
  hash: string;
  oid: number;
  crossed: boolean;
  tid: number;
  cloid: string | null;
  /** Block time, epoch ms. */
  time: number;
}

/** Someone trading on the simulated books besides the generated flow (the paper exchange). */
export interface MarketParticipant {
  /** At the start of every block, before the generated flow: apply what is queued. */
  beginBlock(market: ExternalMarket): void;
  /** One of its users traded (as taker or maker): book it, return the fill event's JSON. */
  fill(f: ExternalFill): string;
}

/** What a participant may do on the market, inside `beginBlock`. */
export interface ExternalMarket {
  readonly height: number;
  /** The block's time as the node writes it, and in epoch ms. */
  readonly time: string;
  readonly ms: number;
  readonly coins: readonly CoinSpec[];
  readonly books: readonly MatchingBook[];
  /** A new user index for `address` (written as that address in every event). */
  addUser(address: string): number;
  isExternal(user: number): boolean;
  nextOid(): number;
  /** One order status event (a `…Rejected` one counts as rejected). */
  status(user: number, hash: string | null, status: string, order: string): void;
  diff(c: CoinSpec, o: RestingOrder, diff: string): void;
  /** Two fill events of one trade at the maker's price `pxTicks`. */
  trade(c: CoinSpec, taker: { user: number; oid: number; side: SideIx; cloid: string | null; hash: string }, maker: RestingOrder, pxTicks: number, qty: number): void;
  /** A limit order to rest (placed now, with an `open` status). */
  newOrder(oid: number, user: number, side: SideIx, px: number, lots: number, tif: string, reduceOnly: boolean, cloid: string | null): RestingOrder;
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

function cumulative(weights: number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const w of weights) out.push((sum += w));
  return out;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function clampF(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
