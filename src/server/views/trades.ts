/** `trades` for one coin: one frame per block with trades of the coin, nothing at subscribe. */
import type { Trade } from '../../book/types.js';
import type { Outbox } from '../outbox.js';
import { View, frameOf } from './view.js';

export class TradesView extends View {
  readonly channel = 'trades';

  constructor(
    key: string,
    readonly coin: string,
  ) {
    super(key);
  }

  publish(trades: readonly Trade[], outbox: Outbox): void {
    this.newcomers.clear();
    if (trades.length === 0 || this.subscribers.size === 0) return;
    outbox.sendToAll(this.subscribers, frameOf('trades', JSON.stringify(trades)), 'trades');
  }
}
