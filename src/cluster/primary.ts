/**
 * The primary of `serve --workers n`: forks n workers (each a full server, sharing the port
 * through node:cluster, which hands each accepted connection to the next worker in turn),
 * and does what must be done once: the snapshot requests to the node (`SnapshotBroker`),
 * the totals of `/health`, `/ready` and `/metrics`, the simulated node when there is no
 * node, restarting a worker that dies, and the shutdown of all.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ServeConfig } from '../config.js';
import { ErrorCodes, HlobError } from '../errors.js';
import type { Logger } from '../log.js';
import { metrics, registry } from '../metrics.js';
import { SnapshotSource } from '../node/snapshot.js';
import { ConnectionsPerIp, exposureWarnings } from '../server/access.js';
import { aggregateHealth, type Health, type WorkerReport } from '../server/health.js';
import { defaultSnapshotDir } from '../state/node-feed.js';
import { SnapshotBroker } from './snapshot-broker.js';
import { WORKER_ENV, isMessage, type ToPrimary, type ToWorker, type WorkerSettings } from './messages.js';
import { Calls } from './rpc.js';

export interface PrimaryOptions {
  config: ServeConfig;
  logger: Logger;
  dataDir: string;
  infoUrl: string;
  source: 'node' | 'simulated';
  /** Subscribe to "a block was written" (the simulated node in this process): the workers are woken at once. */
  onBlock?: (wake: () => void) => () => void;
  /** How long a delivered snapshot is offered to the other workers. Default 5,000 ms. */
  snapshotReuseMs?: number;
}

export interface RunningPrimary {
  /** `ws://host:port/ws`. */
  url: string;
  /** Totals over the workers now. */
  health(): Promise<Health>;
  /** Snapshot requests made to the info server. */
  snapshotRequests(): number;
  /** Stop every worker (each closes its sockets with 1001). */
  stop(): Promise<void>;
}

interface Slot {
  slot: number;
  worker: Worker | null;
  /** The current worker process listens and answers. */
  listening: boolean;
  /** Has any process of this slot ever listened (else a death is a start-up failure). */
  everListened: boolean;
  startedAt: number;
  quickDeaths: number;
}

type StatusAnswer = Extract<ToPrimary, { t: 'status' }>;
type MetricsAnswer = Extract<ToPrimary, { t: 'metrics-json' }>;

/** The primary's own figures merged into `/metrics` (the rest are every worker's). */
const PRIMARY_METRICS = new Set([
  'hlob_process_process_cpu_user_seconds_total',
  'hlob_process_process_cpu_system_seconds_total',
  'hlob_process_process_cpu_seconds_total',
  'hlob_process_process_resident_memory_bytes',
  'hlob_snapshot_requests_total',
  'hlob_workers',
  'hlob_worker_restarts_total',
]);

