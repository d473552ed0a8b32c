import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePx } from '../../src/server/price.js';

describe('comparePx', () => {
  it('orders decimal strings exactly, whatever their lengths', () => {
    expect(comparePx('81307.0', '81308.0')).toBe(-1);
    expect(comparePx('81307.5', '81307.0')).toBe(1);
    expect(comparePx('0.00001234', '0.0000123')).toBe(1);
    expect(comparePx('100.0', '99.99999')).toBe(1);
    expect(comparePx('1.0', '1')).toBe(0);
    expect(comparePx('1.50', '1.5')).toBe(0);
    expect(comparePx('007.1', '7.1')).toBe(0);
  });

  it('agrees with bigint comparison on random decimals', () => {
    const dec = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: 12 })).map(([units, scale]) => {
      const s = units.toString().padStart(scale + 1, '0');
      const str = scale === 0 ? `${s}.0` : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
      return { str, value: units * 10n ** BigInt(12 - scale) };
    });
    fc.assert(
      fc.property(dec, dec, (a, b) => {
        const want = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
        expect(comparePx(a.str, b.str)).toBe(want);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });
});
