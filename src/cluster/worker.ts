/**
 * One worker of `serve --workers n`: a full server (its own tailing, books and views) on the
 * port the workers share through node:cluster. What must not be done n times goes through
 * the primary over IPC: snapshot requests to the node (one for all), `/health`, `/ready`
 * and `/metrics` (totals over every worker).
 */
import { listenerSettings, type ServeConfig } from '../config.js';
import { ErrorCodes, HlobError } from '../errors.js';
import type { Logger } from '../log.js';
import { registry } from '../metrics.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { Health } from '../server/health.js';
import { defaultCandlesDir } from '../server/candles/store.js';
import { startServer, type ClusterHooks, type RunningServer } from '../server/index.js';
import { defaultExchangeUrl } from '../server/user/exchange.js';
import { createNodeFeed } from '../state/index.js';
import { isMessage, type ToPrimary, type ToWorker, type WorkerSettings } from './messages.js';
import { Calls } from './rpc.js';

type Answer<T extends ToWorker['t']> = Extract<ToWorker, { t: T }>;
type NodeFeed = ReturnType<typeof createNodeFeed>;

function send(m: ToPrimary): void {
  process.send?.(m);
}

/** This worker's side of the calls to the primary, and what the primary last told it. */
class PrimaryLink {
  readonly snapshots = new Calls<Answer<'snapshot'>>('snapshot?');
  readonly healths = new Calls<Answer<'health'>>('health?');
  readonly metrics = new Calls<Answer<'metrics'>>('metrics?');
  readonly slots = new Calls<Answer<'conn'>>('conn?');
  /** The totals over every worker, as of the primary's last tick. */
  totals: Health | undefined;

  /** An L4 snapshot through the primary (one request to the node for all workers). */
  async fetchSnapshot(signal: AbortSignal): Promise<SnapshotFile> {
    const a = await this.snapshots.call((id) => send({ t: 'snapshot?', id }), undefined, signal);
    if ('error' in a) throw new HlobError(ErrorCodes.INFO_SERVER, `snapshot from the primary process: ${a.error}`);
    const { path, bytes, tookMs } = a.file;
    let done = false;
    return {
      path,
      bytes,
      tookMs,
      remove: async () => {
        if (done) return;
        done = true;
        send({ t: 'snapshot-done', path });
      },
    };
  }

  /** An answer to one of our calls (false: the message is not one). */
  answer(m: ToWorker): boolean {
    switch (m.t) {
      case 'snapshot':
        // Nobody waits any more (the feed stopped or gave up): release the file at once.
        if (!this.snapshots.answer(m) && 'file' in m) send({ t: 'snapshot-done', path: m.file.path });
        return true;
      case 'health':
        this.healths.answer(m);
        return true;
      case 'metrics':
        this.metrics.answer(m);
        return true;
      case 'conn':
        // Nobody waits any more (timed out): give the slot back at once.
        if (!this.slots.answer(m) && m.ok) send({ t: 'conn-done', ip: m.ip });
        return true;
      case 'totals':
        this.totals = m.health;
        return true;
      default:
        return false;
    }
  }

  failAll(): void {
    for (const calls of [this.snapshots, this.healths, this.metrics, this.slots]) calls.failAll('worker stopping');
  }

  /** `/health`, `/ready`, `/metrics`, `serverStatus` and the per-IP bound over every worker. */
  hooks(config: ServeConfig, slot: number): ClusterHooks {
    return {
      quiet: true,
      // The per-IP bound holds over every worker: the primary keeps the count.
      connections:
        config.maxConnectionsPerIp > 0
          ? {
              acquire: async (ip) => (await this.slots.call((id) => send({ t: 'conn?', id, ip }), 5_000)).ok,
              release: (ip) => send({ t: 'conn-done', ip }),
            }
          : undefined,
      health: async (local) => {
        try {
          return (await this.healths.call((id) => send({ t: 'health?', id }), 3_000)).health;
        } catch (err) {
          // The primary did not answer: this worker's own figures, saying so.
          return { ...local, error: `this worker only (${slot}): the totals over the workers are unavailable: ${(err as Error).message}` };
        }
      },
      lastHealth: (local) => this.totals ?? local,
      metrics: async () => {
        const a = await this.metrics.call((id) => send({ t: 'metrics?', id }), 5_000);
        return { contentType: a.contentType, text: a.text };
      },
    };
  }
}

