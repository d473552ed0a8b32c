/**
 * `NatsBlockSource`: the block log on NATS JetStream as the feed's `BlockSource`
 * (`src/node/block-source.ts`), so that an edge runs the core's own `NodeFeed` on it
 * (`createEdgeFeed`, `edge.ts`): the same state machine, the same frames.
 *
 * - `start()` returns at once; the source connects in the background (reporting `waiting`
 *   until NATS answers) and reads the log from its last block on, then follows it live. The
 *   feed asks the snapshot bucket (`BucketSnapshots`) for the newest snapshot on that first
 *   block and catches it up with `readRange` (the blocks between the snapshot and the first
 *   one delivered, read back from the log).
 * - Heights are checked here, as the node's joiner checks them: a height the log holds twice
 *   (two cores further apart than the dedupe window) is skipped and counted; a jump (retention
 *   passed the missing heights, or a core dropped them from a full buffer), a message that does
 *   not decode, or a block a core marked partial (it was repairing coins) is a `gap`: the feed
 *   resyncs from a fresh snapshot, and `readRange` refuses to cross it.
 * - Reading is an ordered consumer from a start sequence: the client recreates it after a
 *   reconnect at the next sequence it has not delivered, so a NATS restart loses or repeats
 *   nothing.
 */
import { EventEmitter } from 'node:events';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Block } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import type { BlockSource, BlockSourceEventMap, SourceHealth } from '../node/block-source.js';
import type { JoinedBlock } from '../node/joiner.js';
import { silentLogger, type Logger } from '../node/logger.js';
import { decodeBlock, heightOfMsgId, type LogBlock } from './codec.js';
import { connectNats, type NatsConnectOptions } from './connection.js';
import { natsMetrics } from './metrics.js';

export interface NatsBlockSourceOptions {
  connection: NatsConnectOptions;
  stream: string;
  subject: string;
  /** Reported on `/health` beside the stream. */
  bucket?: string;
  /** Height of the snapshot last loaded from the bucket, for `/health`. */
  snapshotHeight?: () => number | null;
  logger?: Logger;
}

function heightOf(headers: { get(k: string): string } | undefined): number {
  return heightOfMsgId(headers?.get('Nats-Msg-Id'));
}

/** One log message read: the block, or why it cannot be used. */
type Read = { height: number; block: LogBlock; error?: undefined } | { height: number; block?: undefined; error: HlobError };

function read(m: JsMsg): Read {
  const id = heightOf(m.headers);
  try {
    const lb = decodeBlock(m.data);
    if (!Number.isNaN(id) && lb.block.height !== id)
      throw new HlobError(ErrorCodes.BAD_LINE, `block log message ${m.seq} has id ${id} but holds block ${lb.block.height}`);
    return { height: lb.block.height, block: lb };
  } catch (err) {
    return { height: id, error: err as HlobError };
  }
}

function partialError(b: LogBlock): HlobError {
  return new HlobError(ErrorCodes.HEIGHT_GAP, `block ${b.block.height} of the log lacks ${b.partial.join(', ')} (the publishing core was repairing them)`);
}

export class NatsBlockSource extends EventEmitter<BlockSourceEventMap> implements BlockSource {
  private readonly logger: Logger;
  private nc: Promise<NatsConnection> | undefined;
  private jsm: JetStreamManager | undefined;
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  private connected = false;
  private following = false;
  /** Height of the last block delivered (or given up as a gap). */
  private last: number | undefined;
  private gaps = 0;
  private duplicates = 0;
  private run: Promise<void> | undefined;

  constructor(private readonly opts: NatsBlockSourceOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
  }

