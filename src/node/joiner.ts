/**
 * `BlockJoiner`: joins the three streams' lines of one height into one `Block`, in strictly
 * increasing heights. In by-block mode every block has a line in each stream (even with no
 * events), so a height that one stream skipped is a gap: reported, never stepped over
 * silently. Streams may run ahead of each other up to a bound; past it, a clear error.
 */
import { EventEmitter } from 'node:events';
import { ErrorCodes, HlobError } from '../errors.js';
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

export interface BlockJoinerEventMap {
  block: [joined: JoinedBlock];
  gap: [gap: Gap];
  /** A line at or below a height already joined or given up (a duplicate, or too late). */
  dropped: [stream: StreamName, height: number];
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
}

const NAMES = Object.keys(STREAMS) as StreamName[];

interface Pending<E> {
  env: BlockEnvelope<E>;
  bytes: number;
}

type Queues = { [S in StreamName]: Map<number, Pending<StreamEvents[S]>> };

export class BlockJoiner extends EventEmitter<BlockJoinerEventMap> {
  private readonly reorderWindow: number;
  private readonly maxBufferedBytes: number;
  private readonly maxBufferedBlocks: number;
  private readonly queues: Queues = { statuses: new Map(), diffs: new Map(), fills: new Map() };
  private readonly maxSeen: Record<StreamName, number> = { statuses: -1, diffs: -1, fills: -1 };
  /** The next height to join; undefined until every stream has delivered a line (and after a drop). */
  private expected: number | undefined;
  private bufferedBytes = 0;

  constructor(opts: BlockJoinerOptions = {}) {
    super();
    this.reorderWindow = opts.reorderWindow ?? 8;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.maxBufferedBlocks = opts.maxBufferedBlocks ?? 10_000;
  }

  /** The next height to join, if known. */
  get next(): number | undefined {
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
      this.emit('dropped', stream, h);
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
        const block: Block = { height: e, time: blockTimeMs(s.env.block_time), statuses: s.env.events, diffs: d.env.events, fills: f.env.events };
        this.emit('block', { block, bytes: s.bytes + d.bytes + f.bytes, lineBytes: { statuses: s.bytes, diffs: d.bytes, fills: f.bytes } });
        continue;
      }
      const lacking = NAMES.filter((n) => !this.queues[n].has(e));
      const movedOn = lacking.filter((n) => this.maxSeen[n] >= e + this.reorderWindow);
      if (movedOn.length === 0) return;
      for (const n of NAMES) this.dropBelow(n, e + 1);
      this.expected = undefined;
      const error = new HlobError(
        ErrorCodes.HEIGHT_GAP,
        `block ${e} is missing from ${movedOn.map((n) => STREAMS[n].dir).join(', ')} (already at ${movedOn.map((n) => this.maxSeen[n]).join(', ')})`,
      );
      this.emit('gap', { height: e, reason: 'missing', streams: movedOn, error });
    }
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
    this.emit('gap', { height: e, reason: 'overflow', streams: behind, error });
  }
}
