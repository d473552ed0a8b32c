/**
 * The ladder's aggregation choices (the `l2Book` parameter sets: full precision, nSigFigs
 * 5/4/3/2, and nSigFigs 5 with mantissa 2 or 5), and which displayed level an order falls in.
 */
import { parsePrice } from '../book/decimal.js';

export interface Aggregation {
  /** Short stable id (URL): `full`, `5`, `5m2`, `5m5`, `4`, `3`, `2`. */
  id: string;
  label: string;
  nSigFigs: number | null;
  mantissa: number | null;
}

export const AGGREGATIONS: readonly Aggregation[] = [
  { id: 'full', label: 'Full precision', nSigFigs: null, mantissa: null },
  { id: '5', label: '5 significant figures', nSigFigs: 5, mantissa: null },
  { id: '5m2', label: '5 sig. figs, step 2', nSigFigs: 5, mantissa: 2 },
  { id: '5m5', label: '5 sig. figs, step 5', nSigFigs: 5, mantissa: 5 },
  { id: '4', label: '4 significant figures', nSigFigs: 4, mantissa: null },
  { id: '3', label: '3 significant figures', nSigFigs: 3, mantissa: null },
  { id: '2', label: '2 significant figures', nSigFigs: 2, mantissa: null },
];

export const DEFAULT_AGGREGATION: Aggregation = AGGREGATIONS[0]!;

export function aggregationById(id: string): Aggregation | undefined {
  return AGGREGATIONS.find((a) => a.id === id);
}

/** The `l2Book` parameters of an aggregation (as the server takes them). */
export function l2Params(a: Aggregation, nLevels: number): { nSigFigs: number | null; mantissa: number | null; nLevels: number } {
  return { nSigFigs: a.nSigFigs, mantissa: a.mantissa, nLevels };
}

/**
 * The index of the displayed level an order at `px` belongs to, or -1. Levels (`edges`,
 * best first) are the buckets' edges: a bid bucket holds the prices from its edge up to the
 * next better edge, an ask bucket those from its edge down to the next better one. Full
 * precision is the case where every bucket is one price.
 */
export function levelIndexOf(px: string, isBid: boolean, edges: readonly string[]): number {
  const p = parsePrice(px);
  for (let i = 0; i < edges.length; i++) {
    const e = parsePrice(edges[i]!);
    // Edges go from best to worse: the first one the price reaches is its bucket.
    if (isBid ? p >= e : p <= e) return i;
  }
  return -1;
}
