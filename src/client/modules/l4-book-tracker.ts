/**
 * `L4BookTracker`: a local L4 replica per coin, kept by the engine (`src/book`) from the
 * `l4Book` channel: a `Snapshot` builds (or replaces) the replica, each `Updates` applies
 * one block's statuses and diffs on top.
 *
 * Heights only go up: an `Updates` at or below the replica's height is ignored (a
 * duplicate or a late frame), and `Updates` are ignored while the replica waits for a
 * snapshot (after a connection loss, until the re-subscribe brings one). A diff that does
 * not apply (the replica has diverged) triggers a fresh snapshot by unsubscribing and
 * subscribing again. The server sends a fresh `Snapshot` after its own resync; it
 * replaces the replica like any other.
 *
 * A `new` diff's `insertBefore` (node-data.md) places the order just ahead of the named one,
 * as on the server, so queue positions in the replica are the node's; a name that does not
 * rest at that level is a divergence like any diff that does not apply.
 */
import * as v from 'valibot';
import { Books, OrderBook, type BlockChange, type L2Level, type L2Levels, type L2Params, type L4Order, type NodeOrder } from '../../book/index.js';
import { ErrorCodes, HlobError } from '../../errors.js';
import { AsyncQueue } from '../core/async-queue.js';
import { asError } from '../core/errors.js';
import type { InboundFrame } from '../core/frame.js';
import { Emitter } from '../core/listeners.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import { check, describeIssues, L4SnapshotSchema, L4UpdatesSchema } from '../core/inbound.js';
import { coinOfData, isRecord } from '../protocol.js';
import { L4BookView } from './l4-book-view.js';
import { Subscriptions, type ActiveSubscription, type SubscribeOptions } from './subscriptions.js';

export interface L4BookTrackerOptions {
  /**
   * Subscribe with `bookOnly: true` (this server's extension): only the statuses of orders
   * that rest, which is all a replica needs (the others are ~95 % of the bytes). Default true.
   */
  bookOnly?: boolean;
}

export interface TrackOptions extends SubscribeOptions {
  /** Overrides the module's `bookOnly` for this coin. */
  bookOnly?: boolean;
}

/** What a replica of one book can be asked, at L4 (here) or L2 (the connector's public-API books). */
export interface BookReads {
  /** Height of the last snapshot or update applied. */
  readonly height: number;
  /** Block time of the last snapshot or update applied, ms. */
  readonly time: number;
  bbo(): [L2Level | null, L2Level | null];
  bestBid(): L2Level | null;
  bestAsk(): L2Level | null;
  /** Mid price in the one number form, or null when a side is empty. */
  mid(): string | null;
  /** Aggregated levels, exactly as the server's `l2Book` with the same parameters. */
  l2(params?: L2Params): L2Levels;
  /** Orders per side, best level first, time priority within a level. */
  l4(): [L4Order[], L4Order[]];
  order(oid: number): L4Order | undefined;
  /** The resting orders of `user` (any case of hex). */
  ordersOf(user: string): L4Order[];
}

/** A read-only view of one coin's replica. */
export interface L4Replica extends BookReads {
  readonly coin: string;
  /** False while waiting for a snapshot (after a connection loss or a divergence). */
  readonly synced: boolean;
  /** Resting orders. */
  readonly size: number;
}

export interface L4Change {
  coin: string;
  height: number;
  time: number;
  kind: 'snapshot' | 'updates';
  /** Whether the best bid or ask changed (always true for a snapshot). */
  bboChanged: boolean;
  /** Prices of bid levels whose size or count changed (empty for a snapshot: everything did). */
  changedBids: string[];
  changedAsks: string[];
}

export type L4BookTrackerEvents = {
  change: [change: L4Change];
  /** The replica diverged (a diff did not apply) or a frame was malformed; a fresh snapshot is on its way. */
  desync: [coin: string, error: Error];
  /** The subscription was refused on a re-subscribe: the coin is no longer tracked. */
  lost: [coin: string, reason: Error];
};

export interface L4BookTrackerHandle {
  /** Tracks `coin`; resolves with its replica once the first snapshot is applied. */
  track(coin: string, options?: TrackOptions): Promise<L4Replica>;
  untrack(coin: string, options?: SubscribeOptions): Promise<void>;
  /** The replica of `coin`, or undefined when not tracked. */
  replica(coin: string): L4Replica | undefined;
  /** Resolves once `coin`'s replica is synced at `height` or above. */
  waitForHeight(coin: string, height: number, signal?: AbortSignal): Promise<L4Replica>;
  /** Asks for a fresh snapshot of `coin` (unsubscribe, subscribe). */
  resync(coin: string): Promise<void>;
  on<K extends keyof L4BookTrackerEvents>(event: K, listener: (...args: L4BookTrackerEvents[K]) => void): () => void;
  /** Each change (of `coin`, or of every coin) from now on. */
  changes(coin?: string, signal?: AbortSignal): AsyncIterableIterator<L4Change>;
  /** Updates ignored so far because they were at or below the replica's height, or came before a snapshot. */
  readonly ignoredUpdates: number;
}

