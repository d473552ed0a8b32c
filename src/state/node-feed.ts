/**
 * `NodeFeed`: the books of a live node, kept right without ever exiting.
 *
 * States (`FeedState`):
 * - `starting`: blocks are cached while the first snapshot is requested and loaded; the
 *   cached blocks above its height are replayed; then `ready`.
 * - `ready`: each joined block is applied to the books and emitted.
 * - `degraded`: some coins' diffs could not apply (`BlockChange.desyncs`). Only those coins
 *   wait for a new snapshot (their blocks cached); the others keep flowing. Each repaired
 *   coin is caught up from its cache, swapped in, and announced with `reset([coin])`.
 * - `resyncing`: a height is missing from the files (a gap); every coin is rebuilt from a
 *   snapshot as at start, then `reset('all')`.
 * - `stale`: no block for `staleAfterMs`; reported on top of the others, cleared by the next block.
 *
 * A snapshot may be older than the blocks read (replay the cached ones above it) or newer
 * (hold on until the files reach it). Loading and replaying yield to the event loop every
 * few ms, so serving never freezes.
 */
import { EventEmitter } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Books } from '../book/books.js';
import type { Block } from '../book/events.js';
import { OrderBook } from '../book/order-book.js';
import type { BlockChange } from '../book/types.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { backoffMs, type BackoffOptions } from '../node/backoff.js';
import { LayoutBlockSource } from '../node/layout-source.js';
import type { LayoutChoice } from '../node/layout.js';
import type { BlockJoinerOptions, Gap, JoinedBlock } from '../node/joiner.js';
import { silentLogger, type Logger } from '../node/logger.js';
import { blocksFromFiles } from '../node/file-range.js';
import { DEFAULT_INFO_URL, SnapshotSource, type SnapshotFile } from '../node/snapshot.js';
import type { TailerOptions } from '../node/tailer.js';
import { BlockCache, compactBlock } from './block-cache.js';
import type { BookFeed, FeedEventMap, FeedState, FeedStatus } from './feed.js';
import { loadBooks, type LoadedBooks } from './load-books.js';
import { EventRate } from './rate.js';

export interface NodeFeedOptions {
  /** The node's data dir (holding `node_order_statuses_by_block` etc.), e.g. `~/hl/data`. */
  dataDir: string;
  /** The node's info server. Default `http://localhost:3001/info`. */
  infoUrl?: string;
  /** Where the node writes the snapshots we request. Default `<parent of dataDir>/hlob-snapshots`. */
  snapshotDir?: string;
  /** Wait for missing node directories instead of failing `start()`. Default false. */
  wait?: boolean;
  /** No block for this long: state `stale`. Default 5,000 ms. */
  staleAfterMs?: number;
  /** Compare the books with a fresh snapshot this often (each request loads the node). Default: never. */
  validateEveryMs?: number;
  /** Reported in the status. Default `node`. */
  source?: 'node' | 'simulated';
  /** Default: silent. */
  logger?: Logger;
  /** Bound on blocks cached while a snapshot loads, in (estimated) bytes; the oldest go first. Default 512 MiB. */
  maxCachedBytes?: number;
  /** One snapshot request's time limit. Default 120,000 ms. */
  snapshotTimeoutMs?: number;
  /** Backoff between failed snapshot requests and unusable snapshots. Defaults as in `BackoffOptions`. */
  backoff?: BackoffOptions;
  /** Work at most this long before yielding while loading or replaying, ms. Default 4. */
  sliceMs?: number;
  /** Tailer options. Default backfill 4 MiB (a snapshot a little older than "now" can be caught up). */
  tailer?: Omit<TailerOptions, 'dir'>;
  joiner?: BlockJoinerOptions;
  /** Which of the node's layouts to read (`by-block`, `streaming`); default `auto` (src/node/layout.ts). */
  layout?: LayoutChoice;
  /** Streaming layout: wait this long for the other streams once one moved past a block, ms. Default 5. */
  blockCloseMs?: number;
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
  /**
   * Where snapshots come from. Default: this feed's own requests to the info server
   * (`infoUrl`, `snapshotDir`, with backoff). `--workers` passes one that asks the primary
   * process, so that n workers make one request.
   */
  fetchSnapshot?: (signal: AbortSignal) => Promise<SnapshotFile>;
}

/** One coin waiting for a snapshot (state `degraded`). */
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

/** A fresh snapshot kept in step with the live books until every coin has been compared. */
interface Validation {
  books: Books | undefined;
  cache: BlockCache;
}

