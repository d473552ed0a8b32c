/**
 * `candle` for one coin and interval: the open candle, one frame per block that changed it
 * (a trade, or the block that closed the previous one), and the current one at subscribe.
 * `data` is one candle object, as the public API sends it (what @nktkas/hyperliquid and
 * ccxt's `watchOHLCV` read).
 */
import type { Peer } from '../outbox.js';
import { View, frameOf, type Delivery } from '../views/view.js';
import type { CandleInterval } from './intervals.js';

export class CandleView extends View {
  readonly channel = 'candle';

  constructor(
    key: string,
    readonly coin: string,
    readonly interval: CandleInterval,
    /** The open candle's JSON now, if there is one. */
    private readonly current: () => string | null,
  ) {
    super(key);
  }

  /** A new subscriber: the open candle, if there is one. */
  welcome(peer: Peer): Delivery | null {
    this.newcomers.delete(peer);
    const json = this.current();
    return json === null ? null : { peers: [peer], frame: frameOf('candle', json), channel: 'candle' };
  }

  /** The open candle changed: its frame for every subscriber. */
  publish(candleJson: string): Delivery | null {
    return this.toAll(frameOf('candle', candleJson));
  }
}
