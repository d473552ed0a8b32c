/**
 * Signer recovery on worker threads. A secp256k1 recovery in pure JS (@noble/curves) costs
 * ~1.3 ms on a quiet core of the 2-vCPU EPYC box, several on a loaded one: more than everything else the paper
 * exchange does for an order, on the thread that also runs the simulated market. The pool
 * moves that arithmetic to other cores; what needs no curve (parsing r/s/v, the digest, the
 * refusals' texts) stays on the caller's thread, so answers are the same as
 * `recoverDigestSigner`'s, only later. A job may name a candidate signer, checked first at a
 * fraction of a recovery's cost (signer-check.ts), with the same answer.
 *
 * node:crypto (OpenSSL) was measured as an alternative and is no help: it has no recovery, and
 * its generic-curve secp256k1 multiplications (ECDH `setPrivateKey`/`computeSecret`) cost more
 * than noble's whole recovery, before the square roots and point additions done in BigInt.
 *
 * The worker is evaluated from source, importing @noble/curves and @noble/hashes by resolved
 * file URL, with signer-check.ts's function serialized into it: it runs the same whether this
 * module is compiled (dist/) or transpiled on the fly (vitest), where no worker file sits beside it.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { codedError, HlobError, ErrorCodes } from '../errors.js';
import { type Hex } from './hex.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { recoverableBytes, unrecoverable, type Signature } from './keys.js';
import { createSignerChecker, signerJob, SIGNER_JOB_BYTES, type SignerChecker, type SignerCheckOptions } from './signer-check.js';

export interface RecoveryPoolOptions {
  /**
   * Worker threads. Default: one per core beyond the first, at most 2 (the caller's thread
   * keeps a core); 0 recovers on the caller's thread (same answers, synchronously).
   */
  workers?: number;
  /** Recoveries waiting or in progress at most; more are refused (overloaded). Default 50,000. */
  maxPending?: number;
  /** The candidate fast path's tables (signer-check.ts), per thread. */
  candidates?: SignerCheckOptions;
}

/**
 * The worker: batches of jobs in one buffer (SIGNER_JOB_BYTES each), answered with one string per
 * job from signer-check.ts's `run` (the same function, serialized: main thread and workers share
 * one implementation). Each worker keeps its own candidate tables.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const createSignerChecker = ${createSignerChecker.toString()};
Promise.all([import(workerData.curves), import(workerData.sha3)]).then(([{ secp256k1 }, { keccak_256 }]) => {
  const checker = createSignerChecker(secp256k1, keccak_256, workerData.options);
  parentPort.on('message', ({ id, jobs }) => {
    const out = [];
    for (let at = 0; at < jobs.length; at += ${SIGNER_JOB_BYTES}) out.push(checker.run(jobs, at));
    parentPort.postMessage({ id, out });
  });
  parentPort.postMessage({ ready: true });
});
`;

/** A recovered signer: its address, public key (x ‖ y, 64 bytes) and how it was found. */
export interface RecoveredSigner {
  address: Hex;
  publicKey: Uint8Array;
  /** `candidate`: the given candidate verified exactly; `full`: a full recovery. */
  path: 'candidate' | 'full';
}

interface Job {
  bytes: Uint8Array;
  resolve: (signer: RecoveredSigner) => void;
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
  private readonly candidates: SignerCheckOptions;
  /** This thread's checker (no workers, after close, or a lost worker's jobs), made on first use. */
  private here: SignerChecker | undefined;
  private readonly counts = { candidate: 0, full: 0 };

  constructor(options: RecoveryPoolOptions = {}) {
    this.maxPending = options.maxPending ?? 50_000;
    this.candidates = options.candidates ?? {};
    const workers = options.workers ?? Math.min(2, Math.max(0, availableParallelism() - 1));
    if (workers > 0) {
      const require = createRequire(import.meta.url);
      const workerData = {
        curves: pathToFileURL(require.resolve('@noble/curves/secp256k1.js')).href,
        sha3: pathToFileURL(require.resolve('@noble/hashes/sha3.js')).href,
        options: this.candidates,
      };
      for (let i = 0; i < workers; i++) this.lanes.push(this.spawn(workerData));
    }
  }

  /** Worker threads running (0: recoveries happen on the caller's thread). */
  get workers(): number {
    return this.lanes.length;
  }

  /** Recoveries answered so far by each path (the candidate's check, or a full recovery). */
  stats(): { candidate: number; full: number } {
    return { ...this.counts };
  }

  /** As `recoverDigestSigner(digest, signature)`: the same address or the same refusal. */
  recover(digest: Uint8Array, signature: Signature): Promise<Hex> {
    return this.recoverSigner(digest, signature).then((s) => s.address);
  }

  /**
   * As `recover`, trying `candidate` (a public key, x ‖ y, 64 bytes) first: when it is exactly the
   * signer it is confirmed at a fraction of a recovery's cost (signer-check.ts), otherwise the
   * full recovery answers. The answer is `recover`'s in every case; only the cost differs.
   */
  recoverSigner(digest: Uint8Array, signature: Signature, candidate?: Uint8Array): Promise<RecoveredSigner> {
    let bytes: Uint8Array;
    try {
      bytes = recoverableBytes(signature);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const job = signerJob(digest, bytes, candidate);
    if (this.lanes.length === 0 || this.closed) {
      return new Promise<RecoveredSigner>((resolve, reject) => {
        this.pending++;
        this.settleHere({ bytes: job, resolve, reject });
      });
    }
    if (this.pending >= this.maxPending) {
      return Promise.reject(new HlobError(ErrorCodes.SIGNATURE, `${this.maxPending} signature recoveries already waiting: try again`));
    }
    this.pending++;
    return new Promise<RecoveredSigner>((resolve, reject) => {
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
      const buffer = new Uint8Array(batch.length * SIGNER_JOB_BYTES);
      batch.forEach((job, k) => buffer.set(job.bytes, k * SIGNER_JOB_BYTES));
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
    this.here ??= createSignerChecker(secp256k1, keccak_256, this.candidates);
    this.settle(job, this.here.run(job.bytes, 0));
  }

  private settle(job: Job, answer: string): void {
    this.pending--;
    if (answer.startsWith('!')) {
      job.reject(unrecoverable(codedError('SIGNATURE', answer.slice(1))));
      return;
    }
    const path = answer[0] === 'c' ? 'candidate' : 'full';
    this.counts[path]++;
    job.resolve({ address: answer.slice(1, 43) as Hex, publicKey: hexToBytes(answer, 43, 64), path });
  }
}

function hexToBytes(text: string, from: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(text.slice(from + 2 * i, from + 2 * i + 2), 16);
  return out;
}
