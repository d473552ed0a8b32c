/**
 * `createNodeFeed`: a `NodeFeed` on a node's data dir: its blocks from the node's files
 * (`FileBlockSource`, either layout), its snapshots from the node's info server
 * (`SnapshotSource`) unless another fetcher is given (`--workers`: the primary's).
 */
import { dirname, join, resolve } from 'node:path';
import { FileBlockSource } from '../node/file-source.js';
import type { BlockJoinerOptions } from '../node/joiner.js';
import type { LayoutChoice } from '../node/layout.js';
import { DEFAULT_INFO_URL, SnapshotSource, type SnapshotFile } from '../node/snapshot.js';
import type { TailerOptions } from '../node/tailer.js';
import { NodeFeed, type FeedOptions } from './node-feed.js';

export interface NodeFeedOptions extends Omit<FeedOptions, 'snapshots'> {
  /** The node's data dir (holding `node_order_statuses_by_block` etc.), e.g. `~/hl/data`. */
  dataDir: string;
  /** The node's info server. Default `http://localhost:3001/info`. */
  infoUrl?: string;
  /** Where the node writes the snapshots we request. Default `<parent of dataDir>/hlob-snapshots`. */
  snapshotDir?: string;
  /** Wait for missing node directories instead of failing `start()`. Default false. */
  wait?: boolean;
  /** One snapshot request's time limit. Default 120,000 ms. */
  snapshotTimeoutMs?: number;
  /** Tailer options. Default backfill 4 MiB (a snapshot a little older than "now" can be caught up). */
  tailer?: Omit<TailerOptions, 'dir'>;
  joiner?: BlockJoinerOptions;
  /** Which of the node's layouts to read (`by-block`, `streaming`); default `auto` (src/node/layout.ts). */
  layout?: LayoutChoice;
  /** Streaming layout: wait this long for the other streams once one moved past a block, ms. Default 5. */
  blockCloseMs?: number;
  /**
   * Where snapshots come from. Default: this feed's own requests to the info server
   * (`infoUrl`, `snapshotDir`, with backoff). `--workers` passes one that asks the primary
   * process, so that n workers make one request.
   */
  fetchSnapshot?: (signal: AbortSignal) => Promise<SnapshotFile>;
}

/** Where requested snapshots go unless told: `hlob-snapshots` next to the data dir. */
export function defaultSnapshotDir(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'hlob-snapshots');
}

export function createNodeFeed(opts: NodeFeedOptions): NodeFeed {
  const source = new FileBlockSource({
    dataDir: opts.dataDir,
    layout: opts.layout,
    wait: opts.wait,
    tailer: { backfillBytes: 4 * 1024 * 1024, ...opts.tailer },
    joiner: opts.joiner,
    streamJoiner: opts.blockCloseMs === undefined ? undefined : { blockCloseMs: opts.blockCloseMs },
    logger: opts.logger,
  });
  const snapshots = new SnapshotSource({
    infoUrl: opts.infoUrl ?? DEFAULT_INFO_URL,
    snapshotDir: opts.snapshotDir ?? defaultSnapshotDir(opts.dataDir),
    timeoutMs: opts.snapshotTimeoutMs,
    backoff: opts.backoff,
    logger: opts.logger,
  });
  const fetch = opts.fetchSnapshot ?? ((signal: AbortSignal) => snapshots.fetch(signal));
  return new NodeFeed(source, { ...opts, snapshots: { fetch, sweep: () => snapshots.sweep() } });
}
