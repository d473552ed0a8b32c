/**
 * `L2BookTracker`: the latest aggregated book of each tracked coin from `l2Book`, with
 * best bid/ask and a `change` event when the levels change. One parameter set per coin.
 * Intra-block frames (`partial`) are states too: each is a `change`, with `view.partial`
 * set, and the block's end is a `change` of its own (see `TrackedView.partial`).
 */
import type { ModuleContext } from '../core/module.js';
import { isRecord, type L2Level, type L2Levels, type Subscription } from '../protocol.js';
import { CoinViewTracker, type CoinViewHandle, type TrackedView } from './coin-view-tracker.js';

export interface L2Params {
  /** 2..5, or null for full precision. */
  nSigFigs?: number | null;
  /** 1, 2 or 5, only with nSigFigs 5. */
  mantissa?: number | null;
  /** Levels per side (this server's extension; default 20 there). */
  nLevels?: number;
}

export interface L2BookView extends TrackedView {
  /** `[bids best first, asks best first]`. */
  levels: L2Levels;
  bestBid: L2Level | null;
  bestAsk: L2Level | null;
}

export type L2BookHandle = CoinViewHandle<L2BookView, L2Params>;

function isLevel(x: unknown): x is L2Level {
  return isRecord(x) && typeof x.px === 'string' && typeof x.sz === 'string' && typeof x.n === 'number';
}

export class L2BookTracker extends CoinViewTracker<L2BookView, L2Params> {
  static readonly moduleName = 'L2BookTracker';
  protected readonly channel = 'l2Book';

  constructor(ctx: ModuleContext, _options: Record<string, never> = {}) {
    super(ctx);
  }

  protected subscriptionFor(coin: string, params: L2Params | undefined): Subscription {
    const sub: Subscription = { type: 'l2Book', coin };
    if (params?.nSigFigs !== undefined) sub.nSigFigs = params.nSigFigs;
    if (params?.mantissa !== undefined) sub.mantissa = params.mantissa;
    if (params?.nLevels !== undefined) sub.nLevels = params.nLevels;
    return sub;
  }

  protected toView(data: unknown, coin: string): L2BookView | undefined {
    if (!isRecord(data) || !Array.isArray(data.levels) || data.levels.length !== 2) return undefined;
    const [bids, asks] = data.levels as unknown[];
    if (!Array.isArray(bids) || !Array.isArray(asks) || !bids.every(isLevel) || !asks.every(isLevel)) return undefined;
    return {
      coin,
      time: typeof data.time === 'number' ? data.time : 0,
      fresh: true,
      partial: data.partial === true,
      levels: [bids, asks],
      bestBid: bids[0] ?? null,
      bestAsk: asks[0] ?? null,
    };
  }

  protected signatureOf(view: L2BookView): string {
    return (view.partial ? 'p' : 'b') + JSON.stringify(view.levels);
  }
}
