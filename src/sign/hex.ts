import { HlobError, ErrorCodes } from '../errors.js';

/** A `0x`-prefixed hex string, as the public API writes addresses, hashes and signature parts. */
export type Hex = `0x${string}`;

const HEX_RE = /^0x[0-9a-fA-F]*$/;

/** Bytes of a `0x` hex string of exactly `length` bytes (when given); names `what` on refusal. */
export function hexBytes(hex: string, what: string, length?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex) || hex.length % 2 !== 0) {
    throw new HlobError(ErrorCodes.SIGNATURE, `${what} is not 0x-prefixed hex: ${preview(hex)}`);
  }
  const n = (hex.length - 2) / 2;
  if (length !== undefined && n !== length) {
    throw new HlobError(ErrorCodes.SIGNATURE, `${what} must be ${length} bytes, got ${n}: ${preview(hex)}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = parseInt(hex.slice(2 + i * 2, 4 + i * 2), 16);
  return out;
}

/** Lower-case `0x` hex of bytes. */
export function toHex(bytes: Uint8Array): Hex {
  let s = '0x';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s as Hex;
}

/** Big-endian 32-byte hex of a non-negative integer (r and s as the SDKs pad them). */
export function toHex32(n: bigint): Hex {
  return `0x${n.toString(16).padStart(64, '0')}` as Hex;
}

/** Big-endian unsigned 8-byte encoding (nonce, expiresAfter in the action hash). */
export function uint64Bytes(n: number | bigint, what: string): Uint8Array {
  const big = typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : -1n;
  if (big < 0n || big >= 1n << 64n) {
    throw new HlobError(ErrorCodes.SIGNATURE, `${what} must be an unsigned 64-bit integer, got ${String(n)}`);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big);
  return out;
}

function preview(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