  /** The connection to NATS (shared with the snapshot bucket), made on first use; reconnects for ever. */
  connection(): Promise<NatsConnection> {
    this.nc ??= connectNats({ name: 'hl-orderbook edge', ...this.opts.connection }).then((nc) => {
      this.setConnected(true);
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') this.setConnected(false);
          else if (s.type === 'reconnect') this.setConnected(true);
        }
      })().catch(() => undefined);
      return nc;
    });
    return this.nc;
  }

  health(): SourceHealth {
    return {
      nats: {
        role: 'edge',
        connected: this.connected,
        stream: this.opts.stream,
        bucket: this.opts.bucket,
        snapshot: this.opts.snapshotHeight?.() ?? null,
        resyncs: this.gaps,
        duplicates: this.duplicates,
        following: this.following,
      },
    };
  }

  async start(): Promise<void> {
    if (this.run !== undefined) return;
    this.emit('waiting', [`NATS at ${this.opts.connection.servers.join(', ')}`]);
    natsMetrics.edgeResyncs.inc({ reason: 'start' });
    this.run = this.follow().catch((err: unknown) => {
      if (!this.stopped) this.logger.error({ err }, `reading the block log failed: ${(err as Error).message}`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.following = false;
    await this.messages?.close().catch(() => undefined);
    await this.run;
    const nc = this.nc;
    this.nc = undefined;
    if (nc !== undefined) await (await nc.catch(() => undefined))?.close().catch(() => undefined);
    natsMetrics.connected.set({ role: 'edge' }, 0);
  }

  /**
   * Blocks `from`..`to` read back from the log (the feed catches a snapshot up with them).
   * Throws a coded error at the first height the log lacks, or holds only partially.
   */
  async *readRange(from: number, to: number, signal?: AbortSignal): AsyncIterable<Block> {
    if (to < from) return;
    const jsm = await this.manager();
    const start = await this.seqAfter(jsm, from - 1);
    const info = await jsm.streams.info(this.opts.stream);
    const missing = (what: string): HlobError =>
      new HlobError(ErrorCodes.HEIGHT_GAP, `the block log cannot give blocks ${from}..${to}: ${what} (retention passed them, or a core dropped them)`);
    if (start > info.state.last_seq) throw missing('it ends before them');
    const consumer = await jetstream(await this.connection()).consumers.get(this.opts.stream, {
      filter_subjects: this.opts.subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const messages = await consumer.consume({ max_messages: 512 });
    const abort = (): void => void messages.close().catch(() => undefined);
    signal?.addEventListener('abort', abort, { once: true });
    let next = from;
    try {
      for await (const m of messages) {
        signal?.throwIfAborted();
        const r = read(m);
        if (r.height < next) continue;
        if (r.height > next || r.block === undefined) throw r.block === undefined ? r.error : missing(`height ${next} is missing (the next is ${r.height})`);
        if (r.block.partial.length > 0) throw partialError(r.block);
        yield r.block.block;
        if (++next > to) return;
        // Every height up to `to` was in the log when reading began (the live side delivered past it).
        if (m.seq >= info.state.last_seq) throw missing(`it ends at ${r.height}`);
      }
      signal?.throwIfAborted();
      throw missing(`reading stopped at ${next}`);
    } finally {
      signal?.removeEventListener('abort', abort);
      await messages.close().catch(() => undefined);
    }
  }

  // ---- following ---------------------------------------------------------------------------

  private setConnected(up: boolean): void {
    if (up === this.connected) return;
    this.connected = up;
    natsMetrics.connected.set({ role: 'edge' }, up ? 1 : 0);
    if (up) this.logger.info({ servers: this.opts.connection.servers }, 'connected to NATS');
    else this.logger.warn({ servers: this.opts.connection.servers, height: this.last }, 'NATS away: the books hold their height until it returns');
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await jetstreamManager(await this.connection());
    return this.jsm;
  }

  /** From the log's last block on (the feed loads a snapshot at or below it), then live; retried until it works. */
  private async follow(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const jsm = await this.manager();
        const info = await jsm.streams.info(this.opts.stream);
        const start = this.last === undefined ? Math.max(info.state.first_seq, info.state.last_seq) : await this.seqAfter(jsm, this.last);
        const consumer = await jetstream(await this.connection()).consumers.get(this.opts.stream, {
          filter_subjects: this.opts.subject,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: start,
        });
        const messages = await consumer.consume({ max_messages: 512 });
        if (this.stopped) {
          await messages.close();
          return;
        }
        this.messages = messages;
        this.following = true;
        this.logger.info({ after: this.last, seq: start }, `reading the block log from sequence ${start}`);
        for await (const m of messages) this.deliver(read(m));
        this.following = false;
        if (this.stopped) return;
        throw new HlobError(ErrorCodes.HEIGHT_GAP, 'the block log consumer ended');
      } catch (err) {
        this.following = false;
        if (this.stopped) return;
        if (attempt === 1 || attempt % 20 === 0) this.logger.warn({ err, attempt }, `edge waiting for the block log: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * attempt)));
      }
    }
  }

  private deliver(r: Read): void {
    const last = this.last;
    if (last !== undefined && !Number.isNaN(r.height) && r.height <= last) {
      // Written twice: two cores further apart than the stream's dedupe window.
      if (this.duplicates++ % 1000 === 0) this.logger.warn({ height: r.height, last }, `block ${r.height} is in the log again: skipped`);
      return;
    }
    if (r.block === undefined) return this.gap(Number.isNaN(r.height) ? (last ?? 0) + 1 : r.height, r.error, 'bad-message');
    if (last !== undefined && r.height !== last + 1) {
      this.gap(
        last + 1,
        new HlobError(ErrorCodes.HEIGHT_GAP, `the block log jumps from ${last} to ${r.height} (retention passed the missing blocks, or a core dropped them)`),
        'gap',
      );
    }
    if (r.block.partial.length > 0) return this.gap(r.height, partialError(r.block), 'partial');
    this.last = r.height;
    natsMetrics.edgeBlocks.inc();
    const bytes = r.block.bytes;
    const joined: JoinedBlock = { block: r.block.block, bytes, lineBytes: { statuses: bytes >> 1, diffs: bytes - (bytes >> 1), fills: 0 } };
    this.emit('block', joined);
  }

  private gap(height: number, error: HlobError, reason: 'gap' | 'partial' | 'bad-message'): void {
    this.gaps++;
    natsMetrics.edgeResyncs.inc({ reason });
    if (!Number.isNaN(height)) this.last = Math.max(this.last ?? height, height);
    this.logger.warn({ height, reason }, `resync from the snapshot bucket: ${error.message}`);
    this.emit('gap', { height, reason: 'missing', streams: [], error });
  }

  /**
   * The sequence of the first block above `height`: a binary search on the heights (ids) of
   * the stored messages. Past the end: the next sequence to be written.
   */
  private async seqAfter(jsm: JetStreamManager, height: number): Promise<number> {
    const info = await jsm.streams.info(this.opts.stream);
    const first = info.state.first_seq;
    const last = info.state.last_seq;
    if (info.state.messages === 0) return last + 1;
    const heightAt = async (seq: number): Promise<number> => {
      const m = await jsm.streams.getMessage(this.opts.stream, { seq }).catch(() => null);
      return m === null ? NaN : heightOf(m.header);
    };
    let lo = first;
    let hi = last + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const h = await heightAt(mid);
      if (Number.isNaN(h) || h > height) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
