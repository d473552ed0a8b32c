import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { formatPrice, formatSize, isValidPrice, offsetPrice, priceTickAt, roundPrice, roundSize, toWire } from '../../src/connector/wire.js';
import { toAmount } from '../../src/connector/amount.js';

const perp = (szDecimals: number) => ({ szDecimals, kind: 'perp' as const });
const spot = (szDecimals: number) => ({ szDecimals, kind: 'spot' as const });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('wire formatting', () => {
  it('writes the Python SDK float_to_wire and Rust float_to_string_for_hashing outputs from exact strings', () => {
    expect(toWire('100')).toBe('100');
    expect(toWire('2000.0')).toBe('2000');
    expect(toWire('1670.1')).toBe('1670.1');
    expect(toWire('0.0147')).toBe('0.0147');
    expect(toWire('0.00000001')).toBe('0.00000001');
    expect(toWire('0.00076000')).toBe('0.00076');
    expect(toWire('87654321.12345678')).toBe('87654321.12345678');
    expect(toWire('987654321.00000000')).toBe('987654321');
    expect(toWire('-0')).toBe('0');
    expect(toWire('-0.0000')).toBe('0');
  });

  it('refuses a value that would round instead of rounding it (0.123456789, 1e-9)', () => {
    expect(code(() => toWire('0.123456789'))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(code(() => toWire('0.000000001'))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(code(() => toWire('1e-8'))).toBe(ErrorCodes.WIRE_FORMAT);
  });

  it('formats prices as @nktkas/hyperliquid formatPrice on valid inputs, and refuses its rounding cases', () => {
    expect(formatPrice('12345', perp(0))).toBe('12345');
    expect(formatPrice('0.12345', perp(0))).toBe('0.12345');
    expect(formatPrice('123.4', perp(5))).toBe('123.4');
    expect(formatPrice('1234567', perp(0))).toBe('1234567'); // integers always pass
    expect(formatPrice('81307.0', perp(5))).toBe('81307');
    // nktkas would round these; we refuse.
    expect(code(() => formatPrice('12345.6', perp(0)))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(code(() => formatPrice('0.1234567', perp(0)))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(code(() => formatPrice('123.456', perp(5)))).toBe(ErrorCodes.WIRE_FORMAT); // 6 - 5 = 1 decimal
    expect(code(() => formatPrice('0', perp(0)))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(code(() => formatPrice('-1', perp(0)))).toBe(ErrorCodes.WIRE_FORMAT);
  });

  it('allows 8 − szDecimals decimals on spot, 6 − szDecimals on perps', () => {
    expect(formatPrice('0.00001234', spot(0))).toBe('0.00001234');
    expect(code(() => formatPrice('0.00001234', perp(0)))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(formatPrice('0.2', spot(0))).toBe('0.2');
    expect(code(() => formatPrice('30.0001', spot(5)))).toBe(ErrorCodes.WIRE_FORMAT);
  });

  it('formats sizes on the lot and refuses more decimals (formatSize("123.456789", 2) would truncate)', () => {
    expect(formatSize('123.45', { szDecimals: 2 })).toBe('123.45');
    expect(formatSize('0.10000', { szDecimals: 5 })).toBe('0.1');
    expect(code(() => formatSize('123.456789', { szDecimals: 2 }))).toBe(ErrorCodes.WIRE_FORMAT);
    expect(roundSize('123.456789', { szDecimals: 2 })).toBe('123.45');
  });

  it('finds the tick at a price and moves by ticks across powers of ten', () => {
    expect(priceTickAt(toAmount('81307'), perp(5))).toBe(100_000_000n);
    expect(priceTickAt(toAmount('3000.1'), perp(4))).toBe(10_000_000n);
    expect(priceTickAt(toAmount('0.2'), perp(0))).toBe(1_000n); // 0.00001
    expect(offsetPrice('10000', perp(0), -1)).toBe('9999.9');
    expect(offsetPrice('9999.9', perp(0), 1)).toBe('10000');
    expect(offsetPrice('81307', perp(5), 2)).toBe('81309');
    expect(roundPrice('12345.6', perp(0), 'down')).toBe('12345');
    expect(roundPrice('12345.6', perp(0), 'up')).toBe('12346');
  });

  it('property: every price roundPrice gives is valid, within one tick, and formatPrice takes it unchanged', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom<'perp' | 'spot'>('perp', 'spot'),
        fc.constantFrom<'down' | 'up'>('down', 'up'),
        (u, szDecimals, kind, dir) => {
          const rules = { szDecimals, kind };
          const s = `${u / 100_000_000n}.${(u % 100_000_000n).toString().padStart(8, '0')}`;
          if (dir === 'down' && u < priceTickAt(u, rules)) {
            expect(code(() => roundPrice(s, rules, dir))).toBe(ErrorCodes.WIRE_FORMAT);
            return;
          }
          const r = roundPrice(s, rules, dir);
          const ru = toAmount(r);
          expect(isValidPrice(ru, rules)).toBe(true);
          expect(formatPrice(r, rules)).toBe(r);
          const tick = priceTickAt(u, rules);
          if (dir === 'down') expect(ru <= u && u - ru < tick).toBe(true);
          else expect(ru >= u && ru - u <= tick).toBe(true);
        },
      ),
    );
  });

  it('property: formatPrice accepts exactly the valid prices and never changes the value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 14n }), fc.integer({ min: 0, max: 6 }), (u, szDecimals) => {
        const rules = { szDecimals, kind: 'perp' as const };
        const s = `${u / 100_000_000n}.${(u % 100_000_000n).toString().padStart(8, '0')}`;
        if (isValidPrice(u, rules)) expect(toAmount(formatPrice(s, rules))).toBe(u);
        else expect(code(() => formatPrice(s, rules))).toBe(ErrorCodes.WIRE_FORMAT);
      }),
    );
  });
});
