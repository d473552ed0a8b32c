/**
 * Installing a snapshot for every coin (the feed `starting` or `resyncing`): the snapshot is
 * loaded into staging books off to the side, caught up (first the blocks before the first
 * cached one, read back from the source, then the cached ones), and only then swapped into
 * the live books, synchronously, so a reader never sees half of it.
 */
import { performance } from 'node:perf_hooks';
import { Books } from '../book/books.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { BlockCache } from './block-cache.js';
import { catchUpFromSource, loadSnapshot, replayCache, Unusable, type CatchUpContext, type Reached } from './catch-up.js';
import type { LoadedBooks } from './load-books.js';

/** A snapshot loaded and caught up, not yet live. */
export interface StagedBooks {
  books: Books;
  /** The snapshot's own height. */
  snapshotHeight: number;
  /** Where catching up got to (the staged books' height). */
  reached: Reached;
  loaded: LoadedBooks;
  /** Load and catch-up time, ms. */
  ms: number;
}

/**
 * Every coin of `file`, caught up through `cache` (blocks cached while it loaded; emptied).
 * Throws `Unusable` (with the snapshot's height) when the books cannot be brought up to date from this snapshot.
 */
export async function stageSnapshot(ctx: CatchUpContext, file: SnapshotFile, cache: BlockCache): Promise<StagedBooks> {
  const t0 = performance.now();
  const loaded = await loadSnapshot(ctx, file);
  const s = loaded.height;
  const books = new Books(s);
  for (const [coin, book] of loaded.books) books.setBook(coin, book);
  let reached: Reached;
  try {
    const first = cache.first();
    reached = first !== undefined && first > s + 1 ? await catchUpFromSource(ctx, books, s, first - 1) : { height: s, time: undefined };
    reached = await replayCache(ctx, books, reached.height, cache, undefined, reached.time);
  } catch (err) {
    throw err instanceof Unusable ? new Unusable(err.message, s) : err;
  }
  return { books, snapshotHeight: s, reached, loaded, ms: Math.round(performance.now() - t0) };
}

/** Make `live` hold exactly the staged books, at `height`. Synchronous: no reader sees a mix. */
export function swapIn(live: Books, staged: Books, height: number): void {
  for (const coin of [...live.coins()]) if (staged.book(coin) === undefined) live.deleteBook(coin);
  for (const coin of staged.coins()) live.setBook(coin, staged.book(coin)!);
  live.height = height;
}
