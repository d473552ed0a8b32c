/**
 * `startSimulator`: a simulated Hyperliquid node in this process. It writes the node's three
 * by-block streams into `dataDir` and answers the info server's requests on its own port, so
 * that, for our server, it behaves exactly like a real node. The server's `npm start`, every
 * integration test and every benchmark run on it.
 */
import { EventEmitter } from 'node:events';
import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { resolve } from 'node:path';
import type { L4SnapshotFile } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { BlockWriter, STREAMS, byBlockDir, streamingDir, type StreamName } from './block-writer.js';
import { runningNode } from './running-node.js';
import { startInfoServer, type InfoServer } from './info-server.js';
import { DEFAULT_COINS, buildMarket, metaResponse, spotMetaResponse, type CoinSpec } from './market.js';
import { addNs, formatNodeTime, type NodeInstant } from './node-time.js';
import { PROFILES, PROFILE_NAMES, blockPlan, type ProfileName } from './profiles.js';
import { FaultInjector, parseFaults, type FaultKind, type FaultPlan } from './faults.js';
import { Rng } from './rng.js';
import { SimMarket } from './sim-market.js';
import { writeSnapshotFile } from './snapshot-writer.js';
import { PaperExchange } from './exchange/paper-exchange.js';
import { sleep } from '../util/abort.js';

export interface SimulatorOptions {
  /** The node's data directory to write (the equivalent of `~/hl/data`). Created if missing. */
  dataDir: string;
  /** Info server port on 127.0.0.1; 0 picks a free one. Default 3001 (the node's). */
  infoPort?: number;
  /** Same seed, same files byte for byte (with `startTime`, including every time). Default 1. */
  seed?: number;
  /** Order-flow preset. Default `'mainnet'`. */
  profile?: ProfileName;
  /** Blocks per second (mainnet: 14.6). Default 14.6. */
  blocksPerSecond?: number;
  /** Order statuses per block instead of the profile's rate; every other event scales along. Default: the profile's. */
  eventsPerBlock?: number;
  /** `'realtime'` paces blocks at `blocksPerSecond`; `'max'` writes them as fast as it can. Default `'realtime'`. */
  speed?: 'realtime' | 'max';
  /** Number of coins (the fixed ones, then generated ones). Default: every fixed coin (`DEFAULT_COINS`, 44). */
  coins?: number;
  /** Stop producing after this many blocks (the info server keeps answering until `stop()`). Default: no limit. */
  maxBlocks?: number;
  /**
   * Simulated time of the first block (ISO or node time, UTC when no zone; or epoch ms; or a
   * Date). Block times then advance by the simulated spacing whatever the speed. Default: none,
   * `block_time` is the wall clock when the block is written.
   */
  startTime?: Date | number | string;
  /** Resting orders at the start, over all coins (up to 2,000,000). Default 20,000. */
  restingOrders?: number;
  /** Delete closed hourly files that ended more than this many minutes ago; `Infinity` keeps them all. Default 60. */
  keepMinutes?: number;
  /** Also write the `_streaming` layout (= `layout: 'both'`). Default false. */
  streaming?: boolean;
  /**
   * Which of the node's layouts to write: `by-block` (`--batch-by-block`), `streaming`
   * (`--stream-with-block-info`: one event per line; in real time a block's events are spaced
   * over `streamSpreadMs` ending at its write time, as a node writes them while processing
   * the block) or `both`. Default `by-block` (`both` with `streaming: true`).
   */
  layout?: 'by-block' | 'streaming' | 'both';
  /** Streaming layout in real time: a block's events spread over this long. Default 40 % of the mean block interval (0 at speed max). */
  streamSpreadMs?: number;
  /** Write lines in pieces, as a node with output buffering does. Default false. */
  partialWrites?: boolean;
  /** Height of the first block. Default 1,000,000,000. */
  startHeight?: number;
  /**
   * Faults of a real node to inject (`--faults`): a spec string or a parsed plan, see
   * `src/sim/faults.ts` and docs/simulator.md. Default none.
   */
  faults?: string | FaultPlan;
  /** Aborting stops the simulator like `stop()`. */
  signal?: AbortSignal;
  /** Time seam: epoch ms now, fractional. Default `performance.timeOrigin + performance.now()`. */
  now?: () => number;
  /** Time seam: resolve after `ms` (or at once when `signal` aborts). Default a timer. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface SimStats {
  blocks: number;
  statuses: number;
  /** Statuses that are `…Rejected`. */
  rejected: number;
  diffs: number;
  fills: number;
  /** Bytes written to the data files. */
  bytes: number;
  /** Orders resting now. */
  restingOrders: number;
  /** Faults injected so far, by kind (only with `faults`). */
  faults?: Record<FaultKind, number>;
}

