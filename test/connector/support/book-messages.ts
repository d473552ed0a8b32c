/**
 * Order book messages from the real mainnet BTC fixture (test/fixtures), and a data source
 * the test drives by hand.
 */
import { Books, type Block, type L4Order, type L4SnapshotFile } from '../../../src/book/index.js';
import type { DiffMessage, L4SnapshotMessage, OrderBookMessage, SnapshotMessage } from '../../../src/connector/order-book-message.js';
import type { OrderBookTrackerDataSource } from '../../../src/connector/order-book-tracker-data-source.js';
import { loadBlocks, loadSnapshot, MAIN } from '../../book/fixtures.js';

export const PAIR = 'BTC';

let cache: { snapshot: L4SnapshotFile; blocks: Block[] } | undefined;
export function fixture(): { snapshot: L4SnapshotFile; blocks: Block[] } {
  cache ??= { snapshot: loadSnapshot(MAIN), blocks: loadBlocks(MAIN) };
  return cache;
}

export function snapshotMessage(file: L4SnapshotFile, time: number, origin: 'stream' | 'request' = 'stream'): L4SnapshotMessage {
  const entry = file[1].find(([c]) => c === PAIR)!;
  const [bids, asks] = entry[1].map((side) => side.map(([user, order]): L4Order => ({ ...order, user })));
  return { type: 'snapshot', depth: 'l4', pair: PAIR, height: file[0], time, levels: [bids!, asks!], origin };
}

export function diffMessage(block: Block): DiffMessage {
  return {
    type: 'diff',
    pair: PAIR,
    height: block.height,
    time: block.time,
    statuses: block.statuses.filter((s) => s.order.coin === PAIR),
    diffs: block.diffs.filter((d) => d.coin === PAIR),
  };
}

/** The engine's books after the first `n` fixture blocks. */
export function booksAfter(n: number): Books {
  const { snapshot, blocks } = fixture();
  const books = Books.fromSnapshot(snapshot);
  for (const b of blocks.slice(0, n)) books.applyBlock(b);
  return books;
}

/** A data source the test drives: `send` a message, answer `fetchSnapshot` with `answer`. */
export class ManualDataSource implements OrderBookTrackerDataSource {
  readonly depth = 'l4' as const;
  readonly fetches: string[] = [];
  private sink: ((m: OrderBookMessage) => void) | undefined;
  private invalid: ((e: Error) => void) | undefined;
  private disconnects = new Set<() => void>();
  private pending: { resolve: (m: SnapshotMessage) => void; reject: (e: Error) => void }[] = [];

  listen(_pair: string, onMessage: (m: OrderBookMessage) => void, onInvalid: (e: Error) => void): Promise<void> {
    this.sink = onMessage;
    this.invalid = onInvalid;
    return Promise.resolve();
  }
  unlisten(): Promise<void> {
    this.sink = undefined;
    return Promise.resolve();
  }
  fetchSnapshot(pair: string): Promise<SnapshotMessage> {
    this.fetches.push(pair);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  onDisconnect(listener: () => void): () => void {
    this.disconnects.add(listener);
    return () => this.disconnects.delete(listener);
  }

  send(m: OrderBookMessage): void {
    this.sink?.(m);
  }
  bad(e: Error): void {
    this.invalid?.(e);
  }
  disconnect(): void {
    for (const l of this.disconnects) l();
  }
  /** Answers the oldest snapshot request. */
  answer(m: SnapshotMessage): void {
    this.pending.shift()?.resolve(m);
  }
  get waiting(): number {
    return this.pending.length;
  }
}
