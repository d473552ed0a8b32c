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
import { defaultSnapshotDir } from '../state/create-feed.js';
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
  /** Wall clock, ms (how long a worker lived, for the restart back-off); default `Date.now`. */
  now?: () => number;
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
  const primary = new Primary(opts);
  primary.start();
  try {
    await primary.started;
  } catch (err) {
    await primary.stop();
    throw err;
  }
  return { url: primary.url, health: () => primary.collect(), snapshotRequests: () => primary.snapshotRequests, stop: () => primary.stop() };
}

/**
 * --max-connections-per-ip over every worker: one count here, and each worker's share (given
 * back when it dies).
 */
class ConnectionLedger {
  private readonly perIp: ConnectionsPerIp;
  private readonly heldBy = new Map<number, Map<string, number>>();

  constructor(max: number) {
    this.perIp = new ConnectionsPerIp(max);
  }

  acquire(slot: number, ip: string): boolean {
    const ok = this.perIp.acquire(ip);
    if (ok) {
      const held = this.heldBy.get(slot) ?? new Map<string, number>();
      held.set(ip, (held.get(ip) ?? 0) + 1);
      this.heldBy.set(slot, held);
    }
    return ok;
  }

  release(slot: number, ip: string): void {
    const held = this.heldBy.get(slot);
    const n = held?.get(ip) ?? 0;
    if (held === undefined || n === 0) return;
    if (n > 1) held.set(ip, n - 1);
    else held.delete(ip);
    this.perIp.release(ip);
  }

  /** The worker died: its connections died with it. */
  releaseAll(slot: number): void {
    for (const [ip, n] of this.heldBy.get(slot) ?? []) for (let i = 0; i < n; i++) this.perIp.release(ip);
    this.heldBy.delete(slot);
  }
}

