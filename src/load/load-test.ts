/**
 * `runLoadTest`: opens N clients against a local server from worker processes, lets them
 * ramp up and subscribe, measures for a duration, and reports frames, bytes, latency,
 * errors, disconnects and what each delivered frame cost the server's CPU.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import type { ClientCounts, PoolStats } from './client-pool.js';
import { LatencyHistogram } from './histogram.js';
import { parseLoopbackWsUrl } from './loopback.js';
import { ForkedPool, InProcessPool, type PoolHandle } from './pool-handle.js';
import { type ServerProbe, type ServerSample, metricsProbe, metricsUrlFor, procProbe } from './server-probe.js';
import { SubscriptionPlan } from './subscriptions.js';
import { sleep } from '../util/abort.js';

/** The most clients one run opens (ephemeral ports on loopback run out near 28,000). */
export const MAX_CLIENTS = 20_000;
/** The longest measuring window (a soak is 30 minutes). */
export const MAX_DURATION_MS = 2 * 60 * 60 * 1000;
/** Clients one worker process holds at most (file descriptors: the usual hard limit is 20,000). */
export const MAX_CLIENTS_PER_WORKER = 15_000;

export interface LoadTestOptions {
  /** The server's WebSocket URL; loopback only. */
  url: string;
  /** Connections to open, 1..20000. */
  clients: number;
  /** The `--subscribe` list (see subscriptions.ts). */
  subscribe: string;
  /** The coins `*` cycles through. Default none. */
  coins?: string[];
  /** The measuring window after every client is subscribed, ms (at most 2 h). */
  durationMs: number;
  /**
   * Worker processes holding the clients; 0 runs them in this process. Default 1 (on a
   * small machine the server needs the other cores). Raised when clients need it.
   */
  workers?: number;
  /**
   * Extra clients opened after all the others, in this process (not a worker), with the next
   * subscriptions of the plan. Last to subscribe, they are served last of each view by a
   * server that queues in subscription order, and read at once by an idle process: their
   * latency is the server's delivery to its last-served clients, without the queueing of
   * thousands of sockets read by one worker (`tail` in the report). Default 0.
   */
  tailClients?: number;
  /** The server's pid: its CPU and memory come from /proc. Default: from its /metrics. */
  serverPid?: number;
  /** The server's Prometheus URL when no pid is given. Default: /metrics on the url's host and port. */
  metricsUrl?: string;
  /** See `ClientPoolOptions`. */
  sampleEvery?: number;
  churnMs?: number;
  seed?: number;
  connectConcurrency?: number;
  subscribeTimeoutMs?: number;
  /** The worker's compiled module. Default: worker.js next to this module. */
  workerModule?: string;
  /** Ends the measuring window early; the report covers what was measured. */
  signal?: AbortSignal;
  /** Progress lines (ramp, every `progressEveryMs`). Default: none. */
  onProgress?: (line: string) => void;
  /** Default 10000. */
  progressEveryMs?: number;
}

