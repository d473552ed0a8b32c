/**
 * `SnapshotSource`: asks the node's info server for an L4 snapshot written to a file.
 *
 * Every request names a fresh file (`outPath`) that only we own, and only a 200 answer makes
 * that file count: a timed-out request may still be written later, but to a path nobody will
 * read (we delete it when we can). Whether the file is complete is checked by the reader,
 * which fails on a truncated file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, HlobError } from '../errors.js';
import { metrics } from '../metrics.js';
import { backoffMs, type BackoffOptions } from './backoff.js';
import { silentLogger, type Logger } from './logger.js';

export const DEFAULT_INFO_URL = 'http://localhost:3001/info';

export interface SnapshotSourceOptions {
  /** The node's info server. Default `http://localhost:3001/info`. */
  infoUrl?: string;
  /** Where the node writes the snapshots we ask for (created if missing). Must be writable by the node. */
  snapshotDir: string;
  /** One request's time limit, ms. Default 120,000 (mainnet answers in 10–30 s). */
  timeoutMs?: number;
  /** Backoff between failed requests in `fetch` (defaults as documented in `BackoffOptions`). */
  backoff?: BackoffOptions;
  /** Waits between retries (a seam for tests). Default: `timers/promises` setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Default: silent. */
  logger?: Logger;
}

/** A snapshot file the node wrote for us. Remove it once loaded. */
export interface SnapshotFile {
  path: string;
  bytes: number;
  /** Request to answer, ms. */
  tookMs: number;
  remove(): Promise<void>;
}

export class SnapshotSource {
  readonly infoUrl: string;
  readonly snapshotDir: string;
  private readonly timeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly logger: Logger;
  /** Files of failed requests that the node may still write: deleted when seen. */
  private readonly abandoned = new Set<string>();
  private seq = 0;
  private readonly tag = randomBytes(4).toString('hex');

  constructor(opts: SnapshotSourceOptions) {
    this.infoUrl = opts.infoUrl ?? DEFAULT_INFO_URL;
    this.snapshotDir = resolve(opts.snapshotDir);
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.backoff = opts.backoff ?? {};
    this.sleep = opts.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    this.logger = opts.logger ?? silentLogger;
  }

  /** One request. Rejects with an `INFO_SERVER` error on anything but a 200 and a written file. */
  async request(signal?: AbortSignal): Promise<SnapshotFile> {
    await mkdir(this.snapshotDir, { recursive: true });
    await this.sweep();
    const path = join(this.snapshotDir, `l4-${this.tag}-${++this.seq}.json`);
    const body = JSON.stringify({
      type: 'fileSnapshot',
      request: { type: 'l4Snapshots', includeUsers: true, includeTriggerOrders: false },
      outPath: path,
      includeHeightInOutput: true,
    });
    const started = Date.now();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const both = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      let res: Response;
      try {
        res = await fetch(this.infoUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: both });
      } catch (err) {
        if (signal?.aborted === true) throw err;
        const why = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : (err as Error).message;
        throw new HlobError(ErrorCodes.INFO_SERVER, `L4 snapshot request to ${this.infoUrl} failed: ${why}`, { cause: err });
      }
      const text = await res.text().catch(() => '');
      if (res.status !== 200) {
        throw new HlobError(ErrorCodes.INFO_SERVER, `L4 snapshot request to ${this.infoUrl} answered ${res.status}: ${text.slice(0, 200)}`);
      }
      let bytes: number;
      try {
        bytes = (await stat(path)).size;
      } catch {
        throw new HlobError(ErrorCodes.INFO_SERVER, `L4 snapshot request to ${this.infoUrl} answered 200 but wrote no file at ${path}`);
      }
      metrics.snapshotRequests.inc({ result: 'ok' });
      return { path, bytes, tookMs: Date.now() - started, remove: () => rm(path, { force: true }) };
    } catch (err) {
      metrics.snapshotRequests.inc({ result: signal?.aborted === true ? 'aborted' : 'error' });
      this.abandoned.add(path);
      // Bounded: a node that never writes the abandoned files must not grow this forever.
      if (this.abandoned.size > 1000) this.abandoned.delete(this.abandoned.values().next().value!);
      await this.sweep();
      throw err;
    }
  }

  /** Request until one succeeds, backing off between failures; rejects only when `signal` aborts. */
  async fetch(signal?: AbortSignal): Promise<SnapshotFile> {
    for (let failures = 1; ; failures++) {
      try {
        return await this.request(signal);
      } catch (err) {
        if (signal?.aborted === true) throw err;
        const wait = backoffMs(failures, this.backoff);
        this.logger.warn({ err, retryInMs: wait, failures }, `${(err as Error).message}; retrying in ${wait} ms`);
        await this.sleep(wait, signal);
      }
    }
  }

  /** Delete files that failed requests may have written since. */
  async sweep(): Promise<void> {
    for (const path of this.abandoned) {
      try {
        await stat(path);
      } catch {
        continue;
      }
      await rm(path, { force: true });
      this.abandoned.delete(path);
      this.logger.debug({ path }, 'removed a late snapshot file of a failed request');
    }
  }
}
