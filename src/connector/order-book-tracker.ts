/**
 * `OrderBookTracker`: keeps one book per pair from its data source's messages, with the
 * rules of Hummingbot's `order_book_tracker` in terms of block heights:
 *
 * - Until a book has its snapshot, diffs are kept (bounded) and replayed on top of it; those
 *   at or below the snapshot's height are dropped (already in it).
 * - A diff at or below the book's height is dropped (a duplicate or a late frame).
 * - A diff that does not apply (the book has diverged), a frame that does not parse, a
 *   connection loss, or — with `consecutiveHeights` — a skipped height: the book waits for a
 *   fresh snapshot (fetched by request, or the one the stream brings after a server resync
 *   or a re-subscribe), keeping later diffs meanwhile.
 * - `recheckMs` (the seed's "as a safeguard"): every so often a snapshot is fetched; at the
 *   book's height it is compared with the book (a difference is counted, reported and the
 *   snapshot taken), above it it replaces the book, below it it is stale and dropped.
 *
 * Heights of one pair's `l4Book` diffs are not consecutive (blocks without events of the
 * pair send nothing), which is why a gap is detected by the book (a diff that does not
 * apply) unless the source says its heights are consecutive.
 */
import type { BlockChange, Trade } from '../book/index.js';
import { Emitter, systemClock, silentLogger, type ClientLogger, type Clock, type TimerHandle } from '../client/index.js';
import { asError } from './errors.js';
import { untilEvent } from '../util/abort.js';
import type { DiffMessage, OrderBookMessage, SnapshotMessage } from './order-book-message.js';
import { L2PairBook, L4PairBook, type PairBook } from './order-book.js';
import type { OrderBookTrackerDataSource } from './order-book-tracker-data-source.js';

export interface OrderBookTrackerOptions {
  /** Timers and time. Default: the system clock. */
  clock?: Clock;
  logger?: ClientLogger;
  /** Diffs kept per pair while waiting for a snapshot. Default 10,000 (past it the oldest go: the snapshot covers them). */
  bufferBound?: number;
  /** Fetch a snapshot when the book has had none for this long after it started waiting, ms. Default 5,000. */
  snapshotWaitMs?: number;
  /** Compare the book with a fetched snapshot every this many ms; 0 = never. Default 0. */
  recheckMs?: number;
  /** The source sends a diff for every block, so a skipped height is a missed message. Default false. */
  consecutiveHeights?: boolean;
}

export interface BookChange {
  pair: string;
  kind: 'snapshot' | 'diff';
  height: number;
  time: number;
  /** The engine's change for a diff (L4): changed levels, statuses, bbo change. */
  block?: BlockChange;
}

export type OrderBookTrackerEvents = {
  change: [change: BookChange];
  trade: [pair: string, trade: Trade];
  /** The book stopped being trusted; a fresh snapshot is on its way. */
  resync: [pair: string, reason: string];
  /** A periodic re-check found the book different from the exchange's snapshot at the same height. */
  mismatch: [pair: string, difference: string];
};

export interface TrackerStats {
  /** Diffs dropped because they were at or below the book's height. */
  droppedOld: number;
  /** Diffs kept before a snapshot and applied after it. */
  replayed: number;
  resyncs: number;
  rechecks: number;
  mismatches: number;
}

interface Entry {
  pair: string;
  book: PairBook | undefined;
  synced: boolean;
  buffer: DiffMessage[];
  fetching: boolean;
  waitTimer: TimerHandle | undefined;
  recheckTimer: TimerHandle | undefined;
  stopped: boolean;
}