/** The run's figures: every worker's client counts summed (`open`: at the end of the window), and what they make per second. */
export interface LoadReport extends ClientCounts {
  url: string;
  clients: number;
  workers: number;
  subscribe: string;
  coins: string[];
  subscriptionsPerClient: number;
  /** Time from the first connect to every client answered, s. */
  rampSeconds: number;
  /** The measuring window, s. */
  durationSeconds: number;
  framesPerSecond: number;
  megabytesPerSecond: number;
  latencyMs: { samples: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** The tail clients (`tailClients`), measured apart; null without them. */
  tail: {
    clients: number;
    subscribed: number;
    frames: number;
    latencyMs: { samples: number; p50: number | null; p90: number | null; p99: number | null; max: number | null };
    disconnects: number;
    errorFrames: number;
  } | null;
  /** The load tool's own CPU use in the window, percent of one core (all workers). */
  loadCpuPercent: number;
  server: {
    source: 'proc' | 'metrics';
    cpuSeconds: number;
    /** Percent of one core. */
    cpuPercent: number;
    /** Server CPU per frame the clients received, µs. */
    cpuMicrosPerFrame: number | null;
    rssMb: number | null;
  } | null;
}

function check(opts: LoadTestOptions): URL {
  const url = parseLoopbackWsUrl(opts.url);
  if (!Number.isInteger(opts.clients) || opts.clients < 1 || opts.clients > MAX_CLIENTS) {
    throw new HlobError(ErrorCodes.CONFIG, `--clients: ${opts.clients} is not a whole number from 1 to ${MAX_CLIENTS}`);
  }
  if (!Number.isFinite(opts.durationMs) || opts.durationMs <= 0 || opts.durationMs > MAX_DURATION_MS) {
    throw new HlobError(ErrorCodes.CONFIG, `--duration: ${opts.durationMs} ms is not within (0, ${MAX_DURATION_MS / 60_000} minutes]`);
  }
  const w = opts.workers ?? 1;
  if (!Number.isInteger(w) || w < 0 || w > 64) throw new HlobError(ErrorCodes.CONFIG, `--workers: ${w} is not a whole number from 0 to 64`);
  if (w === 0 && opts.clients > MAX_CLIENTS_PER_WORKER) {
    throw new HlobError(ErrorCodes.CONFIG, `--workers 0 holds at most ${MAX_CLIENTS_PER_WORKER} clients in one process; use workers`);
  }
  const tail = opts.tailClients ?? 0;
  if (!Number.isInteger(tail) || tail < 0 || tail > 1000)
    throw new HlobError(ErrorCodes.CONFIG, `--tail-clients: ${tail} is not a whole number from 0 to 1000`);
  if (opts.clients + tail > MAX_CLIENTS) throw new HlobError(ErrorCodes.CONFIG, `--clients plus --tail-clients: ${opts.clients + tail} is over ${MAX_CLIENTS}`);
  if (opts.serverPid !== undefined && (!Number.isInteger(opts.serverPid) || opts.serverPid < 1)) {
    throw new HlobError(ErrorCodes.CONFIG, `--server-pid: ${opts.serverPid} is not a process id`);
  }
  if (opts.metricsUrl !== undefined) {
    const m = new URL(opts.metricsUrl);
    parseLoopbackWsUrl(`ws://${m.host}/`);
  }
  return url;
}

/** Splits `n` clients over `k` workers as evenly as possible. */
export function splitClients(n: number, k: number): number[] {
  const base = Math.floor(n / k);
  return Array.from({ length: k }, (_, i) => base + (i < n % k ? 1 : 0));
}

/** The counts that add up over workers (`windowSeconds` is the longest, the rest merge by key). */
const SUMMED = [
  'clients',
  'open',
  'subscribed',
  'connects',
  'connectFailures',
  'disconnects',
  'churned',
  'frames',
  'bytes',
  'acks',
  'errorFrames',
  'socketErrors',
  'cpuSeconds',
] as const satisfies readonly (keyof PoolStats)[];

function mergeStats(all: PoolStats[]): { sum: Omit<PoolStats, 'latency'>; latency: LatencyHistogram } {
  const latency = new LatencyHistogram();
  const zeros = Object.fromEntries(SUMMED.map((k) => [k, 0])) as Record<(typeof SUMMED)[number], number>;
  const sum: Omit<PoolStats, 'latency'> = { ...zeros, closeCodes: {}, framesByChannel: {}, errorSamples: [], windowSeconds: 0 };
  const addTo = (into: Record<string, number>, from: Record<string, number>): void => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  for (const s of all) {
    for (const k of SUMMED) sum[k] += s[k];
    sum.windowSeconds = Math.max(sum.windowSeconds, s.windowSeconds);
    addTo(sum.closeCodes, s.closeCodes);
    addTo(sum.framesByChannel, s.framesByChannel);
    for (const e of s.errorSamples) if (sum.errorSamples.length < 5) sum.errorSamples.push(e);
    latency.merge(s.latency);
  }
  return { sum, latency };
}

const waitFor = (ms: number, signal?: AbortSignal): Promise<void> => sleep(ms, signal);

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

type Merged = ReturnType<typeof mergeStats>;
type LatencySummary = LoadReport['latencyMs'];

function latencyOf(h: LatencyHistogram): LatencySummary {
  const v = (x: number): number | null => (h.count === 0 ? null : x);
  return { samples: h.count, p50: v(h.percentile(0.5)), p90: v(h.percentile(0.9)), p99: v(h.percentile(0.99)), max: v(h.max) };
}

export async function runLoadTest(opts: LoadTestOptions): Promise<LoadReport> {
  const url = check(opts);
  const plan = new SubscriptionPlan(opts.subscribe, opts.coins ?? []);
  const workers = Math.max(opts.workers ?? 1, opts.workers === 0 ? 0 : Math.ceil(opts.clients / MAX_CLIENTS_PER_WORKER));
  const progress = opts.onProgress ?? (() => undefined);
  const probe: ServerProbe = opts.serverPid !== undefined ? procProbe(opts.serverPid) : metricsProbe(opts.metricsUrl ?? metricsUrlFor(url));
  const pools: PoolHandle[] = [];
  let tailPool: PoolHandle | null = null;
  try {
    const optionsFor = poolOptions(opts, url, plan);
    const shares = workers === 0 ? [opts.clients] : splitClients(opts.clients, workers).filter((n) => n > 0);
    let firstIndex = 0;
    for (const n of shares) {
      const options = optionsFor(n, firstIndex, shares.length);
      firstIndex += n;
      pools.push(workers === 0 ? new InProcessPool(options) : new ForkedPool(options, opts.workerModule));
    }

    progress(`opening ${opts.clients} clients (${plan.perClient} subscriptions each) from ${workers === 0 ? 'this process' : `${pools.length} worker(s)`}`);
    const rampStart = Date.now();
    await Promise.all(pools.map((p) => p.open()));
    const rampSeconds = (Date.now() - rampStart) / 1000;
    const ramped = mergeStats(await Promise.all(pools.map((p) => p.stats()))).sum;
    if ((opts.tailClients ?? 0) > 0) {
      tailPool = new InProcessPool(optionsFor(opts.tailClients ?? 0, opts.clients, 1));
      await tailPool.open();
    }
    progress(
      `ramp done in ${round(rampSeconds, 1)} s: ${ramped.subscribed} subscribed, ${ramped.connectFailures} failed; measuring for ${round(opts.durationMs / 1000, 1)} s`,
    );

    const before: ServerSample | null = await probe.sample();
    const windowSeconds = await measure(opts, pools, tailPool, ramped.open === 0);
    const after: ServerSample | null = await probe.sample();
    const merged = mergeStats(await Promise.all(pools.map((p) => p.stats())));
    const tail = tailPool ? mergeStats([await tailPool.stats()]) : null;
    const serverCpu = before && after ? Math.max(0, after.cpuSeconds - before.cpuSeconds) : null;
    return {
      url: url.href,
      clients: opts.clients,
      workers,
      subscribe: opts.subscribe,
      coins: [...plan.coins],
      subscriptionsPerClient: plan.perClient,
      rampSeconds: round(rampSeconds, 3),
      ...windowFigures(merged, tail, windowSeconds),
      server: serverCpu === null || !after ? null : serverFigures(probe.source, serverCpu, after, merged.sum.frames, windowSeconds),
    };
  } finally {
    await Promise.all([...pools, ...(tailPool ? [tailPool] : [])].map((p) => p.close().catch(() => undefined)));
  }
}

/** The options of one pool of `n` clients from client index `first`; the connect concurrency is shared among `share` pools. */
function poolOptions(opts: LoadTestOptions, url: URL, plan: SubscriptionPlan) {
  return (n: number, first: number, share: number) => ({
    url: url.href,
    clients: n,
    firstIndex: first,
    subscribe: opts.subscribe,
    coins: [...plan.coins],
    ...(opts.sampleEvery !== undefined && { sampleEvery: opts.sampleEvery }),
    ...(opts.churnMs !== undefined && { churnMs: opts.churnMs }),
    ...(opts.seed !== undefined && { seed: opts.seed }),
    ...(opts.connectConcurrency !== undefined && { connectConcurrency: Math.max(1, Math.ceil(opts.connectConcurrency / share)) }),
    ...(opts.subscribeTimeoutMs !== undefined && { subscribeTimeoutMs: opts.subscribeTimeoutMs }),
  });
}

/** The measuring window (progress lines every `progressEveryMs`); its length, s. */
async function measure(opts: LoadTestOptions, pools: PoolHandle[], tailPool: PoolHandle | null, nobody: boolean): Promise<number> {
  const progress = opts.onProgress ?? (() => undefined);
  for (const p of pools) p.startWindow();
  tailPool?.startWindow();
  const windowStart = Date.now();
  const every = opts.progressEveryMs ?? 10_000;
  const end = windowStart + opts.durationMs;
  // Nothing to measure when no client got in (server down, wrong port): say so at once.
  if (nobody) progress('no client is connected: skipping the measuring window');
  while (!nobody && !opts.signal?.aborted && Date.now() < end) {
    await waitFor(Math.min(every, end - Date.now()), opts.signal);
    if (opts.onProgress && Date.now() < end && !opts.signal?.aborted) {
      const s = mergeStats(await Promise.all(pools.map((p) => p.stats())));
      // No sample: no frame carried a live block time (a simulated clock in the past, as in the soak).
      const p99 = s.latency.count > 0 ? `${s.latency.percentile(0.99)} ms` : 'n/a (no live block times)';
      progress(`${round((Date.now() - windowStart) / 1000, 0)} s: ${s.sum.open} open, ${s.sum.frames} frames, p99 ${p99}, ${s.sum.disconnects} disconnects`);
    }
  }
  return (Date.now() - windowStart) / 1000;
}

/** What the clients saw in the window. */
function windowFigures(
  { sum, latency }: Merged,
  tail: Merged | null,
  windowSeconds: number,
): Omit<LoadReport, 'url' | 'clients' | 'workers' | 'subscribe' | 'coins' | 'subscriptionsPerClient' | 'rampSeconds' | 'server'> {
  return {
    durationSeconds: round(windowSeconds, 3),
    open: sum.open,
    subscribed: sum.subscribed,
    connects: sum.connects,
    connectFailures: sum.connectFailures,
    disconnects: sum.disconnects,
    closeCodes: sum.closeCodes,
    churned: sum.churned,
    frames: sum.frames,
    bytes: sum.bytes,
    framesPerSecond: windowSeconds > 0 ? round(sum.frames / windowSeconds, 1) : 0,
    megabytesPerSecond: windowSeconds > 0 ? round(sum.bytes / windowSeconds / 1e6, 3) : 0,
    framesByChannel: sum.framesByChannel,
    latencyMs: latencyOf(latency),
    tail: tail
      ? {
          clients: tail.sum.clients,
          subscribed: tail.sum.subscribed,
          frames: tail.sum.frames,
          latencyMs: latencyOf(tail.latency),
          disconnects: tail.sum.disconnects,
          errorFrames: tail.sum.errorFrames,
        }
      : null,
    acks: sum.acks,
    errorFrames: sum.errorFrames,
    socketErrors: sum.socketErrors,
    errorSamples: sum.errorSamples,
    loadCpuPercent: windowSeconds > 0 ? round((sum.cpuSeconds / windowSeconds) * 100, 1) : 0,
  };
}

/** What the window cost the server. */
function serverFigures(
  source: ServerProbe['source'],
  serverCpu: number,
  after: ServerSample,
  frames: number,
  windowSeconds: number,
): NonNullable<LoadReport['server']> {
  return {
    source,
    cpuSeconds: round(serverCpu, 3),
    cpuPercent: windowSeconds > 0 ? round((serverCpu / windowSeconds) * 100, 1) : 0,
    cpuMicrosPerFrame: frames > 0 ? round((serverCpu * 1e6) / frames, 3) : null,
    rssMb: after.rssBytes === null ? null : round(after.rssBytes / 1e6, 1),
  };
}

/** The report for people: a few aligned lines. */
export function formatReport(r: LoadReport): string {
  const l = r.latencyMs;
  const ms = (x: number | null): string => (x === null ? 'n/a' : `${x} ms`);
  const lines = [
    `loadtest ${r.url}: ${r.clients} clients × ${r.subscriptionsPerClient} subscriptions (${r.subscribe}${r.coins.length ? ` over ${r.coins.length} coins` : ''}), ${r.workers} worker(s)`,
    `  ramp        ${r.rampSeconds} s; ${r.subscribed} subscribed, ${r.open} open at the end, ${r.connectFailures} failed to connect`,
    `  window      ${r.durationSeconds} s`,
    `  received    ${r.frames} frames (${r.framesPerSecond}/s), ${r.megabytesPerSecond} MB/s`,
    `  latency     p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)} (${l.samples} samples: receive time − block time)`,
    ...(r.tail
      ? [
          `  tail        p50 ${ms(r.tail.latencyMs.p50)}, p99 ${ms(r.tail.latencyMs.p99)}, max ${ms(r.tail.latencyMs.max)} on ${r.tail.clients} clients opened last, in the tool's own process (${r.tail.frames} frames)`,
        ]
      : []),
    `  errors      ${r.errorFrames} error frames, ${r.socketErrors} socket errors, ${r.disconnects} disconnects${Object.keys(r.closeCodes).length ? ` ${JSON.stringify(r.closeCodes)}` : ''}${r.churned ? `, ${r.churned} churned on purpose` : ''}`,
    r.server
      ? `  server      ${r.server.cpuPercent} % CPU, ${r.server.cpuMicrosPerFrame ?? 'n/a'} µs CPU per delivered frame${r.server.rssMb === null ? '' : `, RSS ${r.server.rssMb} MB`} (from ${r.server.source})`
      : '  server      CPU unknown (give --server-pid, or serve /metrics on the same port)',
    `  load tool   ${r.loadCpuPercent} % CPU (of one core, all workers)`,
  ];
  for (const e of r.errorSamples) lines.push(`  error       ${e}`);
  return lines.join('\n');
}
