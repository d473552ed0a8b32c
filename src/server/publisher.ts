/**
 * The Publisher turns the feed's block changes into frames. It keeps one view per
 * (coin × kind × parameters) that has subscribers; after each block it marks only the
 * views the block touched, and once per turn of the event loop (just before the outbox
 * flushes) recomputes each marked view once and queues the same bytes to all its
 * subscribers. Event streams (`trades`, `l4Book` Updates) are serialized per block.
 * Ingest never waits: everything here is synchronous and bounded by the views touched.
 *
 * Intra-block (`intraBlock`, `--book-updates intra-block`): the feed's `partial` diffs of the
 * open block are kept as an overlay over the books (`block-overlay.ts`, the books themselves
 * stay at block boundaries); once per turn each coin they touched gets one `l2Book` / `bbo`
 * frame per view with `"partial":true`, after the turn's full frames.
 */
import type { Logger } from '../util/logger.js';
import type { BooksView } from '../state/feed.js';
import type { BlockChange } from '../book/types.js';
import type { PartialBlock } from '../node/block-source.js';
import { BlockOverlay } from './block-overlay.js';
import type { BookFeed, FeedStatus } from '../state/feed.js';
import { CandleService } from './candles/service.js';
import { CandleView } from './candles/view.js';
import type { Outbox, Peer } from './outbox.js';
import type { Turn } from './turn.js';
import { dexOf, subscriptionCoin, viewKey, type Subscription } from './subscriptions.js';
import { AllMidsView, MidsBoard } from './views/all-mids.js';
import { BboView } from './views/bbo.js';
import { L2View } from './views/l2.js';
import { L4Snapshot, L4View } from './views/l4.js';
import { ServerStatusView } from './views/server-status.js';
import { TradesView } from './views/trades.js';
import type { UserStreams } from './user/user-streams.js';
import { UserView } from './user/views.js';
import { StateView, type Delivery, type View, type ViewContext } from './views/view.js';
import { codedError } from '../errors.js';

export interface PublisherOptions {
  feed: BookFeed;
  /** Where frames are queued: the publisher is its one writer. */
  outbox: Outbox;
  /** The per-turn scheduler whose `prepare` is this publisher's `refresh` (then the outbox flushes). */
  turn: Turn;
  /** The `/health` JSON (for `serverStatus`). */
  health: () => Record<string, unknown>;
  /** An unchanged `l2Book` is re-sent at least this often; default 5000 ms. */
  l2HeartbeatMs?: number;
  /** How often `serverStatus` is re-checked; default 1000 ms. */
  statusEveryMs?: number;
  /** A cached L4 snapshot may be reused (with the Updates since) for this long, block time; default 2000 ms. */
  l4ReuseMs?: number;
  /** Bound on each `l4Book` view's ring of recent Updates; default 64 MiB. */
  l4RingBytes?: number;
  /** Wall clock, ms; default `Date.now`. */
  now?: () => number;
  logger?: Logger;
  /** Candles (`candle`, `candleSnapshot`); default one kept in memory only. */
  candles?: CandleService;
  /** User streams (`orderUpdates`, `userFills`, `userEvents`): their views are made and fed there. */
  users?: UserStreams;
  /** Also send `l2Book`/`bbo` frames marked `"partial":true` inside a block, from the feed's `partial` events. Default false. */
  intraBlock?: boolean;
}

/** The per-coin views, for finding what a block touched. */
interface CoinViews {
  l2: Set<L2View>;
  bbo: BboView | null;
  trades: TradesView | null;
  l4: Set<L4View>;
}

