/**
 * `Trades`: the trades of a coin, one `Trade` at a time (the `trades` channel sends them
 * in batches per block), as listeners or an async iterator. It works entirely through
 * the `Subscriptions` handle, so its rule takes no frames of its own.
 */
import { AsyncQueue } from '../core/async-queue.js';
import { asError } from '../core/errors.js';
import type { ApiModule, ModuleContext } from '../core/module.js';
import type { Trade } from '../protocol.js';
import { Subscriptions, type SubscribeOptions } from './subscriptions.js';

export interface TradesOptions {
  /** Trades an iterator buffers before failing with `BufferFullError`. Default 100,000. */
  iteratorBound?: number;
}

export interface TradeStream extends AsyncIterable<Trade> {
  readonly coin: string;
  on(listener: (trade: Trade) => void): () => void;
  close(options?: SubscribeOptions): Promise<void>;
}

export interface TradesHandle {
  /** Subscribes to `coin`'s trades; resolves once acknowledged. */
  watch(coin: string, options?: SubscribeOptions): Promise<TradeStream>;
}

export class Trades implements ApiModule<TradesHandle> {
  static readonly moduleName = 'Trades';
  static readonly requires = [Subscriptions];

  readonly handle: TradesHandle;

  constructor(
    private readonly ctx: ModuleContext,
    options: TradesOptions = {},
  ) {
    const bound = options.iteratorBound ?? 100_000;
    this.handle = {
      watch: async (coin, opts) => {
        const listeners = new Set<(trade: Trade) => void>();
        const queues = new Set<AsyncQueue<Trade>>();
        const deliver = (batch: Trade[]): void => {
          if (!Array.isArray(batch)) return;
          for (const trade of batch) {
            for (const l of listeners) {
              try {
                l(trade);
              } catch (error) {
                this.ctx.logger.error({ err: asError(error), coin }, 'trade listener threw');
              }
            }
            for (const q of queues) q.push(trade);
          }
        };
        const active = await ctx.getHandle(Subscriptions).subscribe<Trade[]>({ type: 'trades', coin }, deliver, opts);
        active.lost.addEventListener('abort', () => {
          for (const q of queues) q.fail(active.lost.reason);
        });
        return {
          coin,
          on: (listener) => {
            listeners.add(listener);
            return () => listeners.delete(listener);
          },
          close: async (closeOptions) => {
            for (const q of queues) q.end();
            listeners.clear();
            await active.unsubscribe(closeOptions);
          },
          [Symbol.asyncIterator]: () => {
            const queue = new AsyncQueue<Trade>({ bound, what: `${coin} trades`, onDone: () => queues.delete(queue) });
            queues.add(queue);
            return queue;
          },
        };
      },
    };
  }

  rule(): boolean {
    return false;
  }

  onFrame(): void {}
}
