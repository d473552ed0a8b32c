/**
 * The recovery pool answers exactly as `recoverDigestSigner` does, on thousands of random keys
 * and digests (fixed seed): the same address for good, high-s and bare-bit signatures, the same
 * refusal for r or s out of range, a bad v, or an r that is no curve point; and it loses nothing
 * when closed with recoveries in flight (or refuses them, when told to drop them).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { RecoveryPool, addressFromPrivateKey, recoverDigestSigner, signDigest, type Hex, type Signature } from '../../src/sign/index.js';
import { toHex, toHex32 } from '../../src/sign/hex.js';

const N = secp256k1.Point.CURVE().n;

type Outcome = { address: Hex } | { error: string };

function direct(digest: Uint8Array, sig: Signature): Outcome {
  try {
    return { address: recoverDigestSigner(digest, sig) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function pooled(pool: RecoveryPool, digest: Uint8Array, sig: Signature): Promise<Outcome> {
  return pool.recover(digest, sig).then(
    (address) => ({ address }),
    (e: Error) => ({ error: e.message }),
  );
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const secretKey = bytes32.filter((k) => secp256k1.utils.isValidSecretKey(k));

/** A signature as a client might send it: honest, reshaped, or damaged. */
const cases = fc.record({
  key: secretKey,
  digest: bytes32,
  shape: fc.constantFrom('honest', 'high-s', 'bare-bit', 'other-bit', 'random-r', 'random-s', 'r-at-n', 's-zero', 'v-29'),
  noise: bytes32,
});

function signatureOf(c: { key: Uint8Array; digest: Uint8Array; shape: string; noise: Uint8Array }): Signature {
  const sig = signDigest(c.digest, toHex(c.key));
  const noise = BigInt(toHex(c.noise));
  switch (c.shape) {
    case 'high-s':
      // The same signature with s negated and the recovery bit flipped: the same signer.
      return { r: sig.r, s: toHex32(N - BigInt(sig.s)), v: sig.v === 27 ? 28 : 27 };
    case 'bare-bit':
      return { ...sig, v: sig.v - 27 };
    case 'other-bit':
      return { ...sig, v: sig.v === 27 ? 28 : 27 };
    case 'random-r':
      // About half of random x are no curve point's.
      return { ...sig, r: toHex32((noise % (N - 1n)) + 1n) };
    case 'random-s':
      return { ...sig, s: toHex32((noise % (N - 1n)) + 1n) };
    case 'r-at-n':
      return { ...sig, r: toHex32(N + (noise % 1000n)) };
    case 's-zero':
      return { ...sig, s: '0x0' };
    case 'v-29':
      return { ...sig, v: 29 };
    default:
      return sig;
  }
}

