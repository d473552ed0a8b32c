/**
 * `NodeFeed`: the books of a live node, kept right without ever exiting. It receives its
 * blocks from a `BlockSource` (`src/node/block-source.ts`) and keeps only the state machine;
 * installing a snapshot (`snapshot-install.ts`), per-coin repairs (`repairs.ts`) and the
 * validator (`validator.ts`) are their own files.
 *
 * States (`FeedState`):
 * - `starting`: blocks are cached while the first snapshot is requested and loaded; the
 *   cached blocks above its height are replayed; then `ready`.
 * - `ready`: each joined block is applied to the books and emitted.
 * - `degraded`: some coins' diffs could not apply (`BlockChange.desyncs`). Only those coins
 *   wait for a new snapshot (their blocks cached); the others keep flowing. Each repaired
 *   coin is caught up from its cache, swapped in, and announced with `reset([coin])`.
 * - `resyncing`: a height is missing (a gap); every coin is rebuilt from a snapshot as at
 *   start, then `reset('all')`.
 * - `stale`: no block for `staleAfterMs`; reported on top of the others, cleared by the next block.
 *
 * A snapshot may be older than the blocks read (replay the cached ones above it) or newer
 * (hold on until the source reaches it). Loading and replaying yield to the event loop every
 * few ms, so serving never freezes.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Books } from '../book/books.js';
import type { BlockChange } from '../book/types.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { backoffMs, type BackoffOptions } from '../node/backoff.js';
import type { BlockSource } from '../node/block-source.js';
import type { Gap, JoinedBlock } from '../node/joiner.js';
import { silentLogger, type Logger } from '../node/logger.js';
import type { SnapshotFile } from '../node/snapshot.js';
import { BlockCache, compactBlock } from './block-cache.js';
import { Unusable, type CatchUpContext } from './catch-up.js';
import type { BookFeed, FeedEventMap, FeedState, FeedStatus } from './feed.js';
import { EventRate } from './rate.js';
import { CoinRepairs } from './repairs.js';
import { stageSnapshot, swapIn } from './snapshot-install.js';
import { Validator } from './validator.js';

/** Where the feed's snapshots come from. */
export interface SnapshotProvider {
  /** A fresh snapshot file (retrying as it sees fit); rejects only when `signal` aborts or it gives up. */
  fetch(signal: AbortSignal): Promise<SnapshotFile>;
  /** Remove leftovers when the feed stops. */
  sweep?(): Promise<void>;
}

/** The feed's own options (what its block source and snapshots are is given separately). */
export interface FeedOptions {
  /** Where snapshots come from. */
  snapshots: SnapshotProvider;
  /** No block for this long: state `stale`. Default 5,000 ms. */
  staleAfterMs?: number;
  /** Compare the books with a fresh snapshot this often (each request loads the node). Default: never. */
  validateEveryMs?: number;
  /** Reported in the status. Default `node`. */
  source?: 'node' | 'simulated' | 'nats';
  /** Default: silent. */
  logger?: Logger;
  /** Bound on blocks cached while a snapshot loads, in (estimated) bytes; the oldest go first. Default 512 MiB. */
  maxCachedBytes?: number;
  /** Backoff between unusable snapshots. Defaults as in `BackoffOptions`. */
  backoff?: BackoffOptions;
  /** Work at most this long before yielding while loading or replaying, ms. Default 4. */
  sliceMs?: number;
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

type Base = Exclude<FeedState, 'stale'>;

export class NodeFeed extends EventEmitter<FeedEventMap> implements BookFeed {
  readonly books = new Books();
  private readonly opts: FeedOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private readonly rate: EventRate;
  private readonly ctx: CatchUpContext;
  private readonly repairs: CoinRepairs;
  private readonly validator: Validator;

