/**
 * Commands waiting for their reply: each has a key (a post id, a subscription key), a
 * timeout on the injected clock, and an optional `AbortSignal`. The owner settles them
 * when the matching frame arrives, or fails them all when the connection goes.
 */
import type { Clock, TimerHandle } from './clock.js';
import { TimeoutError } from './errors.js';
import { codedError } from '../../errors.js';

interface Waiter<T> {
  what: string;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  timer: TimerHandle | undefined;
  cleanup: () => void;
}

export interface WaitOptions {
  /** Reply deadline in ms; `null`/`undefined`/`Infinity` waits forever. */
  timeoutMs?: number | null;
  signal?: AbortSignal;
}

export class PendingReplies<K, T> {
  private readonly waiters = new Map<K, Waiter<T>>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.waiters.size;
  }

  has(key: K): boolean {
    return this.waiters.has(key);
  }

  keys(): K[] {
    return [...this.waiters.keys()];
  }

  /**
   * Waits for the reply to `key`. `what` names the command in errors
   * (`subscribe {"type":"l2Book","coin":"BTC"}`). A second wait on a pending key replaces
   * nothing: it fails at once, since a reply could not tell the two apart.
   */
  wait(key: K, what: string, options: WaitOptions = {}): Promise<T> {
    if (this.waiters.has(key)) {
      return Promise.reject(codedError('USAGE', `${what}: a command with the same key is already waiting`));
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        this.take(key)?.reject(signal?.reason);
      };
      const timeoutMs = options.timeoutMs;
      const timer =
        timeoutMs !== undefined && timeoutMs !== null && Number.isFinite(timeoutMs)
          ? this.clock.setTimeout(() => this.take(key)?.reject(new TimeoutError(what, timeoutMs)), timeoutMs)
          : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(key, {
        what,
        resolve,
        reject,
        timer,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
    });
  }

  /** Settles the waiter of `key` with `value`; false when nothing waited. */
  resolve(key: K, value: T): boolean {
    const w = this.take(key);
    w?.resolve(value);
    return w !== undefined;
  }

  /** Fails the waiter of `key`; false when nothing waited. */
  reject(key: K, error: unknown): boolean {
    const w = this.take(key);
    w?.reject(error);
    return w !== undefined;
  }

  /** Fails every waiter, with an error made for each (its `what` names the command). */
  rejectAll(makeError: (what: string) => unknown): void {
    for (const key of this.keys()) {
      const w = this.take(key);
      w?.reject(makeError(w.what));
    }
  }

  private take(key: K): Waiter<T> | undefined {
    const w = this.waiters.get(key);
    if (!w) return undefined;
    this.waiters.delete(key);
    if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
    w.cleanup();
    return w;
  }
}
