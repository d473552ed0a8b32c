/**
 * A bounded buffer behind an async iterator: producers `push` without waiting, one consumer
 * iterates. When the consumer falls more than `bound` items behind, the iterator fails with
 * `BufferFullError` rather than silently dropping data (a book replica fed from a queue
 * with holes would be wrong) or growing without limit.
 */
import { Fifo } from '../../util/fifo.js';
import { BufferFullError } from './errors.js';

export interface AsyncQueueOptions {
  /** Items waiting before the iterator fails. Default 10,000. */
  bound?: number;
  /** Names the queue in errors. */
  what?: string;
  /** Called once when the consumer stops (break, return, end, failure). */
  onDone?: () => void;
  /** Ends the iteration (without error) when aborted. */
  signal?: AbortSignal;
}

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items = new Fifo<T>();
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: unknown;
  private readonly bound: number;
  private readonly what: string;
  private onDone: (() => void) | undefined;

  constructor(options: AsyncQueueOptions = {}) {
    this.bound = options.bound ?? 10_000;
    this.what = options.what ?? 'async iterator';
    this.onDone = options.onDone;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.end();
      else signal.addEventListener('abort', () => this.end(), { once: true });
    }
  }

  /** Items waiting. */
  get size(): number {
    return this.items.length;
  }

  get done(): boolean {
    return this.ended && this.size === 0;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
      return;
    }
    if (this.size >= this.bound) {
      this.fail(new BufferFullError(this.what, this.bound));
      return;
    }
    this.items.push(item);
  }

  /** No more items: the iterator finishes after the buffered ones. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settleWaiter();
    this.finish();
  }

  /** The iterator throws `error` at its next step; buffered items are dropped (they are now untrustworthy). */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.items.clear();
    this.settleWaiter();
    this.finish();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    }
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items.clear();
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private settleWaiter(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      w.reject(error);
    } else {
      w.resolve({ value: undefined, done: true });
    }
  }

  private finish(): void {
    const done = this.onDone;
    this.onDone = undefined;
    done?.();
  }
}