export interface RunningSim {
  /** `http://127.0.0.1:<port>/info`, the node's info server. */
  readonly infoUrl: string;
  /** Absolute data directory. */
  readonly dataDir: string;
  /** The coins traded (simulator only; empty for a replay). */
  readonly coins: readonly CoinSpec[];
  /** `http://127.0.0.1:<port>/exchange`, the paper exchange (simulator only; undefined for a replay). */
  readonly exchangeUrl: string | undefined;
  /** Last block written completely to all three streams. */
  height(): number;
  /** The simulator's truth now: every book as the node's snapshot file would hold it. */
  snapshot(): L4SnapshotFile;
  /** Counts since the start. */
  stats(): SimStats;
  /** After each block is written to all streams. */
  on(event: 'block', listener: (height: number) => void): this;
  off(event: 'block', listener: (height: number) => void): this;
  once(event: 'block', listener: (height: number) => void): this;
  /** Stop producing, close the files and the info server. */
  stop(): Promise<void>;
  /** Resolves when production ends (`maxBlocks` reached or stopped); rejects on a write error. */
  readonly done: Promise<void>;
}

/** Parse a start time: ISO with or without zone (UTC), node time, epoch ms or a Date. */
export function parseStartTime(value: Date | number | string): NodeInstant {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (/^\d+$/.test(value)) ms = Number(value);
  else {
    const text = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : value + 'Z';
    // Keep only millisecond precision for Date.parse; node times carry 9 digits.
    const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(text);
    ms = m ? Date.parse(`${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}${m[3]}`) : Date.parse(text);
    if (m && m[2] && m[2].length > 3) {
      if (!Number.isFinite(ms)) throw configError('startTime', value);
      return { ms, ns: Number(m[2].padEnd(9, '0').slice(3, 9)) };
    }
  }
  if (!Number.isFinite(ms)) throw configError('startTime', value);
  return { ms: Math.floor(ms), ns: 0 };
}

function configError(name: string, value: unknown, why = ''): HlobError {
  return new HlobError(ErrorCodes.CONFIG, `invalid ${name}: ${JSON.stringify(value)}${why ? ` (${why})` : ''}`);
}

function intOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw configError(name, value, `an integer from ${min} to ${max}`);
  return value;
}

function numOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || (value === Infinity && max !== Infinity) || value < min || value > max) throw configError(name, value, `a number from ${min} to ${max}`);
  return value;
}

/** Create `dir` if needed and make sure we can write in it; a coded error naming it otherwise. */
export async function ensureWritableDir(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new HlobError(ErrorCodes.UNWRITABLE_DIR, `cannot write ${what} ${dir}: ${code}`, { cause: err });
  }
}

const defaultNow = (): number => performance.timeOrigin + performance.now();

export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, signal);

/** Validated options with defaults applied. */
interface Config {
  dataDir: string;
  infoPort: number;
  seed: number;
  profile: ProfileName;
  blocksPerSecond: number;
  eventsPerBlock: number | undefined;
  speed: 'realtime' | 'max';
  coins: number;
  maxBlocks: number;
  startTime: NodeInstant | undefined;
  restingOrders: number;
  keepMinutes: number;
  streaming: boolean;
  byBlock: boolean;
  spreadMs: number;
  partialWrites: boolean;
  startHeight: number;
}

