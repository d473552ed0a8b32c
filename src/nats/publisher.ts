/**
 * `BlockLogPublisher`: a core's applied blocks appended to a JetStream stream (the block log),
 * and L4 snapshots of its own books stored in an object store bucket.
 *
 * It listens to the feed's `block` event (a `BlockChange`, after the books applied it) and
 * never blocks ingest: each block is encoded (`codec.ts`) and queued at once; a single pump
 * publishes the queue in height order with `Nats-Msg-Id` = height, so JetStream drops a
 * height another core already wrote (two cores, one log). A slow or absent NATS leaves the
 * queue to grow up to `maxBufferedBytes` (then the oldest are dropped: the log has a gap
 * there, and edges take a fresh snapshot); it is published when NATS returns. The state is
 * in `status()` (on `/health` as `nats`), in `hlob_nats_*` metrics, and logged on change.
 *
 * A duplicate ack means another core wrote that height: its stored bytes are compared with
 * ours, and a different block is logged and counted as a conflict.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { BlockChange } from '../book/types.js';
import type { Logger } from '../node/logger.js';
import { silentLogger } from '../node/logger.js';
import type { BookFeed } from '../state/feed.js';
import { blockOfChange, CODEC_VERSION, encodeBlock, heightOfMsgId, messageVersion, sameMessage, type StatusMode } from './codec.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { Fifo } from '../util/fifo.js';
import { connectNats, nanos, type NatsConnectOptions } from './connection.js';
import { natsMetrics } from './metrics.js';
import { snapshotChunks, SnapshotStore, DEFAULT_BUCKET } from './snapshot-store.js';

export const DEFAULT_STREAM = 'HL_BLOCKS';
export const DEFAULT_SUBJECT = 'hl.blocks';

/** The log's retention, applied when this core creates the stream. */
export interface LogRetention {
  /** Blocks older than this are removed. Default 24 h. */
  maxAgeMs: number;
  /** The stream is cut to this many bytes, oldest first. Default 8 GiB. */
  maxBytes: number;
  /** Window in which a repeated `Nats-Msg-Id` (height) is dropped. Default 2 min. */
  duplicateWindowMs: number;
}

export const DEFAULT_RETENTION: LogRetention = { maxAgeMs: 24 * 3_600_000, maxBytes: 8 * 1024 ** 3, duplicateWindowMs: 120_000 };

export interface PublisherOptions {
  connection: NatsConnectOptions;
  stream?: string;
  subject?: string;
  bucket?: string;
  /** Which statuses the log carries (codec.ts). Default `book`. */
  statuses?: StatusMode;
  retention?: Partial<LogRetention>;
  /** Bound on the blocks waiting for NATS, bytes. Default 256 MiB. */
  maxBufferedBytes?: number;
  /** A snapshot when the books are ready, then every this many blocks. Default 5,000 (~6 min on mainnet); 0 = none. */
  snapshotEvery?: number;
  /** Snapshots kept in the bucket. Default 3. */
  snapshotKeep?: number;
  /** One publish's time limit, ms. Default 5,000. */
  publishTimeoutMs?: number;
  logger?: Logger;
}

export interface PublishStatus {
  role: 'publish';
  connected: boolean;
  /** Blocks applied but not yet in the log. */
  buffered: number;
  bufferedBytes: number;
  /** Highest height the log acknowledged (ours or another core's). */
  published: number | null;
  dropped: number;
  /** Blocks not appended because the log was already past them when this core (re)connected. */
  skipped: number;
  conflicts: number;
  /** Height of the last snapshot stored. */
  snapshot: number | null;
  error?: string;
}

interface Pending {
  height: number;
  bytes: Uint8Array;
}

export interface PublisherEventMap {
  /** A block is in the log (`duplicate`: another core had written it). */
  published: [height: number, seq: number, duplicate: boolean];
  snapshot: [height: number];
  conflict: [height: number];
  /** `close()` was called: whatever waits for the log stops waiting. */
  closing: [];
}

