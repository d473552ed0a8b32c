/**
 * The simulator's options: what `startSimulator` accepts, checked once (a coded
 * `HLOB_ERR_CONFIG` naming the option) and completed with defaults.
 */
import { resolve } from 'node:path';
import { ErrorCodes, HlobError } from '../errors.js';
import { type NodeInstant } from '../node/format.js';
import type { FaultPlan } from './faults.js';
import { DEFAULT_COINS } from './market.js';
import { PROFILE_NAMES, type ProfileName } from './profiles.js';

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
  if (typeof value !== 'number' || Number.isNaN(value) || (value === Infinity && max !== Infinity) || value < min || value > max)
    throw configError(name, value, `a number from ${min} to ${max}`);
  return value;
}

/** Validated options with defaults applied. */
export interface Config {
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

export function configure(o: SimulatorOptions): Config {
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
