import { backoffDelayMs } from '../util/backoff.js';

/** Exponential backoff between retries, as options of the project's one backoff (`src/util/backoff.ts`). */
export interface BackoffOptions {
  /** Delay before the first retry, ms. Default 1,000. */
  initialMs?: number;
  /** Upper bound, ms. Default 30,000. */
  maxMs?: number;
  /** Growth per failure. Default 2. */
  factor?: number;
  /** Fraction of the delay randomised (0 = none). Default 0.2. */
  jitter?: number;
}

/**
 * Delay after `failures` consecutive failures (1 = the first). `random` in [0, 1): the delay
 * is spread over ±jitter/2 of its value so that restarts do not hammer the node in step.
 */
export function backoffMs(failures: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const jitter = opts.jitter ?? 0.2;
  return backoffDelayMs(
    failures,
    { initialMs: opts.initialMs ?? 1_000, maxMs: opts.maxMs ?? 30_000, factor: opts.factor ?? 2, spread: [1 - jitter / 2, 1 + jitter / 2] },
    random,
  );
}
