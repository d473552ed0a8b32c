/**
 * User-signed actions (`approveAgent`, `usdSend`, `withdraw3`…): EIP-712 messages in the
 * `HyperliquidSignTransaction` domain whose chain id is the action's `signatureChainId`, with
 * a `HyperliquidTransaction:<Name>` primary type. The field lists are the official SDKs'.
 */
import { HlobError, ErrorCodes } from '../errors.js';
import { typedDataDigest, type TypedField } from './eip712.js';
import { type Hex } from './hex.js';
import { ZERO_ADDRESS } from './l1-action.js';
import { recoverDigestSigner, signDigest, type Signature } from './keys.js';

/** Primary type and fields of each user-signed action type the exchange knows. */
export const USER_SIGNED_TYPES: Readonly<Record<string, { primaryType: string; fields: readonly TypedField[] }>> = {
  approveAgent: {
    primaryType: 'HyperliquidTransaction:ApproveAgent',
    fields: [
      { name: 'hyperliquidChain', type: 'string' },
      { name: 'agentAddress', type: 'address' },
      { name: 'agentName', type: 'string' },
      { name: 'nonce', type: 'uint64' },
    ],
  },
  usdSend: {
    primaryType: 'HyperliquidTransaction:UsdSend',
    fields: [
      { name: 'hyperliquidChain', type: 'string' },
      { name: 'destination', type: 'string' },
      { name: 'amount', type: 'string' },
      { name: 'time', type: 'uint64' },
    ],
  },
  withdraw3: {
    primaryType: 'HyperliquidTransaction:Withdraw',
    fields: [
      { name: 'hyperliquidChain', type: 'string' },
      { name: 'destination', type: 'string' },
      { name: 'amount', type: 'string' },
      { name: 'time', type: 'uint64' },
    ],
  },
  approveBuilderFee: {
    primaryType: 'HyperliquidTransaction:ApproveBuilderFee',
    fields: [
      { name: 'hyperliquidChain', type: 'string' },
      { name: 'maxFeeRate', type: 'string' },
      { name: 'builder', type: 'address' },
      { name: 'nonce', type: 'uint64' },
    ],
  },
};

/** A user-signed action: `type`, `signatureChainId` (hex chain id) and the type's fields. */
export type UserSignedAction = { type: string; signatureChainId: string } & Record<string, unknown>;

/** The digest of a user-signed action (an absent `agentName` signs as "", as the SDKs do). */
export function userSignedActionDigest(action: UserSignedAction): Uint8Array {
  const spec = USER_SIGNED_TYPES[action.type];
  if (spec === undefined) throw new HlobError(ErrorCodes.SIGNATURE, `unknown user-signed action type ${String(action.type)}`);
  const chainId =
    typeof action.signatureChainId === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(action.signatureChainId) ? Number.parseInt(action.signatureChainId, 16) : NaN;
  if (!Number.isSafeInteger(chainId)) {
    throw new HlobError(ErrorCodes.SIGNATURE, `signatureChainId must be a hex chain id, got ${String(action.signatureChainId)}`);
  }
  const message: Record<string, unknown> = {};
  for (const f of spec.fields) message[f.name] = action[f.name] ?? (f.name === 'agentName' ? '' : undefined);
  return typedDataDigest(
    { name: 'HyperliquidSignTransaction', version: '1', chainId, verifyingContract: ZERO_ADDRESS },
    { [spec.primaryType]: spec.fields },
    spec.primaryType,
    message,
  );
}

export function signUserSignedAction(input: { privateKey: string; action: UserSignedAction }): Signature {
  return signDigest(userSignedActionDigest(input.action), input.privateKey);
}

export function recoverUserSignedActionSigner(input: { action: UserSignedAction; signature: Signature }): Hex {
  return recoverDigestSigner(userSignedActionDigest(input.action), input.signature);
}
