/**
 * Exact decimal strings for the simulator, from integer units: a value is `units × 10^-decimals`
 * with `units` a safe integer (prices in ticks, sizes in lots) or a bigint (products such as
 * notionals and fees). No float ever touches a price or a size.
 *
 * Output is the node's one form (protocol.md, "Numbers"): no exponent, at least one digit after
 * the point, no other trailing zeros: `"81307.0"`, `"0.20195"`, `"0.00001234"`, `"-0.000804"`.
 */
import { DecimalError, ErrorCodes } from '../errors.js';

function place(digits: string, decimals: number, negative: boolean): string {
  let s = digits;
  if (decimals === 0) return (negative ? '-' : '') + s + '.0';
  if (s.length <= decimals) s = '0'.repeat(decimals - s.length + 1) + s;
  const cut = s.length - decimals;
  let end = s.length;
  // Trim trailing zeros of the fraction but keep one digit after the point.
  while (end > cut + 1 && s.charCodeAt(end - 1) === 48) end--;
  return (negative ? '-' : '') + s.slice(0, cut) + '.' + s.slice(cut, end);
}

/** `units × 10^-decimals` as the node writes it. `units` must be a safe integer. */
export function formatUnits(units: number, decimals: number): string {
  if (!Number.isSafeInteger(units)) {
    throw new DecimalError(`cannot format ${units} exactly: not a safe integer`, ErrorCodes.DECIMAL_RANGE);
  }
  const negative = units < 0;
  return place(String(negative ? -units : units), decimals, negative);
}

/** Same as {@link formatUnits} for bigint units (products of prices and sizes). */
export function formatBigUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  return place((negative ? -units : units).toString(), decimals, negative);
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parse a decimal string into integer units of `10^-decimals`, exactly. Refuses a string with
 * more significant decimals than `decimals`, or whose units are not a safe integer.
 */
export function parseUnits(text: string, decimals: number): number {
  const big = parseBigUnits(text, decimals);
  const n = Number(big);
  if (!Number.isSafeInteger(n)) {
    throw new DecimalError(`decimal ${JSON.stringify(text)} does not fit exactly in units of 1e-${decimals}`, ErrorCodes.DECIMAL_RANGE);
  }
  return n;
}

/** Parse a decimal string into bigint units of `10^-decimals`, exactly. */
export function parseBigUnits(text: string, decimals: number): bigint {
  const m = DECIMAL.exec(text);
  if (!m) throw new DecimalError(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, int = '', fracRaw = ''] = m;
  let frac = fracRaw;
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  if (frac.length > decimals) {
    throw new DecimalError(`decimal ${JSON.stringify(text)} has more than ${decimals} decimals`);
  }
  const units = BigInt(int + frac.padEnd(decimals, '0'));
  return sign === '-' ? -units : units;
}

/** Number of decimals a decimal string really carries (trailing zeros ignored). */
export function decimalPlaces(text: string): number {
  const m = DECIMAL.exec(text);
  if (!m) throw new DecimalError(`not a decimal number: ${JSON.stringify(text)}`);
  const frac = m[3] ?? '';
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return end;
}

/** The one form of a decimal string (for comparing strings written by different programs). */
export function canonicalDecimal(text: string): string {
  const places = decimalPlaces(text);
  return formatBigUnits(parseBigUnits(text, places), places);
}