export class BlockLogPublisher extends EventEmitter<PublisherEventMap> {
  readonly stream: string;
  readonly subject: string;
  readonly bucket: string;
  private readonly mode: StatusMode;
  private readonly retention: LogRetention;
  private readonly maxBufferedBytes: number;
  private readonly snapshotEvery: number;
  private readonly snapshotKeep: number;
  private readonly publishTimeoutMs: number;
  private readonly logger: Logger;

  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private store: SnapshotStore | undefined;
  private ready: Promise<void> | undefined;
  private readonly queue = new Fifo<Pending>();
  private queuedBytes = 0;
  private pumping = false;
  private closed = false;
  private connected = false;
  private lastError: string | undefined;
  private published: number | null = null;
  private lastSeq = new Map<number, number>();
  private dropped = 0;
  private skipped = 0;
  private conflicts = 0;
  /** The log's last block, read when (re)connected; undefined until read, or when the log is empty. */
  private tip: { height: number; seq: number; bytes: Uint8Array } | undefined;
  private tipStale = true;
  private snapshotHeight: number | null = null;
  private snapshotDue = true;
  private snapshotJob: Promise<void> | undefined;
  private feed: BookFeed | undefined;
  private wake: (() => void) | undefined;
  private readonly onBlockBound = (c: BlockChange): void => this.onBlock(c);
  private readonly onResetBound = (): void => {
    this.snapshotDue = true;
  };

  constructor(private readonly opts: PublisherOptions) {
    super();
    this.stream = opts.stream ?? DEFAULT_STREAM;
    this.subject = opts.subject ?? DEFAULT_SUBJECT;
    this.bucket = opts.bucket ?? DEFAULT_BUCKET;
    this.mode = opts.statuses ?? 'book';
    this.retention = { ...DEFAULT_RETENTION, ...opts.retention };
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024 * 1024;
    this.snapshotEvery = opts.snapshotEvery ?? 5_000;
    this.snapshotKeep = Math.max(1, opts.snapshotKeep ?? 3);
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 5_000;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Follow `feed`'s applied blocks, and connect in the background (never waits for NATS). */
  attach(feed: BookFeed): void {
    this.feed = feed;
    feed.on('block', this.onBlockBound);
    feed.on('reset', this.onResetBound);
    this.ready = this.connect();
    this.ready.catch(() => undefined);
  }

  status(): PublishStatus {
    const s: PublishStatus = {
      role: 'publish',
      connected: this.connected,
      buffered: this.queue.length,
      bufferedBytes: this.queuedBytes,
      published: this.published,
      dropped: this.dropped,
      skipped: this.skipped,
      conflicts: this.conflicts,
      snapshot: this.snapshotHeight,
    };
    if (this.lastError !== undefined) s.error = this.lastError;
    return s;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.emit('closing');
    this.feed?.off('block', this.onBlockBound);
    this.feed?.off('reset', this.onResetBound);
    this.wake?.();
    await this.snapshotJob?.catch(() => undefined);
    await this.nc?.close().catch(() => undefined);
    natsMetrics.connected.set({ role: 'publish' }, 0);
  }

  /** Resolves once every block applied so far is in the log (tests, benchmarks). */
  async flushed(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) await this.nextPublished();
  }

