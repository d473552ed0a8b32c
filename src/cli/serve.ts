/**
 * `hl-orderbook serve` (and `npm start`): the order book server on a node's data dir, or on
 * a simulated node in this process when there is no node at all (`~/hl/data` does not
 * exist and no data dir was given). A node whose directories are incomplete is an error
 * naming what is missing and the node flags that create it, never fake books.
 *
 * `--workers n` (n > 1): this process becomes the primary of n workers (src/cluster/), each
 * of which runs this same command and lands in `runServeWorker`.
 */
import cluster from 'node:cluster';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULTS, defaultNodeDataDir, givenToCommand, listenerSettings, resolveServeConfig, serveOptions, type ServeConfig } from '../config.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { runServePrimary, type RunningPrimary } from '../cluster/primary.js';
import { WORKER_ENV, type WorkerSettings } from '../cluster/messages.js';
import { runServeWorker } from '../cluster/worker.js';
import { startServer, type RunningServer } from '../server/index.js';
import { defaultExchangeUrl } from '../server/user/exchange.js';
import { startSimulator, type RunningSim } from '../sim/index.js';
import { detectLayout } from '../node/layout.js';
import { defaultCandlesDir } from '../server/candles/store.js';
import { createNodeFeed, describeMissing, type BookFeed } from '../state/index.js';
import { addNatsOptions, resolveNatsConfig, scaleOutFeed, type NatsServeConfig } from '../nats/serve-options.js';

/** Where the books come from. */
export type ServeSource = { kind: 'node'; dataDir: string } | { kind: 'simulated' };

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decide the source: the given data dir, else `~/hl/data`, else (only when that does not
 * exist at all) the simulated node. Throws `MISSING_DIR` naming what is missing.
 */
export async function chooseSource(
  config: Pick<ServeConfig, 'dataDir' | 'wait'> & Partial<Pick<ServeConfig, 'layout'>>,
  home: string = homedir(),
): Promise<ServeSource> {
  const given = config.dataDir !== null;
  const dataDir = config.dataDir ?? defaultNodeDataDir(home);
  if (!given && !(await exists(dataDir))) return { kind: 'simulated' };
  if (config.wait) return { kind: 'node', dataDir };
  if (!(await exists(dataDir))) {
    throw new HlobError(
      ErrorCodes.MISSING_DIR,
      `data dir ${dataDir} does not exist: give the node's data dir (--data-dir, HL_ORDERBOOK_DATA_DIR), or --wait for it`,
    );
  }
  const { missing } = await detectLayout(dataDir, config.layout ?? 'auto');
  if (missing.length > 0) throw new HlobError(ErrorCodes.MISSING_DIR, `${describeMissing(missing)} (or pass --wait to wait for them)`);
  return { kind: 'node', dataDir };
}

export interface RunningServe {
  server: RunningServer;
  feed: BookFeed;
  sim: RunningSim | null;
  /** Close sockets (1001), stop the feed and the simulated node. */
  stop(): Promise<void>;
}

/** The books' source, started: a node's data dir, or the simulated node (in this process). */
export interface StartedSource {
  kind: 'node' | 'simulated';
  dataDir: string;
  infoUrl: string;
  sim: RunningSim | null;
  /** Stop the simulated node and remove its files (nothing for a node). */
  cleanup(): Promise<void>;
}

/**
 * The layout the embedded simulated node writes: the one `--layout` asks for; with `auto`, the
 * streaming layout when `--book-updates intra-block` wants its lines (else there is nothing to
 * send inside a block), by-block otherwise (the node's default).
 */
export function simulatedLayout(config: Pick<ServeConfig, 'layout' | 'bookUpdates'>): 'by-block' | 'streaming' {
  if (config.layout === 'by-block' || config.layout === 'streaming') return config.layout;
  return config.bookUpdates === 'intra-block' ? 'streaming' : 'by-block';
}

export async function startSource(config: ServeConfig, logger: Logger, home: string = homedir()): Promise<StartedSource> {
  const source = await chooseSource(config, home);
  if (source.kind === 'node') return { kind: 'node', dataDir: source.dataDir, infoUrl: config.infoUrl, sim: null, cleanup: async () => undefined };
  const simDir = await mkdtemp(join(tmpdir(), 'hlob-sim-'));
  const layout = simulatedLayout(config);
  const sim = await startSimulator({ dataDir: join(simDir, 'data'), infoPort: 0, faults: config.simFaults ?? undefined, layout });
  logger.info(
    { dataDir: sim.dataDir, infoUrl: sim.infoUrl, layout },
    `no node data at ${defaultNodeDataDir(home)}: serving a simulated node (its files in ${sim.dataDir}, ${layout} layout)`,
  );
  return {
    kind: 'simulated',
    dataDir: sim.dataDir,
    infoUrl: sim.infoUrl,
    sim,
    async cleanup() {
      await sim.stop();
      await rm(simDir, { recursive: true, force: true });
    },
  };
}

