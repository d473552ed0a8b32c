/**
 * Exact decimal numbers for prices and sizes: integers counting units of 1e-8 (the node
 * writes at most 8 decimals). A value up to 2^53 - 1 units (90 million whole units) is a JS
 * number; above that it is a bigint, so sizes up to 10^12 whole units and their sums over a
 * level stay exact. The representation is canonical (a value that fits a safe integer is
 * always a number), so two equal values are always `===`.
 *
 * Prices are always numbers: a price past 2^53 - 1 units is refused, never rounded.
 *
 * Values at any other scale (the simulator's prices in ticks and sizes in lots of a coin,
 * notionals and fees as bigint products) are integers with their own number of decimals:
 * `formatScaled`, `parseScaled` and their bigint forms, signed. No float touches either kind.
 */
import { DecimalError, ErrorCodes } from '../errors.js';

/** A non-negative exact decimal, in units of 1e-8. */
export type Units = number | bigint;

/** Decimal places of one unit. */
export const DECIMALS = 8;
/** Units per whole number. */
export const UNIT = 100_000_000;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);
// Below this, `v * 10 + digit` stays a safe integer.
const MAX_ACCUMULATE = 900_719_925_474_099;
const POW10: readonly number[] = Array.from({ length: 17 }, (_, i) => 10 ** i);
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000'];

function normalize(x: bigint): Units {
  return x <= MAX_SAFE_BIG && x >= -MAX_SAFE_BIG ? Number(x) : x;
}

function bad(s: string, what: string, why: string): DecimalError {
  return new DecimalError(`bad ${what} ${JSON.stringify(s)}: ${why}`);
}

/**
 * Parse a decimal string of the node (`"81307.0"`, `"0.20195"`, `"12"`) into units.
 * Refuses signs, exponents, empty parts and more than 8 decimals (trailing zeros past the
 * 8th are accepted: they change nothing).
 */
export function parseUnits(s: string, what = 'size'): Units {
  if (typeof s !== 'string') throw bad(String(s), what, 'not a string');
  const n = s.length;
  let v = 0;
  let intDigits = 0;
  let frac = -1; // decimals read so far; -1 before the point
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (frac >= 0 || intDigits === 0) throw bad(s, what, 'misplaced decimal point');
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) throw bad(s, what, 'not a plain decimal');
    if (frac >= 0) {
      if (frac === DECIMALS) {
        if (d !== 0) throw bad(s, what, `more than ${DECIMALS} decimals`);
        continue;
      }
      frac++;
    } else {
      intDigits++;
    }
    if (v >= MAX_ACCUMULATE) return parseBig(s, what);
    v = v * 10 + d;
  }
  if (intDigits === 0) throw bad(s, what, 'no digits');
  if (frac === 0) throw bad(s, what, 'no digits after the decimal point');
  const r = v * POW10[DECIMALS - (frac < 0 ? 0 : frac)]!;
  if (r <= MAX_SAFE) return r;
  return BigInt(v) * BigInt(POW10[DECIMALS - (frac < 0 ? 0 : frac)]!);
}

function parseBig(s: string, what: string): Units {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw bad(s, what, 'not a plain decimal');
  let frac = m[2] ?? '';
  if (frac.length > DECIMALS) {
    if (!/^0*$/.test(frac.slice(DECIMALS))) throw bad(s, what, `more than ${DECIMALS} decimals`);
    frac = frac.slice(0, DECIMALS);
  }
  return normalize(BigInt(m[1]! + frac.padEnd(DECIMALS, '0')));
}

/** Parse a price: like a size, but it must fit a safe integer of units (prices are map keys). */
export function parsePrice(s: string): number {
  const u = parseUnits(s, 'price');
  if (typeof u !== 'number') {
    throw new DecimalError(`price ${JSON.stringify(s)} is out of the exact range (at most ${formatUnits(MAX_SAFE)})`, ErrorCodes.DECIMAL_RANGE);
  }
  return u;
}

/** Units → the one number form of protocol.md: `"81307.0"`, `"0.20195"`, `"0.00001234"`. */
export function formatUnits(u: Units): string {
  if (typeof u === 'bigint') return formatScaledBig(u, DECIMALS);
  let frac = u % UNIT;
  const int = (u - frac) / UNIT;
  if (frac === 0) return `${int}.0`;
  let d = DECIMALS;
  while (frac % 10 === 0) {
    frac /= 10;
    d--;
  }
  const fs = String(frac);
  return `${int}.${ZEROS[d - fs.length]}${fs}`;
}

