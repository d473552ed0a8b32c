/**
 * `startSimulator`: a simulated Hyperliquid node in this process. It writes the node's three
 * by-block streams into `dataDir` and answers the info server's requests on its own port, so
 * that, for our server, it behaves exactly like a real node. The server's `npm start`, every
 * integration test and every benchmark run on it.
 */
import { EventEmitter } from 'node:events';
import { ErrorCodes, HlobError } from '../errors.js';
import { STREAM_PREFIXES, byBlockDir, streamingDir, type NodeInstant } from '../node/format.js';
import { BlockClock } from './block-clock.js';
import { BlockWriter } from './block-writer.js';
import { PaperExchange } from './exchange/paper-exchange.js';
import { FaultInjector, parseFaults } from './faults.js';
import { startInfoServer, type InfoServer } from './info-server.js';
import { buildMarket, metaResponse, spotMetaResponse, type CoinSpec } from './market.js';
import { PROFILES, blockPlan } from './profiles.js';
import { Rng } from '../util/rng.js';
import { runningNode, type RunningSim, type SimStats } from './running-node.js';
import { defaultNow, defaultSleep, ensureWritableDir, followAbort } from './seams.js';
import { configure, type Config, type SimulatorOptions } from './sim-config.js';
import { SimMarket } from './sim-market.js';
import { writeSnapshotFile } from './snapshot-writer.js';

export { parseStartTime, type SimulatorOptions } from './sim-config.js';
export type { RunningSim, SimStats } from './running-node.js';

type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/**
 * Start a simulated node. Fails, with nothing written, on bad options (`HLOB_ERR_CONFIG`), a
 * port in use (`HLOB_ERR_LISTEN`) or a data directory that cannot be written
 * (`HLOB_ERR_UNWRITABLE_DIR`).
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSim> {
  const cfg = configure(options);
  const now = options.now ?? defaultNow;
  const sleep = options.sleep ?? defaultSleep;
  const coins = buildMarket(cfg.coins, cfg.seed);
  const startWall = now();
  const start: NodeInstant = cfg.startTime ?? { ms: Math.floor(startWall), ns: 0 };
  const sim = new SimMarket({
    seed: cfg.seed,
    coins,
    restingOrders: cfg.restingOrders,
    plan: blockPlan(PROFILES[cfg.profile], cfg.blocksPerSecond, cfg.eventsPerBlock),
    startHeight: cfg.startHeight,
    startMs: start.ms,
  });
  sim.warmSnapshotText();
  const faults =
    options.faults === undefined ? undefined : new FaultInjector(typeof options.faults === 'string' ? parseFaults(options.faults) : options.faults, cfg.seed);
  const exchange = new PaperExchange(sim);
  const { abort, release } = followAbort(options.signal);

  // The port before the disk: failing there must leave no trace in the data directory.
  let info: InfoServer | undefined;
  try {
    info = await startSimInfoServer(cfg.infoPort, { sim, coins, startMs: start.ms, faults, exchange, sleep: (ms) => sleep(ms, abort.signal) });
    await makeStreamDirs(cfg);
  } catch (err) {
    release();
    await info?.close();
    throw err;
  }

  const writer = new BlockWriter({
    dataDir: cfg.dataDir,
    streaming: cfg.streaming,
    byBlock: cfg.byBlock,
    spreadMs: cfg.spreadMs,
    sleep: (ms) => sleep(ms, abort.signal),
    partialWrites: cfg.partialWrites,
    keepMinutes: cfg.keepMinutes,
    // Write splits draw from their own generator, so that the market is the same whatever the pacing.
    rng: new Rng(cfg.seed ^ 0x5b11),
  });
  const producer = new BlockProducer({ cfg, sim, writer, exchange, faults, now, sleep, signal: abort.signal });
  const done = producer.run().finally(release);
  return runningNode({
    info,
    dataDir: cfg.dataDir,
    coins,
    exchangeUrl: info.url.replace(/\/info$/, '/exchange'),
    height: () => producer.height,
    snapshot: () => sim.snapshot(),
    stats: () => ({
      ...producer.stats,
      bytes: writer.bytes,
      restingOrders: sim.restingCount,
      exchange: exchange.stats(),
      ...(faults === undefined ? {} : { faults: { ...faults.counts } }),
    }),
    emitter: producer.emitter,
    abort,
    done,
  });
}

/** The info server of a simulated node: snapshots of the market (with their faults), meta, the paper exchange. */
function startSimInfoServer(
  port: number,
  p: { sim: SimMarket; coins: CoinSpec[]; startMs: number; faults: FaultInjector | undefined; exchange: PaperExchange; sleep: (ms: number) => Promise<void> },
): Promise<InfoServer> {
  const { sim, coins, faults, exchange } = p;
  return startInfoServer(port, {
    writeL4Snapshot: async (outPath, includeHeight) => {
      const fault = faults?.forSnapshot();
      if (fault?.fail === true) throw new HlobError(ErrorCodes.NODE_FILES, 'simulated fault: this snapshot request fails');
      const captured = sim.capture();
      // Late: taken when asked, written later, as a node that needs its 10-30 s.
      if (fault !== undefined && fault.lateMs > 0) await p.sleep(fault.lateMs);
      return writeSnapshotFile(captured, outPath, includeHeight);
    },
    meta: (dex) => metaResponse(coins, dex),
    spotMeta: () => spotMetaResponse(coins),
    market: { coins, books: sim.books, tape: sim.tape, fair: sim.fair, time: () => sim.blockMs ?? p.startMs },
    exchange,
    accountInfo: (body) => exchange.info(body),
  });
}

