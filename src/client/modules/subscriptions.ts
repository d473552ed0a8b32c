/**
 * `Subscriptions`: subscribe and unsubscribe with acknowledgement, data delivered per
 * subscription to listeners and async iterators, every subscription sent again on each
 * reconnect, and the server's error frames surfaced.
 *
 * One server subscription per distinct subscription object (the server refuses
 * duplicates): two `subscribe` calls for the same object share it, and the unsubscribe
 * goes out when the last of them unsubscribes. A subscription is durable: when the
 * connection drops it waits for the next one and is sent again; it ends only by
 * `unsubscribe()`, by the server refusing it on a re-subscribe, or by `client.close()`.
 */
import { AsyncQueue } from '../core/async-queue.js';
import { ClientClosedError, DisconnectedError, RejectedError, TimeoutError, asError } from '../core/errors.js';
import type { InboundFrame } from '../core/frame.js';
import { Emitter } from '../core/listeners.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import type { CloseInfo, OpenInfo } from '../core/runner.js';
import { PendingReplies } from '../core/pending-replies.js';
import { dataBelongsTo, echoes, isRecord, objectInErrorText, subscriptionKey, type Subscription } from '../protocol.js';
import { codedError } from '../../errors.js';
import { raceDeadline, settleWithin } from '../../util/abort.js';
import { SERVER_ERROR_PREFIX } from '../protocol-errors.js';
import * as v from 'valibot';
import { check, SubscriptionObject, SubscriptionResponseSchema } from '../core/inbound.js';

export interface SubscriptionsOptions {
  /** Wait for an acknowledgement at most this long, ms. Default 10,000. */
  timeoutMs?: number;
  /** Items an async iterator buffers before failing with `BufferFullError`. Default 10,000. */
  iteratorBound?: number;
}

export interface SubscribeOptions {
  /** Overrides the module's `timeoutMs` for this call. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One user's hold on a subscription. Iterate it, or add listeners. */
export interface ActiveSubscription<T = unknown> extends AsyncIterable<T> {
  /** The subscription object as sent. */
  readonly subscription: Subscription;
  /** Calls `listener` with each data payload; returns the remover. */
  on(listener: (data: T) => void): () => void;
  /** Releases this hold; the server is told when the last hold goes. */
  unsubscribe(options?: SubscribeOptions): Promise<void>;
  /** Aborted (with the reason) when the subscription is lost for good. */
  readonly lost: AbortSignal;
}

/** An error frame from the server (`{"channel":"error","data":"…"}`). */
export interface ServerError {
  text: string;
  /** The subscription it names, when it names one. */
  subscription?: Subscription;
}

export type SubscriptionsEvents = {
  /** Every server error frame. */
  serverError: [error: ServerError];
  /** A subscription was acknowledged again after a reconnect. */
  resubscribed: [subscription: Subscription];
  /** A subscription ended against the user's will (refused on re-subscribe). */
  lost: [subscription: Subscription, reason: Error];
};

export interface SubscriptionsHandle {
  /**
   * Subscribes and resolves once the server acknowledged (or at once when the same
   * subscription is already active). Rejects with `TimeoutError`, `RejectedError`
   * (`Invalid subscription …`) or `ClientClosedError`. While disconnected, waits for
   * the connection (within the timeout).
   */
  subscribe<T = unknown>(subscription: Subscription, listener?: (data: T) => void, options?: SubscribeOptions): Promise<ActiveSubscription<T>>;
  /**
   * Like `subscribe`, but the first iterator of the result holds every frame since the
   * acknowledgement (an `l2Book` subscription's first frame comes right after it, before
   * `await` returns): `for await (const book of await subs.stream(sub))`. Iterators of a
   * `subscribe` result, and later ones of a `stream`, see frames from their creation on.
   */
  stream<T = unknown>(subscription: Subscription, options?: SubscribeOptions): Promise<ActiveSubscription<T>>;
  /** Every server error frame, as it comes. */
  errors(signal?: AbortSignal): AsyncIterableIterator<ServerError>;
  on<K extends keyof SubscriptionsEvents>(event: K, listener: (...args: SubscriptionsEvents[K]) => void): () => void;
  /** The subscriptions held now. */
  list(): Subscription[];
}

type Status = 'sending' | 'active' | 'unsubscribing';

interface Entry {
  key: string;
  subscription: Subscription;
  status: Status;
  holds: Set<Hold>;
  /** Resolves when the current subscribe is acknowledged (rejects when refused). */
  acked: Promise<void> | undefined;
  /** Whether the subscribe has been written to the current connection. */
  sentOnConnection: boolean;
  /** Whether this entry was ever acknowledged (a later ack is a re-subscribe). */
  everActive: boolean;
  /** Settles when a running unsubscribe is done. */
  releasing?: Promise<void>;
}

interface Hold {
  entry: Entry;
  listeners: Set<(data: unknown) => void>;
  queues: Set<AsyncQueue<unknown>>;
  controller: AbortController;
  /** The queue a `stream` filled since before the acknowledgement, for its first iterator. */
  first: AsyncQueue<unknown> | undefined;
}

export class Subscriptions implements ApiModule<SubscriptionsHandle> {
  static readonly moduleName = 'Subscriptions';

