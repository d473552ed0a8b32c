/**
 * Inbound frame budget of one connection: a token bucket of `perMinute` frames refilled
 * continuously (so a client may burst its whole minute, then keeps `perMinute / 60` a
 * second). Frames over budget are refused; a client that keeps sending while refused
 * is closed.
 */
export interface RateLimitOptions {
  /** Frames per minute; default 2000. */
  perMinute?: number;
  /** Refused frames in a row after which the connection is closed; default 100. */
  closeAfterRefused?: number;
  /** Clock in ms; default `performance.now`. */
  now?: () => number;
}

export type RateVerdict = 'accept' | 'refuse' | 'close';

export class InboundRateLimit {
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly closeAfter: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  private refusedInARow = 0;

  constructor(opts: RateLimitOptions = {}) {
    this.capacity = opts.perMinute ?? 2000;
    this.perMs = this.capacity / 60_000;
    this.closeAfter = opts.closeAfterRefused ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Account one inbound frame. */
  take(): RateVerdict {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refusedInARow = 0;
      return 'accept';
    }
    this.refusedInARow += 1;
    return this.refusedInARow >= this.closeAfter ? 'close' : 'refuse';
  }
}