export class Publisher {
  private readonly feed: BookFeed;
  private readonly outbox: Outbox;
  private readonly turn: Turn;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly l4ReuseMs: number;
  private readonly l4RingBytes: number;
  private readonly logger: Logger | undefined;
  readonly candles: CandleService;
  private readonly users: UserStreams | undefined;
  private readonly views = new Map<string, View>();
  private readonly byCoin = new Map<string, CoinViews>();
  private readonly midsViews = new Set<AllMidsView>();
  private readonly mids = new MidsBoard();
  private readonly statusView: ServerStatusView;
  /** `l2Book` views due for a heartbeat this turn. */
  private readonly heartbeatDue = new Set<L2View>();
  /** State views to recompute this turn. */
  private readonly toRefresh = new Set<StateView>();
  /** Coins with `l4Book` subscribers waiting for a Snapshot. */
  private readonly l4Due = new Set<string>();
  private readonly snapshots = new Map<string, L4Snapshot>();
  private readonly booksListeners: (() => void)[] = [];
  private available = false;
  private dexes = new Set<string>();
  private time: number;
  private height: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly onBlockBound = (c: BlockChange) => this.onBlock(c);
  private readonly onStateBound = (s: FeedStatus) => this.onState(s);
  private readonly onResetBound = (coins: string[] | 'all', h: number) => this.onReset(coins, h);
  /** Coins being repaired (the feed's `repair` events): their l4Book snapshots wait for the reset. */
  private readonly repairing = new Set<string>();
  private readonly onRepairBound = (coin: string, repairing: boolean) => void (repairing ? this.repairing.add(coin) : this.repairing.delete(coin));
  /** Intra-block: the open block's diffs over the books, the coins due a partial frame this turn, the views that sent one. */
  private readonly intraBlock: boolean;
  private readonly overlay = new BlockOverlay();
  private readonly partialDue = new Set<string>();
  private readonly owing = new Set<StateView>();
  private readonly onPartialBound = (p: PartialBlock) => this.onPartial(p);

  constructor(opts: PublisherOptions) {
    this.feed = opts.feed;
    this.outbox = opts.outbox;
    this.turn = opts.turn;
    this.now = opts.now ?? Date.now;
    this.heartbeatMs = opts.l2HeartbeatMs ?? 5000;
    this.l4ReuseMs = opts.l4ReuseMs ?? 2000;
    this.l4RingBytes = opts.l4RingBytes ?? 64 * 1024 * 1024;
    this.logger = opts.logger;
    this.candles = opts.candles ?? new CandleService({});
    this.users = opts.users;
    this.intraBlock = opts.intraBlock === true;
    this.users?.deliverTo((d) => this.deliver(d));
    this.statusView = new ServerStatusView(opts.health);
    const st = this.feed.status();
    // Block time only, never the wall clock: until the feed has one no state frame goes out
    // (nothing is available before the first snapshot, which brings its block's time).
    this.time = st.time ?? 0;
    this.height = st.height ?? 0;
    this.feed.on('block', this.onBlockBound);
    this.feed.on('state', this.onStateBound);
    this.feed.on('reset', this.onResetBound);
    this.feed.on('repair', this.onRepairBound);
    if (this.intraBlock) this.feed.on('partial', this.onPartialBound);
    for (const coin of st.repairing) this.repairing.add(coin);
    this.checkAvailable();
    // Heartbeat: check often enough that no l2Book goes longer than heartbeatMs unsent.
    const beat = Math.max(50, Math.floor(this.heartbeatMs / 5));
    this.timers.push(setInterval(() => this.heartbeat(this.heartbeatMs - beat), beat));
    this.timers.push(setInterval(() => this.markStatus(), opts.statusEveryMs ?? 1000));
    for (const t of this.timers) t.unref();
  }

  /** Whether the books hold a snapshot (subscriptions can be checked against them). */
  get booksAvailable(): boolean {
    return this.available;
  }

  /** Called once, when the first snapshot is in. */
  onBooksAvailable(fn: () => void): void {
    this.booksListeners.push(fn);
  }

  private get books(): BooksView {
    return this.feed.books;
  }

  /** Whether the books know what this subscription names (coin, dex). */
  knows(sub: Subscription): boolean {
    const coin = subscriptionCoin(sub);
    if (coin !== null) return this.books.book(coin) !== undefined;
    if (sub.type === 'allMids' && sub.dex !== null && sub.dex !== '') return this.dexes.has(sub.dex);
    return true;
  }

  /** Start sending a subscription's view to `peer` (its first frame goes out this turn). */
  subscribe(peer: Peer, sub: Subscription): void {
    const key = viewKey(sub);
    let view = this.views.get(key);
    if (view === undefined) {
      view = this.createView(key, sub);
      this.views.set(key, view);
    }
    view.add(peer);
    // The first data follows the acknowledgement at once (before anything the client asks
    // next, such as a ping): computed now, not at the end of the turn.
    if (view === this.statusView) this.statusView.markDirty();
    if (view instanceof StateView && view.owesBoundary) {
      // Mid-block with partial frames out: the newcomer gets the last full frame; the others keep their partial state.
      this.deliver(view.welcome());
    } else if (view instanceof StateView) {
      this.toRefresh.delete(view);
      this.deliver(view.refresh(this.context(), this.heartbeatDue.delete(view as L2View)));
    } else if (view instanceof L4View) {
      if (this.repairing.has(view.coin)) this.l4Due.add(view.coin);
      else this.deliverAll(view.deliver(this.snapshotFor(view.coin, view)));
    } else if (view instanceof CandleView) {
      this.deliver(view.welcome(peer));
    } else if (view instanceof UserView) {
      this.deliver(this.users?.welcome(view, peer) ?? null);
    }
  }