/** A height reached while catching up, and its block time when a block showed it. */
interface Reached {
  height: number;
  time: number | undefined;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The books could not be brought up to date from this snapshot; try another. */
class Unusable extends HlobError {
  constructor(message: string) {
    super(ErrorCodes.BAD_SNAPSHOT, message);
  }
}

export class NodeFeed extends EventEmitter<FeedEventMap> implements BookFeed {
  readonly books = new Books();
  private readonly opts: NodeFeedOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly src: LayoutBlockSource;
  private readonly snapshots: SnapshotSource;
  private readonly fetchSnapshot: (signal: AbortSignal) => Promise<SnapshotFile>;
  private readonly staleAfterMs: number;
  private readonly maxCachedBytes: number;
  private readonly sliceMs: number;
  private readonly rate: EventRate;

  private base: Exclude<FeedState, 'stale'> = 'starting';
  private stale = false;
  /** The books hold a snapshot (the height is meaningful). */
  private loaded = false;
  /** Blocks cached while `starting`/`resyncing`, all coins. */
  private readonly cache: BlockCache;
  /** After a full load ahead of the files: blocks up to this height are already in the books. */
  private catchUpTo: number | undefined;
  private readonly repairs = new Map<string, Repair>();
  private validation: Validation | undefined;
  private lastTime: number | null = null;
  private lastBlockAt: number;
  private lastReceived: number | undefined;
  private lastError: string | undefined;
  private lastReported = '';
  private readonly abort = new AbortController();
  private job: Promise<void> | undefined;
  private validationJob: Promise<void> | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private validateTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(opts: NodeFeedOptions) {
    super();
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.staleAfterMs = opts.staleAfterMs ?? 5_000;
    this.maxCachedBytes = opts.maxCachedBytes ?? 512 * 1024 * 1024;
    this.sliceMs = opts.sliceMs ?? 4;
    this.rate = new EventRate(5_000, this.now);
    this.cache = new BlockCache(this.maxCachedBytes);
    this.lastBlockAt = this.now();
    this.src = new LayoutBlockSource({
      dataDir: opts.dataDir,
      layout: opts.layout,
      wait: opts.wait,
      tailer: { backfillBytes: 4 * 1024 * 1024, ...opts.tailer },
      joiner: opts.joiner,
      streamJoiner: opts.blockCloseMs === undefined ? undefined : { blockCloseMs: opts.blockCloseMs },
      logger: this.logger,
    });
    this.snapshots = new SnapshotSource({
      infoUrl: opts.infoUrl ?? DEFAULT_INFO_URL,
      snapshotDir: opts.snapshotDir ?? defaultSnapshotDir(opts.dataDir),
      timeoutMs: opts.snapshotTimeoutMs,
      backoff: opts.backoff,
      logger: this.logger,
    });
    this.fetchSnapshot = opts.fetchSnapshot ?? ((signal) => this.snapshots.fetch(signal));
    this.src.on('block', (b) => this.onBlock(b));
    this.src.on('gap', (g) => this.onGap(g));
  }

  status(): FeedStatus {
    const s: FeedStatus = {
      state: this.stale ? 'stale' : this.base,
      height: this.loaded ? this.books.height : null,
      time: this.lastTime,
      lagMs: this.lastTime === null ? null : this.now() - this.lastTime,
      eventsPerSecond: this.rate.perSecond(),
      source: this.opts.source ?? 'node',
      repairing: [...this.repairs.keys()],
    };
    if (this.src.layout !== undefined) s.layout = this.src.layout;
    if (this.lastError !== undefined) s.error = this.lastError;
    return s;
  }

  /** Check the node's directories (failing or waiting as configured) and start. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lastBlockAt = this.now();
    const checkEvery = Math.max(10, Math.min(1_000, Math.floor(this.staleAfterMs / 4)));
    this.staleTimer = setInterval(() => this.checkStale(), checkEvery);
    this.src.on('waiting', (missing) => {
      this.lastError = `waiting for ${missing.map((m) => m.path).join(', ')}`;
      this.report();
    });
    try {
      await this.src.start();
    } catch (err) {
      clearInterval(this.staleTimer);
      throw err;
    }
    if (this.opts.validateEveryMs !== undefined && this.opts.validateEveryMs > 0) {
      this.validateTimer = setInterval(() => this.startValidation(), this.opts.validateEveryMs);
    }
    this.report();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.staleTimer);
    clearInterval(this.validateTimer);
    await this.src.stop();
    await this.job?.catch(() => undefined);
    await this.validationJob?.catch(() => undefined);
    await this.snapshots.sweep().catch(() => undefined);
  }

  /** Resolves once the files written so far have been read (tests, benchmarks). */
  settle(): Promise<void> {
    return this.src.settle();
  }

