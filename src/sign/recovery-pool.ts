/**
 * Signer recovery on worker threads. A secp256k1 recovery in pure JS (@noble/curves) costs
 * ~0.5 ms on a quiet core, several on a loaded one: more than everything else the paper
 * exchange does for an order, on the thread that also runs the simulated market. The pool
 * moves that arithmetic to other cores; what needs no curve (parsing r/s/v, the digest, the
 * refusals' texts) stays on the caller's thread, so answers are the same as
 * `recoverDigestSigner`'s, only later.
 *
 * node:crypto (OpenSSL) was measured as an alternative and is no help: it has no recovery, and
 * its generic-curve secp256k1 multiplications (ECDH `setPrivateKey`/`computeSecret`) cost more
 * than noble's whole recovery, before the square roots and point additions done in BigInt.
 *
 * The worker is evaluated from source, importing @noble/curves and @noble/hashes by resolved
 * file URL: it runs the same whether this module is compiled (dist/) or transpiled on the fly
 * (vitest), where no worker file sits beside it.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HlobError, ErrorCodes } from '../errors.js';
import { type Hex } from './hex.js';
import { addressOfRecoverable, recoverableBytes, unrecoverable, type Signature } from './keys.js';

export interface RecoveryPoolOptions {
  /**
   * Worker threads. Default: one per core beyond the first, at most 2 (the caller's thread
   * keeps a core); 0 recovers on the caller's thread (same answers, synchronously).
   */
  workers?: number;
  /** Recoveries waiting or in progress at most; more are refused (overloaded). Default 50,000. */
  maxPending?: number;
}

/** Bytes per job: digest (32) ‖ recovery bit, r, s (65). */
const JOB_BYTES = 97;

/**
 * The worker: batches of jobs in one buffer, answered with one entry per job, the address
 * (`0x` + 40 hex) or `!` + the error's message. The recovery call is keys.ts's
 * `addressOfRecoverable`, written again here (test/sign/recovery-pool.test.ts compares them).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
Promise.all([import(workerData.curves), import(workerData.sha3)]).then(([{ secp256k1 }, { keccak_256 }]) => {
  const hex = (bytes) => {
    let s = '0x';
    for (const b of bytes) s += b.toString(16).padStart(2, '0');
    return s;
  };
  parentPort.on('message', ({ id, jobs }) => {
    const out = [];
    for (let at = 0; at < jobs.length; at += ${JOB_BYTES}) {
      const digest = jobs.subarray(at, at + 32);
      const sig = jobs.subarray(at + 32, at + ${JOB_BYTES});
      try {
        const publicKey = secp256k1.Signature.fromBytes(sig, 'recovered').recoverPublicKey(digest).toBytes(false);
        out.push(hex(keccak_256(publicKey.subarray(1)).subarray(12)));
      } catch (e) {
        out.push('!' + String(e && e.message));
      }
    }
    parentPort.postMessage({ id, out });
  });
  parentPort.postMessage({ ready: true });
});
`;

interface Job {
  bytes: Uint8Array;
  resolve: (address: Hex) => void;
  reject: (e: Error) => void;
}

interface Lane {
  worker: Worker;
  /** Batches sent and not answered, by batch id. */
  inFlight: Map<number, Job[]>;
  jobs: number;
}

export class RecoveryPool {
  private readonly lanes: Lane[] = [];
  private readonly maxPending: number;
  private waiting: Job[] = [];
  private pending = 0;
  private flushScheduled = false;
  private nextBatch = 0;
  private closed = false;

  constructor(options: RecoveryPoolOptions = {}) {
    this.maxPending = options.maxPending ?? 50_000;
    const workers = options.workers ?? Math.min(2, Math.max(0, availableParallelism() - 1));
    if (workers > 0) {
      const require = createRequire(import.meta.url);
      const workerData = {
        curves: pathToFileURL(require.resolve('@noble/curves/secp256k1.js')).href,
        sha3: pathToFileURL(require.resolve('@noble/hashes/sha3.js')).href,
      };
      for (let i = 0; i < workers; i++) this.lanes.push(this.spawn(workerData));
    }
  }

  /** Worker threads running (0: recoveries happen on the caller's thread). */
  get workers(): number {
    return this.lanes.length;
  }

