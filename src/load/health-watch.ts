import { sleep } from '../util/abort.js';
/**
 * Back-to-back `GET /health` calls against a server, from its start: when it became
 * `ready`, which states it went through, and the slowest answer (a stalled event loop
 * answers late, so the slowest answer bounds the longest stall from outside).
 */
export interface HealthWatchResult {
  /** ms from `watchHealth` until the first `ready` answer, or null. */
  readyAfterMs: number | null;
  /** The clock (`now()`) when the first `ready` answer came, or null. */
  readyAt: number | null;
  /** Distinct states in the order seen (`starting`, `ready`…). */
  states: string[];
  /** The slowest answered call, ms. */
  maxResponseMs: number;
  /** Calls answered. */
  calls: number;
  /** Calls that failed (not listening yet, reset…). */
  failures: number;
}

export interface HealthWatchOptions {
  /** `http://host:port/health`. */
  url: string;
  /** Stop watching; the result covers what was seen. */
  signal: AbortSignal;
  /** Stop as soon as the server is ready. Default false: watch until aborted. */
  untilReady?: boolean;
  /** Pause between failed calls (the server not listening yet), ms. Default 20. */
  retryMs?: number;
  /** One call's time limit, ms. Default 30000. */
  callTimeoutMs?: number;
  /** Clock, ms. Default `performance.now`. */
  now?: () => number;
}

export async function watchHealth(opts: HealthWatchOptions): Promise<HealthWatchResult> {
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const r: HealthWatchResult = { readyAfterMs: null, readyAt: null, states: [], maxResponseMs: 0, calls: 0, failures: 0 };
  while (!opts.signal.aborted) {
    const t0 = now();
    let state: string | null;
    try {
      // A signal of its own per call: undici keeps a listener on a signal it was given.
      const res = await fetch(opts.url, { signal: AbortSignal.timeout(opts.callTimeoutMs ?? 30_000) });
      const body = (await res.json()) as { state?: unknown };
      state = typeof body.state === 'string' ? body.state : null;
    } catch {
      if (opts.signal.aborted) break;
      r.failures++;
      await sleep(opts.retryMs ?? 20);
      continue;
    }
    const took = now() - t0;
    r.calls++;
    if (took > r.maxResponseMs) r.maxResponseMs = took;
    if (state !== null && r.states[r.states.length - 1] !== state) r.states.push(state);
    if (state === 'ready' && r.readyAfterMs === null) {
      r.readyAt = now();
      r.readyAfterMs = r.readyAt - start;
      if (opts.untilReady) break;
    }
  }
  return r;
}
