/**
 * Asset ids as the public API numbers them, from this market's `meta` and `spotMeta`: perps of
 * the main dex `0…` in universe order, spot pairs `10000 + pair index`, HIP-3 perps
 * `100000 + perpDexIndex × 10000 + index in that dex's universe` (perpDexIndex 1 for the
 * first builder-deployed dex; 0 is the main dex).
 */
import { metaResponse, type CoinSpec } from '../market.js';

export interface AssetTable {
  byAsset: Map<number, CoinSpec>;
  /** Asset id by coin id. */
  assetOf: number[];
  /** Max leverage by coin id (perps), as `meta` states it. */
  maxLeverage: number[];
}

export function assetTable(coins: readonly CoinSpec[]): AssetTable {
  const byAsset = new Map<number, CoinSpec>();
  const assetOf: number[] = [];
  const maxLeverage: number[] = [];
  const dexes: string[] = [];
  const perDex = new Map<string, number>();
  let perp = 0;
  for (const c of coins) {
    let id: number;
    if (c.kind === 'perp') id = perp++;
    else if (c.kind === 'spot') id = 10_000 + c.spot!.pairIndex;
    else {
      const dex = c.dex ?? '';
      if (!dexes.includes(dex)) dexes.push(dex);
      const n = perDex.get(dex) ?? 0;
      perDex.set(dex, n + 1);
      id = 100_000 + (dexes.indexOf(dex) + 1) * 10_000 + n;
    }
    byAsset.set(id, c);
    assetOf[c.id] = id;
  }
  const universes = [metaResponse(coins), ...dexes.map((d) => metaResponse(coins, d))] as ({ universe: { name: string; maxLeverage: number }[] } | null)[];
  const lev = new Map<string, number>();
  for (const u of universes) for (const a of u?.universe ?? []) lev.set(a.name, a.maxLeverage);
  for (const c of coins) maxLeverage[c.id] = lev.get(c.name) ?? 1;
  return { byAsset, assetOf, maxLeverage };
}
