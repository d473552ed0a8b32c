/**
 * The common part of `L2BookTracker` and `Bbo`: per coin, one subscription (through the
 * `Subscriptions` module, so it is acknowledged and re-sent on reconnect) and the latest
 * view it delivered, with a `change` event only when the view actually changed (the
 * server re-sends unchanged `l2Book` views as heartbeats). Views go stale when the
 * connection drops and fresh again with the first frame after the re-subscribe.
 */
import { AsyncQueue } from '../core/async-queue.js';
import { asError } from '../core/errors.js';
import type { InboundFrame } from '../core/frame.js';
import { Emitter } from '../core/listeners.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import { coinOfData, isRecord, type Subscription } from '../protocol.js';
import { Subscriptions, type ActiveSubscription, type SubscribeOptions } from './subscriptions.js';
import { codedError } from '../../errors.js';
import { untilEvent } from '../../util/abort.js';

export interface TrackedView {
  coin: string;
  /** The server's `time` of the frame. */
  time: number;
  /** False from a connection loss until the first frame after the re-subscribe. */
  fresh: boolean;
  /**
   * True: the state inside a block still being read (a `"partial":true` frame of a server run
   * with `--book-updates intra-block`); false: the state at a block's end. A block's end is a
   * `change` even when its levels equal the last partial ones.
   */
  partial: boolean;
}

export type ViewEvents<V> = {
  change: [view: V];
  /** The subscription was refused on a re-subscribe: the coin is no longer tracked. */
  lost: [coin: string, reason: Error];
};

export interface CoinViewHandle<V extends TrackedView, P> {
  /** Starts tracking `coin`; resolves once the subscription is acknowledged. */
  track(coin: string, params?: P, options?: SubscribeOptions): Promise<void>;
  untrack(coin: string, options?: SubscribeOptions): Promise<void>;
  /** The latest view of `coin` (undefined before the first frame). */
  view(coin: string): V | undefined;
  /** Resolves with the first view of `coin` that `accept` takes (the current one included). */
  waitFor(coin: string, accept?: (view: V) => boolean, signal?: AbortSignal): Promise<V>;
  on<K extends keyof ViewEvents<V>>(event: K, listener: (...args: ViewEvents<V>[K]) => void): () => void;
  /** Each changed view (of `coin`, or of every coin) from now on. */
  changes(coin?: string, signal?: AbortSignal): AsyncIterableIterator<V>;
  coins(): string[];
}

interface Tracked<V, P> {
  params: P | undefined;
  subscription: Promise<ActiveSubscription<unknown>>;
  view: V | undefined;
  signature: string;
}

export abstract class CoinViewTracker<V extends TrackedView, P> implements ApiModule<CoinViewHandle<V, P>> {
  static readonly requires = [Subscriptions];

  readonly handle: CoinViewHandle<V, P>;
  protected abstract readonly channel: string;
  private readonly tracked = new Map<string, Tracked<V, P>>();
  private readonly events: Emitter<ViewEvents<V>>;
  private readonly queues = new Set<{ coin: string | undefined; queue: AsyncQueue<V> }>();

  constructor(protected readonly ctx: ModuleContext) {
    this.events = new Emitter((error, event) => ctx.logger.error({ err: asError(error), event, module: ctx.moduleName }, 'listener threw'));
    this.handle = {
      track: (coin, params, options) => this.track(coin, params, options),
      untrack: (coin, options) => this.untrack(coin, options),
      view: (coin) => this.tracked.get(coin)?.view,
      waitFor: (coin, accept = () => true, signal) => this.waitFor(coin, accept, signal),
      on: (event, listener) => this.events.on(event, listener),
      changes: (coin, signal) => {
        const entry = { coin, queue: new AsyncQueue<V>({ what: `${ctx.moduleName} changes`, signal, onDone: () => this.queues.delete(entry) }) };
        this.queues.add(entry);
        return entry.queue;
      },
      coins: () => [...this.tracked.keys()],
    };
  }

  /** The subscription object for `coin` with `params`. */
  protected abstract subscriptionFor(coin: string, params: P | undefined): Subscription;
  /** The view a data frame makes, or undefined when the frame is not a valid one. */
  protected abstract toView(data: unknown, coin: string): V | undefined;
  /** What identifies a view's content (not its time), to tell a change from a heartbeat. */
  protected abstract signatureOf(view: V): string;

  rule(frame: InboundFrame): boolean {
    return frame.channel === this.channel && this.tracked.size > 0;
  }

  onFrame(frame: InboundFrame): void {
    if (!isRecord(frame.data)) return;
    const coin = coinOfData(frame.data);
    if (coin === undefined) return;
    const t = this.tracked.get(coin);
    if (!t) return;
    const view = this.toView(frame.data, coin);
    if (!view) {
      this.ctx.logger.warn({ coin, channel: frame.channel }, 'frame does not have the expected shape; ignored');
      return;
    }
    const signature = this.signatureOf(view);
    const wasFresh = t.view?.fresh ?? false;
    t.view = view;
    if (signature === t.signature && wasFresh) return;
    t.signature = signature;
    this.events.emit('change', view);
    for (const { coin: c, queue } of this.queues) if (c === undefined || c === coin) queue.push(view);
  }

  onClose(): void {
    for (const t of this.tracked.values()) if (t.view) t.view = { ...t.view, fresh: false };
  }

  stop(): void {
    for (const { queue } of this.queues) queue.end();
  }

  private async track(coin: string, params: P | undefined, options?: SubscribeOptions): Promise<void> {
    const existing = this.tracked.get(coin);
    if (existing) {
      if (JSON.stringify(existing.params) !== JSON.stringify(params)) {
        // The data frames do not carry the parameters: two views of one coin could not be told apart.
        throw codedError('USAGE', `${this.ctx.moduleName}: ${coin} is already tracked with ${JSON.stringify(existing.params)}; untrack it first`);
      }
      await existing.subscription;
      return;
    }
    const subs = this.ctx.getHandle(Subscriptions);
    const subscription = subs.subscribe(this.subscriptionFor(coin, params), undefined, options);
    const t: Tracked<V, P> = { params, subscription, view: undefined, signature: '' };
    this.tracked.set(coin, t);
    try {
      const active = await subscription;
      active.lost.addEventListener('abort', () => {
        if (this.tracked.get(coin) !== t) return;
        this.tracked.delete(coin);
        this.events.emit('lost', coin, asError(active.lost.reason));
      });
    } catch (error) {
      if (this.tracked.get(coin) === t) this.tracked.delete(coin);
      throw error;
    }
  }

  private async untrack(coin: string, options?: SubscribeOptions): Promise<void> {
    const t = this.tracked.get(coin);
    if (!t) return;
    this.tracked.delete(coin);
    const active = await t.subscription.catch(() => undefined);
    await active?.unsubscribe(options);
  }

  private waitFor(coin: string, accept: (view: V) => boolean, signal?: AbortSignal): Promise<V> {
    const now = this.tracked.get(coin)?.view;
    if (now && now.fresh && accept(now)) return Promise.resolve(now);
    return untilEvent<V>(
      (resolve) =>
        this.events.on('change', (view) => {
          if (view.coin === coin && accept(view)) resolve(view);
        }),
      signal,
    );
  }
}