class Replica extends L4BookView implements L4Replica {
  height = 0;
  time = 0;
  synced = false;
  books: Books | undefined;

  constructor(readonly coin: string) {
    super();
  }

  protected get book(): OrderBook | undefined {
    return this.books?.book(this.coin);
  }
}

interface Tracked {
  replica: Replica;
  bookOnly: boolean;
  subscription: Promise<ActiveSubscription> | undefined;
  resyncing: boolean;
}

export class L4BookTracker implements ApiModule<L4BookTrackerHandle> {
  static readonly moduleName = 'L4BookTracker';
  static readonly requires = [Subscriptions];

  readonly handle: L4BookTrackerHandle;
  private readonly tracked = new Map<string, Tracked>();
  private readonly events: Emitter<L4BookTrackerEvents>;
  private readonly queues = new Set<{ coin: string | undefined; queue: AsyncQueue<L4Change> }>();
  private readonly bookOnly: boolean;
  private ignored = 0;

  constructor(
    private readonly ctx: ModuleContext,
    options: L4BookTrackerOptions = {},
  ) {
    this.bookOnly = options.bookOnly ?? true;
    this.events = new Emitter((error, event) => ctx.logger.error({ err: asError(error), event }, 'L4BookTracker listener threw'));
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.handle = {
      track: (coin, opts) => this.track(coin, opts),
      untrack: (coin, opts) => this.untrack(coin, opts),
      replica: (coin) => this.tracked.get(coin)?.replica,
      waitForHeight: (coin, height, signal) => this.waitFor(coin, (r) => r.synced && r.height >= height, signal),
      resync: (coin) => this.resync(coin),
      on: (event, listener) => this.events.on(event, listener),
      changes: (coin, signal) => {
        const entry = { coin, queue: new AsyncQueue<L4Change>({ what: 'L4 changes', signal, onDone: () => this.queues.delete(entry) }) };
        this.queues.add(entry);
        return entry.queue;
      },
      get ignoredUpdates() {
        return self.ignored;
      },
    };
  }

  rule(frame: InboundFrame): boolean {
    return frame.channel === 'l4Book' && this.tracked.size > 0;
  }

  onFrame(frame: InboundFrame): void {
    const data = frame.data;
    if (!isRecord(data)) return;
    // An `Updates` with no events names no coin; with one coin tracked it can only be that one's.
    const coin = coinOfData(data) ?? (this.tracked.size === 1 ? this.tracked.keys().next().value : undefined);
    if (coin === undefined) return;
    const t = this.tracked.get(coin);
    if (!t) return;
    try {
      if (isRecord(data.Snapshot)) this.applySnapshot(t, data.Snapshot);
      else if (isRecord(data.Updates)) this.applyUpdates(t, data.Updates);
    } catch (error) {
      // Bad data from the server is not a bug of this module: resync that coin, keep the others.
      if (!(error instanceof HlobError)) throw error;
      this.diverged(t, error);
    }
  }

  onClose(): void {
    // The re-subscribe on the next connection brings a snapshot; nothing before it can apply.
    for (const t of this.tracked.values()) t.replica.synced = false;
  }

  stop(): void {
    for (const t of this.tracked.values()) {
      void t.subscription?.then((s) => s.unsubscribe()).catch(() => {});
    }
    this.tracked.clear();
    for (const { queue } of this.queues) queue.end();
  }

  private async track(coin: string, options: TrackOptions = {}): Promise<L4Replica> {
    let t = this.tracked.get(coin);
    if (!t) {
      t = { replica: new Replica(coin), bookOnly: options.bookOnly ?? this.bookOnly, subscription: undefined, resyncing: false };
      this.tracked.set(coin, t);
      try {
        await this.subscribe(t, options);
      } catch (error) {
        if (this.tracked.get(coin) === t) this.tracked.delete(coin);
        throw error;
      }
    } else {
      await t.subscription;
    }
    return this.waitFor(coin, (r) => r.synced, options.signal);
  }

  private subscribe(t: Tracked, options: SubscribeOptions = {}): Promise<ActiveSubscription> {
    const coin = t.replica.coin;
    const subscription = this.ctx
      .getHandle(Subscriptions)
      .subscribe(t.bookOnly ? { type: 'l4Book', coin, bookOnly: true } : { type: 'l4Book', coin }, undefined, options);
    t.subscription = subscription;
    subscription.then(
      (active) =>
        active.lost.addEventListener('abort', () => {
          if (this.tracked.get(coin) !== t || t.subscription !== subscription) return;
          this.tracked.delete(coin);
          this.events.emit('lost', coin, asError(active.lost.reason));
        }),
      () => {},
    );
    return subscription;
  }

