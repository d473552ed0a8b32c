/**
 * The depth chart's geometry: cumulative size against price for each side, as steps, and
 * the projection of those points into a box. Floating point is fine here: it only draws.
 */
import type { L2Level } from '../book/types.js';

export interface DepthPoint {
  px: number;
  cum: number;
}

export interface DepthCurves {
  /** Best first (prices falling). */
  bids: DepthPoint[];
  /** Best first (prices rising). */
  asks: DepthPoint[];
  /** Price range shown, symmetric about the mid when both sides exist. */
  minPx: number;
  maxPx: number;
  maxCum: number;
  mid: number | null;
}

function cumulative(levels: readonly L2Level[]): DepthPoint[] {
  let cum = 0;
  return levels.map((l) => {
    cum += Number(l.sz);
    return { px: Number(l.px), cum };
  });
}

/**
 * Both sides' curves, cut to the same distance from the mid (the nearer of the two
 * sides' farthest prices) so that neither side looks deeper only because more of it was sent.
 */
export function depthCurves(bidLevels: readonly L2Level[], askLevels: readonly L2Level[]): DepthCurves {
  let bids = cumulative(bidLevels);
  let asks = cumulative(askLevels);
  const bestBid = bids[0]?.px;
  const bestAsk = asks[0]?.px;
  let mid: number | null = null;
  let minPx = bids[bids.length - 1]?.px ?? bestAsk ?? 0;
  let maxPx = asks[asks.length - 1]?.px ?? bestBid ?? 1;
  if (bestBid !== undefined && bestAsk !== undefined) {
    mid = (bestBid + bestAsk) / 2;
    const reach = Math.min(mid - (bids[bids.length - 1]?.px ?? mid), (asks[asks.length - 1]?.px ?? mid) - mid);
    const half = reach > 0 ? reach : Math.max(mid - bestBid, bestAsk - mid, Math.abs(mid) * 1e-4);
    minPx = mid - half;
    maxPx = mid + half;
    bids = bids.filter((p) => p.px >= minPx);
    asks = asks.filter((p) => p.px <= maxPx);
  }
  if (maxPx <= minPx) maxPx = minPx + 1;
  const maxCum = Math.max(bids[bids.length - 1]?.cum ?? 0, asks[asks.length - 1]?.cum ?? 0);
  return { bids, asks, minPx, maxPx, maxCum, mid };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A side's outline as a polygon in the box: starts on the baseline at the best price, steps
 * out through each level (a level's size counts from its price outwards), and closes at the
 * edge of the range.
 */
export function stepPath(points: readonly DepthPoint[], isBid: boolean, curves: DepthCurves, box: Box): Array<[number, number]> {
  if (points.length === 0) return [];
  const sx = (px: number): number => box.x + ((px - curves.minPx) / (curves.maxPx - curves.minPx)) * box.width;
  const sy = (cum: number): number => box.y + box.height - (curves.maxCum > 0 ? (cum / curves.maxCum) * box.height : 0);
  const out: Array<[number, number]> = [];
  const edge = isBid ? curves.minPx : curves.maxPx;
  out.push([sx(points[0]!.px), sy(0)]);
  let prev = 0;
  for (const p of points) {
    out.push([sx(p.px), sy(prev)]);
    out.push([sx(p.px), sy(p.cum)]);
    prev = p.cum;
  }
  out.push([sx(edge), sy(prev)]);
  out.push([sx(edge), sy(0)]);
  return out;
}