  readonly handle: SubscriptionsHandle;
  private readonly entries = new Map<string, Entry>();
  private readonly byType = new Map<string, Set<Entry>>();
  private readonly acks: PendingReplies<string, void>;
  private readonly unsubAcks: PendingReplies<string, void>;
  private readonly events: Emitter<SubscriptionsEvents>;
  private readonly errorQueues = new Set<AsyncQueue<ServerError>>();
  private readonly timeoutMs: number;
  private readonly iteratorBound: number;
  private stopped: Error | undefined;
  /** Callers waiting for a connection before they can send their subscribe. */
  private readonly openWaiters = new Set<() => void>();

  constructor(
    private readonly ctx: ModuleContext,
    options: SubscriptionsOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.iteratorBound = options.iteratorBound ?? 10_000;
    this.acks = new PendingReplies(ctx.clock);
    this.unsubAcks = new PendingReplies(ctx.clock);
    this.events = new Emitter((error, event) => ctx.logger.error({ err: asError(error), event }, 'Subscriptions listener threw'));
    this.handle = {
      subscribe: (subscription, listener, opts) => this.subscribe(subscription, listener, opts, false),
      stream: (subscription, opts) => this.subscribe(subscription, undefined, opts, true),
      errors: (signal) => {
        const queue = new AsyncQueue<ServerError>({
          bound: this.iteratorBound,
          what: 'server errors',
          signal,
          onDone: () => this.errorQueues.delete(queue),
        });
        this.errorQueues.add(queue);
        return queue;
      },
      on: (event, listener) => this.events.on(event, listener),
      list: () => [...this.entries.values()].map((e) => e.subscription),
    };
  }

  rule(frame: InboundFrame): boolean {
    return frame.channel === 'subscriptionResponse' || frame.channel === 'error' || this.byType.has(frame.channel);
  }

  onFrame(frame: InboundFrame): void {
    if (frame.channel === 'subscriptionResponse') this.onAck(frame.data);
    else if (frame.channel === 'error') this.onServerError(frame.data);
    else this.onData(frame.channel, frame.data);
  }

  onOpen(_info: OpenInfo): void {
    for (const entry of this.entries.values()) {
      if (entry.status === 'unsubscribing') continue;
      this.sendSubscribe(entry);
    }
    for (const wake of [...this.openWaiters]) wake();
  }

  onClose(_info: CloseInfo): void {
    for (const entry of [...this.entries.values()]) {
      entry.sentOnConnection = false;
      if (entry.status === 'unsubscribing') {
        // The connection took the subscription with it: the unsubscribe has nothing left to do.
        this.unsubAcks.resolve(entry.key, undefined);
        continue;
      }
      entry.status = 'sending';
      // An ack that was awaited on the old connection will not come; wait for the next one.
      this.acks.reject(entry.key, new DisconnectedError('subscribe', 'connection lost; sent again on reconnect'));
      entry.acked = undefined;
    }
  }