  private context(): ViewContext {
    return { books: this.books, time: this.time, now: this.now() };
  }

  /** Queue what a view computed: the one place frames enter the outbox. */
  private deliver(d: Delivery | null): void {
    if (d !== null) this.outbox.sendToAll(d.peers, d.frame, d.channel);
  }

  private deliverAll(list: readonly Delivery[]): void {
    for (const d of list) this.outbox.sendToAll(d.peers, d.frame, d.channel);
  }

  unsubscribe(peer: Peer, sub: Subscription): void {
    const key = viewKey(sub);
    const view = this.views.get(key);
    if (view === undefined) return;
    view.remove(peer);
    if (view.empty) this.dropView(view);
  }

  /** Views currently held (with subscribers). */
  get viewCount(): number {
    return this.views.size;
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.feed.off('block', this.onBlockBound);
    this.feed.off('state', this.onStateBound);
    this.feed.off('reset', this.onResetBound);
    this.feed.off('repair', this.onRepairBound);
    this.feed.off('partial', this.onPartialBound);
  }

  private createView(key: string, sub: Subscription): View {
    switch (sub.type) {
      case 'l2Book': {
        const v = new L2View(key, sub.coin, { nSigFigs: sub.nSigFigs, mantissa: sub.mantissa, nLevels: sub.nLevels });
        this.coinViews(sub.coin).l2.add(v);
        return v;
      }
      case 'bbo': {
        const v = new BboView(key, sub.coin);
        this.coinViews(sub.coin).bbo = v;
        return v;
      }
      case 'trades': {
        const v = new TradesView(key, sub.coin);
        this.coinViews(sub.coin).trades = v;
        return v;
      }
      case 'l4Book': {
        const v = new L4View(key, sub.coin, sub.bookOnly, this.height, { keepMs: this.l4ReuseMs, maxBytes: this.l4RingBytes });
        this.coinViews(sub.coin).l4.add(v);
        return v;
      }
      case 'allMids': {
        if (this.midsViews.size === 0 && this.available) this.mids.rebuild(this.books);
        const v = new AllMidsView(key, sub.dex, this.mids);
        this.midsViews.add(v);
        return v;
      }
      case 'serverStatus':
        return this.statusView;
      case 'candle':
        return this.candles.view(key, sub.coin, sub.interval);
      case 'orderUpdates':
      case 'userFills':
      case 'userEvents':
        if (this.users === undefined) throw codedError('CONFIG', 'user streams are not configured');
        return this.users.createView(key, sub);
    }
  }

  private coinViews(coin: string): CoinViews {
    let cv = this.byCoin.get(coin);
    if (cv === undefined) {
      cv = { l2: new Set(), bbo: null, trades: null, l4: new Set() };
      this.byCoin.set(coin, cv);
    }
    return cv;
  }

  private dropView(view: View): void {
    this.views.delete(view.key);
    if (view instanceof StateView) this.toRefresh.delete(view);
    if (view instanceof AllMidsView) this.midsViews.delete(view);
    if (view instanceof CandleView) this.candles.drop(view);
    if (view instanceof UserView) return this.users?.dropView(view);
    const coin = 'coin' in view ? (view.coin as string) : null;
    if (coin === null) return;
    const cv = this.byCoin.get(coin);
    if (cv === undefined) return;
    if (view instanceof L2View) cv.l2.delete(view);
    else if (view instanceof BboView) cv.bbo = null;
    else if (view instanceof TradesView) cv.trades = null;
    else if (view instanceof L4View) cv.l4.delete(view);
    if (cv.l2.size === 0 && cv.bbo === null && cv.trades === null && cv.l4.size === 0) {
      this.byCoin.delete(coin);
      this.snapshots.delete(coin);
    }
  }

