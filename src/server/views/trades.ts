/** `trades` for one coin: one frame per block with trades of the coin, nothing at subscribe. */
import type { Trade } from '../../book/types.js';
import { View, frameOf, type Delivery } from './view.js';

export class TradesView extends View {
  readonly channel = 'trades';

  constructor(
    key: string,
    readonly coin: string,
  ) {
    super(key);
  }

  /** One block's trades of the coin: the frame for every subscriber (none without trades). */
  publish(trades: readonly Trade[]): Delivery | null {
    this.newcomers.clear();
    if (trades.length === 0 || this.subscribers.size === 0) return null;
    return this.toAll(frameOf('trades', JSON.stringify(trades)));
  }
}