  private async untrack(coin: string, options?: SubscribeOptions): Promise<void> {
    const t = this.tracked.get(coin);
    if (!t) return;
    this.tracked.delete(coin);
    const active = await t.subscription?.catch(() => undefined);
    await active?.unsubscribe(options);
  }

  private async resync(coin: string): Promise<void> {
    const t = this.tracked.get(coin);
    if (!t || t.resyncing) return;
    t.resyncing = true;
    t.replica.synced = false;
    try {
      const previous = t.subscription;
      t.subscription = undefined;
      const active = await previous?.catch(() => undefined);
      await active?.unsubscribe().catch(() => {});
      if (this.tracked.get(coin) === t) await this.subscribe(t);
    } finally {
      t.resyncing = false;
    }
  }

  /** Builds the coin's book straight from the snapshot's sides (best level first, time priority inside a level). */
  private applySnapshot(t: Tracked, data: unknown): void {
    const coin = t.replica.coin;
    const r0 = v.safeParse(L4SnapshotSchema, data);
    if (!r0.success) {
      throw new HlobError(
        ErrorCodes.BAD_SNAPSHOT,
        `l4Book snapshot of ${coin} does not have {coin, time, height, levels: [bids, asks]}: ${describeIssues(r0.issues)}`,
      );
    }
    const snap = r0.output;
    const toPair = ({ user, ...order }: L4Order): [string, NodeOrder] => [user, order];
    const [bids, asks] = snap.levels;
    const books = new Books(snap.height);
    books.setBook(coin, OrderBook.fromL4(coin, bids.map(toPair), asks.map(toPair)));
    const r = t.replica;
    r.books = books;
    r.height = snap.height;
    r.time = snap.time ?? 0;
    r.byUser.clear();
    for (const side of snap.levels) for (const o of side) r.indexUser(o.user, o.oid, true);
    r.synced = true;
    this.emitChange({ coin, height: r.height, time: r.time, kind: 'snapshot', bboChanged: true, changedBids: [], changedAsks: [] });
  }

  private applyUpdates(t: Tracked, data: unknown): void {
    const r = t.replica;
    if (!r.synced || !r.books) {
      this.ignored++;
      return;
    }
    const checked = check(L4UpdatesSchema, data, `l4Book Updates of ${r.coin}`);
    // A malformed block cannot be applied nor skipped safely: the replica resyncs.
    if (!checked.ok) return this.diverged(t, checked.error);
    const u = checked.value;
    if (u.height <= r.height) {
      this.ignored++;
      return;
    }
    const diffs = u.book_diffs;
    const statuses = u.order_statuses;
    const change: BlockChange = r.books.applyBlock({ height: u.height, time: u.time, statuses, diffs, fills: [] }, { only: new Set([r.coin]) });
    const desync = change.desyncs.find((d) => d.coin === r.coin);
    if (desync) {
      this.diverged(t, desync);
      return;
    }
    for (const d of diffs) {
      if (d.coin !== r.coin) continue;
      if (d.raw_book_diff === 'remove') r.indexUser(d.user, d.oid, false);
      else if ('new' in d.raw_book_diff) r.indexUser(d.user, d.oid, true);
    }
    r.height = u.height;
    r.time = u.time;
    const cc = change.coins.get(r.coin);
    this.emitChange({
      coin: r.coin,
      height: r.height,
      time: r.time,
      kind: 'updates',
      bboChanged: cc?.bboChanged ?? false,
      changedBids: cc?.changedBids ?? [],
      changedAsks: cc?.changedAsks ?? [],
    });
  }

  private diverged(t: Tracked, error: Error): void {
    t.replica.synced = false;
    this.ctx.logger.warn({ err: error, coin: t.replica.coin }, 'L4 replica diverged; asking for a fresh snapshot');
    this.events.emit('desync', t.replica.coin, error);
    this.resync(t.replica.coin).catch((e: unknown) => this.ctx.logger.error({ err: asError(e), coin: t.replica.coin }, 'resync failed'));
  }

  private emitChange(change: L4Change): void {
    this.events.emit('change', change);
    for (const { coin, queue } of this.queues) if (coin === undefined || coin === change.coin) queue.push(change);
  }

  private waitFor(coin: string, accept: (r: L4Replica) => boolean, signal?: AbortSignal): Promise<L4Replica> {
    const t = this.tracked.get(coin);
    if (t && accept(t.replica)) return Promise.resolve(t.replica);
    return new Promise<L4Replica>((resolve, reject) => {
      const offChange = this.events.on('change', (c) => {
        const now = this.tracked.get(coin);
        if (c.coin === coin && now && accept(now.replica)) settle(() => resolve(now.replica));
      });
      const offLost = this.events.on('lost', (c, reason) => {
        if (c === coin) settle(() => reject(reason));
      });
      const onAbort = (): void => settle(() => reject(signal?.reason));
      const settle = (fn: () => void): void => {
        offChange();
        offLost();
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
