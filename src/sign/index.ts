/**
 * Hyperliquid signing and its verification, pure (no I/O): L1 actions through the phantom
 * agent, user-signed EIP-712 actions, keys and addresses. Used by the paper exchange to
 * recover signers and by clients (the connector) to sign.
 */
export { actionHash, signL1Action, recoverL1ActionSigner, phantomAgentDigest, L1_DOMAIN, ZERO_ADDRESS } from './l1-action.js';
export type { L1ActionInput, L1Source } from './l1-action.js';
export { signUserSignedAction, recoverUserSignedActionSigner, userSignedActionDigest, USER_SIGNED_TYPES } from './user-signed.js';
export type { UserSignedAction } from './user-signed.js';
export { addressFromPrivateKey, addressFromPublicKey, randomPrivateKey, signDigest, recoverDigestSigner } from './keys.js';
export type { Signature } from './keys.js';
export { RecoveryPool } from './recovery-pool.js';
export type { RecoveryPoolOptions, RecoveredSigner } from './recovery-pool.js';
export { typedDataDigest } from './eip712.js';
export type { TypedDataDomain, TypedDataTypes, TypedField } from './eip712.js';
export type { Hex } from './hex.js';
export { privateKeyWallet } from './wallet.js';
export type { PrivateKeyWallet } from './wallet.js';
