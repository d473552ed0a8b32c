/**
 * `LayoutBlockSource`: the block source for a data dir in either of the node's layouts
 * (`layout.ts`), chosen at `start()`: `NodeBlockSource` for by-block, `StreamingBlockSource`
 * for streaming. Same events, same methods, so the feed does not care which.
 */
import { EventEmitter } from 'node:events';
import { NodeBlockSource, type NodeBlockSourceEventMap } from './block-source.js';
import { describeMissing, missingDirError } from './data-dir.js';
import type { BlockJoinerOptions } from './joiner.js';
import { detectLayout, type LayoutChoice, type NodeLayout } from './layout.js';
import { silentLogger, type Logger } from './logger.js';
import type { StreamJoinerOptions } from './stream-joiner.js';
import { StreamingBlockSource } from './stream-source.js';
import type { TailerOptions } from './tailer.js';

export interface LayoutBlockSourceOptions {
  dataDir: string;
  /** Default `auto`. */
  layout?: LayoutChoice;
  wait?: boolean;
  tailer?: Omit<TailerOptions, 'dir'>;
  /** The by-block joiner's options. */
  joiner?: BlockJoinerOptions;
  /** The streaming joiner's options. */
  streamJoiner?: StreamJoinerOptions;
  logger?: Logger;
}

export class LayoutBlockSource extends EventEmitter<NodeBlockSourceEventMap> {
  private inner: NodeBlockSource | StreamingBlockSource | undefined;
  private chosen: NodeLayout | undefined;
  private readonly logger: Logger;

  constructor(private readonly opts: LayoutBlockSourceOptions) {
    super();
    this.logger = opts.logger ?? silentLogger;
  }

  /** The layout being read, once started. */
  get layout(): NodeLayout | undefined {
    return this.chosen;
  }

  async start(): Promise<void> {
    const choice = this.opts.layout ?? 'auto';
    const found = await detectLayout(this.opts.dataDir, choice);
    if (found.missing.length > 0 && this.opts.wait !== true) throw missingDirError(found.missing);
    this.chosen = found.layout;
    const common = { dataDir: this.opts.dataDir, wait: this.opts.wait, tailer: this.opts.tailer, logger: this.opts.logger };
    const inner = found.layout === 'streaming' ? new StreamingBlockSource({ ...common, joiner: this.opts.streamJoiner }) : new NodeBlockSource({ ...common, joiner: this.opts.joiner });
    this.inner = inner;
    inner.on('block', (b) => this.emit('block', b));
    inner.on('gap', (g) => this.emit('gap', g));
    inner.on('skipped', (e, at) => this.emit('skipped', e, at));
    inner.on('waiting', (m) => this.emit('waiting', m));
    this.logger.info({ layout: found.layout, choice, dataDir: this.opts.dataDir }, `reading the node's ${found.layout} layout${found.missing.length > 0 ? ` (waiting: ${describeMissing(found.missing)})` : ''}`);
    await inner.start();
  }

  async stop(): Promise<void> {
    await this.inner?.stop();
  }

  async settle(): Promise<void> {
    await this.inner?.settle();
  }

  wake(): void {
    this.inner?.wake();
  }
}