class Primary {
  url = '';
  readonly started: Promise<void>;
  private readonly config: ServeConfig;
  private readonly logger: Logger;
  private readonly own = new Registry();
  private readonly snapshotSource: SnapshotSource;
  private readonly broker: SnapshotBroker;
  private readonly statusCalls = new Calls<StatusAnswer>('status?');
  private readonly metricsCalls = new Calls<MetricsAnswer>('metrics-json?');
  private readonly connections: ConnectionLedger;
  private readonly slots: Slot[];
  private stopping = false;
  private startup: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private unsubscribe: (() => void) | undefined;
  private tick: NodeJS.Timeout | undefined;
  private stoppingAll: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: PrimaryOptions) {
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.own.registerMetric(metrics.workers);
    this.own.registerMetric(metrics.workerRestarts);
    this.snapshotSource = new SnapshotSource({
      infoUrl: opts.infoUrl,
      snapshotDir: this.config.snapshotDir ?? defaultSnapshotDir(opts.dataDir),
      logger: this.logger.child({ part: 'snapshots' }),
    });
    this.broker = new SnapshotBroker({ fetch: (signal) => this.snapshotSource.fetch(signal), reuseMs: opts.snapshotReuseMs, logger: this.logger });
    this.connections = new ConnectionLedger(this.config.maxConnectionsPerIp);
    this.slots = Array.from({ length: this.config.workers }, (_, i) => ({
      slot: i + 1,
      worker: null,
      listening: false,
      everListened: false,
      startedAt: 0,
      quickDeaths: 0,
    }));
    this.started = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
  }

  get snapshotRequests(): number {
    return this.broker.requests;
  }

  /** Fork every worker, wake them on each block, tell them the totals once a second. */
  start(): void {
    // The cluster module re-runs this program (same arguments) in each worker.
    for (const s of this.slots) this.fork(s);
    this.unsubscribe = this.opts.onBlock?.(() => {
      for (const s of this.slots) if (s.listening) this.toWorker(s.worker, { t: 'wake' });
    });
    this.tick = this.everySecond();
  }

  private toWorker(w: Worker | null, m: ToWorker): void {
    if (w === null || !w.isConnected()) return;
    try {
      w.send(m);
    } catch {
      // It is going away; its exit is handled.
    }
  }

  /** Totals over the workers now (a worker that does not answer counts as down). */
  async collect(): Promise<Health> {
    const reports: WorkerReport[] = await Promise.all(
      this.slots.map(async (s): Promise<WorkerReport> => {
        const w = s.worker;
        const pid = w?.process.pid ?? null;
        if (w === null || !s.listening) return { worker: s.slot, pid, health: null };
        try {
          const a = await this.statusCalls.call((id) => this.toWorker(w, { t: 'status?', id }), 2_000);
          return { worker: s.slot, pid, health: a.health };
        } catch {
          return { worker: s.slot, pid, health: null };
        }
      }),
    );
    return aggregateHealth(reports, this.opts.source);
  }

  /**
   * `/metrics`: every listening worker's registry and the primary's own figures, merged by
   * prom-client's `AggregatorRegistry.aggregate` (each metric's `aggregator`). Not its
   * `clusterMetrics()`: that fails the whole answer when one worker does not answer within
   * 5 s (one restarting), asks workers not yet listening, and leaves out the primary's own
   * figures (`PRIMARY_METRICS`).
   */
  private async metricsText(): Promise<{ contentType: string; text: string }> {
    const parts = await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        if (w === null || !s.listening) return [];
        try {
          return (await this.metricsCalls.call((id) => this.toWorker(w, { t: 'metrics-json?', id }), 3_000)).json as MetricObjectWithValues<
            MetricValue<string>
          >[];
        } catch {
          return [];
        }
      }),
    );
    metrics.workers.set(this.slots.filter((s) => s.listening).length);
    const mine = [...(await registry.getMetricsAsJSON()), ...(await this.own.getMetricsAsJSON())].filter((m) => PRIMARY_METRICS.has(m.name));
    const merged = AggregatorRegistry.aggregate([...parts, mine]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }

  private onMessage(s: Slot, w: Worker, raw: unknown): void {
    if (!isMessage<ToPrimary>(raw)) return;
    const m = raw;
    switch (m.t) {
      case 'listening':
        return this.onListening(s, w, m);
      case 'fatal':
        return this.onFatal(s, m);
      case 'snapshot?':
        return this.broker.ask(s.slot, (r) => this.toWorker(w, { t: 'snapshot', id: m.id, ...r }));
      case 'snapshot-done':
        return this.broker.done(s.slot, m.path);
      case 'health?':
        this.collect().then(
          (health) => this.toWorker(w, { t: 'health', id: m.id, health }),
          (err: unknown) => this.logger.error({ err }, 'health totals failed'),
        );
        return;
      case 'metrics?':
        this.metricsText().then(
          (r) => this.toWorker(w, { t: 'metrics', id: m.id, ...r }),
          (err: unknown) => {
            this.logger.error({ err }, 'metrics merge failed');
            this.toWorker(w, { t: 'metrics', id: m.id, contentType: 'text/plain', text: `# metrics merge failed: ${(err as Error).message}\n` });
          },
        );
        return;
      case 'status':
        this.statusCalls.answer(m);
        return;
      case 'conn?':
        return this.toWorker(w, { t: 'conn', id: m.id, ip: m.ip, ok: this.connections.acquire(s.slot, m.ip) });
      case 'conn-done':
        return this.connections.release(s.slot, m.ip);
      case 'metrics-json':
        this.metricsCalls.answer(m);
        return;
    }
  }

  private onListening(s: Slot, w: Worker, m: Extract<ToPrimary, { t: 'listening' }>): void {
    s.listening = true;
    s.everListened = true;
    this.url = m.url;
    this.logger.debug({ worker: s.slot, pid: w.process.pid }, 'worker listening');
    if (!this.slots.every((x) => x.listening) || this.startup === null) return;
    this.startup.resolve();
    this.startup = null;
    const { config } = this;
    this.logger.info(
      {
        url: this.url,
        compressionLevel: m.compressionLevel,
        workers: config.workers,
        authTokens: config.authTokens.length,
        maxConnectionsPerIp: config.maxConnectionsPerIp,
      },
      'listening',
    );
    for (const warning of exposureWarnings(config.host, config.authTokens)) this.logger.warn(warning);
  }

  private onFatal(s: Slot, m: Extract<ToPrimary, { t: 'fatal' }>): void {
    this.logger.error({ worker: s.slot, code: m.code }, `worker ${s.slot}: ${m.message}`);
    if (s.everListened || this.startup === null) return;
    const { host, port } = this.config;
    this.startup.reject(
      new HlobError(
        ErrorCodes.LISTEN,
        m.code === 'EADDRINUSE' ? `cannot listen on ${host}:${port}: address already in use (another server? choose --port)` : m.message,
      ),
    );
    this.startup = null;
  }

  private fork(s: Slot): void {
    const settings: WorkerSettings = { slot: s.slot, dataDir: this.opts.dataDir, infoUrl: this.opts.infoUrl, source: this.opts.source };
    const w = cluster.fork({ [WORKER_ENV]: JSON.stringify(settings) });
    s.worker = w;
    s.listening = false;
    s.startedAt = this.now();
    w.on('message', (m: unknown) => this.onMessage(s, w, m));
    // A send to a worker that just died fails later, as an 'error' event (EPIPE): its exit is
    // handled below; unhandled, the event would end the primary and every other worker.
    w.on('error', (err) => this.logger.debug({ worker: s.slot, err: err.message }, 'message to a worker failed'));
    w.on('exit', (code, signal) => this.onExit(s, w, code, signal));
  }

  /** A worker exited: forget what it held; restart it (backing off if it keeps dying young) unless stopping or it never listened. */
  private onExit(s: Slot, w: Worker, code: number, signal: string): void {
    if (s.worker === w) {
      s.worker = null;
      s.listening = false;
    }
    this.broker.gone(s.slot);
    this.connections.releaseAll(s.slot);
    if (this.stopping) return;
    if (!s.everListened) {
      if (this.startup !== null) {
        this.startup.reject(new HlobError(ErrorCodes.LISTEN, `worker ${s.slot} exited (${signal ?? code}) before listening`));
        this.startup = null;
      }
      return;
    }
    const lived = this.now() - s.startedAt;
    s.quickDeaths = lived < 10_000 ? s.quickDeaths + 1 : 0;
    const delay = s.quickDeaths === 0 ? 0 : Math.min(30_000, 1_000 * 2 ** (s.quickDeaths - 1));
    metrics.workerRestarts.inc();
    this.logger.error(
      { worker: s.slot, pid: w.process.pid, code, signal, livedMs: lived, restartInMs: delay },
      `worker ${s.slot} died (${signal ?? `exit ${code}`}): restarting it`,
    );
    setTimeout(() => {
      if (!this.stopping) this.fork(s);
    }, delay).unref();
  }

  /** Totals once a second: `serverStatus` in every worker, and one log line per state change. */
  private everySecond(): NodeJS.Timeout {
    let lastState = '';
    let ticking = false;
    return setInterval(() => {
      if (ticking || this.stopping) return;
      ticking = true;
      this.collect()
        .then((h) => {
          for (const s of this.slots) if (s.listening) this.toWorker(s.worker, { t: 'totals', health: h });
          if (h.state !== lastState) {
            lastState = h.state;
            this.logger.info({ state: h.state, height: h.height, workers: h.workers?.map((w) => w.state), error: h.error }, `books ${h.state}`);
          }
        })
        .catch(() => undefined)
        .finally(() => (ticking = false));
    }, 1_000);
  }

  /** Stop every worker (each closes its sockets with 1001). */
  stop(): Promise<void> {
    this.stoppingAll ??= (async () => {
      this.stopping = true;
      clearInterval(this.tick);
      this.unsubscribe?.();
      const exits = this.slots
        .map((s) => s.worker)
        .filter((w): w is Worker => w !== null && w.process.exitCode === null && w.process.signalCode === null)
        .map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once('exit', () => resolve());
              this.toWorker(w, { t: 'shutdown' });
              setTimeout(() => w.process.kill('SIGKILL'), 12_000).unref();
            }),
        );
      await Promise.all(exits);
      this.statusCalls.failAll('stopping');
      this.metricsCalls.failAll('stopping');
      await this.broker.close();
      await this.snapshotSource.sweep().catch(() => undefined);
    })();
    return this.stoppingAll;
  }
}
