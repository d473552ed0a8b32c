/**
 * Liveness of clients: ping every client every `intervalMs`; a client silent (no pong, no
 * message) for `timeoutMs` is terminated. A dead peer cannot complete a close handshake,
 * hence terminate rather than close.
 */
export interface KeepAliveTarget {
  /** Wall-clock ms of the client's last sign of life. */
  readonly lastSeen: number;
  ping(): void;
  terminate(): void;
}

export interface KeepAliveOptions {
  /** Default 30 000 ms. */
  intervalMs?: number;
  /** Default 60 000 ms. */
  timeoutMs?: number;
  /** Wall clock, ms (the clock the targets' `lastSeen` is on). */
  now: () => number;
}

export class KeepAlive {
  private readonly timer: NodeJS.Timeout;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly targets: () => Iterable<KeepAliveTarget>,
    opts: KeepAliveOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.now = opts.now;
    this.timer = setInterval(() => this.tick(), opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  /** One round: terminate the silent, ping the rest. */
  tick(): void {
    const now = this.now();
    for (const t of this.targets()) {
      if (now - t.lastSeen >= this.timeoutMs) t.terminate();
      else t.ping();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