describe('RecoveryPool', () => {
  const pool = new RecoveryPool({ workers: 2 });
  afterAll(() => pool.close());

  it('runs worker threads', () => {
    expect(pool.workers).toBe(2);
  });

  it('answers as recoverDigestSigner on 2,000 random keys, digests and signature shapes', async () => {
    const samples = fc.sample(cases, { seed: 1414, numRuns: 2000 });
    const sigs = samples.map(signatureOf);
    // Sent first, so the workers recover while this thread computes the expected answers.
    const answers = Promise.all(samples.map((c, i) => pooled(pool, c.digest, sigs[i]!)));
    const expected = samples.map((c, i) => direct(c.digest, sigs[i]!));
    const got = await answers;
    expect(got).toEqual(expected);
    // The honest and reshaped-but-valid ones name the key's address; every shape occurred.
    samples.forEach((c, i) => {
      if (c.shape === 'honest' || c.shape === 'high-s' || c.shape === 'bare-bit') expect(got[i]).toEqual({ address: addressFromPrivateKey(toHex(c.key)) });
    });
    const errors = new Set(got.flatMap((o) => ('error' in o ? [o.error] : [])));
    expect(errors).toEqual(
      new Set([
        'signature does not recover to a public key',
        'signature r is out of range',
        'signature s is out of range',
        'signature v must be 27 or 28, got 29',
      ]),
    );
  }, 300_000);

  it('with candidates (right, wrong, none) and this thread helping a busy worker, answers as recoverDigestSigner', async () => {
    const helped = new RecoveryPool({ workers: 1, steal: true });
    const samples = fc.sample(cases, { seed: 2024, numRuns: 300 });
    const sigs = samples.map(signatureOf);
    const keys = [...new Set(samples.slice(0, 4).map((c) => toHex(c.key)))];
    const candidateOf = (i: number): Uint8Array | undefined => {
      const pick = i % 3 === 0 ? toHex(samples[i]!.key) : i % 3 === 1 ? keys[i % keys.length]! : undefined;
      return pick === undefined ? undefined : secp256k1.getPublicKey(Uint8Array.from(Buffer.from(pick.slice(2), 'hex')), false).subarray(1);
    };
    const got = await Promise.all(
      samples.map((c, i) =>
        helped.recoverSigner(c.digest, sigs[i]!, candidateOf(i)).then(
          (s) => ({ address: s.address }),
          (e: Error) => ({ error: e.message }),
        ),
      ),
    );
    expect(got).toEqual(samples.map((c, i) => direct(c.digest, sigs[i]!)));
    const stats = helped.stats();
    // Some were confirmed by their candidate, and this thread took part.
    expect(stats.candidate).toBeGreaterThan(0);
    expect(stats.here).toBeGreaterThan(0);
    await helped.close();
  }, 300_000);

  it('recovers on the calling thread with no workers, with the same answers', async () => {
    const here = new RecoveryPool({ workers: 0 });
    expect(here.workers).toBe(0);
    const samples = fc.sample(cases, { seed: 7, numRuns: 100 });
    const sigs = samples.map(signatureOf);
    const got = await Promise.all(samples.map((c, i) => pooled(here, c.digest, sigs[i]!)));
    expect(got).toEqual(samples.map((c, i) => direct(c.digest, sigs[i]!)));
    await here.close();
  }, 120_000);

  it('closed with recoveries in flight, still answers every one of them', async () => {
    const closing = new RecoveryPool({ workers: 1 });
    const samples = fc.sample(cases, { seed: 99, numRuns: 100 });
    const sigs = samples.map(signatureOf);
    const pending = samples.map((c, i) => pooled(closing, c.digest, sigs[i]!));
    // Let the first batch reach the worker, then close: the rest is recovered here.
    await new Promise<void>((r) => setImmediate(r));
    await closing.close();
    expect(await Promise.all(pending)).toEqual(samples.map((c, i) => direct(c.digest, sigs[i]!)));
    // After close, recoveries happen on the caller's thread.
    expect(await pooled(closing, samples[0]!.digest, sigs[0]!)).toEqual(direct(samples[0]!.digest, sigs[0]!));
  }, 120_000);

  it('closed with "drop", refuses what it had not answered, clearly', async () => {
    const dropping = new RecoveryPool({ workers: 1 });
    const samples = fc.sample(
      cases.filter((c) => c.shape === 'honest'),
      { seed: 3, numRuns: 20 },
    );
    const pending = samples.map((c) => pooled(dropping, c.digest, signatureOf(c)));
    await dropping.close('drop');
    const answers = await Promise.all(pending);
    // Still in this thread's batch when closed: none went to the worker.
    expect(answers).toEqual(Array(20).fill({ error: 'the signature recovery pool was closed before this recovery' }));
  });

  it('refuses beyond its bound with a clear message instead of queueing without end', async () => {
    const small = new RecoveryPool({ workers: 1, maxPending: 3 });
    const c = fc.sample(cases, { seed: 5, numRuns: 1 })[0]!;
    const sig = signDigest(c.digest, toHex(c.key));
    const answers = await Promise.all(Array.from({ length: 5 }, () => pooled(small, c.digest, sig)));
    expect(answers.slice(0, 3)).toEqual(Array(3).fill({ address: addressFromPrivateKey(toHex(c.key)) }));
    expect(answers.slice(3)).toEqual(Array(2).fill({ error: '3 signature recoveries already waiting: try again' }));
    await small.close();
  });
});
