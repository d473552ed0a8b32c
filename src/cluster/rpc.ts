/**
 * Request/answer over an IPC channel: `call` sends a message with a fresh id and resolves
 * with the answer carrying it. The matching (timeouts, aborts, failing everyone at the end)
 * is the client SDK's `PendingReplies`, the one reply matcher of the project; this adds the
 * ids and the IPC side.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import { codedError } from '../errors.js';
import { PendingReplies } from '../client/core/pending-replies.js';

/** Host timers that do not keep the process alive (a call never holds a worker open). */
const unrefClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref() as unknown as TimerHandle,
  clearTimeout: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout),
};

export class Calls<A extends { id: number }> {
  private next = 0;
  private readonly pending: PendingReplies<number, A>;

  /** `name` names the calls in errors (`health? #3: no reply within 3000 ms`). */
  constructor(
    private readonly name: string,
    clock: Clock = unrefClock,
  ) {
    this.pending = new PendingReplies(clock);
  }

  /** Sends `send(id)`; rejects after `timeoutMs` (none when undefined) or when `signal` aborts. */
  call(send: (id: number) => void, timeoutMs?: number, signal?: AbortSignal): Promise<A> {
    const id = ++this.next;
    const answer = this.pending.wait(id, `${this.name} #${id}`, { timeoutMs, signal });
    if (this.pending.has(id)) {
      try {
        send(id);
      } catch (err) {
        this.pending.reject(id, err);
      }
    }
    return answer;
  }

  /** An answer arrived; false when nobody waits for it any more. */
  answer(a: A): boolean {
    return this.pending.resolve(a.id, a);
  }

  /** Reject everything still waiting. */
  failAll(message: string): void {
    this.pending.rejectAll((what) => codedError('PEER', `${what}: ${message}`));
  }
}
