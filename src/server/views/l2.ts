/**
 * `l2Book` for one coin and one parameter set. Recomputed only when a block changed a level
 * that can show in it: a changed bid below the last visible bid (or ask above the last
 * visible ask) of a full side cannot, whatever the aggregation, because bucketing rounds
 * bids down and asks up.
 *
 * Intra-block (`--book-updates intra-block`): `partial` shows the levels of the open block so
 * far (`block-overlay.ts`) as a frame with `"partial":true`, when they differ from the last
 * frame sent; the block's full frame then follows whatever it holds (`StateView`).
 */
import { aggregateSide, l2Spec, type L2Spec } from '../../book/l2.js';
import type { CoinChange, L2Params } from '../../book/types.js';
import type { OverlaySides } from '../block-overlay.js';
import { comparePx } from '../price.js';
import { StateView, frameOf, type Delivery, type ViewContext } from './view.js';

export class L2View extends StateView {
  readonly channel = 'l2Book';
  private levelsJson = '';
  /** Price of the last visible bid when the side shows `nLevels` levels, else null. */
  private bidEdge: string | null = null;
  private askEdge: string | null = null;
  private readonly coinJson: string;
  private readonly spec: L2Spec;
  /** Levels of the last partial frame since the last full one (null: none). */
  private partialJson: string | null = null;

  constructor(
    key: string,
    readonly coin: string,
    readonly params: Required<L2Params>,
  ) {
    super(key);
    this.coinJson = JSON.stringify(coin);
    this.spec = l2Spec(params);
  }

  /** The frame of the open block's levels so far, or null when they look as the last frame sent. */
  partial(sides: OverlaySides, time: number, now: number): Delivery | null {
    if (!this.subscribed || this.frame === null) return null;
    const json = JSON.stringify([aggregateSide(sides.bids, true, this.spec), aggregateSide(sides.asks, false, this.spec)]);
    if (json === (this.partialJson ?? this.levelsJson)) return null;
    this.partialJson = json;
    return this.partialToAll(frameOf('l2Book', `{"coin":${this.coinJson},"time":${time},"levels":${json},"partial":true}`), now);
  }

  /** Account one block's change of this coin; true when the view became dirty. */
  noteChange(change: CoinChange): boolean {
    if (this.dirty) return true;
    if (touchesBids(change.changedBids, this.bidEdge) || touchesAsks(change.changedAsks, this.askEdge)) this.markDirty();
    return this.dirty;
  }

  protected recompute(ctx: ViewContext): boolean {
    const book = ctx.books.book(this.coin);
    const levels = book === undefined ? [[], []] : book.l2(this.params);
    const n = this.params.nLevels;
    const bids = levels[0]!;
    const asks = levels[1]!;
    this.bidEdge = bids.length >= n ? bids[n - 1]!.px : null;
    this.askEdge = asks.length >= n ? asks[n - 1]!.px : null;
    const json = JSON.stringify(levels);
    if (json === this.levelsJson) return false;
    this.levelsJson = json;
    return true;
  }

  protected build(ctx: ViewContext): Buffer {
    this.partialJson = null;
    return frameOf('l2Book', `{"coin":${this.coinJson},"time":${ctx.time},"levels":${this.levelsJson}}`);
  }
}

function touchesBids(changed: readonly string[], edge: string | null): boolean {
  if (changed.length === 0) return false;
  if (edge === null) return true;
  for (const px of changed) if (comparePx(px, edge) >= 0) return true;
  return false;
}

function touchesAsks(changed: readonly string[], edge: string | null): boolean {
  if (changed.length === 0) return false;
  if (edge === null) return true;
  for (const px of changed) if (comparePx(px, edge) <= 0) return true;
  return false;
}
