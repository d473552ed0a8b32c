/** The scale-out figures on `/metrics` (`hlob_nats_…`), in the process's one registry. */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.js';

export const natsMetrics = {
  connected: new Gauge({ name: 'hlob_nats_connected', help: 'Connected to NATS (1) or not (0)', labelNames: ['role'] as const, registers: [registry] }),
  published: new Counter({
    name: 'hlob_nats_published_total',
    help: 'Blocks given to the log: result new, duplicate (another core wrote that height first), or skipped (the log was already past it when this core connected)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  buffered: new Gauge({ name: 'hlob_nats_publish_buffered_blocks', help: 'Applied blocks waiting to be published (NATS slow or away)', registers: [registry] }),
  bufferedBytes: new Gauge({ name: 'hlob_nats_publish_buffered_bytes', help: 'Bytes of the blocks waiting to be published', registers: [registry] }),
  dropped: new Counter({
    name: 'hlob_nats_publish_dropped_total',
    help: 'Blocks dropped from a full publish buffer (the log has a gap there; edges take a fresh snapshot)',
    registers: [registry],
  }),
  conflicts: new Counter({
    name: 'hlob_nats_conflicts_total',
    help: 'Heights where the log holds a different block than this core applied',
    registers: [registry],
  }),
  snapshots: new Counter({
    name: 'hlob_nats_snapshots_total',
    help: 'L4 snapshots stored in the bucket (result ok or failed)',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  edgeBlocks: new Counter({ name: 'hlob_nats_edge_blocks_total', help: 'Blocks read from the log and applied (edge)', registers: [registry] }),
  edgeResyncs: new Counter({
    name: 'hlob_nats_edge_resyncs_total',
    help: 'Edge loads of a snapshot from the bucket: reason start, gap or desync',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
};
