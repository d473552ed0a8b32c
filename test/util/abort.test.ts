import { describe, expect, it } from 'vitest';
import { abortAfter, raceDeadline, settleWithin, sleep, untilEvent } from '../../src/util/abort.js';
import type { Clock, TimerHandle } from '../../src/util/clock.js';

/** A clock driven by hand: `advance(ms)` fires what is due. */
function manualClock(): Clock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  const timers = new Map<object, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const handle = {};
      timers.set(handle, { at: now + ms, fn });
      return handle as TimerHandle;
    },
    clearTimeout(handle) {
      timers.delete(handle);
    },
    advance(ms) {
      now += ms;
      for (const [h, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(h);
          t.fn();
        }
      }
    },
    pending: () => timers.size,
  };
}

describe('settleWithin', () => {
  it('resolves with the value, clears its timer and runs the cleanup once', async () => {
    const clock = manualClock();
    let cleanups = 0;
    let settle: ((v: number) => void) | undefined;
    const p = settleWithin<number>(
      (resolve) => {
        settle = resolve;
        return () => cleanups++;
      },
      { timeoutMs: 100, onTimeout: () => new Error('late'), clock },
    );
    settle!(7);
    settle!(8);
    await expect(p).resolves.toBe(7);
    expect(cleanups).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('rejects with onTimeout() at the deadline, and the cleanup runs', async () => {
    const clock = manualClock();
    let cleanups = 0;
    const p = settleWithin<number>(() => () => cleanups++, { timeoutMs: 100, onTimeout: () => new Error('late'), clock });
    clock.advance(99);
    clock.advance(1);
    await expect(p).rejects.toThrow('late');
    expect(cleanups).toBe(1);
  });

  it('rejects with the abort reason, at once when already aborted (start never runs)', async () => {
    const clock = manualClock();
    const c = new AbortController();
    const p = settleWithin<number>(() => undefined, { timeoutMs: 100, signal: c.signal, clock });
    c.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
    let started = false;
    await expect(settleWithin(() => void (started = true), { signal: c.signal, clock })).rejects.toThrow('stop');
    expect(started).toBe(false);
  });

  it('runs the cleanup when start settles synchronously', async () => {
    let cleanups = 0;
    await expect(
      settleWithin<number>((resolve) => {
        resolve(1);
        return () => cleanups++;
      }, {}),
    ).resolves.toBe(1);
    expect(cleanups).toBe(1);
  });

  it('waits forever without a finite timeout (no timer set)', () => {
    const clock = manualClock();
    void settleWithin(() => undefined, { timeoutMs: Infinity, clock });
    void settleWithin(() => undefined, { timeoutMs: null, clock });
    expect(clock.pending()).toBe(0);
  });
});

describe('raceDeadline', () => {
  it('passes the promise through, or its rejection', async () => {
    await expect(raceDeadline(Promise.resolve(3), { timeoutMs: 10 })).resolves.toBe(3);
    await expect(raceDeadline(Promise.reject(new Error('no')), { timeoutMs: 10 })).rejects.toThrow('no');
  });

  it('loses to the deadline', async () => {
    const clock = manualClock();
    const p = raceDeadline(new Promise(() => {}), { timeoutMs: 5, onTimeout: () => new Error('deadline'), clock });
    clock.advance(5);
    await expect(p).rejects.toThrow('deadline');
  });
});

describe('sleep', () => {
  it('resolves after the delay, or at once on abort, never rejecting', async () => {
    const clock = manualClock();
    let done = false;
    const p = sleep(50, undefined, clock).then(() => (done = true));
    clock.advance(49);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(done).toBe(true);
    const c = new AbortController();
    const q = sleep(1_000, c.signal, clock);
    c.abort(new Error('x'));
    await expect(q).resolves.toBeUndefined();
    await expect(sleep(1_000, c.signal, clock)).resolves.toBeUndefined();
  });
});

describe('abortAfter', () => {
  it('aborts with the reason at the deadline unless cancelled', () => {
    const clock = manualClock();
    const a = new AbortController();
    abortAfter(a, 10, () => new Error('too slow'), clock);
    clock.advance(10);
    expect((a.signal.reason as Error).message).toBe('too slow');
    const b = new AbortController();
    const cancel = abortAfter(b, 10, () => new Error('too slow'), clock);
    cancel();
    clock.advance(10);
    expect(b.signal.aborted).toBe(false);
  });
});

describe('untilEvent', () => {
  /** A one-event source that counts its listeners. */
  function source() {
    const listeners = new Set<(v: number) => void>();
    return {
      listeners,
      on(fn: (v: number) => void) {
        listeners.add(fn);
        return () => void listeners.delete(fn);
      },
      emit(v: number) {
        for (const fn of [...listeners]) fn(v);
      },
    };
  }

  it('resolves with the first value the listener accepts, then unsubscribes', async () => {
    const s = source();
    const p = untilEvent<number>((resolve) => s.on((v) => v > 1 && resolve(v)));
    s.emit(1);
    expect(s.listeners.size).toBe(1);
    s.emit(2);
    s.emit(3);
    await expect(p).resolves.toBe(2);
    expect(s.listeners.size).toBe(0);
  });

  it('rejects with the abort reason and unsubscribes; an aborted signal never subscribes', async () => {
    const s = source();
    const ac = new AbortController();
    const p = untilEvent<number>((resolve) => s.on(resolve), ac.signal);
    ac.abort(new Error('gave up'));
    await expect(p).rejects.toThrow('gave up');
    expect(s.listeners.size).toBe(0);
    await expect(untilEvent<number>((resolve) => s.on(resolve), ac.signal)).rejects.toThrow('gave up');
    expect(s.listeners.size).toBe(0);
  });

  it('a value given while subscribing still settles once and leaves no listener', async () => {
    const s = source();
    const p = untilEvent<number>((resolve, reject) => {
      const off = s.on(resolve);
      resolve(7);
      reject(new Error('too late'));
      return off;
    });
    await expect(p).resolves.toBe(7);
    expect(s.listeners.size).toBe(0);
  });
});
