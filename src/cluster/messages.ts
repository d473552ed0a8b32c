/**
 * The IPC messages between the primary and its workers (`serve --workers n`). Every
 * message is a plain object with a `t` tag; requests carry an `id` the answer repeats.
 */
import type { Health } from '../server/health.js';

export interface SnapshotRef {
  path: string;
  bytes: number;
  tookMs: number;
}

/** Worker → primary. */
export type ToPrimary =
  | { t: 'listening'; url: string; compressionLevel: number }
  | { t: 'fatal'; message: string; code?: string }
  | { t: 'snapshot?'; id: number }
  | { t: 'snapshot-done'; path: string }
  | { t: 'health?'; id: number }
  | { t: 'metrics?'; id: number }
  | { t: 'status'; id: number; health: Health }
  | { t: 'metrics-json'; id: number; json: unknown[] }
  /** A WebSocket connection from `ip` wants a slot (--max-connections-per-ip, counted over every worker). */
  | { t: 'conn?'; id: number; ip: string }
  /** A connection from `ip` that had a slot closed. */
  | { t: 'conn-done'; ip: string };

/** Primary → worker. */
export type ToWorker =
  | { t: 'snapshot'; id: number; file: SnapshotRef }
  | { t: 'snapshot'; id: number; error: string }
  | { t: 'health'; id: number; health: Health }
  | { t: 'metrics'; id: number; contentType: string; text: string }
  | { t: 'status?'; id: number }
  | { t: 'metrics-json?'; id: number }
  | { t: 'totals'; health: Health }
  | { t: 'conn'; id: number; ip: string; ok: boolean }
  | { t: 'wake' }
  | { t: 'shutdown' };

/** The environment variable carrying a worker's settings from the primary. */
export const WORKER_ENV = 'HLOB_CLUSTER_WORKER';

/** What the primary decided for every worker (the source may be the primary's simulated node). */
export interface WorkerSettings {
  /** 1..n. */
  slot: number;
  dataDir: string;
  infoUrl: string;
  source: 'node' | 'simulated';
}

export function isMessage<T extends { t: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