function configure(o: SimulatorOptions): Config {
  if (typeof o.dataDir !== 'string' || o.dataDir === '') throw configError('dataDir', o.dataDir, 'a directory path');
  const profile = o.profile ?? 'mainnet';
  if (!PROFILE_NAMES.includes(profile)) throw configError('profile', profile, PROFILE_NAMES.join(', '));
  const speed = o.speed ?? 'realtime';
  if (speed !== 'realtime' && speed !== 'max') throw configError('speed', speed, 'realtime or max');
  return {
    dataDir: resolve(o.dataDir),
    infoPort: intOption('infoPort', o.infoPort, 3001, 0, 65535),
    seed: intOption('seed', o.seed, 1, 0, 2 ** 32 - 1),
    profile,
    blocksPerSecond: numOption('blocksPerSecond', o.blocksPerSecond, 14.6, 0.01, 1000),
    eventsPerBlock: o.eventsPerBlock === undefined ? undefined : intOption('eventsPerBlock', o.eventsPerBlock, 0, 0, 1_000_000),
    speed,
    coins: intOption('coins', o.coins, DEFAULT_COINS, 1, 4000),
    maxBlocks: o.maxBlocks === undefined ? Infinity : intOption('maxBlocks', o.maxBlocks, 0, 0, Number.MAX_SAFE_INTEGER),
    startTime: o.startTime === undefined ? undefined : parseStartTime(o.startTime),
    restingOrders: intOption('restingOrders', o.restingOrders, 20_000, 0, 2_000_000),
    keepMinutes: numOption('keepMinutes', o.keepMinutes, 60, 0, Infinity),
    streaming: layoutOf(o) !== 'by-block',
    byBlock: layoutOf(o) !== 'streaming',
    spreadMs:
      layoutOf(o) === 'by-block' || speed === 'max'
        ? 0
        : numOption('streamSpreadMs', o.streamSpreadMs, (0.4 * 1000) / numOption('blocksPerSecond', o.blocksPerSecond, 14.6, 0.01, 1000), 0, 60_000),
    partialWrites: o.partialWrites ?? false,
    startHeight: intOption('startHeight', o.startHeight, 1_000_000_000, 1, Number.MAX_SAFE_INTEGER),
  };
}

