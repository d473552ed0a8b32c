/**
 * User streams for any address, from the node's files: `orderUpdates`, `userFills`,
 * `userEvents`, and the user info requests (`openOrders`, `frontendOpenOrders`,
 * `orderStatus`, `userFills`).
 *
 * What it costs per block, deliberately:
 * - Fills (~50/s on mainnet, already parsed) are kept for every user, bounded per user and
 *   in total: `userFills` answers for any address.
 * - Statuses (7,500–15,000/s, 95 % rejections, most never parsed: `RawStatus`) are looked at
 *   only while someone follows an address: a subscriber, or an info request in the last
 *   `followMs`. Then each status's user is read from its text (no parse) and only the
 *   followed users' statuses are parsed and kept. With nobody followed, a block costs one
 *   `Map.size` check here.
 * - Open orders come from the L4 books themselves (complete and exact). A followed user's
 *   resting oids are found by one scan of the books on the first request and kept up to date
 *   from the block's diffs; every answer checks each oid against the book, so the index only
 *   has to be a superset. A reset (books rebuilt) drops the index: the next request scans.
 */
import { performance } from 'node:perf_hooks';
import type { BooksView } from '../../state/feed.js';
import type { FillEvent, NodeFill, OrderStatusEvent } from '../../book/events.js';
import type { RestingOrderView as RestingOrder } from '../../book/resting-order.js';
import { addressKey, plainStatus, statusOid, statusUser, statusUserKey } from '../../book/raw-status.js';
import type { BlockChange } from '../../book/types.js';
import type { BookFeed } from '../../state/feed.js';
import type { Peer } from '../outbox.js';
import type { Delivery } from '../views/view.js';
import { dexOf } from '../subscriptions.js';
import { aggregateByTime } from './aggregate.js';
import { UserHistory } from './history.js';
import { trackUserStreams } from './metrics.js';
import { frontendOrder, openOrder, orderStatusAnswer, statusTimeMs, wsOrder, type BasicOrder, type FrontendOrder } from './shapes.js';
import { OrderUpdatesView, UserEventsView, UserFillsView, type UserView } from './views.js';

/** Bounds of what is kept (docs/server.md, "User streams"). */
export interface UserStreamLimits {
  /** Fills kept per user (the public API's `userFills` returns at most 2,000). Default 2,000. */
  fillsPerUser: number;
  /** Fills kept over all users (~0.3 KB each: ~30 MB). Default 100,000. */
  fillsTotal: number;
  /** Status events kept per followed user. Default 2,000. */
  statusesPerUser: number;
  /** Status events kept over all followed users (~0.35 KB each: ~35 MB). Default 100,000. */
  statusesTotal: number;
  /** An address asked about by an info request is followed this long after the last request, ms. Default 10 minutes. */
  followMs: number;
  /** Addresses followed at most (subscribed ones always are); the least recently asked go first. Default 10,000. */
  maxFollowed: number;
}

export const DEFAULT_USER_LIMITS: UserStreamLimits = {
  fillsPerUser: 2_000,
  fillsTotal: 100_000,
  statusesPerUser: 2_000,
  statusesTotal: 100_000,
  followMs: 10 * 60_000,
  maxFollowed: 10_000,
};

/** A pass over the books yields to the event loop after this much work, ms. */
const SCAN_SLICE_MS = 4;

/** The public API's `userFills` page. */
export const USER_FILLS_PAGE = 2_000;

/** One followed address. */
interface Follow {
  user: string;
  /** Wall-clock ms of the last info request about it. */
  askedAt: number;
  views: Set<UserView>;
  /** oid → coin of orders that may rest (a superset, checked against the books); null = not built. */
  resting: Map<number, string> | null;
  /** Resolves when `resting` is complete (the scan that builds it is done); null = not asked. */
  ready: Promise<void> | null;
}

export interface UserStreamsOptions {
  feed: BookFeed;
  limits?: Partial<UserStreamLimits>;
  /** Wall clock, ms; default `Date.now`. */
  now?: () => number;
}

