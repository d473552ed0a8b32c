import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NonceManager } from '../../src/connector/nonce.js';

describe('NonceManager', () => {
  it('gives the clock time, then last + 1 within one millisecond, per signer', () => {
    let now = 1_700_000_000_000;
    const nonces = new NonceManager({ now: () => now });
    expect(nonces.next('0xAbC')).toBe(now);
    expect(nonces.next('0xabc')).toBe(now + 1);
    expect(nonces.next('0xdef')).toBe(now); // another signer (an agent) has its own set
    now += 10;
    expect(nonces.next('0xabc')).toBe(now);
  });

  it('never goes back when the clock does', () => {
    let now = 2_000;
    const nonces = new NonceManager({ now: () => now });
    expect(nonces.next('a')).toBe(2_000);
    now = 1_000;
    expect(nonces.next('a')).toBe(2_001);
  });

  it('gives distinct increasing nonces to concurrent async callers', async () => {
    const nonces = new NonceManager({ now: () => 5 });
    const got = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        await Promise.resolve(i);
        return nonces.next('0x1');
      }),
    );
    expect(new Set(got).size).toBe(500);
    expect([...got].sort((a, b) => a - b)).toEqual(got);
  });

  it('property: strictly increasing per signer for any clock sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1e6 }), fc.constantFrom('a', 'b', 'c')), { maxLength: 200 }), (steps) => {
        let t = 0;
        const n = new NonceManager({ now: () => t });
        const last = new Map<string, number>();
        for (const [time, signer] of steps) {
          t = time;
          const v = n.next(signer);
          expect(v).toBeGreaterThanOrEqual(time);
          expect(v).toBeGreaterThan(last.get(signer) ?? -1);
          last.set(signer, v);
        }
      }),
    );
  });
});