/** The data directory and each stream's directory of the layouts written. */
async function makeStreamDirs(cfg: Config): Promise<void> {
  await ensureWritableDir(cfg.dataDir, 'data directory');
  for (const s of STREAM_PREFIXES) {
    if (cfg.byBlock) await ensureWritableDir(byBlockDir(cfg.dataDir, s), 'data directory');
    if (cfg.streaming) await ensureWritableDir(streamingDir(cfg.dataDir, s), 'data directory');
  }
}

interface ProducerParts {
  cfg: Config;
  sim: SimMarket;
  writer: BlockWriter;
  exchange: PaperExchange;
  faults: FaultInjector | undefined;
  now: () => number;
  sleep: Sleep;
  signal: AbortSignal;
}

/** The block loop: make each block on the market, wait for its time, write it, count it. */
class BlockProducer {
  readonly emitter = new EventEmitter();
  readonly stats: Omit<SimStats, 'bytes' | 'restingOrders'> = { blocks: 0, statuses: 0, rejected: 0, diffs: 0, fills: 0 };
  /** Last block written to every stream. */
  height: number;
  private lastPruneMinute = -1;

  constructor(private readonly p: ProducerParts) {
    this.height = p.cfg.startHeight - 1;
  }

  async run(): Promise<void> {
    const { cfg, signal, sleep } = this.p;
    const clock = new BlockClock({
      seed: cfg.seed,
      blocksPerSecond: cfg.blocksPerSecond,
      speed: cfg.speed,
      startTime: cfg.startTime,
      spreadMs: cfg.spreadMs,
      now: this.p.now,
    });
    try {
      while (!signal.aborted && this.stats.blocks < cfg.maxBlocks) {
        const fault = this.p.faults?.forBlock(this.stats.blocks + 1);
        if (fault !== undefined && fault.pauseMs > 0) {
          await sleep(fault.pauseMs, signal);
          if (signal.aborted) break;
        }
        await this.produce(clock, fault);
        // At full speed, let the info server and other work of this process run between blocks.
        if (cfg.speed === 'max') await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.p.exchange.stop();
      await this.p.writer.close();
    }
  }

  /** One block: made, then (in real time) written at its time, a stop meanwhile notwithstanding (the market already holds it). */
  private async produce(clock: BlockClock, fault: ReturnType<FaultInjector['forBlock']>): Promise<void> {
    const { cfg, sim, writer } = this.p;
    const times = clock.next();
    const block = sim.nextBlock(times.text, times.time.ms);
    if (cfg.speed === 'realtime') {
      const wait = times.waitMs();
      if (wait > 0) await this.p.sleep(wait, this.p.signal);
    }
    await writer.write({
      height: block.height,
      blockTime: times.text,
      blockMs: times.time.ms,
      localTime: times.localTime,
      events: [block.statuses, block.diffs, block.fills],
      fault,
    });
    this.height = block.height;
    this.p.exchange.blockWritten(block.height);
    const stats = this.stats;
    stats.blocks++;
    stats.statuses += block.statuses.count;
    stats.rejected += block.rejected;
    stats.diffs += block.diffs.count;
    stats.fills += block.fills.count;
    this.emitter.emit('block', block.height);
    const minute = Math.floor(times.time.ms / 60_000);
    if (minute !== this.lastPruneMinute) {
      this.lastPruneMinute = minute;
      await writer.prune(times.time.ms);
    }
  }
}
