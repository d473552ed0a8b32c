/**
 * `EdgeFeed`: the books of an edge server, from the block log on NATS JetStream, with no node.
 *
 * The newest snapshot in the bucket is loaded, the log is read from the block after its
 * height, then followed live; each block is applied and emitted as a core's feed emits it,
 * so the server sends the same frames. A block that does not follow the books' height (the
 * log lost blocks: retention, a core's full buffer), a block whose diffs do not apply, or a
 * block the publishing core marked partial means a fresh snapshot (state `resyncing`), as a
 * core resyncs on a gap in the node's files.
 *
 * This class is the one place that adapts a `BlockLogSource` to today's `BookFeed` (the
 * feed that will receive a block source, issue #13, can take `NatsBlockSource` and the
 * snapshot store instead).
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { Books } from '../book/books.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { silentLogger, type Logger } from '../node/logger.js';
import type { BookFeed, FeedEventMap, FeedState, FeedStatus, NatsReport } from '../state/feed.js';
import { loadBooks } from '../state/load-books.js';
import { EventRate } from '../state/rate.js';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { NatsBlockSource, type BlockLogSource, type SourcedBlock } from './edge-source.js';
import { natsMetrics } from './metrics.js';
import { DEFAULT_STREAM, DEFAULT_SUBJECT } from './publisher.js';
import { DEFAULT_BUCKET, SnapshotStore, type StoredSnapshot } from './snapshot-store.js';

export interface EdgeFeedOptions {
  connection: NatsConnectOptions;
  stream?: string;
  subject?: string;
  bucket?: string;
  /** No block for this long: state `stale`. Default 5,000 ms. */
  staleAfterMs?: number;
  /** Work at most this long before yielding while loading a snapshot, ms. Default 4. */
  sliceMs?: number;
  /** Where a snapshot is downloaded before loading. Default the OS temp dir. */
  tmpDir?: string;
  logger?: Logger;
  now?: () => number;
}

export class EdgeFeed extends EventEmitter<FeedEventMap> implements BookFeed {
  readonly books = new Books();
  readonly stream: string;
  readonly subject: string;
  readonly bucket: string;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private readonly rate: EventRate;
  private nc: NatsConnection | undefined;
  private store: SnapshotStore | undefined;
  private source: BlockLogSource | undefined;
  private base: Exclude<FeedState, 'stale' | 'degraded'> = 'starting';
  private stale = false;
  private loaded = false;
  private connected = false;
  private lastTime: number | null = null;
  private lastBlockAt: number;
  private lastError: string | undefined;
  private lastReported = '';
  private snapshotHeight: number | null = null;
  private resyncs = 0;
  /** True once the log is followed after the loaded snapshot (false while loading, resyncing, or when following failed). */
  private following = false;
  /** The next snapshot loaded must be at least this high (after a partial or desynced block). */
  private minSnapshot = 0;
  private job: Promise<void> | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly onBlockBound = (b: SourcedBlock): void => this.onBlock(b);
  private readonly onGapBound = (g: { height: number; error: HlobError }): void => this.resync('gap', g.error.message, 0);

  constructor(private readonly opts: EdgeFeedOptions) {
    super();
    this.stream = opts.stream ?? DEFAULT_STREAM;
    this.subject = opts.subject ?? DEFAULT_SUBJECT;
    this.bucket = opts.bucket ?? DEFAULT_BUCKET;
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.staleAfterMs = opts.staleAfterMs ?? 5_000;
    this.rate = new EventRate(5_000, this.now);
    this.lastBlockAt = this.now();
  }

  status(): FeedStatus {
    const nats: NatsReport = {
      role: 'edge',
      connected: this.connected,
      stream: this.stream,
      bucket: this.bucket,
      snapshot: this.snapshotHeight,
      resyncs: this.resyncs,
      following: this.following,
    };
    const s: FeedStatus = {
      state: this.stale && this.base === 'ready' ? 'stale' : this.base,
      height: this.loaded ? this.books.height : null,
      time: this.lastTime,
      lagMs: this.lastTime === null ? null : this.now() - this.lastTime,
      eventsPerSecond: this.rate.perSecond(),
      source: 'nats',
      repairing: [],
      nats,
    };
    if (this.lastError !== undefined) s.error = this.lastError;
    return s;
  }

