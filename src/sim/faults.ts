/**
 * Faults of a real node, injected into the simulated one (`--faults`), so that the server's
 * healing paths run against something other than hand-built feeds:
 *
 * - `skip`: one stream leaves a block out (its line is never written);
 * - `pause`: the node stops writing for a while (a lag), then goes on;
 * - `corrupt`: one stream's line is written mangled (it does not parse);
 * - `half`: one stream's line is half-written, no newline: the next line is appended to it,
 *   so both blocks are lost in that stream (a writer that died mid-line and came back);
 * - `restart`: the node stops for a while and comes back some blocks later: those blocks are
 *   in no stream (a restart with a gap);
 * - `snapshot-fail`: a snapshot request is answered 500;
 * - `snapshot-late`: a snapshot is taken when asked but written only later (10-30 s on
 *   mainnet): it is then older than the blocks the server has read meanwhile.
 *
 * A spec is a comma-separated list: `rate=P` (each block gets a block fault with probability
 * P, drawn from `kinds`), `snapshot-rate=P` (each snapshot request a snapshot fault), `kinds=a+b`
 * (default all), `pause=10s`, `restart=2s`, `restart-blocks=5`, `late=5s`, and scheduled
 * faults `KIND@N[:DURATION]` (block faults at the N-th block made, snapshot faults at the N-th
 * request). Durations: `250ms`, `10s`, `1m` or plain ms. Faults are drawn from their own seeded
 * generator: the same seed and spec fail the same blocks. The plan is read as the node runs:
 * a caller holding it may change it (the soak turns faults off before its end).
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { STREAM_PREFIXES, type StreamPrefix } from '../node/format.js';

export const FAULT_KINDS = ['skip', 'pause', 'corrupt', 'half', 'restart', 'snapshot-fail', 'snapshot-late'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
const BLOCK_KINDS: readonly FaultKind[] = ['skip', 'pause', 'corrupt', 'half', 'restart'];
const SNAPSHOT_KINDS: readonly FaultKind[] = ['snapshot-fail', 'snapshot-late'];

export interface ScheduledFault {
  kind: FaultKind;
  /** Pause, restart or lateness, ms (else the plan's default). */
  ms?: number;
}

export interface FaultPlan {
  /** Probability of a block fault per block. */
  rate: number;
  /** Probability of a snapshot fault per snapshot request. */
  snapshotRate: number;
  /** What rate faults are drawn from. */
  kinds: FaultKind[];
  pauseMs: number;
  restartMs: number;
  /** Blocks a restart loses (in every stream). */
  restartBlocks: number;
  lateMs: number;
  /** By block number (1 = the first block made). */
  blocks: Map<number, ScheduledFault>;
  /** By snapshot request number (1 = the first). */
  snapshots: Map<number, ScheduledFault>;
}

/** What happens to one block. */
export interface BlockFault {
  /** Wait this long before making and writing it. */
  pauseMs: number;
  /** Streams that do not get its line. */
  omit: Set<StreamPrefix>;
  /** A stream whose line is written mangled. */
  corrupt?: StreamPrefix;
  /** A stream whose line is half-written, without its newline. */
  half?: StreamPrefix;
}

/** What happens to one snapshot request. */
export interface SnapshotFault {
  fail: boolean;
  /** Take the snapshot now, write it this much later. */
  lateMs: number;
}

function bad(spec: string, why: string): HlobError {
  return new HlobError(ErrorCodes.CONFIG, `invalid faults ${JSON.stringify(spec)}: ${why}`);
}