  stop(reason: Error): void {
    this.stopped = reason;
    const error = reason instanceof ClientClosedError ? reason : new DisconnectedError('Subscriptions', `module stopped: ${reason.message}`);
    this.acks.rejectAll(() => error);
    this.unsubAcks.rejectAll(() => error);
    for (const entry of [...this.entries.values()]) this.drop(entry, error);
    for (const q of this.errorQueues) q.end();
    for (const wake of [...this.openWaiters]) wake();
  }

  private async subscribe<T>(
    subscription: Subscription,
    listener: ((data: T) => void) | undefined,
    options: SubscribeOptions = {},
    eager: boolean,
  ): Promise<ActiveSubscription<T>> {
    if (this.stopped) throw this.stopped;
    if (!isRecord(subscription) || typeof subscription.type !== 'string') {
      throw codedError('USAGE', `subscribe: a subscription is an object with a string "type"; got ${JSON.stringify(subscription)}`);
    }
    const key = subscriptionKey(subscription);
    let entry = this.entries.get(key);
    while (entry?.status === 'unsubscribing') {
      // Let the unsubscribe finish (the server would refuse a duplicate), then subscribe afresh.
      await entry.releasing?.catch(() => {});
      if (this.entries.get(key) === entry) this.forget(entry);
      entry = this.entries.get(key);
    }
    if (!entry) {
      entry = {
        key,
        subscription: structuredClone(subscription),
        status: 'sending',
        holds: new Set(),
        acked: undefined,
        sentOnConnection: false,
        everActive: false,
      };
      this.entries.set(key, entry);
      let set = this.byType.get(subscription.type);
      if (!set) this.byType.set(subscription.type, (set = new Set()));
      set.add(entry);
    }
    const hold: Hold = { entry, listeners: new Set(), queues: new Set(), controller: new AbortController(), first: undefined };
    if (listener) hold.listeners.add(listener as (data: unknown) => void);
    if (eager) {
      const first = this.queueFor(hold);
      hold.first = first;
      hold.queues.add(first);
    }
    entry.holds.add(hold);
    try {
      await this.untilActive(entry, options);
    } catch (error) {
      entry.holds.delete(hold);
      if (entry.holds.size === 0 && this.entries.get(key) === entry) this.forget(entry);
      throw error;
    }
    return this.activeSubscription<T>(hold);
  }

  /** Resolves when `entry` is acknowledged, sending it when the connection allows. */
  private async untilActive(entry: Entry, options: SubscribeOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const what = `subscribe ${JSON.stringify(entry.subscription)}`;
    const deadline = this.ctx.clock.now() + timeoutMs;
    for (;;) {
      if (entry.status === 'active') return;
      if (!this.entries.has(entry.key)) throw new DisconnectedError(what, 'the subscription was dropped');
      if (this.ctx.state !== 'open') {
        await this.untilOpenOrTimeout(what, deadline, timeoutMs, options.signal);
        continue;
      }
      if (!entry.acked) this.sendSubscribe(entry, timeoutMs);
      const remaining = Math.max(0, deadline - this.ctx.clock.now());
      const acked = entry.acked;
      if (!acked) continue;
      try {
        await withTimeout(acked, this.ctx, what, remaining, timeoutMs, options.signal);
      } catch (error) {
        // A connection lost mid-wait is retried on the next connection, within the same deadline.
        if (error instanceof DisconnectedError && this.entries.has(entry.key) && !this.stopped) continue;
        throw error;
      }
    }
  }

  private untilOpenOrTimeout(what: string, deadline: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return settleWithin<void>(
      (resolve, reject) => {
        const poll = (): void => {
          if (this.stopped) reject(this.stopped);
          else if (this.ctx.state === 'open') resolve();
        };
        this.openWaiters.add(poll);
        return () => this.openWaiters.delete(poll);
      },
      { timeoutMs: Math.max(0, deadline - this.ctx.clock.now()), onTimeout: () => new TimeoutError(what, timeoutMs), signal, clock: this.ctx.clock },
    );
  }

