/**
 * A `BookFeed` (src/state/feed.ts) over real mainnet data, driven by the test: the real
 * server reads its books and events as it would ingest's. `next()` applies the next
 * fixture block, `resync()` rebuilds the books from a snapshot and announces it.
 */
import { EventEmitter } from 'node:events';
import { Books, type Block, type BlockChange, type L4SnapshotFile } from '../../../src/book/index.js';
import type { BookFeed, FeedEventMap, FeedStatus } from '../../../src/state/feed.js';

export class FixtureFeed implements BookFeed {
  private readonly emitter = new EventEmitter();
  private current: Books;
  private cursor = 0;
  private time: number;
  private lastWithEvents = 0;

  constructor(
    snapshot: L4SnapshotFile,
    private readonly blocks: Block[],
  ) {
    this.current = Books.fromSnapshot(snapshot);
    this.snapshotHeight = this.current.height;
    this.time = (blocks[0]?.time ?? 1) - 1;
  }

  get books(): Books {
    return this.current;
  }

  get height(): number {
    return this.current.height;
  }

  /**
   * Height a BTC replica reaches: the last block with events (the server sends `Updates`
   * only for blocks with events of the coin; a quiet block moves no replica), or the
   * snapshot's height.
   */
  get replicaHeight(): number {
    return Math.max(this.lastWithEvents, this.snapshotHeight);
  }

  private snapshotHeight = 0;

  status(): FeedStatus {
    return { state: 'ready', height: this.current.height, time: this.time, lagMs: 0, eventsPerSecond: 0, source: 'simulated', repairing: [] };
  }

  on<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  off<K extends keyof FeedEventMap>(event: K, listener: (...args: FeedEventMap[K]) => void): this {
    this.emitter.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  /** Applies the next fixture block and announces it; returns its height. */
  next(): number {
    const block = this.blocks[this.cursor++];
    if (!block) throw new Error('no more fixture blocks');
    const change: BlockChange = this.current.applyBlock(block);
    if (change.desyncs.length > 0) throw new Error(`fixture block ${block.height} did not apply: ${change.desyncs[0]?.message}`);
    this.time = block.time;
    if (block.statuses.length > 0 || block.diffs.length > 0) this.lastWithEvents = block.height;
    this.emitter.emit('block', change);
    return block.height;
  }

  /** A full resync: books rebuilt from a snapshot of themselves, `reset` for all coins. */
  resync(): void {
    this.current = Books.fromSnapshot(this.current.toSnapshot());
    this.snapshotHeight = this.current.height;
    this.emitter.emit('reset', 'all', this.current.height);
  }
}
