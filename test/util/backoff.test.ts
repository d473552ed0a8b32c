import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/util/backoff.js';

describe('backoffDelayMs', () => {
  const shape = { initialMs: 100, maxMs: 1_000, factor: 2, spread: [1, 1] as const };

  it('grows by the factor from the first delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 1_000_000].map((f) => backoffDelayMs(f, shape, () => 0.5))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('multiplies by a factor drawn from the spread, in either direction, never past the cap', () => {
    expect(backoffDelayMs(1, { ...shape, spread: [0.9, 1.1] }, () => 0)).toBe(90);
    expect(backoffDelayMs(1, { ...shape, spread: [0.9, 1.1] }, () => 0.999999)).toBe(110);
    expect(backoffDelayMs(1, { ...shape, spread: [1, 0.5] }, () => 0.999999)).toBe(50);
    expect(backoffDelayMs(9, { ...shape, spread: [0.9, 1.1] }, () => 0.999999)).toBe(1_000);
  });
});