/** Runs until told to stop (by the primary, a signal, or the primary going away); then exits the process. */
export async function runServeWorker(config: ServeConfig, settings: WorkerSettings, logger: Logger): Promise<void> {
  const link = new PrimaryLink();
  const feed = workerFeed(config, settings, logger, link);
  // Set once listening; the primary's messages may come before.
  const running: { server?: RunningServer } = {};
  process.on('message', (raw: unknown) => {
    if (!isMessage<ToWorker>(raw) || link.answer(raw)) return;
    const m = raw;
    switch (m.t) {
      case 'status?':
        if (running.server !== undefined) send({ t: 'status', id: m.id, health: running.server.localHealth() });
        break;
      case 'metrics-json?':
        registry.getMetricsAsJSON().then(
          (json) => send({ t: 'metrics-json', id: m.id, json }),
          () => send({ t: 'metrics-json', id: m.id, json: [] }),
        );
        break;
      case 'wake':
        feed.wake();
        break;
      case 'shutdown':
        stop('primary');
        break;
    }
  });

  let stopping: Promise<void> | null = null;
  const stop = (why: string): void => {
    stopping ??= (async () => {
      logger.debug({ why }, 'worker stopping');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      link.failAll();
      try {
        await running.server?.close();
        await feed.stop();
        process.exit(0);
      } catch (err) {
        logger.error({ err }, 'worker shutdown failed');
        process.exit(1);
      }
    })();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // The primary is gone: nobody restarts or aggregates; do not linger.
  process.once('disconnect', () => stop('primary gone'));

  const server = (running.server = await listenOrExit(config, settings, logger, feed, link));
  try {
    await feed.start();
  } catch (err) {
    send({ t: 'fatal', message: (err as Error).message, ...((err as HlobError).code !== undefined ? { code: String((err as HlobError).code) } : {}) });
    await server.close().catch(() => undefined);
    process.exit(1);
  }
  send({ t: 'listening', url: server.url, compressionLevel: config.compressionLevel });
}

/** This worker's own tailing and books; snapshots come through the primary. */
function workerFeed(config: ServeConfig, settings: WorkerSettings, logger: Logger, link: PrimaryLink): NodeFeed {
  const feed = createNodeFeed({
    dataDir: settings.dataDir,
    infoUrl: settings.infoUrl,
    snapshotDir: config.snapshotDir ?? undefined,
    wait: config.wait,
    staleAfterMs: config.staleAfterS * 1000,
    joiner: { gapAfterMs: config.gapAfterMs },
    validateEveryMs: config.validateEveryMin > 0 ? config.validateEveryMin * 60_000 : undefined,
    source: settings.source,
    layout: config.layout,
    blockCloseMs: config.blockCloseMs,
    logger: logger.child({ part: 'ingest' }),
    fetchSnapshot: (signal) => link.fetchSnapshot(signal),
  });
  let lastState = '';
  feed.on('state', (s) => {
    if (s.state === lastState) return;
    lastState = s.state;
    logger.debug({ state: s.state, height: s.height, error: s.error }, `worker books ${s.state}`);
  });
  return feed;
}

/** The server on the shared port; a failure is reported to the primary and ends the process. */
async function listenOrExit(config: ServeConfig, settings: WorkerSettings, logger: Logger, feed: NodeFeed, link: PrimaryLink): Promise<RunningServer> {
  try {
    return await startServer({
      feed,
      ...listenerSettings(config),
      infoUrl: settings.infoUrl,
      exchangeUrl: config.exchangeUrl ?? defaultExchangeUrl(settings.source, settings.infoUrl),
      // One writer of the candle files; the other workers read them and keep their own recent ones.
      candlesDir: config.candlesDir ?? defaultCandlesDir(settings.dataDir),
      candlesPersist: settings.slot === 1,
      logger,
      cluster: link.hooks(config, settings.slot),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    send({ t: 'fatal', message: (err as Error).message, ...(code !== undefined ? { code } : {}) });
    await feed.stop().catch(() => undefined);
    process.exit(1);
  }
}
