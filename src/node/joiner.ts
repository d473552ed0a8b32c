/**
 * `BlockJoiner`: joins the three streams' lines of one height into one `Block`, in strictly
 * increasing heights. In by-block mode every block has a line in each stream (even with no
 * events), so a height that one stream skipped is a gap: reported, never stepped over
 * silently. Streams may run ahead of each other up to a bound; past it, a clear error.
 *
 * A missing height is a gap when a stream that lacks it has gone `reorderWindow` blocks past
 * it, or when every stream has moved past it and it is still missing `gapAfterMs` later (and
 * after the files were read again, `confirmGap`): a node that skips a block and then pauses
 * (restarts, lags) must not leave the books waiting below the gap for the whole pause. Both
 * bounds leave room for the one legitimate late line, a last write to the previous hour's
 * file after the first lines of the next.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import { monotonicClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { StreamEvents } from './parse.js';
import { blockTimeMs } from './parse.js';
import { STREAMS, type Block, type BlockEnvelope, type StreamName } from './types.js';

/** A joined block and the bytes of its three lines (what caching it costs, roughly). */
export interface JoinedBlock {
  block: Block;
  /** All three lines. */
  bytes: number;
  /** Per stream. */
  lineBytes: Record<StreamName, number>;
}

/** Heights that can never be joined: everything applied after them needs a fresh snapshot. */
export interface Gap {
  /** The first height that could not be joined. */
  height: number;
  /** `missing`: a stream skipped it; `overflow`: a stream fell too far behind and the buffers were dropped. */
  reason: 'missing' | 'overflow';
  /** The streams that lacked it. */
  streams: StreamName[];
  error: HlobError;
}

/**
 * Where a joiner puts what it joins: called directly (no event of its own), so each joined
 * block is announced once, by the block source that owns the joiner.
 */
export interface JoinerOutput {
  block(joined: JoinedBlock): void;
  gap(gap: Gap): void;
  /** A line at or below a height already joined or given up (a duplicate, or too late). */
  dropped?(stream: StreamName, height: number): void;
}

/** What a block source needs of a joiner, whichever layout it joins (`BlockJoiner`, `StreamJoiner`). */
export interface Joiner {
  push<S extends StreamName>(stream: S, env: BlockEnvelope<StreamEvents[S]>, bytes: number): void;
  /** Forget everything buffered (a resync starts over from whatever comes next). */
  reset(): void;
  /** Stop pending timers (the source stops). */
  close(): void;
  /** The next height to join, if known. */
  readonly nextHeight: number | undefined;
}

export interface BlockJoinerOptions {
  /**
   * A height missing from a stream that has already delivered a height this far beyond it is
   * a gap; smaller jumps wait, since a last write to the previous hour's file can arrive after
   * the first lines of the next. Default 8 blocks (about half a second on mainnet).
   */
  reorderWindow?: number;
  /** Line bytes buffered over all streams before giving up on the stream behind. Default 256 MiB. */
  maxBufferedBytes?: number;
  /** Lines buffered in any one stream before giving up on the stream behind. Default 10,000. */
  maxBufferedBlocks?: number;
  /**
   * A height every stream has moved past but that is still missing this long after is a gap,
   * however few blocks followed it. Default 500 ms: several polls of the files (100 ms
   * each), so an hour's late last write is still waited for. 0 turns the bound off.
   */
  gapAfterMs?: number;
  /**
   * Called before a height is declared missing by time: resolve once the files have been
   * read again (the late line may be on disk, not yet read). Default: none.
   */
  confirmGap?: () => Promise<void>;
  /** Clock and timers for `gapAfterMs` (tests pass a fake). Default the real ones. */
  clock?: JoinerClock;
}

/** What the joiner needs of time: a clock (ms) and one-shot timers (util's `Clock`). */
export type JoinerClock = Clock;

/** The joiner's real clock: monotonic, its timers never keeping the process alive. */
export const realClock: JoinerClock = monotonicClock;

const NAMES = Object.keys(STREAMS) as StreamName[];

interface Pending<E> {
  env: BlockEnvelope<E>;
  bytes: number;
}

type Queues = { [S in StreamName]: Map<number, Pending<StreamEvents[S]>> };

export class BlockJoiner implements Joiner {
  private readonly reorderWindow: number;
  private readonly maxBufferedBytes: number;
  private readonly maxBufferedBlocks: number;
  private readonly queues: Queues = { statuses: new Map(), diffs: new Map(), fills: new Map() };
  private readonly maxSeen: Record<StreamName, number> = { statuses: -1, diffs: -1, fills: -1 };
  /** The next height to join; undefined until every stream has delivered a line (and after a drop). */
  private expected: number | undefined;
  private bufferedBytes = 0;
  private readonly gapAfterMs: number;
  private readonly confirmGap: (() => Promise<void>) | undefined;
  private readonly clock: JoinerClock;
  /** The height every stream has moved past while it is missing, and since when. */
  private overdue: { height: number; since: number; timer: TimerHandle | undefined } | undefined;

  constructor(
    private readonly out: JoinerOutput,
    opts: BlockJoinerOptions = {},
  ) {
    this.reorderWindow = opts.reorderWindow ?? 8;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.maxBufferedBlocks = opts.maxBufferedBlocks ?? 10_000;
    this.gapAfterMs = opts.gapAfterMs ?? 500;
    this.confirmGap = opts.confirmGap;
    this.clock = opts.clock ?? realClock;
  }

  /** The next height to join, if known. */
  get nextHeight(): number | undefined {
    return this.expected;
  }

