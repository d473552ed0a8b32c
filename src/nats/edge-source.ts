/**
 * The block log as a block source: `BlockLogSource` is the small interface an edge's feed
 * consumes (blocks in log order, and gap signals), `NatsBlockSource` reads it from JetStream.
 *
 * It mirrors what the feed consumes of a node's block sources (`src/node/block-source.ts`:
 * joined blocks in height order + gaps), so that once the feed receives its source (issue
 * #13), this one plugs in there. Heights are checked by the consumer (the feed): the log may
 * hold a height twice (written by two cores further apart than the dedupe window) or skip
 * some (retention passed them, a core's full buffer): the feed skips the first and resyncs on
 * the second.
 *
 * Reading is an ordered consumer from a start sequence: the client recreates it after a
 * reconnect at the next sequence it has not delivered, so no block is lost or repeated by a
 * NATS restart.
 */
import { EventEmitter } from 'node:events';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamManager } from '@nats-io/jetstream';
import { ErrorCodes, HlobError } from '../errors.js';
import { silentLogger, type Logger } from '../node/logger.js';
import { decodeBlock, heightOfMsgId, type LogBlock } from './codec.js';

/** A block read from the log, with its stream sequence. */
export interface SourcedBlock extends LogBlock {
  seq: number;
}

/** The log cannot give the blocks after the books' height: a fresh snapshot is needed. */
export interface LogGap {
  /** The first height the log could not give. */
  height: number;
  error: HlobError;
}

export interface BlockLogSourceEventMap {
  block: [b: SourcedBlock];
  gap: [g: LogGap];
}

/** What an edge's feed needs of a block source. */
export interface BlockLogSource {
  /** Deliver the blocks after `height` (its sequence in the log, when known, saves a search). */
  follow(after: { height: number; seq?: number }): Promise<void>;
  /** Stop delivering (until the next `follow`). */
  pause(): Promise<void>;
  on<K extends keyof BlockLogSourceEventMap>(event: K, listener: (...args: BlockLogSourceEventMap[K]) => void): this;
  off<K extends keyof BlockLogSourceEventMap>(event: K, listener: (...args: BlockLogSourceEventMap[K]) => void): this;
}

export interface NatsBlockSourceOptions {
  stream: string;
  subject: string;
  logger?: Logger;
}

function heightOf(headers: { get(k: string): string } | undefined): number {
  return heightOfMsgId(headers?.get('Nats-Msg-Id'));
}

export class NatsBlockSource extends EventEmitter<BlockLogSourceEventMap> implements BlockLogSource {
  private jsm: JetStreamManager | undefined;
  private messages: ConsumerMessages | undefined;
  private generation = 0;
  private readonly logger: Logger;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: NatsBlockSourceOptions,
  ) {
    super();
    this.logger = opts.logger ?? silentLogger;
  }

  async follow(after: { height: number; seq?: number }): Promise<void> {
    await this.pause();
    const gen = ++this.generation;
    this.jsm ??= await jetstreamManager(this.nc);
    const start = await this.seqAfter(after.height, after.seq);
    if (gen !== this.generation) return;
    const consumer = await jetstream(this.nc).consumers.get(this.opts.stream, {
      filter_subjects: this.opts.subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const messages = await consumer.consume({ max_messages: 512 });
    if (gen !== this.generation) {
      await messages.close();
      return;
    }
    this.messages = messages;
    this.logger.info({ after: after.height, seq: start }, `reading the block log from sequence ${start}`);
    void (async () => {
      for await (const m of messages) {
        if (gen !== this.generation) break;
        const height = heightOf(m.headers);
        let lb: LogBlock;
        try {
          lb = decodeBlock(m.data);
          if (!Number.isNaN(height) && lb.block.height !== height)
            throw new HlobError(ErrorCodes.BAD_LINE, `message ${m.seq} has id ${height} but holds block ${lb.block.height}`);
        } catch (err) {
          this.emit('gap', { height: Number.isNaN(height) ? -1 : height, error: err as HlobError });
          continue;
        }
        this.emit('block', { ...lb, seq: m.seq });
      }
    })().catch((err: unknown) => {
      if (gen === this.generation)
        this.emit('gap', {
          height: after.height + 1,
          error: new HlobError(ErrorCodes.HEIGHT_GAP, `block log read failed: ${(err as Error).message}`, { cause: err }),
        });
    });
  }

  async pause(): Promise<void> {
    this.generation++;
    const m = this.messages;
    this.messages = undefined;
    await m?.close().catch(() => undefined);
  }

  /**
   * The sequence of the first block above `height`: the hint's next when it holds `height`,
   * else a binary search on the heights (ids) of the stored messages. Past the end: the next
   * sequence to be written.
   */
  private async seqAfter(height: number, hint: number | undefined): Promise<number> {
    const info = await this.jsm!.streams.info(this.opts.stream);
    const first = info.state.first_seq;
    const last = info.state.last_seq;
    if (info.state.messages === 0) return last + 1;
    const heightAt = async (seq: number): Promise<number> => {
      const m = await this.jsm!.streams.getMessage(this.opts.stream, { seq }).catch(() => null);
      return m === null ? NaN : heightOf(m.header);
    };
    if (hint !== undefined && hint >= first && hint <= last && (await heightAt(hint)) === height) return hint + 1;
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
