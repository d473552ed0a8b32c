import { codedError } from '../errors.js';

/** Request/answer over an IPC channel: `call` sends a message with a fresh id and resolves with the answer carrying it. */
export class Calls<A extends { id: number }> {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (a: A) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();

  /** Sends `make(id)`; rejects after `timeoutMs` (none when undefined) or when `signal` aborts. */
  call(send: (id: number) => void, timeoutMs?: number, signal?: AbortSignal): Promise<A> {
    const id = ++this.next;
    return new Promise<A>((resolve, reject) => {
      const entry: { resolve: (a: A) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = { resolve, reject };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(codedError('NO_ANSWER', timeoutMs));
        }, timeoutMs);
        entry.timer.unref();
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (!this.pending.delete(id)) return;
          clearTimeout(entry.timer);
          reject(signal.reason instanceof Error ? signal.reason : codedError('PEER', 'aborted'));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.pending.set(id, entry);
      try {
        send(id);
      } catch (err) {
        this.pending.delete(id);
        clearTimeout(entry.timer);
        reject(err as Error);
      }
    });
  }

  /** An answer arrived; false when nobody waits for it any more. */
  answer(a: A): boolean {
    const p = this.pending.get(a.id);
    if (p === undefined) return false;
    this.pending.delete(a.id);
    clearTimeout(p.timer);
    p.resolve(a);
    return true;
  }

  /** Reject everything still waiting. */
  failAll(message: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(codedError('PEER', message));
    }
    this.pending.clear();
  }
}