  /** Re-subscribes after a reconnect have no caller waiting: they get the module's timeout. */
  private sendSubscribe(entry: Entry, timeoutMs = this.timeoutMs): void {
    if (this.ctx.state !== 'open') return;
    entry.status = 'sending';
    const what = `subscribe ${JSON.stringify(entry.subscription)}`;
    this.acks.reject(entry.key, new DisconnectedError(what, 'superseded'));
    const acked = this.acks.wait(entry.key, what, { timeoutMs });
    entry.acked = acked;
    acked.then(
      () => {
        const wasActive = entry.everActive;
        entry.status = 'active';
        entry.everActive = true;
        if (wasActive) this.events.emit('resubscribed', entry.subscription);
      },
      (error: unknown) => {
        if (entry.acked === acked) entry.acked = undefined;
        // Losing the connection is not the subscription's fault: it is sent again on reconnect.
        if (error instanceof DisconnectedError) return;
        if (entry.everActive && this.entries.get(entry.key) === entry) {
          // A re-subscribe that the server refused or never answered: the subscription is lost.
          this.drop(entry, asError(error));
          this.events.emit('lost', entry.subscription, asError(error));
        }
      },
    );
    entry.sentOnConnection = true;
    this.ctx.send({ method: 'subscribe', subscription: entry.subscription });
  }

  private activeSubscription<T>(hold: Hold): ActiveSubscription<T> {
    const entry = hold.entry;
    return {
      subscription: entry.subscription,
      lost: hold.controller.signal,
      on: (listener) => {
        const l = listener as (data: unknown) => void;
        hold.listeners.add(l);
        return () => hold.listeners.delete(l);
      },
      unsubscribe: (options) => this.release(hold, options),
      [Symbol.asyncIterator]: () => {
        const first = hold.first;
        hold.first = undefined;
        if (first) return first as AsyncQueue<T>;
        const queue = this.queueFor(hold);
        if (hold.controller.signal.aborted) queue.fail(hold.controller.signal.reason);
        else hold.queues.add(queue);
        return queue as AsyncQueue<T>;
      },
    };
  }

  private queueFor(hold: Hold): AsyncQueue<unknown> {
    const queue: AsyncQueue<unknown> = new AsyncQueue<unknown>({
      bound: this.iteratorBound,
      what: `subscription ${hold.entry.key}`,
      onDone: () => hold.queues.delete(queue),
    });
    return queue;
  }

  private async release(hold: Hold, options: SubscribeOptions = {}): Promise<void> {
    const entry = hold.entry;
    if (!entry.holds.delete(hold)) return;
    for (const q of hold.queues) q.end();
    hold.queues.clear();
    hold.listeners.clear();
    if (entry.holds.size > 0 || this.entries.get(entry.key) !== entry) return;
    if (this.ctx.state !== 'open' || !entry.sentOnConnection) {
      this.forget(entry);
      return;
    }
    entry.status = 'unsubscribing';
    this.acks.reject(entry.key, new DisconnectedError('subscribe', 'unsubscribed before the acknowledgement'));
    const what = `unsubscribe ${JSON.stringify(entry.subscription)}`;
    const done = this.unsubAcks.wait(entry.key, what, { timeoutMs: options.timeoutMs ?? this.timeoutMs, signal: options.signal });
    entry.releasing = done;
    this.ctx.send({ method: 'unsubscribe', subscription: entry.subscription });
    try {
      await done;
    } finally {
      if (this.entries.get(entry.key) === entry && entry.status === 'unsubscribing') this.forget(entry);
    }
  }

