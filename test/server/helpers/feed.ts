/**
 * A `BookFeed` driven by hand: the test applies blocks, changes state and resets coins,
 * exactly as ingest would, on real engine `Books`.
 */
import { EventEmitter } from 'node:events';
import { Books } from '../../../src/book/index.js';
import type { Block, BlockChange, L4SnapshotFile } from '../../../src/book/index.js';
import type { PartialBlock } from '../../../src/node/block-source.js';
import type { BookFeed, FeedEventMap, FeedState, FeedStatus } from '../../../src/state/feed.js';

export class ManualFeed implements BookFeed {
  private readonly emitter = new EventEmitter();
  private current: Books = new Books();
  private st: FeedStatus;

  constructor(source: 'node' | 'simulated' = 'simulated') {
    this.st = { state: 'starting', height: null, time: null, lagMs: null, eventsPerSecond: 0, source, repairing: [] };
    this.emitter.setMaxListeners(100);
  }

  get books(): Books {
    return this.current;
  }

  status(): FeedStatus {
    return { ...this.st, repairing: [...this.st.repairing] };
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

  /** The first snapshot is in: books from it, state ready. */
  load(snapshot: L4SnapshotFile, time: number): void {
    this.current = Books.fromSnapshot(snapshot);
    this.st = { ...this.st, height: this.current.height, time, lagMs: 0 };
    this.setState('ready');
  }

  setState(state: FeedState, repairing: string[] = []): void {
    const before = new Set(this.st.repairing);
    this.st = { ...this.st, state, repairing };
    // As NodeFeed: each coin's repair starting or ending is announced, before the state.
    for (const coin of repairing) if (!before.has(coin)) this.emitter.emit('repair', coin, true);
    for (const coin of before) if (!repairing.includes(coin)) this.emitter.emit('repair', coin, false);
    this.emitter.emit('state', this.status());
  }

  /** Apply one block to the books and announce it. */
  apply(block: Block): BlockChange {
    const change = this.current.applyBlock(block);
    this.st = { ...this.st, height: change.height, time: change.time, eventsPerSecond: block.statuses.length + block.diffs.length + block.fills.length };
    this.emitter.emit('block', change);
    return change;
  }

  /** Announce diffs of the next block, read before it closed (a streaming source's `partial`); the books do not change. */
  partial(p: PartialBlock): void {
    this.emitter.emit('partial', p);
  }

  /** Rebuild books from a snapshot (a resync), announce `reset`. */
  resync(snapshot: L4SnapshotFile): void {
    this.current = Books.fromSnapshot(snapshot);
    this.st = { ...this.st, height: this.current.height };
    this.emitter.emit('reset', 'all', this.current.height);
  }

  /** One coin rebuilt (a repair): announce `reset` for it. */
  resetCoins(coins: string[]): void {
    this.emitter.emit('reset', coins, this.current.height);
  }

  listenerCount(event: keyof FeedEventMap): number {
    return this.emitter.listenerCount(event);
  }
}
