/**
 * Hyperliquid's L2 aggregation (`l2Book` with `nSigFigs`, `mantissa`, `nLevels`), on a
 * side's levels as the book keeps them. Levels are walked best first; a bucket opens at the
 * first level outside the current one, with its price rounded on that level's own
 * significant figures (bids down, asks up), and takes every following level up to its
 * edge. Walking stops once `nLevels` buckets are complete, so a view never reads more of the
 * book than it shows.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { addUnits, formatUnits, pow10, unitDigits, type Units } from './decimal.js';
import type { L2Level, L2Params } from './types.js';

/** What aggregation reads of a price level. */
export interface AggregatableLevel {
  readonly px: number;
  readonly pxStr: string;
  readonly sz: Units;
  readonly n: number;
  szString(): string;
}

/** `nLevels` when a view does not say. */
export const DEFAULT_N_LEVELS = 20;
/** Largest `nLevels` a view may ask for. */
export const MAX_N_LEVELS = 100;

/** Checked L2 parameters: `sigFigs` 0 means full precision, `mantissa` 1 means none. */
export interface L2Spec {
  sigFigs: number;
  mantissa: number;
  nLevels: number;
}

/** Validate `l2Book` parameters; throws `HlobError` (`BAD_L2_PARAMS`) naming the bad one. */
export function l2Spec(params?: L2Params): L2Spec {
  const sig = params?.nSigFigs ?? null;
  const mant = params?.mantissa ?? null;
  const nLevels = params?.nLevels ?? DEFAULT_N_LEVELS;
  if (sig !== null && !(sig === 2 || sig === 3 || sig === 4 || sig === 5)) {
    throw new HlobError(ErrorCodes.BAD_L2_PARAMS, `nSigFigs ${JSON.stringify(sig)} is not 2, 3, 4, 5 or null`);
  }
  if (mant !== null) {
    if (!(mant === 1 || mant === 2 || mant === 5)) {
      throw new HlobError(ErrorCodes.BAD_L2_PARAMS, `mantissa ${JSON.stringify(mant)} is not 1, 2, 5 or null`);
    }
    if (sig !== 5) throw new HlobError(ErrorCodes.BAD_L2_PARAMS, `mantissa ${mant} is only allowed with nSigFigs 5 (got ${JSON.stringify(sig)})`);
  }
  if (!Number.isInteger(nLevels) || nLevels < 1 || nLevels > MAX_N_LEVELS) {
    throw new HlobError(ErrorCodes.BAD_L2_PARAMS, `nLevels ${JSON.stringify(nLevels)} is not an integer from 1 to ${MAX_N_LEVELS}`);
  }
  return { sigFigs: sig ?? 0, mantissa: mant ?? 1, nLevels };
}

/** The bucket edge of one price (units): bids round down, asks up, on `sigFigs` significant figures times `mantissa`. */
export function bucketPx(px: number, isBid: boolean, sigFigs: number, mantissa: number): number {
  const p = unitDigits(px) - sigFigs;
  const inc = mantissa * pow10(p > 0 ? p : 0);
  if (inc === 1) return px;
  const r = px % inc;
  if (r === 0) return px;
  return isBid ? px - r : px - r + inc;
}

/** How far into a side a view reached, so that a cached view knows which changes affect it. */
export interface ViewReach {
  /** The view shows every level of the side: any change affects it. */
  complete: boolean;
  /** Otherwise, the worst price (units) the view covers: a change at or better than it affects the view. */
  bound: number;
}

/**
 * Aggregate one side. `levels` is sorted best last (the book's layout); `isBid` says which
 * way prices round and merge. `reach`, if given, receives how far the view went.
 */
export function aggregateSide(levels: readonly AggregatableLevel[], isBid: boolean, spec: L2Spec, reach?: ViewReach): L2Level[] {
  const out: L2Level[] = [];
  const { sigFigs, mantissa, nLevels } = spec;
  let i = levels.length - 1;
  if (sigFigs === 0) {
    for (; i >= 0 && out.length < nLevels; i--) {
      const lv = levels[i]!;
      out.push({ px: lv.pxStr, sz: lv.szString(), n: lv.n });
    }
    if (reach !== undefined) {
      reach.complete = i < 0;
      reach.bound = levels[i + 1]?.px ?? 0;
    }
    return out;
  }
  if (reach !== undefined) reach.complete = true;
  if (i < 0) return out;
  let first = levels[i]!;
  let edge = bucketPx(first.px, isBid, sigFigs, mantissa);
  let sz: Units = first.sz;
  let n = first.n;
  let single = true; // the bucket holds one level: its size string can come from the level's cache
  for (i--; i >= 0; i--) {
    const lv = levels[i]!;
    const px = lv.px;
    if (isBid ? px < edge : px > edge) {
      out.push({ px: edge === first.px ? first.pxStr : formatUnits(edge), sz: single ? first.szString() : formatUnits(sz), n });
      if (out.length === nLevels) {
        if (reach !== undefined) {
          reach.complete = false;
          reach.bound = edge;
        }
        return out;
      }
      first = lv;
      edge = bucketPx(px, isBid, sigFigs, mantissa);
      sz = lv.sz;
      n = lv.n;
      single = true;
    } else {
      sz = addUnits(sz, lv.sz);
      n += lv.n;
      single = false;
    }
  }
  out.push({ px: edge === first.px ? first.pxStr : formatUnits(edge), sz: single ? first.szString() : formatUnits(sz), n });
  return out;
}