/** Half of `u` units in the one number form (a mid may need a 9th decimal). */
export function formatHalfUnits(u: Units): string {
  if (typeof u === 'number' && u % 2 === 0) return formatUnits(u / 2);
  const b = BigInt(u);
  if (b % 2n === 0n) return formatUnits(normalize(b / 2n));
  return formatScaledBig(b * 5n, DECIMALS + 1);
}

export function addUnits(a: Units, b: Units): Units {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    // Two safe integers: a sum past 2^53 - 1 rounds to at least 2^53, so this check is exact.
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  }
  return normalize(BigInt(a) + BigInt(b));
}

export function subUnits(a: Units, b: Units): Units {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a - b;
    if (r <= MAX_SAFE && r >= -MAX_SAFE) return r;
  }
  return normalize(BigInt(a) - BigInt(b));
}

/** `-u` (a size change that takes away). */
export function negUnits(u: Units): Units {
  return typeof u === 'number' ? -u : normalize(-u);
}

/** -1, 0 or 1. */
export function compareUnits(a: Units, b: Units): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Number of decimal digits of a price in units (`num_digits` of Hyperliquid's bucketing), 1 for 0. */
export function unitDigits(px: number): number {
  let d = 1;
  while (d < 16 && px >= POW10[d]!) d++;
  return d;
}

/** 10^k as a number, for 0 <= k <= 16. */
export function pow10(k: number): number {
  return POW10[k]!;
}

// ---- integers at any scale: `units × 10^-decimals`, signed ----

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

/** `units × 10^-decimals` in the one number form (`"-0.000804"`). `units` must be a safe integer. */
export function formatScaled(units: number, decimals: number): string {
  if (!Number.isSafeInteger(units)) {
    throw new DecimalError(`cannot format ${units} exactly: not a safe integer`, ErrorCodes.DECIMAL_RANGE);
  }
  const negative = units < 0;
  return place(String(negative ? -units : units), decimals, negative);
}

/** Same as {@link formatScaled} for bigint units (products of prices and sizes). */
export function formatScaledBig(units: bigint, decimals: number): string {
  const negative = units < 0n;
  return place((negative ? -units : units).toString(), decimals, negative);
}

const SIGNED_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parse a decimal string into integer units of `10^-decimals`, exactly. Refuses a string with
 * more significant decimals than `decimals`, or whose units are not a safe integer.
 */
export function parseScaled(text: string, decimals: number): number {
  const big = parseScaledBig(text, decimals);
  const n = Number(big);
  if (!Number.isSafeInteger(n)) {
    throw new DecimalError(`decimal ${JSON.stringify(text)} does not fit exactly in units of 1e-${decimals}`, ErrorCodes.DECIMAL_RANGE);
  }
  return n;
}

/** Parse a decimal string into bigint units of `10^-decimals`, exactly. */
export function parseScaledBig(text: string, decimals: number): bigint {
  const m = SIGNED_DECIMAL.exec(text);
  if (!m) throw new DecimalError(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, int = '', fracRaw = ''] = m;
  const frac = fracRaw.slice(0, significantEnd(fracRaw));
  if (frac.length > decimals) {
    throw new DecimalError(`decimal ${JSON.stringify(text)} has more than ${decimals} decimals`);
  }
  const units = BigInt(int + frac.padEnd(decimals, '0'));
  return sign === '-' ? -units : units;
}

/** Length of `frac` without its trailing zeros. */
function significantEnd(frac: string): number {
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return end;
}

/** Number of decimals a decimal string really carries (trailing zeros ignored). */
export function decimalPlaces(text: string): number {
  const m = SIGNED_DECIMAL.exec(text);
  if (!m) throw new DecimalError(`not a decimal number: ${JSON.stringify(text)}`);
  return significantEnd(m[3] ?? '');
}

/** The one form of a decimal string (for comparing strings written by different programs). */
export function canonicalDecimal(text: string): string {
  const places = decimalPlaces(text);
  return formatScaledBig(parseScaledBig(text, places), places);
}