/** What an `orderStatus` lookup found: the answer, or nothing we hold (forward). */
export type OrderStatusLookup = { found: true; answer: unknown } | { found: false };

export class UserStreams {
  readonly limits: UserStreamLimits;
  readonly fills: UserHistory<NodeFill>;
  readonly statuses: UserHistory<OrderStatusEvent>;
  private readonly followed = new Map<string, Follow>();
  /** `addressKey` → how many followed addresses have it: the per-status first filter. */
  private readonly followedKeys = new Map<number, number>();
  private readonly feed: BookFeed;
  /** Where the user views' frames go (the publisher); none: views are never made without one. */
  private sink: ((d: Delivery) => void) | null = null;
  private readonly now: () => number;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly untrack: () => void;
  private readonly onBlockBound = (c: BlockChange): void => this.onBlock(c);
  private readonly onResetBound = (): void => this.onReset();
  /** Block time of the last block, ms. */
  private time = 0;
  /** Bumped by every reset: a scan of the old books is void. */
  private generation = 0;
  /** Addresses waiting for the next pass over the books. */
  private readonly scanQueue = new Set<Follow>();
  private scanning: Promise<void> | null = null;
  /** Exchange actions under way (read-your-writes): while any is, the blocks' status oids are noted. */
  private actionsInFlight = 0;
  private readonly seenOids = new Set<number>();
  private readonly oidWaiters = new Map<number, Set<() => void>>();