  private onBlock(change: BlockChange): void {
    this.time = change.time;
    this.height = change.height;
    this.endPartials();
    if (!this.available) this.checkAvailable();
    const books = this.books;
    const midsOn = this.midsViews.size > 0;
    let midsChanged = false;
    // A coin whose diffs could not apply was rolled back: its raw events would break every
    // l4Book replica. Its subscribers wait for the fresh Snapshot that the repair's reset brings.
    const desynced = change.desyncs.length === 0 ? null : new Set(change.desyncs.map((d) => d.coin));
    if (desynced !== null) {
      for (const coin of desynced) for (const v of this.byCoin.get(coin)?.l4 ?? []) v.restart(change.height);
      this.logger?.warn({ coins: [...desynced], height: change.height }, 'desync: l4Book subscribers of these coins wait for the repair');
    }
    for (const [coin, cc] of change.coins) {
      if (midsOn && cc.bboChanged && this.mids.update(coin, books) !== null) midsChanged = true;
      const cv = this.byCoin.get(coin);
      if (cv === undefined) continue;
      for (const v of cv.l2) if (v.noteChange(cc)) this.toRefresh.add(v);
      if (cv.bbo !== null && cc.bboChanged) this.markDirty(cv.bbo);
      if (cv.l4.size > 0 && (cc.diffs.length > 0 || cc.statuses.length > 0) && desynced?.has(coin) !== true) {
        const diffsJson = JSON.stringify(cc.diffs);
        for (const v of cv.l4) this.deliver(v.publish(cc, change.height, change.time, diffsJson));
      }
    }
    if (midsChanged) for (const v of this.midsViews) this.markDirty(v);
    for (const [coin, trades] of change.trades) {
      const tv = this.byCoin.get(coin)?.trades;
      if (tv != null) this.deliver(tv.publish(trades));
    }
    this.deliverAll(this.candles.onBlock(change));
    this.turn.request();
  }

  private onState(status: FeedStatus): void {
    if (!this.available) this.checkAvailable();
    // The books will move elsewhere than the open block's end: its partial frames end with the books' state.
    if (status.state !== 'ready' && status.state !== 'degraded') this.endPartials();
    if (this.statusView.subscribed) this.markDirty(this.statusView);
    // A coin that finished repairing may have l4Book subscribers waiting.
    this.turn.request();
  }

  private onReset(coins: string[] | 'all', height: number): void {
    this.height = Math.max(this.height, height);
    this.endPartials();
    // A resync moves the books to another block: the frames that follow show its time.
    const time = this.feed.status().time;
    if (time !== null) this.time = time;
    if (!this.available) this.checkAvailable();
    const list = coins === 'all' ? [...this.byCoin.keys()] : coins;
    if (coins === 'all') this.snapshots.clear();
    this.logger?.info({ coins: coins === 'all' ? 'all' : coins, height }, 'books reset: fresh l4Book snapshots follow');
    for (const coin of list) {
      this.snapshots.delete(coin);
      const cv = this.byCoin.get(coin);
      if (cv === undefined) continue;
      for (const v of cv.l2) this.markDirty(v);
      if (cv.bbo !== null) this.markDirty(cv.bbo);
      for (const v of cv.l4) v.restart(height);
      if (cv.l4.size > 0) this.l4Due.add(coin);
    }
    this.refreshDexes();
    if (this.midsViews.size > 0) {
      if (coins === 'all') this.mids.rebuild(this.books);
      else for (const coin of coins) this.mids.update(coin, this.books);
      for (const v of this.midsViews) this.markDirty(v);
    }
    this.turn.request();
  }

  /**
   * Diffs of the block after the books' height, read before it closed: account them, and
   * mark the coins with `l2Book`/`bbo` views for a partial frame this turn (at most one per
   * view and turn, whatever number of lines came).
   */
  private onPartial(p: PartialBlock): void {
    if (!this.available || p.height !== this.books.height + 1) return;
    const touched = this.overlay.add(p.height, p.time, p.from, p.diffs, this.books);
    if (touched === null) return;
    let due = false;
    for (const coin of touched) {
      const cv = this.byCoin.get(coin);
      if (cv === undefined || (cv.l2.size === 0 && cv.bbo === null) || this.repairing.has(coin)) continue;
      this.partialDue.add(coin);
      due = true;
    }
    if (due) this.turn.request();
  }

  /** The open block closed (or the books moved): drop its overlay; every view that sent a partial frame owes the full one. */
  private endPartials(): void {
    if (this.overlay.height === null && this.owing.size === 0) return;
    this.overlay.clear();
    this.partialDue.clear();
    for (const v of this.owing) if (this.views.get(v.key) === v) this.toRefresh.add(v);
    this.owing.clear();
    this.turn.request();
  }

