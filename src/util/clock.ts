/**
 * The time seam: everything that waits (backoff, timeouts, keep-alive) asks a `Clock`, so
 * that tests drive time by hand instead of sleeping. (The client SDK exports it as its own.)
 */
export type TimerHandle = { readonly __timer: true } | object;

export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and the host's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>),
};

/**
 * A monotonic clock (`performance.now`, so a wall-clock step cannot fire a bound early or
 * late) whose timers do not keep the process alive: for bounds on waits that something else
 * keeps the process up for (the joiner's gap and quiet-stream closes).
 */
export const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref() as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>),
};