  /** Starts in the background: serving begins at once, the books follow once NATS and a snapshot are there. */
  async start(): Promise<void> {
    if (this.job !== undefined) return;
    this.staleTimer = setInterval(() => this.checkStale(), Math.max(10, Math.min(1_000, Math.floor(this.staleAfterMs / 4))));
    this.job = this.run('start').catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.logger.error({ err }, `edge feed failed: ${(err as Error).message}`);
    });
    this.report();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.staleTimer);
    await this.source?.pause();
    await this.job;
    await this.nc?.close().catch(() => undefined);
    natsMetrics.connected.set({ role: 'edge' }, 0);
  }

  // ---- loading -----------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const nc = await connectNats({ name: 'hl-orderbook edge', ...this.opts.connection });
    this.nc = nc;
    this.setConnected(true);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.setConnected(false);
        else if (s.type === 'reconnect') this.setConnected(true);
      }
    })().catch(() => undefined);
    const src = new NatsBlockSource(nc, { stream: this.stream, subject: this.subject, logger: this.logger });
    src.on('block', this.onBlockBound);
    src.on('gap', this.onGapBound);
    this.source = src;
  }

  private setConnected(up: boolean): void {
    if (up === this.connected) return;
    this.connected = up;
    natsMetrics.connected.set({ role: 'edge' }, up ? 1 : 0);
    if (up) this.logger.info({ servers: this.opts.connection.servers }, 'connected to NATS');
    else this.logger.warn({ servers: this.opts.connection.servers, height: this.books.height }, 'NATS away: the books hold their height until it returns');
  }

  /** Load the newest usable snapshot and follow the log after it; retried until it works. */
  private async run(reason: 'start' | 'gap' | 'desync' | 'partial'): Promise<void> {
    const signal = this.abort.signal;
    if (this.nc === undefined) await this.connect();
    natsMetrics.edgeResyncs.inc({ reason });
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        this.store ??= await SnapshotStore.open(this.nc!, this.bucket);
        const snap = await this.store.newest();
        if (snap === undefined || snap.height < this.minSnapshot) {
          throw new HlobError(
            ErrorCodes.BAD_SNAPSHOT,
            snap === undefined
              ? `no snapshot in bucket ${this.bucket} yet`
              : `newest snapshot ${snap.height} is below ${this.minSnapshot}: waiting for a newer one`,
          );
        }
        await this.install(snap);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.lastError = (err as Error).message;
        this.report();
        if (attempt === 1 || attempt % 20 === 0) this.logger.warn({ err, attempt }, `edge waiting: ${this.lastError}`);
        await sleep(Math.min(2_000, 100 * attempt), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private async install(snap: StoredSnapshot): Promise<void> {
    const t0 = performance.now();
    const dir = await mkdtemp(join(this.opts.tmpDir ?? tmpdir(), 'hlob-edge-'));
    try {
      const path = join(dir, `${snap.name}.json`);
      await this.store!.download(snap, path);
      const loaded = await loadBooks(path, { sliceMs: this.opts.sliceMs ?? 4, signal: this.abort.signal });
      if (loaded.height !== snap.height) throw new HlobError(ErrorCodes.BAD_SNAPSHOT, `snapshot ${snap.name} holds height ${loaded.height}`);
      for (const coin of [...this.books.coins()]) if (!loaded.books.has(coin)) this.books.deleteBook(coin);
      for (const [coin, book] of loaded.books) this.books.setBook(coin, book);
      this.books.height = snap.height;
      this.lastTime = snap.time;
      this.loaded = true;
      this.snapshotHeight = snap.height;
      this.lastBlockAt = this.now();
      metrics.height.set(snap.height);
      this.logger.info(
        { height: snap.height, coins: loaded.books.size, orders: loaded.orders, bytes: loaded.bytes, ms: Math.round(performance.now() - t0) },
        `loaded snapshot ${snap.name} from bucket ${this.bucket}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    this.base = 'ready';
    this.lastError = undefined;
    this.emit('reset', 'all', this.books.height);
    this.report();
    await this.source!.follow({ height: snap.height, seq: snap.seq });
    this.following = true;
    this.report();
  }

  private resync(reason: 'gap' | 'desync' | 'partial', why: string, minSnapshot: number): void {
    if (this.base !== 'ready' || this.abort.signal.aborted) return;
    this.logger.warn({ height: this.books.height, reason }, `edge resync from the snapshot bucket: ${why}`);
    this.resyncs++;
    metrics.resyncs.inc({ kind: 'full' });
    this.base = 'resyncing';
    this.following = false;
    this.lastError = why;
    this.minSnapshot = minSnapshot;
    this.report();
    const prev = this.job;
    this.job = (async () => {
      await prev;
      await this.source?.pause();
      await this.run(reason);
    })().catch((err: unknown) => {
      if (!this.abort.signal.aborted) this.logger.error({ err }, `edge resync failed: ${(err as Error).message}`);
    });
  }

  // ---- blocks ------------------------------------------------------------------------------

  private onBlock(lb: SourcedBlock): void {
    if (this.base !== 'ready') return;
    const block = lb.block;
    const h = this.books.height;
    if (block.height <= h) return; // written twice (two cores further apart than the dedupe window)
    if (block.height !== h + 1) {
      // A snapshot below the jump would meet it again: wait for one at or past its end.
      this.resync('gap', `the block log jumps from ${h} to ${block.height} (retention passed the missing blocks, or a core dropped them)`, block.height - 1);
      return;
    }
    this.lastBlockAt = this.now();
    if (this.stale) {
      this.stale = false;
      this.report();
    }
    const t0 = performance.now();
    const change = this.books.applyBlock(block);
    metrics.applySeconds.observe((performance.now() - t0) / 1000);
    this.lastTime = block.time;
    this.rate.add(block.statuses.length + block.diffs.length + block.fills.length);
    metrics.blocks.inc();
    metrics.height.set(block.height);
    metrics.lagSeconds.set((this.now() - block.time) / 1000);
    natsMetrics.edgeBlocks.inc();
    this.emit('block', change);
    if (change.desyncs.length > 0) {
      metrics.desyncs.inc(change.desyncs.length);
      this.resync('desync', `block ${block.height}: ${change.desyncs[0]!.message}`, block.height + 1);
    } else if (lb.partial.length > 0) {
      this.resync('partial', `block ${block.height} lacks ${lb.partial.join(', ')} (the core was repairing them)`, block.height + 1);
    }
  }

  private checkStale(): void {
    if (this.stale || this.base !== 'ready' || this.now() - this.lastBlockAt < this.staleAfterMs) return;
    this.stale = true;
    this.logger.warn({ sinceMs: this.now() - this.lastBlockAt }, `no block from the log for ${this.staleAfterMs} ms: stale`);
    this.report();
  }

  private report(): void {
    const s = this.status();
    const key = `${s.state}|${s.error ?? ''}`;
    if (key === this.lastReported) return;
    this.lastReported = key;
    this.emit('state', s);
  }
}
