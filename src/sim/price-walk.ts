/**
 * Where each coin's price goes: a fair price (ticks) that the market makers quote around and
 * the takers trade towards, a random walk leaning with a trend that turns now and then and
 * leans back towards the reference price far from it.
 */
import type { CoinSpec } from './market.js';
import { clamp } from './market-state.js';
import type { Rng } from '../util/rng.js';

export class PriceWalk {
  /** Per coin, the price (ticks) the market makers quote around. */
  readonly fair: number[];
  /** Per coin, how far (ticks) quotes spread from the fair price. */
  readonly depth: number[];
  /** Per coin, ticks the fair price moves in one step, and the chance of a step per block. */
  readonly step: number[];
  private readonly stepChance: number[];
  private readonly trend: Int8Array;

  constructor(private readonly coins: readonly CoinSpec[]) {
    this.trend = new Int8Array(coins.length);
    this.depth = coins.map((c) => Math.max(8, Math.floor(c.refPx / 50)));
    this.fair = coins.map((c) => c.refPx);
    this.step = coins.map((c) => Math.max(1, Math.floor(c.refPx / 30_000)));
    this.stepChance = coins.map((c) => Math.min(0.5, c.refPx / 60_000));
  }

  /** One block's moves: each fair price may take a step; each trend may turn. */
  drift(rng: Rng): void {
    for (let id = 0; id < this.coins.length; id++) {
      const c = this.coins[id]!;
      if (rng.chance(this.stepChance[id]!)) {
        const up = rng.chance(0.5 + 0.1 * this.trend[id]!);
        this.fair[id] = clamp(this.fair[id]! + (up ? 1 : -1) * this.step[id]!, c.minPx + 1, c.maxPx - 1);
      }
      if (!rng.chance(0.01)) continue;
      const fair = this.fair[id]!;
      if (fair * 10 > c.refPx * 14) this.trend[id] = -1;
      else if (fair * 10 < c.refPx * 7) this.trend[id] = 1;
      else this.trend[id] = rng.int(3) - 1;
    }
  }
}
