/**
 * The server's one per-turn scheduler: whatever asks for output during a turn of the event
 * loop (a block, a subscription, a heartbeat, a session's answer) calls `request()`, and in
 * the next turn the work runs once, in a fixed order: `prepare` (the publisher computes the
 * views marked this turn and queues their frames) then `write` (the outbox writes every
 * queued frame). Views never trigger writes and the outbox never calls back into the
 * publisher: the order lives here.
 */
export interface TurnOptions {
  /** Compute what this turn sends (the publisher's refresh). Default: nothing. */
  prepare?: () => void;
  /** Write it (the outbox's flush). */
  write: () => void;
  /** Run a function in the next turn; default `setImmediate`. */
  schedule?: (fn: () => void) => void;
}

export class Turn {
  private readonly prepare: (() => void) | undefined;
  private readonly write: () => void;
  private readonly schedule: (fn: () => void) => void;
  private scheduled = false;

  constructor(opts: TurnOptions) {
    this.prepare = opts.prepare;
    this.write = opts.write;
    this.schedule = opts.schedule ?? setImmediate;
  }

  /** Run the turn's work in the next turn (once, however often asked). */
  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.run());
  }

  /** Prepare then write, now. */
  run(): void {
    // Frames that `prepare` queues leave in this turn's write: no second turn for them.
    this.prepare?.();
    this.scheduled = false;
    this.write();
  }
}
