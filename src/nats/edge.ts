/**
 * An edge's feed: the core's own `NodeFeed` (src/state/node-feed.ts) given the block log as
 * its block source (`NatsBlockSource`) and the snapshot bucket as its snapshots
 * (`SnapshotStore`), so an edge keeps its books with the same state machine, and sends the
 * same frames, as a core: starting from the newest snapshot, resyncing on a gap in the log,
 * repairing a coin whose diffs do not apply. docs/scaleout.md.
 */
import type { BackoffOptions } from '../node/backoff.js';
import type { Logger } from '../node/logger.js';
import { NodeFeed, type FeedOptions } from '../state/node-feed.js';
import type { NatsConnectOptions } from './connection.js';
import { NatsBlockSource } from './edge-source.js';
import { DEFAULT_STREAM, DEFAULT_SUBJECT } from './publisher.js';
import { DEFAULT_BUCKET, SnapshotStore } from './snapshot-store.js';

export interface EdgeFeedOptions extends Omit<FeedOptions, 'snapshots' | 'source'> {
  connection: NatsConnectOptions;
  /** JetStream stream of the block log. Default `HL_BLOCKS`. */
  stream?: string;
  /** Its subject. Default `hl.blocks`. */
  subject?: string;
  /** Object store bucket of the snapshots. Default `hl-snapshots`. */
  bucket?: string;
  /** Where a snapshot is downloaded before loading. Default the OS temp dir. */
  tmpDir?: string;
  logger?: Logger;
}

/**
 * Between snapshots that could not be used (after a gap, the newest may still be older than
 * it: the core stores one after the gap soon): short, as asking the bucket costs the node nothing.
 */
const EDGE_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 5_000 };

export function createEdgeFeed(opts: EdgeFeedOptions): NodeFeed {
  const bucket = opts.bucket ?? DEFAULT_BUCKET;
  // Each reads the other only once running: the bucket through the source's connection, the source's /health the snapshot height.
  const store: SnapshotStore = new SnapshotStore(() => source.connection(), bucket, { tmpDir: opts.tmpDir, logger: opts.logger });
  const source: NatsBlockSource = new NatsBlockSource({
    connection: opts.connection,
    stream: opts.stream ?? DEFAULT_STREAM,
    subject: opts.subject ?? DEFAULT_SUBJECT,
    bucket,
    snapshotHeight: () => store.fetchedHeight,
    logger: opts.logger,
  });
  return new NodeFeed(source, { backoff: EDGE_BACKOFF, ...opts, snapshots: store, source: 'nats' });
}
