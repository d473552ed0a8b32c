/**
 * Trading rules per pair from `meta` (perps) and `spotMeta` (spot): the asset id an order
 * names, size decimals (the lot), price decimals and 5 significant figures (the tick, which
 * depends on the price), and the $10 minimum notional.
 *
 * Asset ids: a perp is its index in `meta.universe`; a spot pair is 10,000 + its index in
 * `spotMeta.universe` (named `PURR/USDC` or `@{index}`).
 */
import { OrderRefusedError } from './errors.js';
import { maxPriceDecimals, priceTickAt, unitsToWire, type MarketKind } from './wire.js';
import { toAmount } from './amount.js';

export interface TradingRule {
  pair: string;
  asset: number;
  kind: MarketKind;
  szDecimals: number;
  /** Decimals a price may have (6 − szDecimals perps, 8 − szDecimals spot). */
  maxPriceDecimals: number;
  /** The size step. */
  lotSize: string;
  /** Smallest order value, in USDC. */
  minNotional: string;
}

/** The price step at `px` for this rule. */
export function tickAt(rule: TradingRule, px: string): string {
  return unitsToWire(priceTickAt(toAmount(px, 'price'), rule));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Rules of every pair `meta` and `spotMeta` list. */
export function tradingRules(meta: unknown, spotMeta: unknown): Map<string, TradingRule> {
  const rules = new Map<string, TradingRule>();
  const add = (pair: string, asset: number, kind: MarketKind, szDecimals: number): void => {
    const rule = { pair, asset, kind, szDecimals, maxPriceDecimals: 0, lotSize: unitsToWire(10n ** BigInt(8 - Math.min(8, szDecimals))), minNotional: '10' };
    rule.maxPriceDecimals = maxPriceDecimals(rule);
    rules.set(pair, rule);
  };
  if (isRecord(meta) && Array.isArray(meta.universe)) {
    meta.universe.forEach((u: unknown, i) => {
      if (isRecord(u) && typeof u.name === 'string' && typeof u.szDecimals === 'number') add(u.name, i, 'perp', u.szDecimals);
    });
  }
  if (isRecord(spotMeta) && Array.isArray(spotMeta.universe) && Array.isArray(spotMeta.tokens)) {
    const tokens = spotMeta.tokens as unknown[];
    for (const u of spotMeta.universe as unknown[]) {
      if (!isRecord(u) || typeof u.name !== 'string' || typeof u.index !== 'number' || !Array.isArray(u.tokens)) continue;
      const base = tokens[u.tokens[0] as number];
      if (!isRecord(base) || typeof base.szDecimals !== 'number') continue;
      add(u.name, 10_000 + u.index, 'spot', base.szDecimals);
    }
  }
  return rules;
}

/** The rule of `pair`, or an `ORDER_REFUSED` error naming what is known. */
export function ruleOf(rules: Map<string, TradingRule>, pair: string): TradingRule {
  const rule = rules.get(pair);
  if (!rule) {
    const some = [...rules.keys()].slice(0, 8).join(', ');
    throw new OrderRefusedError(`unknown pair ${JSON.stringify(pair)}: not in meta or spotMeta (${some}${rules.size > 8 ? ', …' : ''})`);
  }
  return rule;
}
