/**
 * Prices and sizes as `/exchange` takes them: exact decimal strings with at most 8 decimals
 * and no trailing zeros (`"100"`, `"1670.1"`, `"0.0147"`), the form the official SDKs hash.
 * A price has at most 5 significant figures and at most 6 − szDecimals decimals (perps) or
 * 8 − szDecimals (spot), integers always allowed; a size at most szDecimals decimals.
 *
 * A value that does not fit is refused, never rounded: the order the user asked for is the
 * order that is signed. `roundPrice`/`roundSize` exist for callers that want a valid value
 * near one they computed, and say which way they round.
 */
import { DecimalError, ErrorCodes } from '../errors.js';
import { AMOUNT_UNIT, formatScaled, toAmount } from './amount.js';

export type MarketKind = 'perp' | 'spot';

/** What the formatting needs of a pair's trading rules. */
export interface WireRules {
  szDecimals: number;
  kind: MarketKind;
}

function wireError(message: string): DecimalError {
  return new DecimalError(message, ErrorCodes.WIRE_FORMAT);
}

/** Units of 1e-8 → the wire form: no trailing zeros, no `.0` (`100`, `0.0147`). */
export function unitsToWire(u: bigint): string {
  const s = formatScaled(u, 8);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Any exact decimal string (at most 8 decimals) → the wire form; `"2000.0"` → `"2000"`, `"-0"` → `"0"`. */
export function toWire(s: string, what = 'value'): string {
  let u: bigint;
  try {
    u = toAmount(s, what);
  } catch (error) {
    throw wireError(`${what} ${JSON.stringify(s)} cannot be sent exactly: ${(error as Error).message}`);
  }
  return unitsToWire(u);
}

/** Decimals a value needs (0 for an integer). */
function decimalsOf(u: bigint): number {
  let d = 8;
  let v = u < 0n ? -u : u;
  while (d > 0 && v % 10n === 0n) {
    v /= 10n;
    d--;
  }
  return d;
}

/** Significant figures of a value in units (its digits without leading and trailing zeros). */
function sigFigsOf(u: bigint): number {
  let v = u < 0n ? -u : u;
  if (v === 0n) return 0;
  while (v % 10n === 0n) v /= 10n;
  return v.toString().length;
}

/** Decimals a price of this pair may have. */
export function maxPriceDecimals(rules: WireRules): number {
  return Math.max(0, (rules.kind === 'spot' ? 8 : 6) - rules.szDecimals);
}

function positive(s: string, what: string): bigint {
  let u: bigint;
  try {
    u = toAmount(s, what);
  } catch (error) {
    throw wireError(`${what} ${JSON.stringify(s)} cannot be sent exactly: ${(error as Error).message}`);
  }
  if (u <= 0n) throw wireError(`${what} ${JSON.stringify(s)} must be above zero`);
  return u;
}

/** Whether `u` (1e-8 units) is a valid price: integer, or ≤ 5 significant figures and ≤ the pair's decimals. */
export function isValidPrice(u: bigint, rules: WireRules): boolean {
  if (u <= 0n) return false;
  if (u % AMOUNT_UNIT === 0n) return true;
  return decimalsOf(u) <= maxPriceDecimals(rules) && sigFigsOf(u) <= 5;
}

/** A price for `/exchange`, or a `WIRE_FORMAT` error saying why it would round. */
export function formatPrice(px: string, rules: WireRules): string {
  const u = positive(px, 'price');
  if (u % AMOUNT_UNIT !== 0n) {
    const max = maxPriceDecimals(rules);
    if (decimalsOf(u) > max) {
      throw wireError(
        `price ${JSON.stringify(px)} has ${decimalsOf(u)} decimals; this ${rules.kind} pair (szDecimals ${rules.szDecimals}) allows at most ${max}: it would round`,
      );
    }
    if (sigFigsOf(u) > 5) {
      throw wireError(`price ${JSON.stringify(px)} has ${sigFigsOf(u)} significant figures; at most 5 (or an integer): it would round`);
    }
  }
  return unitsToWire(u);
}

/** A size for `/exchange`, or a `WIRE_FORMAT` error when it has more than szDecimals decimals. */
export function formatSize(sz: string, rules: Pick<WireRules, 'szDecimals'>): string {
  const u = positive(sz, 'size');
  if (decimalsOf(u) > rules.szDecimals) {
    throw wireError(`size ${JSON.stringify(sz)} has ${decimalsOf(u)} decimals; the lot allows at most ${rules.szDecimals}: it would round`);
  }
  return unitsToWire(u);
}

/**
 * The price step at `u` (1e-8 units): the smallest change that keeps 5 significant figures
 * within the pair's decimals. At and above 10,000 the step is 1 (integers are always valid).
 */
export function priceTickAt(u: bigint, rules: WireRules): bigint {
  const v = u < 0n ? -u : u;
  const maxDec = maxPriceDecimals(rules);
  // Decimal position of the leading digit: 10^k <= v/1e8 < 10^(k+1).
  const digits = v === 0n ? 1 : v.toString().length;
  const k = digits - 1 - 8;
  const sigDecimals = 4 - k; // decimals that keep 5 significant figures
  const decimals = Math.max(0, Math.min(maxDec, sigDecimals));
  return 10n ** BigInt(8 - decimals);
}

/** The nearest valid price at or below (`down`) or at or above (`up`) `px`. */
export function roundPrice(px: string, rules: WireRules, direction: 'down' | 'up'): string {
  const u = positive(px, 'price');
  const tick = priceTickAt(u, rules);
  let r = (u / tick) * tick;
  if (direction === 'up' && r < u) r += tick;
  if (r <= 0n) throw wireError(`price ${JSON.stringify(px)} is below the smallest price step ${unitsToWire(tick)}: no valid price at or below it`);
  // Rounding up across a power of ten (9.9999 → 10.000) lands on a coarser grid that is still valid.
  return unitsToWire(r);
}

/** `px` moved by `ticks` steps (negative: down), each step the tick where it lands. */
export function offsetPrice(px: string, rules: WireRules, ticks: number): string {
  let u = toAmount(formatPrice(px, rules), 'price');
  const step = ticks < 0 ? -1 : 1;
  for (let i = 0; i !== ticks; i += step) {
    if (step > 0) {
      u += priceTickAt(u, rules);
    } else {
      // The tick below a power of ten is the finer one of the value just under it.
      const below = priceTickAt(u - 1n, rules);
      u -= below;
      if (u <= 0n) throw wireError(`price ${JSON.stringify(px)} moved ${ticks} ticks is not above zero`);
    }
  }
  return unitsToWire(u);
}

/** The nearest size at or below `sz` on the lot (`szDecimals` decimals). */
export function roundSize(sz: string, rules: Pick<WireRules, 'szDecimals'>): string {
  const u = toAmount(sz, 'size');
  const lot = 10n ** BigInt(8 - Math.min(8, rules.szDecimals));
  return unitsToWire((u / lot) * lot);
}
