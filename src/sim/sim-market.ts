/**
 * The simulated exchange: every coin's book (the simulator's truth), users, and the order flow
 * that turns into what a node writes for each block: order statuses, raw book diffs and fills.
 * `nextBlock` is the scheduler: the paper exchange's actions first, then the generated actions
 * in a shuffled order, then the triggers the book now meets, then the prices' drift. The parts:
 * `population.ts` (users, initial books), `price-walk.ts` (fair prices), `order-flow.ts`
 * (rejections, passive orders, takers), `triggers.ts`, `positions.ts` (fills, fees,
 * positions), all over the state of `market-state.ts`.
 *
 * All prices and sizes are integers (ticks and lots of the coin) and reach the files only
 * through exact formatting.
 */
import type { L4SnapshotFile } from '../book/events.js';
import { captureBooks, capturedToSnapshot, warmSnapshotText, type CapturedBooks } from './book-capture.js';
import type { EventSink } from './event-sink.js';
import type { CoinSpec } from './market.js';
import type { MarketTape } from './market-tape.js';
import { MarketState } from './market-state.js';
import { placedLimit, type MatchingBook, type RestingOrder, type SideIx } from './matching-book.js';
import { OrderFlow } from './order-flow.js';
import { Population, bookTargets, populateBooks } from './population.js';
import { Positions } from './positions.js';
import { PriceWalk } from './price-walk.js';
import type { BlockPlan } from './profiles.js';
import { Rng } from '../util/rng.js';
import { Triggers } from './triggers.js';
import { codedError } from '../errors.js';

export type { CapturedBooks } from './book-capture.js';

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

/** The kinds of generated action, in the order their counts are drawn. */
const A_KIND = { reject: 0, openOrCancel: 1, taker: 2, triggerPlace: 3, refresh: 4 } as const;

export class SimMarket {
  readonly coins: CoinSpec[];
  readonly books: MatchingBook[];
  /** Last trades, open interest and day volumes (the info server's asset contexts). */
  readonly tape: MarketTape;
  /** Per coin, the price (ticks) the market makers quote around: a random walk the book follows. */
  readonly fair: number[];
  private readonly state: MarketState;
  private readonly plan: BlockPlan;
  private readonly walk: PriceWalk;
  private readonly flow: OrderFlow;
  private readonly triggers: Triggers;
  private readonly positions: Positions;
  private readonly cumAll: number[];
  private readonly cumPerp: number[];
  private readonly cumSpot: number[];
  private readonly perpIds: number[];
  private readonly spotIds: number[];
  private readonly firstHeight: number;
  /** The paper exchange, when attached. */
  private participant: MarketParticipant | null = null;
  private external: ExternalMarket | null = null;

  constructor(opts: SimMarketOptions) {
    const rng = new Rng(opts.seed);
    this.coins = opts.coins;
    this.plan = opts.plan;
    this.firstHeight = opts.startHeight;
    this.walk = new PriceWalk(this.coins);
    this.fair = this.walk.fair;
    // Oids above 2^32 like mainnet's; the initial orders take the ones just below the start.
    const users = new Population(rng);
    this.state = new MarketState(rng, this.coins, users, this.walk, opts.startHeight - 1, 412_000_000_000);
    this.books = this.state.books;
    this.tape = this.state.tape;
    this.perpIds = this.coins.filter((c) => c.kind !== 'spot').map((c) => c.id);
    this.spotIds = this.coins.filter((c) => c.kind === 'spot').map((c) => c.id);
    this.cumAll = cumulative(this.coins.map((c) => c.weight));
    this.cumPerp = cumulative(this.perpIds.map((id) => this.coins[id]!.weight));
    this.cumSpot = cumulative(this.spotIds.map((id) => this.coins[id]!.weight));
    const targets = bookTargets(this.coins, opts.restingOrders);
    this.positions = new Positions(this.state);
    this.flow = new OrderFlow(this.state, targets, this.positions);
    this.triggers = new Triggers(this.state);
    populateBooks(this.state, targets, opts.startMs);
  }

  /** Height of the last generated block (the books are at this height). */
  get height(): number {
    return this.state.height;
  }

  /** Addresses by user index (index 0 is the special spot address). */
  get userAddresses(): readonly string[] {
    return this.state.users.addresses;
  }

