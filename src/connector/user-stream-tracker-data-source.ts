/**
 * `UserStreamTrackerDataSource`: one address's order and fill streams over the client SDK —
 * `orderUpdates`, `userFills` and the `user` channel (its `fills`) — collected and parsed
 * into `UserStreamMessage`s, plus an `openOrders` request after every (re)subscribe, so the
 * tracker can tell what happened while the connection was down.
 *
 * The `openOrders` request goes out once `orderUpdates` is subscribed again (the
 * subscription's acknowledgement): every status from then on reaches the stream, and
 * everything before it is in the answer.
 */
import { Post, Subscriptions, isRecord, type ActiveSubscription, type Client, type Subscription } from '../client/index.js';
import { asError, ExchangeUnavailableError } from './errors.js';
import type { BasicOrder, UserStreamMessage, WsFill, WsOrder } from './user-stream-message.js';
import { codedError } from '../errors.js';

export interface UserStreamDataSourceOptions {
  /** Subscribes and info requests wait at most this long, ms. Default 10,000. */
  timeoutMs?: number;
  /**
   * Subscribe to the `user` channel too (a second source of fills; duplicates are dropped by
   * the tracker). Our server and the public API both have it. Default true.
   */
  userChannel?: boolean;
}

function isWsOrder(x: unknown): x is WsOrder {
  return isRecord(x) && typeof x.status === 'string' && isRecord(x.order) && typeof x.order.oid === 'number';
}

function isWsFill(x: unknown): x is WsFill {
  return isRecord(x) && typeof x.tid === 'number' && typeof x.oid === 'number' && typeof x.px === 'string' && typeof x.sz === 'string';
}

export class UserStreamTrackerDataSource {
  private readonly held: ActiveSubscription[] = [];
  private readonly timeoutMs: number;
  private readonly userChannel: boolean;
  private offResubscribed: (() => void) | undefined;
  private started = false;

  constructor(
    private readonly client: Client,
    readonly user: string,
    options: UserStreamDataSourceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.userChannel = options.userChannel ?? true;
  }

  /**
   * Subscribes the streams and sends messages to `onMessage` (the first `openOrders` once
   * subscribed); `onError` hears of a failed `openOrders` request after a reconnect.
   */
  async start(onMessage: (m: UserStreamMessage) => void, onError: (e: Error) => void = () => {}): Promise<void> {
    if (this.started) throw codedError('USAGE', `user stream of ${this.user} already started`);
    this.started = true;
    const subs = this.client.getHandle(Subscriptions);
    const user = this.user;
    const orderUpdates: Subscription = { type: 'orderUpdates', user };
    const snapshot = (reconnect: boolean): Promise<void> =>
      this.openOrders().then(
        (orders) => onMessage({ type: 'openOrders', orders, reconnect }),
        (error: unknown) => onError(asError(error)),
      );
    // A re-subscribe of orderUpdates (after a reconnect or a server restart) opens the window
    // the stream missed: ask for what rests now.
    this.offResubscribed = subs.on('resubscribed', (sub) => {
      if (sub.type === 'orderUpdates' && typeof sub.user === 'string' && sub.user.toLowerCase() === user.toLowerCase()) void snapshot(true);
    });
    this.held.push(
      await subs.subscribe<unknown>(
        orderUpdates,
        (data) => {
          const orders = Array.isArray(data) ? data.filter(isWsOrder) : [];
          if (orders.length > 0) onMessage({ type: 'orderUpdates', orders });
        },
        { timeoutMs: this.timeoutMs },
      ),
    );
    this.held.push(
      await subs.subscribe<unknown>(
        { type: 'userFills', user },
        (data) => {
          if (!isRecord(data) || !Array.isArray(data.fills)) return;
          if (typeof data.user === 'string' && data.user.toLowerCase() !== user.toLowerCase()) return;
          onMessage({ type: 'fills', fills: data.fills.filter(isWsFill), snapshot: data.isSnapshot === true, source: 'userFills' });
        },
        { timeoutMs: this.timeoutMs },
      ),
    );
    if (this.userChannel) {
      this.held.push(
        await subs.subscribe<unknown>(
          { type: 'user', user },
          (data) => {
            if (!isRecord(data) || !Array.isArray(data.fills)) return;
            onMessage({ type: 'fills', fills: data.fills.filter(isWsFill), snapshot: false, source: 'user' });
          },
          { timeoutMs: this.timeoutMs },
        ),
      );
    }
    await snapshot(false);
  }

  /** The address's resting orders (`openOrders`). */
  async openOrders(): Promise<BasicOrder[]> {
    const data = await this.client.getHandle(Post).info<unknown>({ type: 'openOrders', user: this.user }, { timeoutMs: this.timeoutMs });
    if (!Array.isArray(data)) throw new ExchangeUnavailableError(`openOrders of ${this.user}: the answer is not a list`);
    return data.filter((o): o is BasicOrder => isRecord(o) && typeof o.oid === 'number' && typeof o.coin === 'string');
  }

  async stop(): Promise<void> {
    this.offResubscribed?.();
    for (const h of this.held.splice(0)) await h.unsubscribe().catch(() => {});
  }
}
