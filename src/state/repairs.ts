/**
 * Per-coin repairs (the feed `degraded`): a coin whose diffs could not apply stops being
 * applied; its blocks from then on are cached, cut to that coin; a snapshot rebuilds its book,
 * which is caught up from the cache and swapped in once at the live height (or kept aside
 * until the live height reaches it, when the snapshot was ahead). The other coins keep flowing.
 */
import { Books } from '../book/books.js';
import { OrderBook } from '../book/order-book.js';
import type { HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import type { JoinedBlock } from '../node/joiner.js';
import type { SnapshotFile } from '../node/snapshot.js';
import { BlockCache, compactBlock } from './block-cache.js';
import { catchUpFromSource, loadSnapshot, replayCache, Unusable, type CatchUpContext } from './catch-up.js';

/** One coin waiting for a snapshot. */
interface Repair {
  coin: string;
  /** The first height its book lacks (the block whose diff could not apply). */
  since: number;
  /** Its blocks from `since` on, cut to this coin. */
  cache: BlockCache;
  /** A rebuilt book ahead of the live height, swapped in when the live height reaches `readyAt`. */
  book?: OrderBook;
  readyAt?: number;
}

/** What the repairs need of the feed. */
export interface RepairHost {
  /** The live books. */
  readonly books: Books;
  /** False while every coin is being rebuilt (`starting`, `resyncing`): repairs wait for that. */
  live(): boolean;
  /** `coin` started (true) or ended (false) repairing: repaired, or dropped for a full resync. */
  changed(coin: string, repairing: boolean): void;
  /** `coin`'s rebuilt book is live (after `changed(coin, false)`). */
  repaired(coin: string): void;
}

export class CoinRepairs {
  private readonly repairs = new Map<string, Repair>();

  constructor(
    private readonly ctx: CatchUpContext,
    private readonly host: RepairHost,
    private readonly maxCachedBytes: number,
  ) {}

  get size(): number {
    return this.repairs.size;
  }

  /** The coins being repaired. */
  coins(): string[] {
    return [...this.repairs.keys()];
  }

  has(coin: string): boolean {
    return this.repairs.has(coin);
  }

  /** The coins live blocks must leave alone, if any. */
  skipSet(): ReadonlySet<string> | undefined {
    if (this.repairs.size === 0) return undefined;
    return new Set(this.repairs.keys());
  }

  /** Some coin still waits for a snapshot (not one rebuilt and waiting for the live height). */
  needsSnapshot(): boolean {
    for (const r of this.repairs.values()) if (r.book === undefined) return true;
    return false;
  }

  /** `coin`'s diffs in block `jb` (at `height`) could not apply: repair it from a snapshot. */
  start(coin: string, height: number, jb: JoinedBlock, err: HlobError): void {
    this.ctx.logger.warn({ err, coin, height }, `repairing ${coin}: ${err.message}`);
    metrics.desyncs.inc();
    metrics.resyncs.inc({ kind: 'coin' });
    const cache = new BlockCache(this.maxCachedBytes);
    cache.push(compactBlock(jb, new Set([coin])));
    this.repairs.set(coin, { coin, since: height, cache });
    this.host.changed(coin, true);
  }

  /** A live block was applied: cache it for each coin still waiting. */
  cache(jb: JoinedBlock): void {
    for (const r of this.repairs.values()) {
      if (r.book === undefined) r.cache.push(compactBlock(jb, new Set([r.coin])));
    }
  }

  /** The live books reached `height`: rebuilt books that were ahead of the files rejoin now. */
  rejoin(height: number): void {
    for (const r of [...this.repairs.values()]) {
      if (r.book !== undefined && r.readyAt === height) this.finish(r, r.book);
    }
  }

  /** Every coin is rebuilt instead (a resync): these repairs end unfinished. */
  clear(): void {
    const coins = [...this.repairs.keys()];
    this.repairs.clear();
    for (const coin of coins) this.host.changed(coin, false);
  }

  /** Rebuild the coins waiting from `file`; false when some could not be (ask another snapshot). */
  async install(file: SnapshotFile): Promise<boolean> {
    const coins = new Set([...this.repairs.values()].filter((r) => r.book === undefined).map((r) => r.coin));
    if (coins.size === 0) return true;
    const loaded = await loadSnapshot(this.ctx, file, coins);
    let allDone = true;
    for (const coin of coins) {
      const r = this.repairs.get(coin);
      if (r === undefined || r.book !== undefined || !this.host.live()) continue;
      if (!(await this.rebuild(r, loaded.books.get(coin) ?? new OrderBook(coin), loaded.height))) allDone = false;
    }
    return allDone;
  }

  /** Catch `book` (at snapshot height `s`) up to the live height and swap it in, or keep it aside when ahead. */
  private async rebuild(r: Repair, book: OrderBook, s: number): Promise<boolean> {
    const coin = r.coin;
    const staging = new Books(s);
    staging.setBook(coin, book);
    const only = new Set([coin]);
    let h: number;
    try {
      // A snapshot older than the desync: the blocks in between from the node's files.
      const from = r.since > s + 1 ? (await catchUpFromSource(this.ctx, staging, s, r.since - 1, only)).height : s;
      h = (await replayCache(this.ctx, staging, from, r.cache, only)).height;
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
      this.ctx.logger.warn({ coin, snapshot: s }, `snapshot at ${s} not usable for ${coin}: ${err.message}`);
      return false;
    }
    if (this.repairs.get(coin) !== r) return true; // a resync replaced everything meanwhile
    const live = this.host.books.height;
    if (h === live) this.finish(r, book);
    else if (h > live) {
      r.book = book;
      r.readyAt = h;
    } else {
      this.ctx.logger.warn({ coin, reached: h, live }, `${coin}'s cached blocks do not reach the live height`);
      return false;
    }
    return true;
  }

  private finish(r: Repair, book: OrderBook): void {
    this.host.books.setBook(r.coin, book);
    this.repairs.delete(r.coin);
    this.ctx.logger.info({ coin: r.coin, height: this.host.books.height }, `repaired ${r.coin}`);
    this.host.changed(r.coin, false);
    this.host.repaired(r.coin);
  }
}