  /** Wake the tailers at once (a writer in this process knows when it wrote). */
  wake(): void {
    this.src.wake();
  }

  // ---- blocks ------------------------------------------------------------------------------

  private onBlock(jb: JoinedBlock): void {
    const block = jb.block;
    this.lastBlockAt = this.now();
    this.lastReceived = block.height;
    this.rate.add(block.statuses.length + block.diffs.length + block.fills.length);
    if (this.stale) {
      this.stale = false;
      this.report();
    }
    if (this.base === 'starting' || this.base === 'resyncing') {
      if (this.catchUpTo === undefined) {
        this.cache.push(compactBlock(jb));
        this.ensureSnapshotJob();
        return;
      }
      // Loaded from a snapshot ahead of the files: skip what it already holds (the block at
      // its height gives the books' block time).
      if (block.height <= this.catchUpTo) {
        if (block.height === this.catchUpTo) this.lastTime = block.time;
        return;
      }
      if (block.height !== this.catchUpTo + 1) {
        this.resync(new HlobError(ErrorCodes.HEIGHT_GAP, `block ${block.height} after a snapshot at ${this.catchUpTo}`), block.height);
        this.onBlock(jb);
        return;
      }
      this.catchUpTo = undefined;
      this.becomeReady('all');
    }
    this.applyLive(jb);
  }

  private applyLive(jb: JoinedBlock): void {
    const block = jb.block;
    if (block.height !== this.books.height + 1) {
      this.resync(new HlobError(ErrorCodes.HEIGHT_GAP, `block ${block.height} does not follow height ${this.books.height}`), block.height);
      this.onBlock(jb);
      return;
    }
    const skip = this.skipSet();
    const t0 = performance.now();
    const change = this.books.applyBlock(block, skip === undefined ? undefined : { skip });
    metrics.applySeconds.observe((performance.now() - t0) / 1000);
    metrics.blocks.inc();
    metrics.height.set(block.height);
    metrics.lagSeconds.set((this.now() - block.time) / 1000);
    this.lastTime = block.time;

    if (this.validation !== undefined) this.stepValidation(jb);
    for (const r of this.repairs.values()) {
      if (r.book === undefined) r.cache.push(compactBlock(jb, new Set([r.coin])));
    }
    for (const d of change.desyncs) this.startRepair(d.coin, block.height, jb, d);
    try {
      this.emit('block', change);
    } catch (err) {
      // A consumer's failure must not stop the books from following the node.
      this.logger.error({ err, height: block.height }, `a block listener failed: ${(err as Error).message}`);
    }
    // Rebuilt books that were ahead of the files rejoin once the live height reaches them.
    for (const r of [...this.repairs.values()]) {
      if (r.book !== undefined && r.readyAt === block.height) this.finishRepair(r, r.book);
    }
  }

  private skipSet(): ReadonlySet<string> | undefined {
    if (this.repairs.size === 0) return undefined;
    return new Set(this.repairs.keys());
  }

  private onGap(g: Gap): void {
    this.resync(g.error, g.height);
  }

  /** Every coin is rebuilt: a height is missing, or nothing else can be trusted. */
  private resync(err: HlobError, height: number): void {
    this.logger.warn({ err, height }, `resyncing every coin: ${err.message}`);
    metrics.resyncs.inc({ kind: 'full' });
    this.lastError = err.message;
    if (this.base !== 'starting') this.base = 'resyncing';
    this.cache.clear();
    this.catchUpTo = undefined;
    this.repairs.clear();
    this.validation = undefined;
    this.report();
    // Blocks after the gap are cached from the next one on; the snapshot job starts on it.
  }

  private becomeReady(reset: 'all' | string[]): void {
    this.base = this.repairs.size > 0 ? 'degraded' : 'ready';
    if (reset === 'all') this.lastError = undefined;
    this.emit('reset', reset, this.books.height);
    this.report();
  }

  // ---- per-coin repair ---------------------------------------------------------------------

