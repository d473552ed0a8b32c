/**
 * `hl-orderbook serve` (what `npm start` runs): tail a node's files, keep the books, serve
 * them. With no data dir given and no `~/hl/data` at all, it runs the simulated node in
 * process and says so; anything else missing is an error naming the directory and the node
 * flags that create it, never a silent fallback to fake books.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { SERVE_OPTIONS, defaultNodeDataDir, resolveServeConfig, type ServeConfig } from '../config.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { startServer, type RunningServer } from '../server/index.js';
import { startSimulator, type RunningSim } from '../sim/index.js';
import { checkDataDir, createNodeFeed, describeMissing } from '../state/index.js';

/** The simulated node's profile under `npm start`: light enough for a laptop, busy enough to watch. */
const SIMULATED_PROFILE = 'quiet';

export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description("serve a node's order books over WebSocket (a simulated node when no node data exists)");
  for (const spec of SERVE_OPTIONS) {
    const shown = spec.shown === undefined ? '' : ` (default: ${spec.shown})`;
    cmd.addOption(new Option(spec.flag, `${spec.description}${shown} [env ${spec.env}]`));
    for (const alias of spec.aliases ?? []) {
      cmd.addOption(new Option(alias, `same as ${spec.flag.split(' ')[0]} (the public Rust server's name)`));
    }
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    let config: ServeConfig;
    try {
      config = resolveServeConfig(opts);
    } catch (err) {
      fail(err);
    }
    await serve(config);
  });
}

function fail(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`hl-orderbook serve: ${msg}\n`);
  process.exit(2);
}

interface Source {
  dataDir: string;
  infoUrl: string;
  kind: 'node' | 'simulated';
  sim?: RunningSim;
  tmp?: string;
}

/** Where the books come from: the given dir, `~/hl/data`, or (only when neither exists) a simulated node. */
async function chooseSource(config: ServeConfig, logger: Logger): Promise<Source> {
  if (config.dataDir === null && !existsSync(defaultNodeDataDir())) {
    const tmp = await mkdtemp(join(tmpdir(), 'hlob-sim-'));
    const sim = await startSimulator({ dataDir: join(tmp, 'data'), infoPort: 0, profile: SIMULATED_PROFILE });
    logger.warn(
      { dataDir: sim.dataDir, infoUrl: sim.infoUrl, profile: SIMULATED_PROFILE },
      `no node data at ${defaultNodeDataDir()}: serving a SIMULATED node (fake books; /health says "source":"simulated")`,
    );
    return { dataDir: sim.dataDir, infoUrl: sim.infoUrl, kind: 'simulated', sim, tmp };
  }
  const dataDir = resolve(config.dataDir ?? defaultNodeDataDir());
  if (!config.wait) {
    if (!existsSync(dataDir)) {
      throw new HlobError(ErrorCodes.MISSING_DIR, `missing data directory ${dataDir}: run the node with --write-order-statuses --write-raw-book-diffs --write-fills --batch-by-block, or pass --wait`);
    }
    const missing = await checkDataDir(dataDir);
    if (missing.length > 0) throw new HlobError(ErrorCodes.MISSING_DIR, `${describeMissing(missing)} (or pass --wait)`);
  }
  return { dataDir, infoUrl: config.infoUrl, kind: 'node' };
}

export async function serve(config: ServeConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  let source: Source;
  try {
    source = await chooseSource(config, logger);
  } catch (err) {
    fail(err);
  }
  const feed = createNodeFeed({
    dataDir: source.dataDir,
    infoUrl: source.infoUrl,
    snapshotDir: config.snapshotDir ?? undefined,
    wait: config.wait,
    staleAfterMs: config.staleAfterS * 1000,
    validateEveryMs: config.validateEveryMin > 0 ? config.validateEveryMin * 60_000 : undefined,
    source: source.kind,
    logger,
  });
  let server: RunningServer;
  try {
    server = await startServer({
      feed,
      host: config.host,
      port: config.port,
      infoUrl: source.infoUrl,
      compressionLevel: config.compressionLevel,
      l2HeartbeatMs: config.l2HeartbeatMs,
      maxClientUnsentBytes: config.maxClientUnsentBytes,
      maxTotalUnsentBytes: config.maxTotalUnsentBytes,
      logger,
    });
  } catch (err) {
    await source.sim?.stop();
    if (source.tmp !== undefined) await rm(source.tmp, { recursive: true, force: true });
    fail(err);
  }
  logger.info({ url: server.url, health: `${server.httpUrl}/health`, source: source.kind, dataDir: source.dataDir }, 'listening');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    await feed.stop();
    await source.sim?.stop();
    if (source.tmp !== undefined) await rm(source.tmp, { recursive: true, force: true });
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  feed.on('state', (s) => logger.info({ state: s.state, height: s.height, repairing: s.repairing.length > 0 ? s.repairing : undefined }, `state ${s.state}`));
  try {
    await feed.start();
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the node');
    await server.close();
    await source.sim?.stop();
    fail(err);
  }
}

