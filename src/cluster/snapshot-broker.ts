/**
 * `SnapshotBroker` (in the primary of `serve --workers n`): one L4 snapshot request to the
 * node's info server for n workers. A worker asking while a request is in flight waits for
 * that one; a worker asking shortly after a file was delivered (within `reuseMs`) gets the
 * same file, unless it already had it (then it needs a newer one: a new request). A file is
 * removed once every worker it was given to has loaded it (or died) and the reuse window
 * has passed.
 */
import type { Logger } from '../util/logger.js';
import type { SnapshotFile } from '../node/snapshot.js';
import type { SnapshotRef } from './messages.js';

export type Deliver = (result: { file: SnapshotRef } | { error: string }) => void;

interface Entry {
  file: SnapshotFile;
  at: number;
  /** Workers given this file. */
  served: Set<number>;
  /** Deliveries not yet done, per worker. */
  pending: Map<number, number>;
  timer?: NodeJS.Timeout;
}

export interface SnapshotBrokerOptions {
  /** One request until it succeeds (retries and backoff inside); rejects only on abort. */
  fetch: (signal: AbortSignal) => Promise<SnapshotFile>;
  /** How long a delivered file is offered to workers that have not had it. Default 5,000 ms. */
  reuseMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class SnapshotBroker {
  private readonly reuseMs: number;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private inflight: { worker: number; deliver: Deliver }[] | null = null;
  private readonly files = new Map<string, Entry>();
  private latest: Entry | undefined;
  private readonly removals = new Set<Promise<void>>();
  /** Requests made to the info server (successful ones). */
  requests = 0;

  constructor(private readonly opts: SnapshotBrokerOptions) {
    this.reuseMs = opts.reuseMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  ask(worker: number, deliver: Deliver): void {
    if (this.abort.signal.aborted) return deliver({ error: 'shutting down' });
    const l = this.latest;
    if (l !== undefined && this.files.has(l.file.path) && this.now() - l.at <= this.reuseMs && !l.served.has(worker)) {
      this.opts.logger?.debug({ worker, path: l.file.path }, 'snapshot: the file just delivered');
      return this.give(l, worker, deliver);
    }
    if (this.inflight !== null) {
      this.inflight.push({ worker, deliver });
      return;
    }
    const waiters = [{ worker, deliver }];
    this.inflight = waiters;
    this.opts.logger?.info({ worker }, 'requesting an L4 snapshot for the workers');
    this.opts.fetch(this.abort.signal).then(
      (file) => {
        this.inflight = null;
        this.requests++;
        const e: Entry = { file, at: this.now(), served: new Set(), pending: new Map() };
        this.files.set(file.path, e);
        this.latest = e;
        for (const w of waiters) this.give(e, w.worker, w.deliver);
        this.maybeRemove(e);
      },
      (err: unknown) => {
        this.inflight = null;
        for (const w of waiters) w.deliver({ error: (err as Error).message });
      },
    );
  }

  /** A worker has loaded (or given up on) a file it was given. */
  done(worker: number, path: string): void {
    const e = this.files.get(path);
    if (e === undefined) return;
    const n = (e.pending.get(worker) ?? 0) - 1;
    if (n > 0) e.pending.set(worker, n);
    else e.pending.delete(worker);
    this.maybeRemove(e);
  }

  /** A worker died: it waits for nothing and holds no file. */
  gone(worker: number): void {
    const waiting = this.inflight;
    if (waiting !== null) for (let i = waiting.length - 1; i >= 0; i--) if (waiting[i]!.worker === worker) waiting.splice(i, 1);
    for (const e of [...this.files.values()]) {
      e.pending.delete(worker);
      this.maybeRemove(e);
    }
  }

  /** Files still on disk (tests). */
  get held(): number {
    return this.files.size;
  }

  async close(): Promise<void> {
    this.abort.abort();
    for (const e of this.files.values()) {
      clearTimeout(e.timer);
      await e.file.remove().catch(() => undefined);
    }
    this.files.clear();
  }

  private give(e: Entry, worker: number, deliver: Deliver): void {
    e.served.add(worker);
    e.pending.set(worker, (e.pending.get(worker) ?? 0) + 1);
    deliver({ file: { path: e.file.path, bytes: e.file.bytes, tookMs: e.file.tookMs } });
  }

  private maybeRemove(e: Entry): void {
    if (e.pending.size > 0 || !this.files.has(e.file.path)) return;
    const left = e.at + this.reuseMs - this.now();
    clearTimeout(e.timer);
    if (left > 0) {
      e.timer = setTimeout(() => this.maybeRemove(e), left + 1);
      e.timer.unref();
      return;
    }
    this.files.delete(e.file.path);
    if (this.latest === e) this.latest = undefined;
    const removal = e.file.remove().catch(() => undefined);
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  /** Resolves once the files being removed are gone (tests). */
  async removed(): Promise<void> {
    await Promise.all([...this.removals]);
  }
}