  constructor(opts: UserStreamsOptions) {
    this.limits = { ...DEFAULT_USER_LIMITS, ...opts.limits };
    this.feed = opts.feed;
    this.now = opts.now ?? Date.now;
    this.fills = new UserHistory({ perUser: this.limits.fillsPerUser, total: this.limits.fillsTotal });
    this.statuses = new UserHistory({ perUser: this.limits.statusesPerUser, total: this.limits.statusesTotal });
    this.feed.on('block', this.onBlockBound);
    this.feed.on('reset', this.onResetBound);
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(1_000, Math.min(60_000, this.limits.followMs / 4)));
    this.sweepTimer.unref();
    this.untrack = trackUserStreams(this);
  }

  close(): void {
    clearInterval(this.sweepTimer);
    this.feed.off('block', this.onBlockBound);
    this.feed.off('reset', this.onResetBound);
    this.untrack();
  }

  /** Addresses followed now. */
  get followedCount(): number {
    return this.followed.size;
  }

  // ---- views (the publisher holds them; these attach them to their user) -------------------

  createView(key: string, sub: { type: 'orderUpdates' | 'userFills' | 'userEvents'; user: string; aggregateByTime?: boolean }): UserView {
    const view =
      sub.type === 'orderUpdates'
        ? new OrderUpdatesView(key, sub.user)
        : sub.type === 'userFills'
          ? new UserFillsView(key, sub.user, sub.aggregateByTime === true)
          : new UserEventsView(key, sub.user);
    this.follow(sub.user).views.add(view);
    return view;
  }

  dropView(view: UserView): void {
    const f = this.followed.get(view.user);
    if (f === undefined) return;
    f.views.delete(view);
    // Kept followed until `followMs` after it was last asked about (a resubscription keeps its history).
    f.askedAt = Math.max(f.askedAt, this.now());
  }

  /** A new subscriber of `view`: its first frame, if the channel has one. */
  welcome(view: UserView, peer: Peer): Delivery | null {
    return view.welcome(peer, () => this.fills.newest(view.user, USER_FILLS_PAGE));
  }

  /** The publisher takes the frames each block makes for the user views (it queues them). */
  deliverTo(sink: (d: Delivery) => void): void {
    this.sink = sink;
  }

  // ---- following -----------------------------------------------------------------------------

  private follow(user: string): Follow {
    let f = this.followed.get(user);
    if (f === undefined) {
      f = { user, askedAt: this.now(), views: new Set(), resting: null, ready: null };
      this.followed.set(user, f);
      const key = addressKey(user);
      this.followedKeys.set(key, (this.followedKeys.get(key) ?? 0) + 1);
      if (this.followed.size > this.limits.maxFollowed) this.evictLeastAsked();
    }
    return f;
  }

  /** An info request about `user`: follow it (statuses from now on) for `followMs`. */
  private touch(user: string): Follow {
    const f = this.follow(user);
    f.askedAt = this.now();
    // Most recently asked last: Map order is the eviction order.
    this.followed.delete(user);
    this.followed.set(user, f);
    return f;
  }

  private unfollow(f: Follow): void {
    this.followed.delete(f.user);
    const key = addressKey(f.user);
    const n = (this.followedKeys.get(key) ?? 1) - 1;
    if (n === 0) this.followedKeys.delete(key);
    else this.followedKeys.set(key, n);
    // Statuses from here on would be missed: a later answer from what is kept could be stale.
    this.statuses.forget(f.user);
  }

  private evictLeastAsked(): void {
    for (const f of this.followed.values()) {
      if (this.followed.size <= this.limits.maxFollowed) return;
      if (f.views.size === 0) this.unfollow(f);
    }
  }

  private sweep(): void {
    const cutoff = this.now() - this.limits.followMs;
    for (const f of [...this.followed.values()]) if (f.views.size === 0 && f.askedAt < cutoff) this.unfollow(f);
  }

  // ---- blocks --------------------------------------------------------------------------------

  private onBlock(change: BlockChange): void {
    this.time = change.time;
    if (this.actionsInFlight > 0) this.noteOids(change);
    const fills = change.fills;
    for (let i = 0; i < fills.length; i++) {
      const e = fills[i]!;
      this.fills.add(e[0], e[1]);
    }
    if (this.followed.size === 0) return;

    // Statuses: the user read from the text (a few characters first, the address only when
    // they match a followed one); only followed users' events are parsed.
    let orders: Map<Follow, OrderStatusEvent[]> | null = null;
    const statuses = change.statuses;
    const keys = this.followedKeys;
    for (let i = 0; i < statuses.length; i++) {
      const st = statuses[i]!;
      const key = statusUserKey(st);
      if (key !== -1 && !keys.has(key)) continue;
      const f = this.followed.get(statusUser(st));
      if (f === undefined) continue;
      const plain = plainStatus(st);
      this.statuses.add(f.user, plain);
      if (f.views.size === 0) continue;
      orders ??= new Map();
      let list = orders.get(f);
      if (list === undefined) orders.set(f, (list = []));
      list.push(plain);
    }

    // Resting orders of followed users, from the diffs.
    for (const cc of change.coins.values()) {
      const diffs = cc.diffs;
      for (let i = 0; i < diffs.length; i++) {
        const d = diffs[i]!;
        const f = this.followed.get(d.user);
        if (f === undefined || f.resting === null) continue;
        const rbd = d.raw_book_diff;
        if (rbd === 'remove') f.resting.delete(d.oid);
        else if (typeof rbd === 'object' && rbd !== null && 'new' in rbd) f.resting.set(d.oid, d.coin);
      }
    }

    // Fills of followed users with views.
    let userFills: Map<Follow, NodeFill[]> | null = null;
    for (let i = 0; i < fills.length; i++) {
      const e: FillEvent = fills[i]!;
      const f = this.followed.get(e[0]);
      if (f === undefined || f.views.size === 0) continue;
      userFills ??= new Map();
      let list = userFills.get(f);
      if (list === undefined) userFills.set(f, (list = []));
      list.push(e[1]);
    }

    const sink = this.sink;
    if ((orders === null && userFills === null) || sink === null) return;
    const time = change.time;
    const send = (d: Delivery | null): void => {
      if (d !== null) sink(d);
    };
    for (const [f, list] of orders ?? []) {
      const json = JSON.stringify(list.map((st) => wsOrder(st, time)));
      for (const v of f.views) if (v instanceof OrderUpdatesView) send(v.publish(json));
    }
    for (const [f, list] of userFills ?? []) {
      let json: string | undefined;
      for (const v of f.views) {
        if (v instanceof UserFillsView) send(v.publish(list));
        else if (v instanceof UserEventsView) send(v.publish((json ??= JSON.stringify(list))));
      }
    }
  }

  private noteOids(change: BlockChange): void {
    // Bounded: a watch outliving this many statuses has long timed out anyway.
    if (this.seenOids.size > 500_000) this.seenOids.clear();
    const statuses = change.statuses;
    for (let i = 0; i < statuses.length; i++) {
      const oid = statusOid(statuses[i]!);
      this.seenOids.add(oid);
      const ws = this.oidWaiters.get(oid);
      if (ws !== undefined) {
        this.oidWaiters.delete(oid);
        for (const w of ws) w();
      }
    }
  }

  /**
   * Read-your-writes for `POST /exchange` (an `ActionWatcher`): call before forwarding an
   * action; the returned function resolves once every given oid has had a status in a block
   * applied here since the call (or after `timeoutMs`). Costs nothing while no action is
   * under way; while one is, a number per status.
   */
  begin(): (oids: number[], timeoutMs: number) => Promise<void> {
    this.actionsInFlight++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (--this.actionsInFlight === 0) this.seenOids.clear();
    };
    return async (oids, timeoutMs) => {
      if (ended) return;
      const missing = new Set(oids.filter((o) => !this.seenOids.has(o)));
      if (missing.size > 0 && timeoutMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        const waiters: [number, () => void][] = [];
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
          for (const oid of missing) {
            const w = (): void => {
              missing.delete(oid);
              if (missing.size === 0) resolve();
            };
            waiters.push([oid, w]);
            let set = this.oidWaiters.get(oid);
            if (set === undefined) this.oidWaiters.set(oid, (set = new Set()));
            set.add(w);
          }
        });
        clearTimeout(timer);
        for (const [oid, w] of waiters) {
          const set = this.oidWaiters.get(oid);
          set?.delete(w);
          if (set?.size === 0) this.oidWaiters.delete(oid);
        }
      }
      end();
    };
  }

  /** Books rebuilt from a snapshot: the resting indexes are rebuilt on the next request (a scan under way starts over). */
  private onReset(): void {
    this.generation++;
    for (const f of this.followed.values()) {
      f.resting = null;
      f.ready = null;
    }
  }

  // ---- info requests -------------------------------------------------------------------------

  private get books(): BooksView {
    return this.feed.books;
  }

  /** The user's resting orders (all coins), checked against the books. */
  private async restingOf(f: Follow): Promise<RestingOrder[]> {
    let index: Map<number, string> | null = null;
    while (index === null) {
      const ready = f.ready ?? this.scanFor(f);
      await ready;
      // A reset while waiting voids the scan: scan again.
      if (f.ready === ready) index = f.resting;
    }
    const out: RestingOrder[] = [];
    for (const [oid, coin] of index) {
      const o = this.books.book(coin)?.resting(oid);
      if (o === undefined || o.user !== f.user) index.delete(oid);
      else out.push(o);
    }
    return out;
  }

  /**
   * Index `f`'s resting orders: queued for the next pass over every resting order, which
   * serves every address queued meanwhile at once. A pass walks one coin at a time and
   * yields to the event loop between coins (500,000 orders take ~50 ms here: in one go that
   * would stall everyone, once per new address). Diffs of the blocks applied meanwhile update
   * the index as usual, so it stays a superset.
   */
  private scanFor(f: Follow): Promise<void> {
    f.resting = new Map();
    this.scanQueue.add(f);
    f.ready = this.scanning ??= this.runScans();
    return f.ready;
  }

  private async runScans(): Promise<void> {
    // Never finish synchronously: `scanning` must be set before it is cleared.
    await Promise.resolve();
    try {
      while (this.scanQueue.size > 0) {
        const batch = new Map<string, Follow>();
        for (const f of this.scanQueue) batch.set(f.user, f);
        this.scanQueue.clear();
        const gen = this.generation;
        const books = this.books;
        let t0 = performance.now();
        for (const coin of [...books.coins()]) {
          const book = books.book(coin);
          if (book !== undefined) {
            for (const side of ['B', 'A'] as const) {
              for (const o of book.restingOrders(side)) batch.get(o.user)?.resting?.set(o.oid, coin);
            }
          }
          if (performance.now() - t0 >= SCAN_SLICE_MS) {
            await new Promise<void>((r) => setImmediate(r));
            t0 = performance.now();
          }
          // Books rebuilt meanwhile: what was read may be from the old ones; the waiters scan again.
          if (gen !== this.generation) break;
        }
      }
    } finally {
      this.scanning = null;
    }
  }

  private async openOf(user: string, dex: string): Promise<RestingOrder[]> {
    const f = this.touch(user);
    // `dex` "" is the first perp dex, with spot; any other the HIP-3 dex's coins (`dex:COIN`).
    const list = (await this.restingOf(f)).filter((o) => (dexOf(o.template.coin) ?? '') === dex);
    // Newest first, as the public API lists them.
    return list.sort((a, b) => b.template.timestamp - a.template.timestamp || b.oid - a.oid);
  }

  async openOrders(user: string, dex = ''): Promise<BasicOrder[]> {
    return (await this.openOf(user, dex)).map(openOrder);
  }

  async frontendOpenOrders(user: string, dex = ''): Promise<FrontendOrder[]> {
    return (await this.openOf(user, dex)).map(frontendOrder);
  }

  /**
   * `orderStatus` by oid or cloid (lower case): the latest status we hold of a followed
   * user's order, else the order resting in the books (`open`), else not found (forward:
   * statuses of addresses nobody followed at the time are not kept).
   */
  async orderStatus(user: string, id: number | string): Promise<OrderStatusLookup> {
    const f = this.touch(user);
    const matches =
      typeof id === 'number'
        ? (st: OrderStatusEvent) => st.order.oid === id
        : (st: OrderStatusEvent) => typeof st.order.cloid === 'string' && st.order.cloid.toLowerCase() === id;
    const latest = this.statuses.findLast(user, matches);
    let resting: RestingOrder | undefined;
    if (typeof id === 'number') {
      const coin = latest?.order.coin;
      resting = coin !== undefined ? this.books.book(coin)?.resting(id) : this.findResting(id);
      if (resting !== undefined && resting.user !== user) resting = undefined;
    } else {
      resting = (await this.restingOf(f)).find((o) => typeof o.template.cloid === 'string' && o.template.cloid.toLowerCase() === id);
    }
    if (resting !== undefined && (latest === undefined || latest.status === 'open' || latest.status === 'triggered')) {
      // Resting: its current size and place; the status time of the status that put it there.
      const status = latest?.status ?? 'open';
      return {
        found: true,
        answer: orderStatusAnswer(frontendOrder(resting), status, latest !== undefined ? statusTimeMs(latest, this.time) : resting.template.timestamp),
      };
    }
    if (latest !== undefined) return { found: true, answer: orderStatusAnswer(latest.order, latest.status, statusTimeMs(latest, this.time)) };
    return { found: false };
  }

  private findResting(oid: number): RestingOrder | undefined {
    const books = this.books;
    for (const coin of books.coins()) {
      const o = books.book(coin)!.resting(oid);
      if (o !== undefined) return o;
    }
    return undefined;
  }

  /**
   * `userFills`: the user's recent fills, newest first (at most the public API's 2,000), or
   * null when some were evicted and fewer than a page are left (the caller forwards: what
   * the public API would return is no longer all here).
   */
  userFills(user: string, aggregate: boolean): NodeFill[] | null {
    const recent = this.fills.newest(user, USER_FILLS_PAGE);
    if (recent.length < USER_FILLS_PAGE && this.fills.truncated(user)) return null;
    return aggregate ? aggregateNewestFirst(recent) : recent;
  }
}

function aggregateNewestFirst(fills: NodeFill[]): NodeFill[] {
  return aggregateByTime([...fills].reverse()).reverse();
}