  /** As `recoverDigestSigner(digest, signature)`: the same address or the same refusal. */
  recover(digest: Uint8Array, signature: Signature): Promise<Hex> {
    let bytes: Uint8Array;
    try {
      bytes = recoverableBytes(signature);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    if (this.lanes.length === 0 || this.closed) {
      try {
        return Promise.resolve(addressOfRecoverable(bytes, digest));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    if (this.pending >= this.maxPending) {
      return Promise.reject(new HlobError(ErrorCodes.SIGNATURE, `${this.maxPending} signature recoveries already waiting: try again`));
    }
    const job = new Uint8Array(JOB_BYTES);
    job.set(digest, 0);
    job.set(bytes, 32);
    this.pending++;
    return new Promise<Hex>((resolve, reject) => {
      this.waiting.push({ bytes: job, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Requests read in the same turn of the event loop go out as one batch per worker.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Stops the workers. What they had not answered is recovered here (`'recover'`, nothing is
   * lost), or refused (`'drop'`: for an owner that will not use the answers, such as a stopped
   * exchange, which must not spend seconds on thousands of recoveries while shutting down).
   * Later calls to `recover` run on the caller's thread.
   */
  async close(pending: 'recover' | 'drop' = 'recover'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const lanes = this.lanes.splice(0);
    if (pending === 'drop') {
      const dropped = [...this.waiting, ...lanes.flatMap((l) => [...l.inFlight.values()].flat())];
      this.waiting = [];
      for (const l of lanes) l.inFlight.clear();
      for (const job of dropped) {
        this.pending--;
        job.reject(new HlobError(ErrorCodes.SIGNATURE, 'the signature recovery pool was closed before this recovery'));
      }
    } else {
      for (const lane of lanes) this.recoverHere(lane);
      this.flush();
    }
    await Promise.all(lanes.map((l) => l.worker.terminate()));
  }

  private spawn(workerData: { curves: string; sha3: string }): Lane {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    // The pool never keeps a process alive: whoever forgets close() still exits.
    worker.unref();
    const lane: Lane = { worker, inFlight: new Map(), jobs: 0 };
    worker.on('message', (m: { id?: number; out?: string[] }) => {
      if (m.id === undefined || m.out === undefined) return;
      const batch = lane.inFlight.get(m.id);
      if (!batch) return;
      lane.inFlight.delete(m.id);
      lane.jobs -= batch.length;
      batch.forEach((job, i) => this.settle(job, m.out![i]!));
    });
    const lost = (): void => {
      // A worker that dies (out of memory, killed) hands its jobs back to this thread.
      const at = this.lanes.indexOf(lane);
      if (at >= 0) this.lanes.splice(at, 1);
      this.recoverHere(lane);
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return lane;
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.waiting;
    this.waiting = [];
    if (jobs.length === 0) return;
    if (this.lanes.length === 0) {
      for (const job of jobs) this.settleHere(job);
      return;
    }
    // Split by what each worker already holds, so a slow (descheduled) one gets fewer.
    const lanes = [...this.lanes].sort((a, b) => a.jobs - b.jobs);
    const per = Math.ceil(jobs.length / lanes.length);
    for (let i = 0; i < lanes.length && i * per < jobs.length; i++) {
      const batch = jobs.slice(i * per, (i + 1) * per);
      const buffer = new Uint8Array(batch.length * JOB_BYTES);
      batch.forEach((job, k) => buffer.set(job.bytes, k * JOB_BYTES));
      const id = this.nextBatch++;
      const lane = lanes[i]!;
      lane.inFlight.set(id, batch);
      lane.jobs += batch.length;
      lane.worker.postMessage({ id, jobs: buffer });
    }
  }

  private recoverHere(lane: Lane): void {
    const batches = [...lane.inFlight.values()];
    lane.inFlight.clear();
    lane.jobs = 0;
    for (const batch of batches) for (const job of batch) this.settleHere(job);
  }

  private settleHere(job: Job): void {
    this.pending--;
    try {
      job.resolve(addressOfRecoverable(job.bytes.subarray(32), job.bytes.subarray(0, 32)));
    } catch (e) {
      job.reject(e as Error);
    }
  }

  private settle(job: Job, answer: string): void {
    this.pending--;
    if (answer.startsWith('!')) job.reject(unrecoverable(new Error(answer.slice(1))));
    else job.resolve(answer as Hex);
  }
}
