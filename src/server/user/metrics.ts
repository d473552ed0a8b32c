/**
 * `/metrics` for the user streams: what is kept against its bounds. Every worker of
 * `--workers n` reads the same blocks, so the figures merge as one worker's (`max`).
 */
import { Gauge } from 'prom-client';
import { registry } from '../../metrics.js';
import type { UserStreams } from './user-streams.js';

const live = new Set<UserStreams>();

function total(f: (u: UserStreams) => number): number {
  let n = 0;
  for (const u of live) n += f(u);
  return n;
}

new Gauge({
  name: 'hlob_user_fills_kept',
  help: 'Fills kept for userFills (every address)',
  aggregator: 'max',
  registers: [registry],
  collect() {
    this.set(total((u) => u.fills.size));
  },
});
new Gauge({
  name: 'hlob_user_fills_limit',
  help: 'Bound on the fills kept over all addresses',
  aggregator: 'max',
  registers: [registry],
  collect() {
    this.set(total((u) => u.limits.fillsTotal));
  },
});
new Gauge({
  name: 'hlob_user_statuses_kept',
  help: 'Order status events kept for followed addresses',
  aggregator: 'max',
  registers: [registry],
  collect() {
    this.set(total((u) => u.statuses.size));
  },
});
new Gauge({
  name: 'hlob_user_statuses_limit',
  help: 'Bound on the status events kept over all followed addresses',
  aggregator: 'max',
  registers: [registry],
  collect() {
    this.set(total((u) => u.limits.statusesTotal));
  },
});
new Gauge({
  name: 'hlob_user_followed',
  help: 'Addresses followed (subscribed, or asked about recently): their statuses are kept',
  aggregator: 'max',
  registers: [registry],
  collect() {
    this.set(total((u) => u.followedCount));
  },
});
new Gauge({
  name: 'hlob_user_evicted',
  help: 'Fills and statuses evicted by the bounds since start',
  aggregator: 'max',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    this.set(
      { kind: 'fills' },
      total((u) => u.fills.evicted),
    );
    this.set(
      { kind: 'statuses' },
      total((u) => u.statuses.evicted),
    );
  },
});

/** Count `u` in the gauges until the returned function is called. */
export function trackUserStreams(u: UserStreams): () => void {
  live.add(u);
  return () => live.delete(u);
}
