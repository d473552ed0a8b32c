/** The `/health` JSON (also the `serverStatus` data): the feed's state plus the server's counts. */
import type { BookFeed, FeedState, NatsReport } from '../state/feed.js';

export interface Health {
  state: FeedState;
  height: number | null;
  time: number | null;
  lagMs: number | null;
  clients: number;
  subscriptions: number;
  eventsPerSecond: number;
  source: 'node' | 'simulated' | 'nats';
  /** The node's output layout the books come from (`by-block` or `streaming`), once known. */
  layout?: 'by-block' | 'streaming';
  /** Why the state is not `ready`, when the feed knows (only then present). */
  error?: string;
  /** Scale-out: the block log's side (docs/scaleout.md). */
  nats?: NatsReport;
  /** `serve --workers n` only: each worker's own figures (the fields above are over all of them). */
  workers?: WorkerHealth[];
}

export interface WorkerHealth {
  /** 1..n, stable across restarts of that worker. */
  worker: number;
  /** null while the worker is (re)starting or did not answer. */
  pid: number | null;
  state: FeedState;
  height: number | null;
  clients: number;
  subscriptions: number;
}

export function healthOf(feed: BookFeed, clients: number, subscriptions: number): Health {
  const s = feed.status();
  return {
    state: s.state,
    height: s.height,
    time: s.time,
    lagMs: s.lagMs,
    clients,
    subscriptions,
    eventsPerSecond: s.eventsPerSecond,
    source: s.source,
    ...(s.layout !== undefined ? { layout: s.layout } : {}),
    ...(s.error !== undefined ? { error: s.error } : {}),
    ...(s.nats !== undefined ? { nats: s.nats } : {}),
  };
}

/** Worse states rank higher: the totals report the worst worker's. */
const RANK: Record<FeedState, number> = { ready: 0, degraded: 1, stale: 2, resyncing: 3, starting: 4 };

/** One worker's answer, or null when it is restarting or did not answer in time. */
export interface WorkerReport {
  worker: number;
  pid: number | null;
  health: Health | null;
}

/**
 * The totals over every worker (`serve --workers n`): clients and subscriptions summed; the
 * state is the worst worker's (a client may be on any of them, so `ready` means every
 * worker is); height and time the lowest (every worker has at least that block), lag the
 * highest; `error` the first worker's that has one, named. A worker that did not answer
 * counts as `starting` with no clients.
 */
export function aggregateHealth(reports: readonly WorkerReport[], source: Health['source']): Health {
  const workers: WorkerHealth[] = [];
  let state: FeedState = 'ready';
  let height: number | null = null;
  let time: number | null = null;
  let lagMs: number | null = null;
  let clients = 0;
  let subscriptions = 0;
  let eventsPerSecond = 0;
  let error: string | undefined;
  let layout: Health['layout'];
  const min = (a: number | null, b: number | null): number | null => (b === null ? a : a === null ? b : Math.min(a, b));
  for (const r of reports) {
    const h = r.health;
    if (h === null) {
      workers.push({ worker: r.worker, pid: r.pid, state: 'starting', height: null, clients: 0, subscriptions: 0 });
      state = 'starting';
      error ??= `worker ${r.worker} is restarting or did not answer`;
      continue;
    }
    workers.push({ worker: r.worker, pid: r.pid, state: h.state, height: h.height, clients: h.clients, subscriptions: h.subscriptions });
    if (RANK[h.state] > RANK[state]) state = h.state;
    height = min(height, h.height);
    time = min(time, h.time);
    if (h.lagMs !== null) lagMs = Math.max(lagMs ?? h.lagMs, h.lagMs);
    clients += h.clients;
    subscriptions += h.subscriptions;
    eventsPerSecond = Math.max(eventsPerSecond, h.eventsPerSecond);
    if (h.error !== undefined) error ??= `worker ${r.worker}: ${h.error}`;
    layout ??= h.layout;
  }
  if (reports.length === 0) state = 'starting';
  return {
    state,
    height,
    time,
    lagMs,
    clients,
    subscriptions,
    eventsPerSecond,
    source,
    ...(layout !== undefined ? { layout } : {}),
    ...(error !== undefined ? { error } : {}),
    workers,
  };
}
