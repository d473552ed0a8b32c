/**
 * SKELETON (the engine issue fills it in): every coin's L4 book and block application.
 * The signatures are the contract other folders program against.
 */
import type { Block, L4SnapshotFile } from './events.js';
import type { OrderBook } from './order-book.js';
import type { ApplyOptions, BlockChange } from './types.js';

export class Books {
  /** Last block applied (or the snapshot's height). */
  height = 0;

  /** Build every coin's book from the node's snapshot file (parsed). Untriggered trigger orders are skipped. */
  static fromSnapshot(_snapshot: L4SnapshotFile): Books {
    throw new Error('not built yet');
  }

  coins(): IterableIterator<string> {
    throw new Error('not built yet');
  }

  book(_coin: string): OrderBook | undefined {
    throw new Error('not built yet');
  }

  /** Replace one coin's book (repair). */
  setBook(_coin: string, _book: OrderBook): void {
    throw new Error('not built yet');
  }

  /**
   * Apply one joined block. Per coin atomic: a coin whose diffs cannot apply is rolled back
   * and reported in `desyncs`; the other coins are applied. Advances `height` unless `only`.
   */
  applyBlock(_block: Block, _opts?: ApplyOptions): BlockChange {
    throw new Error('not built yet');
  }
}
