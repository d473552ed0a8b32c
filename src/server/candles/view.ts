/**
 * `candle` for one coin and interval: the open candle, one frame per block that changed it
 * (a trade, or the block that closed the previous one), and the current one at subscribe.
 * `data` is one candle object, as the public API sends it (what @nktkas/hyperliquid and
 * ccxt's `watchOHLCV` read).
 */
import type { Outbox, Peer } from '../outbox.js';
import { View, frameOf } from '../views/view.js';
import type { CandleInterval } from './intervals.js';

export class CandleView extends View {
  readonly channel = 'candle';

  constructor(
    key: string,
    readonly coin: string,
    readonly interval: CandleInterval,
    private readonly outbox: Outbox,
    /** The open candle's JSON now, if there is one. */
    private readonly current: () => string | null,
  ) {
    super(key);
  }

  override add(peer: Peer): void {
    super.add(peer);
    this.newcomers.delete(peer);
    const json = this.current();
    if (json !== null) this.outbox.send(peer, frameOf('candle', json), 'candle');
  }

  publish(candleJson: string): void {
    if (this.subscribers.size === 0) return;
    this.outbox.sendToAll(this.subscribers, frameOf('candle', candleJson), 'candle');
  }
}
