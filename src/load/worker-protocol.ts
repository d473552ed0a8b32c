/** The IPC messages between the load tool and its worker processes. */
import type { ClientPoolOptions, PoolStats } from './client-pool.js';

export type ParentMessage = { type: 'open'; options: ClientPoolOptions } | { type: 'window' } | { type: 'stats' } | { type: 'close' };

export type WorkerMessage = { type: 'opened' } | { type: 'stats'; stats: PoolStats } | { type: 'closed' } | { type: 'failed'; message: string };
