import { describe, expect, it } from 'vitest';
import { DecimalError } from '../../src/errors.js';
import { addUnits, formatHalfUnits, formatUnits, parsePrice, parseUnits, subUnits } from '../../src/book/decimal.js';

describe('decimal', () => {
  it('parses node strings into units of 1e-8 and formats them back in the one form', () => {
    expect(parseUnits('81307.0')).toBe(8_130_700_000_000);
    expect(parseUnits('0.20195')).toBe(20_195_000);
    expect(parseUnits('0.00001234')).toBe(1234);
    expect(parseUnits('12')).toBe(1_200_000_000);
    expect(formatUnits(8_130_700_000_000)).toBe('81307.0');
    expect(formatUnits(20_195_000)).toBe('0.20195');
    expect(formatUnits(1234)).toBe('0.00001234');
    expect(formatUnits(0)).toBe('0.0');
    expect(formatUnits(parseUnits('1835.00'))).toBe('1835.0');
  });

  it('keeps sizes past 2^53 units exact as bigint, and returns to numbers when they fit again', () => {
    const big = parseUnits('1000000000000.12345678');
    expect(big).toBe(100_000_000_000_012_345_678n);
    expect(formatUnits(big)).toBe('1000000000000.12345678');
    const sum = addUnits(big, parseUnits('999999999999.87654322'));
    expect(formatUnits(sum)).toBe('2000000000000.0');
    expect(subUnits(sum, parseUnits('1999999999999.5'))).toBe(50_000_000);
    // Two safe numbers whose sum passes 2^53 - 1.
    const half = parseUnits('50000000.0');
    expect(typeof half).toBe('number');
    expect(formatUnits(addUnits(half, half))).toBe('100000000.0');
    expect(typeof addUnits(half, half)).toBe('bigint');
  });

  it('refuses malformed numbers and more than 8 decimals with an error naming the value', () => {
    for (const s of ['', '.5', '5.', '-1.0', '1e5', '1.2.3', 'abc', ' 1.0', '0.123456789']) {
      expect(() => parseUnits(s), s).toThrow(DecimalError);
    }
    expect(() => parseUnits('0.123456789')).toThrow(/0\.123456789.*more than 8 decimals/);
    expect(parseUnits('0.1234567800')).toBe(12_345_678);
  });

  it('refuses a price that cannot be held exactly', () => {
    expect(() => parsePrice('100000000.0')).toThrow(/out of the exact range/);
    expect(parsePrice('90000000.0')).toBe(9_000_000_000_000_000);
  });

  it('halves exactly, with a 9th decimal when needed', () => {
    expect(formatHalfUnits(addUnits(parseUnits('81307.0'), parseUnits('81308.0')))).toBe('81307.5');
    expect(formatHalfUnits(3)).toBe('0.000000015');
    expect(formatHalfUnits(100_000_000_000_000_000_001n)).toBe('500000000000.000000005');
  });
});
