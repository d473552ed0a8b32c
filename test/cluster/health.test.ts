/** `/health` totals over workers: counts summed, the worst state, the lowest height, a missing worker named. */
import { describe, expect, it } from 'vitest';
import { aggregateHealth, type Health } from '../../src/server/health.js';

const h = (o: Partial<Health>): Health => ({
  state: 'ready',
  height: 100,
  time: 1000,
  lagMs: 20,
  clients: 0,
  subscriptions: 0,
  eventsPerSecond: 500,
  source: 'node',
  ...o,
});

describe('aggregateHealth', () => {
  it('sums clients and subscriptions, takes the lowest height and time and the highest lag', () => {
    const a = aggregateHealth(
      [
        { worker: 1, pid: 11, health: h({ clients: 3, subscriptions: 9, height: 101, time: 1100, lagMs: 5 }) },
        { worker: 2, pid: 12, health: h({ clients: 2, subscriptions: 4 }) },
      ],
      'node',
    );
    expect(a).toEqual({
      state: 'ready',
      height: 100,
      time: 1000,
      lagMs: 20,
      clients: 5,
      subscriptions: 13,
      eventsPerSecond: 500,
      source: 'node',
      workers: [
        { worker: 1, pid: 11, state: 'ready', height: 101, clients: 3, subscriptions: 9 },
        { worker: 2, pid: 12, state: 'ready', height: 100, clients: 2, subscriptions: 4 },
      ],
    });
  });

  it("reports the worst worker's state and the first error, named", () => {
    const a = aggregateHealth(
      [
        { worker: 1, pid: 11, health: h({ state: 'degraded', error: 'repairing ETH' }) },
        { worker: 2, pid: 12, health: h({ state: 'resyncing', height: null, error: 'gap at 7' }) },
      ],
      'node',
    );
    expect(a).toMatchObject({ state: 'resyncing', height: 100, error: 'worker 1: repairing ETH' });
  });

  it('counts a worker that does not answer as starting', () => {
    const a = aggregateHealth(
      [
        { worker: 1, pid: 11, health: h({ clients: 1 }) },
        { worker: 2, pid: null, health: null },
      ],
      'simulated',
    );
    expect(a).toMatchObject({ state: 'starting', clients: 1, source: 'simulated', error: 'worker 2 is restarting or did not answer' });
    expect(a.workers![1]).toEqual({ worker: 2, pid: null, state: 'starting', height: null, clients: 0, subscriptions: 0 });
  });
});
