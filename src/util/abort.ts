/**
 * The one helper for "wait for this, but not longer than that, and not past an abort": it
 * settles exactly once, then clears its timer, removes its abort listener and runs the
 * waiter's own cleanup, whichever of the three came first. Timers come from an injected
 * clock, so tests drive them by hand.
 */
import { codedError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

export type Timers = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

export interface DeadlineOptions {
  /** Deadline in ms; `undefined`, `null` or a non-finite value waits forever. */
  timeoutMs?: number | null;
  /** The rejection at the deadline. */
  onTimeout?: () => unknown;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /** Default: the host's timers. */
  clock?: Timers;
}

/**
 * A promise settled by `start` (as in `new Promise`), or rejected at the deadline or on
 * abort. `start` may return a cleanup, run once whichever way it settles (a listener to
 * remove, a waiter to forget). An already aborted signal rejects at once, before `start`.
 */
export function settleWithin<T>(
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => (() => void) | void,
  options: DeadlineOptions,
): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const clock = options.clock ?? systemClock;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let cleanup: (() => void) | void = undefined;
    const settle = (fn: () => void): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (cleanup) cleanup();
      fn();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer =
      timeoutMs !== undefined && timeoutMs !== null && Number.isFinite(timeoutMs)
        ? clock.setTimeout(() => settle(() => reject(options.onTimeout ? options.onTimeout() : codedError('NO_ANSWER', timeoutMs))), Math.max(0, timeoutMs))
        : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start(
      (value) => settle(() => resolve(value)),
      (error) => settle(() => reject(error)),
    );
    // `start` may have settled synchronously, before its cleanup was known.
    if (done && cleanup) cleanup();
  });
}

/** `promise`, unless the deadline or an abort comes first. */
export function raceDeadline<T>(promise: Promise<T>, options: DeadlineOptions): Promise<T> {
  return settleWithin<T>((resolve, reject) => void promise.then(resolve, reject), options);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects): a loop's pause that a shutdown cuts short. */
export function sleep(ms: number, signal?: AbortSignal, clock: Timers = systemClock): Promise<void> {
  return settleWithin<void>(() => undefined, { timeoutMs: ms, onTimeout: () => undefined, signal, clock }).then(
    () => undefined,
    () => undefined,
  );
}

/** Aborts `controller` with `reason()` after `ms`; returns the cancel (call it once the work is done). */
export function abortAfter(controller: AbortController, ms: number, reason: () => unknown, clock: Timers = systemClock): () => void {
  const timer = clock.setTimeout(() => controller.abort(reason()), ms);
  return () => clock.clearTimeout(timer);
}

/**
 * Waits for an event: `listen` subscribes, calls `resolve`/`reject` when it sees what it waits
 * for, and returns its unsubscribe. Settles once; the listener and the abort handler are removed
 * either way, and an abort rejects with the signal's reason.
 */
export function untilEvent<T>(listen: (resolve: (value: T) => void, reject: (err: unknown) => void) => () => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    // Set once `listen` returns; a synchronous settle inside `listen` unsubscribes just after.
    const listener: { off?: () => void } = {};
    const settle = (fn: () => void): void => {
      if (done) return;
      done = true;
      listener.off?.();
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    if (signal?.aborted) return onAbort();
    listener.off = listen(
      (value) => settle(() => resolve(value)),
      (err) => settle(() => reject(err)),
    );
    if (done) listener.off();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