  private startRepair(coin: string, height: number, jb: JoinedBlock, err: HlobError): void {
    this.logger.warn({ err, coin, height }, `repairing ${coin}: ${err.message}`);
    metrics.desyncs.inc();
    metrics.resyncs.inc({ kind: 'coin' });
    const cache = new BlockCache(this.maxCachedBytes);
    cache.push(compactBlock(jb, new Set([coin])));
    this.repairs.set(coin, { coin, since: height, cache });
    this.base = 'degraded';
    this.report();
    this.ensureSnapshotJob();
  }

  private finishRepair(r: Repair, book: OrderBook): void {
    this.books.setBook(r.coin, book);
    this.repairs.delete(r.coin);
    this.logger.info({ coin: r.coin, height: this.books.height }, `repaired ${r.coin}`);
    this.becomeReady([r.coin]);
  }

  // ---- snapshots ---------------------------------------------------------------------------

  private needsSnapshot(): boolean {
    if (this.abort.signal.aborted) return false;
    if (this.base === 'starting' || this.base === 'resyncing') return this.catchUpTo === undefined;
    for (const r of this.repairs.values()) if (r.book === undefined) return true;
    return false;
  }

  private ensureSnapshotJob(): void {
    if (this.job !== undefined || !this.needsSnapshot()) return;
    this.job = this.snapshotJob()
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.logger.error({ err }, 'snapshot job failed');
      })
      .finally(() => {
        this.job = undefined;
        // Something may have asked for a snapshot while the last one was being installed.
        if (!this.abort.signal.aborted) this.ensureSnapshotJob();
      });
  }

  private async snapshotJob(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (this.needsSnapshot()) {
      const file = await this.fetchSnapshot(signal);
      let ok = false;
      try {
        ok = this.base === 'starting' || this.base === 'resyncing' ? await this.installFull(file) : await this.installRepairs(file);
      } catch (err) {
        if (signal.aborted) return;
        this.logger.warn({ err, file: file.path }, `snapshot not used: ${(err as Error).message}`);
        this.lastError = (err as Error).message;
      } finally {
        await file.remove().catch(() => undefined);
      }
      if (ok) {
        failures = 0;
        continue;
      }
      const wait = backoffMs(++failures, this.opts.backoff);
      await sleep(wait, undefined, { signal }).catch(() => undefined);
    }
  }

  private load(file: SnapshotFile, coins?: ReadonlySet<string>): Promise<LoadedBooks> {
    return loadBooks(file.path, { coins, sliceMs: this.sliceMs, signal: this.abort.signal });
  }

  /**
   * Replay `cache` on `books` (at `from`) until the cache is empty, yielding now and then;
   * blocks arriving meanwhile are cached and replayed too. Returns the height reached and
   * its block time when a cached block showed it.
   */
  private async replay(books: Books, from: number, cache: BlockCache, only?: ReadonlySet<string>, fromTime?: number): Promise<Reached> {
    let h = from;
    let time = fromTime;
    let t0 = performance.now();
    for (let b: Block | undefined; (b = cache.shift()) !== undefined; ) {
      if (b.height <= h) {
        if (b.height === h) time = b.time;
        continue;
      }
      if (b.height !== h + 1) throw new Unusable(`block ${h + 1} is not cached (next cached: ${b.height})`);
      const change = books.applyBlock(b, only === undefined ? undefined : { only });
      if (change.desyncs.length > 0) throw new Unusable(`replaying on the snapshot: ${change.desyncs[0]!.message}`);
      h = b.height;
      time = b.time;
      if (performance.now() - t0 >= this.sliceMs) {
        await yieldToLoop();
        this.abort.signal.throwIfAborted();
        t0 = performance.now();
      }
    }
    return { height: h, time };
  }

  /**
   * Bring `books` (at `from`) up to `to` with the blocks read back from the node's files
   * (this hour's and the previous hour's): a snapshot older than the first cached block is
   * caught up from disk instead of asking the node for another. `Unusable` when the files
   * no longer hold a height or a block does not apply.
   */
  private async catchUpFromFiles(books: Books, from: number, to: number, only?: ReadonlySet<string>): Promise<Reached> {
    const t0 = performance.now();
    let reached: Reached = { height: from, time: undefined };
    let slice = performance.now();
    try {
      for await (const b of blocksFromFiles(this.opts.dataDir, from + 1, to, { signal: this.abort.signal })) {
        const change = books.applyBlock(b, only === undefined ? undefined : { only });
        if (change.desyncs.length > 0) throw new Unusable(`catching up from the files: ${change.desyncs[0]!.message}`);
        reached = { height: b.height, time: b.time };
        metrics.fileCatchUpBlocks.inc();
        if (performance.now() - slice >= this.sliceMs) {
          await yieldToLoop();
          slice = performance.now();
        }
      }
    } catch (err) {
      if (err instanceof Unusable || this.abort.signal.aborted) throw err;
      throw new Unusable(`the node's files cannot catch the snapshot at ${from} up to ${to}: ${(err as Error).message}`);
    }
    this.logger.info({ from: from + 1, to, coins: only === undefined ? 'all' : [...only], ms: Math.round(performance.now() - t0) }, `caught up blocks ${from + 1}..${to} from the node's files`);
    return reached;
  }

  /**
   * Starting or resyncing: every coin from the snapshot, then the blocks above it: first
   * those before the first cached block, read back from the node's files, then the cached ones.
   */
  private async installFull(file: SnapshotFile): Promise<boolean> {
    const t0 = performance.now();
    const loaded = await this.load(file);
    const s = loaded.height;
    const staging = new Books(s);
    for (const [coin, book] of loaded.books) staging.setBook(coin, book);
    let reached: Reached;
    try {
      const first = this.cache.first();
      reached = first !== undefined && first > s + 1 ? await this.catchUpFromFiles(staging, s, first - 1) : { height: s, time: undefined };
      reached = await this.replay(staging, reached.height, this.cache, undefined, reached.time);
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
      this.logger.warn({ snapshot: s }, `snapshot at ${s} not usable: ${err.message}: asking again`);
      this.lastError = err.message;
      return false;
    }
    const h = reached.height;
    if (!(this.base === 'starting' || this.base === 'resyncing') || this.catchUpTo !== undefined) return true;
    if (this.lastReceived !== undefined && h < this.lastReceived) {
      this.logger.warn({ snapshot: s, reached: h, files: this.lastReceived }, `blocks ${h + 1}..${this.lastReceived} are not cached: asking again`);
      return false;
    }
    // Swap in synchronously: from here the live books are the staged ones.
    for (const coin of [...this.books.coins()]) if (staging.book(coin) === undefined) this.books.deleteBook(coin);
    for (const coin of staging.coins()) this.books.setBook(coin, staging.book(coin)!);
    this.books.height = h;
    // The state shown from now on is that of block h: its block time is the frames' time.
    if (reached.time !== undefined) this.lastTime = reached.time;
    this.loaded = true;
    metrics.height.set(h);
    this.logger.info(
      { height: s, replayedTo: h, coins: loaded.books.size, orders: loaded.orders, bytes: loaded.bytes, ms: Math.round(performance.now() - t0) },
      `loaded snapshot at ${s}`,
    );
    if (this.lastReceived !== undefined && this.lastReceived >= h) {
      this.becomeReady('all');
    } else {
      // The snapshot is ahead of the files: hold on until they reach it.
      this.catchUpTo = h;
      this.logger.info({ height: h, files: this.lastReceived }, 'snapshot ahead of the files: waiting for them');
    }
    return true;
  }

  /** Degraded: only the coins being repaired, each caught up from its own cache. */
  private async installRepairs(file: SnapshotFile): Promise<boolean> {
    const coins = new Set([...this.repairs.values()].filter((r) => r.book === undefined).map((r) => r.coin));
    if (coins.size === 0) return true;
    const loaded = await this.load(file, coins);
    const s = loaded.height;
    let allDone = true;
    for (const coin of coins) {
      const r = this.repairs.get(coin);
      if (r === undefined || r.book !== undefined || (this.base !== 'degraded' && this.base !== 'ready')) continue;
      const book = loaded.books.get(coin) ?? new OrderBook(coin);
      const staging = new Books(s);
      staging.setBook(coin, book);
      const only = new Set([coin]);
      let h: number;
      try {
        // A snapshot older than the desync: the blocks in between from the node's files.
        const from = r.since > s + 1 ? (await this.catchUpFromFiles(staging, s, r.since - 1, only)).height : s;
        h = (await this.replay(staging, from, r.cache, only)).height;
      } catch (err) {
        if (!(err instanceof Unusable)) throw err;
        this.logger.warn({ coin, snapshot: s }, `snapshot at ${s} not usable for ${coin}: ${err.message}`);
        allDone = false;
        continue;
      }
      if (this.repairs.get(coin) !== r) continue; // a resync replaced everything meanwhile
      if (h === this.books.height) this.finishRepair(r, book);
      else if (h > this.books.height) {
        r.book = book;
        r.readyAt = h;
      } else {
        this.logger.warn({ coin, reached: h, live: this.books.height }, `${coin}'s cached blocks do not reach the live height`);
        allDone = false;
      }
    }
    return allDone;
  }

  // ---- validation --------------------------------------------------------------------------

  private startValidation(): void {
    if (this.validationJob !== undefined || this.base !== 'ready' || this.stale) return;
    const v: Validation = { books: undefined, cache: new BlockCache(this.maxCachedBytes) };
    this.validation = v;
    this.validationJob = this.validate(v)
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.logger.warn({ err }, `validation against a snapshot failed: ${(err as Error).message}`);
      })
      .finally(() => {
        if (this.validation === v) this.validation = undefined;
        this.validationJob = undefined;
      });
  }

  /** Called with each live block while validating: cache it, or apply it to the caught-up copy. */
  private stepValidation(jb: JoinedBlock): void {
    const v = this.validation!;
    if (v.books === undefined) {
      v.cache.push(compactBlock(jb));
      return;
    }
    const change = v.books.applyBlock(jb.block);
    if (change.desyncs.length > 0) {
      // The copy cannot follow: the comparison would mean nothing.
      this.logger.warn({ err: change.desyncs[0] }, 'validation copy desynced; comparison dropped');
      this.validation = undefined;
    }
  }

  private async validate(v: Validation): Promise<void> {
    const file = await this.fetchSnapshot(this.abort.signal);
    let loaded: LoadedBooks;
    try {
      loaded = await this.load(file);
    } finally {
      await file.remove().catch(() => undefined);
    }
    if (this.validation !== v) return;
    const s = loaded.height;
    const staging = new Books(s);
    for (const [coin, book] of loaded.books) staging.setBook(coin, book);
    if (s > this.books.height) {
      this.logger.info({ snapshot: s, live: this.books.height }, 'validation snapshot ahead of the files: skipped');
      return;
    }
    const first = v.cache.first();
    if (first !== undefined && first > s + 1) {
      this.logger.info({ snapshot: s, firstCached: first }, 'validation snapshot older than the cached blocks: skipped');
      return;
    }
    const h = (await this.replay(staging, s, v.cache)).height;
    if (this.validation !== v) return;
    if (h !== this.books.height) return;
    // From here every live block is applied to the copy too (stepValidation), so the two stay in step.
    v.books = staging;
    const coins = new Set([...this.books.coins(), ...staging.coins()]);
    const mismatched: string[] = [];
    let t0 = performance.now();
    for (const coin of coins) {
      if (this.validation !== v) return;
      if (this.repairs.has(coin)) continue;
      const diff = (this.books.book(coin) ?? new OrderBook(coin)).compareBook(staging.book(coin) ?? new OrderBook(coin));
      if (diff !== null) {
        this.logger.error({ coin, height: this.books.height, diff }, `validation: ${coin} differs from a fresh snapshot: ${diff}`);
        mismatched.push(coin);
        // The copy is right and at the live height: take its book.
        this.books.setBook(coin, staging.book(coin) ?? new OrderBook(coin));
        metrics.resyncs.inc({ kind: 'validate' });
        this.emit('reset', [coin], this.books.height);
      }
      if (performance.now() - t0 >= this.sliceMs) {
        await yieldToLoop();
        t0 = performance.now();
      }
    }
    if (this.validation === v) this.validation = undefined;
    this.logger.info({ height: this.books.height, coins: coins.size, mismatched }, 'validated the books against a fresh snapshot');
  }

  // ---- status ------------------------------------------------------------------------------

  private checkStale(): void {
    if (this.stale || this.now() - this.lastBlockAt < this.staleAfterMs) return;
    this.stale = true;
    this.logger.warn({ sinceMs: this.now() - this.lastBlockAt }, `no block for ${this.staleAfterMs} ms: stale`);
    this.report();
  }

  /** Emit `state` when what `/health` shows of the state changed. */
  private report(): void {
    const s = this.status();
    const key = `${s.state}|${s.repairing.join(',')}|${s.error ?? ''}`;
    if (key === this.lastReported) return;
    this.lastReported = key;
    this.emit('state', s);
  }
}

/** Where requested snapshots go unless told: `hlob-snapshots` next to the data dir. */
export function defaultSnapshotDir(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'hlob-snapshots');
}

export function createNodeFeed(opts: NodeFeedOptions): NodeFeed {
  return new NodeFeed(opts);
}

export type { BlockChange };
