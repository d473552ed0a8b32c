/** `bbo` for one coin: sent at once, then only when the best bid or ask (px, sz or n) changed. */
import { StateView, frameOf, type ViewContext } from './view.js';

export class BboView extends StateView {
  readonly channel = 'bbo';
  private bboJson = '';
  private readonly coinJson: string;

  constructor(
    key: string,
    readonly coin: string,
  ) {
    super(key);
    this.coinJson = JSON.stringify(coin);
  }

  protected recompute(ctx: ViewContext): boolean {
    const book = ctx.books.book(this.coin);
    const json = JSON.stringify(book === undefined ? [null, null] : book.bbo());
    if (json === this.bboJson) return false;
    this.bboJson = json;
    return true;
  }

  protected build(ctx: ViewContext): Buffer {
    return frameOf('bbo', `{"coin":${this.coinJson},"time":${ctx.time},"bbo":${this.bboJson}}`);
  }
}
