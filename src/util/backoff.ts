/**
 * The one exponential backoff of the project (node snapshot retries, the client's
 * reconnects): pure, the randomness injected, so that tests check it without waiting.
 */
export interface BackoffShape {
  /** Delay after the first failure, ms. */
  initialMs: number;
  /** Longest delay, ms (also after the spread). */
  maxMs: number;
  /** Growth per failure (2 doubles). */
  factor: number;
  /**
   * The capped delay is multiplied by a factor drawn uniformly from `[from, to]` (`to` may be
   * below `from`): `[0.9, 1.1]` spreads ±10 %, `[1, 0.5]` shortens by up to half.
   * Spreading keeps many processes that failed at once from retrying in step.
   */
  spread: readonly [from: number, to: number];
}

/**
 * Delay before retry number `failures` (1 after the first failure), whole ms. `random()`
 * is in [0, 1). Large counts are harmless: the power overflows to Infinity and is capped.
 */
export function backoffDelayMs(failures: number, shape: BackoffShape, random: () => number = Math.random): number {
  const base = Math.min(shape.maxMs, shape.initialMs * shape.factor ** Math.max(0, failures - 1));
  const [from, to] = shape.spread;
  return Math.round(Math.min(shape.maxMs, base * (from + (to - from) * random())));
}