  private onAck(data: unknown): void {
    const checked = check(SubscriptionResponseSchema, data, 'subscriptionResponse');
    if (!checked.ok) {
      this.ctx.logger.warn({ err: checked.error }, 'malformed subscriptionResponse frame; ignored');
      return;
    }
    const ack = checked.value;
    const method = ack.method === 'unsubscribe' ? 'unsubscribe' : 'subscribe';
    const entry = this.match(ack.subscription, (e) => (method === 'subscribe' ? this.acks.has(e.key) : e.status === 'unsubscribing'));
    if (method === 'subscribe') {
      if (entry) this.acks.resolve(entry.key, undefined);
      else if (!this.match(ack.subscription, () => true) && this.ctx.state === 'open') {
        // An ack for something we no longer hold (its subscribe timed out): do not leave it running.
        this.ctx.send({ method: 'unsubscribe', subscription: ack.subscription });
      }
    } else if (entry) {
      this.unsubAcks.resolve(entry.key, undefined);
    }
  }

  private onServerError(data: unknown): void {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    let quoted = objectInErrorText(text);
    // Some servers quote the whole request rather than the subscription.
    if (quoted && isRecord(quoted.subscription)) quoted = quoted.subscription;
    const subscription = quoted && typeof quoted.type === 'string' ? (quoted as Subscription) : undefined;
    const error: ServerError = subscription ? { text, subscription } : { text };
    this.events.emit('serverError', error);
    for (const q of this.errorQueues) q.push(error);
    if (!subscription) {
      this.ctx.logger.warn({ text }, 'server error frame');
      return;
    }
    const entry = this.match(subscription, () => true);
    if (!entry) return;
    if (text.startsWith(SERVER_ERROR_PREFIX.alreadySubscribed)) {
      // The server holds it already: that is the state we wanted.
      this.acks.resolve(entry.key, undefined);
    } else if (text.startsWith(SERVER_ERROR_PREFIX.alreadyUnsubscribed)) {
      this.unsubAcks.resolve(entry.key, undefined);
    } else if (this.acks.has(entry.key)) {
      this.acks.reject(entry.key, new RejectedError(`subscribe ${JSON.stringify(entry.subscription)}`, text));
    } else if (entry.status === 'unsubscribing') {
      this.unsubAcks.reject(entry.key, new RejectedError(`unsubscribe ${JSON.stringify(entry.subscription)}`, text));
    }
  }

  private onData(channel: string, data: unknown): void {
    const set = this.byType.get(channel);
    if (!set) return;
    for (const entry of set) {
      if (entry.status === 'unsubscribing' || !dataBelongsTo(entry.subscription, data)) continue;
      for (const hold of entry.holds) {
        for (const listener of hold.listeners) {
          try {
            listener(data);
          } catch (error) {
            // The user's listener is not the module: log it, keep delivering.
            this.ctx.logger.error({ err: asError(error), subscription: entry.key }, 'subscription listener threw');
          }
        }
        for (const q of hold.queues) q.push(data);
      }
    }
  }

  /** The held entry whose subscription the server's object echoes (loosely: it may add fields). */
  private match(echoed: unknown, accept: (e: Entry) => boolean): Entry | undefined {
    if (!v.is(SubscriptionObject, echoed)) return undefined;
    const exact = this.entries.get(subscriptionKey(echoed));
    if (exact && accept(exact)) return exact;
    for (const entry of this.byType.get(echoed.type) ?? []) {
      if (accept(entry) && echoes(entry.subscription, echoed)) return entry;
    }
    return undefined;
  }

  /** Ends every hold of `entry` with `reason` and forgets it. */
  private drop(entry: Entry, reason: Error): void {
    for (const hold of entry.holds) {
      hold.controller.abort(reason);
      for (const q of hold.queues) q.fail(reason);
      hold.queues.clear();
    }
    entry.holds.clear();
    this.forget(entry);
  }

  private forget(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.acks.reject(entry.key, new DisconnectedError('subscribe', 'abandoned'));
    this.entries.delete(entry.key);
    const set = this.byType.get(entry.subscription.type);
    set?.delete(entry);
    if (set?.size === 0) this.byType.delete(entry.subscription.type);
  }
}

/** Races `promise` against a deadline on the injected clock and an optional signal. */
function withTimeout<T>(promise: Promise<T>, ctx: ModuleContext, what: string, remainingMs: number, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return raceDeadline(promise, { timeoutMs: remainingMs, onTimeout: () => new TimeoutError(what, timeoutMs), signal, clock: ctx.clock });
}
