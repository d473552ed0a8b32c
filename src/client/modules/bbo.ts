/**
 * `Bbo`: the latest best bid and offer of each tracked coin from `bbo`, with a `change`
 * event when either side's px, sz or n changes (and at a block's end after intra-block
 * frames: `TrackedView.partial`).
 */
import type { ModuleContext } from '../core/module.js';
import { isRecord, type L2Level, type Subscription } from '../protocol.js';
import { CoinViewTracker, type CoinViewHandle, type TrackedView } from './coin-view-tracker.js';

export interface BboView extends TrackedView {
  bid: L2Level | null;
  ask: L2Level | null;
}

export type BboHandle = CoinViewHandle<BboView, undefined>;

function levelOrNull(x: unknown): L2Level | null | undefined {
  if (x === null) return null;
  if (isRecord(x) && typeof x.px === 'string' && typeof x.sz === 'string' && typeof x.n === 'number') return x as unknown as L2Level;
  return undefined;
}

export class Bbo extends CoinViewTracker<BboView, undefined> {
  static readonly moduleName = 'Bbo';
  protected readonly channel = 'bbo';

  constructor(ctx: ModuleContext, _options: Record<string, never> = {}) {
    super(ctx);
  }

  protected subscriptionFor(coin: string): Subscription {
    return { type: 'bbo', coin };
  }

  protected toView(data: unknown, coin: string): BboView | undefined {
    if (!isRecord(data) || !Array.isArray(data.bbo) || data.bbo.length !== 2) return undefined;
    const bid = levelOrNull(data.bbo[0]);
    const ask = levelOrNull(data.bbo[1]);
    if (bid === undefined || ask === undefined) return undefined;
    return { coin, time: typeof data.time === 'number' ? data.time : 0, fresh: true, partial: data.partial === true, bid, ask };
  }

  protected signatureOf(view: BboView): string {
    return (view.partial ? 'p' : 'b') + JSON.stringify([view.bid, view.ask]);
  }
}