export async function runServePrimary(opts: PrimaryOptions): Promise<RunningPrimary> {
  const { config, logger } = opts;
  const n = config.workers;
  const own = new Registry();
  own.registerMetric(metrics.workers);
  own.registerMetric(metrics.workerRestarts);
  const snapshotSource = new SnapshotSource({
    infoUrl: opts.infoUrl,
    snapshotDir: config.snapshotDir ?? defaultSnapshotDir(opts.dataDir),
    logger: logger.child({ part: 'snapshots' }),
  });
  const broker = new SnapshotBroker({ fetch: (signal) => snapshotSource.fetch(signal), reuseMs: opts.snapshotReuseMs, logger });
  const statusCalls = new Calls<StatusAnswer>('status?');
  const metricsCalls = new Calls<MetricsAnswer>('metrics-json?');
  // --max-connections-per-ip over every worker: one count here, and each worker's share (given back when it dies).
  const perIp = new ConnectionsPerIp(config.maxConnectionsPerIp);
  const heldBy = new Map<number, Map<string, number>>();
  const releaseFor = (slot: number, ip: string): void => {
    const held = heldBy.get(slot);
    const n = held?.get(ip) ?? 0;
    if (held === undefined || n === 0) return;
    if (n > 1) held.set(ip, n - 1);
    else held.delete(ip);
    perIp.release(ip);
  };
  const slots: Slot[] = Array.from({ length: n }, (_, i) => ({ slot: i + 1, worker: null, listening: false, everListened: false, startedAt: 0, quickDeaths: 0 }));
  let stopping = false;
  let url = '';
  let startup: { resolve: () => void; reject: (e: Error) => void } | null = null;
  const started = new Promise<void>((resolve, reject) => (startup = { resolve, reject }));

  const toWorker = (w: Worker | null, m: ToWorker): void => {
    if (w === null || !w.isConnected()) return;
    try {
      w.send(m);
    } catch {
      // It is going away; its exit is handled.
    }
  };

  const collect = async (): Promise<Health> => {
    const reports: WorkerReport[] = await Promise.all(
      slots.map(async (s): Promise<WorkerReport> => {
        const w = s.worker;
        const pid = w?.process.pid ?? null;
        if (w === null || !s.listening) return { worker: s.slot, pid, health: null };
        try {
          const a = await statusCalls.call((id) => toWorker(w, { t: 'status?', id }), 2_000);
          return { worker: s.slot, pid, health: a.health };
        } catch {
          return { worker: s.slot, pid, health: null };
        }
      }),
    );
    return aggregateHealth(reports, opts.source);
  };

  const metricsText = async (): Promise<{ contentType: string; text: string }> => {
    const parts = await Promise.all(
      slots.map(async (s) => {
        const w = s.worker;
        if (w === null || !s.listening) return [];
        try {
          return (await metricsCalls.call((id) => toWorker(w, { t: 'metrics-json?', id }), 3_000)).json as MetricObjectWithValues<MetricValue<string>>[];
        } catch {
          return [];
        }
      }),
    );
    metrics.workers.set(slots.filter((s) => s.listening).length);
    const mine = [...(await registry.getMetricsAsJSON()), ...(await own.getMetricsAsJSON())].filter((m) => PRIMARY_METRICS.has(m.name));
    const merged = AggregatorRegistry.aggregate([...parts, mine]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  };

  const onMessage = (s: Slot, w: Worker, raw: unknown): void => {
    if (!isMessage<ToPrimary>(raw)) return;
    const m = raw;
    switch (m.t) {
      case 'listening':
        s.listening = true;
        s.everListened = true;
        url = m.url;
        logger.debug({ worker: s.slot, pid: w.process.pid }, 'worker listening');
        if (slots.every((x) => x.listening) && startup !== null) {
          startup.resolve();
          startup = null;
          logger.info({ url, compressionLevel: m.compressionLevel, workers: n, authTokens: config.authTokens.length, maxConnectionsPerIp: config.maxConnectionsPerIp }, 'listening');
          for (const warning of exposureWarnings(config.host, config.authTokens)) logger.warn(warning);
        }
        break;
      case 'fatal':
        logger.error({ worker: s.slot, code: m.code }, `worker ${s.slot}: ${m.message}`);
        if (!s.everListened && startup !== null) {
          const err = new HlobError(ErrorCodes.LISTEN, m.code === 'EADDRINUSE' ? `cannot listen on ${config.host}:${config.port}: address already in use (another server? choose --port)` : m.message);
          startup.reject(err);
          startup = null;
        }
        break;
      case 'snapshot?':
        broker.ask(s.slot, (r) => toWorker(w, { t: 'snapshot', id: m.id, ...r }));
        break;
      case 'snapshot-done':
        broker.done(s.slot, m.path);
        break;
      case 'health?':
        collect().then(
          (health) => toWorker(w, { t: 'health', id: m.id, health }),
          (err: unknown) => logger.error({ err }, 'health totals failed'),
        );
        break;
      case 'metrics?':
        metricsText().then(
          (r) => toWorker(w, { t: 'metrics', id: m.id, ...r }),
          (err: unknown) => {
            logger.error({ err }, 'metrics merge failed');
            toWorker(w, { t: 'metrics', id: m.id, contentType: 'text/plain', text: `# metrics merge failed: ${(err as Error).message}\n` });
          },
        );
        break;
      case 'status':
        statusCalls.answer(m);
        break;
      case 'conn?': {
        const ok = perIp.acquire(m.ip);
        if (ok) {
          const held = heldBy.get(s.slot) ?? new Map<string, number>();
          held.set(m.ip, (held.get(m.ip) ?? 0) + 1);
          heldBy.set(s.slot, held);
        }
        toWorker(w, { t: 'conn', id: m.id, ip: m.ip, ok });
        break;
      }
      case 'conn-done':
        releaseFor(s.slot, m.ip);
        break;
      case 'metrics-json':
        metricsCalls.answer(m);
        break;
    }
  };

  const fork = (s: Slot): void => {
    const settings: WorkerSettings = { slot: s.slot, dataDir: opts.dataDir, infoUrl: opts.infoUrl, source: opts.source };
    const w = cluster.fork({ [WORKER_ENV]: JSON.stringify(settings) });
    s.worker = w;
    s.listening = false;
    s.startedAt = Date.now();
    w.on('message', (m: unknown) => onMessage(s, w, m));
    // A send to a worker that just died fails later, as an 'error' event (EPIPE): its exit is
    // handled below; unhandled, the event would end the primary and every other worker.
    w.on('error', (err) => logger.debug({ worker: s.slot, err: err.message }, 'message to a worker failed'));
    w.on('exit', (code, signal) => {
      if (s.worker === w) {
        s.worker = null;
        s.listening = false;
      }
      broker.gone(s.slot);
      // Its connections died with it.
      for (const [ip, n] of heldBy.get(s.slot) ?? []) for (let i = 0; i < n; i++) perIp.release(ip);
      heldBy.delete(s.slot);
      if (stopping) return;
      if (!s.everListened) {
        if (startup !== null) {
          startup.reject(new HlobError(ErrorCodes.LISTEN, `worker ${s.slot} exited (${signal ?? code}) before listening`));
          startup = null;
        }
        return;
      }
      const lived = Date.now() - s.startedAt;
      s.quickDeaths = lived < 10_000 ? s.quickDeaths + 1 : 0;
      const delay = s.quickDeaths === 0 ? 0 : Math.min(30_000, 1_000 * 2 ** (s.quickDeaths - 1));
      metrics.workerRestarts.inc();
      logger.error({ worker: s.slot, pid: w.process.pid, code, signal, livedMs: lived, restartInMs: delay }, `worker ${s.slot} died (${signal ?? `exit ${code}`}): restarting it`);
      setTimeout(() => {
        if (!stopping) fork(s);
      }, delay).unref();
    });
  };

  // The cluster module re-runs this program (same arguments) in each worker.
  for (const s of slots) fork(s);
  const unsubscribe = opts.onBlock?.(() => {
    for (const s of slots) if (s.listening) toWorker(s.worker, { t: 'wake' });
  });

  // Totals once a second: `serverStatus` in every worker, and one log line per state change.
  let lastState = '';
  let ticking = false;
  const tick = setInterval(() => {
    if (ticking || stopping) return;
    ticking = true;
    collect()
      .then((h) => {
        for (const s of slots) if (s.listening) toWorker(s.worker, { t: 'totals', health: h });
        if (h.state !== lastState) {
          lastState = h.state;
          logger.info({ state: h.state, height: h.height, workers: h.workers?.map((w) => w.state), error: h.error }, `books ${h.state}`);
        }
      })
      .catch(() => undefined)
      .finally(() => (ticking = false));
  }, 1_000);

  let stoppingAll: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stoppingAll ??= (async () => {
      stopping = true;
      clearInterval(tick);
      unsubscribe?.();
      const exits = slots
        .map((s) => s.worker)
        .filter((w): w is Worker => w !== null && w.process.exitCode === null && w.process.signalCode === null)
        .map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              toWorker(w, { t: 'shutdown' });
              setTimeout(() => w.process.kill('SIGKILL'), 12_000).unref();
            }),
        );
      await Promise.all(exits);
      statusCalls.failAll('stopping');
      metricsCalls.failAll('stopping');
      await broker.close();
      await snapshotSource.sweep().catch(() => undefined);
    })();
    return stoppingAll;
  };

  try {
    await started;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, health: collect, snapshotRequests: () => broker.requests, stop };
}
