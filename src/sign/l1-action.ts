/**
 * L1 actions (orders, cancels, leverage…): msgpack of the action, nonce, vault and expiry,
 * hashed into a `connectionId` that a phantom `Agent` EIP-712 message carries. As in the
 * official Python SDK (`hyperliquid/utils/signing.py`) and `@nktkas/hyperliquid`.
 */
import { encode } from '@msgpack/msgpack';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { HlobError, ErrorCodes } from '../errors.js';
import { domainSeparator, typedDataDigest, type TypedDataDomain } from './eip712.js';
import { hexBytes, toHex, uint64Bytes, type Hex } from './hex.js';
import { recoverDigestSigner, signDigest, type Signature } from './keys.js';

export interface L1ActionInput {
  /** The action object; the hash depends on its key order, exactly as given. */
  action: unknown;
  /** The signer's nonce (ms timestamp by convention). */
  nonce: number;
  /** Trading for a vault or sub-account: its address. `null` is the same as absent. */
  vaultAddress?: string | null;
  /** The action is refused after this time (ms). `null` is the same as absent. */
  expiresAfter?: number | null;
}

/** The zero address, the `verifyingContract` of every Hyperliquid EIP-712 domain. */
export const ZERO_ADDRESS: Hex = '0x0000000000000000000000000000000000000000';

/** The L1-action domain: chain id 1337 on mainnet and testnet alike (the source tells them apart). */
export const L1_DOMAIN: TypedDataDomain = { name: 'Exchange', version: '1', chainId: 1337, verifyingContract: ZERO_ADDRESS };

const AGENT_TYPES = {
  Agent: [
    { name: 'source', type: 'string' },
    { name: 'connectionId', type: 'bytes32' },
  ],
} as const;

/** The phantom agent's `source`: "a" for mainnet, "b" for testnet. */
export type L1Source = 'a' | 'b';

/** msgpack(action) ‖ nonce (u64 BE) ‖ 0 | 1 ‖ vault ‖ [0 ‖ expiresAfter (u64 BE)], keccak'd. */
export function actionHash(input: L1ActionInput): Hex {
  let packed: Uint8Array;
  try {
    // Integers ≥ 2^32 are written as uint64 (the encoder's default for safe integers); keys
    // whose value is undefined are dropped, as the SDKs do.
    packed = encode(input.action, { ignoreUndefined: true });
  } catch (cause) {
    throw new HlobError(ErrorCodes.SIGNATURE, 'action cannot be msgpack-encoded', { cause });
  }
  const nonce = uint64Bytes(input.nonce, 'nonce');
  const vault = input.vaultAddress == null ? null : hexBytes(input.vaultAddress, 'vaultAddress', 20);
  const expires = input.expiresAfter == null ? null : uint64Bytes(input.expiresAfter, 'expiresAfter');
  const out = new Uint8Array(packed.length + 8 + 1 + (vault ? 20 : 0) + (expires ? 9 : 0));
  let at = 0;
  out.set(packed, at);
  at += packed.length;
  out.set(nonce, at);
  at += 8;
  out[at++] = vault ? 1 : 0;
  if (vault) {
    out.set(vault, at);
    at += 20;
  }
  if (expires) {
    out[at++] = 0;
    out.set(expires, at);
  }
  return toHex(keccak_256(out));
}

/**
 * The digest's constant parts, hashed once: every L1 action signs (or is checked) over
 * keccak(0x1901 ‖ domain ‖ keccak(typeHash ‖ keccak(source) ‖ connectionId)), so two keccaks
 * per action instead of the generic walk's seven (a measurable share of the exchange's work).
 */
const AGENT_PREFIX = new Uint8Array(66);
AGENT_PREFIX[0] = 0x19;
AGENT_PREFIX[1] = 0x01;
AGENT_PREFIX.set(domainSeparator(L1_DOMAIN), 2);
const AGENT_TYPE_HASH = keccak_256(new TextEncoder().encode('Agent(string source,bytes32 connectionId)'));
const SOURCE_HASH: Record<L1Source, Uint8Array> = { a: keccak_256(new Uint8Array([0x61])), b: keccak_256(new Uint8Array([0x62])) };

/** The EIP-712 digest of the phantom agent `{source, connectionId}`. */
export function phantomAgentDigest(connectionId: Hex, source: L1Source): Uint8Array {
  const sourceHash = SOURCE_HASH[source];
  // Any other source string (typed away, but callers are JS too) takes the generic walk.
  if (sourceHash === undefined) return typedDataDigest(L1_DOMAIN, AGENT_TYPES, 'Agent', { source, connectionId });
  const struct = new Uint8Array(96);
  struct.set(AGENT_TYPE_HASH, 0);
  struct.set(sourceHash, 32);
  struct.set(hexBytes(connectionId, 'Agent.connectionId', 32), 64);
  const out = AGENT_PREFIX.slice();
  out.set(keccak_256(struct), 34);
  return keccak_256(out);
}

/** Signs an L1 action as a wallet does for `/exchange`. */
export function signL1Action(input: L1ActionInput & { privateKey: string; isMainnet: boolean }): Signature {
  return signDigest(phantomAgentDigest(actionHash(input), input.isMainnet ? 'a' : 'b'), input.privateKey);
}

/**
 * The address that signed an L1 action for the given source. A signature always recovers to
 * *some* address: whether it is the expected one is the caller's question (as on the exchange,
 * where a wrong signature shows up as an unknown user).
 */
export function recoverL1ActionSigner(input: L1ActionInput & { signature: Signature; source: L1Source }): Hex {
  return recoverDigestSigner(phantomAgentDigest(actionHash(input), input.source), input.signature);
}
