/**
 * The candidate fast path answers exactly as the full recovery: on random digests, signature
 * shapes (honest, high-s, flipped v, damaged r or s, recovery bit 2/3) and candidates (the signer,
 * another key, a point off the curve, none), the checker gives the address or refusal that
 * `recoverDigestSigner` / noble's recovery gives, and takes the fast path only when the candidate
 * is the signer of an untouched signature (so the test fails if the fast path never runs, or runs
 * when it must not). Keys include 1, 2 and n − 1 with equal windows for G and Q, so that the
 * tables' points meet (the doubling and opposite-point cases of the addition).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { addressFromPrivateKey, recoverDigestSigner, signDigest, type Signature } from '../../src/sign/index.js';
import { recoverableBytes } from '../../src/sign/keys.js';
import { createSignerChecker, signerJob, type SignerCheckOptions } from '../../src/sign/signer-check.js';
import { toHex, toHex32 } from '../../src/sign/hex.js';

const N = secp256k1.Point.CURVE().n;

const keyOf = (k: bigint): string => toHex32(k);
/** Six random keys (fixed seed), and the edge keys 1, 2, n − 1. */
const KEYS = [
  ...fc
    .sample(
      fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => secp256k1.utils.isValidSecretKey(k)),
      { seed: 2026, numRuns: 6 },
    )
    .map((k) => toHex(k)),
  keyOf(1n),
  keyOf(2n),
  keyOf(N - 1n),
];
const publicKey = (key: string): Uint8Array => secp256k1.getPublicKey(hex32(key), false).subarray(1);
function hex32(key: string): Uint8Array {
  return Uint8Array.from(Buffer.from(key.slice(2).padStart(64, '0'), 'hex'));
}

type Outcome = { address: string } | { error: true };

function full(digest: Uint8Array, sig: Signature): Outcome {
  try {
    return { address: recoverDigestSigner(digest, sig) };
  } catch {
    return { error: true };
  }
}

const cases = fc.record({
  signer: fc.nat({ max: KEYS.length - 1 }),
  candidate: fc.oneof(fc.constant<'signer'>('signer'), fc.constant<'none'>('none'), fc.constant<'off-curve'>('off-curve'), fc.nat({ max: KEYS.length - 1 })),
  digest: fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(32)) },
    // e = n: reduces to 0 (u1 = 0); e = n + 1: above the order.
    { weight: 1, arbitrary: fc.constantFrom(hex32(toHex32(N)), hex32(toHex32(N + 1n))) },
  ),
  shape: fc.constantFrom('honest', 'honest', 'high-s', 'bare-bit', 'flipped-v', 'random-r', 'random-s'),
  noise: fc.bigInt({ min: 1n, max: N - 1n }),
});

function signatureOf(c: { signer: number; digest: Uint8Array; shape: string; noise: bigint }): Signature {
  const sig = signDigest(c.digest, KEYS[c.signer]!);
  switch (c.shape) {
    case 'high-s':
      return { r: sig.r, s: toHex32(N - BigInt(sig.s)), v: sig.v === 27 ? 28 : 27 };
    case 'bare-bit':
      return { ...sig, v: sig.v - 27 };
    case 'flipped-v':
      return { ...sig, v: sig.v === 27 ? 28 : 27 };
    case 'random-r':
      return { ...sig, r: toHex32(c.noise) };
    case 'random-s':
      return { ...sig, s: toHex32(c.noise) };
    default:
      return sig;
  }
}

function candidateKey(c: { signer: number; candidate: 'signer' | 'none' | 'off-curve' | number }): Uint8Array | undefined {
  if (c.candidate === 'none') return undefined;
  if (c.candidate === 'off-curve') {
    const p = publicKey(KEYS[c.signer]!).slice();
    p[63] = p[63]! ^ 1;
    return p;
  }
  return publicKey(KEYS[c.candidate === 'signer' ? c.signer : c.candidate]!);
}

function checkAll(options: SignerCheckOptions, seed: number, numRuns: number): void {
  const checker = createSignerChecker(secp256k1, keccak_256, options);
  let fast = 0;
  fc.assert(
    fc.property(cases, (c) => {
      const sig = signatureOf(c);
      const expected = full(c.digest, sig);
      const candidate = candidateKey(c);
      const out = checker.run(signerJob(c.digest, recoverableBytes(sig), candidate), 0);
      const got: Outcome = out.startsWith('!') ? { error: true } : { address: out.slice(1, 43) };
      expect(got).toEqual(expected);
      const isSigner = candidate !== undefined && (c.candidate === 'signer' || c.candidate === c.signer);
      const untouched = c.shape === 'honest' || c.shape === 'high-s' || c.shape === 'bare-bit';
      // The fast path answers exactly when the candidate is the signer of an intact signature.
      expect(out[0]).toBe(isSigner && untouched ? 'c' : out.startsWith('!') ? '!' : 'r');
      if (out[0] === 'c') {
        fast++;
        expect(out.slice(1, 43)).toBe(addressFromPrivateKey(KEYS[c.signer]!));
        // The public key it answers is the candidate's, as the full path would give.
        expect(out.slice(43)).toBe(Buffer.from(publicKey(KEYS[c.signer]!)).toString('hex'));
      } else if (out[0] === 'r' && 'address' in expected) {
        expect(out.slice(43)).toHaveLength(128);
      }
    }),
    { seed, numRuns },
  );
  expect(fast).toBeGreaterThan(numRuns / 10);
  expect(checker.tables()).toBeLessThanOrEqual(options.maxTables ?? 64);
}

