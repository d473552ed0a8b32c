/**
 * `FileBlockSource`: the `BlockSource` of a node's data dir, in either of its layouts
 * (`layout.ts`, chosen at `start()`): a `Tailer` per stream, each line parsed (a bad one is
 * logged with file and offset, counted and skipped), then the layout's joiner (`BlockJoiner`
 * for by-block, `StreamJoiner` for streaming), which hands each joined block straight to this
 * source's one `block` event. Streaming: the next block's diffs are also announced as they
 * are read (`partial`), for the server's intra-block frames.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Block } from '../book/events.js';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import type { BlockSource, BlockSourceEventMap } from './block-source.js';
import { describeMissing, missingDirError } from './data-dir.js';
import { blocksFromFiles, blocksFromStreamingFiles } from './file-range.js';
import { BlockJoiner, type BlockJoinerOptions, type Joiner, type JoinerOutput } from './joiner.js';
import { detectLayout, layoutDirs, type LayoutChoice, type NodeLayout } from './layout.js';
import { silentLogger, type Logger } from './logger.js';
import { parseLineBytes } from './parse.js';
import { StreamJoiner, type StreamJoinerOptions } from './stream-joiner.js';
import { Tailer, type TailerOptions } from './tailer.js';
import type { StreamName } from './types.js';

export interface FileBlockSourceOptions {
  /** The node's data dir (the one holding `node_order_statuses_by_block` etc.). */
  dataDir: string;
  /** Which layout to read. Default `auto` (the one the node writes, `layout.ts`). */
  layout?: LayoutChoice;
  /** When directories are missing: keep polling until they appear (true) or fail `start()` (false). Default false. */
  wait?: boolean;
  /** Options for each stream's `Tailer` (defaults as documented there). */
  tailer?: Omit<TailerOptions, 'dir'>;
  /** The by-block joiner's options (defaults as documented there). */
  joiner?: BlockJoinerOptions;
  /** The streaming joiner's options (defaults as documented there). */
  streamJoiner?: StreamJoinerOptions;
  /** Default: silent. */
  logger?: Logger;
}

const NAMES: readonly StreamName[] = ['statuses', 'diffs', 'fills'];

export class FileBlockSource extends EventEmitter<BlockSourceEventMap> implements BlockSource {
  private readonly logger: Logger;
  private readonly tailers = new Map<StreamName, Tailer>();
  private joiner: Joiner | undefined;
  private chosen: NodeLayout | undefined;

  constructor(private readonly opts: FileBlockSourceOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
  }

  /** The layout being read, once started. */
  get layout(): NodeLayout | undefined {
    return this.chosen;
  }

  /** Choose the layout, check its directories (failing or waiting as configured) and start tailing. */
  async start(): Promise<void> {
    const choice = this.opts.layout ?? 'auto';
    const found = await detectLayout(this.opts.dataDir, choice);
    if (found.missing.length > 0 && this.opts.wait !== true) throw missingDirError(found.missing);
    const layout = found.layout;
    this.chosen = layout;
    this.logger.info(
      { layout, choice, dataDir: this.opts.dataDir },
      `reading the node's ${layout} layout${found.missing.length > 0 ? ` (waiting: ${describeMissing(found.missing)})` : ''}`,
    );
    if (found.missing.length > 0) {
      this.logger.warn({ missing: found.missing.map((m) => m.path) }, `waiting for the node's directories: ${describeMissing(found.missing)}`);
      this.emit(
        'waiting',
        found.missing.map((m) => m.path),
      );
    }
    const out: JoinerOutput = {
      block: (b) => this.emit('block', b),
      gap: (g) => this.emit('gap', g),
      dropped: (stream, height) => this.logger.debug({ stream, height }, 'dropped a line at or below a height already joined'),
    };
    // Before giving a height up by time, the joiners make the readers look once more: its line may be on disk.
    this.joiner =
      layout === 'streaming'
        ? new StreamJoiner(out, {
            ...this.opts.streamJoiner,
            held: true,
            confirm: (streams) => this.settleStreams(streams),
            // Intra-block diffs: only worth slicing when someone listens (`--book-updates intra-block`).
            partial: (p) => {
              if (this.listenerCount('partial') > 0) this.emit('partial', p);
            },
          })
        : new BlockJoiner(out, { confirmGap: () => this.settle(), ...this.opts.joiner });
    const dirs = layoutDirs(layout);
    for (const stream of NAMES) this.tailers.set(stream, this.tail(stream, join(this.opts.dataDir, dirs[stream]), this.joiner));
    for (const t of this.tailers.values()) t.start();
    if (this.joiner instanceof StreamJoiner) {
      // Streaming: the first height is fixed only once every stream read what is there (see `held`).
      await this.settle();
      this.joiner.begin();
    }
  }

  async stop(): Promise<void> {
    this.joiner?.close();
    await Promise.all([...this.tailers.values()].map((t) => t.stop()));
    this.tailers.clear();
  }

  /** Resolves once every stream has read all that is written so far. */
  async settle(): Promise<void> {
    await Promise.all([...this.tailers.values()].map((t) => t.settle()));
  }

  /** Wake the tailers now. */
  wake(): void {
    for (const t of this.tailers.values()) t.wake();
  }

  /** From the hourly files of the layout being read (this hour's and the previous one's), as `blocksFromFiles` or `blocksFromStreamingFiles`. */
  readRange(from: number, to: number, signal?: AbortSignal): AsyncIterable<Block> {
    const read = this.chosen === 'streaming' ? blocksFromStreamingFiles : blocksFromFiles;
    return read(this.opts.dataDir, from, to, { signal });
  }

  private async settleStreams(streams: StreamName[]): Promise<void> {
    await Promise.all(streams.map((s) => this.tailers.get(s)?.settle()));
  }

  private tail(stream: StreamName, dir: string, joiner: Joiner): Tailer {
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
        if (joiner instanceof StreamJoiner) this.lostEvent(joiner, stream, at.file, at.offset);
        return;
      }
      events.inc(env.events.length);
      joiner.push(stream, env, bytes.length);
    });
    t.on('file', (file, offset) => {
      // Streaming: read from a file's start, its first block is whole (from a later offset it may be cut).
      if (first && offset === 0 && joiner instanceof StreamJoiner) joiner.markWhole(stream);
      first = false;
      this.logger.info({ stream, file, offset }, 'reading node file');
    });
    t.on('warning', (err) => this.logger.warn({ stream, err }, err.message));
    return t;
  }

  /**
   * Streaming: a line that did not parse held an event of some block, and nothing else shows
   * the loss (in by-block the missing height shows it). Report a gap at the block being built,
   * so the feed resyncs instead of applying that block without the event.
   */
  private lostEvent(joiner: StreamJoiner, stream: StreamName, file: string, offset: number): void {
    const height = joiner.nextHeight ?? -1;
    const error = new HlobError(
      ErrorCodes.HEIGHT_GAP,
      `a line of ${layoutDirs('streaming')[stream]} did not parse (${file} at ${offset}): an event is lost, from block ${height} on`,
    );
    joiner.reset();
    this.emit('gap', { height, reason: 'missing', streams: [stream], error });
  }
}
