/**
 * The validator (`validateEveryMs`): a fresh snapshot is loaded off to the side, caught up to
 * the live height with the blocks cached meanwhile, kept in step with each live block, and
 * compared with the live books coin by coin (yielding between coins). A coin that differs
 * takes the copy's book (the copy is right and at the live height) and is announced reset.
 */
import { performance } from 'node:perf_hooks';
import { Books } from '../book/books.js';
import { OrderBook } from '../book/order-book.js';
import { metrics } from '../metrics.js';
import type { JoinedBlock } from '../node/joiner.js';
import type { SnapshotFile } from '../node/snapshot.js';
import { BlockCache, compactBlock } from './block-cache.js';
import { loadSnapshot, replayCache, yieldToLoop, type CatchUpContext } from './catch-up.js';
import type { LoadedBooks } from './load-books.js';

/** A fresh snapshot kept in step with the live books until every coin has been compared. */
interface Validation {
  books: Books | undefined;
  cache: BlockCache;
}

/** What the validator needs of the feed. */
export interface ValidatorHost {
  /** The live books. */
  readonly books: Books;
  /** Coins being repaired are not compared (their books are not live). */
  repairing(coin: string): boolean;
  /** `coin`'s live book was replaced by the fresh copy's. */
  replaced(coin: string): void;
  fetchSnapshot(signal: AbortSignal): Promise<SnapshotFile>;
}

export class Validator {
  private validation: Validation | undefined;
  private job: Promise<void> | undefined;

  constructor(
    private readonly ctx: CatchUpContext,
    private readonly host: ValidatorHost,
    private readonly maxCachedBytes: number,
  ) {}

  /** A validation runs (its job, from the snapshot request to the last comparison). */
  get running(): boolean {
    return this.job !== undefined;
  }

  /** Start one validation unless one runs. */
  start(): void {
    if (this.job !== undefined) return;
    const v: Validation = { books: undefined, cache: new BlockCache(this.maxCachedBytes) };
    this.validation = v;
    this.job = this.validate(v)
      .catch((err: unknown) => {
        if (!this.ctx.signal.aborted) this.ctx.logger.warn({ err }, `validation against a snapshot failed: ${(err as Error).message}`);
      })
      .finally(() => {
        if (this.validation === v) this.validation = undefined;
        this.job = undefined;
      });
  }

  /** The books are rebuilt (a resync): a comparison under way would mean nothing. */
  drop(): void {
    this.validation = undefined;
  }

  /** Resolves once a validation under way has ended (the feed stops). */
  async stop(): Promise<void> {
    await this.job?.catch(() => undefined);
  }

  /** Each live block, after it was applied: cache it, or apply it to the caught-up copy. */
  step(jb: JoinedBlock): void {
    const v = this.validation;
    if (v === undefined) return;
    if (v.books === undefined) {
      v.cache.push(compactBlock(jb));
      return;
    }
    const change = v.books.applyBlock(jb.block);
    if (change.desyncs.length > 0) {
      // The copy cannot follow: the comparison would mean nothing.
      this.ctx.logger.warn({ err: change.desyncs[0] }, 'validation copy desynced; comparison dropped');
      this.validation = undefined;
    }
  }

  private async validate(v: Validation): Promise<void> {
    const file = await this.host.fetchSnapshot(this.ctx.signal);
    let loaded: LoadedBooks;
    try {
      loaded = await loadSnapshot(this.ctx, file);
    } finally {
      await file.remove().catch(() => undefined);
    }
    if (this.validation !== v) return;
    const staging = await this.catchUp(v, loaded);
    if (staging === undefined || this.validation !== v) return;
    // From here every live block is applied to the copy too (step), so the two stay in step.
    v.books = staging;
    const mismatched = await this.compare(v, staging);
    if (mismatched === undefined) return;
    if (this.validation === v) this.validation = undefined;
    this.ctx.logger.info(
      { height: this.host.books.height, coins: new Set([...this.host.books.coins(), ...staging.coins()]).size, mismatched },
      'validated the books against a fresh snapshot',
    );
  }

  /** The loaded snapshot at the live height, or undefined when it cannot get there (skipped). */
  private async catchUp(v: Validation, loaded: LoadedBooks): Promise<Books | undefined> {
    const s = loaded.height;
    const live = this.host.books;
    const staging = new Books(s);
    for (const [coin, book] of loaded.books) staging.setBook(coin, book);
    if (s > live.height) {
      this.ctx.logger.info({ snapshot: s, live: live.height }, 'validation snapshot ahead of the files: skipped');
      return undefined;
    }
    const first = v.cache.first();
    if (first !== undefined && first > s + 1) {
      this.ctx.logger.info({ snapshot: s, firstCached: first }, 'validation snapshot older than the cached blocks: skipped');
      return undefined;
    }
    const h = (await replayCache(this.ctx, staging, s, v.cache)).height;
    return h === live.height ? staging : undefined;
  }

  /** Compare coin by coin, taking the copy's book where they differ; undefined when dropped meanwhile. */
  private async compare(v: Validation, staging: Books): Promise<string[] | undefined> {
    const live = this.host.books;
    const coins = new Set([...live.coins(), ...staging.coins()]);
    const mismatched: string[] = [];
    let t0 = performance.now();
    for (const coin of coins) {
      if (this.validation !== v) return undefined;
      if (this.host.repairing(coin)) continue;
      const diff = (live.book(coin) ?? new OrderBook(coin)).compareBook(staging.book(coin) ?? new OrderBook(coin));
      if (diff !== null) {
        this.ctx.logger.error({ coin, height: live.height, diff }, `validation: ${coin} differs from a fresh snapshot: ${diff}`);
        mismatched.push(coin);
        // The copy is right and at the live height: take its book.
        live.setBook(coin, staging.book(coin) ?? new OrderBook(coin));
        metrics.resyncs.inc({ kind: 'validate' });
        this.host.replaced(coin);
      }
      if (performance.now() - t0 >= this.ctx.sliceMs) {
        await yieldToLoop();
        t0 = performance.now();
      }
    }
    return mismatched;
  }
}
