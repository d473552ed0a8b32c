/**
 * One worker of `serve --workers n`: a full server (its own tailing, books and views) on the
 * port the workers share through node:cluster. What must not be done n times goes through
 * the primary over IPC: snapshot requests to the node (one for all), `/health`, `/ready`
 * and `/metrics` (totals over every worker).
 */
import type { ServeConfig } from '../config.js';
import { ErrorCodes, HlobError } from '../errors.js';
import type { Logger } from '../log.js';
import { registry } from '../metrics.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { Health } from '../server/health.js';
import { defaultCandlesDir } from '../server/candles/store.js';
import { startServer, type RunningServer } from '../server/index.js';
import { defaultExchangeUrl } from '../server/user/exchange.js';
import { createNodeFeed } from '../state/index.js';
import { isMessage, type ToPrimary, type ToWorker, type WorkerSettings } from './messages.js';
import { Calls } from './rpc.js';

type Answer<T extends ToWorker['t']> = Extract<ToWorker, { t: T }>;

function send(m: ToPrimary): void {
  process.send?.(m);
}

/** Runs until told to stop (by the primary, a signal, or the primary going away); then exits the process. */
export async function runServeWorker(config: ServeConfig, settings: WorkerSettings, logger: Logger): Promise<void> {
  const snapshots = new Calls<Answer<'snapshot'>>('snapshot?');
  const healths = new Calls<Answer<'health'>>('health?');
  const metricsCalls = new Calls<Answer<'metrics'>>('metrics?');
  const slots = new Calls<Answer<'conn'>>('conn?');
  let totals: Health | undefined;

  const fetchSnapshot = async (signal: AbortSignal): Promise<SnapshotFile> => {
    const a = await snapshots.call((id) => send({ t: 'snapshot?', id }), undefined, signal);
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
  };

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
    fetchSnapshot,
  });
  let lastState = '';
  feed.on('state', (s) => {
    if (s.state === lastState) return;
    lastState = s.state;
    logger.debug({ state: s.state, height: s.height, error: s.error }, `worker books ${s.state}`);
  });

  let server: RunningServer | undefined;
  process.on('message', (raw: unknown) => {
    if (!isMessage<ToWorker>(raw)) return;
    const m = raw;
    switch (m.t) {
      case 'snapshot':
        // Nobody waits any more (the feed stopped or gave up): release the file at once.
        if (!snapshots.answer(m) && 'file' in m) send({ t: 'snapshot-done', path: m.file.path });
        break;
      case 'health':
        healths.answer(m);
        break;
      case 'metrics':
        metricsCalls.answer(m);
        break;
      case 'conn':
        // Nobody waits any more (timed out): give the slot back at once.
        if (!slots.answer(m) && m.ok) send({ t: 'conn-done', ip: m.ip });
        break;
      case 'status?':
        if (server !== undefined) send({ t: 'status', id: m.id, health: server.localHealth() });
        break;
      case 'metrics-json?':
        registry.getMetricsAsJSON().then(
          (json) => send({ t: 'metrics-json', id: m.id, json }),
          () => send({ t: 'metrics-json', id: m.id, json: [] }),
        );
        break;
      case 'totals':
        totals = m.health;
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
      snapshots.failAll('worker stopping');
      healths.failAll('worker stopping');
      metricsCalls.failAll('worker stopping');
      slots.failAll('worker stopping');
      try {
        await server?.close();
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

  try {
    server = await startServer({
      feed,
      host: config.host,
      port: config.port,
      infoUrl: settings.infoUrl,
      exchangeUrl: config.exchangeUrl ?? defaultExchangeUrl(settings.source, settings.infoUrl),
      compressionLevel: config.compressionLevel,
      l2HeartbeatMs: config.l2HeartbeatMs,
      maxClientUnsentBytes: config.maxClientUnsentBytes,
      maxTotalUnsentBytes: config.maxTotalUnsentBytes,
      authTokens: config.authTokens,
      metricsPublic: config.metricsPublic,
      // One writer of the candle files; the other workers read them and keep their own recent ones.
      candlesDir: config.candlesDir ?? defaultCandlesDir(settings.dataDir),
      candlesPersist: settings.slot === 1,
      logger,
      cluster: {
        quiet: true,
        // The per-IP bound holds over every worker: the primary keeps the count.
        connections:
          config.maxConnectionsPerIp > 0
            ? {
                acquire: async (ip) => (await slots.call((id) => send({ t: 'conn?', id, ip }), 5_000)).ok,
                release: (ip) => send({ t: 'conn-done', ip }),
              }
            : undefined,
        health: async (local) => {
          try {
            return (await healths.call((id) => send({ t: 'health?', id }), 3_000)).health;
          } catch (err) {
            // The primary did not answer: this worker's own figures, saying so.
            return { ...local, error: `this worker only (${settings.slot}): the totals over the workers are unavailable: ${(err as Error).message}` };
          }
        },
        lastHealth: (local) => totals ?? local,
        metrics: async () => {
          const a = await metricsCalls.call((id) => send({ t: 'metrics?', id }), 5_000);
          return { contentType: a.contentType, text: a.text };
        },
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    send({ t: 'fatal', message: (err as Error).message, ...(code !== undefined ? { code } : {}) });
    await feed.stop().catch(() => undefined);
    process.exit(1);
  }
  try {
    await feed.start();
  } catch (err) {
    send({ t: 'fatal', message: (err as Error).message, ...((err as HlobError).code !== undefined ? { code: String((err as HlobError).code) } : {}) });
    await server.close().catch(() => undefined);
    process.exit(1);
  }
  send({ t: 'listening', url: server.url, compressionLevel: config.compressionLevel });
}
