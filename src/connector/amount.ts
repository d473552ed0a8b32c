/**
 * Signed exact amounts for the connector's bookkeeping (executed size, notional, fees,
 * positions, PnL): bigints counting 1e-8 units, the node's precision. Fees and PnL are
 * signed (a maker rebate is negative), which `src/book/decimal.ts` (book sizes, never
 * negative) does not need to be; products of a price and a size are kept at 1e-16 so a
 * notional is exact too.
 */
import { DecimalError } from '../errors.js';

/** Units of 1e-8 per whole number. */
export const AMOUNT_UNIT = 100_000_000n;

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** `"-0.00351"` → -351000n. Refuses exponents, empty parts and digits past the 8th decimal (zeros there are fine). */
export function toAmount(s: string, what = 'amount'): bigint {
  const m = typeof s === 'string' ? DECIMAL.exec(s) : null;
  if (!m) throw new DecimalError(`bad ${what} ${JSON.stringify(s)}: not a plain decimal`);
  let frac = m[3] ?? '';
  if (frac.length > 8) {
    if (!/^0*$/.test(frac.slice(8))) throw new DecimalError(`bad ${what} ${JSON.stringify(s)}: more than 8 decimals`);
    frac = frac.slice(0, 8);
  }
  const v = BigInt(m[2]! + frac.padEnd(8, '0'));
  return m[1] ? -v : v;
}

/** `v / 10^decimals` in the one number form of protocol.md (`"81307.0"`, `"-0.00351"`). */
export function formatScaled(v: bigint, decimals: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}.${frac === '' ? '0' : frac}`;
}

/** Units of 1e-8 → `"0.20195"`. */
export function formatAmount(v: bigint): string {
  return formatScaled(v, 8);
}

/** `px × sz` in units of 1e-16 (exact). */
export function notional(px: bigint, sz: bigint): bigint {
  return px * sz;
}

/**
 * `numerator16 / sz` as a price in 1e-8 units, truncated toward zero: an average price can
 * have more decimals than 8 (three fills at 1, 1, 2 average 1.333…); it is a display
 * figure, the exact notional is kept beside it.
 */
export function averagePrice(notional16: bigint, sz: bigint): bigint {
  return sz === 0n ? 0n : notional16 / sz;
}

/** `a` and `b` in 1e-8 units, compared. */
export function minAmount(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
