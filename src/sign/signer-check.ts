/**
 * Signer recovery with a verified fast path for a signer we can name in advance.
 *
 * A full recovery (noble's `recoverPublicKey`) computes Q = r⁻¹(s·R − e·G) with R decompressed
 * from r (a square root) and multiplied with no precomputation: ~128 doublings and ~100 additions.
 * When a likely signer Q is known (the key that signed the last action on the same connection),
 * checking it costs far less: R' = u1·G + u2·Q with u1 = e·s⁻¹, u2 = r·s⁻¹, both points with
 * precomputed fixed-window tables (additions only, no doubling: ~33 + ~33 mixed additions).
 *
 * Exactness. Q is accepted only when R'.x = r (as integers, not mod n) and R'.y's parity is the
 * signature's recovery bit (0 or 1; a bit ≥ 2, the x-overflow case, always takes the full path).
 * The point with x = r and that parity is unique, so R' is the very R a full recovery decompresses;
 * and s·R' = e·G + r·Q gives Q = r⁻¹(s·R' − e·G), the point the full recovery computes. Any
 * mismatch (or a malformed input) falls back to the full recovery, so the answer (address or
 * refusal) is always the full recovery's. test/sign/signer-check.test.ts checks that property on
 * random keys, digests, signature shapes and right/wrong candidates, and the published vectors.
 *
 * This function closes over nothing: recovery-pool.ts serializes it into its worker thread
 * (`Function.prototype.toString`) with the worker's own imports as arguments, so the main thread
 * and the workers run the same code. Keep it self-contained (no imports, no helpers outside).
 *
 * Memory: one table per candidate key, `(ceil(256 / W) + 1) · 2^(W−1)` affine points (two 256-bit
 * BigInts each, ~110 bytes with their slots): W = 8 is 4,224 points, ~0.45 MB, built in ~20–50 ms
 * (about 15 full recoveries); `maxTables` keys at most per thread (least recently used dropped),
 * plus one table for G at `baseWindow`.
 */
import type { secp256k1 as Secp256k1 } from '@noble/curves/secp256k1.js';
import type { keccak_256 as Keccak256 } from '@noble/hashes/sha3.js';

export interface SignerCheckOptions {
  /** Window of each candidate's table (bits). Default 6. */
  tableWindow?: number;
  /** Window of G's table (built once per thread). Default 8. */
  baseWindow?: number;
  /** Candidate tables kept per thread (LRU). Default 128 (~20 MB at W = 6). */
  maxTables?: number;
}

/**
 * One job in a byte buffer: digest (32) ‖ recovery bit (1) ‖ r (32) ‖ s (32) ‖ has candidate (1)
 * ‖ candidate public key x ‖ y (64, uncompressed without its 0x04 prefix).
 */
export const SIGNER_JOB_BYTES = 162;

/** How a job was answered: 'c' the candidate verified, 'r' a full recovery. */
export type SignerPath = 'c' | 'r';

export interface SignerChecker {
  /**
   * The job at `at` in `jobs`: `c` or `r`, then the address (`0x` + 40 hex), then the public key
   * (128 hex: x ‖ y); or `!` + the full recovery's error message.
   */
  run(jobs: Uint8Array, at: number): string;
  /** Candidate tables held now. */
  tables(): number;
}

