/** The IPC calls over the client's reply matcher: ids, answers, timeouts on the given clock, aborts, the end. */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../src/client/core/clock.js';
import { Calls } from '../../src/cluster/rpc.js';

/** Timers fired by hand. */
function manualClock(): Clock & { fire(): void } {
  const timers = new Set<{ fn: () => void }>();
  return {
    now: () => 0,
    setTimeout: (fn) => {
      const t = { fn };
      timers.add(t);
      return t as TimerHandle;
    },
    clearTimeout: (h) => void timers.delete(h as { fn: () => void }),
    fire: () => {
      for (const t of [...timers]) {
        timers.delete(t);
        t.fn();
      }
    },
  };
}

describe('Calls', () => {
  it('resolves each call with the answer carrying its id, whatever the order; a late or unknown answer is refused', async () => {
    const calls = new Calls<{ id: number; v: string }>('status?', manualClock());
    const sent: number[] = [];
    const a = calls.call((id) => sent.push(id));
    const b = calls.call((id) => sent.push(id));
    expect(sent).toEqual([1, 2]);
    expect(calls.answer({ id: 2, v: 'two' })).toBe(true);
    expect(calls.answer({ id: 1, v: 'one' })).toBe(true);
    expect(await Promise.all([a, b])).toEqual([
      { id: 1, v: 'one' },
      { id: 2, v: 'two' },
    ]);
    expect(calls.answer({ id: 1, v: 'again' })).toBe(false);
    expect(calls.answer({ id: 9, v: 'never asked' })).toBe(false);
  });

  it('rejects on timeout, on abort (before or after sending), when sending throws, and all at the end', async () => {
    const clock = manualClock();
    const calls = new Calls<{ id: number }>('health?', clock);
    const timedOut = calls.call(() => undefined, 3_000);
    clock.fire();
    await expect(timedOut).rejects.toThrow('health? #1: no reply within 3000 ms');

    const ac = new AbortController();
    const aborted = calls.call(() => undefined, undefined, ac.signal);
    ac.abort(new Error('feed stopped'));
    await expect(aborted).rejects.toThrow('feed stopped');
    let sentAfterAbort = false;
    await expect(calls.call(() => (sentAfterAbort = true), undefined, ac.signal)).rejects.toThrow('feed stopped');
    expect(sentAfterAbort).toBe(false);

    await expect(
      calls.call(() => {
        throw new Error('channel closed');
      }),
    ).rejects.toThrow('channel closed');

    const waiting = calls.call(() => undefined);
    calls.failAll('worker stopping');
    await expect(waiting).rejects.toThrow(/worker stopping/);
    expect(calls.answer({ id: 6 })).toBe(false);
  });
});
