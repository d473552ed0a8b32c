/**
 * The reconnect policy and the delay before each attempt: exponential from `baseMs`,
 * capped at `maxMs`, shortened by a random share of up to `jitter` so that many clients
 * dropped at once do not come back in step. The delay itself is the project's one backoff
 * (`src/util/backoff.ts`).
 */
import { codedError } from '../../errors.js';
import { backoffDelayMs } from '../../util/backoff.js';

export interface ReconnectPolicy {
  /** Delay before the first retry, ms. Default 500. */
  baseMs: number;
  /** Longest delay, ms. Default 30,000. */
  maxMs: number;
  /** Share of the delay removed at random, 0..1 (0: none). Default 0.5. */
  jitter: number;
  /** Failed attempts in a row before the client gives up and closes. Default Infinity. */
  maxAttempts: number;
  /** A connection that stayed open this long (ms) resets the attempt count. Default 10,000. */
  stablePeriodMs: number;
}

export const defaultReconnectPolicy: ReconnectPolicy = {
  baseMs: 500,
  maxMs: 30_000,
  jitter: 0.5,
  maxAttempts: Infinity,
  stablePeriodMs: 10_000,
};

/** Fills in defaults and refuses contradictory values (a negative delay, a max below the base). */
export function reconnectPolicy(partial: Partial<ReconnectPolicy> = {}): ReconnectPolicy {
  const p = { ...defaultReconnectPolicy, ...partial };
  const bad = (what: string): never => {
    throw codedError('USAGE', `reconnect policy: ${what} (got ${JSON.stringify(partial)})`);
  };
  if (!(p.baseMs >= 0)) bad('baseMs must be >= 0');
  if (!(p.maxMs >= p.baseMs)) bad('maxMs must be >= baseMs');
  if (!(p.jitter >= 0 && p.jitter <= 1)) bad('jitter must be within 0..1');
  if (!(p.maxAttempts >= 1)) bad('maxAttempts must be >= 1');
  if (!(p.stablePeriodMs >= 0)) bad('stablePeriodMs must be >= 0');
  return p;
}

/**
 * Delay before retry number `failures` (1 after the first failure). `random()` is in
 * [0, 1): injected so that tests are deterministic.
 */
export function backoffDelay(failures: number, policy: ReconnectPolicy, random: () => number): number {
  return backoffDelayMs(failures, { initialMs: policy.baseMs, maxMs: policy.maxMs, factor: 2, spread: [1, 1 - policy.jitter] }, random);
}
