import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../../src/client/core/async-queue.js';
import { BufferFullError } from '../../../src/client/core/errors.js';

describe('AsyncQueue', () => {
  it('hands items to a waiting consumer and buffers the rest in order', async () => {
    const q = new AsyncQueue<number>();
    const first = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    const seen: number[] = [];
    q.end();
    for await (const x of q) seen.push(x);
    expect(seen).toEqual([2, 3]);
  });

  it('fails with BufferFullError once the consumer is more than `bound` items behind', async () => {
    const q = new AsyncQueue<number>({ bound: 2, what: 'BTC trades' });
    q.push(1);
    q.push(2);
    q.push(3);
    const e = await q.next().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BufferFullError);
    expect((e as Error).message).toBe('BTC trades: more than 2 items waiting; the consumer is too slow');
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('calls onDone once when the consumer breaks out', async () => {
    let done = 0;
    const q = new AsyncQueue<number>({ onDone: () => done++ });
    q.push(1);
    for await (const _ of q) break;
    q.end();
    expect(done).toBe(1);
  });

  it('ends when its signal aborts', async () => {
    const controller = new AbortController();
    const q = new AsyncQueue<number>({ signal: controller.signal });
    const next = q.next();
    controller.abort();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});
