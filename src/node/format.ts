/**
 * The node's output format, in one place for whoever reads it (`src/node`, `src/state`) and
 * whoever writes it (`src/sim`): the three streams and their directories in both layouts,
 * the hourly file layout, and node time strings (docs/node-data.md).
 */
import { join } from 'node:path';
import { nodeInstant, type NodeInstant } from '../book/node-time.js';
import { ErrorCodes, HlobError } from '../errors.js';

export { addNs, formatNodeTime, nodeInstant, nodeTimeMs, nsBetween, type NodeInstant } from '../book/node-time.js';

// ---- streams ----

/**
 * The three streams by short name: the directory prefix, the by-block (`--batch-by-block`)
 * and streaming (`--stream-with-block-info`) directories, and the node flag that enables it.
 */
export const STREAMS = {
  statuses: {
    prefix: 'node_order_statuses',
    dir: 'node_order_statuses_by_block',
    streamingDir: 'node_order_statuses_streaming',
    flag: '--write-order-statuses',
  },
  diffs: { prefix: 'node_raw_book_diffs', dir: 'node_raw_book_diffs_by_block', streamingDir: 'node_raw_book_diffs_streaming', flag: '--write-raw-book-diffs' },
  fills: { prefix: 'node_fills', dir: 'node_fills_by_block', streamingDir: 'node_fills_streaming', flag: '--write-fills' },
} as const;

export type StreamName = keyof typeof STREAMS;

/** The short names in the node's order (statuses, diffs, fills). */
export const STREAM_NAMES: readonly StreamName[] = ['statuses', 'diffs', 'fills'];

/** The directory prefixes in the same order (what the simulator and the data tools name streams by). */
export const STREAM_PREFIXES = ['node_order_statuses', 'node_raw_book_diffs', 'node_fills'] as const;
export type StreamPrefix = (typeof STREAM_PREFIXES)[number];

/** The three streams' directories in the streaming layout. */
export const STREAMING_DIRS: Record<StreamName, string> = {
  statuses: STREAMS.statuses.streamingDir,
  diffs: STREAMS.diffs.streamingDir,
  fills: STREAMS.fills.streamingDir,
};

/** `<dataDir>/<prefix>_by_block/hourly`. */
export function byBlockDir(dataDir: string, stream: StreamPrefix): string {
  return join(dataDir, `${stream}_by_block`, 'hourly');
}

/** `<dataDir>/<prefix>_streaming/hourly`. */
export function streamingDir(dataDir: string, stream: StreamPrefix): string {
  return join(dataDir, `${stream}_streaming`, 'hourly');
}

// ---- hourly files: <streamDir>/hourly/{YYYYMMDD}/{H} ----

/** A date folder's name. */
export const DATE_DIR = /^\d{8}$/;
/** An hour file's name: the hour without zero padding. */
export const HOUR_FILE = /^(?:[0-9]|1[0-9]|2[0-3])$/;

/** The hourly file of a UTC time: date folder `YYYYMMDD` and hour without zero padding. */
export function hourOf(ms: number): { date: string; hour: string } {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return { date, hour: String(d.getUTCHours()) };
}

/** The path of a stream directory's file for a UTC time (for writers: the simulator and tests). */
export function hourlyPath(streamDir: string, timeMs: number): string {
  const { date, hour } = hourOf(timeMs);
  return join(streamDir, 'hourly', date, hour);
}

/** Epoch ms at which the hourly file `date`/`hour` begins. */
export function hourStartMs(date: string, hour: number): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))) + hour * 3_600_000;
}

// ---- times ----

/** A node time to the nanosecond; a coded error (`HLOB_ERR_BAD_LINE`) naming the text otherwise. */
export function parseNodeTime(text: string): NodeInstant {
  const t = nodeInstant(text);
  if (t === undefined) throw new HlobError(ErrorCodes.BAD_LINE, `not a node time (UTC, no zone): ${JSON.stringify(text)}`);
  return t;
}