function layoutOf(o: SimulatorOptions): 'by-block' | 'streaming' | 'both' {
  const l = o.layout ?? (o.streaming === true ? 'both' : 'by-block');
  if (l !== 'by-block' && l !== 'streaming' && l !== 'both') throw configError('layout', l, 'by-block, streaming or both');
  return l;
}

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
  const faults = options.faults === undefined ? undefined : new FaultInjector(typeof options.faults === 'string' ? parseFaults(options.faults) : options.faults, cfg.seed);
  const exchange = new PaperExchange(sim);

  // The port before the disk: failing there must leave no trace in the data directory.
  const info: InfoServer = await startInfoServer(cfg.infoPort, {
    writeL4Snapshot: async (outPath, includeHeight) => {
      const fault = faults?.forSnapshot();
      if (fault?.fail === true) throw new HlobError(ErrorCodes.NODE_FILES, 'simulated fault: this snapshot request fails');
      const captured = sim.capture();
      // Late: taken when asked, written later, as a node that needs its 10-30 s.
      if (fault !== undefined && fault.lateMs > 0) await sleep(fault.lateMs, abort.signal);
      return writeSnapshotFile(captured, outPath, includeHeight);
    },
    meta: (dex) => metaResponse(coins, dex),
    spotMeta: () => spotMetaResponse(coins),
    market: { coins, books: sim.books, tape: sim.tape, fair: sim.fair, time: () => sim.blockMs ?? start.ms },
    exchange,
    accountInfo: (body) => exchange.info(body),
  });
  try {
    await ensureWritableDir(cfg.dataDir, 'data directory');
    for (const s of STREAMS) {
      if (cfg.byBlock) await ensureWritableDir(byBlockDir(cfg.dataDir, s), 'data directory');
      if (cfg.streaming) await ensureWritableDir(streamingDir(cfg.dataDir, s), 'data directory');
    }
  } catch (err) {
    await info.close();
    throw err;
  }

  // Block spacing and write splits draw from their own generator, so the market is the same
  // whatever the pacing.
  const timing = new Rng(cfg.seed ^ 0x7135);
  const writer = new BlockWriter({
    dataDir: cfg.dataDir,
    streaming: cfg.streaming,
    byBlock: cfg.byBlock,
    spreadMs: cfg.spreadMs,
    sleep: (ms) => sleep(ms, abort.signal),
    partialWrites: cfg.partialWrites,
    keepMinutes: cfg.keepMinutes,
    rng: new Rng(cfg.seed ^ 0x5b11),
  });
  const emitter = new EventEmitter();
  const stats: Omit<SimStats, 'bytes' | 'restingOrders'> = { blocks: 0, statuses: 0, rejected: 0, diffs: 0, fills: 0 };
  let written = cfg.startHeight - 1;
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) abort.abort();

  const meanGapNs = 1e9 / cfg.blocksPerSecond;

  async function run(): Promise<void> {
    let simTime: NodeInstant | undefined = cfg.startTime;
    let lastWall: NodeInstant = { ms: 0, ns: 0 };
    let due = now();
    let lastPruneMinute = -1;
    try {
      while (!abort.signal.aborted && stats.blocks < cfg.maxBlocks) {
        const fault = faults?.forBlock(stats.blocks + 1);
        if (fault !== undefined && fault.pauseMs > 0) {
          await sleep(fault.pauseMs, abort.signal);
          if (abort.signal.aborted) break;
        }
        // Mainnet blocks come 52–153 ms apart at 14.6/s: ±25 % around the mean here.
        const gapNs = Math.round(meanGapNs * (0.75 + 0.5 * timing.float()));
        const localDelayNs = 250_000_000 + timing.int(150_000_000);
        if (stats.blocks > 0 && simTime) simTime = addNs(simTime, gapNs);
        if (cfg.speed === 'realtime') {
          if (stats.blocks > 0) due += gapNs / 1e6;
          // Far behind (a paused process): start again from now instead of bursting.
          if (due - now() < -1000) due = now();
        }
        let blockTime: NodeInstant;
        if (simTime) blockTime = simTime;
        else {
          // In real time the block is made ahead and written at its block time (below): block_time
          // is when the block reaches the files, as on a node, not when the simulator began the
          // milliseconds it spends making it (which latency figures would otherwise count).
          const t = cfg.speed === 'realtime' ? Math.max(due, now()) : now();
          const ms = Math.floor(t);
          blockTime = { ms, ns: Math.min(999_999, Math.floor((t - ms) * 1e6)) };
          // Wall clocks can step back; block times never do.
          if (blockTime.ms < lastWall.ms || (blockTime.ms === lastWall.ms && blockTime.ns <= lastWall.ns)) blockTime = addNs(lastWall, 1000);
          lastWall = blockTime;
        }
        const blockTimeStr = formatNodeTime(blockTime);
        const block = sim.nextBlock(blockTimeStr, blockTime.ms);
        if (cfg.speed === 'realtime') {
          // Made: now wait for its time. A stop meanwhile still writes it (the market already holds it).
          // Streaming: the block's events start that much earlier, so that the last lands at its time.
          const wait = (simTime ? due : blockTime.ms + blockTime.ns / 1e6) - cfg.spreadMs - now();
          if (wait > 0) await sleep(wait, abort.signal);
        }
        const simLocal = formatNodeTime(addNs(blockTime, localDelayNs));
        const localTime = simTime
          ? (): string => simLocal
          : (): string => {
              const t = Math.max(now(), blockTime.ms);
              const ms = Math.floor(t);
              return formatNodeTime({ ms, ns: Math.min(999_999, Math.floor((t - ms) * 1e6)) });
            };
        await writer.write({
          height: block.height,
          blockTime: blockTimeStr,
          blockMs: blockTime.ms,
          localTime: localTime as (s: StreamName) => string,
          events: [block.statuses, block.diffs, block.fills],
          fault,
        });
        written = block.height;
        exchange.blockWritten(written);
        stats.blocks++;
        stats.statuses += block.statuses.count;
        stats.rejected += block.rejected;
        stats.diffs += block.diffs.count;
        stats.fills += block.fills.count;
        emitter.emit('block', written);
        const minute = Math.floor(blockTime.ms / 60_000);
        if (minute !== lastPruneMinute) {
          lastPruneMinute = minute;
          await writer.prune(blockTime.ms);
        }
        // At full speed, let the info server and other work of this process run between blocks.
        if (cfg.speed === 'max') await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      exchange.stop();
      await writer.close();
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  return runningNode({
    info,
    dataDir: cfg.dataDir,
    coins,
    exchangeUrl: info.url.replace(/\/info$/, '/exchange'),
    height: () => written,
    snapshot: () => sim.snapshot(),
    stats: () => ({ ...stats, bytes: writer.bytes, restingOrders: sim.restingCount, ...(faults === undefined ? {} : { faults: { ...faults.counts } }) }),
    emitter,
    abort,
    done: run(),
  });
}
