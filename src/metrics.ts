/**
 * The process's Prometheus metrics, in one registry so that every part (ingest, state,
 * server) counts into the same `/metrics`. Names are `hlob_…`.
 *
 * With `--workers n` every worker has its own and the primary merges them
 * (`src/cluster/`): each `aggregator` says how. Every worker reads the same blocks, so the
 * ingest counters and gauges take one worker's figure (`max`/`min`), not the sum; what is
 * per socket (clients, frames, bytes, drops) and the process figures are summed.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hlob_process_' });

export const metrics = {
  blocks: new Counter({ name: 'hlob_blocks_total', help: 'Blocks applied', aggregator: 'max', registers: [registry] }),
  events: new Counter({ name: 'hlob_events_total', help: 'Node events read', aggregator: 'max', labelNames: ['stream'] as const, registers: [registry] }),
  skippedLines: new Counter({
    name: 'hlob_skipped_lines_total',
    help: 'Node lines that did not parse and were skipped',
    aggregator: 'max',
    labelNames: ['stream'] as const,
    registers: [registry],
  }),
  applySeconds: new Histogram({
    name: 'hlob_apply_seconds',
    help: 'Time to apply one block',
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
    registers: [registry],
  }),
  lagSeconds: new Gauge({ name: 'hlob_lag_seconds', help: 'Now minus the block time of the last applied block', aggregator: 'max', registers: [registry] }),
  height: new Gauge({ name: 'hlob_height', help: 'Last applied block height', aggregator: 'min', registers: [registry] }),
  resyncs: new Counter({ name: 'hlob_resyncs_total', help: 'Full resyncs and per-coin repairs', labelNames: ['kind'] as const, registers: [registry] }),
  desyncs: new Counter({ name: 'hlob_desyncs_total', help: 'Diffs that could not apply', registers: [registry] }),
  fileCatchUpBlocks: new Counter({
    name: 'hlob_file_catchup_blocks_total',
    help: "Blocks read back from the node's files to bring a snapshot up to the cached blocks",
    aggregator: 'max',
    registers: [registry],
  }),
  snapshotRequests: new Counter({
    name: 'hlob_snapshot_requests_total',
    help: 'L4 snapshot requests to the info server',
    labelNames: ['result'] as const,
    registers: [registry],
  }),
  clients: new Gauge({ name: 'hlob_clients', help: 'Open WebSocket connections', registers: [registry] }),
  subscriptions: new Gauge({ name: 'hlob_subscriptions', help: 'Active subscriptions', registers: [registry] }),
  framesSent: new Counter({ name: 'hlob_frames_sent_total', help: 'Frames queued to clients', labelNames: ['channel'] as const, registers: [registry] }),
  bytesSent: new Counter({ name: 'hlob_bytes_sent_total', help: 'Bytes queued to clients', registers: [registry] }),
  workers: new Gauge({ name: 'hlob_workers', help: 'Worker processes running (--workers; only then present)', registers: [] }),
  workerRestarts: new Counter({ name: 'hlob_worker_restarts_total', help: 'Worker processes that died and were restarted (--workers)', registers: [] }),
  refused: new Counter({
    name: 'hlob_refused_total',
    help: 'Requests and connections refused: reason auth (401, no valid token) or per_ip (--max-connections-per-ip)',
    labelNames: ['reason', 'endpoint'] as const,
    registers: [registry],
  }),
  droppedClients: new Counter({
    name: 'hlob_dropped_clients_total',
    help: 'Clients closed by the server',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
};