function duration(spec: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw bad(spec, `${JSON.stringify(text)} is not a duration (250ms, 10s, 1m)`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

function probability(spec: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw bad(spec, `${JSON.stringify(text)} is not a probability from 0 to 1`);
  return n;
}

function kind(spec: string, text: string): FaultKind {
  if (!(FAULT_KINDS as readonly string[]).includes(text)) throw bad(spec, `unknown fault ${JSON.stringify(text)} (${FAULT_KINDS.join(', ')})`);
  return text as FaultKind;
}

/** Parse a `--faults` spec (see the file comment). Throws `HLOB_ERR_CONFIG` naming what is wrong. */
export function parseFaults(spec: string): FaultPlan {
  const plan: FaultPlan = {
    rate: 0,
    snapshotRate: 0,
    kinds: [...FAULT_KINDS],
    pauseMs: 10_000,
    restartMs: 2_000,
    restartBlocks: 5,
    lateMs: 5_000,
    blocks: new Map(),
    snapshots: new Map(),
  };
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const at = /^([a-z-]+)@(\d+)(?::(.+))?$/.exec(item);
    if (at !== null) {
      const k = kind(spec, at[1]!);
      const n = Number(at[2]);
      if (n < 1) throw bad(spec, `${item}: counts start at 1`);
      const f: ScheduledFault = { kind: k };
      if (at[3] !== undefined) f.ms = duration(spec, at[3]);
      (SNAPSHOT_KINDS.includes(k) ? plan.snapshots : plan.blocks).set(n, f);
      continue;
    }
    const eq = /^([a-z-]+)=(.+)$/.exec(item);
    if (eq === null) throw bad(spec, `${JSON.stringify(item)} is neither KEY=VALUE nor KIND@N`);
    const [, key, value] = eq as unknown as [string, string, string];
    switch (key) {
      case 'rate':
        plan.rate = probability(spec, value);
        break;
      case 'snapshot-rate':
        plan.snapshotRate = probability(spec, value);
        break;
      case 'kinds':
        plan.kinds = value.split('+').map((k) => kind(spec, k.trim()));
        break;
      case 'pause':
        plan.pauseMs = duration(spec, value);
        break;
      case 'restart':
        plan.restartMs = duration(spec, value);
        break;
      case 'late':
        plan.lateMs = duration(spec, value);
        break;
      case 'restart-blocks': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 10_000) throw bad(spec, `restart-blocks must be an integer from 1 to 10000`);
        plan.restartBlocks = n;
        break;
      }
      default:
        throw bad(spec, `unknown setting ${JSON.stringify(key)} (rate, snapshot-rate, kinds, pause, restart, restart-blocks, late)`);
    }
  }
  return plan;
}

/** Decides, block by block and request by request, which faults happen; counts them. */
export class FaultInjector {
  readonly counts: Record<FaultKind, number> = { skip: 0, pause: 0, corrupt: 0, half: 0, restart: 0, 'snapshot-fail': 0, 'snapshot-late': 0 };
  private readonly rng: Rng;
  private readonly blockKinds: FaultKind[];
  private readonly snapshotKinds: FaultKind[];
  /** Blocks still lost to a restart. */
  private lost = 0;
  private requests = 0;

  constructor(
    readonly plan: FaultPlan,
    seed: number,
  ) {
    this.rng = new Rng(seed ^ 0xfa17);
    this.blockKinds = plan.kinds.filter((k) => BLOCK_KINDS.includes(k));
    this.snapshotKinds = plan.kinds.filter((k) => SNAPSHOT_KINDS.includes(k));
  }

  /** The fault of block number `n` (1 = the first made), if any. */
  forBlock(n: number): BlockFault | undefined {
    if (this.lost > 0) {
      this.lost--;
      return { pauseMs: 0, omit: new Set(STREAM_PREFIXES) };
    }
    let f = this.plan.blocks.get(n);
    if (f === undefined && this.plan.rate > 0 && this.blockKinds.length > 0 && this.rng.chance(this.plan.rate)) {
      f = { kind: this.blockKinds[this.rng.int(this.blockKinds.length)]! };
    }
    if (f === undefined) return undefined;
    this.counts[f.kind]++;
    const stream = STREAM_PREFIXES[this.rng.int(STREAM_PREFIXES.length)]!;
    switch (f.kind) {
      case 'skip':
        return { pauseMs: 0, omit: new Set([stream]) };
      case 'pause':
        return { pauseMs: f.ms ?? this.plan.pauseMs, omit: new Set() };
      case 'corrupt':
        return { pauseMs: 0, omit: new Set(), corrupt: stream };
      case 'half':
        return { pauseMs: 0, omit: new Set(), half: stream };
      case 'restart':
        this.lost = this.plan.restartBlocks - 1;
        return { pauseMs: f.ms ?? this.plan.restartMs, omit: new Set(STREAM_PREFIXES) };
      default:
        return undefined;
    }
  }

  /** The fault of the next snapshot request, if any. */
  forSnapshot(): SnapshotFault | undefined {
    const n = ++this.requests;
    let f = this.plan.snapshots.get(n);
    if (f === undefined && this.plan.snapshotRate > 0 && this.snapshotKinds.length > 0 && this.rng.chance(this.plan.snapshotRate)) {
      f = { kind: this.snapshotKinds[this.rng.int(this.snapshotKinds.length)]! };
    }
    if (f === undefined) return undefined;
    this.counts[f.kind]++;
    return f.kind === 'snapshot-fail' ? { fail: true, lateMs: 0 } : { fail: false, lateMs: f.ms ?? this.plan.lateMs };
  }
}
