/**
 * One pool of load clients as the load test drives it, whether it runs in this process or
 * in a worker process: the runner does not care which.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { codedError, ErrorCodes, HlobError } from '../errors.js';
import { ClientPool, type ClientPoolOptions, type PoolStats } from './client-pool.js';
import type { ParentMessage, WorkerMessage } from './worker-protocol.js';

export interface PoolHandle {
  open(): Promise<void>;
  startWindow(): void;
  stats(): Promise<PoolStats>;
  close(): Promise<void>;
}

export class InProcessPool implements PoolHandle {
  private readonly pool: ClientPool;
  constructor(options: ClientPoolOptions) {
    this.pool = new ClientPool(options);
  }
  open(): Promise<void> {
    return this.pool.open();
  }
  startWindow(): void {
    this.pool.startWindow();
  }
  stats(): Promise<PoolStats> {
    return Promise.resolve(this.pool.stats());
  }
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The worker's compiled module: next to this one, or in dist/ when this runs from source (tests). */
export function defaultWorkerModule(): string {
  const beside = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL('../../dist/src/load/worker.js', import.meta.url));
}

export class ForkedPool implements PoolHandle {
  private readonly child: ChildProcess;
  private readonly waiters = new Map<WorkerMessage['type'], Array<(m: WorkerMessage) => void>>();
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(
    private readonly options: ClientPoolOptions,
    workerModule = defaultWorkerModule(),
  ) {
    if (!existsSync(workerModule)) {
      throw new HlobError(ErrorCodes.CONFIG, `load worker module ${workerModule} not found: run \`npm run build\`, or use workers 0 (clients in this process)`);
    }
    // No inherited execArgv: the worker is plain compiled JavaScript.
    this.child = fork(workerModule, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: WorkerMessage) => {
      if (m.type === 'failed') this.fail(new HlobError(ErrorCodes.CONFIG, `load worker failed: ${m.message}`));
      const list = this.waiters.get(m.type);
      const w = list?.shift();
      w?.(m);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        if (code !== 0) this.fail(new HlobError(ErrorCodes.CONFIG, `load worker exited with ${signal ?? code}`));
        resolve();
      });
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    // Wake every waiter: each rejects with the failure.
    for (const list of this.waiters.values()) for (const w of list.splice(0)) w({ type: 'failed', message: err.message });
  }

  private request<T extends WorkerMessage['type']>(m: ParentMessage, reply: T): Promise<Extract<WorkerMessage, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(reply) ?? [];
      this.waiters.set(reply, list);
      list.push((got) => {
        if (got.type === 'failed') reject(this.failure ?? codedError('PEER', got.message));
        else resolve(got as Extract<WorkerMessage, { type: T }>);
      });
      this.child.send(m);
    });
  }

  async open(): Promise<void> {
    await this.request({ type: 'open', options: this.options }, 'opened');
  }

  startWindow(): void {
    if (!this.failure) this.child.send({ type: 'window' } satisfies ParentMessage);
  }

  async stats(): Promise<PoolStats> {
    return (await this.request({ type: 'stats' }, 'stats')).stats;
  }

  async close(): Promise<void> {
    if (!this.failure && this.child.connected) {
      try {
        await this.request({ type: 'close' }, 'closed');
      } catch {
        // Already failed: fall through to the kill below.
      }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(kill);
    }
  }
}