  /** Bytes of lines waiting for their other streams. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  push<S extends StreamName>(stream: S, env: BlockEnvelope<StreamEvents[S]>, bytes: number): void {
    const h = env.block_number;
    const q = this.queues[stream] as Map<number, Pending<StreamEvents[S]>>;
    if ((this.expected !== undefined && h < this.expected) || q.has(h)) {
      this.out.dropped?.(stream, h);
      return;
    }
    q.set(h, { env, bytes });
    this.bufferedBytes += bytes;
    if (h > this.maxSeen[stream]) this.maxSeen[stream] = h;
    this.drain();
    if (this.bufferedBytes > this.maxBufferedBytes || q.size > this.maxBufferedBlocks) this.overflow();
  }

  /** Forget everything buffered (a resync starts over from whatever comes next). */
  reset(): void {
    for (const s of NAMES) this.queues[s].clear();
    this.bufferedBytes = 0;
    this.expected = undefined;
    this.unwatch();
  }

  /** Stop the timer of a pending time-bound check (the source stops). */
  close(): void {
    this.unwatch();
  }

  private drain(): void {
    const { statuses, diffs, fills } = this.queues;
    while (true) {
      if (this.expected === undefined && !this.align()) return;
      const e = this.expected!;
      const s = statuses.get(e);
      const d = diffs.get(e);
      const f = fills.get(e);
      if (s !== undefined && d !== undefined && f !== undefined) {
        statuses.delete(e);
        diffs.delete(e);
        fills.delete(e);
        this.bufferedBytes -= s.bytes + d.bytes + f.bytes;
        this.expected = e + 1;
        if (this.overdue !== undefined) this.unwatch();
        const block: Block = { height: e, time: blockTimeMs(s.env.block_time), statuses: s.env.events, diffs: d.env.events, fills: f.env.events };
        this.out.block({ block, bytes: s.bytes + d.bytes + f.bytes, lineBytes: { statuses: s.bytes, diffs: d.bytes, fills: f.bytes } });
        continue;
      }
      const lacking = NAMES.filter((n) => !this.queues[n].has(e));
      const movedOn = lacking.filter((n) => this.maxSeen[n] >= e + this.reorderWindow);
      if (movedOn.length === 0) {
        this.watch(e);
        return;
      }
      this.declare(
        e,
        movedOn,
        `block ${e} is missing from ${movedOn.map((n) => STREAMS[n].dir).join(', ')} (already at ${movedOn.map((n) => this.maxSeen[n]).join(', ')})`,
      );
    }
  }

  /** Give up on height `e`: drop what is below it, report the gap, go on with what follows. */
  private declare(e: number, streams: StreamName[], message: string): void {
    this.unwatch();
    for (const n of NAMES) this.dropBelow(n, e + 1);
    this.expected = undefined;
    this.out.gap({ height: e, reason: 'missing', streams, error: new HlobError(ErrorCodes.HEIGHT_GAP, message) });
  }

  /** Waiting for `e`: once every stream has moved past it, start the time bound. */
  private watch(e: number): void {
    if (this.overdue?.height === e) return;
    this.unwatch();
    if (this.gapAfterMs <= 0 || !NAMES.every((n) => this.maxSeen[n] > e)) return;
    const since = this.clock.now();
    this.overdue = { height: e, since, timer: this.clock.setTimeout(() => this.onOverdue(e), this.gapAfterMs) };
  }

  private unwatch(): void {
    if (this.overdue === undefined) return;
    if (this.overdue.timer !== undefined) this.clock.clearTimeout(this.overdue.timer);
    this.overdue = undefined;
  }

  private onOverdue(e: number): void {
    const o = this.overdue;
    if (o === undefined || o.height !== e || this.expected !== e) return;
    o.timer = undefined;
    const check = (): void => {
      if (this.overdue !== o || this.expected !== e) return; // joined (the late line came) or reset meanwhile
      const waited = this.clock.now() - o.since;
      const lacking = NAMES.filter((n) => !this.queues[n].has(e));
      this.declare(
        e,
        lacking,
        `block ${e} is missing from ${lacking.map((n) => STREAMS[n].dir).join(', ')}: every stream moved past it ${Math.round(waited)} ms ago (already at ${lacking.map((n) => this.maxSeen[n]).join(', ')})`,
      );
      this.drain();
    };
    if (this.confirmGap === undefined) {
      check();
      return;
    }
    this.confirmGap().then(check, check);
  }

  /** Start joining at the first height every stream can still deliver. False while a stream has nothing. */
  private align(): boolean {
    let start = -1;
    for (const n of NAMES) {
      const q = this.queues[n];
      if (q.size === 0) return false;
      let min = Infinity;
      for (const h of q.keys()) if (h < min) min = h;
      if (min > start) start = min;
    }
    for (const n of NAMES) this.dropBelow(n, start);
    this.expected = start;
    return true;
  }

  private dropBelow(n: StreamName, h: number): void {
    const q = this.queues[n] as Map<number, Pending<unknown>>;
    for (const [k, p] of q) {
      if (k < h) {
        q.delete(k);
        this.bufferedBytes -= p.bytes;
      }
    }
  }

  private overflow(): void {
    const e = this.expected ?? Math.min(...NAMES.map((n) => this.maxSeen[n]));
    const behind = NAMES.filter((n) => !this.queues[n].has(e));
    const sizes = NAMES.map((n) => `${STREAMS[n].dir}: ${this.queues[n].size} lines`).join(', ');
    const error = new HlobError(
      ErrorCodes.BUFFER_FULL,
      `waiting for block ${e} from ${behind.map((n) => STREAMS[n].dir).join(', ') || 'no stream'} while the others ran ahead (${sizes}, ${this.bufferedBytes} bytes): buffers dropped`,
    );
    this.reset();
    this.out.gap({ height: e, reason: 'overflow', streams: behind, error });
  }
}
