/**
 * A book's L2 views, cached per parameter set and recomputed only when a change reaches the
 * levels they show (a change deeper in the book leaves them alone: `BookSide.changed`). A
 * result is frozen and shared: the same object is returned until the view changes, so `===`
 * against the previous result tells a publisher that nothing changed.
 */
import type { BookSide } from './book-side.js';
import { aggregateSide, l2Spec, type L2Spec, type ViewReach } from './l2.js';
import type { L2Level, L2Levels, L2Params } from './types.js';

/** One side of one cached L2 view: its levels (null once a change reached it) and how far it reaches. */
export class SideView implements ViewReach {
  levels: L2Level[] | null = null;
  complete = true;
  bound = 0;
}

interface CachedView {
  bids: SideView;
  asks: SideView;
  result: L2Levels | null;
}

/** Most L2 parameter sets cached per book (a server uses a handful; the rest are recomputed). */
const MAX_CACHED_VIEWS = 32;

export class ViewCache {
  private readonly views = new Map<string, CachedView>();

  constructor(
    private readonly bids: BookSide,
    private readonly asks: BookSide,
  ) {}

  /** Aggregated levels exactly per Hyperliquid (protocol.md). Throws `HlobError` (`BAD_L2_PARAMS`) on bad parameters. */
  l2(params?: L2Params): L2Levels {
    const spec = l2Spec(params);
    const key = `${spec.sigFigs}/${spec.mantissa}/${spec.nLevels}`;
    let e = this.views.get(key);
    if (e === undefined) {
      if (this.views.size >= MAX_CACHED_VIEWS) this.drop(this.views.keys().next().value!);
      e = { bids: new SideView(), asks: new SideView(), result: null };
      this.views.set(key, e);
      this.bids.views.push(e.bids);
      this.asks.views.push(e.asks);
    }
    let result = e.result;
    if (e.bids.levels === null) {
      e.bids.levels = freezeLevels(viewSide(this.bids, spec, e.bids));
      result = null;
    }
    if (e.asks.levels === null) {
      e.asks.levels = freezeLevels(viewSide(this.asks, spec, e.asks));
      result = null;
    }
    if (result === null) e.result = result = Object.freeze([e.bids.levels, e.asks.levels]) as L2Levels;
    return result;
  }

  private drop(key: string): void {
    const e = this.views.get(key);
    if (e === undefined) return;
    this.views.delete(key);
    this.bids.views.splice(this.bids.views.indexOf(e.bids), 1);
    this.asks.views.splice(this.asks.views.indexOf(e.asks), 1);
  }
}

/** One side of a view: the first `nLevels` levels, or buckets from the side's bucket index. */
function viewSide(side: BookSide, spec: L2Spec, reach: ViewReach): L2Level[] {
  if (spec.sigFigs === 0) return aggregateSide(side.levels, side.isBid, spec, reach);
  const ix = side.bucketIndex(spec.sigFigs, spec.mantissa);
  return aggregateSide(ix.levels, side.isBid, { sigFigs: 0, mantissa: 1, nLevels: spec.nLevels }, reach);
}

function freezeLevels(levels: L2Level[]): L2Level[] {
  for (const l of levels) Object.freeze(l);
  return Object.freeze(levels) as L2Level[];
}
