/**
 * `StreamJoiner`: blocks assembled from the node's `_streaming` lines (`--stream-with-block-info`),
 * where each line carries one event and the block envelope, and nothing marks a block's end.
 *
 * The node processes blocks one after the other: once any stream shows a line of a later
 * height, the block is fully written, in every stream. A block therefore closes when every
 * stream has moved past its height, or `blockCloseMs` after the first stream did (the time
 * the other streams' readers get to read what the node wrote before; a stream with nothing
 * in the block, usually fills, never moves past it by itself).
 *
 * The last block before the node pauses (or stops: the end of a replay) has no later line to
 * close it: once no line came for `blockIdleMs` and every stream has read all that is written,
 * it closes too (a node writes one block's lines within a few ms, so a quiet that long means
 * the block is whole; were a line of it to come after all, that is a gap as below).
 *
 * A height with no line in any stream is an empty block (the node writes nothing for it in
 * this layout; its time is taken as the previous block's). More than `maxEmptyRun` heights
 * in a row without a line is a gap, as is a line of a block already closed (it came later
 * than `blockCloseMs` allowed): both are reported, never stepped over, so the feed resyncs.
 * The two halves of a fill may land on separate lines: both are in the closed block, so the
 * trade comes out whole, once.
 */
import { ErrorCodes, HlobError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import type { PartialBlock } from './block-source.js';
import { realClock, type Joiner, type JoinerClock, type JoinerOutput } from './joiner.js';
import type { StreamEvents } from './parse.js';
import { STREAMING_DIRS } from './format.js';
import { blockTimeMs } from './parse.js';
import type { Block, BlockEnvelope, StreamName } from './types.js';

export interface StreamJoinerOptions {
  /** After the first stream moves past a block, wait this long for the others, ms. Default 5 (see docs/server.md). */
  blockCloseMs?: number;
  /**
   * No line at all for this long while a block is open, and every stream has read all that is
   * written: close it (the last block before a pause has nothing after it). Default 500 ms
   * (several polls of the files; blocks follow each other every ~70 ms on mainnet). 0: never.
   */
  blockIdleMs?: number;
  /** Clock and timers for `blockIdleMs` (tests pass a fake). Default the real ones. */
  clock?: JoinerClock;
  /**
   * Join nothing until `begin()`: the source first lets every stream read what is already
   * written. Otherwise a small file read whole (fills) would fix the first height before a
   * big one read from near its end (statuses) showed that it lacks the lines below its start,
   * and those blocks would come out without them. Default false.
   */
  held?: boolean;
  /** Heights in a row with no line in any stream before it counts as a gap. Default 64. */
  maxEmptyRun?: number;
  /** Line bytes buffered before giving up. Default 256 MiB. */
  maxBufferedBytes?: number;
  /**
   * Before a block closes on the bound, also wait for this: the source makes the streams that
   * did not move past it read everything written so far (a reader that has not even found a
   * new hourly file yet would otherwise lose the block's last lines). Default: nothing.
   */
  confirm?: (streams: StreamName[]) => Promise<void>;
  /**
   * The diffs of the next block to close, as their lines are read (each once, in node order;
   * those read before the block became the next one come when it does). Default: none.
   */
  partial?: (p: PartialBlock) => void;
}

const NAMES: readonly StreamName[] = ['statuses', 'diffs', 'fills'];

export { STREAMING_DIRS } from './format.js';

interface Building {
  block: Block;
  lineBytes: Record<StreamName, number>;
  /** Diffs already handed to `partial`. */
  announced: number;
}

export class StreamJoiner implements Joiner {
  private readonly blockCloseMs: number;
  private readonly maxEmptyRun: number;
  private readonly maxBufferedBytes: number;
  private readonly confirm: ((streams: StreamName[]) => Promise<void>) | undefined;
  private readonly partial: ((p: PartialBlock) => void) | undefined;
  private readonly building = new Map<number, Building>();
  private readonly maxSeen: Record<StreamName, number> = { statuses: -1, diffs: -1, fills: -1 };
  private readonly firstSeen: Partial<Record<StreamName, number>> = {};
  /** Streams read from the start of their file (their first height is whole). */
  private readonly whole = new Set<StreamName>();
  private next: number | undefined;
  private lastTime = 0;
  private bufferedBytes = 0;
  /** The height whose close timer runs, and when it fires. */
  private timer: NodeJS.Timeout | undefined;
  private timerFor: number | undefined;
  private expired: number | undefined;
  private armed = 0;
  private readonly blockIdleMs: number;
  private readonly clock: JoinerClock;
  /** Lines pushed so far: the idle check sees whether any came while it waited. */
  private pushes = 0;
  /** The open block the idle check watches, and its timer. */
  private idle: { height: number; pushes: number; timer: TimerHandle | undefined } | undefined;
  private held: boolean;

  constructor(
    private readonly out: JoinerOutput,
    opts: StreamJoinerOptions = {},
  ) {
    this.blockCloseMs = opts.blockCloseMs ?? 5;
    this.blockIdleMs = opts.blockIdleMs ?? 500;
    this.clock = opts.clock ?? realClock;
    this.held = opts.held ?? false;
    this.maxEmptyRun = opts.maxEmptyRun ?? 64;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.confirm = opts.confirm;
    this.partial = opts.partial;
  }

  /** The next height to close, if known. */
  get nextHeight(): number | undefined {
    return this.next;
  }

  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Every stream has read what was written before it started: join from here (see `held`). */
  begin(): void {
    if (!this.held) return;
    this.held = false;
    this.drain();
  }

  /** `stream` is read from the start of a file: its first height is complete. */
  markWhole(stream: StreamName): void {
    this.whole.add(stream);
  }

  push<S extends StreamName>(stream: S, env: BlockEnvelope<StreamEvents[S]>, bytes: number): void {
    const h = env.block_number;
    this.pushes++;
    if (this.next !== undefined && h < this.next) {
      if (env.events.length === 0) {
        this.out.dropped?.(stream, h);
        return;
      }
      const error = new HlobError(
        ErrorCodes.HEIGHT_GAP,
        `a line of block ${h} in ${STREAMING_DIRS[stream]} came after the block was closed (${this.blockCloseMs} ms after another stream moved past it, or ${this.blockIdleMs} ms without a line): raise --block-close-ms`,
      );
      this.reset();
      this.out.gap({ height: h, reason: 'missing', streams: [stream], error });
      return;
    }
    this.firstSeen[stream] ??= h;
    let b = this.building.get(h);
    if (b === undefined) {
      b = {
        block: { height: h, time: blockTimeMs(env.block_time), statuses: [], diffs: [], fills: [] },
        lineBytes: { statuses: 0, diffs: 0, fills: 0 },
        announced: 0,
      };
      this.building.set(h, b);
    }
    const list = b.block[stream] as StreamEvents[S][];
    for (const e of env.events) list.push(e);
    b.lineBytes[stream] += bytes;
    this.bufferedBytes += bytes;
    if (h > this.maxSeen[stream]) this.maxSeen[stream] = h;
    this.drain();
    if (this.bufferedBytes > this.maxBufferedBytes) this.overflow();
  }

  /** Forget everything buffered (a resync starts over from whatever comes next). */
  reset(): void {
    this.building.clear();
    this.bufferedBytes = 0;
    this.next = undefined;
    for (const s of NAMES) delete this.firstSeen[s];
    this.clearTimer();
    this.unwatchIdle();
    this.expired = undefined;
  }

  /** Stop the close and idle timers (the source stops). */
  close(): void {
    this.clearTimer();
    this.unwatchIdle();
  }

  private drain(): void {
    this.closeReady();
    if (this.partial !== undefined) this.announce();
  }

  /** The next block's diffs not yet handed to `partial` (the books are at the block before it once the feed applied that). */
  private announce(): void {
    const n = this.next;
    if (n === undefined || this.held) return;
    const b = this.building.get(n);
    if (b === undefined) return;
    const diffs = b.block.diffs;
    if (diffs.length <= b.announced) return;
    const from = b.announced;
    b.announced = diffs.length;
    this.partial!({ height: n, time: b.block.time, from, diffs: diffs.slice(from) });
  }

  private closeReady(): void {
    for (;;) {
      if (this.next === undefined && !this.align()) return;
      const n = this.next!;
      let past = 0;
      for (const s of NAMES) if (this.maxSeen[s] > n) past++;
      if (past === 0) {
        if (this.building.has(n) && this.expired !== n) {
          this.watchIdle(n);
          return;
        }
        if (this.expired !== n) return;
      }
      if (past < NAMES.length && this.expired !== n && (this.blockCloseMs > 0 || this.confirm !== undefined)) {
        this.arm(
          n,
          NAMES.filter((s) => this.maxSeen[s] <= n),
        );
        return;
      }
      if (!this.building.has(n)) {
        let later = Infinity;
        for (const k of this.building.keys()) if (k > n && k < later) later = k;
        if (later - n > this.maxEmptyRun) {
          const error = new HlobError(
            ErrorCodes.HEIGHT_GAP,
            `no line for blocks ${n}..${later === Infinity ? '?' : later - 1} in any streaming file (more than ${this.maxEmptyRun} heights in a row)`,
          );
          this.reset();
          this.out.gap({ height: n, reason: 'missing', streams: [...NAMES], error });
          return;
        }
      }
      this.closeBlock(n);
    }
  }

  /** The first height to close: the latest first height of the streams seen so far (plus one unless read from a file's start). */
  private align(): boolean {
    if (this.held) return false;
    let start = -1;
    for (const s of NAMES) {
      const f = this.firstSeen[s];
      if (f === undefined) continue;
      const from = this.whole.has(s) ? f : f + 1;
      if (from > start) start = from;
    }
    if (start < 0) return false;
    for (const [k, b] of this.building) {
      if (k < start) {
        this.building.delete(k);
        this.bufferedBytes -= b.lineBytes.statuses + b.lineBytes.diffs + b.lineBytes.fills;
      }
    }
    this.next = start;
    return true;
  }

  private closeBlock(n: number): void {
    const b = this.building.get(n);
    this.building.delete(n);
    this.next = n + 1;
    if (this.timerFor === n) this.clearTimer();
    if (this.idle?.height === n) this.unwatchIdle();
    this.expired = undefined;
    if (b === undefined) {
      this.out.block({
        block: { height: n, time: this.lastTime, statuses: [], diffs: [], fills: [] },
        bytes: 0,
        lineBytes: { statuses: 0, diffs: 0, fills: 0 },
      });
      return;
    }
    const bytes = b.lineBytes.statuses + b.lineBytes.diffs + b.lineBytes.fills;
    this.bufferedBytes -= bytes;
    this.lastTime = b.block.time;
    this.out.block({ block: b.block, bytes, lineBytes: b.lineBytes });
  }

  /** Close `n` once `blockCloseMs` passed and the quiet streams confirmed they read all there is. */
  private arm(n: number, quiet: StreamName[]): void {
    if (this.timerFor === n) return;
    this.clearTimer();
    this.timerFor = n;
    const generation = ++this.armed;
    const timed = new Promise<void>((resolve) => {
      this.timer = setTimeout(resolve, this.blockCloseMs);
    });
    const confirmed = this.confirm === undefined ? Promise.resolve() : this.confirm(quiet).catch(() => undefined);
    void Promise.all([timed, confirmed]).then(() => {
      if (generation !== this.armed || this.next !== n) return;
      this.timer = undefined;
      this.timerFor = undefined;
      this.expired = n;
      this.drain();
    });
  }

  private clearTimer(): void {
    // A pending close of an older arming must not fire: its generation is stale.
    this.armed++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerFor = undefined;
  }

  /**
   * `n` is open and no stream is past it: close it once no line came for `blockIdleMs` (timer
   * re-armed while lines keep coming) and every stream read all that is written meanwhile.
   */
  private watchIdle(n: number): void {
    if (this.blockIdleMs <= 0 || this.idle?.height === n) return;
    this.unwatchIdle();
    const w: { height: number; pushes: number; timer: TimerHandle | undefined } = { height: n, pushes: this.pushes, timer: undefined };
    const check = (): void => {
      if (this.idle !== w || this.next !== n) return;
      if (this.pushes !== w.pushes) {
        w.pushes = this.pushes;
        w.timer = this.clock.setTimeout(check, this.blockIdleMs);
        return;
      }
      w.timer = undefined;
      const close = (): void => {
        // A line came while the streams were read again: it may belong to `n`; wait on.
        if (this.idle !== w || this.next !== n) return;
        if (this.pushes !== w.pushes) {
          w.pushes = this.pushes;
          w.timer = this.clock.setTimeout(check, this.blockIdleMs);
          return;
        }
        this.idle = undefined;
        this.expired = n;
        this.drain();
      };
      if (this.confirm === undefined) close();
      else this.confirm([...NAMES]).then(close, close);
    };
    w.timer = this.clock.setTimeout(check, this.blockIdleMs);
    this.idle = w;
  }

  private unwatchIdle(): void {
    if (this.idle === undefined) return;
    if (this.idle.timer !== undefined) this.clock.clearTimeout(this.idle.timer);
    this.idle = undefined;
  }

  private overflow(): void {
    const e = this.next ?? -1;
    const error = new HlobError(
      ErrorCodes.BUFFER_FULL,
      `streaming lines buffered past ${this.maxBufferedBytes} bytes waiting for block ${e} to close: buffers dropped`,
    );
    this.reset();
    this.out.gap({ height: e, reason: 'overflow', streams: [...NAMES], error });
  }
}
