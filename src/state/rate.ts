import { Fifo } from '../util/fifo.js';

/** Events per second over a sliding window, for `/health`. */
export class EventRate {
  /** Each `add`: when, and how many. */
  private readonly added = new Fifo<{ at: number; n: number }>();
  private sum = 0;

  /**
   * @param windowMs Window the rate is averaged over. Default 5,000.
   * @param now Clock, ms. Default `Date.now`.
   */
  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(n: number): void {
    this.added.push({ at: this.now(), n });
    this.sum += n;
    this.expire();
  }

  perSecond(): number {
    this.expire();
    return Math.round((this.sum * 1000) / this.windowMs);
  }

  private expire(): void {
    const cut = this.now() - this.windowMs;
    for (let a = this.added.peek(); a !== undefined && a.at <= cut; a = this.added.peek()) {
      this.sum -= a.n;
      this.added.shift();
    }
  }
}
