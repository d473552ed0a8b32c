/**
 * Exact money for the paper exchange: USDC in micro units (6 decimals) as bigints, and the
 * conversions from a coin's price × size units (ticks × lots, 10^-(pxDecimals+szDecimals)).
 */
import { formatScaledBig as formatBigUnits } from '../../book/decimal.js';
import type { CoinSpec } from '../market.js';

export const USDC_DECIMALS = 6;
export const MICRO = 1_000_000n;

/** ticks × lots of `c` (scale pxDecimals + szDecimals) in micro-USDC, truncated towards zero. */
export function toMicro(c: CoinSpec, units: bigint): bigint {
  const k = c.pxDecimals + c.szDecimals;
  return k >= USDC_DECIMALS ? units / 10n ** BigInt(k - USDC_DECIMALS) : units * 10n ** BigInt(USDC_DECIMALS - k);
}

/** Notional of `lots` at `pxTicks`, micro-USDC. */
export function notionalMicro(c: CoinSpec, pxTicks: number, lots: number): bigint {
  return toMicro(c, BigInt(pxTicks) * BigInt(lots));
}

export function usd(micro: bigint): string {
  return formatBigUnits(micro, USDC_DECIMALS);
}

/** A fee of `ppm` parts per million of the notional of `lots` at `pxTicks`, micro-USDC (truncated once). */
export function feeMicro(c: CoinSpec, pxTicks: number, lots: number, ppm: bigint): bigint {
  // notional × ppm × 10^-6 in micro units = ticks × lots × ppm / 10^(pxDecimals + szDecimals).
  return (BigInt(pxTicks) * BigInt(lots) * ppm) / 10n ** BigInt(c.pxDecimals + c.szDecimals);
}

/** `num / den` as a decimal string with `decimals` places (truncated), e.g. an average price. */
export function ratio(num: bigint, den: bigint, decimals: number): string {
  return formatBigUnits((num * 10n ** BigInt(decimals)) / den, decimals);
}
