/** The node's line format (by-block mode): one block of one stream per line. */
export type { Block, BookDiffEvent, FillEvent, L4SnapshotFile, NodeFill, NodeOrder, OrderStatusEvent, Side } from '../book/events.js';

/** The three streams and their directories (the node's output format: `format.ts`). */
export { STREAMS, type StreamName } from './format.js';

/** One line of a by-block file. */
export interface BlockEnvelope<E> {
  local_time: string;
  block_time: string;
  block_number: number;
  events: E[];
}
