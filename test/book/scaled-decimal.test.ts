import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalDecimal,
  decimalPlaces,
  formatUnits as engineFormat,
  formatScaledBig as formatBigUnits,
  formatScaled as formatUnits,
  parseScaledBig as parseBigUnits,
  parseScaled as parseUnits,
} from '../../src/book/decimal.js';

describe('simulator decimals', () => {
  it('formats integer units in the node form: one digit after the point at least, no other trailing zeros', () => {
    expect(formatUnits(81307, 0)).toBe('81307.0');
    expect(formatUnits(20195, 5)).toBe('0.20195');
    expect(formatUnits(1234, 8)).toBe('0.00001234');
    expect(formatUnits(30000, 1)).toBe('3000.0');
    expect(formatUnits(0, 5)).toBe('0.0');
    expect(formatUnits(-804, 6)).toBe('-0.000804');
    expect(formatBigUnits(10n ** 30n, 2)).toBe('10000000000000000000000000000.0');
    expect(formatBigUnits(-5n, 1)).toBe('-0.5');
  });

  it('refuses what it cannot hold exactly', () => {
    expect(() => formatUnits(2 ** 53, 2)).toThrow(/safe integer/);
    expect(() => formatUnits(0.5, 2)).toThrow(/safe integer/);
    expect(() => parseUnits('0.123', 2)).toThrow(/more than 2 decimals/);
    expect(() => parseUnits('1e5', 2)).toThrow(/not a decimal/);
    expect(() => parseUnits('99999999999999999', 2)).toThrow(/does not fit/);
  });

  it('parses back what it formats, for every scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 12 }), (n, d) => {
        const s = formatUnits(n, d);
        expect(parseUnits(s, d)).toBe(n);
        expect(parseBigUnits(s, d)).toBe(BigInt(n));
        expect(canonicalDecimal(s)).toBe(s);
        expect(decimalPlaces(s)).toBeLessThanOrEqual(d);
      }),
    );
  });

  it("writes prices and sizes exactly as the engine's formatter does", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 8 }), (n, d) => {
        const units = n * 10 ** (8 - d);
        expect(formatUnits(n, d)).toBe(engineFormat(Number.isSafeInteger(units) ? units : BigInt(n) * 10n ** BigInt(8 - d)));
      }),
    );
  });

  it('canonicalizes strings written with extra zeros', () => {
    expect(canonicalDecimal('81307.000')).toBe('81307.0');
    expect(canonicalDecimal('0.50')).toBe('0.5');
    expect(canonicalDecimal('12')).toBe('12.0');
  });
});
