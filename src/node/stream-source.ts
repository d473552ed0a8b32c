/**
 * `StreamingBlockSource`: the node's three `_streaming` streams as one sequence of blocks, the
 * same events as `NodeBlockSource` emits for the by-block layout. A `Tailer` per stream, each
 * line parsed (a bad one is logged with file and offset, counted, skipped and reported as a
 * gap: it held an event of some block), then a `StreamJoiner`.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describeMissing, missingDirError } from './data-dir.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { checkStreamingDir } from './layout.js';
import { silentLogger, type Logger } from './logger.js';
import { parseLineBytes } from './parse.js';
import type { NodeBlockSourceEventMap } from './block-source.js';
import { STREAMING_DIRS, StreamJoiner, type StreamJoinerOptions } from './stream-joiner.js';
import { Tailer, type TailerOptions } from './tailer.js';
import type { StreamName } from './types.js';

export interface StreamingBlockSourceOptions {
  dataDir: string;
  wait?: boolean;
  tailer?: Omit<TailerOptions, 'dir'>;
  joiner?: StreamJoinerOptions;
  logger?: Logger;
}

const NAMES = Object.keys(STREAMING_DIRS) as StreamName[];

export class StreamingBlockSource extends EventEmitter<NodeBlockSourceEventMap> {
  readonly joiner: StreamJoiner;
  private readonly tailers: Tailer[] = [];
  private readonly logger: Logger;

  constructor(private readonly opts: StreamingBlockSourceOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
    this.joiner = new StreamJoiner({ ...opts.joiner, confirm: (streams) => this.settleStreams(streams) });
    this.joiner.on('block', (b) => this.emit('block', b));
    this.joiner.on('gap', (g) => this.emit('gap', g));
    this.joiner.on('dropped', (stream, height) => this.logger.debug({ stream, height }, 'dropped an empty line of a block already closed'));
  }

  async start(): Promise<void> {
    const missing = await checkStreamingDir(this.opts.dataDir);
    if (missing.length > 0) {
      if (this.opts.wait !== true) throw missingDirError(missing);
      this.logger.warn({ missing: missing.map((m) => m.path) }, `waiting for the node's directories: ${describeMissing(missing)}`);
      this.emit('waiting', missing);
    }
    for (const stream of NAMES) this.tailers.push(this.tail(stream));
    for (const t of this.tailers) t.start();
  }

  async stop(): Promise<void> {
    this.joiner.close();
    await Promise.all(this.tailers.map((t) => t.stop()));
    this.tailers.length = 0;
  }

  private async settleStreams(streams: StreamName[]): Promise<void> {
    await Promise.all(streams.map((s) => this.tailers[NAMES.indexOf(s)]?.settle()));
  }

  async settle(): Promise<void> {
    await Promise.all(this.tailers.map((t) => t.settle()));
  }

  wake(): void {
    for (const t of this.tailers) t.wake();
  }

  private tail(stream: StreamName): Tailer {
    const dir = join(this.opts.dataDir, STREAMING_DIRS[stream]);
    const t = new Tailer({ ...this.opts.tailer, dir, bytes: true });
    const skipped = metrics.skippedLines.labels(stream);
    const events = metrics.events.labels(stream);
    let first = true;
    t.on('bytes', (bytes, at) => {
      let env;
      try {
        env = parseLineBytes(stream, bytes);
      } catch (err) {
        skipped.inc();
        this.logger.warn({ file: at.file, offset: at.offset, err }, `skipped a line that is not a block: ${(err as Error).message}`);
        this.emit('skipped', err as HlobError, at);
        // In this layout nothing else shows the loss: the line held an event of some block (in
        // by-block the missing height shows it). Report a gap at the block being built, so the
        // feed resyncs instead of applying that block without the event.
        const height = this.joiner.nextHeight ?? -1;
        const error = new HlobError(ErrorCodes.HEIGHT_GAP, `a line of ${STREAMING_DIRS[stream]} did not parse (${at.file} at ${at.offset}): an event is lost, from block ${height} on`);
        this.joiner.reset();
        this.emit('gap', { height, reason: 'missing', streams: [stream], error });
        return;
      }
      events.inc(env.events.length);
      this.joiner.push(stream, env, bytes.length);
    });
    t.on('file', (file, offset) => {
      // Read from a file's start: its first block is whole (from a later offset it may be cut).
      if (first && offset === 0) this.joiner.markWhole(stream);
      first = false;
      this.logger.info({ stream, file, offset }, 'reading node file');
    });
    t.on('warning', (err) => this.logger.warn({ stream, err }, err.message));
    return t;
  }
}
