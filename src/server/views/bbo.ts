/**
 * `bbo` for one coin: sent at once, then only when the best bid or ask (px, sz or n) changed.
 * Intra-block (`--book-updates intra-block`): `partial` sends the open block's best levels so
 * far with `"partial":true` when they differ from the last frame sent.
 */
import type { AggregatableLevel } from '../../book/l2.js';
import type { OverlaySides } from '../block-overlay.js';
import { StateView, frameOf, type Delivery, type ViewContext } from './view.js';

const top = (levels: readonly AggregatableLevel[]): { px: string; sz: string; n: number } | null => {
  const lv = levels[levels.length - 1];
  return lv === undefined ? null : { px: lv.pxStr, sz: lv.szString(), n: lv.n };
};

export class BboView extends StateView {
  readonly channel = 'bbo';
  private bboJson = '';
  private readonly coinJson: string;
  /** The best levels of the last partial frame since the last full one (null: none). */
  private partialJson: string | null = null;

  constructor(
    key: string,
    readonly coin: string,
  ) {
    super(key);
    this.coinJson = JSON.stringify(coin);
  }

  /** The frame of the open block's best levels so far, or null when they look as the last frame sent. */
  partial(sides: OverlaySides, time: number, now: number): Delivery | null {
    if (!this.subscribed || this.frame === null) return null;
    const json = JSON.stringify([top(sides.bids), top(sides.asks)]);
    if (json === (this.partialJson ?? this.bboJson)) return null;
    this.partialJson = json;
    return this.partialToAll(frameOf('bbo', `{"coin":${this.coinJson},"time":${time},"bbo":${json},"partial":true}`), now);
  }

  protected recompute(ctx: ViewContext): boolean {
    const book = ctx.books.book(this.coin);
    const json = JSON.stringify(book === undefined ? [null, null] : book.bbo());
    if (json === this.bboJson) return false;
    this.bboJson = json;
    return true;
  }

  protected build(ctx: ViewContext): Buffer {
    this.partialJson = null;
    return frameOf('bbo', `{"coin":${this.coinJson},"time":${ctx.time},"bbo":${this.bboJson}}`);
  }
}