  /** Partial frames of the coins due this turn (after the full frames: a block that closed this turn comes first). */
  private sendPartials(): void {
    const time = this.overlay.time;
    const now = this.now();
    for (const coin of this.partialDue) {
      const co = this.overlay.coin(coin);
      const cv = this.byCoin.get(coin);
      if (co === undefined || co.broken !== null || cv === undefined || this.repairing.has(coin)) continue;
      const sides = co.sides(this.books.book(coin));
      for (const v of cv.l2) this.sentPartial(v, v.partial(sides, time, now));
      if (cv.bbo !== null) this.sentPartial(cv.bbo, cv.bbo.partial(sides, time, now));
    }
    this.partialDue.clear();
  }

  private sentPartial(view: StateView, d: Delivery | null): void {
    if (d === null) return;
    this.owing.add(view);
    this.deliver(d);
  }

  private markDirty(view: StateView): void {
    view.markDirty();
    this.toRefresh.add(view);
  }

  private checkAvailable(): void {
    if (this.available || this.feed.status().height === null) return;
    this.available = true;
    const st = this.feed.status();
    this.height = Math.max(this.height, st.height ?? 0);
    if (st.time !== null) this.time = st.time;
    this.refreshDexes();
    if (this.midsViews.size > 0) this.mids.rebuild(this.books);
    for (const fn of this.booksListeners) fn();
    this.turn.request();
  }

  private refreshDexes(): void {
    const dexes = new Set<string>();
    for (const coin of this.books.coins()) {
      const d = dexOf(coin);
      if (d !== null) dexes.add(d);
    }
    this.dexes = dexes;
  }

  /** Once per turn, before the outbox writes (the turn's `prepare`): compute each marked view once, queue its frame. */
  refresh(): void {
    if (!this.available) return;
    const ctx = this.context();
    for (const v of this.toRefresh) this.deliver(v.refresh(ctx, v instanceof L2View && this.heartbeatDue.delete(v)));
    this.toRefresh.clear();
    for (const v of this.heartbeatDue) if (this.views.get(v.key) === v) this.deliver(v.refresh(ctx, true));
    this.heartbeatDue.clear();
    if (this.l4Due.size > 0) this.deliverSnapshots();
    if (this.partialDue.size > 0) this.sendPartials();
  }

  private deliverSnapshots(): void {
    const repairing = this.repairing;
    for (const coin of this.l4Due) {
      // A coin being repaired gets its snapshot when the repair's reset comes.
      if (repairing.has(coin)) continue;
      this.l4Due.delete(coin);
      const cv = this.byCoin.get(coin);
      if (cv === undefined) continue;
      for (const v of cv.l4) {
        if (!v.waiting) continue;
        this.deliverAll(v.deliver(this.snapshotFor(coin, v)));
      }
    }
  }

  /** A snapshot `view` can start from: the cached one if recent and covered by its ring, else a new one now. */
  private snapshotFor(coin: string, view: L4View | null): L4Snapshot {
    const cached = this.snapshots.get(coin);
    const fresh =
      cached !== undefined && (cached.height === this.height || (this.time - cached.time <= this.l4ReuseMs && view !== null && view.covers(cached.height)));
    if (fresh) return cached;
    const t0 = performance.now();
    const snap = L4Snapshot.of(this.books, coin, this.height, this.time);
    this.snapshots.set(coin, snap);
    this.logger?.debug({ coin, height: this.height, bytes: snap.json.length, ms: Math.round(performance.now() - t0) }, 'l4 snapshot serialized');
    return snap;
  }

  /** The L4 book of one coin for `POST /info` `l4Book`: a snapshot at most one reuse window old. */
  l4Snapshot(coin: string): L4Snapshot | null {
    if (!this.available || this.books.book(coin) === undefined) return null;
    const cached = this.snapshots.get(coin);
    if (cached !== undefined && this.time - cached.time <= this.l4ReuseMs) return cached;
    return this.snapshotFor(coin, null);
  }

  /** The mids of one scope (`POST /info` `allMids`), as JSON. */
  midsJson(dex: string | null): string {
    if (this.midsViews.size === 0) this.mids.rebuild(this.books);
    return this.mids.json(dex ?? '');
  }

  /** Block time of the last block, ms. */
  get blockTime(): number {
    return this.time;
  }

  private heartbeat(olderThanMs: number): void {
    if (!this.available) return;
    const now = this.now();
    let due = false;
    for (const [, cv] of this.byCoin) {
      for (const v of cv.l2) {
        if (now - v.lastSentAt >= olderThanMs && v.subscribed) {
          this.heartbeatDue.add(v);
          due = true;
        }
      }
    }
    if (due) this.turn.request();
  }

  private markStatus(): void {
    if (!this.statusView.subscribed) return;
    this.markDirty(this.statusView);
    this.turn.request();
  }
}