  private base: Base = 'starting';
  private stale = false;
  /** The books hold a snapshot (the height is meaningful). */
  private loaded = false;
  /** Blocks cached while `starting`/`resyncing`, all coins. */
  private readonly cache: BlockCache;
  /** After a full load ahead of the source: blocks up to this height are already in the books. */
  private catchUpTo: number | undefined;
  private lastTime: number | null = null;
  private lastBlockAt: number;
  private lastReceived: number | undefined;
  private lastError: string | undefined;
  private lastReported = '';
  private readonly abort = new AbortController();
  private job: Promise<void> | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private validateTimer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly src: BlockSource,
    opts: FeedOptions,
  ) {
    super();
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.staleAfterMs = opts.staleAfterMs ?? 5_000;
    const maxCachedBytes = opts.maxCachedBytes ?? 512 * 1024 * 1024;
    this.rate = new EventRate(5_000, this.now);
    this.cache = new BlockCache(maxCachedBytes);
    this.lastBlockAt = this.now();
    this.ctx = {
      sliceMs: opts.sliceMs ?? 4,
      signal: this.abort.signal,
      logger: this.logger,
      source: src,
      sourceName: opts.source === 'nats' ? 'the NATS block log' : "the node's files",
    };
    this.repairs = new CoinRepairs(
      this.ctx,
      {
        books: this.books,
        live: () => this.base === 'degraded' || this.base === 'ready',
        changed: (coin, repairing) => this.emit('repair', coin, repairing),
        repaired: (coin) => this.becomeReady([coin]),
      },
      maxCachedBytes,
    );
    this.validator = new Validator(
      this.ctx,
      {
        books: this.books,
        repairing: (coin) => this.repairs.has(coin),
        replaced: (coin) => this.emit('reset', [coin], this.books.height),
        fetchSnapshot: (signal) => this.opts.snapshots.fetch(signal),
      },
      maxCachedBytes,
    );
    this.src.on('block', (b) => this.onBlock(b));
    this.src.on('gap', (g) => this.onGap(g));
    // Intra-block diffs (streaming layout) go on to the server only over books at the block before them.
    this.src.on('partial', (p) => {
      if ((this.base === 'ready' || this.base === 'degraded') && p.height === this.books.height + 1) this.emit('partial', p);
    });
    this.src.on('waiting', (what) => {
      this.lastError = `waiting for ${what.join(', ')}`;
      this.report();
    });
  }

  status(): FeedStatus {
    const s: FeedStatus = {
      state: this.stale ? 'stale' : this.base,
      height: this.loaded ? this.books.height : null,
      time: this.lastTime,
      lagMs: this.lastTime === null ? null : this.now() - this.lastTime,
      eventsPerSecond: this.rate.perSecond(),
      source: this.opts.source ?? 'node',
      repairing: this.repairs.coins(),
    };
    if (this.src.layout !== undefined) s.layout = this.src.layout;
    const own = this.src.health?.();
    if (own?.nats !== undefined) s.nats = own.nats;
    if (this.lastError !== undefined) s.error = this.lastError;
    return s;
  }

  /** Start the block source (which may fail, or wait, as configured) and the timers. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lastBlockAt = this.now();
    const checkEvery = Math.max(10, Math.min(1_000, Math.floor(this.staleAfterMs / 4)));
    this.staleTimer = setInterval(() => this.checkStale(), checkEvery);
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
    await this.validator.stop();
    await this.opts.snapshots.sweep?.().catch(() => undefined);
  }

  /** Resolves once the source delivered what is available so far (tests, benchmarks). */
  async settle(): Promise<void> {
    await this.src.settle?.();
  }

