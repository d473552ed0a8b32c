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
  /**
   * When every worker holds its fill, this thread takes the oldest waiting jobs itself, in slices
   * of at most 2 ms per event-loop turn (work stealing: its idle time between the market's blocks
   * is the other half of a 2-core box). Default false: measured on the paper exchange's bench it
   * made no difference (docs/benchmarks.md, exchange), and it spends the market's thread.
   */
  steal?: boolean;
}

/** Jobs a worker holds at most (sent, not answered): small batches answered as they finish keep latency low. */
const LANE_DEPTH = 24;
/** Jobs per message to a worker. */
const BATCH = 8;
/** This thread's recovery time per event-loop turn when it helps (ms). */
const HERE_SLICE_MS = 2;

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
  /** Jobs not yet sent to a worker, oldest first from `head`. */
  private waiting: Job[] = [];
  private head = 0;
  private pending = 0;
  private pumpScheduled = false;
  private helpScheduled = false;
  private readonly steal: boolean;
  private nextBatch = 0;
  private closed = false;
  private readonly candidates: SignerCheckOptions;
  /** This thread's checker (no workers, after close, or a lost worker's jobs), made on first use. */
  private here: SignerChecker | undefined;
  private readonly counts = { candidate: 0, full: 0, here: 0 };

  constructor(options: RecoveryPoolOptions = {}) {
    this.maxPending = options.maxPending ?? 50_000;
    this.candidates = options.candidates ?? {};
    this.steal = options.steal ?? false;
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

  /** Recoveries answered so far by each path (the candidate's check, or a full recovery), and how many on this thread. */
  stats(): { candidate: number; full: number; here: number } {
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
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        // Requests read in the same turn of the event loop go out as one batch per worker.
        setImmediate(() => this.pump());
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
      const dropped = [...this.takeWaiting(Infinity), ...lanes.flatMap((l) => [...l.inFlight.values()].flat())];
      for (const l of lanes) l.inFlight.clear();
      for (const job of dropped) {
        this.pending--;
        job.reject(new HlobError(ErrorCodes.SIGNATURE, 'the signature recovery pool was closed before this recovery'));
      }
    } else {
      for (const lane of lanes) this.recoverHere(lane);
      this.pump();
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
      // Refilled as it answers: the worker never waits for this thread's next turn.
      this.pump();
    });
    const lost = (): void => {
      // A worker that dies (out of memory, killed) hands its jobs back to this thread.
      const at = this.lanes.indexOf(lane);
      if (at >= 0) this.lanes.splice(at, 1);
      this.recoverHere(lane);
      this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return lane;
  }

  /** The oldest `n` waiting jobs, removed. */
  private takeWaiting(n: number): Job[] {
    const end = Math.min(this.waiting.length, this.head + n);
    const taken = this.waiting.slice(this.head, end);
    this.head = end;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return taken;
  }

  /** Fills each worker up to LANE_DEPTH jobs, oldest first; what is left waits, or is helped here. */
  private pump(): void {
    this.pumpScheduled = false;
    if (this.lanes.length === 0) {
      for (const job of this.takeWaiting(Infinity)) this.settleHere(job);
      return;
    }
    // The least loaded first, so a slow (descheduled) worker gets fewer.
    const lanes = this.lanes.length === 1 ? this.lanes : [...this.lanes].sort((a, b) => a.jobs - b.jobs);
    for (const lane of lanes) {
      while (lane.jobs < LANE_DEPTH && this.waiting.length > this.head) {
        const batch = this.takeWaiting(Math.min(BATCH, LANE_DEPTH - lane.jobs));
        const buffer = new Uint8Array(batch.length * SIGNER_JOB_BYTES);
        batch.forEach((job, k) => buffer.set(job.bytes, k * SIGNER_JOB_BYTES));
        const id = this.nextBatch++;
        lane.inFlight.set(id, batch);
        lane.jobs += batch.length;
        lane.worker.postMessage({ id, jobs: buffer });
      }
    }
    if (this.steal && this.waiting.length > this.head && !this.helpScheduled) {
      this.helpScheduled = true;
      setImmediate(() => this.help());
    }
  }

  /** Every worker is full: this thread recovers the oldest waiting jobs for one slice, then yields. */
  private help(): void {
    this.helpScheduled = false;
    const until = performance.now() + HERE_SLICE_MS;
    while (this.waiting.length > this.head && performance.now() < until) {
      const [job] = this.takeWaiting(1);
      this.counts.here++;
      this.settleHere(job!);
    }
    if (this.waiting.length > this.head && !this.helpScheduled) {
      this.helpScheduled = true;
      setImmediate(() => this.help());
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