  /** Block time (epoch ms) of the last block made; undefined before the first. */
  get blockMs(): number | undefined {
    return this.state.height >= this.firstHeight ? this.state.ms : undefined;
  }

  /** Resting orders on all books. */
  get restingCount(): number {
    let n = 0;
    for (const b of this.books) n += b.size;
    return n;
  }

  /**
   * Generate the next block at `time` (the node's time string of the block) / `ms` (its epoch
   * ms). Mutates the books: after this call they are at the returned height.
   */
  nextBlock(time: string, ms: number): SimBlock {
    const s = this.state;
    s.begin(time, ms);
    // Actions sent to the paper exchange go first in the block, before the generated flow.
    if (this.participant) this.participant.beginBlock(this.external!);
    const actions = this.shuffledActions();
    for (let i = 0; i < actions.length; i++) this.act(actions[i]!);
    this.triggers.fire();
    this.walk.drift(s.rng);
    return { height: s.height, statuses: s.statuses, diffs: s.diffs, fills: s.fills, rejected: s.rejected };
  }

  /** This block's actions: how many of each kind (drawn around the plan's rates), in a random order. */
  private shuffledActions(): Uint8Array {
    const rng = this.state.rng;
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
    return actions;
  }

  private act(kind: number): void {
    switch (kind) {
      case A_KIND.reject:
        this.flow.reject(this.pickCoin(this.cumAll, null));
        break;
      case A_KIND.openOrCancel:
        this.flow.openOrCancel(this.pickCoin(this.cumAll, null));
        break;
      case A_KIND.taker:
        this.flow.taker(this.pickCoin(this.cumAll, null));
        break;
      case A_KIND.triggerPlace:
        if (this.perpIds.length > 0) this.triggers.place(this.pickCoin(this.cumPerp, this.perpIds));
        else this.flow.openOrCancel(this.pickCoin(this.cumAll, null));
        break;
      default:
        this.flow.refresh(this.pickCoin(this.cumSpot, this.spotIds));
        break;
    }
  }

  /** A coin drawn by weight (`cum`: cumulative weights of `ids`, or of every coin when null). */
  private pickCoin(cum: number[], ids: number[] | null): CoinSpec {
    const total = cum[cum.length - 1]!;
    const r = this.state.rng.int(total);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return this.coins[ids === null ? lo : ids[lo]!]!;
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
    const s = this.state;
    s.external = { from: s.users.size, fill: (f) => participant.fill(f) };
    this.external = {
      get height() {
        return s.height;
      },
      get time() {
        return s.time;
      },
      get ms() {
        return s.ms;
      },
      coins: this.coins,
      books: this.books,
      addUser: (address) => s.users.add(address),
      isExternal: (user) => s.isExternal(user),
      nextOid: () => s.nextOid++,
      status: (user, hash, status, order) => {
        s.status(user, hash, status, order);
        if (status.endsWith('Rejected')) s.rejected++;
      },
      diff: (c, o, diff) => s.diff(c, o, diff),
      trade: (c, taker, maker, pxTicks, qty) => this.positions.trade(c, { ...taker, twapId: null }, maker, pxTicks, qty),
      newOrder: (oid, user, side, px, lots, tif, reduceOnly, cloid) => placedLimit({ oid, user, side, px, lots, timestamp: s.ms, tif, reduceOnly, cloid }),
    };
    return this.external;
  }

  // ---- snapshots ----

  /** Make every resting order's snapshot text now, as a node holds its state ready (see `warmSnapshotText`). */
  warmSnapshotText(): void {
    warmSnapshotText(this.coins, this.books);
  }

  /** The books now, cheaply: order objects shared, current sizes copied. */
  capture(): CapturedBooks {
    return captureBooks(this.state.height, this.coins, this.books, this.state.users.addresses);
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
  trade(
    c: CoinSpec,
    taker: { user: number; oid: number; side: SideIx; cloid: string | null; hash: string },
    maker: RestingOrder,
    pxTicks: number,
    qty: number,
  ): void;
  /** A limit order to rest (placed now, with an `open` status). */
  newOrder(oid: number, user: number, side: SideIx, px: number, lots: number, tif: string, reduceOnly: boolean, cloid: string | null): RestingOrder;
}

function cumulative(weights: number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const w of weights) out.push((sum += w));
  return out;
}
