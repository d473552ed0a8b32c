/**
 * EIP-712 typed-data hashing: the digest both L1 actions (through the phantom `Agent`) and
 * user-signed actions (`HyperliquidTransaction:*`) are signed over. Covers the types
 * Hyperliquid uses: string, bytes, bytesN, address, bool, uintN/intN, nested structs and
 * arrays of them.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { HlobError, ErrorCodes } from '../errors.js';
import { hexBytes, type Hex } from './hex.js';

export interface TypedField {
  name: string;
  type: string;
}

export type TypedDataTypes = Record<string, readonly TypedField[]>;

export interface TypedDataDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Hex;
}

const DOMAIN_TYPE: readonly TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

const encoder = new TextEncoder();

/** The digest a wallet signs for `eth_signTypedData_v4`: keccak(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(domain: TypedDataDomain, types: TypedDataTypes, primaryType: string, message: Record<string, unknown>): Uint8Array {
  const all = { ...types, EIP712Domain: DOMAIN_TYPE };
  const out = new Uint8Array(66);
  out[0] = 0x19;
  out[1] = 0x01;
  out.set(hashStruct(all, 'EIP712Domain', domain as unknown as Record<string, unknown>), 2);
  out.set(hashStruct(all, primaryType, message), 34);
  return keccak_256(out);
}

/** hashStruct(EIP712Domain, domain): the constant half of every digest in that domain. */
export function domainSeparator(domain: TypedDataDomain): Uint8Array {
  return hashStruct({ EIP712Domain: DOMAIN_TYPE }, 'EIP712Domain', domain as unknown as Record<string, unknown>);
}

function hashStruct(types: TypedDataTypes, name: string, value: Record<string, unknown>): Uint8Array {
  const fields = types[name];
  if (fields === undefined) throw new HlobError(ErrorCodes.SIGNATURE, `EIP-712: unknown type ${name}`);
  if (typeof value !== 'object' || value === null) {
    throw new HlobError(ErrorCodes.SIGNATURE, `EIP-712: ${name} must be an object`);
  }
  const parts = new Uint8Array(32 * (fields.length + 1));
  parts.set(keccak_256(encoder.encode(encodeType(types, name))), 0);
  fields.forEach((f, i) => parts.set(encodeValue(types, f.type, value[f.name], `${name}.${f.name}`), 32 * (i + 1)));
  return keccak_256(parts);
}

/** `Name(type field,…)` followed by the referenced struct types in alphabetical order. */
function encodeType(types: TypedDataTypes, primary: string): string {
  const deps = new Set<string>();
  const visit = (t: string): void => {
    const base = t.replace(/\[\d*\]$/, '');
    if (deps.has(base) || types[base] === undefined) return;
    deps.add(base);
    for (const f of types[base]!) visit(f.type);
  };
  visit(primary);
  deps.delete(primary);
  const one = (n: string): string => `${n}(${types[n]!.map((f) => `${f.type} ${f.name}`).join(',')})`;
  return [primary, ...[...deps].sort()].map(one).join('');
}

function encodeValue(types: TypedDataTypes, type: string, value: unknown, path: string): Uint8Array {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) throw bad(path, 'an array', value);
    const parts = new Uint8Array(32 * value.length);
    value.forEach((v, i) => parts.set(encodeValue(types, array[1]!, v, `${path}[${i}]`), 32 * i));
    return keccak_256(parts);
  }
  if (types[type] !== undefined) return hashStruct(types, type, value as Record<string, unknown>);
  if (type === 'string') {
    if (typeof value !== 'string') throw bad(path, 'a string', value);
    return keccak_256(encoder.encode(value));
  }
  if (type === 'bytes') {
    if (typeof value !== 'string') throw bad(path, 'hex bytes', value);
    return keccak_256(hexBytes(value, path));
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw bad(path, 'a boolean', value);
    return word(value ? 1n : 0n);
  }
  if (type === 'address') {
    if (typeof value !== 'string') throw bad(path, 'an address', value);
    const out = new Uint8Array(32);
    out.set(hexBytes(value, path, 20), 12);
    return out;
  }
  const fixedBytes = /^bytes(\d+)$/.exec(type);
  if (fixedBytes) {
    const n = Number(fixedBytes[1]);
    if (typeof value !== 'string') throw bad(path, `${n} hex bytes`, value);
    const out = new Uint8Array(32);
    out.set(hexBytes(value, path, n), 0);
    return out;
  }
  const int = /^(u?)int(\d+)$/.exec(type);
  if (int) {
    const bits = BigInt(int[2]!);
    let n: bigint;
    if (typeof value === 'bigint') n = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|-?\d+)$/.test(value)) n = BigInt(value);
    else throw bad(path, `an integer (${type})`, value);
    const unsigned = int[1] === 'u';
    const min = unsigned ? 0n : -(1n << (bits - 1n));
    const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
    if (n < min || n > max) throw bad(path, `within ${type}`, value);
    return word(BigInt.asUintN(256, n));
  }
  throw new HlobError(ErrorCodes.SIGNATURE, `EIP-712: unsupported type ${type} at ${path}`);
}

function word(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setBigUint64(0, n >> 192n);
  new DataView(out.buffer).setBigUint64(8, (n >> 128n) & 0xffffffffffffffffn);
  new DataView(out.buffer).setBigUint64(16, (n >> 64n) & 0xffffffffffffffffn);
  new DataView(out.buffer).setBigUint64(24, n & 0xffffffffffffffffn);
  return out;
}

function bad(path: string, want: string, got: unknown): HlobError {
  const s = JSON.stringify(got) ?? String(got);
  return new HlobError(ErrorCodes.SIGNATURE, `EIP-712: ${path} must be ${want}, got ${s.length > 60 ? `${s.slice(0, 57)}...` : s}`);
}
