/**
 * `NodeBlockSource`: the node's three by-block streams as one sequence of joined blocks.
 * A `Tailer` per stream, each line parsed (a bad one is logged with file and offset, counted
 * and skipped), then a `BlockJoiner`.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { checkDataDir, describeMissing, missingDirError, type MissingDir } from './data-dir.js';
import { BlockJoiner, type BlockJoinerOptions, type Gap, type JoinedBlock } from './joiner.js';
import { silentLogger, type Logger } from './logger.js';
import { parseLineBytes } from './parse.js';
import { Tailer, type LinePosition, type TailerOptions } from './tailer.js';
import { STREAMS, type StreamName } from './types.js';

export interface NodeBlockSourceOptions {
  /** The node's data dir (the one holding `node_order_statuses_by_block` etc.). */
  dataDir: string;
  /** When directories are missing: keep polling until they appear (true) or fail `start()` (false). Default false. */
  wait?: boolean;
  /** Options for each stream's `Tailer` (defaults as documented there). */
  tailer?: Omit<TailerOptions, 'dir'>;
  /** Options for the `BlockJoiner` (defaults as documented there). */
  joiner?: BlockJoinerOptions;
  /** Default: silent. */
  logger?: Logger;
}

export interface NodeBlockSourceEventMap {
  block: [joined: JoinedBlock];
  gap: [gap: Gap];
  /** A line that did not parse as a block of its stream (already logged and counted). */
  skipped: [err: HlobError, at: LinePosition];
  /** Directories are missing and we wait for them. */
  waiting: [missing: MissingDir[]];
}

const NAMES = Object.keys(STREAMS) as StreamName[];

export class NodeBlockSource extends EventEmitter<NodeBlockSourceEventMap> {
  readonly joiner: BlockJoiner;
  private readonly tailers: Tailer[] = [];
  private readonly logger: Logger;

  constructor(private readonly opts: NodeBlockSourceOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
    // Before a height is given up by time, read the files once more: its line may be there.
    this.joiner = new BlockJoiner({ confirmGap: () => this.settle(), ...opts.joiner });
    this.joiner.on('block', (b) => this.emit('block', b));
    this.joiner.on('gap', (g) => this.emit('gap', g));
    this.joiner.on('dropped', (stream, height) => this.logger.debug({ stream, height }, 'dropped a line at or below a height already joined'));
  }

  /** Check the directories (failing or waiting as configured) and start tailing. */
  async start(): Promise<void> {
    const missing = await checkDataDir(this.opts.dataDir);
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

  /** Resolves once every stream has read all that is written so far (tests, benchmarks). */
  async settle(): Promise<void> {
    await Promise.all(this.tailers.map((t) => t.settle()));
  }

  /** Wake the tailers now (a writer in the same process knows when it wrote). */
  wake(): void {
    for (const t of this.tailers) t.wake();
  }

  private tail(stream: StreamName): Tailer {
    const dir = join(this.opts.dataDir, STREAMS[stream].dir);
    const t = new Tailer({ ...this.opts.tailer, dir, bytes: true });
    const skipped = metrics.skippedLines.labels(stream);
    const events = metrics.events.labels(stream);
    t.on('bytes', (bytes, at) => {
      let env;
      try {
        env = parseLineBytes(stream, bytes);
      } catch (err) {
        skipped.inc();
        this.logger.warn({ file: at.file, offset: at.offset, err }, `skipped a line that is not a block: ${(err as Error).message}`);
        this.emit('skipped', err as HlobError, at);
        return;
      }
      events.inc(env.events.length);
      this.joiner.push(stream, env, bytes.length);
    });
    t.on('file', (file, offset) => this.logger.info({ stream, file, offset }, 'reading node file'));
    t.on('warning', (err) => this.logger.warn({ stream, err }, err.message));
    return t;
  }
}
