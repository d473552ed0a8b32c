/**
 * secp256k1 keys, Ethereum addresses and recoverable signatures over a 32-byte digest: the
 * primitives every Hyperliquid signature (L1 action or user-signed) is made of.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { HlobError, ErrorCodes } from '../errors.js';
import { hexBytes, toHex, toHex32, type Hex } from './hex.js';

/** A signature as the public API's `/exchange` body carries it. */
export interface Signature {
  /** `0x` + 64 hex digits. */
  r: Hex;
  /** `0x` + 64 hex digits. */
  s: Hex;
  /** 27 or 28. */
  v: number;
}

/** The curve order: a valid `r`/`s` is in [1, N). */
const N = secp256k1.Point.CURVE().n;

/** The private key's bytes from a `0x`-prefixed (or bare) 32-byte hex string. */
export function privateKeyBytes(privateKey: string): Uint8Array {
  const hex = typeof privateKey === 'string' && !privateKey.startsWith('0x') ? `0x${privateKey}` : privateKey;
  const bytes = hexBytes(hex, 'private key', 32);
  if (!secp256k1.utils.isValidSecretKey(bytes)) {
    throw new HlobError(ErrorCodes.SIGNATURE, 'private key is outside the secp256k1 range');
  }
  return bytes;
}

/** A fresh random private key (`0x` + 64 hex). */
export function randomPrivateKey(): Hex {
  return toHex(secp256k1.utils.randomSecretKey());
}

/** The lower-case Ethereum address of an uncompressed (65-byte) or compressed public key. */
export function addressFromPublicKey(publicKey: Uint8Array): Hex {
  const uncompressed = publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return toHex(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** The lower-case Ethereum address of a private key. */
export function addressFromPrivateKey(privateKey: string): Hex {
  return addressFromPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKey), false));
}

/** Signs a 32-byte digest as Ethereum does (low s, v = 27 + recovery bit). */
export function signDigest(digest: Uint8Array, privateKey: string): Signature {
  const sig = secp256k1.sign(digest, privateKeyBytes(privateKey), { prehash: false, format: 'recovered' });
  // 'recovered' format: recovery byte, then r and s (32 bytes each).
  const recovery = sig[0]!;
  return {
    r: toHex(sig.subarray(1, 33)),
    s: toHex(sig.subarray(33, 65)),
    v: 27 + recovery,
  };
}

/**
 * The address that signed `digest`, or an error naming what is wrong with the signature.
 * `v` may be 27/28 or the bare recovery bit 0/1 (some wallets send it so); `r`/`s` may drop
 * leading zeros (the Python SDK writes them so). A high `s` is accepted, as the exchange does.
 */
export function recoverDigestSigner(digest: Uint8Array, signature: Signature): Hex {
  return addressOfRecoverable(recoverableBytes(signature), digest);
}

/**
 * The 65-byte recoverable form (recovery bit ‖ r ‖ s) of a signature, after the checks that
 * need no curve arithmetic: what a recovery worker is given (see recovery-pool.ts).
 */
export function recoverableBytes(signature: Signature): Uint8Array {
  const r = scalar(signature.r, 'r');
  const s = scalar(signature.s, 's');
  const v = signature.v;
  const recovery = v === 27 || v === 28 ? v - 27 : v === 0 || v === 1 ? v : -1;
  if (recovery < 0) throw new HlobError(ErrorCodes.SIGNATURE, `signature v must be 27 or 28, got ${String(v)}`);
  const bytes = new Uint8Array(65);
  bytes[0] = recovery;
  bytes.set(hexBytes(toHex32(r), 'r', 32), 1);
  bytes.set(hexBytes(toHex32(s), 's', 32), 33);
  return bytes;
}

/** The signer's address from the recoverable bytes; the curve arithmetic of a recovery. */
export function addressOfRecoverable(bytes: Uint8Array, digest: Uint8Array): Hex {
  let publicKey: Uint8Array;
  try {
    // The point itself, uncompressed: the top-level helper compresses it, and decompressing
    // again for the address costs a square root per recovery. recovery-pool.ts's worker
    // makes this same call.
    publicKey = secp256k1.Signature.fromBytes(bytes, 'recovered').recoverPublicKey(digest).toBytes(false);
  } catch (cause) {
    throw unrecoverable(cause);
  }
  return addressFromPublicKey(publicKey);
}

/** The refusal of a signature whose curve arithmetic fails (r not on the curve, Q at infinity…). */
export function unrecoverable(cause: unknown): HlobError {
  return new HlobError(ErrorCodes.SIGNATURE, 'signature does not recover to a public key', { cause });
}

function scalar(hex: unknown, what: string): bigint {
  if (typeof hex !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(hex)) {
    throw new HlobError(ErrorCodes.SIGNATURE, `signature ${what} must be 0x and up to 64 hex digits`);
  }
  const n = BigInt(hex);
  if (n <= 0n || n >= N) throw new HlobError(ErrorCodes.SIGNATURE, `signature ${what} is out of range`);
  return n;
}
