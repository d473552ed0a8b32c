/** Exponential backoff between retries: pure, so that tests check it without waiting. */
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
  const initial = opts.initialMs ?? 1_000;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const jitter = opts.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** Math.max(0, failures - 1));
  return Math.round(Math.min(max, base * (1 - jitter / 2 + jitter * random())));
}
