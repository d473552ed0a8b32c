/**
 * Bringing books loaded from a snapshot up to a later height: with blocks cached while the
 * snapshot loaded (`replayCache`), and before those with blocks read back from the block
 * source (`catchUpFromSource`). Shared by the full install, the per-coin repairs and the
 * validator. Both yield to the event loop every `sliceMs`, so serving never freezes.
 */
import { performance } from 'node:perf_hooks';
import type { Books } from '../book/books.js';
import type { Block } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import type { BlockSource } from '../node/block-source.js';
import type { Logger } from '../node/logger.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { BlockCache } from './block-cache.js';
import { loadBooks, type LoadedBooks } from './load-books.js';

/** The books could not be brought up to date from this snapshot; try another. */
export class Unusable extends HlobError {
  constructor(
    message: string,
    /** The snapshot's height, once known. */
    readonly snapshotHeight?: number,
  ) {
    super(ErrorCodes.BAD_SNAPSHOT, message);
  }
}

/** A height reached while catching up, and its block time when a block showed it. */
export interface Reached {
  height: number;
  time: number | undefined;
}

/** What catching up needs of the feed. */
export interface CatchUpContext {
  /** Work at most this long before yielding, ms. */
  sliceMs: number;
  /** The feed's: aborted when it stops. */
  signal: AbortSignal;
  logger: Logger;
  /** Where blocks before the cached ones are read back from. */
  source: Pick<BlockSource, 'readRange'>;
  /** What that source reads, for messages: "the node's files" (default), "the NATS block log". */
  sourceName?: string;
}

export const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Books of every coin of `file` (only `coins` when given), built without stalling the loop. */
export function loadSnapshot(ctx: CatchUpContext, file: SnapshotFile, coins?: ReadonlySet<string>): Promise<LoadedBooks> {
  return loadBooks(file.path, { coins, sliceMs: ctx.sliceMs, signal: ctx.signal });
}

/**
 * Replay `cache` on `books` (at `from`) until the cache is empty, yielding now and then;
 * blocks arriving meanwhile are cached and replayed too. Returns the height reached and
 * its block time when a cached block showed it.
 */
export async function replayCache(
  ctx: CatchUpContext,
  books: Books,
  from: number,
  cache: BlockCache,
  only?: ReadonlySet<string>,
  fromTime?: number,
): Promise<Reached> {
  let h = from;
  let time = fromTime;
  let t0 = performance.now();
  for (let b: Block | undefined; (b = cache.shift()) !== undefined;) {
    if (b.height <= h) {
      if (b.height === h) time = b.time;
      continue;
    }
    if (b.height !== h + 1) throw new Unusable(`block ${h + 1} is not cached (next cached: ${b.height})`);
    const change = books.applyBlock(b, only === undefined ? undefined : { only });
    if (change.desyncs.length > 0) throw new Unusable(`replaying on the snapshot: ${change.desyncs[0]!.message}`);
    h = b.height;
    time = b.time;
    if (performance.now() - t0 >= ctx.sliceMs) {
      await yieldToLoop();
      ctx.signal.throwIfAborted();
      t0 = performance.now();
    }
  }
  return { height: h, time };
}

/**
 * Bring `books` (at `from`) up to `to` with blocks read back from the source (the node's
 * files in the layout being read, by-block or streaming: this hour's and the previous
 * hour's): a snapshot older than the first cached block is caught up from them instead of
 * asking the node for another. `Unusable` when the source
 * cannot read back, no longer holds a height, or a block does not apply.
 */
export async function catchUpFromSource(ctx: CatchUpContext, books: Books, from: number, to: number, only?: ReadonlySet<string>): Promise<Reached> {
  const t0 = performance.now();
  const name = ctx.sourceName ?? "the node's files";
  let reached: Reached = { height: from, time: undefined };
  let slice = performance.now();
  const readRange = ctx.source.readRange;
  if (readRange === undefined) throw new Unusable(`the block source cannot read back blocks ${from + 1}..${to} to catch the snapshot at ${from} up`);
  try {
    for await (const b of readRange.call(ctx.source, from + 1, to, ctx.signal)) {
      const change = books.applyBlock(b, only === undefined ? undefined : { only });
      if (change.desyncs.length > 0) throw new Unusable(`catching up from ${name}: ${change.desyncs[0]!.message}`);
      reached = { height: b.height, time: b.time };
      metrics.fileCatchUpBlocks.inc();
      if (performance.now() - slice >= ctx.sliceMs) {
        await yieldToLoop();
        slice = performance.now();
      }
    }
  } catch (err) {
    if (err instanceof Unusable || ctx.signal.aborted) throw err;
    throw new Unusable(`${name} cannot catch the snapshot at ${from} up to ${to}: ${(err as Error).message}`);
  }
  ctx.logger.info(
    { from: from + 1, to, coins: only === undefined ? 'all' : [...only], ms: Math.round(performance.now() - t0) },
    `caught up blocks ${from + 1}..${to} from ${name}`,
  );
  return reached;
}
