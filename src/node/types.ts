/** The node's line format (by-block mode): one block of one stream per line. */
export type { Block, BookDiffEvent, FillEvent, L4SnapshotFile, NodeFill, NodeOrder, OrderStatusEvent, Side } from '../book/events.js';

/** The three by-block streams, by the name of their directory under the data dir. */
export const STREAMS = {
  statuses: { dir: 'node_order_statuses_by_block', flag: '--write-order-statuses' },
  diffs: { dir: 'node_raw_book_diffs_by_block', flag: '--write-raw-book-diffs' },
  fills: { dir: 'node_fills_by_block', flag: '--write-fills' },
} as const;

export type StreamName = keyof typeof STREAMS;

/** One line of a by-block file. */
export interface BlockEnvelope<E> {
  local_time: string;
  block_time: string;
  block_number: number;
  events: E[];
}