export class OrderBookTracker {
  readonly events: Emitter<OrderBookTrackerEvents>;
  readonly stats: TrackerStats = { droppedOld: 0, replayed: 0, resyncs: 0, rechecks: 0, mismatches: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly logger: ClientLogger;
  private readonly bufferBound: number;
  private readonly snapshotWaitMs: number;
  private readonly recheckMs: number;
  private readonly consecutive: boolean;
  private readonly offDisconnect: () => void;

  constructor(
    readonly dataSource: OrderBookTrackerDataSource,
    options: OrderBookTrackerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.bufferBound = options.bufferBound ?? 10_000;
    this.snapshotWaitMs = options.snapshotWaitMs ?? 5_000;
    this.recheckMs = options.recheckMs ?? 0;
    this.consecutive = options.consecutiveHeights ?? false;
    this.events = new Emitter((error, event) => this.logger.error({ err: asError(error), event }, 'OrderBookTracker listener threw'));
    this.offDisconnect = dataSource.onDisconnect(() => {
      for (const e of this.entries.values()) if (e.synced) this.unsync(e, 'connection lost');
    });
  }

  get depth(): 'l4' | 'l2' {
    return this.dataSource.depth;
  }

  /** Starts tracking `pair`; resolves once its book has a snapshot. */
  async track(pair: string, signal?: AbortSignal): Promise<PairBook> {
    if (!this.entries.has(pair)) {
      const entry: Entry = { pair, book: undefined, synced: false, buffer: [], fetching: false, waitTimer: undefined, recheckTimer: undefined, stopped: false };
      this.entries.set(pair, entry);
      this.armWait(entry);
      try {
        await this.dataSource.listen(
          pair,
          (m) => this.onMessage(entry, m),
          (error) => this.unsync(entry, `bad frame: ${error.message}`, true),
        );
      } catch (error) {
        this.stopEntry(entry);
        throw error;
      }
      this.armRecheck(entry);
    }
    return this.waitForSync(pair, signal);
  }

  async untrack(pair: string): Promise<void> {
    const e = this.entries.get(pair);
    if (!e) return;
    this.stopEntry(e);
    await this.dataSource.unlisten(pair);
  }

  /** The pair's book (undefined before its first snapshot). */
  book(pair: string): PairBook | undefined {
    return this.entries.get(pair)?.book;
  }

  /** Whether the pair's book is trusted now (has its snapshot, no resync pending). */
  isSynced(pair: string): boolean {
    return this.entries.get(pair)?.synced ?? false;
  }

  pairs(): string[] {
    return [...this.entries.keys()];
  }

  /** Resolves once `pair`'s book is synced at `height` or above. */
  waitForSync(pair: string, signal?: AbortSignal, height = 0): Promise<PairBook> {
    const ok = (): PairBook | undefined => {
      const e = this.entries.get(pair);
      return e?.synced && e.book && e.book.height >= height ? e.book : undefined;
    };
    const now = ok();
    if (now) return Promise.resolve(now);
    return untilEvent<PairBook>(
      (resolve) =>
        this.events.on('change', (c) => {
          if (c.pair !== pair) return;
          const b = ok();
          if (b) resolve(b);
        }),
      signal,
    );
  }

  /** Fetches a fresh snapshot of `pair` now (what a gap or a desync does). */
  resync(pair: string, reason = 'asked'): void {
    const e = this.entries.get(pair);
    if (e) this.unsync(e, reason, true);
  }

  /** Feeds one message as if the data source had sent it (the data source's callback). */
  onMessage(entry: Entry | string, m: OrderBookMessage): void {
    const e = typeof entry === 'string' ? this.entries.get(entry) : entry;
    if (!e || e.stopped) return;
    if (m.type === 'trade') this.events.emit('trade', m.pair, m.trade);
    else if (m.type === 'snapshot') this.onSnapshot(e, m);
    else this.onDiff(e, m);
  }

  async close(): Promise<void> {
    this.offDisconnect();
    for (const e of [...this.entries.values()]) {
      this.stopEntry(e);
      await this.dataSource.unlisten(e.pair).catch(() => {});
    }
  }

  private stopEntry(e: Entry): void {
    e.stopped = true;
    if (e.waitTimer) this.clock.clearTimeout(e.waitTimer);
    if (e.recheckTimer) this.clock.clearTimeout(e.recheckTimer);
    e.waitTimer = e.recheckTimer = undefined;
    this.entries.delete(e.pair);
  }

  private onSnapshot(e: Entry, m: SnapshotMessage): void {
    const book = e.book;
    if (m.depth === 'l2') {
      if (book && e.synced && m.time < book.time) {
        this.stats.droppedOld++;
        return;
      }
      if (book instanceof L2PairBook) book.replace(m);
      else e.book = new L2PairBook(e.pair, m);
      this.synced(e, 'snapshot');
      return;
    }
    if (m.origin === 'request' && e.synced && book instanceof L4PairBook) {
      // A re-check: compare at the same height, take a newer one, drop an older one.
      if (m.height < book.height) {
        this.stats.droppedOld++;
        return;
      }
      if (m.height === book.height) {
        const difference = book.compare(m);
        if (difference === null) return;
        this.stats.mismatches++;
        this.logger.warn({ pair: e.pair, height: m.height, difference }, 'book differs from the exchange snapshot; taking the snapshot');
        this.events.emit('mismatch', e.pair, difference);
      }
    }
    try {
      e.book = new L4PairBook(m);
    } catch (error) {
      this.logger.warn({ err: asError(error), pair: e.pair }, 'snapshot did not load');
      this.unsync(e, `bad snapshot: ${asError(error).message}`, true);
      return;
    }
    this.synced(e, 'snapshot');
    this.replay(e);
  }

  private replay(e: Entry): void {
    const book = e.book as L4PairBook;
    const kept = e.buffer.sort((a, b) => a.height - b.height);
    e.buffer = [];
    for (const d of kept) {
      if (d.height <= book.height) {
        this.stats.droppedOld++;
        continue;
      }
      this.stats.replayed++;
      this.onDiff(e, d);
      if (!e.synced) {
        // The replay itself diverged: keep the rest for the next snapshot.
        e.buffer.push(...kept.slice(kept.indexOf(d) + 1));
        return;
      }
    }
  }

  private onDiff(e: Entry, m: DiffMessage): void {
    const book = e.book;
    if (!e.synced || !(book instanceof L4PairBook)) {
      this.keep(e, m);
      return;
    }
    if (m.height <= book.height) {
      this.stats.droppedOld++;
      return;
    }
    if (this.consecutive && m.height !== book.height + 1) {
      this.keep(e, m);
      this.unsync(e, `height gap: ${book.height} then ${m.height}`, true);
      return;
    }
    const change = book.apply(m);
    const desync = change.desyncs.find((d) => d.coin === e.pair);
    if (desync) {
      this.unsync(e, desync.message, true);
      return;
    }
    this.events.emit('change', { pair: e.pair, kind: 'diff', height: book.height, time: book.time, block: change });
  }

  private keep(e: Entry, m: DiffMessage): void {
    e.buffer.push(m);
    if (e.buffer.length > this.bufferBound) e.buffer.splice(0, e.buffer.length - this.bufferBound);
  }

  private synced(e: Entry, kind: 'snapshot'): void {
    e.synced = true;
    if (e.waitTimer) this.clock.clearTimeout(e.waitTimer);
    e.waitTimer = undefined;
    const b = e.book!;
    this.events.emit('change', { pair: e.pair, kind, height: b.height, time: b.time });
  }

  /** The book is no longer trusted; `fetchNow`: ask for a snapshot at once (else after `snapshotWaitMs`). */
  private unsync(e: Entry, reason: string, fetchNow = false): void {
    if (e.stopped) return;
    const was = e.synced;
    e.synced = false;
    if (was || fetchNow) {
      this.stats.resyncs++;
      this.logger.warn({ pair: e.pair, reason }, 'book resync');
      this.events.emit('resync', e.pair, reason);
    }
    if (fetchNow) this.fetch(e);
    else this.armWait(e);
  }

  private armWait(e: Entry): void {
    if (e.waitTimer || e.stopped) return;
    e.waitTimer = this.clock.setTimeout(() => {
      e.waitTimer = undefined;
      if (!e.synced && !e.stopped) this.fetch(e);
    }, this.snapshotWaitMs);
  }

  private armRecheck(e: Entry): void {
    if (this.recheckMs <= 0 || e.stopped) return;
    e.recheckTimer = this.clock.setTimeout(() => {
      e.recheckTimer = undefined;
      if (e.stopped) return;
      if (e.synced) {
        this.stats.rechecks++;
        this.fetch(e);
      }
      this.armRecheck(e);
    }, this.recheckMs);
  }

  private fetch(e: Entry): void {
    if (e.fetching || e.stopped) return;
    e.fetching = true;
    this.dataSource.fetchSnapshot(e.pair).then(
      (m) => {
        e.fetching = false;
        this.onMessage(e, m);
      },
      (error: unknown) => {
        e.fetching = false;
        this.logger.warn({ err: asError(error), pair: e.pair }, 'snapshot request failed; trying again');
        // Wait for the stream's snapshot or try again later.
        if (!e.synced) this.armWait(e);
      },
    );
  }
}
