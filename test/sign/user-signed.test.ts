/**
 * User-signed actions (EIP-712, `HyperliquidSignTransaction` domain): what
 * @nktkas/hyperliquid signs with its own type lists recovers, with ours, to the signer; a
 * changed field or chain id does not.
 */
import { signUserSignedAction as nkSignUserSignedAction } from '@nktkas/hyperliquid/signing';
import { ApproveAgentTypes } from '@nktkas/hyperliquid/api/exchange';
import { describe, expect, it } from 'vitest';
import {
  addressFromPrivateKey,
  privateKeyWallet,
  randomPrivateKey,
  recoverUserSignedActionSigner,
  signUserSignedAction,
  type UserSignedAction,
} from '../../src/sign/index.js';

type NkAction = Parameters<typeof nkSignUserSignedAction>[0]['action'];

const key = '0x822e9959e022b78423eb653a62ea0020cd283e71a2a8133a6ff2aeffaf373cff';
const approve: UserSignedAction = {
  type: 'approveAgent',
  signatureChainId: '0x66eee',
  hyperliquidChain: 'Mainnet',
  agentAddress: '0x1234567890123456789012345678901234567890',
  agentName: 'bot',
  nonce: 1_700_000_000_000,
};

describe('user-signed actions', () => {
  it('approveAgent signed by @nktkas/hyperliquid (its type list) recovers to the signer with ours', async () => {
    const sig = await nkSignUserSignedAction({ wallet: privateKeyWallet(key), action: approve as NkAction, types: ApproveAgentTypes });
    expect(recoverUserSignedActionSigner({ action: approve, signature: sig })).toBe(addressFromPrivateKey(key));
    expect(sig).toEqual(signUserSignedAction({ privateKey: key, action: approve }));
  });

  it('an unnamed agent signs as agentName "" whether the key is absent or empty', async () => {
    const { agentName: _n, ...unnamed } = approve;
    const sig = await nkSignUserSignedAction({ wallet: privateKeyWallet(key), action: { ...unnamed, agentName: '' } as NkAction, types: ApproveAgentTypes });
    expect(recoverUserSignedActionSigner({ action: unnamed as UserSignedAction, signature: sig })).toBe(addressFromPrivateKey(key));
  });

  it('another field, chain or chain id recovers to another address', () => {
    const sig = signUserSignedAction({ privateKey: key, action: approve });
    const me = addressFromPrivateKey(key);
    expect(recoverUserSignedActionSigner({ action: { ...approve, nonce: 1 }, signature: sig })).not.toBe(me);
    expect(recoverUserSignedActionSigner({ action: { ...approve, hyperliquidChain: 'Testnet' }, signature: sig })).not.toBe(me);
    expect(recoverUserSignedActionSigner({ action: { ...approve, signatureChainId: '0xa4b1' }, signature: sig })).not.toBe(me);
  });

  it('usdSend and withdraw3 round-trip for a fresh key', () => {
    const fresh = randomPrivateKey();
    for (const action of [
      {
        type: 'usdSend',
        signatureChainId: '0xa4b1',
        hyperliquidChain: 'Mainnet',
        destination: '0x0000000000000000000000000000000000000001',
        amount: '1',
        time: 1,
      },
      {
        type: 'withdraw3',
        signatureChainId: '0xa4b1',
        hyperliquidChain: 'Mainnet',
        destination: '0x0000000000000000000000000000000000000001',
        amount: '1',
        time: 1,
      },
    ]) {
      expect(recoverUserSignedActionSigner({ action, signature: signUserSignedAction({ privateKey: fresh, action }) })).toBe(addressFromPrivateKey(fresh));
    }
  });

  it('refuses an unknown type, a bad chain id, a bad signature with coded errors', () => {
    const sig = signUserSignedAction({ privateKey: key, action: approve });
    expect(() => recoverUserSignedActionSigner({ action: { ...approve, type: 'nope' }, signature: sig })).toThrow(/unknown user-signed action type nope/);
    expect(() => recoverUserSignedActionSigner({ action: { ...approve, signatureChainId: 'x' }, signature: sig })).toThrow(/signatureChainId/);
    expect(() => recoverUserSignedActionSigner({ action: approve, signature: { ...sig, v: 30 } })).toThrow(/v must be 27 or 28/);
    expect(() => recoverUserSignedActionSigner({ action: approve, signature: { ...sig, r: '0x' } })).toThrow(
      expect.objectContaining({ code: 'HLOB_ERR_SIGNATURE' }),
    );
    expect(() => recoverUserSignedActionSigner({ action: { ...approve, agentAddress: '0x12' }, signature: sig })).toThrow(/agentAddress/);
  });
});
