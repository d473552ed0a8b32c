/**
 * The nonce rule against a naive model: the 100 highest nonces are kept per signer, a new one
 * must be above the smallest kept, unused, and within (T − 2 days, T + 1 day).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NONCES_KEPT, NonceSet } from '../../../src/sim/exchange/nonces.js';

const DAY = 86_400_000;
const T = 1_800_000_000_000;

describe('NonceSet', () => {
  it('refuses a duplicate, one at or below the smallest of the 100 highest, and one outside the window', () => {
    const set = new NonceSet();
    for (let i = 1; i <= NONCES_KEPT; i++) set.use(T + i);
    expect(set.check(T + 50, T)).toBe(`Invalid nonce: duplicate nonce ${T + 50}`);
    expect(set.check(T + 1, T)).toMatch(/not above the smallest/);
    expect(set.check(T, T)).toMatch(/not above the smallest/);
    expect(set.check(T + 101, T)).toBeNull();
    expect(set.check(T - 2 * DAY, T)).toMatch(/outside the allowed range/);
    expect(set.check(T + DAY, T)).toMatch(/outside the allowed range/);
    expect(set.check(T + DAY - 1, T)).toBeNull();
    // Below the smallest is fine while fewer than 100 are kept.
    const fresh = new NonceSet();
    fresh.use(T);
    expect(fresh.check(T - 1, T)).toBeNull();
  });

  it('agrees with a naive model on random sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 400 }), (offsets) => {
        const set = new NonceSet();
        let used: number[] = [];
        for (const off of offsets) {
          const n = T + off;
          const sorted = [...used].sort((a, b) => a - b);
          const ok = !used.includes(n) && !(sorted.length >= NONCES_KEPT && n <= sorted[0]!);
          expect(set.check(n, T) === null).toBe(ok);
          if (ok) {
            set.use(n);
            used.push(n);
            used = used.sort((a, b) => b - a).slice(0, NONCES_KEPT);
          }
        }
      }),
      { seed: 14, numRuns: 200 },
    );
  });
});