  /** Resolves on the next block in the log, or when the publisher closes (a waiter must not outlive it). */
  private nextPublished(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.off('published', done);
        this.off('closing', done);
        resolve();
      };
      this.once('published', done);
      this.once('closing', done);
    });
  }

  // ---- connection --------------------------------------------------------------------------

  private async connect(): Promise<void> {
    const nc = await connectNats({ name: 'hl-orderbook core', ...this.opts.connection });
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.js = jetstream(nc, { timeout: this.publishTimeoutMs });
    this.setConnected(true);
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.setConnected(false, `disconnected from NATS (${String((s as { server?: string }).server ?? '')})`);
        else if (s.type === 'reconnect') {
          this.tipStale = true;
          this.setConnected(true);
          this.kick();
        }
      }
    })().catch(() => undefined);
    await this.ensureLog();
    this.kick();
  }

  private setConnected(up: boolean, why?: string): void {
    if (up === this.connected && why === undefined) return;
    const was = this.connected;
    this.connected = up;
    natsMetrics.connected.set({ role: 'publish' }, up ? 1 : 0);
    if (up) {
      this.lastError = undefined;
      if (!was) this.logger.info({ servers: this.opts.connection.servers }, 'publishing the block log to NATS');
    } else {
      this.lastError = why;
      if (was) this.logger.warn({ servers: this.opts.connection.servers, buffered: this.queue.length }, `NATS away: blocks are buffered (${why ?? ''})`);
    }
  }

  /** The stream (created if missing, with `retention`) and the snapshot bucket. Retried until they exist. */
  private async ensureLog(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        this.jsm ??= await jetstreamManager(this.nc!, { timeout: this.publishTimeoutMs });
        const exists = await this.jsm.streams.info(this.stream).then(
          () => true,
          (err: unknown) => {
            if (/not found/i.test((err as Error).message)) return false;
            throw err;
          },
        );
        if (!exists) {
          await this.jsm.streams.add({
            name: this.stream,
            subjects: [this.subject],
            retention: RetentionPolicy.Limits,
            storage: StorageType.File,
            discard: DiscardPolicy.Old,
            max_age: nanos(this.retention.maxAgeMs),
            max_bytes: this.retention.maxBytes,
            duplicate_window: nanos(this.retention.duplicateWindowMs),
          });
          this.logger.info({ stream: this.stream, subject: this.subject, ...this.retention }, `created stream ${this.stream}`);
        } else {
          await this.checkLogVersion(this.jsm);
        }
        this.store ??= await SnapshotStore.open(this.nc!, this.bucket, true);
        return;
      } catch (err) {
        this.lastError = `cannot set up stream ${this.stream} / bucket ${this.bucket}: ${(err as Error).message}`;
        this.logger.warn({ err }, this.lastError);
        await sleep(Math.min(5_000, 200 * attempt));
      }
    }
  }

  /**
   * A log written in another format version is refused (retried, so that purging the stream or
   * upgrading the other cores lets this one go on): edges read one version, and two versions
   * in one log would leave every edge resyncing on the other's blocks.
   */
  private async checkLogVersion(jsm: JetStreamManager): Promise<void> {
    const last = await jsm.streams.getMessage(this.stream, { last_by_subj: this.subject }).catch(() => null);
    if (last === null) return;
    const v = messageVersion(last.data);
    if (v === CODEC_VERSION) return;
    throw new HlobError(
      ErrorCodes.CONFIG,
      `stream ${this.stream} holds block log format version ${v ?? 'unknown'}, this core writes version ${CODEC_VERSION}: publish to another stream (--nats-stream) or purge this one`,
    );
  }

  // ---- blocks ------------------------------------------------------------------------------

  private onBlock(change: BlockChange): void {
    if (this.closed) return;
    const st = this.feed!.status();
    const bytes = encodeBlock(blockOfChange(change), this.mode, st.repairing);
    this.queue.push({ height: change.height, bytes });
    this.queuedBytes += bytes.length;
    while (this.queuedBytes > this.maxBufferedBytes && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.queuedBytes -= old.bytes.length;
      this.dropped++;
      natsMetrics.dropped.inc();
      // The log will skip this height: edges need a snapshot from after it.
      this.snapshotDue = true;
      if (this.dropped === 1 || this.dropped % 1000 === 0)
        this.logger.error({ height: old.height, dropped: this.dropped }, `publish buffer full: block ${old.height} dropped (the log will have a gap)`);
    }
    this.gauge();
    if (st.state === 'ready' && st.repairing.length === 0 && this.snapshotEvery > 0) {
      if (this.snapshotDue || (this.snapshotHeight !== null && change.height - this.snapshotHeight >= this.snapshotEvery))
        this.takeSnapshot(change.height, change.time);
    }
    this.kick();
  }

  private gauge(): void {
    natsMetrics.buffered.set(this.queue.length);
    natsMetrics.bufferedBytes.set(this.queuedBytes);
  }

  private kick(): void {
    if (this.wake !== undefined) {
      const w = this.wake;
      this.wake = undefined;
      w();
    }
    if (this.pumping || this.js === undefined || this.store === undefined) return;
    this.pumping = true;
    this.pump()
      .catch((err: unknown) => this.logger.error({ err }, 'publish pump failed'))
      .finally(() => {
        this.pumping = false;
      });
  }

  private async pump(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const next = this.queue.peek();
      if (next === undefined) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      if (this.tipStale) await this.readTip();
      if (this.tip !== undefined && next.height <= this.tip.height) {
        this.skipBehindTip(next, this.tip);
        continue;
      }
      try {
        const ack = await this.js!.publish(this.subject, next.bytes, { msgID: String(next.height), timeout: this.publishTimeoutMs });
        failures = 0;
        if (this.queue.peek() === next) {
          this.queue.shift();
          this.queuedBytes -= next.bytes.length;
        }
        if (ack.duplicate) await this.checkDuplicate(next, ack.seq);
        natsMetrics.published.inc({ result: ack.duplicate ? 'duplicate' : 'new' });
        this.published = Math.max(this.published ?? 0, next.height);
        this.lastSeq.set(next.height, ack.seq);
        if (this.lastSeq.size > 64) this.lastSeq.delete(this.lastSeq.keys().next().value!);
        if (!this.connected) this.setConnected(true);
        this.gauge();
        this.emit('published', next.height, ack.seq, ack.duplicate);
      } catch (err) {
        if (this.closed) return;
        failures++;
        this.setConnected(false, `publishing block ${next.height}: ${(err as Error).message}`);
        await sleep(Math.min(2_000, 100 * failures));
      }
    }
  }

  /**
   * The log's last block. Read on connecting and reconnecting: a core back after longer than
   * the dedupe window (its node restarted, NATS away, its process restarted from an older
   * snapshot) would otherwise append heights the other core wrote long ago, which JetStream
   * no longer recognises.
   */
  private async readTip(): Promise<void> {
    try {
      const last = await this.jsm!.streams.getMessage(this.stream, { last_by_subj: this.subject });
      const height = last === null ? NaN : heightOfMsgId(last.header.get('Nats-Msg-Id'));
      this.tip = last === null || Number.isNaN(height) ? undefined : { height, seq: last.seq, bytes: last.data };
      this.tipStale = false;
    } catch (err) {
      // An empty stream answers "no message found"; anything else: the publish will tell.
      if (/no message found/i.test((err as Error).message)) {
        this.tip = undefined;
        this.tipStale = false;
      } else this.logger.debug({ err }, 'could not read the log tip');
    }
  }

  /** Whether a block at or below `height` still waits to be published. */
  private queuedAtOrBelow(height: number): boolean {
    for (let i = 0; i < this.queue.length; i++) if (this.queue.at(i)!.height <= height) return true;
    return false;
  }

  /** The log is already past `p`: not appended again; the tip's own height is checked for a conflict. */
  private skipBehindTip(p: Pending, tip: { height: number; seq: number; bytes: Uint8Array }): void {
    this.queue.shift();
    this.queuedBytes -= p.bytes.length;
    if (this.skipped++ === 0 || this.skipped % 1000 === 0)
      this.logger.warn(
        { height: p.height, tip: tip.height, skipped: this.skipped },
        `the log is already at ${tip.height}: block ${p.height} not appended again`,
      );
    natsMetrics.published.inc({ result: 'skipped' });
    if (p.height === tip.height && !sameMessage(tip.bytes, p.bytes)) this.conflict(p.height, tip.seq);
    this.published = Math.max(this.published ?? 0, tip.height);
    this.gauge();
    this.emit('published', p.height, p.height === tip.height ? tip.seq : -1, true);
  }

  private conflict(height: number, seq: number): void {
    this.conflicts++;
    natsMetrics.conflicts.inc();
    this.emit('conflict', height);
    this.logger.error({ height, seq }, `conflict: the log holds a different block at height ${height} than this core applied`);
  }

  /** Another core wrote this height first: the log must hold the same block we applied. */
  private async checkDuplicate(p: Pending, seq: number): Promise<void> {
    try {
      const stored = await this.jsm!.streams.getMessage(this.stream, { seq });
      if (stored === null) return;
      if (!sameMessage(stored.data, p.bytes)) this.conflict(p.height, seq);
    } catch (err) {
      this.logger.debug({ err, height: p.height }, 'could not read back a duplicate height');
    }
  }

  // ---- snapshots ---------------------------------------------------------------------------

  /**
   * Capture the books now (synchronously: the one moment they are at `height`), then write
   * the text piece by piece and store it once block `height` is in the log (its sequence is
   * where an edge starts).
   */
  private takeSnapshot(height: number, time: number): void {
    if (this.snapshotJob !== undefined) return;
    this.snapshotDue = false;
    this.snapshotHeight = height;
    const snap = this.feed!.books.toSnapshot();
    this.snapshotJob = (async () => {
      await this.ready;
      while (!this.closed && (this.published === null || this.published < height) && this.queuedAtOrBelow(height)) {
        await this.nextPublished();
      }
      if (this.closed) return;
      const stored = await this.store!.put({ height, time, seq: this.lastSeq.get(height) }, snapshotChunks(snap));
      natsMetrics.snapshots.inc({ result: 'ok' });
      const pruned = await this.store!.prune(this.snapshotKeep);
      this.logger.info({ height, bytes: stored.size, bucket: this.bucket, pruned }, `stored L4 snapshot at ${height}`);
      return true;
    })()
      .catch((err: unknown) => {
        natsMetrics.snapshots.inc({ result: 'failed' });
        this.snapshotDue = true;
        if (!this.closed) this.logger.warn({ err, height }, `snapshot at ${height} not stored: ${(err as Error).message}`);
        return false;
      })
      .then((stored) => {
        this.snapshotJob = undefined;
        // Announced once the next snapshot may start: a listener that applies a block on it gets one.
        if (stored === true) this.emit('snapshot', height);
      });
  }
}