export function createSignerChecker(curve: typeof Secp256k1, keccak: typeof Keccak256, options: SignerCheckOptions = {}): SignerChecker {
  const Point = curve.Point;
  const P = Point.Fp.ORDER;
  const N = Point.Fn.ORDER;
  const tableWindow = options.tableWindow ?? 6;
  const baseWindow = options.baseWindow ?? 8;
  const maxTables = options.maxTables ?? 128;

  interface Table {
    W: number;
    windows: number;
    xs: bigint[];
    ys: bigint[];
  }
  interface Known {
    table: Table;
    address: string;
  }
  const known = new Map<string, Known>();
  let baseTable: Table | undefined;

  const HEX: string[] = [];
  for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));
  const hexOf = (bytes: Uint8Array, from: number, to: number): string => {
    let s = '';
    for (let i = from; i < to; i++) s += HEX[bytes[i]!]!;
    return s;
  };
  const big = (bytes: Uint8Array, from: number, to: number): bigint => BigInt('0x' + hexOf(bytes, from, to));
  const mod = (a: bigint): bigint => {
    const m = a % P;
    return m < 0n ? m + P : m;
  };

  /**
   * The fixed-window table: for each window w, k·2^(wW)·(x, y) for k = 1…2^(W−1), affine. Built
   * with this file's own mixed additions (one inversion per window for its base, one for all Z's).
   */
  function buildTable(x: bigint, y: bigint, W: number): Table {
    const windows = Math.ceil(256 / W) + 1;
    const half = 2 ** (W - 1);
    const size = windows * half;
    const Xs: bigint[] = new Array<bigint>(size);
    const Ys: bigint[] = new Array<bigint>(size);
    const Zs: bigint[] = new Array<bigint>(size);
    let bx = x;
    let by = y;
    for (let w = 0; w < windows; w++) {
      X = Y = Z = 0n;
      for (let i = 0; i < half; i++) {
        addAffine(bx, by);
        Xs[w * half + i] = X;
        Ys[w * half + i] = Y;
        Zs[w * half + i] = Z;
      }
      // The next window's base: 2·(2^(W−1)·base), affine.
      double();
      const zi = Point.Fp.inv(Z);
      const zi2 = (zi * zi) % P;
      bx = (X * zi2) % P;
      by = (((Y * zi2) % P) * zi) % P;
    }
    // To affine with one inversion (Montgomery's trick over the Jacobian Z's).
    const prefix: bigint[] = new Array<bigint>(size);
    let acc = 1n;
    for (let i = 0; i < size; i++) {
      prefix[i] = acc;
      acc = (acc * Zs[i]!) % P;
    }
    let inv = Point.Fp.inv(acc);
    const xs: bigint[] = new Array<bigint>(size);
    const ys: bigint[] = new Array<bigint>(size);
    for (let i = size - 1; i >= 0; i--) {
      const zi = (inv * prefix[i]!) % P;
      inv = (inv * Zs[i]!) % P;
      const zi2 = (zi * zi) % P;
      xs[i] = (Xs[i]! * zi2) % P;
      ys[i] = (((Ys[i]! * zi2) % P) * zi) % P;
    }
    return { W, windows, xs, ys };
  }

  // Jacobian accumulator (x = X/Z², y = Y/Z³), Z = 0 at infinity; coordinates kept in [0, P).
  let X = 0n;
  let Y = 0n;
  let Z = 0n;

  function double(): void {
    if (Z === 0n) return;
    if (Y === 0n) {
      Z = 0n;
      return;
    }
    const A = (X * X) % P;
    const B = (Y * Y) % P;
    const C = (B * B) % P;
    const D = mod(2n * ((X + B) * (X + B) - A - C));
    const E = (3n * A) % P;
    const F = (E * E) % P;
    const X3 = mod(F - 2n * D);
    const Y3 = mod(E * (D - X3) - 8n * C);
    Z = (2n * Y * Z) % P;
    X = X3;
    Y = Y3;
  }

  /** Accumulator += affine (x2, y2), complete: the equal and opposite cases included. */
  function addAffine(x2: bigint, y2: bigint): void {
    if (Z === 0n) {
      X = x2;
      Y = y2;
      Z = 1n;
      return;
    }
    const ZZ = (Z * Z) % P;
    const H = mod(x2 * ZZ - X);
    const R = mod(((y2 * Z) % P) * ZZ - Y);
    if (H === 0n) {
      if (R === 0n) double();
      else Z = 0n;
      return;
    }
    const HH = (H * H) % P;
    const HHH = (H * HH) % P;
    const V = (X * HH) % P;
    const X3 = mod(R * R - HHH - 2n * V);
    Y = mod(R * (V - X3) - Y * HHH);
    X = X3;
    Z = (Z * H) % P;
  }

  /** Accumulator += k·(table's point), k in [0, N): signed fixed-window digits. */
  function addMultiple(t: Table, k: bigint): boolean {
    const half = 2 ** (t.W - 1);
    const full = 2 * half;
    const mask = BigInt(full - 1);
    const shift = BigInt(t.W);
    for (let w = 0; w < t.windows; w++) {
      let d = Number(k & mask);
      k >>= shift;
      if (d > half) {
        d -= full;
        k += 1n;
      }
      if (d > 0) addAffine(t.xs[w * half + d - 1]!, t.ys[w * half + d - 1]!);
      else if (d < 0) {
        const y = t.ys[w * half - d - 1]!;
        addAffine(t.xs[w * half - d - 1]!, y === 0n ? 0n : P - y);
      }
    }
    return k === 0n;
  }

  function candidate(job: Uint8Array, at: number): Known {
    const key = hexOf(job, at + 98, at + 162);
    let k = known.get(key);
    if (k) {
      // Most recently used last: the Map's first key is the one to drop.
      known.delete(key);
      known.set(key, k);
      return k;
    }
    const x = big(job, at + 98, at + 130);
    const y = big(job, at + 130, at + 162);
    // fromAffine + assertValidity: a candidate that is no curve point is refused (full path).
    Point.fromAffine({ x, y }).assertValidity();
    const pub = new Uint8Array(64);
    pub.set(job.subarray(at + 98, at + 162));
    k = { table: buildTable(x, y, tableWindow), address: '0x' + hexOf(keccak(pub), 12, 32) };
    if (known.size >= maxTables) known.delete(known.keys().next().value!);
    known.set(key, k);
    return k;
  }

  /** The candidate's address when it is exactly the signer, else undefined. */
  function check(job: Uint8Array, at: number): Known | undefined {
    const recovery = job[at + 32]!;
    if (recovery > 1) return undefined;
    const r = big(job, at + 33, at + 65);
    const s = big(job, at + 65, at + 97);
    if (r <= 0n || r >= N || s <= 0n || s >= N) return undefined;
    const k = candidate(job, at);
    baseTable ??= buildTable(Point.BASE.x, Point.BASE.y, baseWindow);
    const e = big(job, at, at + 32) % N;
    const sInv = Point.Fn.inv(s);
    X = Y = Z = 0n;
    if (!addMultiple(baseTable, (e * sInv) % N) || !addMultiple(k.table, (r * sInv) % N) || Z === 0n) return undefined;
    const zInv = Point.Fp.inv(Z);
    const zInv2 = (zInv * zInv) % P;
    if ((X * zInv2) % P !== r) return undefined;
    const y = (((Y * zInv2) % P) * zInv) % P;
    return Number(y & 1n) === recovery ? k : undefined;
  }

  return {
    run(job: Uint8Array, at: number): string {
      if (job[at + 97] === 1) {
        let k: Known | undefined;
        try {
          k = check(job, at);
        } catch {
          k = undefined;
        }
        if (k) return 'c' + k.address + hexOf(job, at + 98, at + 162);
      }
      try {
        const pub = curve.Signature.fromBytes(job.subarray(at + 32, at + 97), 'recovered')
          .recoverPublicKey(job.subarray(at, at + 32))
          .toBytes(false);
        return 'r0x' + hexOf(keccak(pub.subarray(1)), 12, 32) + hexOf(pub, 1, 65);
      } catch (e) {
        return '!' + String((e as Error | undefined)?.message);
      }
    },
    tables(): number {
      return known.size;
    },
  };
}

/**
 * A job for `SignerChecker.run`: the digest, a signature's recoverable bytes (recovery bit ‖ r ‖ s,
 * keys.ts's `recoverableBytes`) and, when given, a candidate public key (x ‖ y, 64 bytes).
 */
export function signerJob(digest: Uint8Array, recoverable: Uint8Array, candidate?: Uint8Array): Uint8Array {
  const job = new Uint8Array(SIGNER_JOB_BYTES);
  job.set(digest, 0);
  job.set(recoverable, 32);
  if (candidate !== undefined && candidate.length === 64) {
    job[97] = 1;
    job.set(candidate, 98);
  }
  return job;
}