/** Everything `serve` starts, without the process handling (signals, exit). */
export async function runServe(config: ServeConfig, logger: Logger, home: string = homedir(), nats: NatsServeConfig | null = null): Promise<RunningServe> {
  // An edge (`--source nats://…`, src/nats) has no node: nothing to start.
  const started: StartedSource =
    nats?.source != null
      ? { kind: 'node', dataDir: config.dataDir ?? defaultNodeDataDir(home), infoUrl: config.infoUrl, sim: null, cleanup: async () => undefined }
      : await startSource(config, logger, home);
  const { sim, dataDir, infoUrl } = started;
  const source = { kind: started.kind };
  const feed = scaleOutFeed(nats, logger, () =>
    createNodeFeed({
      dataDir,
      infoUrl,
      snapshotDir: config.snapshotDir ?? undefined,
      wait: config.wait,
      staleAfterMs: config.staleAfterS * 1000,
      joiner: { gapAfterMs: config.gapAfterMs },
      validateEveryMs: config.validateEveryMin > 0 ? config.validateEveryMin * 60_000 : undefined,
      source: source.kind === 'simulated' ? 'simulated' : 'node',
      layout: config.layout,
      blockCloseMs: config.blockCloseMs,
      logger: logger.child({ part: 'ingest' }),
    }),
  );
  // The simulated node writes in this process: wake the tailers at once instead of polling.
  const wake = (): void => feed.wake();
  sim?.on('block', wake);
  let lastState = '';
  feed.on('state', (s) => {
    if (s.state === lastState) return;
    lastState = s.state;
    logger.info({ state: s.state, height: s.height, repairing: s.repairing.length > 0 ? s.repairing : undefined, error: s.error }, `books ${s.state}`);
  });
  const cleanup = async (): Promise<void> => {
    sim?.off('block', wake);
    await started.cleanup();
  };
  let server: RunningServer;
  try {
    server = await startServer({
      feed,
      ...listenerSettings(config),
      infoUrl,
      exchangeUrl: config.exchangeUrl ?? sim?.exchangeUrl ?? defaultExchangeUrl(started.kind, infoUrl),
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      candlesDir: config.candlesDir ?? defaultCandlesDir(dataDir),
      logger,
    });
  } catch (err) {
    await cleanup();
    if (err instanceof HlobError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HlobError(
      ErrorCodes.LISTEN,
      `cannot listen on ${config.host}:${config.port}: ${code === 'EADDRINUSE' ? 'address already in use (another server? choose --port)' : (err as Error).message}`,
      { cause: err },
    );
  }
  try {
    await feed.start();
  } catch (err) {
    await server.close();
    await cleanup();
    throw err;
  }
  warnIntraBlock(config, feed.status().layout, logger);
  let stopping: Promise<void> | null = null;
  return {
    server,
    feed,
    sim,
    stop() {
      stopping ??= (async () => {
        await server.close();
        await feed.stop();
        await cleanup();
      })();
      return stopping;
    },
  };
}

export interface RunningCluster {
  primary: RunningPrimary;
  sim: RunningSim | null;
  stop(): Promise<void>;
}

/** `serve --workers n` (n > 1), the primary's side: the source once, then n workers (src/cluster/). */
export async function runServeCluster(config: ServeConfig, logger: Logger, home: string = homedir()): Promise<RunningCluster> {
  const started = await startSource(config, logger, home);
  const { sim } = started;
  let primary: RunningPrimary;
  try {
    primary = await runServePrimary({
      config,
      logger,
      dataDir: started.dataDir,
      infoUrl: started.infoUrl,
      source: started.kind,
      onBlock:
        sim === null
          ? undefined
          : (wake) => {
              sim.on('block', wake);
              return () => sim.off('block', wake);
            },
    });
  } catch (err) {
    await started.cleanup();
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    primary,
    sim,
    stop() {
      stopping ??= (async () => {
        await primary.stop();
        await started.cleanup();
      })();
      return stopping;
    },
  };
}

/** The live page's address (`GET /`) from the WebSocket URL `ws://host:port/ws`. */
export function pageUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/, 'http$1:').replace(/\/ws$/, '/');
}

