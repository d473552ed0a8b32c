/** Events per second over a sliding window, for `/health`. */
export class EventRate {
  private readonly times: number[] = [];
  private readonly counts: number[] = [];
  private head = 0;
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
    this.times.push(this.now());
    this.counts.push(n);
    this.sum += n;
    this.expire();
  }

  perSecond(): number {
    this.expire();
    return Math.round((this.sum * 1000) / this.windowMs);
  }

  private expire(): void {
    const cut = this.now() - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cut) {
      this.sum -= this.counts[this.head]!;
      this.head++;
    }
    // Compact now and then rather than shifting on every call.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.counts.splice(0, this.head);
      this.head = 0;
    }
  }
}