  /** Wake the source at once (a writer in this process knows when it wrote). */
  wake(): void {
    this.src.wake?.();
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
      // Loaded from a snapshot ahead of the source: skip what it already holds (the block at
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
    const skip = this.repairs.skipSet();
    const t0 = performance.now();
    const change = this.books.applyBlock(block, skip === undefined ? undefined : { skip });
    metrics.applySeconds.observe((performance.now() - t0) / 1000);
    metrics.blocks.inc();
    metrics.height.set(block.height);
    metrics.lagSeconds.set((this.now() - block.time) / 1000);
    this.lastTime = block.time;

    this.validator.step(jb);
    this.repairs.cache(jb);
    for (const d of change.desyncs) this.startRepair(d.coin, block.height, jb, d);
    try {
      this.emit('block', change);
    } catch (err) {
      // A consumer's failure must not stop the books from following the node.
      this.logger.error({ err, height: block.height }, `a block listener failed: ${(err as Error).message}`);
    }
    // Rebuilt books that were ahead of the source rejoin once the live height reaches them.
    this.repairs.rejoin(block.height);
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
    this.validator.drop();
    this.report();
    // Blocks after the gap are cached from the next one on; the snapshot job starts on it.
  }

  private becomeReady(reset: 'all' | string[]): void {
    this.base = this.repairs.size > 0 ? 'degraded' : 'ready';
    if (reset === 'all') this.lastError = undefined;
    this.emit('reset', reset, this.books.height);
    this.report();
  }

  private startRepair(coin: string, height: number, jb: JoinedBlock, err: HlobError): void {
    this.repairs.start(coin, height, jb, err);
    this.base = 'degraded';
    this.report();
    this.ensureSnapshotJob();
  }

  // ---- snapshots ---------------------------------------------------------------------------

  private needsSnapshot(): boolean {
    if (this.abort.signal.aborted) return false;
    if (this.base === 'starting' || this.base === 'resyncing') return this.catchUpTo === undefined;
    return this.repairs.needsSnapshot();
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
      const file = await this.opts.snapshots.fetch(signal);
      let ok = false;
      try {
        ok = this.base === 'starting' || this.base === 'resyncing' ? await this.installFull(file) : await this.repairs.install(file);
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

  /** Starting or resyncing: every coin from the snapshot, caught up, then swapped in. */
  private async installFull(file: SnapshotFile): Promise<boolean> {
    let staged;
    try {
      staged = await stageSnapshot(this.ctx, file, this.cache);
    } catch (err) {
      if (!(err instanceof Unusable)) throw err;
      const s = err.snapshotHeight;
      this.logger.warn({ snapshot: s }, `snapshot at ${s} not usable: ${err.message}: asking again`);
      this.lastError = err.message;
      return false;
    }
    const { snapshotHeight: s, reached, loaded } = staged;
    const h = reached.height;
    if (!(this.base === 'starting' || this.base === 'resyncing') || this.catchUpTo !== undefined) return true;
    if (this.lastReceived !== undefined && h < this.lastReceived) {
      this.logger.warn({ snapshot: s, reached: h, files: this.lastReceived }, `blocks ${h + 1}..${this.lastReceived} are not cached: asking again`);
      return false;
    }
    // Swap in synchronously: from here the live books are the staged ones.
    swapIn(this.books, staged.books, h);
    // The state shown from now on is that of block h: its block time is the frames' time.
    if (reached.time !== undefined) this.lastTime = reached.time;
    this.loaded = true;
    metrics.height.set(h);
    this.logger.info(
      { height: s, replayedTo: h, coins: loaded.books.size, orders: loaded.orders, bytes: loaded.bytes, ms: staged.ms },
      `loaded snapshot at ${s}`,
    );
    if (this.lastReceived !== undefined && this.lastReceived >= h) {
      this.becomeReady('all');
    } else {
      // The snapshot is ahead of the source: hold on until it reaches it.
      this.catchUpTo = h;
      this.logger.info({ height: h, files: this.lastReceived }, 'snapshot ahead of the files: waiting for them');
    }
    return true;
  }

  private startValidation(): void {
    if (this.validator.running || this.base !== 'ready' || this.stale) return;
    this.validator.start();
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

export type { BlockChange };