/**
 * `--publish` takes two kinds of value, comma separated: NATS URLs (the block log, docs/scaleout.md) and
 * `block`/`intra-block`, the same as `--book-updates` (l2Book/bbo frames inside a block). Split them.
 */
export function splitPublish(raw: string | undefined): { bookUpdates: ServeConfig['bookUpdates'] | undefined; urls: string | undefined } {
  if (raw === undefined) return { bookUpdates: undefined, urls: undefined };
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const modes = parts.filter((p) => p === 'block' || p === 'intra-block') as ServeConfig['bookUpdates'][];
  if (new Set(modes).size > 1) throw new HlobError(ErrorCodes.CONFIG, `--publish: block and intra-block together (${JSON.stringify(raw)})`);
  const urls = parts.filter((p) => p !== 'block' && p !== 'intra-block');
  return { bookUpdates: modes[0], urls: urls.length === 0 ? undefined : urls.join(',') };
}

/** The serve config with `--publish block|intra-block` applied (it may not contradict `--book-updates`), and the NATS part. */
export function publishSettings(
  config: ServeConfig,
  opts: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { config: ServeConfig; nats: NatsServeConfig | null } {
  const raw = typeof opts['publish'] === 'string' ? opts['publish'] : env['HL_ORDERBOOK_PUBLISH'] === '' ? undefined : env['HL_ORDERBOOK_PUBLISH'];
  const { bookUpdates, urls } = splitPublish(raw);
  if (bookUpdates !== undefined && config.bookUpdates !== DEFAULTS.bookUpdates && config.bookUpdates !== bookUpdates)
    throw new HlobError(ErrorCodes.CONFIG, `--publish ${bookUpdates} and --book-updates ${config.bookUpdates} disagree`);
  const nats = resolveNatsConfig({ ...opts, publish: urls }, { ...env, HL_ORDERBOOK_PUBLISH: urls ?? '' });
  return { config: bookUpdates === undefined ? config : { ...config, bookUpdates }, nats };
}

/** `--book-updates intra-block` needs the streaming layout's lines: say so when it changes nothing (accepted, not refused: the node may switch layout). */
export function warnIntraBlock(config: Pick<ServeConfig, 'bookUpdates'>, layout: string | undefined, logger: Logger): void {
  if (config.bookUpdates !== 'intra-block' || layout === 'streaming') return;
  logger.warn(
    { bookUpdates: config.bookUpdates, layout: layout ?? 'none' },
    `--book-updates intra-block changes nothing here: it needs the node's streaming layout (--stream-with-block-info), this server reads ${layout ?? 'no node files'}`,
  );
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description("serve every coin's order book over WebSocket (protocol: docs/protocol.md); on a simulated node when there is no node data");
  for (const option of serveOptions()) cmd.addOption(option);
  addNatsOptions(cmd);
  cmd.action(async () => {
    let config: ServeConfig;
    let nats: NatsServeConfig | null;
    try {
      const given = givenToCommand(cmd);
      ({ config, nats } = publishSettings(resolveServeConfig(given.flags, given.env), cmd.opts(), process.env));
      if (nats !== null && config.workers > 1) throw new HlobError(ErrorCodes.CONFIG, '--publish and --source do not combine with --workers yet');
    } catch (err) {
      process.stderr.write(`hl-orderbook serve: ${(err as Error).message}\n`);
      process.exit(2);
    }
    const settings = process.env[WORKER_ENV];
    if (cluster.isWorker && settings !== undefined) {
      // One of `--workers n`: the primary chose the source; it stops us.
      const w = JSON.parse(settings) as WorkerSettings;
      await runServeWorker(config, w, createLogger({ level: config.logLevel }).child({ worker: w.slot }));
      return;
    }
    const logger = createLogger({ level: config.logLevel });
    let running: { stop(): Promise<void> };
    try {
      if (config.workers > 1) {
        const c = await runServeCluster(config, logger);
        running = c;
        logger.info({ page: pageUrl(c.primary.url) }, `live page: ${pageUrl(c.primary.url)}`);
      } else {
        const s = await runServe(config, logger, undefined, nats);
        running = s;
        logger.info({ page: pageUrl(s.server.url) }, `live page: ${pageUrl(s.server.url)}`);
      }
    } catch (err) {
      logger.error({ code: (err as HlobError).code }, (err as Error).message);
      process.exitCode = 1;
      return;
    }
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