describe('createSignerChecker', () => {
  it('answers as the full recovery with the default tables (W = 8)', () => {
    checkAll({}, 1414, 400);
  }, 300_000);

  it('answers as the full recovery with small equal windows for G and Q and a 2-table LRU', () => {
    checkAll({ tableWindow: 4, baseWindow: 4, maxTables: 2 }, 77, 400);
  }, 300_000);

  it('never accepts a candidate for a recovery bit of 2 or 3 (x overflow): the full recovery answers', () => {
    const checker = createSignerChecker(secp256k1, keccak_256, { tableWindow: 4, baseWindow: 4 });
    const digest = hex32(toHex32(123456789n));
    const key = KEYS[0]!;
    const sig = signDigest(digest, key);
    for (const bit of [2, 3]) {
      const bytes = recoverableBytes(sig);
      bytes[0] = bit;
      const out = checker.run(signerJob(digest, bytes, publicKey(key)), 0);
      // r + n is above p for any r this large: noble refuses, and so does the checker.
      let expected: string;
      try {
        expected =
          'r0x' +
          Buffer.from(keccak_256(secp256k1.Signature.fromBytes(bytes, 'recovered').recoverPublicKey(digest).toBytes(false).subarray(1)).subarray(12)).toString(
            'hex',
          );
      } catch {
        expected = '!';
      }
      expect(out.slice(0, expected.length)).toBe(expected);
      expect(out[0]).not.toBe('c');
    }
  });

  /**
   * A signature built so that u1 = e/s and u2 = r/s are the given small scalars for key k (then
   * R = u1·G + u2·k·G, r = R.x, s = r/u2, e = u1·s): with W = 4 for both tables, the sum meets a
   * table point equal to itself (doubling) or its opposite (the sum passes through infinity).
   */
  function crafted(u1: bigint, u2: bigint, k: bigint): { digest: Uint8Array; bytes: Uint8Array } {
    const R = secp256k1.Point.BASE.multiply((u1 + u2 * k) % N).toAffine();
    const r = R.x;
    if (r >= N) throw new Error('pick other scalars: R.x above n');
    const s = (r * secp256k1.Point.Fn.inv(u2)) % N;
    const e = (u1 * s) % N;
    const bytes = new Uint8Array(65);
    bytes[0] = Number(R.y & 1n);
    bytes.set(hex32(toHex32(r)), 1);
    bytes.set(hex32(toHex32(s)), 33);
    return { digest: hex32(toHex32(e)), bytes };
  }

  it('adds a point to itself (doubling) and to its opposite exactly', () => {
    const checker = createSignerChecker(secp256k1, keccak_256, { tableWindow: 4, baseWindow: 4 });
    // Q = G, u1 = u2 = 5: the sum is 5G when Q's first digit adds 5G again.
    // Q = −G, u1 = 5, u2 = 5 + 16·3: 5G − 5G is infinity, then − 48G.
    for (const [u1, u2, k] of [
      [5n, 5n, 1n],
      [5n, 5n + 16n * 3n, N - 1n],
      [7n, 7n + 16n, 1n],
    ] as const) {
      const { digest, bytes } = crafted(u1, u2, k);
      const key = keyOf(k);
      const out = checker.run(signerJob(digest, bytes, publicKey(key)), 0);
      expect(out.slice(0, 43)).toBe('c' + addressFromPrivateKey(key));
      expect(recoverDigestSigner(digest, { r: toHex(bytes.subarray(1, 33)), s: toHex(bytes.subarray(33)), v: 27 + bytes[0]! })).toBe(
        addressFromPrivateKey(key),
      );
    }
  });

  it('drops the least recently used table beyond maxTables', () => {
    const checker = createSignerChecker(secp256k1, keccak_256, { tableWindow: 4, baseWindow: 4, maxTables: 3 });
    const digest = hex32(toHex32(42n));
    for (const key of KEYS) {
      const out = checker.run(signerJob(digest, recoverableBytes(signDigest(digest, key)), publicKey(key)), 0);
      expect(out.slice(0, 43)).toBe('c' + addressFromPrivateKey(key));
    }
    expect(checker.tables()).toBe(3);
  });
});
