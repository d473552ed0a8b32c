/**
 * `BlockSource`: where the feed (`src/state/node-feed.ts`) gets its blocks. The one contract
 * between reading a node's output and keeping books: the node's files (`FileBlockSource`,
 * `file-source.ts`, either layout) implement it today; a NATS edge (issue #18) will too.
 *
 * A source announces each joined block once (`block`), in strictly increasing heights, and
 * says when heights are lost (`gap`: the feed rebuilds every coin from a snapshot; after a gap
 * the next block may be any height above it). It never steps over a missing height silently.
 */
import type { Block, BookDiffEvent } from '../book/events.js';
import type { HlobError } from '../errors.js';
import type { Gap, JoinedBlock } from './joiner.js';
import type { NodeLayout } from './layout.js';
import type { LinePosition } from './tailer.js';

/**
 * Diff lines of the block still being read (streaming layout only): the diffs `from`..`from +
 * diffs.length` of block `height`, in node order, known before the block is complete. Not
 * applied to any book: the books stay at block boundaries; the server shows them as an
 * overlay (`--book-updates intra-block`). The whole block still comes as `block`.
 * In-process only (it holds the parsed events).
 */
export interface PartialBlock {
  height: number;
  /** The block's time (ms), from the line's envelope. */
  time: number;
  /** Index in the block's diffs of the first one here (0: the block's first diffs). */
  from: number;
  diffs: readonly BookDiffEvent[];
}

export interface BlockSourceEventMap {
  /** A whole block, the next height after the last one (or, after a `gap` or at start, any height). */
  block: [joined: JoinedBlock];
  /**
   * Optional (streaming layout): diffs of the next block, as they are read, before it closes.
   * Only for the block that follows the last `block` emitted, each diff once, in order.
   */
  partial: [partial: PartialBlock];
  /** Heights that will never come: everything after them needs a fresh snapshot. */
  gap: [gap: Gap];
  /** An input record that did not parse as a block (already logged and counted); where it was. */
  skipped: [err: HlobError, at: LinePosition];
  /** What the source waits for before it can deliver anything (missing directories, a server…). */
  waiting: [what: string[]];
}

export interface BlockSource {
  on<K extends keyof BlockSourceEventMap>(event: K, listener: (...args: BlockSourceEventMap[K]) => void): this;
  off<K extends keyof BlockSourceEventMap>(event: K, listener: (...args: BlockSourceEventMap[K]) => void): this;
  /** Begin delivering. Rejects with a coded error when the source cannot be used (and is not told to wait). */
  start(): Promise<void>;
  /** Stop delivering; resolves once nothing more will be emitted. */
  stop(): Promise<void>;
  /** Resolves once everything available so far has been delivered (tests, benchmarks). */
  settle?(): Promise<void>;
  /** Look for new input now (a writer in this process knows when it wrote). */
  wake?(): void;
  /**
   * Blocks `from`..`to` again, in order, when the source still holds them (the node's hourly
   * files do): a snapshot older than the first block delivered is caught up from them instead
   * of asking the node for another. Throws a coded error naming the first height it lacks.
   */
  readRange?(from: number, to: number, signal?: AbortSignal): AsyncIterable<Block>;
  /** The node's output layout being read, once known (reported by `/health`). */
  readonly layout?: NodeLayout | undefined;
}
