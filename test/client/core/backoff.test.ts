import { describe, expect, it } from 'vitest';
import { backoffDelay, reconnectPolicy } from '../../../src/client/core/backoff.js';

describe('backoffDelay', () => {
  const policy = reconnectPolicy({ baseMs: 250, maxMs: 4_000, jitter: 0 });

  it('doubles from baseMs and stops at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 60].map((n) => backoffDelay(n, policy, () => 0))).toEqual([250, 500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('never exceeds maxMs even for huge attempt counts', () => {
    expect(backoffDelay(10_000, policy, () => 0)).toBe(4_000);
  });

  it('with jitter stays within [capped × (1 − jitter), capped]', () => {
    const jittered = reconnectPolicy({ baseMs: 1_000, maxMs: 1_000, jitter: 0.3 });
    expect(backoffDelay(1, jittered, () => 0)).toBe(1_000);
    expect(backoffDelay(1, jittered, () => 0.9999999)).toBe(700);
  });
});

describe('reconnectPolicy', () => {
  it('fills in the documented defaults', () => {
    expect(reconnectPolicy()).toEqual({ baseMs: 500, maxMs: 30_000, jitter: 0.5, maxAttempts: Infinity, stablePeriodMs: 10_000 });
  });

  it('refuses contradictory values with a message naming them', () => {
    expect(() => reconnectPolicy({ baseMs: 2_000, maxMs: 1_000 })).toThrow(/maxMs must be >= baseMs/);
    expect(() => reconnectPolicy({ jitter: 1.5 })).toThrow(/jitter/);
    expect(() => reconnectPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
  });
});
